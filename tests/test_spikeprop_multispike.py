"""Multi-spike SpikeProp (Booij & Nguyen 2005): kernels == reference twins, spike times satisfy
the definition, analytic dt/dw == central finite differences of exact spike times (relative
error < 1e-3) on nets whose hidden neurons fire several times, and XOR learns."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.kernels import spikeprop as K
from spikecore.learning import SpikePropClassifier, SpikePropNetwork
from spikecore.reference import spikeprop as R

T_MAX = 40e-3


def _layer(seed, batch, n_pre, n_post, m, n_pre_spikes):
    rng = np.random.default_rng(seed)
    pre = np.sort(rng.uniform(0.0, 10e-3, (batch, n_pre, n_pre_spikes)), axis=2)
    pre[rng.random(pre.shape) < 0.2] = np.inf
    pre = np.sort(pre, axis=2)
    w = rng.uniform(-0.2, 1.0, (n_post, n_pre, m))
    delays = np.sort(rng.uniform(0.0, 8e-3, m))
    return pre, w, delays


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 2), st.integers(1, 4), st.integers(1, 3),
       st.integers(1, 4), st.integers(1, 3), st.floats(2e-3, 10e-3), st.floats(0.5, 1.5))
def test_multi_spike_times_match_reference(seed, batch, n_pre, n_post, m, g, tau_r, theta):
    tau = 7e-3
    pre, w, delays = _layer(seed, batch, n_pre, n_post, m, g)
    step = min(tau, tau_r) / 20
    a = K.srm_multi_spike_times(pre, w, delays, tau, tau_r, theta, T_MAX, step, np.empty((batch, n_post, 5)))
    b = R.srm_multi_spike_times(pre, w, delays, tau, tau_r, theta, T_MAX, step, np.empty((batch, n_post, 5)))
    np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b))
    fin = np.isfinite(a)
    np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-15)


def _multi_net(seed, n_in=4, n_hid=3, n_out=2):
    rng = np.random.default_rng(seed)
    net = SpikePropNetwork(n_in, n_hid, n_out, delays=np.arange(1, 5) * 1e-3, tau=7e-3, t_max=T_MAX,
                           min_slope=1e-9, multi_spike=True, tau_refractory=4e-3, max_spikes=12,
                           n_inhibitory=1, random_state=seed)
    x = rng.uniform(0.0, 6e-3, (2, n_in))
    x[:, 0] = 0.0
    net.w_hid = rng.uniform(0.0, 0.3, net.w_hid.shape)
    net.w_out = rng.uniform(0.0, 0.15, net.w_out.shape) * net.sign_hid[None, :, None]
    net.w_out[:, -1, :] *= 0.3                                      # a weaker inhibitory neuron
    return net, x, rng


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_multi_gradients_match_reference(seed):
    net, x, rng = _multi_net(seed)
    h, o = net.forward(x)
    tgt = np.where(np.isfinite(o), o, T_MAX) + rng.uniform(-2e-3, 2e-3, o.shape)
    args = (x[:, :, None], h, o, tgt, net.w_hid, net.w_out, net.delays, net.tau,
            net.tau_refractory, net.theta, net.t_max, net.min_slope)
    gh_k, go_k = np.empty_like(net.w_hid), np.empty_like(net.w_out)
    gh_r, go_r = np.empty_like(net.w_hid), np.empty_like(net.w_out)
    e_k = K.spikeprop_multi_gradients(*args, gh_k, go_k)
    e_r = R.spikeprop_multi_gradients(*args, gh_r, go_r)
    assert e_k == pytest.approx(e_r, rel=1e-12)
    np.testing.assert_allclose(gh_k, gh_r, rtol=1e-9, atol=1e-12 * max(np.abs(gh_r).max(), 1e-30))
    np.testing.assert_allclose(go_k, go_r, rtol=1e-9, atol=1e-12 * max(np.abs(go_r).max(), 1e-30))


def test_spikes_are_the_threshold_crossings():
    """u(t^f) = theta from below (own earlier spikes counted), and u < theta in between."""
    net, x, _ = _multi_net(3)
    h, _ = net.forward(x)
    assert (np.isfinite(h).sum(axis=2) >= 2).any()
    for b in range(x.shape[0]):
        for j in range(net.n_hidden):
            spikes = h[b, j][np.isfinite(h[b, j])]
            own = h[b, j].copy()
            for f, tf in enumerate(spikes):
                u, du = K._multi_potential(tf, x[b][:, None], net.w_hid[j], net.delays, net.tau,
                                           own, f, net.tau_refractory, net.theta)
                assert u == pytest.approx(net.theta, abs=1e-9) and du > 0
                start = spikes[f - 1] if f else 0.0
                for t in np.linspace(start, tf, 50)[1:-1]:
                    u, _ = K._multi_potential(t, x[b][:, None], net.w_hid[j], net.delays, net.tau,
                                              own, f, net.tau_refractory, net.theta)
                    assert u < net.theta


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multi_gradient_matches_finite_differences(seed):
    """Analytic dt/dw (through every hidden spike and eta) == central difference of exact times."""
    net, x, rng = _multi_net(seed, n_out=1)
    h, o = net.forward(x)
    assert np.all(np.isfinite(o)) and (np.isfinite(h).sum(axis=2) >= 2).all(), "hidden must fire repeatedly"
    assert (np.isfinite(h).sum(axis=2) < net.max_spikes).all()   # no truncation
    _, g_hid, g_out = net.gradients(x, o - 1.0)        # dE/dw = sum_b 1 * dt_b/dw

    def total_time():
        _, out = net.forward(x)
        return float(np.sum(out))

    for w, g in ((net.w_out, g_out), (net.w_hid, g_hid)):
        flat = np.abs(g).ravel()
        picks = list(np.argsort(-flat)[:10]) + list(rng.choice(np.nonzero(flat > 1e-2 * flat.max())[0], 4))
        for f in picks:
            old = w.flat[f]
            step = 1e-6 * max(abs(old), 1e-2)
            w.flat[f] = old + step
            t_plus = total_time()
            w.flat[f] = old - step
            t_minus = total_time()
            w.flat[f] = old
            fd = (t_plus - t_minus) / (2 * step)
            assert abs(fd - g.flat[f]) <= 1e-3 * abs(fd), (f, fd, g.flat[f])


def test_first_spikes_equal_single_spike_model():
    """Refractoriness acts only after a spike: first hidden spikes == Bohte's single-spike times."""
    net, x, _ = _multi_net(4)
    h, _ = net.forward(x)
    single = K.srm_first_spike(x, net.w_hid, net.delays, net.tau, net.theta, net.t_max,
                               np.empty((x.shape[0], net.n_hidden)))
    np.testing.assert_allclose(h[:, :, 0], single, rtol=0, atol=1e-15)


