"""Bad input to the public API fails with a clear error; valid edge cases keep working.

Every case here was found by an audit that called each public callable of ``spikecore.network``,
``spikecore.neurons``, ``spikecore.encoding`` and ``spikecore.decoding`` with wrong types,
shapes, NaN/inf, out-of-range sizes and indices, and objects of other networks. Before the
fixes these raised raw ``IndexError``/``AttributeError``/numba ``TypingError``, NumPy
broadcasting errors, errors naming another argument, or -- worst -- were silently accepted
(flags such as ``clip="False"`` read as True, truncated values, out-of-bounds reads in the
Loihi kernels). Each bad case asserts the exception type and the argument named in the message
("name = value: expected ...").
"""
import numpy as np
import pytest

import spikecore.decoding as D
import spikecore.encoding as E
from spikecore import _validate
from spikecore.network import Conv2D, Network, Pool2D
from spikecore.network.examples import cuba
from spikecore.neurons import IF, LIF, HodgkinHuxley, Izhikevich, LoihiCUBA

F64 = np.float64
NAN = float("nan")
X = np.array([[0.1, 0.5], [0.9, 1.0]])
R = np.zeros((6, 2, 3), np.uint8)
R[1, 0, 0] = R[3, 1, 2] = 1
LOIHI = dict(i_decay=100, v_decay=200, vth_mant=10)
A_IN = np.zeros((3, 1, 4), np.int64)


def loihi(**kw):
    return LoihiCUBA(**LOIHI, **kw)


def read_only(shape, dtype):
    a = np.zeros(shape, dtype)
    a.flags.writeable = False
    return a


def check(thunk, exc, match):
    with pytest.raises(exc, match=match) as info:
        thunk()
    assert "expected" in str(info.value)


# -- encoding -------------------------------------------------------------------------------------
ENCODING_BAD = [
    ("latency clip='False'", lambda: E.latency(X, 5, clip="False"), TypeError, r"clip = 'False'"),
    ("latency return_times='yes'", lambda: E.latency(X, 5, return_times="yes"), TypeError, r"return_times"),
    ("rank_order batch_axis='False'", lambda: E.rank_order(X, batch_axis="False"), TypeError, r"batch_axis"),
    ("population return_times=None", lambda: E.population(X, 5, return_times=None), TypeError, r"return_times"),
    ("lif return_membrane=2", lambda: E.lif(X, 5, return_membrane=2), TypeError, r"return_membrane = 2"),
    ("integrate_fire return_membrane='no'", lambda: E.integrate_fire(X, 5, return_membrane="no"), TypeError,
     r"return_membrane"),
    ("burst n_max=10**30", lambda: E.burst(X, 50, n_max=10 ** 30), ValueError, r"n_max = 10+"),
    ("burst t_max=10**30", lambda: E.burst(X, 50, t_max=10 ** 30), ValueError, r"t_max = 10+"),
    ("burst longest burst too long", lambda: E.burst(X, 50, n_max=2 ** 20, t_max=2 ** 20), ValueError,
     r"n_max = 1048576: expected \(n_max - 1\) \* t_max \+ 1"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in ENCODING_BAD], ids=[c[0] for c in ENCODING_BAD])
def test_encoding_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_encoding_edge_cases():
    assert E.rank_order(np.zeros((0, 3)), batch_axis=True).shape == (3, 0, 3)  # no samples
    assert E.rank_order(np.zeros((2, 0)), 3, batch_axis=True).shape == (3, 2, 0)
    assert E.latency(X, 5, clip=np.bool_(True)).shape == (5, 2, 2)
    assert E.lif(X, 4, return_membrane=1)[1].shape == (4, 2, 2)  # 0/1 accepted as flags
    for fn in (E.poisson, E.regular, E.latency, E.burst, E.phase):
        assert fn(X, 1).shape == (1, 2, 2)
        assert fn(np.zeros((0, 3)), 4).shape == (4, 0, 3)
    assert E.burst(X, 50, n_max=1).sum() > 0


