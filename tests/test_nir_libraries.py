"""NIR graphs as each SNN library writes them, imported and run, against the NIR equations in plain NumPy.

Every graph below mimics one writer's conventions (read from its exporter: snnTorch
``export_nir.py``, Norse ``export_nir.py``, Sinabs ``nir.py``, Rockpool ``nir.py``, Spyx
``nir.py``, Lava-dl ``netx/nir_lava.py``, nirtorch's ``extract_nir_graph``): parameter shapes,
dtypes, nesting and naming, written to a ``.nir`` file (with NIR's writer, or -- for what older
NIR versions wrote and NIR 1.0 refuses to build -- with h5py in NIR's layout), read back by
:func:`spikecore.interop.nir.from_nir` and run. The reference is an independent NumPy loop of
the NIR node equations (Pedersen et al., 2024), discretised as the writing library runs them:

* snnTorch, Norse, Spyx, Lava: forward Euler, :math:`v \\mathrel{+}= \\frac{dt}{\\tau}(v_{leak} - v
  + R I)`; Cuba nodes update the current first and feed the *new* current to :math:`v`
  (snnTorch's ``Synaptic``: ``syn = alpha*syn + x; mem = beta*mem + syn``);
* Rockpool, Sinabs (``norm_input``), Nengo and the NIR paper's reference: exact exponentials;
* IF / I: :math:`v \\mathrel{+}= r\\,x` once per step, in every library;
* spike when :math:`v > v_{th}`, then :math:`v = v_{reset}` in the same step; a recurrent edge
  delivers the previous step's spikes.
"""
import warnings

import h5py
import numpy as np
import pytest

nir = pytest.importorskip("nir")

from spikecore.interop.nir import from_nir, read_nir, to_nir, write_nir  # noqa: E402
from spikecore.interop.graph import GraphNetwork  # noqa: E402


# ----------------------------------------------------------------------------- helpers

def _write_raw(path, graph, version="0.2.0"):
    """Write a graph given as nested dicts in NIR's HDF5 layout, without NIR 1.0's node checks.

    This is what NIR's writer before 1.0 produced (no compression, so 0-d parameters; no shape
    assertions), and what Lava-dl's ``convert_to_nir`` wrote (integer edge names).
    """
    def rec(group, node):
        for k, v in node.items():
            if k == "nodes":
                sub = group.create_group("nodes")
                for name, child in v.items():
                    rec(sub.create_group(str(name)), child)
            elif k == "edges":
                v = np.asarray(v)
                group.create_dataset("edges", data=v.astype("S") if v.dtype.kind == "U" else v)
            elif isinstance(v, str):
                group.create_dataset(k, data=v, dtype=h5py.string_dtype())
            else:
                group.create_dataset(k, data=np.asarray(v))
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=version, dtype=h5py.string_dtype())
        rec(f.create_group("node"), graph)


def _edges(*names):
    return [(a, b) for a, b in zip(names[:-1], names[1:])]


def _spikes(rng, shape, p=0.3):
    return (rng.random(shape) < p).astype(np.float64)


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_nir(path, as_graph=True, **kw)


def _fire(v, thr, reset):
    z = v > thr
    return z.astype(np.float64), np.where(z, reset, v)


