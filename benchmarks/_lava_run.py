"""Run a lava-dl netx ``.net`` file in Lava's bit-accurate CPU backend (run inside the Lava venv).

This script is the peer side of ``benchmarks/lava_crosscheck.py``. It runs under Python 3.10 with
``lava-nc==0.10.0``, ``numpy`` and ``h5py`` only: lava-dl (whose ``netx.hdf5.Network`` is the
official loader) cannot be installed next to it here (it pins a CUDA torch), so the process graph
that ``netx.hdf5.Network`` builds is rebuilt from the file with Lava's own processes, following
lava-dl's reader (``lava/lib/dl/netx/hdf5.py``, ``blocks/process.py``, ``utils.py``):

* every dense / conv block is a synapse process (``lava.proc.dense.process.Dense`` or
  ``lava.proc.conv.process.Conv``) feeding a ``lava.proc.lif.process.LIF`` (``LIFReset`` with
  ``reset_interval``); the neuron gets ``vth = vThMant``, ``du = iDecay - 1`` (Lava's fixed-point
  model adds a one-bit offset), ``dv = vDecay``, ``bias_exp = 6`` and ``bias_mant`` = the layer's
  ``bias`` (per neuron, or per channel broadcast over (W, H));
* a dense layer without a ``neuron`` group gets netx's default non-leaky integrator
  (``iDecay`` 0, ``vDecay`` 4096, ``vThMant`` ``1 << 17``);
* dense weights go through lava-dl's ``optimize_weight_bits`` (re-implemented below: scale to the
  8-bit range, exponent ``-scale_bits``, ``num_weight_bits``); the sign mode is *not* passed to
  Lava's Dense (netx's Dense block drops it), so Lava determines it from the weights;
* conv weights ``(C_out, C_in, K_h, K_w[, 1])`` are flipped in (H, W) and transposed to Lava's
  ``(C_out, W, H, C_in)``; stride / padding / dilation are reversed to (W, H); shapes are stored
  (C, H, W) and reversed to Lava's (W, H, C);
* ``flatten`` connects the previous block's output through ``transpose([2, 1, 0]).flatten()``;
* an ``input`` layer with a neuron group is a LIF driven by its ``bias_mant`` (the encoded
  sample, set per run); without a neuron group it only gives the input shape;
* ``dense_rec`` (a recurrent dense layer) is built as a feed-forward Dense plus a recurrent Dense
  (``weight_rec``, optimised the same way) from the layer's own spikes, both into the neuron's
  ``a_in``. The lava-dl versions of ``hdf5.py`` that could be read have no ``dense_rec`` reader,
  so this follows Lava's recurrent-connection semantics, not a netx loader;
* the reset offset of layer ``i`` (counting blocks) is ``reset_offset + 1 + i`` (netx: "time
  starts from 1 in hardware").

Usage::

    python _lava_run.py JOBS.json

``JOBS.json`` is a list of jobs ``{"net", "inputs", "output", "record", "reset_interval",
"reset_offset"}`` (one Lava import for all of them). A job's ``inputs`` ``.npz`` holds either
``spikes`` (T, *input shape) in spikecore's layout ((C, H, W) or (n,)), fed to the first synapse
through ``lava.proc.io.source.RingBuffer``, or ``bias`` (the input layer's bias mantissas, its
shape as stored) and ``steps``. Its ``output`` ``.npz`` receives ``spikes_<i>`` (T, *shape) per
block in spikecore's layout (read from ``lava.proc.io.sink.RingBuffer``), with ``record`` also
``u_<i>`` and ``v_<i>`` (``lava.proc.monitor`` probes, in a second, untimed run), plus
``build_s``, ``compile_s`` (compile + runtime start) and ``run_s`` (the timed
``run(RunSteps(T))`` only). Lava is imported lazily, so the pure helpers can be imported (and
tested) without it.
"""
import argparse
import json
import time

import numpy as np

DEFAULT_NEURON = {"type": "CUBA", "iDecay": 0, "vDecay": 4096, "vThMant": 1 << 17}


def _string(ds):
    value = ds[()]
    if isinstance(value, np.ndarray):
        value = value.ravel()[0]
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _ints(ds):
    # netx's NetDict reads weights and biases with ``astype(int)``
    return np.asarray(ds[()]).astype(int)