# -- decoding -------------------------------------------------------------------------------------
DECODING_BAD = [
    ("rank_order_decode batch_axis='yes'", lambda: D.rank_order_decode(R, batch_axis="yes"), TypeError,
     r"batch_axis = 'yes'"),
    ("phase_decode x_min=nan", lambda: D.phase_decode(np.zeros((8, 2)), 4, x_min=NAN), ValueError, r"x_min = nan"),
    ("phase_decode x_max='1'", lambda: D.phase_decode(np.zeros((8, 2)), 4, x_max="1"), TypeError, r"x_max = '1'"),
    ("phase_decode x_max < x_min", lambda: D.phase_decode(np.zeros((8, 2)), 4, x_min=1.0, x_max=0.0), ValueError,
     r"x_max = 0.0: expected a number > x_min"),
    ("burst_decode x_min=None", lambda: D.burst_decode(np.zeros((50, 2)), x_min=None), TypeError, r"x_min = None"),
    ("burst_decode x_max < x_min", lambda: D.burst_decode(np.zeros((50, 2)), x_min=2.0, x_max=1.0), ValueError,
     r"x_max = 1.0"),
    ("burst_decode n_max=10**30", lambda: D.burst_decode(np.zeros((50, 2)), n_max=10 ** 30), ValueError, r"n_max"),
    ("latency_decode x_max < x_min", lambda: D.latency_decode(R, x_min=1.0, x_max=0.0), ValueError, r"x_max = 0.0"),
    ("first_spike_time never='abc'", lambda: D.first_spike_time(R, never="abc"), TypeError, r"never = 'abc'"),
    ("first_spike_time never=True", lambda: D.first_spike_time(R, never=True), TypeError, r"never = True"),
    ("first_spike_time never=[1]", lambda: D.first_spike_time(R, never=[1]), TypeError, r"never = \[1\]"),
    ("population_decode 2 fields", lambda: D.population_decode([[1.0, 2.0]], 5.0), ValueError,
     r"times = .*shape \(1, 2\).*m >= 3"),
    ("delta_decode x0 wrong shape", lambda: D.delta_decode(R, R, 0.1, np.zeros(5)), ValueError,
     r"x0 = .*shape \(5,\).*\(2, 3\)"),
    ("bsa_decode empty fir", lambda: D.bsa_decode(R, fir=[]), ValueError, r"fir = .*empty"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in DECODING_BAD], ids=[c[0] for c in DECODING_BAD])
def test_decoding_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_decoding_edge_cases():
    # T = 1: the default tau of the encoder is 0; every spike is at step 0 and decodes to x_max
    spikes = E.latency(np.array([0.3, 0.8]), 1)
    np.testing.assert_array_equal(D.latency_decode(spikes), [1.0, 1.0])
    assert D.rank_order_decode(np.zeros((3, 0, 4)), batch_axis=True).shape == (0, 4)
    assert D.rank_order_decode(np.zeros((3, 2, 0)), batch_axis=True).shape == (2, 0)
    t = D.first_spike_time(R, never=np.float32(0.5))  # a numpy float never is not truncated
    assert t.dtype == np.float64 and t[0, 1] == 0.5
    assert np.isinf(D.first_spike_time(R, never=np.inf)[0, 1])
    np.testing.assert_array_equal(D.first_spike_time(R), [[1, 6, 6], [6, 6, 3]])
    assert D.delta_decode(R, R, 0.1, np.zeros(3)).shape == R.shape  # x0 broadcast over the batch
    np.testing.assert_allclose(D.bsa_decode(R, fir=[1.0]), R)


