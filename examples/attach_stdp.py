"""Attach STDP to your own connection, then train an unsupervised layer on the bundled digits.

Run:  python examples/attach_stdp.py

Part 1 gives a dense connection (20 inputs -> 5 neurons) a pair-STDP rule and drives it with
spike trains in which input 0..9 fire 5 ms before a postsynaptic spike and inputs 10..19 fire
at random: the causal inputs are potentiated, the others are not.

Part 2 does the same for a sparse (CSR) connection you already have as (indptr, indices, data):
the rule updates `data` in place, so anything sharing that array sees the learned weights.

Part 3 attaches the rule to a connection of a simulated `Network` (`net.connect(...,
plasticity=rule)`): the postsynaptic spikes now come from the LIF neurons themselves and the
weights change inside `net.run`, step by step. Ten inputs fire in volleys that make the
neurons fire right after them (causal), ten fire at random: the causal ones are potentiated.

Part 4 trains Diehl & Cook's (2015) network (the `spikecore train` main job) in three lines.
"""
import numpy as np

from spikecore.learning import DiehlCookClassifier, PairSTDP, PlasticSynapses, stdp_window
from spikecore.network import Network
from spikecore.neurons import LIF

rng = np.random.default_rng(0)

# -- the rule, and its window measured from the compiled kernels -----------------------------
rule = PairSTDP(a_plus=0.01, a_minus=0.0105, tau_plus=20e-3, tau_minus=20e-3,
                weight_dependence="multiplicative", w_max=1.0)
print("window at -20, -5, +5, +20 ms:", np.round(stdp_window(rule, [-0.02, -0.005, 0.005, 0.02], w=0.5), 5))

# -- part 1: a dense connection ----------------------------------------------------------------
T, dt = 2000, 1e-3
W = np.full((5, 20), 0.5)                      # (n_post, n_pre), as you would write it
syn = PlasticSynapses(rule, weights=W, dt=dt)  # batch of 1
post = np.zeros((T, 1, 5), np.uint8)
pre = (rng.random((T, 1, 20)) < 0.01).astype(np.uint8)   # 10 Hz background on every input
post[20::50] = 1                                          # postsynaptic spikes every 50 ms
pre[15::50, :, :10] = 1                                   # inputs 0..9 lead them by 5 ms
syn.run(pre, post)                                        # one compiled loop over T steps
W_learned = syn.dense_weights()
print("mean weight, causal inputs %.3f  random inputs %.3f" % (W_learned[:, :10].mean(), W_learned[:, 10:].mean()))

# -- part 2: a sparse connection, updated in place ------------------------------------------------
indptr = np.arange(0, 21 * 2, 2)[:21]            # each of 20 inputs -> 2 neurons
indices = np.tile([0, 1], 20).astype(np.int32)
data = np.full(40, 0.5, np.float32)
sparse = PlasticSynapses(rule, csr=(indptr, indices, data, 2), dt=dt)
for t in range(T):                               # step by step, e.g. inside your own loop
    sparse.step(pre[t], post[t, :, :2])
print("CSR weights updated in place:", sparse.weights is data, "mean %.3f" % data.mean())

# -- part 3: a plastic connection inside a simulated network -------------------------------------
net = Network(dt=dt, seed=0)
inputs = net.add_source(20, name="inputs")
neurons = net.add(LIF(tau_mem=10e-3, v_th=0.2, t_ref=2e-3), n=5, name="neurons")
conn = net.connect(inputs, neurons, weight=np.full((5, 20), 0.25), delay=1e-3,
                   plasticity=PairSTDP(a_plus=0.01, a_minus=0.0105, w_max=1.0))
net.record_spikes(neurons)
volleys = (rng.random((T, 1, 20)) < 0.01)               # 10 Hz background on every input
volleys[::50, :, :10] = True                             # inputs 0..9 fire together every 50 ms
result = net.run(T, inputs={inputs: volleys})            # weights learn during the run
W_net = conn.to_dense()                                  # the connection holds the learned weights
print("network run: %d output spikes; mean weight, causal inputs %.3f  random inputs %.3f"
      % (result.spike_count(neurons).sum(), W_net[:, :10].mean(), W_net[:, 10:].mean()))
# the weights persist: a second run continues from them (net.reset() clears traces, not weights)

# -- part 4: the Diehl & Cook network --------------------------------------------------------------
from spikecore.datasets import load_digits  # noqa: E402

X, y = load_digits(return_X_y=True)
order = rng.permutation(len(y))
X, y = X[order], y[order]
clf = DiehlCookClassifier(n_neurons=100, random_state=0, verbose=True).fit(X[:1347], y[:1347])
print("held-out accuracy %.3f" % clf.score(X[1347:], y[1347:]))
print("spikes and synaptic operations of that prediction:", clf.transform_with_report(X[1347:])[1])
