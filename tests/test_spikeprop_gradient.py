"""SpikeProp gradient check: analytic dE/dw (Bohte 2002) == central finite differences of E
computed with exact spike times, relative error < 1e-3, output and hidden weights."""
import numpy as np
import pytest

from spikecore.learning import SpikePropNetwork


def _net_where_every_neuron_fires(seed):
    rng = np.random.default_rng(seed)
    net = SpikePropNetwork(5, 4, 3, tau=7e-3, t_max=60e-3, n_inhibitory=1, min_slope=1e-9,
                           random_state=seed)
    x = rng.uniform(0.0, 8e-3, (3, 5))
    x[:, 0] = 0.0                                     # bias neuron
    net.initialize(x)
    h, o = net.forward(x)
    return net, x, h, o, rng


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gradient_matches_finite_differences(seed):
    net, x, h, o, rng = _net_where_every_neuron_fires(seed)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(o)), "test net must fire everywhere"
    target = o + rng.uniform(-3e-3, 3e-3, o.shape)
    _, g_hid, g_out = net.gradients(x, target)

    def error():
        _, out = net.forward(x)
        assert np.all(np.isfinite(out))
        return 0.5 * np.sum((out - target) ** 2)

    for w, g in ((net.w_out, g_out), (net.w_hid, g_hid)):
        # the 12 largest gradient entries of each layer, plus 4 random ones with y > 0
        flat = np.abs(g).ravel()
        picks = list(np.argsort(-flat)[:12]) + list(rng.choice(np.nonzero(flat > 1e-3 * flat.max())[0], 4))
        for f in picks:
            old = w.flat[f]
            step = 1e-6 * max(abs(old), 1e-2)
            w.flat[f] = old + step
            e_plus = error()
            w.flat[f] = old - step
            e_minus = error()
            w.flat[f] = old
            fd = (e_plus - e_minus) / (2 * step)
            assert abs(fd - g.flat[f]) <= 1e-3 * abs(fd), (f, fd, g.flat[f])


def test_spike_time_derivative_of_output_weight():
    """dt_j/dw_ij^k = -y_i^k(t_j) / xdot_j: recovered from the gradient with target = t - 1."""
    net, x, h, o, rng = _net_where_every_neuron_fires(5)
    _, _, g_out = net.gradients(x[:1], o[:1] - 1.0)   # dE/dw = (t - t_d) dt/dw = 1 * dt/dw
    j, i, k = 0, 1, 3
    y = 0.0
    s = o[0, j] - h[0, i] - net.delays[k]
    if s > 0:
        y = s / net.tau * np.exp(1 - s / net.tau)
    eps_prime = lambda s: (1 - s / net.tau) * np.exp(1 - s / net.tau) / net.tau if s > 0 else 0.0
    xdot = sum(net.w_out[j, a, b] * eps_prime(o[0, j] - h[0, a] - net.delays[b])
               for a in range(net.n_hidden) for b in range(net.delays.size))
    assert g_out[j, i, k] == pytest.approx(-y / xdot, rel=1e-10)


def test_silent_output_convention_pushes_weights_up():
    """A silent output neuron is treated as firing at t_max: the update raises its weights."""
    net = SpikePropNetwork(2, 3, 1, random_state=0, t_max=30e-3)
    x = np.array([[0.0, 2e-3]])
    net.initialize(x)
    net.w_out[...] = 1e-4                       # far too weak: the output stays silent
    assert np.isinf(net.forward(x)[1][0, 0])
    err, _, g_out = net.gradients(x, np.array([[15e-3]]))
    assert err == pytest.approx(0.5 * (30e-3 - 15e-3) ** 2)
    assert np.all(g_out <= 0) and np.any(g_out < 0)   # w <- w - eta g grows
    before = net.w_out.copy()
    net.train_epoch(x, np.array([[15e-3]]), 1e4)
    assert np.all(net.w_out >= before) and np.any(net.w_out > before)


def test_min_slope_bounds_the_update():
    """Near threshold the slope is clipped at min_slope: |delta| <= |t_d - t_a| / min_slope."""
    net = SpikePropNetwork(1, 1, 1, delays=[1e-3], random_state=0, min_slope=50.0)
    net.w_hid[...] = 3.0
    net.w_out[...] = 1.0 + 1e-10                # output barely grazes the threshold
    x = np.zeros((1, 1))
    h, o = net.forward(x)
    assert np.isfinite(o[0, 0])
    _, _, g_out = net.gradients(x, o + 1e-3)
    # y <= 1, so |dE/dw| <= 1e-3 / 50
    assert np.abs(g_out).max() <= 1e-3 / 50.0 * (1 + 1e-12)