# -- neurons --------------------------------------------------------------------------------------
NEURONS_BAD = [
    ("IF v_init=nan", lambda: IF(v_init=NAN), ValueError, r"v_init = nan"),
    ("LIF dtype=None", lambda: LIF(dtype=None), TypeError, r"dtype = None"),
    ("LoihiCUBA fixed_point='no'", lambda: loihi(fixed_point="no"), TypeError, r"fixed_point = 'no'"),
    ("LoihiCUBA bias_mant=1.5", lambda: loihi(bias_mant=1.5), ValueError, r"bias_mant = .*1.5.*integer values"),
    ("LoihiCUBA bias_mant 2-D", lambda: loihi(bias_mant=np.ones((2, 2))), ValueError, r"bias_mant = .*\(2, 2\)"),
    ("LoihiCUBA bias_mant empty", lambda: loihi(bias_mant=[]), ValueError, r"bias_mant = \[\]"),
    ("Izhikevich.preset ['RS']", lambda: Izhikevich.preset(["RS"]), TypeError, r"name = \['RS'\]"),
    ("LIF.run batch 0", lambda: LIF().run(np.zeros((2, 0, 3)), 1e-4), ValueError, r"current = .*\(2, 0, 3\)"),
    ("LIF.run n 0", lambda: LIF().run(np.zeros((2, 1, 0)), 1e-4), ValueError, r"current = .*\(2, 1, 0\)"),
    ("LIF.run record_v='yes'", lambda: LIF().run(np.zeros((2, 1, 3)), 1e-4, record_v="yes"), TypeError,
     r"record_v = 'yes'"),
    ("Izhikevich.init_state v='abc'", lambda: Izhikevich().init_state(1, 3, v="abc"), TypeError, r"v = "),
    ("HodgkinHuxley.init_state v='abc'", lambda: HodgkinHuxley().init_state(1, 3, v="abc"), TypeError, r"v = "),
    ("LIF.init_state refrac=0.5", lambda: LIF().init_state(1, 3, refrac=0.5), ValueError,
     r"refrac = .*0.5.*integer values"),
    ("LoihiCUBA.step dt=nan", lambda: loihi().step(loihi().init_state(1, 4), np.zeros((1, 4)), NAN), ValueError,
     r"dt = nan"),
    ("LoihiCUBA.run dt='x'", lambda: loihi().run(np.zeros((2, 1, 4)), "x"), TypeError, r"dt = 'x'"),
    ("LoihiCUBA.step bias_mant length", lambda: loihi(bias_mant=[1, 2]).step(
        loihi().init_state(1, 4), np.zeros((1, 4)), 1e-3), ValueError, r"bias_mant = .*2 mantissas.*n = 4"),
    ("LoihiCUBA.run bias_mant length", lambda: loihi(bias_mant=[1, 2]).run(np.zeros((3, 1, 4)), 1e-3),
     ValueError, r"bias_mant = .*n = 4"),
    ("LoihiCUBA.bias(3) with 2 mantissas", lambda: loihi(bias_mant=[1, 2]).bias(3), ValueError, r"bias_mant"),
    ("LoihiCUBA.bias(0)", lambda: loihi().bias(0), ValueError, r"n = 0"),
    ("run_lava a_in nan", lambda: loihi().run_lava(np.full((3, 1, 4), NAN)), ValueError, r"a_in = .*nan"),
    ("run_lava a_in 1.5", lambda: loihi().run_lava(np.full((3, 1, 4), 1.5)), ValueError,
     r"a_in = .*1.5.*integer values"),
    ("run_lava a_in 2**40", lambda: loihi().run_lava(np.full((3, 1, 4), 2 ** 40)), ValueError,
     r"a_in = .*integers <= 2147483647"),
    ("run_lava a_in inf (float)", lambda: loihi(fixed_point=False).run_lava(np.full((3, 1, 4), np.inf)),
     ValueError, r"a_in = .*inf"),
    ("run_lava state shape", lambda: loihi().run_lava(A_IN, (np.zeros((1, 2), np.int32),) * 2), TypeError,
     r"state\[0\] = .*\(1, 2\).*\(1, 4\)"),
    ("run_lava state float64", lambda: loihi().run_lava(A_IN, (np.zeros((1, 4)), np.zeros((1, 4)))), TypeError,
     r"state\[0\] = .*float64.*int32"),
    ("run_lava state 'ab'", lambda: loihi().run_lava(A_IN, "ab"), TypeError, r"state = 'ab'"),
    ("run_lava state read-only", lambda: loihi().run_lava(A_IN, (read_only((1, 4), np.int32),) * 2), TypeError,
     r"state\[0\] = .*writeable"),
    ("run_lava bias length", lambda: loihi().run_lava(A_IN, bias=np.zeros(2)), ValueError, r"bias = .*\(2,\)"),
    ("run_lava bias nan", lambda: loihi().run_lava(A_IN, bias=np.full(4, NAN)), ValueError, r"bias = .*nan"),
    ("run_lava bias 2-D", lambda: loihi().run_lava(A_IN, bias=np.zeros((4, 4))), ValueError, r"bias = "),
    ("run_lava w_rec shape", lambda: loihi().run_lava(A_IN, w_rec=np.zeros((2, 2))), ValueError,
     r"w_rec = .*shape \(4, 4\)"),
    ("run_lava w_rec 1-D", lambda: loihi().run_lava(A_IN, w_rec=np.zeros(4)), ValueError, r"w_rec = "),
    ("run_lava w_rec nan", lambda: loihi().run_lava(A_IN, w_rec=np.full((4, 4), NAN)), ValueError, r"w_rec = "),
    ("run_lava rec_exp=1.5", lambda: loihi().run_lava(A_IN, rec_exp=1.5), TypeError, r"rec_exp = 1.5"),
    ("run_lava reset_interval=-1", lambda: loihi().run_lava(A_IN, reset_interval=-1), ValueError,
     r"reset_interval = -1"),
    ("run_lava reset_offset=-1", lambda: loihi().run_lava(A_IN, reset_offset=-1), ValueError, r"reset_offset = -1"),
    ("run_lava t_start='x'", lambda: loihi().run_lava(A_IN, t_start="x"), TypeError, r"t_start = 'x'"),
    ("run_lava record='yes'", lambda: loihi().run_lava(A_IN, record="yes"), TypeError, r"record = 'yes'"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in NEURONS_BAD], ids=[c[0] for c in NEURONS_BAD])