def _ref_conv(x, w, b, stride, pads, dil=(1, 1), groups=1):
    """Cross-correlation of x (batch, C, H, W), PyTorch's Conv2d, one output pixel at a time."""
    batch, C, H, W = x.shape
    Co, Cg, kh, kw = w.shape
    xp = np.zeros((batch, C, H + pads[0][0] + pads[0][1], W + pads[1][0] + pads[1][1]))
    xp[:, :, pads[0][0]:pads[0][0] + H, pads[1][0]:pads[1][0] + W] = x
    Ho = (xp.shape[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (xp.shape[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((batch, Co, Ho, Wo))
    per = Co // groups
    for o in range(Co):
        g = o // per
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, g * Cg:(g + 1) * Cg, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3)) + b[o]
    return out


def _ref_pool(x, k, average):
    batch, C, H, W = x.shape
    out = x[:, :, :H - H % k, :W - W % k].reshape(batch, C, H // k, k, W // k, k).sum(axis=(3, 5))
    return out / (k * k) if average else out


# ----------------------------------------------------------------------------- snnTorch

def test_snntorch_leaky_with_0d_parameters_runs_as_snntorch(tmp_path):
    # snnTorch's exporter (dt = 1e-4): tau = dt/(1-beta), r = tau/dt, v_leak 0; a scalar beta
    # gives 0-d arrays, its threshold np.array([thr]) shape (1,) -- NIR 1.0 refuses to build that
    dt, beta, thr = 1e-4, 0.9, 1.0
    rng = np.random.default_rng(1)
    w1, b1, w2 = rng.normal(0, 1, (6, 5)), rng.normal(0, 0.2, 6), rng.normal(0, 1, (3, 6))
    tau = dt / (1 - beta)

    def leaky():
        return {"type": "LIF", "tau": np.float32(tau), "r": np.float32(tau / dt), "v_leak": np.float32(0),
                "v_threshold": np.array([thr], np.float32)}
    graph = {"type": "NIRGraph", "nodes": {
        "input": {"type": "Input", "shape": np.array([1, 5])},  # nirtorch: sample_data.shape
        "0": {"type": "Affine", "weight": w1.astype(np.float32), "bias": b1.astype(np.float32)},
        "1": leaky(), "2": {"type": "Linear", "weight": w2.astype(np.float32)}, "3": leaky(),
        "output": {"type": "Output", "shape": np.array([1, 3])}},
        "edges": _edges("input", "0", "1", "2", "3", "output")}
    path = tmp_path / "snntorch_leaky.nir"
    _write_raw(path, graph)
    with pytest.warns(UserWarning, match="node by node"):
        read_nir(path)
    net = _load(path, method="euler")
    assert net.nodes["input"].shape == (5,) and net.nodes["1"].params["tau"].shape == (6,)
    x = _spikes(rng, (60, 2, 5))
    got = net.run(x, record=["1"])
    # snn.Leaky(beta, threshold, reset_mechanism="zero"): mem = beta*mem + W x, fire, reset to 0
    f32 = lambda a: np.asarray(a, np.float32).astype(np.float64)  # noqa: E731  the file holds float32
    beta_f = 1 - dt / f32(tau)
    m1, m2, s1, s2 = np.zeros((2, 6)), np.zeros((2, 3)), [], []
    for t in range(60):
        m1 = beta_f * m1 + (dt / f32(tau)) * f32(tau / dt) * (x[t] @ f32(w1).T + f32(b1))
        z1, m1 = _fire(m1, thr, 0.0)
        m2 = beta_f * m2 + (dt / f32(tau)) * f32(tau / dt) * (z1 @ f32(w2).T)
        z2, m2 = _fire(m2, thr, 0.0)
        s1.append(z1)
        s2.append(z2)
    assert np.sum(s1) > 20
    np.testing.assert_array_equal(got["1"], np.array(s1))
    np.testing.assert_array_equal(got["output"], np.array(s2))


def _rleaky_graph(rng, n_in, n, n_out, dt=1e-4, beta=0.8):
    tau = dt / (1 - beta)
    lif = lambda m: nir.LIF(tau=np.full(m, tau), r=np.full(m, tau / dt), v_leak=np.zeros(m),  # noqa: E731
                            v_threshold=np.ones(m), v_reset=np.zeros(m))
    w_in, w_rec, w_out = rng.normal(0, 1, (n, n_in)), rng.normal(0, 0.8, (n, n)), rng.normal(0, 1, (n_out, n))
    sub = nir.NIRGraph(nodes={"input": nir.Input(input_type=[n]), "lif": lif(n), "w_rec": nir.Linear(weight=w_rec),
                              "output": nir.Output(output_type=[n])},
                       edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n_in])), "fc1": nir.Linear(weight=w_in),
                            "lif1": sub, "fc2": nir.Linear(weight=w_out), "lif2": lif(n_out),
                            "output": nir.Output(output_type=np.array([n_out]))},
                     edges=_edges("input", "fc1", "lif1", "fc2", "lif2", "output"), type_check=False)
    return g, (w_in, w_rec, w_out, beta)


def test_snntorch_rleaky_subgraph_recurrence_arrives_next_step(tmp_path):
    # snnTorch's RLeaky export: a nested NIRGraph {input, lif, w_rec, output} with the cycle
    # lif -> w_rec -> lif; snnTorch runs mem[t] = beta*mem[t-1] + W x[t] + V spk[t-1]
    rng = np.random.default_rng(2)
    g, (w_in, w_rec, w_out, beta) = _rleaky_graph(rng, 4, 7, 2)
    path = tmp_path / "rleaky.nir"
    nir.write(path, g)
    net = _load(path, method="euler")
    assert {"lif1.lif", "lif1.w_rec"} <= set(net.nodes)
    x = _spikes(rng, (50, 3, 4))
    got = net.run(x, record=["lif1.lif"])
    m1, m2, z1, hid, out = np.zeros((3, 7)), np.zeros((3, 2)), np.zeros((3, 7)), [], []
    for t in range(50):
        m1 = beta * m1 + (1 - beta) * (1 / (1 - beta)) * (x[t] @ w_in.T + z1 @ w_rec.T)  # z1 from t-1
        z1, m1 = _fire(m1, 1.0, 0.0)
        m2 = beta * m2 + (1 - beta) * (1 / (1 - beta)) * (z1 @ w_out.T)
        z2, m2 = _fire(m2, 1.0, 0.0)
        hid.append(z1)
        out.append(z2)
    hid, out = np.array(hid), np.array(out)
    assert hid.sum() > 30
    np.testing.assert_allclose(got["lif1.lif"], hid)
    np.testing.assert_allclose(got["output"], out)
    # the engine runs it with one step of latency per layer, the recurrence still one step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng = from_nir(path, method="euler")
    eng.record_spikes("lif1.lif")
    d = eng.nir["depth"]["lif2"]
    res = eng.run(50 + d, {"input": np.concatenate([x, np.zeros((d, 3, 4))]).astype(np.uint8)})
    np.testing.assert_array_equal(res.raster("lif1.lif")[eng.nir["depth"]["lif1.lif"]:][:50], hid)
    np.testing.assert_array_equal(res.raster("lif2")[d:], out)


