"""The fast inference path of converted networks (issue 12, performance): the event-driven IF
kernel against its twin, the synapse matrices against the layers they replace, and the
propagation modes and batch threads of ``SpikingModel.run`` against each other."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.conversion import convert, mlp, small_cnn
from spikecore.conversion.blocks import to_blocks
from spikecore.conversion.layers import Conv2D
from spikecore.conversion.spiking import _window_members
from spikecore.datasets import load_digits
from spikecore.kernels import conversion as K
from spikecore.reference import conversion as R


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 6), batch=st.integers(1, 3), n_in=st.integers(1, 24),
       n_rows=st.integers(1, 24), n=st.integers(1, 9), rate=st.floats(0.0, 1.0), soft=st.booleans(),
       v_th=st.sampled_from([0.25, 0.5, 1.0, 1.7]))
def test_if_event_run_matches_reference(seed, T, batch, n_in, n_rows, n, rate, soft, v_th):
    rng = np.random.default_rng(seed)
    spikes = (rng.random((T, batch, n_in)) < rate).astype(np.float32)
    row_of = rng.integers(0, n_rows, n_in).astype(np.int64)
    S = rng.normal(0, 0.4, (n_rows, n)).astype(np.float32)
    bias = rng.normal(0, 0.1, n).astype(np.float32)
    v0 = rng.normal(0, 0.3, (batch, n)).astype(np.float32)
    vk, vr = v0.copy(), v0.copy()
    ok, orf = np.full((T, batch, n), 7.0, np.float32), np.full((T, batch, n), 7.0, np.float32)
    K.if_event_run(spikes, row_of, S, bias, vk, np.float32(v_th), soft, np.empty(n, np.float32), ok)
    R.if_event_run(spikes, row_of, S, bias, vr, np.float32(v_th), soft, np.empty(n, np.float32), orf)
    np.testing.assert_array_equal(ok, orf)  # same additions in the same order: bit for bit
    np.testing.assert_array_equal(vk, vr)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 6), batch=st.integers(1, 3), n=st.integers(1, 16),
       n_rows=st.integers(1, 6), const=st.booleans(), soft=st.booleans(), v_th=st.sampled_from([0.5, 1.0, 1.3]))
def test_if_neuron_pool_run_matches_reference_and_if_neuron_run(seed, T, batch, n, n_rows, const, soft, v_th):
    rng = np.random.default_rng(seed)
    cur = rng.normal(0.3, 0.5, (1 if const else T, batch, n)).astype(np.float32)
    bias = rng.normal(0, 0.1, n).astype(np.float32)
    row_of = rng.integers(0, n_rows, n).astype(np.int64)
    members = _window_members(row_of, n_rows)
    assert sorted(members[members < n].tolist()) == list(range(n))
    v0 = rng.normal(0, 0.3, (batch, n)).astype(np.float32)
    out = {}
    for name, mod in (("kernel", K), ("twin", R)):
        v, counts = v0.copy(), np.ones((batch, n), np.float32)
        pooled = np.full((T, batch, n_rows), 9.0, np.float32)
        mod.if_neuron_pool_run(cur, bias, v, np.float32(v_th), soft, members, counts, pooled)
        out[name] = (v, counts, pooled)
    for a, b in zip(out["kernel"], out["twin"]):
        np.testing.assert_array_equal(a, b)
    # the same spikes as if_neuron_run, summed per window and counted
    v, spikes = v0.copy(), np.empty((T, batch, n), np.float32)
    K.if_neuron_run(cur, bias, v, np.float32(v_th), soft, spikes)
    np.testing.assert_array_equal(v, out["kernel"][0])
    np.testing.assert_array_equal(out["kernel"][1], 1.0 + spikes.sum(0))
    window_sum = np.zeros((T, batch, n_rows), np.float32)
    for i in range(n):
        window_sum[:, :, row_of[i]] += spikes[:, :, i]
    np.testing.assert_array_equal(out["kernel"][2], window_sum)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 31), T=st.integers(1, 4), batch=st.integers(1, 2), C=st.integers(1, 3),
       cout=st.integers(1, 5), H=st.integers(1, 7), W=st.integers(1, 7), k=st.integers(1, 4), stride=st.integers(1, 3),
       pad=st.integers(0, 2), rate=st.floats(0.0, 1.0), soft=st.booleans(), extra=st.booleans(),
       zeros=st.sampled_from(["none", "depthwise", "random"]))
def test_if_conv_event_run_matches_reference_and_the_convolution(seed, T, batch, C, cout, H, W, k, stride, pad, rate,
                                                                 soft, extra, zeros):
    from spikecore.conversion.blocks import Block
    rng = np.random.default_rng(seed)
    kh, kw = k, max(1, k - 1)
    Ho, Wo = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1
    if Ho < 1 or Wo < 1:
        return
    weight = rng.normal(0, 0.5, (cout, C, kh, kw)).astype(np.float32)
    if zeros == "depthwise":  # a grouped kernel held as a full one: output o reads input o % C only
        weight *= (np.arange(cout)[:, None] % C == np.arange(C)[None, :])[:, :, None, None]
    elif zeros == "random":  # pruned weights (the spans skip the zeros at the ends of a tap's row)
        weight *= rng.random(weight.shape) < 0.5
    wt = np.ascontiguousarray(weight.transpose(1, 2, 3, 0))
    span = K.tap_spans(wt)
    np.testing.assert_array_equal(span, R.tap_spans(wt))
    assert np.all(wt.reshape(-1, cout)[np.arange(cout)[None, :] < span[:, :1]] == 0)
    assert np.all(wt.reshape(-1, cout)[np.arange(cout)[None, :] >= span[:, 1:]] == 0)
    n_in, n = C * H * W, cout * Ho * Wo
    spikes = (rng.random((T, batch, n_in)) < rate).astype(np.float32)
    bias = rng.normal(0, 0.1, n).astype(np.float32)
    E = rng.normal(0, 0.3, (T, batch, n)).astype(np.float32) if extra else np.zeros((0, 0, 0), np.float32)
    v0 = rng.normal(0, 0.3, (batch, n)).astype(np.float32)
    out = {}
    for name, mod in (("kernel", K), ("twin", R)):
        v, sp = v0.copy(), np.full((T, batch, n), 7.0, np.float32)
        mod.if_conv_event_run(spikes, wt, span, H, W, stride, stride, pad, pad, Ho, Wo, E, bias, v, np.float32(1.0),
                              soft, np.empty(n, np.float32), sp)
        out[name] = (v, sp)
    np.testing.assert_array_equal(out["kernel"][0], out["twin"][0])  # same additions, same order
    np.testing.assert_array_equal(out["kernel"][1], out["twin"][1])
    # the current is the convolution of the spikes: one step from v = 0 and no bias gives v = conv(s) (+ E)
    conv = Conv2D(C, cout, (kh, kw), stride=stride, padding=pad, weight=weight, bias=np.zeros(cout, np.float32))
    block = Block(conv, (C, H, W))
    v = np.zeros((batch, n), np.float32)
    K.if_conv_event_run(spikes[:1], wt, span, H, W, stride, stride, pad, pad, Ho, Wo, E[:1], np.zeros(n, np.float32), v,
                        np.float32(np.inf), soft, np.empty(n, np.float32), np.empty((1, batch, n), np.float32))
    ref = block.linear(spikes[0], with_bias=False) + (E[0] if extra else 0.0)
    np.testing.assert_allclose(v, ref, rtol=1e-5, atol=1e-5)


def test_if_event_run_is_if_neuron_run_on_the_current():
    """Fed the same current, the event kernel and the dense IF kernel agree to float rounding."""
    rng = np.random.default_rng(3)
    T, batch, n_in, n = 20, 4, 40, 30
    spikes = (rng.random((T, batch, n_in)) < 0.2).astype(np.float32)
    S = rng.normal(0, 0.3, (n_in, n)).astype(np.float32)
    bias = rng.normal(0, 0.05, n).astype(np.float32)
    ve, vd = np.zeros((batch, n), np.float32), np.zeros((batch, n), np.float32)
    se, sd = np.empty((T, batch, n), np.float32), np.empty((T, batch, n), np.float32)
    K.if_event_run(spikes, np.arange(n_in), S, bias, ve, 1.0, True, np.empty(n, np.float32), se)
    cur = (spikes.reshape(-1, n_in).astype(np.float64) @ S).astype(np.float32).reshape(T, batch, n)
    K.if_neuron_run(cur, bias, vd, 1.0, True, sd)
    assert np.mean(se != sd) < 0.01
    np.testing.assert_allclose(ve.sum(), vd.sum(), atol=0.05 * batch * n)


@pytest.mark.parametrize("stride,padding,prepool", [((1, 1), (1, 1), None), ((2, 1), (0, 1), None),
                                                    ((1, 1), (1, 1), (2, 2)), ((1, 2), (2, 0), (1, 2))])
def test_synapse_matrix_equals_the_layer(stride, padding, prepool):
    """Every entry of S is a weight or zero, and one-hot inputs read exactly their row."""
    from spikecore.conversion.blocks import Block
    rng = np.random.default_rng(0)
    C, H, W = 3, 6, 8
    weight = rng.normal(0, 1, (4, C, 3, 3)).astype(np.float32)
    conv = Conv2D(C, 4, (3, 3), stride=stride, padding=padding, weight=weight, bias=np.zeros(4, np.float32))
    if prepool is None:
        block = Block(conv, (C, H, W))
    else:
        block = Block(conv, (C, H // prepool[0], W // prepool[1]), (prepool, (C, H, W)))
    S, rows = block.synapse_matrix(), block.input_rows()
    assert S.shape == (int(np.prod(block.in_shape)), block.n_out) and rows.shape == (block.n_in,)
    assert set(np.unique(S[S != 0])) <= set(np.unique(conv.weight))
    one_hot = np.eye(block.n_in, dtype=np.float32)
    np.testing.assert_array_equal(block.linear(one_hot, with_bias=False), S[rows])
    x = (rng.random((5, block.n_in)) < 0.3).astype(np.float32)
    np.testing.assert_allclose(block.sum_pool(x) @ S, block.linear(x, with_bias=False), rtol=1e-5, atol=1e-5)


def _digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


@pytest.fixture(scope="module")
def models():
    Xtr, ytr, Xte, yte = _digits()
    net = mlp((64, 96, 64, 10), random_state=0).fit(Xtr, ytr, epochs=4, batch_size=32, random_state=0)
    Xtr4, Xte4 = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    cnn = small_cnn((1, 8, 8), channels=(4, 8), random_state=0).fit(
        Xtr4, ytr, epochs=2, batch_size=32, learning_rate=3e-3, random_state=0)
    mx = small_cnn((1, 8, 8), channels=(4, 8), pool="max", batch_norm=False, random_state=1).fit(
        Xtr4, ytr, epochs=2, batch_size=32, learning_rate=3e-3, random_state=1)
    return dict(
        mlp_percentile=(convert(net, Xtr[:200], method="percentile"), Xte[:150]),
        mlp_data_poisson=(convert(net, Xtr[:200], method="data"), Xte[:150]),
        cnn_percentile=(convert(cnn, Xtr4[:200], method="percentile"), Xte4[:150]),
        cnn_maxpool_shift=(convert(mx, Xtr4[:200], method="shift"), Xte4[:150]),
    )


def _stats(snn):
    s = snn.last_stats
    return [np.concatenate(s["in_spikes"]), np.concatenate(s["out_spikes"] or [np.zeros(0)]), s["synaptic_adds"],
            s["macs"], s["neuron_updates"]]


@pytest.mark.parametrize("name", ["mlp_percentile", "mlp_data_poisson", "cnn_percentile", "cnn_maxpool_shift"])
def test_threads_change_no_number(models, name):
    snn, X = models[name]
    for propagation in ("dense", "event"):
        one = snn.run(X, 24, batch_size=64, random_state=5, n_threads=1, propagation=propagation)
        s1 = _stats(snn)
        three = snn.run(X, 24, batch_size=64, random_state=5, n_threads=3, propagation=propagation)
        np.testing.assert_array_equal(one, three)
        for a, b in zip(s1, _stats(snn)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["mlp_percentile", "mlp_data_poisson", "cnn_percentile", "cnn_maxpool_shift"])
def test_event_and_dense_propagation_agree(models, name):
    """Same float32 numbers added in another order: potentials to float rounding, the same
    predictions, spike counts equal up to the rare neuron whose potential sits within rounding of
    the threshold (checked: relative difference of the totals below 1e-3)."""
    snn, X = models[name]
    dense = snn.run(X, 32, random_state=2, propagation="dense")
    sd, ops_d = _stats(snn), snn.operations()
    for propagation in ("event", "auto"):
        out = snn.run(X, 32, random_state=2, propagation=propagation)
        np.testing.assert_array_equal(out.argmax(1), dense.argmax(1))
        np.testing.assert_allclose(out, dense, rtol=1e-3, atol=1e-3 * 32)
        ops = snn.operations()
        assert ops["macs"] == ops_d["macs"] and ops["neuron_updates"] == ops_d["neuron_updates"]
        np.testing.assert_allclose(ops["synaptic_adds"], ops_d["synaptic_adds"], rtol=1e-3)
        np.testing.assert_allclose(ops["spikes_per_layer"], ops_d["spikes_per_layer"], rtol=1e-3)
        assert np.abs(_stats(snn)[1] - sd[1]).sum() <= 1e-3 * sd[1].sum()


def _wide_cnn():
    """A CNN on 24 x 24 inputs: its second convolution's matrix is too sparse (6 % synapses), so
    it keeps the im2col route."""
    rng = np.random.default_rng(4)
    cnn = small_cnn((1, 24, 24), channels=(2, 4), random_state=4)
    X = rng.random((40, 1, 24, 24)).astype(np.float32)
    return convert(cnn, X, method="percentile"), X


def test_rate_path_matches_a_step_by_step_simulation(models):
    """The chunked, count-integrating path against a plain per-step loop written from the
    equations (float64 currents), on the average-pooling CNNs and the MLP."""
    wide = _wide_cnn()
    assert wide[0]._propagation()[1] is None
    for snn, X in (models["cnn_percentile"], models["mlp_percentile"], wide):
        X = X[:40]
        T = 20
        out = snn.run(X, T, propagation="auto")
        B = len(X)
        blocks = snn.blocks
        x = X.reshape(B, -1)
        v = [np.zeros((B, b.n_out)) for b in blocks[:-1]]
        acc = np.zeros((B, blocks[-1].n_out))
        first = blocks[0].linear(x, with_bias=False).astype(np.float64)
        for t in range(T):
            h = None
            for i, b in enumerate(blocks):
                cur = first if i == 0 else b.linear(h.astype(np.float32), with_bias=False).astype(np.float64)
                if i == len(blocks) - 1:
                    acc += cur + b.bias_per_neuron()
                    break
                v[i] += cur + b.bias_per_neuron()
                s = v[i] >= 1.0
                v[i] -= s
                h = s.astype(np.float64)
        assert np.mean(out.argmax(1) == acc.argmax(1)) >= 0.97
        np.testing.assert_allclose(out, acc, atol=0.05 * T)


def test_run_checks_its_new_arguments(models):
    snn, X = models["mlp_percentile"]
    with pytest.raises(ValueError, match="propagation"):
        snn.run(X[:4], 4, propagation="sparse")
    with pytest.raises(ValueError, match="n_threads"):
        snn.run(X[:4], 4, n_threads=0)


def test_to_blocks_matrix_route_for_the_digits_cnn():
    """The digits CNN's convolutions run as matrix products (dense enough, small enough)."""
    cnn = small_cnn((1, 8, 8), channels=(4, 8), random_state=0)
    snn = convert(cnn, np.random.default_rng(0).random((50, 1, 8, 8)).astype(np.float32), method="percentile")
    prop = snn._propagation()
    assert all(p is not None for p in prop)
    pre, blocks = to_blocks(cnn)
    assert [b.kind for b in blocks] == ["conv", "conv", "dense"]