def test_neurons_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_neurons_edge_cases():
    for model in (IF(), LIF(), Izhikevich(), HodgkinHuxley(), loihi()):
        assert model.run(np.zeros((1, 1, 1)), 1e-5).spikes.shape == (1, 1, 1)  # T = batch = n = 1
        assert model.run(np.zeros((0, 1, 2)), 1e-5).spikes.shape == (0, 1, 2)  # T = 0
    assert LIF().init_state(1, 3, refrac=np.float64(2.0))["refrac"].tolist() == [[2, 2, 2]]
    assert Izhikevich().init_state(1, 2, v=[-60.0, -70.0])["u"].shape == (1, 2)
    # run_lava: a per-neuron bias as before, one bias for all, a given state, the float variant
    a = np.ones((3, 1, 4), np.int64)
    model = loihi(bias_mant=3, bias_exp=6)
    out = model.run_lava(a)
    np.testing.assert_array_equal(out, model.run_lava(a, bias=model.bias(4)))
    np.testing.assert_array_equal(out, model.run_lava(a, bias=192))
    u, v = np.zeros((1, 4), np.int32), np.zeros((1, 4), np.int32)
    np.testing.assert_array_equal(out, model.run_lava(a.astype(float), (u, v)))  # whole floats accepted
    assert u.any()  # the state was updated in place
    assert loihi(fixed_point=False).run_lava(a.astype(float), record=True)[0].shape == (3, 1, 4)
    assert loihi(bias_mant=[1, 2, 3, 4]).run(np.zeros((3, 1, 4)), 1e-3).spikes.shape == (3, 1, 4)


# -- network --------------------------------------------------------------------------------------
def net3():
    net = Network(dt=1e-3, seed=0)
    src = net.add_source(3, name="src")
    a = net.add(LIF(dtype=F64), n=3, name="a")
    b = net.add(LIF(dtype=F64), n=4, name="b")
    return net, src, a, b


def run3(n_steps, inputs):
    net, src, a, b = net3()
    net.connect(src, a, weight=1.0, p=0.5)
    net.record_spikes(a)
    return net.run(n_steps, inputs=inputs(src, a, b))


def add(**kw):
    return net3()[0].add(LIF(dtype=F64), n=kw.pop("n", 3), name="c", **kw)


def connect(**kw):
    net, src, a, b = net3()
    return net.connect(a, b, **kw)


def conv(spec=None, n_post=9, **kw):
    net = Network(dt=1e-3)
    img = net.add_source(shape=(1, 4, 4), name="img")
    return net.connect(img, net.add(LIF(), n=n_post, name="fmap"), conv=spec, **kw)


def other_population():
    return net3()[2]


def run_with_initial_batch():
    net = net3()[0]
    net.add(LIF(dtype=F64), n=3, name="c", initial={"v": np.zeros((2, 3))})
    net.run(2, batch=3)