def optimize_weight_bits(weight):
    """lava-dl's ``netx.utils.optimize_weight_bits``, the weight scaling netx applies to dense layers.

    With the sign mode from the extremes, the scale :math:`c = \\min(127/w_{\\max}, -128/w_{\\min})`
    (mixed, ``is_signed`` = 1), :math:`255/w_{\\max}` (excitatory) or :math:`-256/w_{\\min}`
    (inhibitory); :math:`s = \\lfloor\\log_2 c\\rfloor + \\mathrm{is\\_signed}`; :math:`n` the largest
    power of two (<= 8) dividing every weight, minus ``is_signed``. (Shrestha & Orchard, 2018, for
    SLAYER / lava-dl; Davies et al., 2018, for Loihi's 8-bit weight with a shared exponent.)

    Parameters
    ----------
    weight : int array (n_out, n_in)
        Integer weights as stored in the netx file.

    Returns
    -------
    weight : int array
        :math:`w \\ll s`, what netx hands to Lava's Dense.
    num_weight_bits : int
        :math:`8 - s - n`.
    weight_exp : int
        :math:`-s`.
    """
    wmax, wmin = np.max(weight), np.min(weight)
    if wmax < 0:
        signed, scale = 0, -256 / wmin
    elif wmin >= 0:
        signed, scale = 0, 255 / wmax
    else:
        with np.errstate(divide="ignore"):  # largest weight 0: NumPy gives inf, as in lava-dl
            signed, scale = 1, min(127 / wmax, -128 / wmin)
    scale_bits = np.floor(np.log2(scale)) + signed
    n = 8
    while n > 0 and np.sum(np.abs(weight / 2**n - np.round(weight / 2**n))) != 0:
        n -= 1
    n -= signed
    weight = np.left_shift(weight.astype(np.int32), int(scale_bits))
    return weight.astype(int), int(8 - scale_bits - n), int(-scale_bits)


def _neuron_params(group, reset_interval, reset_offset):
    from lava.proc.lif.process import LIF, LIFReset
    cfg = DEFAULT_NEURON if group is None else {k: group[k][()] for k in group.keys() if k != "type"}
    ntype = "CUBA" if group is None else _string(group["type"])
    if ntype not in ("CUBA", "LOIHI"):
        raise ValueError("neuron type %r is not a CUBA LIF" % ntype)
    params = dict(vth=int(cfg["vThMant"]), du=int(cfg["iDecay"]) - 1, dv=int(cfg["vDecay"]), bias_exp=6)
    proc = LIF
    if reset_interval is not None:
        proc = LIFReset
        params.update(reset_interval=reset_interval, reset_offset=reset_offset)
    return proc, params


def _bias_mant(bias, shape):
    if bias is None:
        return np.zeros(shape, np.int32)
    if len(shape) == 1 or list(bias.shape) == list(shape):
        return np.broadcast_to(bias, shape).astype(np.int32)
    full = np.zeros(shape)
    full[:, :] = bias  # channel-wise bias over (W, H, C)
    return full.astype(np.int32)


def _pair_wh(ds):
    v = np.asarray(ds[()]).astype(int).ravel()
    return np.array([v[0], v[0]]) if v.size == 1 else v[::-1].copy()


def _shape_whc(g):
    # a layer's shape, netx's (C, H, W) / (n,) reversed to Lava's (W, H, C)
    return tuple(int(s) for s in np.ravel(g["shape"][()]))[::-1]


