"""Run a lava-dl netx SDNN ``.net`` file with Lava's own sigma-delta processes (run inside the Lava venv).

The peer side of ``tests/test_lava_sdnn.py``. It runs under Python 3.10 with ``lava-nc==0.10.0``,
``numpy`` and ``h5py`` only (lava-dl cannot be installed next to it: it pins a CUDA torch), so the
process graph ``netx.hdf5.Network`` builds for an SDNN file is rebuilt here with Lava's processes,
following lava-dl's reader (``lava/lib/dl/netx/hdf5.py`` ``get_neuron_params``, ``create_*``;
``blocks/process.py``; ``utils.optimize_weight_bits``, shared with ``_lava_run.py``):

* an ``input`` layer whose neuron ``type`` is ``SDNN`` is ``lava.proc.sdn.process.Delta`` with
  ``vth = vThMant``, ``spike_exp = state_exp = 6``; the input values are fed to its ``a_in``
  through ``lava.proc.io.source.RingBuffer`` (netx's Input block leaves that port to the user);
* a ``dense`` layer is ``lava.proc.dense.process.Dense`` (weights through ``optimize_weight_bits``,
  ``weight_exp``, ``num_weight_bits``, ``num_message_bits`` = the previous layer's message bits:
  ``messageBits`` or netx's SDNN default 16) feeding ``lava.proc.sdn.process.SigmaDelta``
  (``vth = vThMant``, ``bias`` = the layer's bias, ``spike_exp = state_exp = 6``, ReLU), or
  ``lava.proc.sdn.process.Sigma`` when the neuron group has ``sigma_output``;
* a ``conv`` layer is ``lava.proc.conv.process.Conv`` (kernel flipped and transposed to Lava's
  (C_out, W, H, C_in); stride / padding / dilation reversed to (W, H); shapes (C, H, W) reversed
  to (W, H, C)) with ``num_message_bits`` likewise; ``flatten`` connects through
  ``transpose([2, 1, 0]).flatten()``.

Usage::

    python _lava_sdnn_run.py NET INPUTS.npz OUTPUT.npz [--record] [--cum-error]

``INPUTS.npz`` holds ``x`` (T, *input shape) in spikecore's layout ((C, H, W) or (n,)). The
output holds ``s_<i>`` (T, *shape) per layer (graded spikes, from ``lava.proc.io.sink.RingBuffer``)
and with ``--record`` ``sigma_<i>`` and ``act_<i>`` (``lava.proc.monitor`` probes; the Sigma unit
has no ``act``). ``--cum-error`` builds every SigmaDelta / Delta with ``cum_error=True`` (netx
never does; it tests Lava's cumulative-error mode).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lava_run import (_bias_mant, _connect, _from_lava, _ints, _shape_whc, _string,  # noqa: E402
                       _synapse, _to_lava)


def _message_bits(neuron_group):
    if neuron_group is None:
        return 0
    if "messageBits" in neuron_group:
        return int(np.ravel(neuron_group["messageBits"][()])[0])
    return 16 if _string(neuron_group["type"]) == "SDNN" else 0


def _bias(g, shape):
    # the layer's bias mantissas broadcast as _lava_run does for CUBA layers; None when absent
    return _bias_mant(_ints(g["bias"]), shape) if "bias" in g else None


def build(path, cum_error=False):
    """The Lava processes of an SDNN netx file; returns (input process or first port, blocks)."""
    import h5py
    from lava.proc.sdn.process import Delta, Sigma, SigmaDelta
    blocks, first, in_shape = [], None, None
    prev_out, flatten_next, bits = None, False, 0
    with h5py.File(path, "r") as f:
        group = f["layer"]
        for key in sorted(group.keys(), key=int):
            g = group[key]
            kind = _string(g["type"])
            if kind == "flatten":
                flatten_next = True
                continue
            ng = g["neuron"] if "neuron" in g else None
            if kind == "input":
                shape = _shape_whc(g)
                if ng is None:
                    in_shape = shape
                    continue
                if _string(ng["type"]) != "SDNN":
                    raise ValueError("layer %s: this runner builds SDNN networks only" % key)
                nrn = Delta(shape=shape, vth=int(np.ravel(ng["vThMant"][()])[0]), spike_exp=6, state_exp=6,
                            cum_error=cum_error)
                first = nrn.a_in
                blocks.append({"neuron": nrn, "shape": shape, "sigma_only": False})
                prev_out, bits = nrn.s_out, _message_bits(ng)
                continue
            if ng is None or _string(ng["type"]) != "SDNN":
                raise ValueError("layer %s: this runner builds SDNN networks only" % key)
            if kind not in ("conv", "dense"):
                raise ValueError("layer %s: type %r is not supported by this runner" % (key, kind))
            syn, shape = _synapse(key, kind, g, blocks[-1]["shape"] if blocks else in_shape, bits)
            sigma_only = "sigma_output" in ng
            if sigma_only:
                nrn = Sigma(shape=shape)
            else:
                bias = _bias(g, shape)
                kw = {} if bias is None else {"bias": bias}
                nrn = SigmaDelta(shape=shape, vth=int(np.ravel(ng["vThMant"][()])[0]), spike_exp=6, state_exp=6,
                                 cum_error=cum_error, **kw)
            syn.a_out.connect(nrn.a_in)
            if prev_out is None:
                first = syn.s_in
            else:
                _connect(prev_out, syn, flatten_next)
            flatten_next = False
            blocks.append({"neuron": nrn, "shape": shape, "sigma_only": sigma_only})
            prev_out, bits = nrn.s_out, _message_bits(ng)
    return first, blocks


def run(path, x, record=False, cum_error=False):
    """Run the network on ``x`` (T, *input shape, spikecore layout); returns a dict of arrays."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as SinkBuffer
    from lava.proc.io.source import RingBuffer as SourceBuffer
    from lava.proc.monitor.process import Monitor
    steps = int(x.shape[0])
    first, blocks = build(path, cum_error)
    src = SourceBuffer(data=_to_lava(x).astype(np.int32))
    src.s_out.connect(first)
    sinks = []
    for b in blocks:
        sink = SinkBuffer(shape=b["shape"], buffer=steps)
        b["neuron"].s_out.connect(sink.a_in)
        sinks.append(sink)
    monitors = []
    if record:
        for i, b in enumerate(blocks):
            for var in ("sigma",) if b["sigma_only"] else ("sigma", "act"):
                if not hasattr(b["neuron"], var):
                    continue  # Delta has a sigma Var (unused) and an act
                m = Monitor()
                m.probe(getattr(b["neuron"], var), steps)
                monitors.append((i, b["neuron"], var, m))
    root = blocks[-1]["neuron"]
    root.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
    out = {}
    try:
        for i, sink in enumerate(sinks):
            out["s_%d" % i] = _from_lava(sink.data.get()).astype(np.int64)
        for i, neuron, var, m in monitors:
            arr = np.asarray(m.get_data()[neuron.name][var])  # (T, *shape)
            out["%s_%d" % (var, i)] = np.transpose(arr, (0,) + tuple(range(arr.ndim - 1, 0, -1))).astype(np.int64)
    finally:
        root.stop()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("net")
    p.add_argument("inputs")
    p.add_argument("output")
    p.add_argument("--record", action="store_true")
    p.add_argument("--cum-error", action="store_true")
    args = p.parse_args(argv)
    with np.load(args.inputs) as z:
        x = z["x"]
    np.savez(args.output, **run(args.net, x, args.record, args.cum_error))


if __name__ == "__main__":
    main()