def test_snntorch_rsynaptic_braille_fixture_runs_as_snntorch(fixtures_dir):
    # the NIR paper's braille RNN (snnTorch RSynaptic + Synaptic, dt = 1e-4, flattened "lif1.lif" names):
    # tau_syn = dt/(1-alpha), tau_mem = dt/(1-beta), r = tau_mem/dt, w_in = tau_syn/dt, so the
    # Euler step is snnTorch's syn = alpha*syn + x, mem = beta*mem + syn (the new syn)
    path = fixtures_dir / "nir" / "NIR_braille_noDelay_bias_zero.nir"
    g = nir.read(str(path))
    net = _load(path, dt=1e-4, method="euler")
    p = {k: {f: np.asarray(getattr(n, f), np.float64) for f in ("weight", "bias", "tau_syn", "tau_mem", "r",
                                                               "v_threshold", "w_in") if hasattr(n, f)}
         for k, n in g.nodes.items()}
    dt, rng = 1e-4, np.random.default_rng(3)
    x = _spikes(rng, (120, 2, 12), 0.2)
    got = net.run(x, record=["lif1.lif"])

    def cuba(i, v, inp, q):
        i = i + dt / q["tau_syn"] * (q["w_in"] * inp - i)
        v = v + dt / q["tau_mem"] * (-v + q["r"] * i)
        z, v = _fire(v, q["v_threshold"], 0.0)
        return i, v, z
    i1 = v1 = z1 = np.zeros((2, 38))
    i2 = v2 = np.zeros((2, 7))
    hid, out = [], []
    for t in range(120):
        rec = z1 @ p["lif1.w_rec"]["weight"].T + p["lif1.w_rec"]["bias"]  # last step's spikes
        i1, v1, z1 = cuba(i1, v1, x[t] @ p["fc1"]["weight"].T + p["fc1"]["bias"] + rec, p["lif1.lif"])
        i2, v2, z2 = cuba(i2, v2, z1 @ p["fc2"]["weight"].T + p["fc2"]["bias"], p["lif2"])
        hid.append(z1)
        out.append(z2)
    hid, out = np.array(hid), np.array(out)
    assert hid.sum() > 20 and out.sum() > 100
    np.testing.assert_array_equal(got["lif1.lif"], hid)
    np.testing.assert_array_equal(got["output"], out)
    # the engine (one step per layer) runs the same spikes, the recurrent bias included from step 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng = from_nir(path, dt=1e-4, method="euler")
    eng.record_spikes("lif1.lif")
    d1, d2 = eng.nir["depth"]["lif1.lif"], eng.nir["depth"]["lif2"]
    res = eng.run(120 + d2, {"input": np.concatenate([x, np.zeros((d2, 2, 12))]).astype(np.uint8)})
    np.testing.assert_array_equal(res.raster("lif1.lif")[d1:d1 + 120], hid)
    np.testing.assert_array_equal(res.raster("lif2")[d2:], out)
    # exact exponentials (the default) are a different discretisation: alpha = 0.55 vs exp(-0.45)
    exact = _load(path, dt=1e-4).run(x)["output"]
    assert not np.array_equal(exact, out)


# ----------------------------------------------------------------------------- Norse