X_XOR = np.array([[0, 0, 0], [0, 0, 6], [0, 6, 0], [0, 6, 6]], dtype=float) * 1e-3
Y_XOR = np.array([[16], [10], [10], [16]], dtype=float) * 1e-3


def test_xor_multi_spike_one_seed():
    """Bohte's XOR setup (3-5-1, 16 terminals, tau = 7 ms, eta = 0.01 ms^-2) with multi_spike."""
    net = SpikePropNetwork(3, 5, 1, t_max=50e-3, n_inhibitory=1, random_state=0,
                           multi_spike=True, tau_refractory=7e-3)
    history = net.fit(X_XOR, Y_XOR, learning_rate=1e4, epochs=500, tol=1e-6)
    assert history[-1] < 1e-6                       # SSE < 1 ms^2
    h, out = net.forward(X_XOR)
    assert np.all(np.abs(out - Y_XOR) < 1e-3)
    assert (np.isfinite(h).sum(axis=2) >= 2).any()  # the solution does use repeated firing


def test_classifier_passes_the_option_through():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1, 0.3, (10, 2)), rng.normal(1, 0.3, (10, 2))])
    y = np.repeat([0, 1], 10)
    clf = SpikePropClassifier(n_hidden=4, n_fields=4, epochs=5, random_state=0,
                              multi_spike=True, tau_refractory=5e-3).fit(X, y)
    assert clf.get_params()["multi_spike"] is True
    assert clf.network_.multi_spike and clf.network_.tau_refractory == 5e-3
    assert clf.predict(X).shape == (20,)
    assert not SpikePropNetwork(2, 2, 1).multi_spike         # default unchanged