def test_large_convolutions_run_event_driven_and_agree_with_im2col():
    """Convolutions whose synapse matrix is too large take im2col (dense) or, at low input rates,
    if_conv_event_run: the two give the same potentials to float rounding."""
    from spikecore.conversion import Conv2D, Dense, Flatten, ReLU, Sequential
    rng = np.random.default_rng(0)
    net = Sequential([Conv2D(1, 16, 3, padding=1, random_state=0), ReLU(),
                      Conv2D(16, 16, 3, padding=1, random_state=1), ReLU(),
                      Conv2D(16, 8, 3, stride=2, padding=1, random_state=2), ReLU(),
                      Flatten(), Dense(8 * 16 * 16, 3, random_state=3)], (1, 32, 32))
    X = rng.random((8, 1, 32, 32)).astype(np.float32)
    snn = convert(net, X, method="percentile")
    assert snn._propagation()[1] is None and snn._propagation()[2] is None  # 16 384 x 16 384: im2col
    assert snn._mode(1, 0.1, "auto", False) == "conv_event"
    assert snn._mode(1, 0.9, "auto", False) == "dense"
    assert snn._mode(2, 0.9, "event", False) == "conv_event"
    out = {p: snn.run(X, 12, propagation=p, n_threads=1) for p in ("dense", "event", "auto")}
    np.testing.assert_allclose(out["event"], out["dense"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out["auto"], out["dense"], rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("stride", [1, 2])
def test_pointwise_convolution_product_equals_the_layer(stride):
    """Block.linear's pointwise path (one matrix product per sample, strided by slicing) computes
    the Conv2D layer's own output; a 1x1 block stays on it unless events are forced."""
    from spikecore.conversion import Dense, Flatten, ReLU, Sequential
    from spikecore.conversion.blocks import Block
    rng = np.random.default_rng(stride)
    conv = Conv2D(5, 7, 1, stride=stride, random_state=0)
    x = rng.random((4, 5, 9, 9)).astype(np.float32)
    block = Block(conv, (5, 9, 9))
    np.testing.assert_allclose(block.linear(x.reshape(4, -1)), conv.forward(x).reshape(4, -1), rtol=1e-5, atol=1e-5)
    net = Sequential([Conv2D(1, 48, 3, padding=1, random_state=0), ReLU(), Conv2D(48, 48, 1, random_state=1), ReLU(),
                      Flatten(), Dense(48 * 32 * 32, 3, random_state=2)], (1, 32, 32))
    snn = convert(net, rng.random((4, 1, 32, 32)).astype(np.float32), method="percentile")
    assert snn._propagation()[1] is None
    assert snn._mode(1, 0.01, "auto", False) == "dense" and snn._mode(1, 0.01, "event", False) == "conv_event"
