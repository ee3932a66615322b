"""ReSuMe sequence learning (Ponulak & Kasiński 2010, §3.1): one LIF neuron (tau_m 10 ms, theta 1,
refractory 2 ms, dt 0.1 ms), 200 Poisson inputs at 5 Hz for 200 ms, a 5-spike target. Success =
Schreiber correlation (sigma 2 ms) >= 0.95, every target spike matched within +-2 ms and no extra
spike, within 300 epochs."""
import numpy as np
import pytest

from spikecore.learning.resume import ReSuMe, matches_target, sequence_task
from spikecore.metrics import schreiber_correlation


def _learn(seed, mode="trial"):
    x, target = sequence_task(random_state=seed)
    layer = ReSuMe(200, 1, tau_mem=10e-3, v_th=1.0, t_ref=2e-3, dt=1e-4, mode=mode, random_state=seed)
    hist = layer.fit_sequence(x, target, epochs=300, stop_tolerance=2e-3, stop_correlation=0.95)
    return layer, x, target, hist


def _check(layer, x, target, hist):
    assert hist.converged_epoch is not None and hist.converged_epoch < 300
    out = np.nonzero(layer.run(x)[:, 0, 0])[0] * layer.dt     # the stored weights reproduce it
    assert matches_target(out, target, 2e-3)
    assert schreiber_correlation(out, target, 2e-3) >= 0.95
    assert hist.van_rossum[-1] < 0.5 * hist.van_rossum[0]


def test_sequence_learning_one_seed():
    layer, x, target, hist = _learn(0)
    _check(layer, x, target, hist)
    assert hist.van_rossum.shape == hist.schreiber.shape == hist.n_spikes.shape


def test_sequence_learning_online_one_seed():
    _check(*_learn(1, mode="online"))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["trial", "online"])
def test_sequence_learning_ten_seeds(mode):
    ok = 0
    for seed in range(10):
        layer, x, target, hist = _learn(seed, mode)
        print("seed %d (%s): epoch %s, van Rossum per epoch %s" % (
            seed, mode, hist.converged_epoch, np.array2string(hist.van_rossum, precision=3)))
        try:
            _check(layer, x, target, hist)
            ok += 1
        except AssertionError:
            pass
    assert ok >= 8


def test_fit_sequence_bad_input():
    layer = ReSuMe(3, 1)
    x = np.zeros((100, 3), np.uint8)
    with pytest.raises(ValueError, match="target_times"):
        layer.fit_sequence(x, np.array([0.5]))            # beyond the 10 ms pattern
    with pytest.raises(ValueError, match="target_times"):
        layer.fit_sequence(x, [np.array([1e-3]), np.array([2e-3])])
    with pytest.raises(ValueError, match="target_times"):
        layer.fit_sequence(x, np.array([np.nan]))