NETWORK_BAD = [
    ("add the class LIF", lambda: net3()[0].add(LIF, n=2), TypeError, r"model = .*LIF.*not the class"),
    ("add n=10**20", lambda: add(n=10 ** 20), ValueError, r"n = 10+: expected an integer <= 2147483647"),
    ("add shape too large", lambda: net3()[0].add(LIF(dtype=F64), shape=(2 ** 16, 2 ** 16)), ValueError,
     r"shape = \(65536, 65536\)"),
    ("add initial='v'", lambda: add(initial="v"), TypeError, r"initial = 'v': expected a dict.*population 'c'"),
    ("add initial unknown variable", lambda: add(initial={"w": 1.0}), ValueError,
     r"initial = 'w'.*population 'c'"),
    ("add initial callable signature", lambda: add(initial={"v": lambda rng: 0.0}), TypeError,
     r"initial\['v'\] = .*f\(rng, n\).*population 'c'"),
    ("add initial refrac=0.5", lambda: add(initial={"refrac": 0.5}), ValueError,
     r"initial\['refrac'\] = .*integer values.*population 'c'"),
    ("add initial nan", lambda: add(initial={"v": NAN}), ValueError, r"initial\['v'\] = .*nan.*population 'c'"),
    ("add initial wrong length", lambda: add(initial={"v": np.ones(5)}), ValueError,
     r"initial\['v'\] = .*\(5,\).*population 'c'"),
    ("run initial of another batch", run_with_initial_batch, ValueError, r"v = .*population 'c', batch 3"),
    ("add Loihi bias_mant length", lambda: Network(1e-3).add(loihi(bias_mant=[1, 2]), n=5, name="L"), ValueError,
     r"bias_mant = .*n = 5.*population 'L'"),
    ("add Loihi float variant", lambda: Network(1e-3).add(loihi(fixed_point=False), n=5), ValueError,
     r"fixed_point = False"),
    ("connect pre='nope'", lambda: net3()[0].connect("nope", "a", weight=1.0, p=0.5), ValueError,
     r"pre = 'nope'"),
    ("connect dense delay=1e9 s", lambda: connect(weight=np.ones((4, 3)), delay=1e9), ValueError,
     r"delay = .*steps.*int32"),
    ("connect pairs delays=1e9 s", lambda: connect(weight=1.0, pairs=([0, 1], [0, 1]), delay=[1e9, 0.0]),
     ValueError, r"delay = "),
    ("connect max_delay=1e9 s", lambda: connect(weight=1.0, p=0.5, max_delay=1e9), ValueError,
     r"max_delay = .*a->b"),
    ("connect weight callable signature", lambda: connect(weight=lambda rng: 1.0, p=0.5), TypeError,
     r"weight = .*f\(rng, n\)"),
    ("connect dense scalar weight", lambda: connect(weight=1.0), ValueError, r"weight = 1.0: expected a \(n_post"),
    ("connect autapses='no'", lambda: connect(weight=1.0, p=0.5, autapses="no"), TypeError, r"autapses = 'no'"),
    ("connect name=3", lambda: connect(weight=1.0, p=0.5, name=3), TypeError, r"name = 3"),
    ("connect one_to_one='yes'", lambda: connect(weight=1.0, one_to_one="yes"), TypeError, r"one_to_one = 'yes'"),
    ("conv delay array", lambda: conv(Conv2D(np.ones((1, 1, 2, 2))), delay=np.zeros(9)), ValueError,
     r"delay = .*one scalar delay.*img->fmap"),
    ("Conv2D empty kernel axis", lambda: Conv2D(np.ones((1, 1, 0, 2))), ValueError, r"kernel = .*\(1, 1, 0, 2\)"),
    ("Conv2D stride=None", lambda: Conv2D(np.ones((1, 1, 2, 2)), stride=None), TypeError, r"stride = None"),
    ("Conv2D padding=None", lambda: Conv2D(np.ones((1, 1, 2, 2)), padding=None), TypeError, r"padding = None"),
    ("Pool2D size=None", lambda: Pool2D(None), TypeError, r"size = None"),
    ("slice with float bound", lambda: net3()[2][1.5:2], TypeError, r"index = slice\(1.5"),
    ("record_voltage neurons=5", lambda: net3()[0].record_voltage("a", 5), TypeError, r"neurons = 5"),
    ("record_voltage neurons=None", lambda: net3()[0].record_voltage("a", None), TypeError, r"neurons = None"),
    ("run inputs=array", lambda: net3()[0].run(5, inputs=np.zeros((5, 1, 3))), TypeError,
     r"inputs = .*expected a dict"),
    ("run raster of 2s", lambda: run3(5, lambda s, a, b: {s: np.full((5, 1, 3), 2, np.uint8)}), ValueError,
     r"inputs\['src'\] = .*spikes of 0 or 1"),
    ("run raster of -1s", lambda: run3(5, lambda s, a, b: {s: np.full((5, 1, 3), -1)}), ValueError,
     r"inputs\['src'\]"),
    ("run raster batch 0", lambda: run3(5, lambda s, a, b: {s: np.zeros((5, 0, 3), np.uint8)}), ValueError,
     r"inputs\['src'\] = .*batch >= 1"),
    ("run current batch 0", lambda: run3(5, lambda s, a, b: {a: np.zeros((5, 0, 3))}), ValueError,
     r"inputs\['a'\] = .*batch >= 1"),
    ("result of unknown population", lambda: run3(2, lambda s, a, b: {}).spikes("nope"), ValueError,
     r"population = 'nope'"),
    ("result of another network's population", lambda: run3(2, lambda s, a, b: {}).spikes(other_population()),
     TypeError, r"population = .*of the network that made this result"),
    ("cuba n=0", lambda: cuba(0), ValueError, r"n = 0"),
    ("cuba n='100'", lambda: cuba("100"), TypeError, r"n = '100'"),
    ("cuba exc_fraction=1.0", lambda: cuba(100, exc_fraction=1.0), ValueError, r"exc_fraction = 1.0"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in NETWORK_BAD], ids=[c[0] for c in NETWORK_BAD])
