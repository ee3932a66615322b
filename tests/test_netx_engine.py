"""read_netx returns an engine Network that reproduces lava-dl's golden outputs and the emulator bit for bit."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spikecore.interop.lava import (LoihiNetwork, NetxLayer, NetxNeuron, input_bias, read_netx, resource_report,
                                    run_netx, write_netx)
from spikecore.kernels import loihi as K
from spikecore.network import Network
from spikecore.neurons.loihi import LoihiCUBAInput
from spikecore.reference import loihi as R


def _gts(fixtures_dir, name):
    return np.load(fixtures_dir / "lava_netx" / "lava-dl_tests_gts_tinynet" / name)


def _tchw(a):
    return np.moveaxis(a[0], -1, 0)


def test_read_netx_gives_an_engine_network(fixtures_dir):
    net = read_netx(fixtures_dir / "lava_netx" / "lava-dl_tests_tiny.net")
    assert isinstance(net, Network)
    assert [p.name for p in net.populations] == ["layer0", "layer1", "layer2"]
    assert isinstance(net.populations[0].model, LoihiCUBAInput)
    assert [c.kind for c in net.connections] == ["conv2d", "conv2d"]
    assert isinstance(read_netx(fixtures_dir / "lava_netx" / "lava-dl_tests_tiny.net", emulator=True), LoihiNetwork)


def test_tinynet_golden_output_on_the_engine(fixtures_dir):
    # lava-dl test_hdf5.test_tinynet: input-layer bias per sample, 17 + 3 steps, staggered reset every 17
    net = read_netx(fixtures_dir / "lava_netx" / "lava-dl_tests_tiny.net")
    bias = _gts(fixtures_dir, "input_bias.npy").transpose(2, 1, 0).reshape(-1)
    net.record_spikes("layer0", "layer2")
    res = run_netx(net, 20, {"layer0": np.broadcast_to(bias, (20, 1, bias.size))}, reset_interval=17)
    gt = _tchw(_gts(fixtures_dir, "output.npy"))
    np.testing.assert_array_equal(res.raster("layer2")[2:17, 0].reshape(15, 36, 1, 1), gt[1:].astype(bool))
    # the input layer alone (test_blocks.test_input), with the bias as a constant current
    net.reset()
    res = net.run(15, {"layer0": bias})
    np.testing.assert_array_equal(res.raster("layer0")[:, 0].reshape(15, 3, 16, 16),
                                  _tchw(_gts(fixtures_dir, "input.npy"))[1:].astype(bool))


def test_conv_golden_currents_and_spikes_on_the_engine(fixtures_dir):
    # lava-dl test_blocks.test_conv: state zeroed after the first step, u == current * 64
    tiny = read_netx(fixtures_dir / "lava_netx" / "lava-dl_tests_tiny.net", emulator=True)
    net = LoihiNetwork([NetxLayer("input", (3, 16, 16)), tiny.layers[1]]).to_network()
    data = _tchw(_gts(fixtures_dir, "input.npy"))[1:]
    source = np.concatenate([data, data[:1]]).reshape(16, 1, -1).astype(np.uint8)
    net.record_spikes("layer0")
    u, s = [], []
    for k in range(16):
        if k == 1:
            for arr in net.state("layer0").values():
                arr[...] = 0
        s.append(net.run(1, {"input": source[k:k + 1]}).raster("layer0")[0, 0])
        u.append(net.state("layer0")["u"][0].copy())
    np.testing.assert_array_equal(np.array(u).reshape(16, 24, 6, 6), _tchw(_gts(fixtures_dir, "current.npy")) * 64)
    spikes = np.array(s).reshape(16, 24, 6, 6)
    spikes[0] = False
    np.testing.assert_array_equal(spikes, _tchw(_gts(fixtures_dir, "layer1.npy")).astype(bool))
    net.reset()  # the same through run_netx's reset (layer 0 at Lava step 2)
    got = run_netx(net, 16, {"input": source}, reset_interval=1000, reset_offset=1).raster("layer0")[:, 0]
    got[0] = False
    np.testing.assert_array_equal(got.reshape(16, 24, 6, 6), _tchw(_gts(fixtures_dir, "layer1.npy")).astype(bool))


def _events_to_raster(events, T, n):
    raster = np.zeros((T, n), np.uint8)
    t = np.round(events[:, 2]).astype(int)
    keep = (t >= 0) & (t < T)
    raster[t[keep], events[keep, 0].astype(int)] = 1
    return raster


def test_oxford_full_run_on_the_engine_equals_the_emulator(fixtures_dir):
    path = fixtures_dir / "lava_netx" / "lava-dl_oxford_network.net"
    x = _events_to_raster(np.load(fixtures_dir / "lava_netx" / "lava-dl_oxford" / "input.npy"), 2000, 200)
    want = read_netx(path, emulator=True).run(inputs=x)["spikes"]
    net = read_netx(path)
    net.record_spikes("layer0", "layer1")
    res = net.run(2000, {"input": x[:, None]})  # 9632 output spikes: the spike lists grow on the way
    np.testing.assert_array_equal(res.raster("layer0")[:, 0], want[0].astype(bool))
    np.testing.assert_array_equal(res.raster("layer1")[:, 0], want[1].astype(bool))
    assert int(want[1].sum()) == 9632


@pytest.mark.parametrize("name", ["lava-dl_tests_tiny.net", "lava-dl_oxford_network.net",
                                  "lava-dl_trained_mnist_network.net"])
def test_read_write_read_round_trip_through_the_engine(fixtures_dir, tmp_path, name):
    net = read_netx(fixtures_dir / "lava_netx" / name)
    path = write_netx(net, tmp_path / name)
    a = read_netx(fixtures_dir / "lava_netx" / name, emulator=True)
    b = read_netx(path, emulator=True)
    assert [(l.kind, tuple(l.shape)) for l in a.layers] == [(l.kind, tuple(l.shape)) for l in b.layers]
    for la, lb in zip(a.layers, b.layers):
        for f in ("weight", "bias"):
            x, y = getattr(la, f), getattr(lb, f)
            if x is not None:
                np.testing.assert_array_equal(np.asarray(x, float).ravel(), np.asarray(y, float).ravel())
        if la.neuron is not None:
            assert (la.neuron.i_decay, la.neuron.v_decay, la.neuron.vth_mant) == \
                (lb.neuron.i_decay, lb.neuron.v_decay, lb.neuron.vth_mant)
    assert [r["synapses"] for r in resource_report(net)] == [r["synapses"] for r in resource_report(a)]


def test_input_bias_uses_the_files_transform(fixtures_dir):
    net = read_netx(fixtures_dir / "lava_netx" / "lava-dl_tests_tiny.net")
    img = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(input_bias(net, img), 2 * 36 * img - 36 + 34)


@st.composite
def loihi_nets(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    nrn = lambda: NetxNeuron("CUBA", draw(st.integers(0, 4096)), draw(st.integers(0, 4096)),  # noqa: E731
                             draw(st.integers(1, 150)), 1, False)
    layers = []
    front = draw(st.sampled_from(["none", "conv", "input"]))
    if front != "none":
        if front == "input":
            layers.append(NetxLayer("input", (2, 7, 7), neuron=nrn(), weight=np.array([3.0]), bias=np.array([1.0])))
        else:
            layers.append(NetxLayer("input", (2, 7, 7)))
        groups, dil = draw(st.sampled_from([(1, (1, 1)), (2, (1, 1)), (1, (2, 1))]))
        w = rng.integers(-20, 21, size=(4, 2 // groups, 3, 3)).astype(float)
        conv = NetxLayer("conv", (4, 1, 1), neuron=nrn(), weight=w, bias=rng.integers(-5, 6, 4).astype(float),
                         stride=(2, 2), padding=(1, 0), dilation=dil, groups=groups)
        from spikecore.interop.lava import _conv_out_shape
        conv.shape = _conv_out_shape((2, 7, 7), conv)
        layers += [conv, NetxLayer("flatten", ())]
        n = conv.size
    else:
        n = draw(st.integers(2, 20))
    for _ in range(draw(st.integers(1, 3))):
        m = draw(st.integers(1, 12))
        w = np.clip(rng.integers(-256, 255, size=(m, n)) * draw(st.sampled_from([1, 2])), -256, 254).astype(float)
        kind = draw(st.sampled_from(["dense", "dense", "dense_rec"]))
        layer = NetxLayer(kind, (m,), neuron=nrn(), weight=w,
                          bias=rng.integers(-50, 50, m).astype(float) if draw(st.booleans()) else None)
        if kind == "dense_rec":
            layer.weight_rec = rng.integers(-64, 64, size=(m, m)).astype(float)
        elif draw(st.booleans()):
            layer.delay = rng.integers(0, 4, size=(m, n)).astype(float)
        layers.append(layer)
        n = m
    return LoihiNetwork(layers)


@pytest.mark.filterwarnings("ignore:Lava's Dense clips")
@settings(max_examples=12, deadline=None)
@given(loihi_nets(), st.integers(0, 2**31 - 1), st.sampled_from([None, 5]))
def test_engine_equals_emulator_and_writes_back(tmp_path_factory, loihi, seed, reset):
    rng = np.random.default_rng(seed)
    T = 14
    net = loihi.to_network()
    names = [p.name for p in net.populations if not p.is_source]
    net.record_spikes(*names)
    if loihi.neuron_layers[0].kind == "input":
        bias = rng.integers(-60, 60, size=(2, 2, 7, 7))
        want = loihi.run(T=T, bias=bias, reset_interval=reset)["spikes"]
        inputs = {"layer0": np.broadcast_to(bias.reshape(1, 2, -1), (T, 2, 98))}
    else:
        x = (rng.random((T, 2) + (loihi.input_shape or (2, 7, 7))) < 0.4).astype(np.uint8)
        want = loihi.run(inputs=x, reset_interval=reset)["spikes"]
        inputs = {"input": x.reshape(T, 2, -1)}
    res = run_netx(net, T, inputs, reset_interval=reset)
    for name, w in zip(names, want):
        np.testing.assert_array_equal(res.raster(name), w.reshape(T, 2, -1).astype(bool), err_msg=name)
    # engine -> netx -> engine keeps every integer
    path = tmp_path_factory.mktemp("netx") / "e.net"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_netx(write_netx(net, path))
    for c1, c2 in zip(net.connections, back.connections):
        np.testing.assert_array_equal(c1.to_dense(), c2.to_dense())


def test_graded_spikes_are_refused_by_name():
    layer = NetxLayer("dense", (3,), neuron=NetxNeuron("CUBA", 4096, 0, 10, graded_spike=True), weight=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"layers\[0\].neuron.graded_spike"):
        LoihiNetwork([layer]).to_network()


def test_write_netx_converts_a_float_engine_network(tmp_path):
    from spikecore.neurons import LIF
    net = Network(dt=1e-3)
    src = net.add_source(6, name="in")
    pop = net.add(LIF(tau_mem=20e-3, v_th=0.05, dtype=np.float64), n=4, name="lif", initial={"v": 0.0})
    net.connect(src, pop, weight=np.random.default_rng(0).normal(size=(4, 6)))
    loihi = read_netx(write_netx(net, tmp_path / "f.net"), emulator=True)
    assert [l.kind for l in loihi.layers] == ["dense"] and loihi.layers[0].neuron.v_decay == round(4096 * (1 - np.exp(-0.05)))


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6), st.integers(0, 4096), st.integers(0, 4096), st.integers(-3, 7))
def test_bias_input_kernels_equal_reference(seed, T, i_decay, v_decay, exp):
    rng = np.random.default_rng(seed)
    cur = rng.integers(-4096, 4096, size=(T, 2, 5)).astype(np.float64)
    bias = (rng.integers(-100, 100, size=5) << 6).astype(np.int32)
    vth = int(rng.integers(1, 3000))
    out = []
    for mod in (K, R):
        u = np.zeros((2, 5), np.int32); v = np.zeros((2, 5), np.int32)
        s = np.zeros((T, 2, 5), bool); tr = np.zeros((T, 2, 5))
        mod.loihi_cuba_bias_neuron_run(u, v, cur, i_decay, v_decay, bias, exp, vth, s, tr)
        out.append((s, tr, u))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
    # with the current decay 4096 (netx's input layer) the bias equals a synaptic input of the mantissas
    if exp == 6:
        u = np.zeros((2, 5), np.int32); v = np.zeros((2, 5), np.int32)
        s = np.zeros((T, 2, 5), bool); tr = np.zeros((T, 2, 5))
        K.loihi_cuba_neuron_run(u, v, cur, 4096, v_decay, bias, vth, s, tr)
        u2 = np.zeros((2, 5), np.int32); v2 = np.zeros((2, 5), np.int32)
        s2 = np.zeros((T, 2, 5), bool); tr2 = np.zeros((T, 2, 5))
        K.loihi_cuba_bias_neuron_run(u2, v2, cur, 4096, v_decay, bias, 6, vth, s2, tr2)
        np.testing.assert_array_equal(s, s2)