def test_norse_conv_lifbox_iaf_with_scalar_parameters(tmp_path):
    # Norse's exporter: Conv2d (padding a tuple), LIFBoxCell -> LIF with r = 1 and parameters of
    # the shape of tau_mem_inv (a scalar tensor -> 0-d), IAFCell -> IF; Norse's default dt = 1e-3
    rng = np.random.default_rng(4)
    dt, tau, v_leak, v_th, v_reset = 1e-3, 5e-3, 0.05, 0.3, -0.1
    w, b = rng.normal(0, 0.5, (3, 2, 3, 3)), rng.normal(0, 0.05, 3)
    w2 = rng.normal(0, 0.3, (4, 3 * 6 * 6))
    graph = {"type": "NIRGraph", "nodes": {
        "input": {"type": "Input", "shape": np.array([2, 6, 6])},
        "conv": {"type": "Conv2d", "weight": w, "bias": b, "stride": np.array([1, 1]), "padding": np.array([1, 1]),
                 "dilation": np.array([1, 1]), "groups": np.array(1)},  # no input_shape (nirtorch left it None)
        "lif": {"type": "LIF", "tau": np.float64(tau), "r": np.float64(1), "v_leak": np.float64(v_leak),
                "v_threshold": np.float64(v_th), "v_reset": np.float64(v_reset)},
        "flat": {"type": "Flatten", "start_dim": np.array(0), "end_dim": np.array(-1)},
        "fc": {"type": "Linear", "weight": w2},
        "iaf": {"type": "IF", "r": np.ones(4), "v_threshold": np.full(4, 0.8), "v_reset": np.zeros(4)},
        "output": {"type": "Output", "shape": np.array([4])}},
        "edges": _edges("input", "conv", "lif", "flat", "fc", "iaf", "output")}
    path = tmp_path / "norse.nir"
    _write_raw(path, graph)
    net = _load(path, dt=dt, method="euler")
    assert net.nodes["lif"].params["tau"].shape == (3, 6, 6)
    x = _spikes(rng, (30, 2, 2, 6, 6))
    got = net.run(x, record=["lif"])
    v, u, s1, s2 = np.zeros((2, 3, 6, 6)), np.zeros((2, 4)), [], []
    for t in range(30):
        v = v + dt / tau * ((v_leak - v) + _ref_conv(x[t], w, b, (1, 1), ((1, 1), (1, 1))))  # LIFBoxCell
        z, v = _fire(v, v_th, v_reset)
        u = u + z.reshape(2, -1) @ w2.T  # IAFCell: v + input, no dt
        z2, u = _fire(u, 0.8, 0.0)
        s1.append(z)
        s2.append(z2)
    assert np.sum(s1) > 50 and np.sum(s2) > 5
    np.testing.assert_allclose(got["lif"], np.array(s1))
    np.testing.assert_allclose(got["output"], np.array(s2))


def test_cubalif_euler_on_the_engine_is_the_graph(tmp_path):
    # Norse's LIFCell -> CubaLIF (r = 1, w_in = 1); on the engine the Euler current jump is exact
    rng = np.random.default_rng(5)
    n_in, n = 5, 4
    g = nir.NIRGraph.from_list(nir.Linear(weight=rng.normal(0, 3, (n, n_in))),
                               nir.CubaLIF(tau_syn=np.full(n, 5e-3), tau_mem=np.full(n, 1e-2), r=np.ones(n),
                                           v_leak=np.zeros(n), v_threshold=np.full(n, 0.1), v_reset=np.zeros(n),
                                           w_in=np.ones(n)))
    path = tmp_path / "cuba.nir"
    nir.write(path, g)
    x = _spikes(rng, (80, 2, n_in))
    want = _load(path, dt=1e-3, method="euler").run(x)["output"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eng = from_nir(path, dt=1e-3, method="euler")
    res = eng.run(81, {"input": np.concatenate([x, np.zeros((1, 2, n_in))]).astype(np.uint8)})
    assert want.sum() > 10
    np.testing.assert_array_equal(res.raster("cubalif")[1:], want)


# ----------------------------------------------------------------------------- Sinabs

def test_sinabs_cnn_fixture_if_neurons_gain_r_per_step(fixtures_dir):
    # Sinabs' IAF adds its input once per step (so do Norse's IAFCell, snnTorch's Leaky(beta=1),
    # Lava-dl's CUBA block and the NIR paper's Nengo IF); r = 1 in the file
    path = fixtures_dir / "nir" / "NIR_cnn_sinabs.nir"
    g = nir.read(str(path))
    n = {k: {f: np.asarray(getattr(v, f)) for f in ("weight", "bias", "stride", "padding") if hasattr(v, f)}
         for k, v in g.nodes.items()}
    rng = np.random.default_rng(6)
    x = _spikes(rng, (12, 2, 2, 34, 34), 0.15)
    got = _load(path, dt=1e-3).run(x, record=["1", "3", "6", "10"])

    def conv(k, inp):
        q = n[k]
        return _ref_conv(inp, q["weight"].astype(np.float64), q["bias"].astype(np.float64), tuple(q["stride"]),
                         tuple((int(p), int(p)) for p in q["padding"]))
    v = {k: 0.0 for k in ("1", "3", "6", "10", "12")}
    want = {k: [] for k in v}
    for t in range(12):
        s = x[t]
        for k, f in (("1", lambda s: conv("0", s)), ("3", lambda s: conv("2", s)),
                     ("6", lambda s: conv("5", _ref_pool(s, 2, False))),
                     ("10", lambda s: _ref_pool(s, 2, False).reshape(2, -1) @ n["9"]["weight"].T.astype(float)),
                     ("12", lambda s: s @ n["11"]["weight"].T.astype(float))):
            z, v[k] = _fire(v[k] + f(s), 1.0, 0.0)
            want[k].append(z)
            s = z
    for k in ("1", "3", "6", "10"):
        np.testing.assert_array_equal(got[k], np.array(want[k]), err_msg="layer %s" % k)
    np.testing.assert_array_equal(got["output"], np.array(want["12"]))
    assert sum(np.sum(want[k]) for k in want) > 1000 and np.sum(want["12"]) > 0


def test_sinabs_graph_with_torch_flatten_dims_and_batched_input(tmp_path):
    # sinabs' exporter passes torch's Flatten(start_dim=1) as is, and nirtorch's Input is
    # sample_data.shape with the batch (4 here); a neuron directly after the Flatten
    rng = np.random.default_rng(7)
    w = rng.normal(0, 1, (6, 8))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([4, 2, 2, 2])),
                            "flat": nir.Flatten(input_type={"input": np.array([0, 0, 0, 0])}, start_dim=1,
                                                end_dim=-1),  # sinabs' placeholder input_type
                            "if1": nir.IF(r=np.ones(8), v_threshold=np.full(8, 0.5)),
                            "fc": nir.Affine(weight=w, bias=np.zeros(6)),
                            "if2": nir.IF(r=np.ones(6), v_threshold=np.full(6, 0.5)),
                            "output": nir.Output(output_type=np.array([4, 6]))},
                     edges=_edges("input", "flat", "if1", "fc", "if2", "output"), type_check=False)
    path = tmp_path / "sinabs_flat.nir"
    nir.write(path, g)
    with pytest.warns(UserWarning) as caught:
        net = from_nir(path, dt=1e-3, as_graph=True)
    assert any("batch dimension" in str(c.message) for c in caught)
    assert net.nodes["input"].shape == (2, 2, 2)
    x = rng.random((10, 3, 2, 2, 2))
    got = net.run(x)["output"]
    u1, u2, want = np.zeros((3, 8)), np.zeros((3, 6)), []
    for t in range(10):
        z1, u1 = _fire(u1 + x[t].reshape(3, 8), 0.5, 0.0)
        z2, u2 = _fire(u2 + z1 @ w.T, 0.5, 0.0)
        want.append(z2)
    np.testing.assert_array_equal(got.reshape(10, 3, 6), np.array(want))