# --------------------------------------------------------------------------- Iris scale
# Bohte et al. (2002) set-up: 4 features x 12 Gaussian receptive fields + 2 bias neurons = 50
# inputs, 10 hidden, 3 outputs, 16 terminals (delays 1..16 ms), tau = 7 ms; here with the
# multi-spike hidden layer of Booij & Nguyen (2005), tau_r = tau.

def _iris_split(n_train, seed=0):
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    X, y = datasets.load_iris(return_X_y=True)
    return train_test_split(X, y, train_size=n_train, stratify=y, random_state=seed)


def test_multi_gradient_matches_finite_differences_at_iris_scale():
    """50-10-3 with 16 terminals on Iris-encoded inputs, hidden neurons firing up to several
    times: analytic dt/dw == central differences (relative error < 1e-3), both layers."""
    Xtr, _, ytr, _ = _iris_split(30)
    clf = SpikePropClassifier(n_hidden=10, n_fields=12, n_bias=2, epochs=3, random_state=0,
                              multi_spike=True).fit(Xtr, ytr)
    net = clf.network_
    net.min_slope = 1e-9                                     # exact gradient (no clipping)
    x_all = clf.encode(Xtr)
    h, o = net.forward(x_all)
    repeated = (np.isfinite(h).sum(axis=2) >= 2).sum(axis=1)        # hidden neurons firing >= 2x
    keep = np.nonzero(np.all(np.isfinite(o), axis=1) & (repeated >= 2))[0]
    assert keep.size >= 3, "need samples where every output fires and hidden neurons fire repeatedly"
    x = x_all[keep[:3]]
    assert net.w_hid.shape == (10, 50, 16) and net.w_out.shape == (3, 10, 16)
    h, o = net.forward(x)
    _, g_hid, g_out = net.gradients(x, o - 1.0)              # dE/dw = sum of dt/dw
    rng = np.random.default_rng(0)

    def total_time():
        return float(np.sum(net.forward(x)[1]))

    for w, g in ((net.w_out, g_out), (net.w_hid, g_hid)):
        flat = np.abs(g).ravel()
        picks = list(np.argsort(-flat)[:8]) + list(rng.choice(np.nonzero(flat > 1e-2 * flat.max())[0], 4))
        for f in picks:
            old = w.flat[f]
            step = 1e-6 * max(abs(old), 1e-2)
            w.flat[f] = old + step
            t_plus = total_time()
            w.flat[f] = old - step
            t_minus = total_time()
            w.flat[f] = old
            fd = (t_plus - t_minus) / (2 * step)
            assert abs(fd - g.flat[f]) <= 1e-3 * abs(fd), (f, fd, g.flat[f])


def _iris_multi(Xtr, ytr, Xte, yte, epochs, seed):
    clf = SpikePropClassifier(n_hidden=10, n_fields=12, n_bias=2, epochs=epochs, random_state=seed,
                              multi_spike=True).fit(Xtr, ytr)
    h, _ = clf.network_.forward(clf.encode(Xtr))
    repeat = float(np.mean(np.isfinite(h).sum(axis=2) >= 2))   # share of (sample, hidden) firing >= 2x
    return clf.score(Xtr, ytr), clf.score(Xte, yte), repeat


def test_iris_multi_spike_fast():
    """Fast version: 30 training samples (10 per class), 30 epochs, tested on the other 120."""
    Xtr, Xte, ytr, yte = _iris_split(30)
    train, test, repeat = _iris_multi(Xtr, ytr, Xte, yte, 30, 0)
    assert train >= 0.95 and test >= 0.85, (train, test)
    assert repeat >= 0.1                                     # the hidden layer does fire repeatedly


@pytest.mark.slow
def test_iris_multi_spike_5fold():
    """Iris 50-10-3 as Bohte et al. (2002), multi-spike hidden layer, stratified 5-fold, 200 epochs."""
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import StratifiedKFold
    X, y = datasets.load_iris(return_X_y=True)
    res = [_iris_multi(X[tr], y[tr], X[te], y[te], 200, k)
           for k, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))]
    train, test, repeat = np.mean(res, axis=0)
    print("Iris multi-spike 5-fold: train %.3f test %.3f (folds %s), repeated firing %.2f"
          % (train, test, [round(r[1], 3) for r in res], repeat))
    assert test >= 0.92
