"""ReSuMe's sign convention for inhibitory synapses (Ponulak 2005; Ponulak & Kasiński 2010).

The paper: for excitatory synapses a > 0 and the learning window W(s) is STDP-like (+A e^{-s/tau});
for inhibitory synapses a < 0 and W(s) is anti-STDP-like (-A e^{-s/tau}), the synaptic strength
w_oi being an efficacy (>= 0) whose spike adds sigma_i w_oi to the current. Proved here three ways:

1. the learning window measured from the simulated readout (not from the closed form) for
   excitatory and inhibitory inputs at many lags, after a missing and after an extra output spike,
   equals the paper's equation worked by hand;
2. functionally: a readout that fires one spike too many, with its excitatory efficacies frozen,
   removes that spike by learning on its inhibitory synapses alone within a few presentations,
   while the opposite sign for inhibitory synapses never removes it;
3. a readout whose inputs are 30 % inhibitory (efficacies kept >= 0) learns the sequence task.
"""
import math

import numpy as np
import pytest

from spikecore.learning.resume import ReSuMe, matches_target, raster_times, sequence_task

DT = 1e-4
A_NH, A_W, TAU_W = 0.005, 0.05, 5e-3           # a, A, tau of the rule


def _layer(n_in, sign, **kw):
    return ReSuMe(n_in, 1, dt=DT, a=A_NH, A=A_W, tau=TAU_W, sign=sign, weight_scale=0.0, **kw)


def test_hand_worked_values():
    """Eq. 2.3 integrated over one trial, by hand for one input spike 2 ms before the post spike:
    a + A e^{-2/5} = 0.005 + 0.05 * 0.6703200460356393 = 0.038516002301781965."""
    value = A_NH + A_W * math.exp(-2e-3 / TAU_W)
    assert value == pytest.approx(0.038516002301781965, rel=1e-15)
    # missing output spike: excitatory +0.0385, inhibitory -0.0385 (inhibition is weakened);
    # extra output spike:   excitatory -0.0385, inhibitory +0.0385 (inhibition is strengthened).
    layer = _layer(2, [1.0, -1.0])
    T = 400
    x = np.zeros((T, 2), np.uint8)
    x[100, :] = 1                                   # both inputs spike at 10.0 ms
    d = np.zeros((T, 1), np.uint8)
    d[120, 0] = 1                                   # desired spike at 12.0 ms, weights 0: no output
    layer.run(x, d, learn=True)
    np.testing.assert_allclose(layer.weights[0], [0.038516002301781965, -0.038516002301781965], rtol=1e-12)


@pytest.mark.parametrize("error", ["missing", "extra"])
def test_learning_window_measured_from_the_simulation(error):
    """W(s) for s = t_post - t_in from -3 ms to +15 ms, read off the simulated per-trial change
    (Delta w - a term), for 19 excitatory and 19 inhibitory inputs in one presentation."""
    lags = np.arange(-30, 151, 10)                  # steps: -3 ms .. +15 ms
    n = lags.size
    sign = np.r_[np.ones(n), -np.ones(n), 1.0]      # last input: a strong, fixed driver
    layer = _layer(2 * n + 1, sign)
    T = 600
    x = np.zeros((T, 2 * n + 1), np.uint8)
    d = np.zeros((T, 1), np.uint8)
    if error == "missing":
        k_post = 300                                # desired spike at step 300, the output stays silent
        d[k_post, 0] = 1
    else:
        x[250, -1] = 1
        layer.weights[0, -1] = 6.0                  # the driver makes the neuron fire once
        out = np.nonzero(layer.run(x)[:, 0, 0])[0]
        assert out.size == 1
        k_post = int(out[0])                        # the extra (undesired) spike
    assert 150 <= k_post <= 500
    x[k_post - lags, np.arange(n)] = 1              # excitatory input j spikes lags[j] before
    x[k_post - lags, n + np.arange(n)] = 1          # inhibitory input j likewise
    w0 = layer.weights.copy()
    out = layer.run(x, d, learn=True)
    assert np.nonzero(out[:, 0, 0])[0].tolist() == ([] if error == "missing" else [k_post])
    dw = layer.weights[0] - w0[0]
    e = 1.0 if error == "missing" else -1.0         # S_d - S_o
    s = lags * DT
    window = np.where(s > 0, A_W * np.exp(-np.clip(s, 0, None) / TAU_W), 0.0)
    np.testing.assert_allclose(dw[:n], e * (A_NH + window), rtol=1e-9, atol=1e-15)     # excitatory
    np.testing.assert_allclose(dw[n:2 * n], -e * (A_NH + window), rtol=1e-9, atol=1e-15)  # inhibitory
    # the window of an inhibitory synapse is the negative of the excitatory one at every lag
    np.testing.assert_allclose(dw[n:2 * n], -dw[:n], rtol=0, atol=1e-15)