# ----------------------------------------------------------------------------- Spyx

def test_spyx_haiku_weights_stored_in_out_are_transposed_square_ones_too(tmp_path):
    # Spyx (Haiku) wrote Linear weights as (in, out), LIF with tau = dt/(1-beta) and r = beta,
    # an LI readout; its importer runs v = beta*v + W x with W scaled by dt/tau (Euler)
    rng = np.random.default_rng(8)
    dt, n_in, n = 1e-3, 6, 5
    w1, w2, w3 = rng.normal(0, 3, (n_in, n)), rng.normal(0, 3, (n, n)), rng.normal(0, 1, (n, 3))  # (in, out)
    beta = rng.uniform(0.7, 0.95, n)

    def lif(b):
        return nir.LIF(tau=dt / (1 - b), r=b.copy(), v_leak=np.zeros_like(b), v_threshold=np.ones_like(b))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([n_in])), "linear": nir.Linear(weight=w1),
                            "LIF": lif(beta), "linear_1": nir.Linear(weight=w2), "LIF_1": lif(beta[::-1].copy()),
                            "linear_2": nir.Linear(weight=w3),
                            "LI": nir.LI(tau=np.full(3, 2e-3), r=np.full(3, 0.5), v_leak=np.zeros(3)),
                            "output": nir.Output(output_type=np.array([3]))},
                     edges=_edges("input", "linear", "LIF", "linear_1", "LIF_1", "linear_2", "LI", "output"),
                     type_check=False)
    path = tmp_path / "spyx.nir"
    nir.write(path, g)
    with pytest.warns(UserWarning) as caught:
        net = from_nir(path, dt=dt, as_graph=True, method="euler")
    text = " ".join(str(c.message) for c in caught)
    assert "(in, out)" in text and "square" in text
    np.testing.assert_array_equal(net.nodes["linear_1"].params["weight"], w2.T)
    x = _spikes(rng, (40, 2, n_in), 0.5)
    got = net.run(x, record=["LIF"])
    v1, v2, v3, s1, out = np.zeros((2, n)), np.zeros((2, n)), np.zeros((2, 3)), [], []
    for t in range(40):
        v1 = v1 + (1 - beta) * (-v1 + beta * (x[t] @ w1))
        z1, v1 = _fire(v1, 1.0, 0.0)
        v2 = v2 + (1 - beta[::-1]) * (-v2 + beta[::-1] * (z1 @ w2))
        z2, v2 = _fire(v2, 1.0, 0.0)
        v3 = v3 + dt / 2e-3 * (-v3 + 0.5 * (z2 @ w3))
        s1.append(z1)
        out.append(v3)
    assert np.sum(s1) > 10
    np.testing.assert_array_equal(got["LIF"], np.array(s1))
    np.testing.assert_allclose(got["output"], np.array(out), rtol=1e-12, atol=1e-12)


