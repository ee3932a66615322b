"""Bad input to conversion, interop, NEF, datasets, metrics and distributed fails clearly;
corrupt files name the file (and the byte offset); valid edge cases keep working.

Every bad case here was found by an audit (about 2 800 calls in forked processes: wrong types,
shapes, NaN, out-of-range values, missing files and folders, truncated and byte-flipped files of
every reader). Before the fixes these were silently accepted (``LstsqL2(weights="False")`` solved
neuron-to-neuron weights, ``small_cnn((1.5, 8, 8))`` truncated to one channel, netx layers without
a neuron group got a default that never fires, events outside ``sensor_size`` were written, a
chip name could inject header lines, NaN images became garbage bias mantissas, spike times read
back as NaN), or raised raw ``AttributeError``/``KeyError``/``IndexError``/``RuntimeError``,
NumPy errors, or errors naming another argument or no file. Each case asserts the exception type
and the argument (or file) named in the message.
"""
import h5py
import numpy as np
import pytest

import spikecore.conversion as C
import spikecore.distributed as D
import spikecore.metrics as M
from spikecore import datasets as DS
from spikecore import nef
from spikecore.conversion import layers as L
from spikecore.datasets import aer
from spikecore.datasets.aer import EVENT_DTYPE, CorruptFileError
from spikecore.interop import lava as LV
from spikecore.network import Network
from spikecore.neurons import LIF, Izhikevich

NAN = float("nan")
RNG = np.random.default_rng(0)
X = RNG.random((12, 4)).astype(np.float32)
Y = RNG.integers(0, 3, 12)


def ann():
    return C.mlp((4, 6, 3), random_state=0)


def snn(method="shift"):
    return C.convert(ann(), X, method)


def events(n=50, t_step=10):
    ev = np.zeros(n, EVENT_DTYPE)
    ev["t"] = np.arange(n) * t_step
    ev["x"] = np.arange(n) % 30
    ev["y"] = np.arange(n) % 20
    ev["p"] = np.arange(n) % 2
    return ev


def izh_net():
    net = Network(dt=1e-3)
    src = net.add_source(3, name="in")
    net.connect(src, net.add(Izhikevich(dtype=np.float64), n=2, name="izh"), weight=np.ones((2, 3)))
    return net


def nnet():
    net = nef.Network(seed=0)
    return net, net.ensemble(20, 1), net.ensemble(20, 1)


def check(thunk, exc, match):
    with pytest.raises(exc, match=match):
        thunk()