def test_network_bad_input(thunk, exc, match):
    check(thunk, exc, match)


def test_lookup_errors_are_both_key_and_value_errors():
    net = net3()[0]
    with pytest.raises(KeyError):
        net.record_spikes("nope")
    with pytest.raises(ValueError, match=r"^pop = 'nope': expected"):  # printed unquoted
        net.record_spikes("nope")
    assert issubclass(_validate.NotFoundError, KeyError) and issubclass(_validate.NotFoundError, ValueError)


def test_network_edge_cases():
    empty = [([], []), (np.array([]), np.array([])), (np.zeros(0, int), np.zeros(0, int))]
    for spikes in empty:  # an empty spike list is no input
        assert run3(5, lambda s, a, b: {s: spikes}).spikes("a").step.size == 0
    res = run3(5, lambda s, a, b: {s: [([0], [0]), ([], [])]})  # per batch, one of them empty
    assert res.batch == 2
    assert run3(1, lambda s, a, b: {s: np.ones((1, 1, 3), bool)}).n_steps == 1  # T = 1
    assert run3(0, lambda s, a, b: {}).n_steps == 0
    for kw in (dict(pairs=([], [])), dict(pairs=([], []), weight=[]), dict(p=0.0), dict(in_degree=0)):
        c = connect(**{"weight": 1.0, **kw})
        assert c.n_synapses == 0
    assert connect(weight=np.zeros((4, 3))).n_synapses == 12  # zero weights are synapses
    assert connect(weight=1.0, pairs=([0], [1]), delay=np.array(2e-3)).delay == 2  # 0-d array delay
    net = Network(1e-3)
    one = net.add(LIF(), n=1, initial={"v": lambda rng, n: np.full(n, 0.5)})
    net.connect(one, one, weight=1.0, p=1.0, autapses=False)
    assert net.run(2).n_steps == 2  # a population of one neuron
    net, P = cuba(50)  # n < 80: the default p = 80/n is capped at 1 (was an error)
    assert net.connections[0].n_synapses == 40 * 50


def test_dense_connection_with_callable_delays():
    """A callable delay for a dense weight matrix gets one delay per nonzero weight (was a TypeError)."""
    def run(delay):
        net = Network(1e-3, seed=0)
        src = net.add_source(3, name="s")
        out = net.add(LIF(dtype=F64), n=4, name="o")
        net.connect(src, out, weight=np.full((4, 3), 50.0), delay=delay)
        net.record_spikes(out)
        raster = np.zeros((10, 1, 3), bool)
        raster[0] = True
        return net.run(10, inputs={src: raster}).raster(out)

    delayed = run(lambda rng, n: np.full(n, 2e-3))
    assert delayed.any()
    np.testing.assert_array_equal(delayed, run(2e-3))
    assert not np.array_equal(delayed, run(0.0))