def test_spyx_shd_fixture_every_layer_transposed(fixtures_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_nir(fixtures_dir / "nir" / "spyx_shd.nir", dt=1e-3, as_graph=True)
    raw = nir.read(str(fixtures_dir / "nir" / "spyx_shd.nir"), type_check=False)
    for k in ("linear", "linear_1", "linear_2"):
        np.testing.assert_array_equal(net.nodes[k].params["weight"], raw.nodes[k].weight.T)


# ----------------------------------------------------------------------------- Rockpool, Lava-dl

def test_rockpool_lif_runs_with_exact_exponentials(tmp_path):
    # Rockpool's exporter: r = tau*exp(-dt/tau)/dt, weights LinearTorch.weight.T (so NIR's (out, in))
    rng = np.random.default_rng(9)
    dt, n = 1e-3, 4
    tau = rng.uniform(5e-3, 2e-2, n)
    w = rng.normal(0, 1, (n, 3))
    r = tau * np.exp(-dt / tau) / dt
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([3])), "0_LinearTorch": nir.Linear(weight=w),
                            "1_LIFNeuronTorch": nir.LIF(tau=tau, r=r, v_leak=np.zeros(n), v_threshold=np.full(n, 0.2)),
                            "output": nir.Output(output_type=np.array([1, 1, n]))},  # Rockpool's output_type
                     edges=_edges("input", "0_LinearTorch", "1_LIFNeuronTorch", "output"), type_check=False)
    path = tmp_path / "rockpool.nir"
    nir.write(path, g)
    got = _load(path, dt=dt).run(_x := _spikes(rng, (40, 2, 3)))["output"]
    a, v, want = np.exp(-dt / tau), np.zeros((2, n)), []
    for t in range(40):
        v = a * v + r * (1 - a) * (_x[t] @ w.T)
        z, v = _fire(v, 0.2, 0.0)
        want.append(z)
    assert np.sum(want) > 10
    np.testing.assert_array_equal(got.reshape(40, 2, n), np.array(want))


def test_lavadl_netx_export_with_integer_edges_and_scalars_loads(tmp_path):
    # Lava-dl's convert_to_nir: nodes "0", "1", ... with integer edges, Input(shape=...), Linear,
    # CubaLIF with Python-float parameters (tau = 1/decay, w_in = tau_syn)
    rng = np.random.default_rng(10)
    w = rng.normal(0, 1, (3, 4))
    graph = {"type": "NIRGraph", "nodes": {
        "0": {"type": "Input", "shape": np.array([4])},
        "1": {"type": "Linear", "weight": w},
        "2": {"type": "CubaLIF", "tau_syn": 4.0, "tau_mem": 8.0, "r": 1.0, "v_leak": 0.0, "v_threshold": 0.5,
              "w_in": 4.0},
        "3": {"type": "Output", "shape": np.array([3])}},
        "edges": np.array([[0, 1], [1, 2], [2, 3]])}
    path = tmp_path / "lava_dl.nir"
    _write_raw(path, graph)
    with pytest.warns(UserWarning, match="node by node"):
        graph_read = read_nir(path)
    assert graph_read.edges == [("0", "1"), ("1", "2"), ("2", "3")]
    net = _load(path, dt=1.0)
    assert net.nodes["2"].params["tau_syn"].shape == (3,)
    x = _spikes(rng, (30, 1, 4))
    got = net.run(x)["3"]
    # the exact CubaLIF of spikecore.interop.graph, written out for a scalar layer
    a_s, a_m = np.exp(-1 / 4.0), np.exp(-1 / 8.0)
    k = 4.0 * (a_s - a_m) / (4.0 - 8.0)
    i, v, want = np.zeros((1, 3)), np.zeros((1, 3)), []
    for t in range(30):
        s = 4.0 * (x[t] @ w.T)
        v = v * a_m + k * i + s * (1 - a_m - k)
        i = a_s * i + (1 - a_s) * s
        z, v = _fire(v, 0.5, 0.0)
        want.append(z)
    assert np.sum(want) > 3
    np.testing.assert_allclose(got, np.array(want))


# ----------------------------------------------------------------------------- shapes and operators

@pytest.mark.parametrize("padding, kernel, stride, dilation, groups", [
    ((1, 2), 3, (1, 1), (1, 1), 1), ("same", 4, (1, 1), (1, 1), 1), ("SAME", 3, (2, 2), (1, 1), 1),
    ("valid", 3, (1, 2), (1, 1), 1), (0, 3, (1, 1), (2, 2), 2)])