# -- conversion -----------------------------------------------------------------------------------
CONVERSION_BAD = [
    ("Sequential layers=None", lambda: C.Sequential(None, (4,)), TypeError, r"layers = None: expected"),
    ("Sequential shape mismatch", lambda: C.Sequential([L.Dense(4, 3)], (5,)), ValueError, r"layers\[0\] = Dense"),
    ("Sequential conv larger than input", lambda: C.Sequential([L.Conv2D(1, 2, 5), L.Flatten(), L.Dense(2, 3)],
                                                               (1, 3, 3)), ValueError, r"layers\[0\].*not empty"),
    ("Sequential Scale vs input", lambda: C.Sequential([L.Scale(np.ones(3)), L.Dense(4, 3)], (4,)), ValueError,
     r"scale = <array of shape \(3,\)>"),
    ("logits batch_size=-1", lambda: ann().logits(X, batch_size=-1), ValueError, r"batch_size = -1"),
    ("logits batch_size=0", lambda: ann().logits(X, batch_size=0), ValueError, r"batch_size = 0"),
    ("Sequential.score y length", lambda: ann().score(X, Y[:5]), ValueError, r"y = <5 labels>"),
    ("fit optimizer=None", lambda: ann().fit(X, Y, optimizer=None), TypeError, r"optimizer = None"),
    ("fit verbose='False'", lambda: ann().fit(X, Y, epochs=1, verbose="False"), TypeError, r"verbose = 'False'"),
    ("mlp sizes=None", lambda: C.mlp(None), TypeError, r"sizes = None"),
    ("mlp dropout=-0.5", lambda: C.mlp((4, 3, 2), dropout=-0.5), ValueError, r"dropout = -0.5"),
    ("mlp softlif='abc'", lambda: C.mlp((4, 3, 2), activation="softlif", softlif="abc"), TypeError, r"softlif = 'abc'"),
    ("mlp softlif bad key", lambda: C.mlp((4, 3, 2), activation="softlif", softlif={"bogus": 1}), TypeError,
     r"softlif = .*bogus"),
    ("small_cnn input_shape (1, 8)", lambda: C.small_cnn((1, 8)), ValueError, r"input_shape = \(1, 8\)"),
    ("small_cnn input_shape 1.5", lambda: C.small_cnn((1.5, 8, 8)), TypeError, r"input_shape = 1.5"),
    ("small_cnn input_shape too small", lambda: C.small_cnn((1, 2, 2)), ValueError, r"input_shape = \(1, 2, 2\)"),
    ("small_cnn n_classes=0", lambda: C.small_cnn((1, 8, 8), 0), ValueError, r"n_classes = 0"),
    ("small_cnn channels=5", lambda: C.small_cnn((1, 8, 8), 3, channels=5), TypeError, r"channels = 5"),
    ("small_cnn batch_norm='False'", lambda: C.small_cnn((1, 8, 8), 3, batch_norm="False"), TypeError,
     r"batch_norm = 'False'"),
    ("MaxPool2D padding >= kernel", lambda: L.MaxPool2D(2, padding=2), ValueError, r"padding = 2"),
    ("convert calibration_timesteps=0", lambda: C.convert(ann(), X, calibration_timesteps=0), ValueError,
     r"calibration_timesteps = 0"),
    ("convert random_state='x'", lambda: C.convert(ann(), X, "spike-norm", random_state="x"), TypeError,
     r"random_state = 'x'"),
    ("run blas_threads=0", lambda: snn().run(X, 4, blas_threads=0), ValueError, r"blas_threads = 0"),
    ("SpikingModel.score X=None", lambda: snn().score(None, Y, 4), TypeError, r"X = .*expected a numeric array"),
    ("report timesteps=16", lambda: snn().report(X, Y, 16), TypeError, r"timesteps = 16"),
    ("report progress='no'", lambda: snn().report(X, Y, (4,), progress="no"), TypeError, r"progress = 'no'"),
    ("load_onnx path=None", lambda: C.load_onnx(None), TypeError, r"path = None: expected a file path"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in CONVERSION_BAD], ids=[c[0] for c in CONVERSION_BAD])