def _synapse(key, kind, g, conv_in, message_bits):
    """The Lava synapse process of a netx ``conv`` or ``dense`` layer group and its output shape
    (Lava's): Conv with the kernel flipped and transposed to (C_out, W, H, C_in), or Dense with
    the weights through :func:`optimize_weight_bits`."""
    from lava.proc.conv.process import Conv
    from lava.proc.dense.process import Dense
    if kind == "conv":
        shape = _shape_whc(g)
        w = _ints(g["weight"])[:, :, ::-1, ::-1]
        w = w.reshape(w.shape[:4]).transpose((0, 3, 2, 1))
        syn = Conv(weight=w, input_shape=tuple(conv_in), stride=_pair_wh(g["stride"]),
                   padding=_pair_wh(g["padding"]), dilation=_pair_wh(g["dilation"]),
                   groups=int(np.ravel(g["groups"][()])[0]), num_message_bits=message_bits)
        if tuple(syn.output_shape) != shape:
            raise ValueError("layer %s: conv output %s, file says %s" % (key, syn.output_shape, shape))
        return syn, shape
    shape = (int(np.prod(g["shape"][()])),)
    w = _ints(g["weight"])
    if w.ndim == 1:
        w = w.reshape(shape[0], -1)
    w, nwb, wexp = optimize_weight_bits(w)
    return Dense(weights=w, weight_exp=wexp, num_weight_bits=nwb, num_message_bits=message_bits), shape


def _connect(prev_out, syn, flatten):
    """Connect the previous layer's output ``prev_out`` to ``syn`` (through netx's flatten when
    ``flatten``)."""
    if flatten:
        prev_out.transpose([2, 1, 0]).flatten().connect(syn.s_in)
    else:
        prev_out.connect(syn.s_in)


def build(path, reset_interval=None, reset_offset=0, input_bias=None):
    """Build the Lava processes netx would build for a ``.net`` file (conventions: module docstring).

    Parameters
    ----------
    path : str
        The netx HDF5 file.
    reset_interval : int or None
        netx's ``reset_interval`` (``LIFReset`` neurons); None: plain ``LIF``.
    reset_offset : int
        netx's ``reset_offset``; block ``i`` resets at Lava steps :math:`t` with
        :math:`t \\bmod R = (o + 1 + i) \\bmod R`.
    input_bias : int array or None
        Bias mantissas of an input layer's neurons, in Lava's (W, H, C) layout.

    Returns
    -------
    first_port : InPort or None
        The first synapse's ``s_in`` (None when an input layer drives the network).
    in_shape : tuple or None
        The input shape (W, H, C) from a shape-only input layer.
    blocks : list of dict
        Per neuron layer: ``neuron`` (the LIF process), ``shape`` (Lava's), ``input`` (bool).
    """
    import h5py
    from lava.proc.dense.process import Dense
    blocks, first_port, in_shape = [], None, None
    prev_out, flatten_next = None, False
    offset = reset_offset + 1
    with h5py.File(path, "r") as f:
        group = f["layer"]
        for key in sorted(group.keys(), key=int):
            g = group[key]
            kind = _string(g["type"])
            if kind == "flatten":
                flatten_next = True
                continue
            neuron_group = g["neuron"] if "neuron" in g else None
            if kind == "input":
                shape = _shape_whc(g)
                if neuron_group is None:
                    in_shape = shape
                    continue
                proc, params = _neuron_params(neuron_group, reset_interval, offset)
                bias = np.zeros(shape, np.int32) if input_bias is None else input_bias.reshape(shape)
                lif = proc(shape=shape, bias_mant=bias.astype(np.int32), **params)
                blocks.append({"neuron": lif, "shape": shape, "input": True})
                prev_out = lif.s_out
                offset += 1
                continue
            if kind not in ("dense", "dense_rec", "conv"):
                raise ValueError("layer %s: type %r is not supported by this runner" % (key, kind))
            proc, params = _neuron_params(neuron_group, reset_interval, offset)
            bias = _ints(g["bias"]) if "bias" in g else None
            syn, shape = _synapse(key, kind, g, blocks[-1]["shape"] if blocks else in_shape, 0)
            syns = [syn]
            lif = proc(shape=shape, bias_mant=_bias_mant(bias, shape), **params)
            syn.a_out.connect(lif.a_in)
            if kind == "dense_rec":
                w_rec = _ints(g["weight_rec"]).reshape(shape[0], shape[0])
                w_rec, nwb_r, wexp_r = optimize_weight_bits(w_rec)
                rec = Dense(weights=w_rec, weight_exp=wexp_r, num_weight_bits=nwb_r, num_message_bits=0)
                lif.s_out.connect(rec.s_in)
                rec.a_out.connect(lif.a_in)
                syns.append(rec)
            if prev_out is None:
                first_port = syn.s_in
            else:
                _connect(prev_out, syn, flatten_next)
            flatten_next = False
            blocks.append({"neuron": lif, "shape": shape, "input": False, "synapses": syns})
            prev_out = lif.s_out
            offset += 1
    return first_port, in_shape, blocks