def test_conv2d_padding_stride_dilation_groups(tmp_path, padding, kernel, stride, dilation, groups):
    rng = np.random.default_rng(11)
    w = rng.normal(0, 1, (4, 4 // groups, kernel, kernel))
    b = rng.normal(0, 1, 4)
    raw = {"type": "NIRGraph", "nodes": {
        "input": {"type": "Input", "shape": np.array([4, 9, 8])},
        "conv": {"type": "Conv2d", "weight": w, "bias": b, "stride": np.array(stride), "dilation": np.array(dilation),
                 "groups": np.array(groups), "padding": padding if isinstance(padding, str) else np.array(padding),
                 "input_shape": np.array([9, 8])},
        "output": {"type": "Output", "shape": np.array([4, 1, 1])}}, "edges": _edges("input", "conv", "output")}
    path = tmp_path / "conv.nir"
    _write_raw(path, raw)
    x = rng.normal(0, 1, (2, 3, 4, 9, 8))
    got = _load(path, dt=1e-3).run(x)["output"]
    if isinstance(padding, str) and padding.lower() == "same":  # out = ceil(n / s), the extra pixel after
        pads = []
        for n_, s_ in zip((9, 8), stride):
            total = max((-(-n_ // s_) - 1) * s_ + kernel - n_, 0)
            pads.append((total // 2, total - total // 2))
    elif padding == "valid":
        pads = [(0, 0), (0, 0)]
    else:
        pads = [(p, p) for p in np.broadcast_to(padding, (2,))]
    want = np.stack([_ref_conv(x[t], w, b, stride, pads, dilation, groups) for t in range(2)])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if isinstance(padding, str) and padding.lower() == "same":
        assert want.shape[-2:] == tuple(-(-n_ // s_) for n_, s_ in zip((9, 8), stride))


def test_avgpool_averages_and_sumpool_sums(tmp_path):
    rng = np.random.default_rng(12)
    for kind, average in (("AvgPool2d", True), ("SumPool2d", False)):
        g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([2, 6, 6])),
                                "pool": getattr(nir, kind)(kernel_size=np.array([3, 3]), stride=np.array([3, 3]),
                                                           padding=np.array([0, 0])),
                                "output": nir.Output(output_type=np.array([2, 2, 2]))},
                         edges=_edges("input", "pool", "output"))
        path = tmp_path / ("%s.nir" % kind)
        nir.write(path, g)
        x = rng.random((2, 3, 2, 6, 6))
        got = _load(path, dt=1e-3).run(x)["output"]
        np.testing.assert_allclose(got, np.stack([_ref_pool(x[t], 3, average) for t in range(2)]), rtol=1e-12)


def test_li_threshold_delay_scale_and_an_if_without_v_reset(tmp_path):
    # Linear -> LI -> Threshold -> Delay (seconds) -> Scale -> IF (no v_reset: NIR's default 0);
    # single-valued Scale/Threshold/Delay as writers store them for a whole layer
    rng = np.random.default_rng(14)
    dt, tau, w = 1e-3, 4e-3, rng.normal(0, 2, (3, 2))
    graph = {"type": "NIRGraph", "nodes": {
        "input": {"type": "Input", "shape": np.array([2])}, "fc": {"type": "Linear", "weight": w},
        "li": {"type": "LI", "tau": np.full(3, tau), "r": np.full(3, 2.0), "v_leak": np.full(3, 0.1)},
        "th": {"type": "Threshold", "threshold": np.float64(0.3)},
        "delay": {"type": "Delay", "delay": np.float64(3e-3)},
        "scale": {"type": "Scale", "scale": np.float64(0.4)},
        "if": {"type": "IF", "r": np.full(3, 1.5), "v_threshold": np.ones(3)},
        "output": {"type": "Output", "shape": np.array([3])}},
        "edges": _edges("input", "fc", "li", "th", "delay", "scale", "if", "output")}
    path = tmp_path / "chain.nir"
    _write_raw(path, graph)
    x = _spikes(rng, (40, 2, 2), 0.5)
    got = _load(path, dt=dt).run(x, record=["th"])
    a, v, u, th, out = np.exp(-dt / tau), np.zeros((2, 3)), np.zeros((2, 3)), [], []
    for t in range(40):
        v = 0.1 + (v - 0.1) * a + 2.0 * (x[t] @ w.T) * (1 - a)
        th.append((v > 0.3).astype(float))
        delayed = th[t - 3] if t >= 3 else np.zeros((2, 3))
        z, u = _fire(u + 1.5 * 0.4 * delayed, 1.0, 0.0)
        out.append(z)
    assert np.sum(th) > 10 and np.sum(out) > 3
    np.testing.assert_array_equal(got["th"], np.array(th))
    np.testing.assert_array_equal(got["output"], np.array(out))


def test_edges_to_dotted_subgraph_nodes_and_subgraphs_without_io(tmp_path):
    rng = np.random.default_rng(13)
    g, (w_in, w_rec, w_out, beta) = _rleaky_graph(rng, 3, 4, 2)
    x = _spikes(rng, (30, 2, 3))
    want = _load_graph(g).run(x)["output"]
    # the same edges written to the sub-graph's own Input/Output, and straight to its LIF
    for into, out_of in (("lif1.input", "lif1.output"), ("lif1.lif", "lif1.lif")):
        g2, _ = _rleaky_graph(np.random.default_rng(13), 3, 4, 2)
        g2.edges = [(a, into if b == "lif1" else b) for a, b in g2.edges]
        g2.edges = [(out_of if a == "lif1" else a, b) for a, b in g2.edges]
        np.testing.assert_array_equal(_load_graph(g2).run(x)["output"], want)
    # a sub-graph without Input/Output nodes: edges reach its root and leave from its leaf
    inner = nir.NIRGraph(nodes={"fc": nir.Linear(weight=w_in), "lif": g.nodes["lif1"].nodes["lif"]},
                         edges=[("fc", "lif")], type_check=False)
    g3 = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([3])), "block": inner,
                             "output": nir.Output(output_type=np.array([4]))},
                      edges=_edges("input", "block", "output"), type_check=False)
    assert _load_graph(g3).run(x)["output"].shape == (30, 2, 4)
    # ... but a cycle with neither has no entry point: a clear error
    cyc = nir.NIRGraph(nodes={"lif": g.nodes["lif1"].nodes["lif"], "w_rec": nir.Linear(weight=w_rec)},
                       edges=[("lif", "w_rec"), ("w_rec", "lif")], type_check=False)
    g4 = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([4])), "rnn": cyc,
                             "output": nir.Output(output_type=np.array([4]))},
                      edges=_edges("input", "rnn", "output"), type_check=False)
    with pytest.raises(ValueError, match="sub-graph 'rnn'.*Input and Output"):
        _load_graph(g4)