def _extra_spike_problem(seed):
    """40 excitatory + 40 inhibitory inputs at 20 Hz for 100 ms; the target is the neuron's own
    output with one spike removed."""
    rng = np.random.default_rng(seed)
    T, n_e, n_i = 1000, 40, 40
    x = (rng.random((T, n_e + n_i)) < 20 * DT).astype(np.uint8)
    sign = np.r_[np.ones(n_e), -np.ones(n_i)]
    layer = ReSuMe(n_e + n_i, 1, dt=DT, sign=sign, w_min=0.0, weight_scale=0.0)
    layer.weights = np.r_[rng.uniform(0, 0.6, n_e), rng.uniform(0, 0.2, n_i)][None].copy()
    out = raster_times(layer.run(x)[:, 0, :], DT)[0]
    k = rng.integers(out.size)
    target = np.delete(out, k)
    d = np.zeros((T, 1), np.uint8)
    d[np.round(target / DT).astype(int), 0] = 1
    return layer, x, d, target, n_e, out[k]


def _learn_with_inhibition_only(layer, x, d, target, n_e, flip, epochs=60):
    """Train; after every presentation restore the excitatory efficacies, so only inhibitory
    synapses learn. ``flip``: apply the opposite of ReSuMe's inhibitory change (the excitatory
    rule used on an inhibitory efficacy). Returns the epoch the target was met, or None."""
    w_exc = layer.weights[0, :n_e].copy()
    for epoch in range(epochs):
        before = layer.weights.copy()
        out = raster_times(layer.run(x, d, learn=True)[:, 0, :], DT)[0]
        if matches_target(out, target, 1e-3):
            return epoch
        if flip:
            change = layer.weights[0, n_e:] - before[0, n_e:]
            layer.weights[0, n_e:] = np.maximum(before[0, n_e:] - change, 0.0)
        layer.weights[0, :n_e] = w_exc
    return None


@pytest.mark.parametrize("seed", [1, 2, 6, 8])
def test_inhibitory_synapses_learn_to_suppress_an_extra_spike(seed):
    layer, x, d, target, n_e, t_extra = _extra_spike_problem(seed)
    assert target.size >= 1
    w_inh0 = layer.weights[0, n_e:].copy()
    # one presentation: the inhibitory inputs active just before the extra spike are strengthened
    probe = ReSuMe(layer.n_inputs, 1, dt=DT, sign=layer.sign, w_min=0.0, weight_scale=0.0)
    probe.weights = layer.weights.copy()
    probe.run(x, d, learn=True)
    k_extra = int(round(t_extra / DT))
    recent = x[max(k_extra - 20, 0):k_extra, n_e:].any(axis=0)     # spiked < 2 ms before it
    dw = probe.weights[0, n_e:] - w_inh0
    assert recent.any() and np.all(dw[recent] > 0)
    # ReSuMe's sign removes the spike with inhibitory learning alone; the opposite sign cannot
    epoch = _learn_with_inhibition_only(layer, x, d, target, n_e, flip=False)
    assert epoch is not None and epoch < 30
    assert layer.weights[0, n_e:].sum() > w_inh0.sum()             # net inhibition grew
    layer, x, d, target, n_e, _ = _extra_spike_problem(seed)
    assert _learn_with_inhibition_only(layer, x, d, target, n_e, flip=True) is None


def test_sequence_learning_with_inhibitory_inputs():
    """Ponulak & Kasiński (2010) §3.1 task with 30 % inhibitory inputs and efficacies >= 0."""
    x, target = sequence_task(random_state=3)
    sign = np.where(np.random.default_rng(3).random(200) < 0.3, -1.0, 1.0)
    layer = ReSuMe(200, 1, dt=DT, sign=sign, w_min=0.0, weight_scale=0.05, random_state=3)
    hist = layer.fit_sequence(x, target, epochs=300, stop_tolerance=2e-3)
    assert hist.converged_epoch is not None
    out = raster_times(layer.run(x)[:, 0, :], DT)[0]
    assert matches_target(out, target, 2e-3)
    assert np.all(layer.weights >= 0.0) and np.any(layer.weights[0, sign < 0] > 0.0)