def test_conversion_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_load_onnx_names_the_file_of_a_damaged_model(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    W = numpy_helper.from_array(np.ones((3, 4), np.float32), "W")
    b = numpy_helper.from_array(np.zeros(3, np.float32), "b")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    model = helper.make_model(helper.make_graph([helper.make_node("Gemm", ["x", "W", "b"], ["y"], transB=1)], "g",
                                                [x], [y], [W, b]), opset_imports=[helper.make_opsetid("", 13)])
    good = tmp_path / "good.onnx"
    onnx.save(model, good)
    assert C.load_onnx(good).predict(X).shape == (12,)
    model.graph.initializer[0].dims[:] = [3]  # W claims 3 values and holds 12
    bad = tmp_path / "damaged.onnx"
    onnx.save(model, bad)
    with pytest.raises(ValueError, match="damaged.onnx"):
        C.load_onnx(bad)
    text = tmp_path / "notes.onnx"
    text.write_text("not a model\n")
    with pytest.raises(ValueError, match="notes.onnx.*expected an ONNX"):
        C.load_onnx(text)


def test_conversion_edge_cases():
    assert ann().predict(X[:0]).shape == (0,)  # no samples (used to fail reshaping)
    assert C.small_cnn([1, 8, 8], np.int64(3), channels=(2,)).predict(RNG.random((2, 1, 8, 8))).shape == (2,)
    assert C.mlp(np.array([4, 6, 3]), dropout=0.0).score(X, Y) >= 0
    assert L.MaxPool2D(3, padding=1).padding == (1, 1)
    assert C.Sequential([L.Scale(np.ones((1, 1, 1)), 0.5), L.Flatten(), L.Dense(16, 2)], (1, 4, 4)).shapes[-1] == (2,)
    model = snn("data")
    assert model.run(X, 4, blas_threads=None).shape == (12, 3)
    assert C.convert(ann(), X, "spike-norm", calibration_timesteps=np.int64(8), random_state=np.random.default_rng(1))
    assert snn().report(X, Y, [4], progress=False).rows[0]["timesteps"] == 4


# -- interop --------------------------------------------------------------------------------------
def netx_variant(fixtures_dir, tmp_path, name, edit):
    src = fixtures_dir / "lava_netx" / "lava-dl_oxford_network.net"
    if not src.exists():
        pytest.skip("fixture missing")
    dst = tmp_path / ("%s.net" % name)
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as h5:
        edit(h5)
    return dst


def _replace(h5, key, data):
    del h5[key]
    h5.create_dataset(key, data=data)


NETX_DAMAGED = [
    ("no_neuron", lambda h5: h5.__delitem__("layer/0/neuron"), r"layer/0 has no 'neuron' group"),
    ("no_vth", lambda h5: h5.__delitem__("layer/0/neuron/vThMant"), r"layer/0/neuron: no 'vThMant'"),
    ("no_shape", lambda h5: h5.__delitem__("layer/1/shape"), r"layer/1 has no 'shape'"),
    ("str_shape", lambda h5: _replace(h5, "layer/0/shape", np.array([b"big"])), r"layer/0/shape = .*expected"),
    ("weight_shape", lambda h5: _replace(h5, "layer/1/weight", np.ones((3, 3), np.float32)), r"layer/1/weight"),
    ("empty", lambda h5: [h5["layer"].__delitem__(k) for k in list(h5["layer"].keys())], r"'layer' group is empty"),
    ("bad_decay", lambda h5: _replace(h5, "layer/0/neuron/vDecay", np.array([b"x"])), r"vDecay = .*expected one "
                                                                                       r"integer"),
    ("weight_nan", lambda h5: _replace(h5, "layer/0/weight", np.full((256, 200), NAN, np.float32)),
     r"weight = .*non-integer"),
]


@pytest.mark.parametrize("name, edit, match", NETX_DAMAGED, ids=[c[0] for c in NETX_DAMAGED])
def test_read_netx_damaged_file_names_it(fixtures_dir, tmp_path, name, edit, match):
    path = netx_variant(fixtures_dir, tmp_path, name, edit)
    with pytest.raises(ValueError, match=match) as info:
        LV.read_netx(path)
    assert str(path) in str(info.value)


def float_net():
    net = Network(dt=1e-3)
    src = net.add_source(6, name="in")
    pop = net.add(LIF(tau_mem=20e-3, v_th=0.05, dtype=np.float64), n=4, name="lif", initial={"v": 0.0})
    net.connect(src, pop, weight=np.random.default_rng(0).normal(size=(4, 6)))
    return net


INTEROP_BAD = [
    ("read_netx path=None", lambda: LV.read_netx(None), TypeError, r"path = None"),
    ("read_netx emulator='False'", lambda: LV.read_netx("x.net", emulator="False"), TypeError, r"emulator = 'False'"),
    ("write_netx Izhikevich", lambda: LV.write_netx(izh_net(), "x.net"), TypeError, r"population 'izh' = 'Izhikevich'"),
    ("write_netx path=None", lambda: LV.write_netx(float_net(), None), TypeError, r"path = None"),
    ("run_netx network=None", lambda: LV.run_netx(None, 5), TypeError, r"network = None"),
    ("run_netx inputs='abc'", lambda: LV.run_netx(float_net(), 5, "abc"), TypeError, r"inputs = 'abc'"),
    ("resource_report None", lambda: LV.resource_report(None), TypeError, r"network = None"),
    ("input_bias NaN image", lambda: LV.input_bias(float_net(), np.full(3, NAN)), ValueError, r"image = .*nan"),
    ("input_bias network=None", lambda: LV.input_bias(None, np.zeros(3)), TypeError, r"network = None"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in INTEROP_BAD], ids=[c[0] for c in INTEROP_BAD])
def test_interop_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_nir_bad_input_and_damaged_files(fixtures_dir, tmp_path):
    pytest.importorskip("nir")
    from spikecore.interop import nir as NR
    check(lambda: NR.from_nir(None), TypeError, r"graph_or_path = None")
    check(lambda: NR.read_nir(3), TypeError, r"path = 3")
    check(lambda: NR.to_nir(izh_net()), TypeError, r"population 'izh'")
    check(lambda: NR.write_nir(float_net(), None), TypeError, r"path = None")
    src = fixtures_dir / "nir" / "NIR_paper_01_lif" / "lif_norse.nir"
    if not src.exists():
        pytest.skip("fixture missing")
    check(lambda: NR.from_nir(src, as_graph="False"), TypeError, r"as_graph = 'False'")
    check(lambda: NR.to_nir(NR.from_nir(src, as_graph=True), type_check="no"), TypeError, r"type_check = 'no'")
    for name, edit in (("no_nodes", lambda h5: h5.__delitem__("node/nodes")),
                       ("string_weight", lambda h5: _replace(h5, "node/nodes/0/weight", np.bytes_(b"abc"))),
                       ("bad_edge", lambda h5: _replace(h5, "node/edges",
                                                        np.array([[b"input", b"0"], [b"0", b"zz"]])))):
        dst = tmp_path / ("%s.nir" % name)
        dst.write_bytes(src.read_bytes())
        with h5py.File(dst, "r+") as h5:
            edit(h5)
        with pytest.raises((ValueError, OSError), match=name):
            NR.from_nir(dst)
    assert NR.from_nir(src, as_graph=np.bool_(True)).dt > 0


# -- NEF ------------------------------------------------------------------------------------------
def _sim_after_adding_a_probe():
    net, a, b = nnet()
    sim = nef.Simulator(net)
    net.probe(a)
    sim.run(0.01)


NEF_BAD = [
    ("rates neuron_type='bogus'", lambda: nef.Ensemble(5, 1, seed=0).rates([0.0], neuron_type="bogus"), ValueError,
     r"neuron_type = 'bogus'"),
    ("max_rates_intercepts gain 0", lambda: nef.max_rates_intercepts([0.0], [1.0]), ValueError, r"gain = 0.0"),
    ("max_rates_intercepts shapes", lambda: nef.max_rates_intercepts([1.0, 2.0], [1.0]), ValueError, r"bias = "),
    ("lif_rate J='abc'", lambda: nef.lif_rate("abc"), TypeError, r"J = "),
    ("lif_rate J NaN", lambda: nef.lif_rate([NAN]), ValueError, r"J = "),
    ("lif_rate tau_rc=-1", lambda: nef.lif_rate([2.0], tau_rc=-1), ValueError, r"tau_rc = -1"),
    ("rates_from_current J=None", lambda: nef.rates_from_current(None, "relu"), TypeError, r"J = "),
    ("Uniform.sample n=-1", lambda: nef.Uniform(0, 1).sample(-1), ValueError, r"n = -1"),
    ("UniformHypersphere.sample n=1.5", lambda: nef.UniformHypersphere().sample(1.5, 2), TypeError, r"n = 1.5"),
    ("UniformHypersphere surface='False'", lambda: nef.UniformHypersphere(surface="False"), TypeError, r"surface"),
    ("ScatteredHypersphere surface=2", lambda: nef.ScatteredHypersphere(surface=2), TypeError, r"surface = 2"),
    ("LstsqL2 weights='False'", lambda: nef.LstsqL2(weights="False"), TypeError, r"weights = 'False'"),
    ("solve_l2 A 1-D", lambda: nef.solve_l2(np.ones(4), np.ones(4), 0.1), ValueError, r"A = "),
    ("solve_l2 sigma negative", lambda: nef.solve_l2(np.ones((4, 3)), np.ones(4), -1.0), ValueError, r"sigma = -1.0"),
    ("solve_l2 Y rows", lambda: nef.solve_l2(np.ones((4, 3)), np.ones(5), 0.1), ValueError, r"Y = "),
    ("input function returning 'x'", lambda: nef.Network().input(lambda t: "x"), ValueError,
     r"output = .*returning numbers"),
    ("input function returning None", lambda: nef.Network().input(lambda t: None), ValueError, r"output = .*finite"),
    ("input cycle='no'", lambda: nef.Network().input(np.zeros((3, 1)), cycle="no"), TypeError, r"cycle = 'no'"),
    ("connect function returning 'x'", lambda: (lambda t: t[0].connect(t[1], t[2], function=lambda x: "x"))(nnet()),
     ValueError, r"function = .*returning numbers"),
    ("probe solver='x'", lambda: (lambda t: t[0].probe(t[1], solver="x"))(nnet()), TypeError, r"solver = 'x'"),
    ("trange sample_every=0", lambda: nef.Simulator(nnet()[0]).trange(0), ValueError, r"sample_every = 0"),
    ("run after adding a probe", _sim_after_adding_a_probe, ValueError, r"network = .*objects were added"),
    ("Ensemble eval_points empty", lambda: nef.Ensemble(5, 2, eval_points=np.zeros((0, 2))), ValueError,
     r"eval_points = .*at least one point"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in NEF_BAD], ids=[c[0] for c in NEF_BAD])
def test_nef_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_nef_edge_cases():
    assert nef.ScatteredHypersphere().sample(0, 3, 0).shape == (0, 3)  # used to refuse n = 0
    assert nef.UniformHypersphere(surface=np.bool_(True)).sample(0, 2, 0).shape == (0, 2)
    assert nef.Uniform(0, 1).sample(0).shape == (0,)
    assert np.allclose(nef.solve_l2([[1.0, 0.0], [0.0, 1.0]], [1.0, 2.0], 0.0), [1.0, 2.0])
    assert nef.lif_rate([]).shape == (0,)
    assert nef.LstsqL2(weights=1).weights is True
    net, a, b = nnet()
    net.input(lambda t: np.float32(t), label="float32 scalar")
    sim = nef.Simulator(net)
    sim.run(0.005)
    assert sim.trange(0.002).shape == (2,)


# -- AER files ------------------------------------------------------------------------------------
AER_BAD = [
    ("read_events path=None", lambda: aer.read_events(None), TypeError, r"path = None"),
    ("read_header path=3", lambda: aer.read_header(3), TypeError, r"path = 3"),
    ("detect_format path=None", lambda: aer.detect_format(None), TypeError, r"path = None"),
    ("iter_events path=None", lambda: list(aer.iter_events(None)), TypeError, r"path = None"),
    ("write sensor_size=5", lambda: aer.write_events("x.raw", events(), "evt3", sensor_size=5), TypeError,
     r"sensor_size = 5"),
    ("write sensor_size=(10,)", lambda: aer.write_events("x.raw", events(), "evt2", sensor_size=(10,)), ValueError,
     r"sensor_size = \(10,\)"),
    ("write sensor_size=(10, 10, 2)", lambda: aer.write_events("x.raw", events(), "evt21", sensor_size=(10, 10, 2)),
     ValueError, r"sensor_size = \(10, 10, 2\)"),
    ("write events outside sensor_size", lambda: aer.write_events("x.raw", events(), "evt3", sensor_size=(10, 10)),
     ValueError, r"events = .*inside sensor_size = \(10, 10\)"),
    ("write aedat2 chip with a newline", lambda: aer.write_events("x.aedat", events(), "aedat2", chip="a\r\n# b"),
     ValueError, r"chip = "),
    ("write aedat2 chip=3", lambda: aer.write_events("x.aedat", events(), "aedat2", chip=3), TypeError, r"chip = 3"),
    ("write path=None", lambda: aer.write_events(None, events(), "evt3"), TypeError, r"path = None"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in AER_BAD], ids=[c[0] for c in AER_BAD])
def test_aer_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_aer_write_to_a_folder_and_events_inside_the_sensor(tmp_path):
    with pytest.raises(IsADirectoryError, match="path = "):
        aer.write_events(tmp_path, events(), "evt3")
    ev = events()
    for fmt in ("evt2", "evt21", "evt3"):
        path = tmp_path / ("ok." + fmt)
        aer.write_events(path, ev, fmt, sensor_size=np.array([30, 20]))  # the tightest sensor: x < 30, y < 20
        assert np.array_equal(aer.read_events(path), ev)
        assert aer.read_header(path).sensor_size == (30, 20)


def test_evt21_file_ending_with_a_time_high_word_reads(tmp_path):
    """A stream cut after a time-high word holds every event: read_events used to raise RuntimeError
    ("decoder stopped") because the counting kernel stops before that word."""
    ev = events(300, t_step=37)
    path = tmp_path / "a.raw"
    aer.write_events(path, ev, "evt21")
    data = path.read_bytes()
    start = aer.read_header(path).data_offset
    words = np.frombuffer(data[start:], "<u8")
    ends = [i + 1 for i, w in enumerate(words) if w >> np.uint64(60) == 8][1:4]  # after a time-high word
    assert ends
    for k in ends:
        cut = tmp_path / ("cut%d.raw" % k)
        cut.write_bytes(data[:start + 8 * k])
        got = aer.read_events(cut)
        assert np.array_equal(got, ev[:len(got)])
        assert np.array_equal(np.concatenate(list(aer.iter_events(cut, chunk=7)) or [got[:0]]), got)


@pytest.mark.parametrize("fmt", ["evt3", "evt2", "evt21"])
def test_every_cut_at_a_word_boundary_reads_a_prefix(tmp_path, fmt):
    ev = events(200, t_step=23)
    path = tmp_path / ("a." + fmt)
    aer.write_events(path, ev, fmt)
    data = path.read_bytes()
    start = aer.read_header(path).data_offset
    unit = {"evt3": 2, "evt2": 4, "evt21": 8}[fmt]
    for k in range(1, (len(data) - start) // unit, 3):
        cut = tmp_path / "cut.raw"
        cut.write_bytes(data[:start + unit * k])
        got = aer.read_events(cut, fmt)
        assert np.array_equal(got, ev[:len(got)])
        assert np.array_equal(np.concatenate(list(aer.iter_events(cut, 11, fmt)) or [got[:0]]), got)


def test_evt3_odd_trailing_byte_is_a_truncated_word(tmp_path):
    path = tmp_path / "a.raw"
    aer.write_events(path, events(), "evt3")
    data = path.read_bytes()
    start = aer.read_header(path).data_offset
    cut = tmp_path / "odd.raw"
    keep = start + 2 * 40 + 1
    cut.write_bytes(data[:keep])
    for read in (lambda: aer.read_events(cut), lambda: list(aer.iter_events(cut, chunk=5))):
        with pytest.raises(CorruptFileError, match="odd.raw.*byte offset %d: truncated" % (keep - 1)):
            read()


def test_prophesee_file_ending_inside_its_header(tmp_path):
    """The header's last line without its newline used to be decoded as events."""
    path = tmp_path / "h.raw"
    path.write_bytes(b"% evt 3.0\n% format EVT3;height=720;width=1280\n% serial_number 000")
    with pytest.raises(CorruptFileError, match="h.raw.*byte offset 46: the file ends inside the '%' header line"):
        aer.read_events(path)


def test_aedat2_without_chip_names_the_file(tmp_path):
    path = tmp_path / "nochip.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n# nothing\r\n" + bytes(16))
    with pytest.raises(ValueError, match="layout = None: expected .*nochip.aedat"):
        aer.read_events(path)


def test_aer_edge_cases(tmp_path):
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert len(aer.read_events(empty)) == 0  # a headerless N-MNIST file with no events
    for fmt in aer.WRITE_FORMATS:
        path = tmp_path / ("one." + fmt)
        aer.write_events(path, events(1), fmt)
        assert np.array_equal(aer.read_events(path, fmt), events(1))


# -- spike datasets, folders, bundled ---------------------------------------------------------------
@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "ds.h5"
    DS.write_spike_dataset(path, [np.array([0.0, 0.001]), np.array([0.002]), np.array([])],
                           [np.array([0, 3]), np.array([1]), np.array([], int)], [0, 1, 1], 4, keys=["a", "b"])
    return path


def _writer(tmp_path, **kw):
    return DS.SpikeDatasetWriter(tmp_path / "w.h5", kw.pop("n_units", 4), **kw)


DATASET_BAD = [
    ("SpikeDataset path=None", lambda d, t: DS.SpikeDataset(None), TypeError, r"path = None"),
    ("batch indices=[0.5]", lambda d, t: DS.SpikeDataset(d).batch([0.5]), TypeError, r"indices = "),
    ("batch index out of range", lambda d, t: DS.SpikeDataset(d).batch([0, 9]), IndexError, r"indices = 9"),
    ("batches shuffle='False'", lambda d, t: list(DS.SpikeDataset(d).batches(2, shuffle="False")), TypeError,
     r"shuffle = 'False'"),
    ("batches drop_last=2", lambda d, t: list(DS.SpikeDataset(d).batches(2, drop_last=2)), TypeError,
     r"drop_last = 2"),
    ("to_raster batch='abc'", lambda d, t: DS.SpikeDataset(d).to_raster("abc", 1e-3, 10), TypeError, r"batch = 'abc'"),
    ("writer time_dtype='bogus'", lambda d, t: _writer(t, time_dtype="bogus"), ValueError, r"time_dtype = 'bogus'"),
    ("writer sensor_size 1.5", lambda d, t: _writer(t, sensor_size=(1, 4, 1.5)), TypeError, r"sensor_size = 1.5"),
    ("writer sensor_size=5", lambda d, t: _writer(t, sensor_size=5), TypeError, r"sensor_size = 5"),
    ("writer encoding_params not JSON", lambda d, t: _writer(t, encoding_params={"f": object()}), TypeError,
     r"encoding_params = "),
    ("writer encoding_params='abc'", lambda d, t: _writer(t, encoding_params="abc"), TypeError,
     r"encoding_params = 'abc'"),
    ("writer keys='abc'", lambda d, t: _writer(t, keys="abc"), TypeError, r"keys = 'abc'"),
    ("writer attrs='abc'", lambda d, t: _writer(t, attrs="abc"), TypeError, r"attrs = 'abc'"),
    ("writer attrs object value", lambda d, t: _writer(t, attrs={"x": object()}), TypeError, r"attrs\['x'\] = "),
    ("writer path is a folder", lambda d, t: DS.SpikeDatasetWriter(t, 4), IsADirectoryError, r"path = "),
    ("append extra object", lambda d, t: _writer(t).append([0.0], [0], 0, speaker=object()), TypeError,
     r"speaker = "),
    ("write_spike_dataset times=5", lambda d, t: DS.write_spike_dataset(t / "x.h5", 5, [[0]], [0], 4), TypeError,
     r"times = 5"),
    ("spike_count_features dataset='x'", lambda d, t: DS.spike_count_features("x"), TypeError, r"dataset = 'x'"),
    ("spike_count_features start=5", lambda d, t: DS.spike_count_features(DS.SpikeDataset(d), start=5), ValueError,
     r"start = 5"),
    ("convert_folder src=None", lambda d, t: DS.convert_folder(None, t), TypeError, r"src = None"),
    ("convert_folder dst is a file", lambda d, t: DS.convert_folder(t, d), NotADirectoryError, r"dst = "),
    ("convert_folder progress='no'", lambda d, t: DS.convert_folder(t, t / "o", progress="no"), TypeError,
     r"progress = 'no'"),
    ("convert_folder time_dtype='bogus'", lambda d, t: DS.convert_folder(t, t / "o", time_dtype="bogus"), ValueError,
     r"time_dtype = 'bogus'"),
    ("plan_folder sensor_size=(34, 34)", lambda d, t: DS.plan_folder(t, "nmnist", sensor_size=(34, 34)), ValueError,
     r"sensor_size = \(34, 34\)"),
    ("plan_folder sensor_size 1.5", lambda d, t: DS.plan_folder(t, "nmnist", sensor_size=(1.5, 34, 2)), TypeError,
     r"sensor_size = 1.5"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in DATASET_BAD], ids=[c[0] for c in DATASET_BAD])
def test_dataset_bad_input(dataset, tmp_path, thunk, exc, match):
    check(lambda: thunk(dataset, tmp_path), exc, match)


def _vlen(h5, key, arrays, base):
    del h5[key]
    ds = h5.create_dataset(key, (len(arrays),), dtype=h5py.vlen_dtype(base))
    for i, a in enumerate(arrays):
        ds[i] = np.asarray(a, base)


@pytest.mark.parametrize("name, edit, match", [
    ("times_nan", lambda h5: _vlen(h5, "spikes/times", [[0.0, NAN], [0.002], []], np.float32), r"sample 0 .*nan"),
    ("times_negative", lambda h5: _vlen(h5, "spikes/times", [[0.0, 0.001], [-1.0], []], np.float32),
     r"sample 1 .*-1.0"),
    ("sensor_size_str", lambda h5: h5.attrs.__setitem__("sensor_size", "big"), r"attribute sensor_size = 'big'"),
    ("time_resolution_negative", lambda h5: h5.attrs.__setitem__("time_resolution", -1.0),
     r"time_resolution = .*-1.0.*expected a positive"),
])
def test_spike_dataset_damaged_values_name_the_file(dataset, name, edit, match):
    with h5py.File(dataset, "r+") as h5:
        edit(h5)
    with pytest.raises(DS.SpikeDatasetError, match=match) as info:
        ds = DS.SpikeDataset(dataset)
        ds.batch([0, 1, 2])
    assert "ds.h5" in str(info.value)


def test_dataset_edge_cases(dataset, tmp_path):
    with _writer(tmp_path) as w:
        w.append([], [], 0)  # an empty sample given as plain lists (float dtype) used to be refused
        w.extend([], [], [], [])
        w.append([0, 1], [0, 1], 1)
    ds = DS.SpikeDataset(w.path)
    assert len(ds) == 2 and ds[0].times.size == 0 and ds[1].units.tolist() == [0, 1]
    d = DS.SpikeDataset(dataset)
    assert d.batch(np.array([[0, -1]])).indices.tolist() == [0, 2]
    assert d.batch([]).labels.shape == (0,)
    assert DS.spike_count_features(d, start=3)[0].shape == (0, 4)
    assert DS.SpikeDatasetWriter(tmp_path / "k.h5", 8, keys=("a", 1), sensor_size=np.array([2, 2, 2])).close()
    assert DS.load_digits(np.bool_(True))[0].shape == (1797, 64)


# -- metrics and distributed (argument checks; no cluster) ------------------------------------------
class _Est:
    def predict(self, X):
        return np.zeros(len(X), int)


OTHER_BAD = [
    ("pairwise trains_a=None", lambda: M.pairwise(None, metric="van_rossum", tau=0.01), TypeError, r"trains_a = None"),
    ("pairwise trains_b=3", lambda: M.pairwise([[0.1]], 3, metric="schreiber", sigma=0.01), TypeError, r"trains_b = 3"),
    ("encode_array progress='False'", lambda: D.encode_array(X, num_steps=4, progress="False"), TypeError,
     r"progress = 'False'"),
    ("encode_to_dataset path=None", lambda: D.encode_to_dataset(X, None, num_steps=4), TypeError, r"path = None"),
    ("encode_to_dataset keys=3", lambda: D.encode_to_dataset(X, "x.h5", num_steps=4, keys=3), TypeError, r"keys = 3"),
    ("evaluate progress=2", lambda: D.evaluate(_Est(), (X, Y), progress=2), TypeError, r"progress = 2"),
    ("evaluate float labels", lambda: D.evaluate(_Est(), (X, Y + 0.5)), TypeError, r"y = .*integer class labels"),
    ("conversion_sweep model=None", lambda: D.conversion_sweep(None, X, X, Y), TypeError, r"model = None"),
    ("conversion_sweep methods='shift'", lambda: D.conversion_sweep(ann(), X, X, Y, methods="shift"), TypeError,
     r"methods = 'shift'"),
    ("conversion_sweep timesteps=16", lambda: D.conversion_sweep(ann(), X, X, Y, timesteps=16), TypeError,
     r"timesteps = 16"),
    ("conversion_sweep unknown option", lambda: D.conversion_sweep(ann(), X, X, Y, bogus=1), TypeError,
     r"bogus = 1: expected a keyword of spikecore.conversion.convert"),
    ("conversion_sweep progress='x'", lambda: D.conversion_sweep(ann(), X, X, Y, progress="x"), TypeError,
     r"progress = 'x'"),
    ("cli_client scheduler=3", lambda: D.cli_client(scheduler=3).__enter__(), TypeError, r"--scheduler = 3"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in OTHER_BAD], ids=[c[0] for c in OTHER_BAD])
def test_metrics_distributed_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_metrics_distributed_edge_cases(tmp_path):
    assert M.pairwise([], metric="van_rossum", tau=0.01).shape == (0, 0)
    assert M.pairwise(np.ones((3, 2)), metric="victor_purpura", q=1.0).shape == (3, 3)
    assert D.evaluate(_Est(), (X, Y), progress=np.bool_(False))["n_samples"] == 12
    rows = D.conversion_sweep(ann(), X, X, Y, methods=["shift"], timesteps=[4], percentile=99.0)
    assert rows[0]["timesteps"] == 4
    assert D.encode_to_dataset(X, tmp_path / "e.h5", num_steps=2, keys=("a", "b"))