def _load_graph(g):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_nir(g, dt=1e-4, as_graph=True, method="euler")


def test_recurrent_self_edge_delivers_at_the_next_step():
    # IF -> Linear -> the same IF: a spike at t arrives at t + 1, never within its own step
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([1])), "if": nir.IF(r=np.ones(1),
                            v_threshold=np.full(1, 0.5)), "w": nir.Linear(weight=np.ones((1, 1))),
                            "output": nir.Output(output_type=np.array([1]))},
                     edges=[("input", "if"), ("if", "w"), ("w", "if"), ("if", "output")], type_check=False)
    x = np.zeros((6, 1, 1))
    x[0] = 1.0
    out = _load_graph(g).run(x)["output"][:, 0, 0]
    assert list(out) == [1, 1, 1, 1, 1, 1]  # 1 at t=0 (input), then its own spike every next step
    x[0] = 0.6
    g.nodes["w"] = nir.Linear(weight=np.full((1, 1), 0.3))
    out = _load_graph(g).run(x)["output"][:, 0, 0]
    assert list(out) == [1, 0, 0, 0, 0, 0]  # v: 0.6 -> reset 0 -> +0.3 at t=1 (no spike) -> 0.3 ...


def test_if_r_is_written_and_read_as_the_gain_per_step(tmp_path):
    g = GraphNetwork(1e-3)
    g.add("input", "Input", shape=np.array([2]))
    g.add("fc", "Linear", weight=np.eye(2))
    g.add("if", "IF", r=np.full(2, 1e3), v_threshold=np.full(2, 0.5), v_reset=np.zeros(2))  # v += x per step
    g.add("output", "Output")
    for a, b in _edges("input", "fc", "if", "output"):
        g.connect(a, b)
    path = tmp_path / "if.nir"
    write_nir(g, path)
    np.testing.assert_allclose(nir.read(str(path)).nodes["if"].r, [1.0, 1.0])  # what every reader expects
    assert to_nir(g).nodes["if"].r.tolist() == [1.0, 1.0]
    x = np.array([[[0.3, 0.6]], [[0.3, 0.0]]])
    assert _load(path).run(x)["output"][:, 0].tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("case, match", [
    ("unknown", "'Spike'.*NIR node type"), ("shape", "'lif'.*tau.*shape"), ("edge", "'nowhere'.*not a node"),
    ("notnir", "no 'node' group")])
def test_unsupported_or_broken_graphs_say_what_and_where(tmp_path, case, match):
    path = tmp_path / "bad.nir"
    nodes = {"input": {"type": "Input", "shape": np.array([3])},
             "lif": {"type": "LIF", "tau": np.full(3, 1e-2), "r": np.ones(3), "v_leak": np.zeros(3),
                     "v_threshold": np.ones(3), "v_reset": np.zeros(3)},
             "output": {"type": "Output", "shape": np.array([3])}}
    edges = _edges("input", "lif", "output")
    if case == "unknown":
        nodes["lif"] = {"type": "Spike", "threshold": np.ones(3)}
    elif case == "shape":
        nodes["lif"]["tau"] = np.full(2, 1e-2)
    elif case == "edge":
        edges = edges + [("lif", "nowhere")]
    if case == "notnir":
        with h5py.File(path, "w") as f:
            f.create_dataset("data", data=np.zeros(3))
    else:
        _write_raw(path, {"type": "NIRGraph", "nodes": nodes, "edges": edges})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, OSError), match=match):
            from_nir(path, dt=1e-3, as_graph=True)