def _to_lava(x):
    # spikecore (T, C, H, W) / (T, n) -> Lava (W, H, C, T) / (n, T)
    return np.ascontiguousarray(np.transpose(x, tuple(range(x.ndim - 1, -1, -1))))


def _from_lava(x):
    # Lava (W, H, C, T) / (n, T) -> spikecore (T, C, H, W) / (T, n)
    return np.transpose(x, tuple(range(x.ndim - 1, -1, -1)))


def run(path, inputs, steps, record=False, reset_interval=None, reset_offset=0):
    """Build, compile and run the network once; returns a dict of arrays and timings."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as SinkBuffer
    from lava.proc.io.source import RingBuffer as SourceBuffer
    from lava.proc.monitor.process import Monitor
    out = {}
    t0 = time.perf_counter()
    bias = None
    if "bias" in inputs:
        bias = np.asarray(inputs["bias"]).astype(np.int32)
        bias = _to_lava(bias[..., None])[0] if bias.ndim > 1 else bias
    first_port, _, blocks = build(path, reset_interval, reset_offset, bias)
    if "spikes" in inputs:
        if first_port is None:
            raise ValueError("%s has an input layer: give 'bias', not 'spikes'" % path)
        src = SourceBuffer(data=_to_lava(inputs["spikes"]).astype(np.int32))
        src.s_out.connect(first_port)
    elif not blocks[0]["input"]:
        raise ValueError("%s has no input layer: give 'spikes'" % path)
    sinks = []
    for b in blocks:
        sink = SinkBuffer(shape=b["shape"], buffer=steps)
        b["neuron"].s_out.connect(sink.a_in)
        sinks.append(sink)
    monitors = []
    if record:
        for b in blocks:
            for var in ("u", "v"):
                m = Monitor()
                m.probe(getattr(b["neuron"], var), steps)
                monitors.append((b["neuron"], var, m))
    root = blocks[-1]["neuron"]
    out["build_s"] = time.perf_counter() - t0
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    t0 = time.perf_counter()
    root.create_runtime(run_cfg=cfg)
    out["compile_s"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        root.run(condition=RunSteps(num_steps=steps))
        out["run_s"] = time.perf_counter() - t0
        for i, sink in enumerate(sinks):
            out["spikes_%d" % i] = _from_lava(sink.data.get()).astype(np.uint8)
        for i, b in enumerate(blocks):
            for var in ("u", "v"):
                for neuron, name, m in monitors:
                    if neuron is b["neuron"] and name == var:
                        data = m.get_data()[neuron.name][name]  # (T, *shape)
                        arr = np.asarray(data)
                        out["%s_%d" % (var, i)] = np.transpose(
                            arr, (0,) + tuple(range(arr.ndim - 1, 0, -1))).astype(np.int64)
    finally:
        root.stop()
    return out


def run_job(job):
    """Run one job dict (``net``, ``inputs``, ``output``, optional ``record``, ``reset_interval``,
    ``reset_offset``) and write its ``.npz``."""
    with np.load(job["inputs"]) as z:
        inputs = {k: z[k] for k in z.files}
    steps = int(inputs["spikes"].shape[0]) if "spikes" in inputs else int(inputs["steps"])
    reset = (job.get("reset_interval"), int(job.get("reset_offset", 0)))
    out = run(job["net"], inputs, steps, False, *reset)
    if job.get("record"):
        rec = run(job["net"], inputs, steps, True, *reset)
        for k, v in rec.items():
            if k.startswith(("u_", "v_")):
                out[k] = v
            elif k.startswith("spikes_") and not np.array_equal(v, out[k]):
                raise RuntimeError("Lava gave different spikes with monitors attached (%s)" % k)
    np.savez(job["output"], **out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("jobs", help="JSON file: a list of job dicts (see run_job)")
    args = p.parse_args(argv)
    with open(args.jobs) as f:
        jobs = json.load(f)
    for job in jobs:
        run_job(job)


if __name__ == "__main__":
    main()
