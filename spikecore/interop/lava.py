"""Lava-dl netx HDF5 networks (Loihi): read, run bit-exactly, write, and report chip resources.

A netx file (Shrestha & Orchard, 2018 for SLAYER; lava-dl's ``netx`` exchange format) holds
``layer/<i>/`` groups with ``type`` (``input``, ``dense``, ``conv``, ``flatten``,
``dense_rec``, ...), ``shape`` stored as (C, H, W), integer-valued ``weight``, ``bias``,
optional ``delay``, and a ``neuron`` group (``type`` CUBA/LOIHI, ``iDecay``, ``vDecay``,
``vThMant``, ``refDelay``, ``gradedSpike``; or ``type`` SDNN, ``vThMant``, ``activation``,
optional ``sigma_output`` and ``messageBits``, as lava-dl's ``slayer`` sigma-delta blocks export
them).

Conventions, taken from lava-dl's reader (``lava.lib.dl.netx.hdf5``, ``utils``, ``blocks``) and
Lava's process models (``proc/lif``, ``proc/dense``, ``proc/conv``):

* **Shapes.** netx reverses the stored (C, H, W) into Lava's (W, H, C). We keep (C, H, W) with
  C-order flattening, which is what netx's ``flatten`` produces (it transposes Lava's
  (W, H, C) back to (C, H, W) before flattening).
* **Convolution.** netx flips the stored kernel ``(C_out, C_in, K_h, K_w, 1)`` for Lava's
  convolution, and Lava flips it again when it calls a correlation, so the stored kernel acts as
  a PyTorch ``conv2d`` cross-correlation on (C, H, W) input; stride, padding and dilation are
  stored (H, W). The dendritic sum wraps to 24 bits; conv weights are used as stored.
* **Neuron.** Lava's LIF gets ``du = iDecay - 1`` and ``dv = vDecay`` because its bit-accurate
  model adds a one-bit offset to ``du``; we store Loihi's effective decays
  :math:`\\delta_u` = ``iDecay`` and :math:`\\delta_v` = ``vDecay`` directly. The bias exponent is
  always 6. A ``dense`` layer without a neuron group gets the default non-leaky integrator
  (``iDecay`` 0, ``vDecay`` 4096, ``vThMant`` ``1 << 17``) like netx. ``refDelay`` is kept but
  not applied: Lava's LIF (the model netx instantiates) has no refractory period.
* **Dense weights.** netx's ``optimize_weight_bits`` left-shifts the weights by a scale
  :math:`s` and sets the weight exponent :math:`-s`; Lava's Dense clips them to 8 bits in the
  sign mode and truncates the low bits to ``num_weight_bits``; the dendritic sum is then shifted
  by the exponent (arithmetic right shift for a negative exponent).
* **Timing.** Every synapse block (Dense, Conv) sends the sum of step :math:`t-1` at step
  :math:`t`, so each layer adds one step of latency; an input layer has no synapse and is driven
  by its bias (the encoded image).
* **Sigma-delta (SDNN) layers** (O'Connor & Welling, 2016; lava-dl, Shrestha et al., 2023), as
  netx's ``get_neuron_params`` builds them from ``lava.proc.sdn``: an SDNN ``input`` layer is a
  ``Delta`` encoder fed directly (no synapse, same step) with the integer input values; a dense or
  conv layer is a ReLU ``SigmaDelta`` with ``vth = vThMant``, the layer's ``bias`` and
  ``spike_exp = state_exp = 6`` (threshold and bias scaled by :math:`2^{12}`, graded spike =
  sent change :math:`\\gg 6`), or a ``Sigma`` accumulator when the group has ``sigma_output``.
  Their graded spikes go through the next ``Dense`` (netx's weight scaling and exponent, int32
  sums) or ``Conv`` with ``num_message_bits`` = the layer's ``messageBits`` (netx's default 16;
  0 sends binary spikes). Arithmetic: :mod:`spikecore.kernels.sigma_delta`. netx ignores the
  reset for them and builds no recurrent or delayed SDNN layers; the emulator refuses those.
  Checked bit for bit (spikes, sigma and act of every layer) against Lava 0.10's own processes by
  ``tests/test_lava_sdnn.py``. The engine's spikes carry no payload, so :func:`read_netx` returns
  the :class:`LoihiNetwork` emulator for SDNN files. Resonate-and-fire (RF, RF_IZ, ADRF) and S4D
  neurons are refused with a clear error.

:func:`read_netx` returns an engine :class:`spikecore.network.Network` (populations
``layer0``, ``layer1``, ... of :class:`~spikecore.neurons.loihi.LoihiCUBA`, run with
``Network.run``; see :meth:`LoihiNetwork.to_network`), which reproduces lava-dl's golden outputs
bit for bit; ``read_netx(path, emulator=True)`` (or :meth:`LoihiNetwork.from_netx`) gives the
:class:`LoihiNetwork` emulator, which also records currents.
"""
import collections.abc
import math
import os
import warnings
from dataclasses import dataclass, field

import h5py
import numpy as np

from .. import _validate as V
from .._atomic import atomic_path
from ..kernels import loihi as _k
from ..kernels import sigma_delta as _sd
from ..neurons.loihi import LoihiCUBA, effective_bias

__all__ = ["NetxNeuron", "NetxLayer", "LoihiNetwork", "read_netx", "write_netx", "run_netx", "input_bias",
           "netx_weight_quantization", "resource_report"]

_KNOWN_TYPES = ("input", "dense", "conv", "flatten", "dense_rec", "pool", "average")


@dataclass
class NetxNeuron:
    """Loihi CUBA neuron parameters of one netx layer (Davies et al., 2018).

    Attributes
    ----------
    type : str
        ``CUBA`` or ``LOIHI`` (both are the CUBA LIF neuron), or ``SDNN`` (lava-dl's sigma-delta
        neuron, see :mod:`spikecore.kernels.sigma_delta`: the decays and ``ref_delay`` are unused).
    i_decay, v_decay : int
        Loihi's current and voltage decays :math:`\\delta_u, \\delta_v` (0..4096).
    vth_mant : int
        Threshold mantissa :math:`\\theta`.
    ref_delay : int
        Refractory delay (kept for the file; Lava's LIF does not apply it).
    graded_spike : bool
        Graded spikes flag (not supported by the emulator; kept for the file).
    extra : dict
        Any other dataset of the neuron group (``theta``, ``tauRho``, ...), written back as read.
    activation : str or None
        SDNN: the file's ``activation`` (only ``relu``: netx always builds a ReLU ``SigmaDelta``).
    sigma_output : bool
        SDNN: the file's ``sigma_output`` flag (netx builds Lava's ``Sigma``: accumulate only).
    message_bits : int or None
        The file's ``messageBits`` (None: netx's default, 16 for SDNN and 0 = binary for CUBA).
    cum_error : bool
        SDNN: cumulative-error spike condition (Lava's ``cum_error``; netx never sets it, so
        :func:`write_netx` refuses it).
    spike_exp, state_exp : int
        SDNN: Lava's fixed-point exponents (netx uses 6 and 6).
    """

    type: str = "CUBA"
    i_decay: int = 4096
    v_decay: int = 4096
    vth_mant: int = 1
    ref_delay: int = 1
    graded_spike: bool = False
    extra: dict = field(default_factory=dict)
    activation: str = None
    sigma_output: bool = False
    message_bits: int = None
    cum_error: bool = False
    spike_exp: int = 6
    state_exp: int = 6

    @property
    def is_sigma_delta(self):
        """True for lava-dl's sigma-delta neurons (``type`` ``SDNN``)."""
        return self.type == "SDNN"

    @property
    def out_message_bits(self):
        """Bits of the graded spike this layer sends (netx: ``messageBits``, 16 for SDNN, 0 = binary)."""
        if self.message_bits is not None:
            return int(self.message_bits)
        return 16 if self.is_sigma_delta else 0

    def model(self, bias_mant=0, fixed_point=True):
        """The :class:`~spikecore.neurons.loihi.LoihiCUBA` of this layer (bias exponent 6)."""
        if self.is_sigma_delta:
            V.fail("neuron.type", self.type, "a CUBA/LOIHI neuron: sigma-delta layers have no LoihiCUBA model "
                   "(LoihiNetwork.run emulates them)")
        return LoihiCUBA(min(self.i_decay, 4096), min(self.v_decay, 4096), min(self.vth_mant, 2**17 - 1),
                         bias_mant=bias_mant, bias_exp=6, fixed_point=fixed_point)


@dataclass
class NetxLayer:
    """One netx layer, exactly as stored (integer-valued weights, (C, H, W) shapes).

    Attributes
    ----------
    kind : str
        ``input``, ``dense``, ``conv``, ``flatten`` or ``dense_rec``.
    shape : tuple of int
        Output shape, (C, H, W) for input/conv layers, (n,) for dense layers.
    neuron : NetxNeuron or None
        Neuron parameters (None for ``flatten``).
    weight : ndarray or None
        Dense ``(n_out, n_in)``; conv ``(C_out, C_in / groups, K_h, K_w)``; input: scalar
        transform weight.
    bias : ndarray or None
        Per-neuron or per-channel bias mantissa; input: scalar transform bias.
    delay : ndarray or None
        Per-synapse delays in steps (dense).
    weight_rec : ndarray or None
        Recurrent weights of a ``dense_rec`` layer.
    stride, padding, dilation : tuple of int
        Conv geometry (H, W).
    groups : int
        Conv groups.
    """

    kind: str
    shape: tuple
    neuron: NetxNeuron = None
    weight: np.ndarray = None
    bias: np.ndarray = None
    delay: np.ndarray = None
    weight_rec: np.ndarray = None
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)
    groups: int = 1

    @property
    def size(self):
        """Number of neurons."""
        return int(np.prod(self.shape))


def netx_weight_quantization(weight):
    """Integer weights as Loihi's synapse stores them, by lava-dl's and Lava's rules.

    First lava-dl's ``optimize_weight_bits``: with sign mode from the extremes, the scale
    :math:`c = \\min(127/w_{\\max}, -128/w_{\\min})` (mixed; is_signed = 1),
    :math:`255/w_{\\max}` (excitatory) or :math:`-256/w_{\\min}` (inhibitory),
    :math:`s = \\lfloor \\log_2 c \\rfloor + \\mathrm{is\\_signed}`, :math:`n` the largest power of two
    (<= 8) dividing every weight minus is_signed, ``num_weight_bits`` :math:`= 8 - s - n`,
    weight exponent :math:`-s` and weights :math:`w \\ll s`. Then Lava's Dense: clip to 8 bits in
    Lava's sign mode and clear the lowest :math:`8 - \\mathrm{num\\_weight\\_bits} +
    \\mathrm{mixed}` bits. The synaptic input is :math:`\\mathrm{shift}(\\sum_j W_{ij} z_j, -s)`.
    (Davies et al., 2018, for the 8-bit weight with exponent.)

    Parameters
    ----------
    weight : array
        Integer-valued weights as stored in the netx file.

    Returns
    -------
    w_q : int32 array
        The weights the synapse holds (before the exponent).
    weight_exp : int
        Exponent :math:`-s`.
    num_weight_bits : int
        Weight precision netx asks for.
    sign_mode : str
        ``mixed``, ``excitatory`` or ``inhibitory`` (Lava's).
    """
    w = np.asarray(weight)
    if not np.all(np.isfinite(w)) or not np.all(w == np.round(w)):
        V.fail("weight", "<array with non-integer values>", "integer-valued netx weights")
    w = w.astype(np.int64)
    if w.size == 0 or not np.any(w):
        return np.zeros(w.shape, np.int32), 0, 8, "excitatory"
    wmax, wmin = int(w.max()), int(w.min())
    if wmax > 254 and wmin < 0:
        warnings.warn("netx weights above 254 are clipped to 254 (lava-dl optimize_weight_bits)")
        w = np.clip(w, -256, 254)
        wmax = int(w.max())
    if wmin < -256 and wmax > 0:
        warnings.warn("netx weights below -256 are clipped to -256 (lava-dl optimize_weight_bits)")
        w = np.clip(w, -256, 254)
        wmin = int(w.min())
    if wmax < 0:
        signed, scale = 0, -256.0 / wmin
    elif wmin >= 0:
        signed, scale = 0, 255.0 / wmax
    else:
        signed, scale = 1, min(127.0 / wmax if wmax > 0 else np.inf, -128.0 / wmin)
    s = int(np.floor(np.log2(scale))) + signed
    n = 8
    while n > 0 and np.sum(np.abs(w / 2.0**n - np.round(w / 2.0**n))) != 0:
        n -= 1
    n -= signed
    nwb = 8 - s - n
    if s < 0:
        V.fail("weight", "<weights in %d..%d>" % (wmin, wmax),
               "weights that fit Loihi's 8-bit synapse (lava-dl cannot shift by a negative scale)")
    w = w << s
    # Lava's Dense process model: sign mode from the weights, clip to 8 bits, truncate
    mode = "excitatory" if w.min() >= 0 else "inhibitory" if w.max() <= 0 else "mixed"
    mixed = int(mode == "mixed")
    sgn = -1 if mode == "inhibitory" else 1
    clipped = sgn * np.clip(sgn * w, -(2**8) * mixed, 2**8 - 1)
    if np.any(clipped != w):
        warnings.warn("Lava's Dense clips %d netx weight(s) after lava-dl's scaling (e.g. inhibitory "
                      "weights scaled to -256 become -255, then lose their low bits): the chip computes "
                      "with different weights than the file holds" % int(np.sum(clipped != w)))
    w = clipped
    trunc = 8 - nwb + mixed
    if trunc < 0:
        V.fail("weight", "<weights in %d..%d>" % (wmin, wmax), "a weight precision of at most 8 bits")
    w = sgn * (((sgn * w) >> trunc) << trunc)
    return w.astype(np.int32), -s, int(nwb), mode


def _shift(x, exp):
    return x << exp if exp > 0 else x >> (-exp)


class LoihiNetwork:
    """A feed-forward stack of Loihi CUBA layers, emulated bit for bit as Lava runs it.

    Each layer is a synapse block (dense, conv or recurrent dense) feeding Loihi CUBA neurons
    (Davies et al., 2018); an input layer is neurons only, driven by its bias. With
    :math:`z^{(0)}` the external input raster and :math:`z^{(l)}` the spikes of layer :math:`l`,

    .. math::
        a^{(l)}[t] = \\mathrm{syn}_l\\big(z^{(l-1)}[t-1]\\big), \\qquad a^{(l)}[1] = 0,

    the one-step latency of every Lava synapse block, then the neuron update of
    :mod:`spikecore.kernels.loihi` (CUBA) or :mod:`spikecore.kernels.sigma_delta` (SDNN layers,
    whose graded spikes feed the next synapse; an SDNN input layer is a Delta encoder read in the
    same step, without a synapse).

    Parameters
    ----------
    layers : list of NetxLayer
        The layers in order (``flatten`` entries are allowed and only mark the reshape).
    simulation : dict, optional
        The file's ``simulation`` group (``Ts``, ``tSample``), kept for writing back.
    """

    def __init__(self, layers, simulation=None):
        self.layers = list(layers)
        self.simulation = dict(simulation or {})
        self._check()

    def _check(self):
        prev = None
        for i, layer in enumerate(self.layers):
            V.choice("layers[%d].kind" % i, layer.kind, ("input", "dense", "conv", "flatten", "dense_rec"))
            if layer.kind == "flatten":
                continue
            if layer.kind == "input" and (prev is not None or i > 0):
                V.fail("layers[%d].kind" % i, "input", "an input layer only at the start")
            if layer.kind in ("dense", "dense_rec") and prev is not None:
                if layer.weight.shape[1] != prev.size:
                    V.fail("layers[%d].weight" % i, "<shape %s>" % (layer.weight.shape,),
                           "%d input columns (the previous layer has %d neurons)" % (prev.size, prev.size))
            if layer.kind == "conv" and prev is not None:
                if len(prev.shape) != 3 or layer.weight.shape[1] * layer.groups != prev.shape[0]:
                    V.fail("layers[%d].weight" % i, "<shape %s>" % (layer.weight.shape,),
                           "C_in * groups = channels of the previous layer %s" % (prev.shape,))
                expect = _conv_out_shape(prev.shape, layer)
                if tuple(expect) != tuple(layer.shape):
                    V.fail("layers[%d].shape" % i, layer.shape, "%s from the conv geometry" % (tuple(expect),))
            if layer.neuron is not None and layer.neuron.is_sigma_delta:
                _check_sdnn_layer(layer, "layers[%d]" % i)
            prev = layer

    @property
    def neuron_layers(self):
        """The layers that hold neurons (all but ``flatten``)."""
        return [l for l in self.layers if l.kind != "flatten" and not _shape_only(l)]

    @property
    def input_shape(self):
        """Shape of the external input: that of the input layer, or the first synapse's input."""
        if self.layers and _shape_only(self.layers[0]):
            return tuple(self.layers[0].shape)
        first = self.neuron_layers[0]
        if first.kind == "input":
            return tuple(first.shape)
        if first.kind == "conv":
            return None
        return (first.weight.shape[1],)

    def __len__(self):
        return len(self.neuron_layers)

    def __repr__(self):
        rows = ["%s%s" % (l.kind, tuple(l.shape)) for l in self.layers]
        return "LoihiNetwork(%s)" % ", ".join(rows)

    def input_bias(self, image):
        """Bias mantissas of the input layer for an image, by netx's input transform.

        .. math:: m = 2 w x - w + b

        with :math:`w, b` the input layer's stored transform ``weight`` and ``bias``.
        """
        first = self.neuron_layers[0]
        if first.kind != "input":
            V.fail("network", self, "a network with an input layer")
        w = int(np.ravel(first.weight)[0]) if first.weight is not None else 64
        b = int(np.ravel(first.bias)[0]) if first.bias is not None else 0
        return (2 * w * np.asarray(image) - w + b).astype(np.int64)

    def run(self, inputs=None, T=None, *, bias=None, reset_interval=None, reset_offset=0,
            record=False, fixed_point=True):
        """Run the network as Lava's fixed-point CPU backend would, bit for bit.

        Sigma-delta (SDNN) layers run Lava's ``SigmaDelta`` / ``Delta`` / ``Sigma`` fixed-point
        models (:mod:`spikecore.kernels.sigma_delta`) and send graded spikes; the synapse after
        them is Lava's ``Dense`` / ``Conv`` with ``num_message_bits`` > 0 (the graded values times
        the weights, then the weight exponent), or binary when the layer's ``messageBits`` is 0.

        Parameters
        ----------
        inputs : array (T, batch, *input_shape) or (T, *input_shape), optional
            Spikes (or graded values) fed to the first synapse; not used with a CUBA input layer.
            With an SDNN input layer: the values its ``Delta`` encoder receives each step
            (Lava's ``a_in``, integers; netx's input transform is not applied).
        T : int, optional
            Number of steps when there is no ``inputs`` raster.
        bias : int array (batch, *input_shape) or input_shape, optional
            Bias mantissas of a CUBA input layer (the encoded sample, see :meth:`input_bias`).
        reset_interval : int, optional
            netx's ``reset_interval``: layer :math:`i` zeroes its state before Lava step
            :math:`t` with :math:`t \\bmod R = (o + 1 + i) \\bmod R` (lava-dl's layer-staggered
            reset; time starts at 1). None: no reset. Sigma-delta layers are not reset (netx warns
            and ignores the reset for them; so does this method).
        reset_offset : int
            netx's ``reset_offset`` :math:`o`.
        record : bool
            Also return every layer's state: ``u`` and ``v`` of CUBA layers, ``sigma`` and ``act``
            of sigma-delta layers (None for the layers of the other kind).
        fixed_point : bool
            False runs the float variant of the CUBA neuron on the same integer weights (not
            available for sigma-delta layers).

        Returns
        -------
        dict
            ``spikes``: list of arrays (T, batch, *shape), one per neuron layer (uint8 spikes of
            CUBA layers, int32 graded spikes of sigma-delta layers); with ``record``: ``u`` and
            ``v`` lists of the same shapes (and ``sigma``, ``act`` when the network has
            sigma-delta layers).
        """
        layers = self.neuron_layers
        sdnn = [layer.neuron.is_sigma_delta for layer in layers]
        if any(sdnn) and not fixed_point:
            V.fail("fixed_point", False, "True for a network with sigma-delta layers (only Lava's fixed-point "
                   "SigmaDelta is emulated)")
        if any(sdnn) and reset_interval is not None:
            warnings.warn("netx's reset is not supported with sigma-delta neurons (lava-dl ignores it for "
                          "them); only the CUBA layers are reset")
        batch = 1
        squeeze = False
        if inputs is not None:
            x = np.asarray(inputs)
            T = x.shape[0]
        else:
            x = None
            T = V.integer("T", T, low=1)
        first_delta = layers[0].kind == "input" and sdnn[0]
        if first_delta:
            if bias is not None:
                V.fail("bias", "<array>", "None for an SDNN input layer (its Delta encoder reads inputs, not a bias)")
            if x is None:
                V.fail("inputs", None, "the values (T, batch, *shape) fed to the SDNN input layer's Delta encoder")
            shape = tuple(layers[0].shape)
            if x.shape[1:] == shape:
                x = x[:, None]
                squeeze = True
            x = V.array("inputs", x, shape=(T, None) + shape, finite=True)
            if not np.all(x == np.rint(x)):
                V.fail("inputs", "<non-integer values>", "integer inputs for the SDNN input layer (Lava's Delta "
                       "encoder is fixed point)")
            batch = x.shape[1]
            x = x.reshape(T, batch, -1).astype(np.int64)
            x_shape = shape
        elif layers[0].kind == "input":
            if bias is None:
                V.fail("bias", None, "the input layer's bias mantissas (the encoded sample)")
            b = np.asarray(bias)
            if b.shape == tuple(layers[0].shape):
                b = b[None]
                squeeze = True
            b = V.array("bias", b, shape=(None,) + tuple(layers[0].shape))
            batch = b.shape[0]
        else:
            if x is None:
                V.fail("inputs", None, "an input raster (T, batch, ...) for a network without input layer")
            n_in = layers[0].weight.shape[1] * (layers[0].groups if layers[0].kind == "conv" else 1)
            if x.ndim >= 2 and x[0].size == n_in and layers[0].kind != "conv":
                x = x.reshape(T, 1, n_in)
                squeeze = True
            elif layers[0].kind == "conv" and x.ndim == 4:
                x = x[:, None]
                squeeze = True
            batch = x.shape[1]
            x_shape = tuple(x.shape[2:]) if x.ndim == 5 else None
            if _shape_only(self.layers[0]):
                x_shape = tuple(self.layers[0].shape)
            x = x.reshape(T, batch, -1)
        out_spikes, out_u, out_v, out_sigma, out_act = [], [], [], [], []
        prev = x  # (T, batch, n_prev) spikes of the previous layer (or external input)
        prev_shape = None if x is None else x_shape
        prev_sdnn = False
        for i, layer in enumerate(layers):
            n = layer.size
            a = np.zeros((T, batch, n), np.int64)
            w_rec, rec_exp = None, 0
            graded = sdnn[i] or prev_sdnn
            if layer.kind in ("dense", "dense_rec"):
                a[1:] = self._graded_dense_input(layer, prev[:-1]) if graded else self._dense_input(layer, prev[:-1])
                if layer.kind == "dense_rec":
                    w_rec, rec_exp, _, _ = netx_weight_quantization(layer.weight_rec)
            elif layer.kind == "conv":
                in_shape = prev_shape if prev_shape is not None else None
                a[1:] = self._conv_input(layer, prev[:-1], in_shape)
            elif sdnn[i]:  # the SDNN input layer: Lava's Delta reads its input in the same step
                a[...] = x
            r_int, r_off = 0, 0
            if reset_interval is not None:
                r_int = V.integer("reset_interval", reset_interval, low=1)
                r_off = (reset_offset + 1 + i) % r_int
            if sdnn[i]:
                spikes, sg, ac = self._run_sigma_delta(layer, a, record)
                out_spikes.append(spikes.reshape((T, batch) + tuple(layer.shape)))
                if record:
                    out_u.append(None)
                    out_v.append(None)
                    out_sigma.append(sg.reshape((T, batch) + tuple(layer.shape)))
                    out_act.append(ac.reshape((T, batch) + tuple(layer.shape)))
                prev = spikes if layer.neuron.out_message_bits > 0 else (spikes != 0).astype(np.uint8)
                prev_shape = tuple(layer.shape)
                prev_sdnn = layer.neuron.out_message_bits > 0
                continue
            if layer.kind == "input":
                bm = b.reshape(batch, n)
                bias_eff = None
            else:
                bm = None
                bias_eff = self._layer_bias(layer)
            model = layer.neuron.model(fixed_point=fixed_point)
            res = self._run_neurons(model, a, batch, n, bm, bias_eff, w_rec, rec_exp, r_int, r_off, record)
            spikes = res[0] if record else res
            out_spikes.append(spikes.reshape((T, batch) + tuple(layer.shape)))
            if record:
                out_u.append(res[1][0].reshape((T, batch) + tuple(layer.shape)))
                out_v.append(res[1][1].reshape((T, batch) + tuple(layer.shape)))
                out_sigma.append(None)
                out_act.append(None)
            prev = spikes
            prev_shape = tuple(layer.shape)
            prev_sdnn = False
        if squeeze:
            def sq(lst):
                return [None if s is None else s[:, 0] for s in lst]
            out_spikes, out_u, out_v, out_sigma, out_act = map(sq, (out_spikes, out_u, out_v, out_sigma, out_act))
        result = {"spikes": out_spikes}
        if record:
            result["u"], result["v"] = out_u, out_v
            if any(sdnn):
                result["sigma"], result["act"] = out_sigma, out_act
        return result

    def to_network(self, dt=1e-3):
        """Build the equivalent :class:`spikecore.network.Network`, bit-exact with :meth:`run`.

        Every neuron layer becomes a population of :class:`~spikecore.neurons.loihi.LoihiCUBA`
        (``"layer0"``, ``"layer1"``, ...; conv and input layers keep their (C, H, W) shape):

        * an input layer with neurons becomes :class:`~spikecore.neurons.loihi.LoihiCUBAInput`,
          driven by its bias mantissas given to ``Network.run`` as an external current
          (``(T, batch, C*H*W)`` per step and sample, or ``(C*H*W,)`` constant; see
          :func:`input_bias`); a shape-only input layer, or none, becomes a spike source
          ``"input"``;
        * dense layers: a dense connection of the synapse's integer weights with the exponent
          applied, exact because netx's weight truncation keeps them multiples of
          :math:`2^{s}` (Davies et al., 2018); per-synapse ``delay`` becomes the engine's
          per-synapse delays (a spike at step :math:`t` acts at :math:`t + 1 + d`, Lava's);
          ``dense_rec`` adds the recurrent weights as a connection of the population to itself;
        * conv layers: a :class:`~spikecore.network.Conv2D` connection (groups and dilation are
          expanded into an equivalent full kernel); ``flatten`` is the engine's C-order
          numbering already.

        The engine's one-step synaptic latency is Lava's. The sums are float64 (exact integers);
        Lava's 24-bit wrap of a conv sum is not applied, so a conv layer whose sum could reach
        :math:`2^{23}` is refused, as are graded spikes (the engine's spikes carry no payload).
        netx's staggered reset is :func:`run_netx`.

        Parameters
        ----------
        dt : float
            Step length recorded in the Network (Loihi's decays are per step, whatever ``dt``).

        Returns
        -------
        spikecore.network.Network
            With a ``netx`` attribute holding what only the file needs (``simulation``, neuron
            extras, the stored weights, the input transform) for :func:`write_netx`.
        """
        from ..network import Conv2D, Network
        from ..neurons.loihi import LoihiCUBAInput
        net = Network(dt=dt)
        layers = self.neuron_layers
        meta = {"simulation": dict(self.simulation), "layers": {}}
        first = self.layers[0] if self.layers else None
        prev, prev_shape = None, None
        if first is not None and _shape_only(first):
            prev_shape = tuple(first.shape)
            prev = net.add_source(shape=prev_shape, name="input")
        elif layers and layers[0].kind != "input":
            if layers[0].kind == "conv":
                V.fail("network", self, "a shape-only input layer before the first conv layer (its input shape)")
            prev = net.add_source(int(layers[0].weight.shape[1]), name="input")
        for i, layer in enumerate(layers):
            name = "layer%d" % i
            nrn = layer.neuron
            if nrn.is_sigma_delta:
                V.fail("layers[%d].neuron.type" % i, nrn.type, "CUBA/LOIHI layers for an engine Network: sigma-delta "
                       "layers send graded spikes, which the engine's spikes cannot carry (run them with "
                       "LoihiNetwork.run; read_netx returns the emulator for SDNN files)")
            if nrn.graded_spike:
                V.fail("layers[%d].neuron.graded_spike" % i, True, "binary spikes: the engine's spikes carry "
                       "no payload (layer %d, %s%s)" % (i, layer.kind, tuple(layer.shape)))
            info = {"type": nrn.type, "ref_delay": nrn.ref_delay, "extra": dict(nrn.extra)}
            meta["layers"][name] = info
            shape = tuple(layer.shape)
            shape_kw = dict(shape=shape) if len(shape) == 3 else dict(n=layer.size)
            if layer.kind == "input":
                model = LoihiCUBAInput(min(nrn.i_decay, 4096), min(nrn.v_decay, 4096), min(nrn.vth_mant, 2**17 - 1))
                pop = net.add(model, name=name, **shape_kw)
                info["transform"] = (layer.weight, layer.bias)
                prev, prev_shape = pop, shape
                continue
            mant = self._layer_bias(layer).astype(np.int64) >> 6
            pop = net.add(nrn.model(bias_mant=mant), name=name, **shape_kw)
            if layer.kind in ("dense", "dense_rec"):
                w = _integer_weights(layer.weight, "layers[%d].weight" % i)
                info["weight"] = layer.weight
                if layer.delay is not None and np.any(layer.delay):
                    d = np.broadcast_to(np.asarray(layer.delay, np.float64), w.shape)
                    net.connect(prev, pop, weight=w, delay=d * dt)
                else:
                    net.connect(prev, pop, weight=w)
                if layer.kind == "dense_rec":
                    info["weight_rec"] = layer.weight_rec
                    net.connect(pop, pop, weight=_integer_weights(layer.weight_rec, "layers[%d].weight_rec" % i))
            else:  # conv
                kernel = _full_kernel(layer)
                bound = float(np.abs(kernel).reshape(kernel.shape[0], -1).sum(axis=1).max())
                if bound >= 2**23:
                    V.fail("layers[%d].weight" % i, "<kernel with |sum| up to %d>" % bound,
                           "a conv kernel whose sum stays below 2**23 (Lava wraps it to 24 bits; "
                           "the engine does not: use read_netx(path, emulator=True))")
                net.connect(prev, pop, conv=Conv2D(kernel, in_shape=prev_shape, stride=layer.stride,
                                                   padding=layer.padding))
            prev, prev_shape = pop, shape
        net.netx = meta
        return net

    @classmethod
    def from_netx(cls, path):
        """Read a netx file as a :class:`LoihiNetwork` (the same as ``read_netx(path, emulator=True)``)."""
        layers, sim = read_netx_layers(path)
        return cls(layers, sim)

    @classmethod
    def from_network(cls, net):
        """The :class:`LoihiNetwork` of an engine Network of Loihi populations (inverse of :meth:`to_network`).

        The network must be a chain: an optional spike source, then populations of
        :class:`~spikecore.neurons.loihi.LoihiCUBA` (fixed point; the first may be a
        :class:`~spikecore.neurons.loihi.LoihiCUBAInput`), each fed by one dense, sparse or
        Conv2D connection from the one before (plus, for dense layers, one recurrent connection
        to itself). Weights must be integers that netx loads unchanged; the file's own weights
        kept by :meth:`to_network` are written back when they still give the network's weights.

        Parameters
        ----------
        net : spikecore.network.Network

        Returns
        -------
        LoihiNetwork
        """
        from ..neurons.loihi import LoihiCUBAInput
        meta = getattr(net, "netx", None) or {}
        lmeta = meta.get("layers", {})
        sources = [p for p in net.populations if p.is_source]
        if len(sources) > 1:
            V.fail("network", "<%d spike sources>" % len(sources), "at most one input source for netx")
        layers, prev = [], None
        if sources:
            prev = sources[0]
            if prev.shape is not None and len(prev.shape) == 3:
                layers.append(NetxLayer("input", tuple(prev.shape)))
        for p in net.populations:
            if p.is_source:
                continue
            model = p.model
            if not isinstance(model, LoihiCUBA) or not model.fixed_point:
                V.fail("network", "<population %r of %s>" % (p.name, type(model).__name__),
                       "LoihiCUBA populations (float LIF/IF/CurrentLIF networks: write_netx converts them)",
                       TypeError)
            info = lmeta.get(p.name, {})
            neuron = NetxNeuron(info.get("type", "CUBA"), model.i_decay, model.v_decay, model.vth_mant,
                                int(info.get("ref_delay", 1)), False, dict(info.get("extra", {})))
            incoming = [c for c in net.connections if c.post is p]
            ff = [c for c in incoming if c.pre is not p]
            rec = [c for c in incoming if c.pre is p]
            shape = tuple(p.shape) if p.shape is not None else (p.n,)
            if isinstance(model, LoihiCUBAInput):
                if incoming or prev is not None or model.bias_exp != 6 or np.any(model.bias_mant):
                    V.fail("network", "<population %r>" % p.name, "a LoihiCUBAInput population only as the "
                           "first layer, without connections, own bias or a bias exponent other than 6")
                w, b = info.get("transform", (None, None))
                layers.append(NetxLayer("input", shape, neuron=neuron, weight=w, bias=b))
                prev = p
                continue
            if len(ff) != 1 or ff[0].pre is not prev or len(rec) > 1:
                V.fail("network", "<population %r with %d inputs>" % (p.name, len(incoming)),
                       "a chain: one connection from the previous population (and at most one recurrent)")
            c = ff[0]
            beff = np.broadcast_to(effective_bias(model.bias_mant, model.bias_exp), (p.n,)).astype(np.int64)
            if np.any(beff % 64):
                V.fail("%s.bias" % p.name, "<bias not a multiple of 2**6>", "a bias netx stores (exponent 6)")
            mant = beff >> 6
            bias = mant.astype(np.float32) if np.any(mant) else None
            if c.kind in ("dense", "csr"):
                if rec and rec[0].kind not in ("dense", "csr"):
                    V.fail("network", rec[0].name, "a dense recurrent connection")
                w = _check_int(c.to_dense(), c.name)
                delay = _connection_delays(c, w.shape)
                if prev is not None and prev.shape is not None and len(prev.shape) == 3:
                    layers.append(NetxLayer("flatten", ()))
                layer = NetxLayer("dense_rec" if rec else "dense", (p.n,), neuron=neuron,
                                  weight=_netx_file_weights(w, info.get("weight"), c.name), bias=bias,
                                  delay=delay)
                if rec:
                    layer.weight_rec = _netx_file_weights(_check_int(rec[0].to_dense(), rec[0].name),
                                                          info.get("weight_rec"), rec[0].name)
            elif c.kind == "conv2d":
                if rec or c.max_delay:
                    V.fail("network", c.name, "a conv connection without delay or recurrence (netx has neither)")
                if bias is not None:
                    per_ch = mant.reshape(shape[0], -1)
                    if np.any(per_ch != per_ch[:, :1]):
                        V.fail("%s.bias" % p.name, "<per-neuron bias>", "one bias per channel for a conv layer")
                    bias = per_ch[:, 0].astype(np.float32)
                layer = NetxLayer("conv", shape, neuron=neuron, weight=_check_int(c.conv.kernel, c.name), bias=bias,
                                  stride=tuple(c.conv.stride), padding=tuple(c.conv.padding))
            else:
                V.fail("network", c.name, "dense or conv connections (netx has no pooling layer; lower it to "
                       "a strided conv)")
            layers.append(layer)
            prev = p
        return cls(layers, meta.get("simulation", {}))

    @staticmethod
    def _run_neurons(model, a, batch, n, bias_mant, bias_eff, w_rec, rec_exp, r_int, r_off, record):
        if bias_mant is not None:
            # the input layer: a bias per batch element; run each sample with its own bias
            outs = []
            for bb in range(batch):
                be = effective_bias(bias_mant[bb], 6)
                if not model.fixed_point:
                    be = be.astype(np.float64)
                outs.append(model.run_lava(a[:, bb:bb + 1], bias=be, record=record,
                                      reset_interval=r_int, reset_offset=r_off))
            if record:
                spikes = np.concatenate([o[0] for o in outs], axis=1)
                u = np.concatenate([o[1][0] for o in outs], axis=1)
                v = np.concatenate([o[1][1] for o in outs], axis=1)
                return spikes, (u, v)
            return np.concatenate(outs, axis=1)
        if not model.fixed_point:
            return model.run_lava(a, bias=bias_eff.astype(np.float64), record=record)
        return model.run_lava(a, bias=bias_eff, record=record, w_rec=w_rec, rec_exp=rec_exp,
                         reset_interval=r_int, reset_offset=r_off)

    @staticmethod
    def _run_sigma_delta(layer, a, record):
        """Lava's fixed-point SigmaDelta / Delta / Sigma of one layer over ``a`` (T, batch, n)."""
        T, batch, n = a.shape
        nrn = layer.neuron
        mode = _sd.DELTA if layer.kind == "input" else _sd.SIGMA if nrn.sigma_output else _sd.SIGMA_DELTA
        bias = np.zeros(n, np.int64) if layer.kind == "input" else \
            LoihiNetwork._layer_bias_mantissa(layer).astype(np.int64)
        state = [np.zeros((batch, n), np.int32) for _ in range(4)]
        s_out = np.zeros((T, batch, n), np.int32)
        rec = (T if record else 0, batch, n)
        sg, ac = np.zeros(rec, np.int32), np.zeros(rec, np.int32)
        _sd.sigma_delta_run(np.ascontiguousarray(a, np.int64), *state, bias, int(nrn.vth_mant), int(nrn.spike_exp),
                            int(nrn.state_exp), mode, True, bool(nrn.cum_error), s_out, sg, ac)
        return s_out, sg, ac

    @staticmethod
    def _graded_dense_input(layer, values):
        # values: (T-1, batch, n_in) graded spikes -> Lava Dense (num_message_bits > 0) sums
        w_q, exp, _, _ = netx_weight_quantization(layer.weight)
        Tm, batch, n_in = values.shape
        out = np.zeros((Tm * batch, w_q.shape[0]), np.int64)
        _sd.graded_dense(np.ascontiguousarray(values.reshape(Tm * batch, n_in), np.int64),
                         np.ascontiguousarray(w_q), int(exp), out)
        return out.reshape(Tm, batch, -1)

    @staticmethod
    def _layer_bias(layer):
        return (LoihiNetwork._layer_bias_mantissa(layer) << 6).astype(np.int32)

    @staticmethod
    def _layer_bias_mantissa(layer):
        n = layer.size
        if layer.bias is None:
            return np.zeros(n, np.int64)
        bias = np.asarray(layer.bias).astype(np.int64)
        if bias.size == n:
            mant = bias.reshape(n)
        elif len(layer.shape) == 3 and bias.size == layer.shape[0]:
            mant = np.repeat(bias.reshape(-1), layer.shape[1] * layer.shape[2])
        elif bias.size == 1:
            mant = np.full(n, int(bias.ravel()[0]))
        else:
            V.fail("bias", "<array of shape %s>" % (bias.shape,),
                   "one bias per neuron or per channel of a layer of shape %s" % (layer.shape,))
        return mant

    @staticmethod
    def _dense_input(layer, spikes):
        # spikes: (T-1, batch, n_in) -> dendritic sums (T-1, batch, n_out), Lava's Dense bit-acc
        w_q, exp, _, _ = netx_weight_quantization(layer.weight)
        Tm, batch, n_in = spikes.shape
        s = spikes.reshape(Tm * batch, n_in).astype(np.float64)
        if layer.delay is None or not np.any(layer.delay):
            acc = np.rint(s @ w_q.T.astype(np.float64)).astype(np.int64)  # exact below 2**53
            return _shift(acc, exp).reshape(Tm, batch, -1)
        # per-synapse delays: a[t] += W_ij z_j[t - 1 - d_ij]
        d = np.asarray(layer.delay).astype(np.int64)
        out = np.zeros((Tm, batch, w_q.shape[0]), np.int64)
        spikes = spikes.astype(np.int64)
        for dd in np.unique(d):
            w_d = np.where(d == dd, w_q, 0).astype(np.int64)
            if dd >= Tm:
                continue
            out[dd:] += np.einsum("tbj,ij->tbi", spikes[:Tm - dd], w_d)
        return _shift(out, exp)

    @staticmethod
    def _conv_input(layer, spikes, in_shape):
        Tm, batch, n_in = spikes.shape
        if in_shape is None or len(in_shape) != 3:
            V.fail("layers", "<conv first>", "a conv layer after an input or conv layer (known input shape)")
        x = spikes.reshape((Tm * batch,) + tuple(in_shape)).astype(np.int32)
        w = np.ascontiguousarray(np.asarray(layer.weight).astype(np.int32))
        Co, Ho, Wo = layer.shape
        out = np.zeros((Tm * batch, Co, Ho, Wo), np.int32)
        _k.loihi_conv2d(np.ascontiguousarray(x), w, layer.stride[0], layer.stride[1],
                        layer.padding[0], layer.padding[1], layer.dilation[0], layer.dilation[1],
                        int(layer.groups), out)
        return out.reshape(Tm, batch, -1).astype(np.int64)


def _check_sdnn_layer(layer, name):
    """The rules a sigma-delta layer must follow to run as netx builds it (clear errors otherwise)."""
    nrn = layer.neuron
    for key in ("spike_exp", "state_exp"):
        V.integer("%s.neuron.%s" % (name, key), getattr(nrn, key), low=0, high=30)
    if nrn.spike_exp + nrn.state_exp > 30:
        V.fail("%s.neuron.spike_exp + state_exp" % name, nrn.spike_exp + nrn.state_exp,
               "at most 30 (the scale 2**(spike_exp + state_exp) must fit Lava's int32 state)")
    V.integer("%s.neuron.vth_mant" % name, nrn.vth_mant, low=0)
    if nrn.message_bits is not None:
        V.integer("%s.neuron.message_bits" % name, nrn.message_bits, low=0, high=32)
    if not nrn.sigma_output and nrn.activation is not None and str(nrn.activation).lower() != "relu":
        V.fail("%s.neuron.activation" % name, nrn.activation, "'relu' or None (netx builds ReLU SigmaDelta "
               "neurons only)")
    if layer.kind == "dense_rec":
        V.fail("%s.kind" % name, layer.kind, "dense or conv for a sigma-delta layer (recurrent SDNN layers are "
               "not emulated)")
    if layer.delay is not None and np.any(layer.delay):
        V.fail("%s.delay" % name, "<synaptic delays>", "no delays on a sigma-delta layer (not emulated)")
    if nrn.sigma_output and (layer.kind == "input" or (layer.bias is not None and np.any(layer.bias))):
        V.fail("%s.bias" % name if layer.kind != "input" else "%s.kind" % name,
               "<bias>" if layer.kind != "input" else "input",
               "a sigma_output layer that is a dense/conv layer without bias (Lava's Sigma has neither)")


def _integer_weights(weight, name):
    w_q, exp, _, _ = netx_weight_quantization(weight)
    w = w_q.astype(np.int64)
    if exp < 0 and np.any(w % (1 << -exp)):
        V.fail(name, "<weights>", "weights whose exponent shift is exact (the engine adds weights, "
               "Loihi shifts the sum)")
    return (_shift(w, exp)).astype(np.float32)


def _check_int(w, name):
    w = np.asarray(w, np.float64)
    if not np.all(w == np.rint(w)):
        V.fail(name, "<non-integer weights>", "integer weights (Loihi's synapses hold integers)")
    return w


def _netx_file_weights(w_eff, stored, name):
    """File weights that netx turns into the effective weights ``w_eff`` (the stored ones if still valid)."""
    for cand in (stored, w_eff):
        if cand is None or np.shape(cand) != w_eff.shape:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                got = _integer_weights(cand, name)
            except ValueError:
                continue
        if np.array_equal(got, w_eff):
            return np.asarray(cand, np.float32)
    V.fail(name, "<weights in %d..%d>" % (w_eff.min(), w_eff.max()),
           "weights lava-dl's 8-bit scaling loads unchanged (these lose bits in netx)")


def _connection_delays(conn, shape):
    """(n_post, n_pre) delays in steps of a dense or sparse connection, or None without delays."""
    if conn.kind == "csr" and conn.delays.size:
        pre, post, _, d = conn.synapses()
        out = np.zeros(shape, np.float32)
        out[post, pre] = d
        return out if np.any(out) else None
    return np.full(shape, conn.delay, np.float32) if conn.delay else None


def _full_kernel(layer):
    """The conv kernel with groups and dilation expanded into an equivalent dense (C_out, C_in, K, K) one."""
    w = np.asarray(layer.weight, np.float64)
    co, cg, kh, kw = w.shape
    dh, dw = layer.dilation
    g = int(layer.groups)
    full = np.zeros((co, cg * g, dh * (kh - 1) + 1, dw * (kw - 1) + 1))
    per = co // g
    for k in range(co):
        grp = k // per
        full[k, grp * cg:(grp + 1) * cg, ::dh, ::dw] = w[k]
    return full


def _is_engine(network):
    from ..network import Network
    return isinstance(network, Network)


def _shape_only(layer):
    return layer.kind == "input" and layer.neuron is None


def _conv_out_shape(in_shape, layer):
    C, H, W = in_shape
    kh, kw = layer.weight.shape[2], layer.weight.shape[3]
    ho = (H + 2 * layer.padding[0] - layer.dilation[0] * (kh - 1) - 1) // layer.stride[0] + 1
    wo = (W + 2 * layer.padding[1] - layer.dilation[1] * (kw - 1) - 1) // layer.stride[1] + 1
    return (layer.weight.shape[0], ho, wo)


# ----------------------------------------------------------------------------- reading


def _read_str(ds, where):
    value = ds[()]
    if isinstance(value, np.ndarray):
        if value.size == 0:
            raise ValueError("%s: empty string dataset" % where)
        value = value.ravel()[0]
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _pair(value):
    v = np.asarray(value).astype(np.int64).ravel()
    return (int(v[0]), int(v[0])) if v.size == 1 else (int(v[0]), int(v[1]))


def _scalar(group, key, where, default=None):
    """Dataset ``key`` of ``group`` as one integer (None when absent and no default)."""
    if key not in group:
        if default is None:
            raise ValueError("%s: no '%s' dataset; expected one (lava-dl netx needs it)" % (where, key))
        return default
    value = np.asarray(group[key][()])
    if value.size != 1 or value.dtype.kind not in "biuf" or not np.isfinite(value).all() or value != np.round(value):
        raise ValueError("%s/%s = %r: expected one integer" % (where, key, value.ravel()[:4].tolist()))
    return int(value.ravel()[0])


def _read_neuron(group, where):
    if not isinstance(group, h5py.Group):
        raise ValueError("%s/neuron: a dataset; expected a group of neuron parameters" % where)
    ntype = _read_str(group["type"], where + "/neuron/type") if "type" in group else "CUBA"
    if ntype == "SDNN":
        return _read_sdnn_neuron(group, where)
    if ntype not in ("CUBA", "LOIHI"):
        raise ValueError("%s: neuron type %r is not supported (expected CUBA, LOIHI or SDNN; "
                         "resonate-and-fire (RF, RF_IZ, ADRF...) and S4D neurons are not emulated)"
                         % (where, ntype))
    known = {"type", "iDecay", "vDecay", "vThMant", "refDelay", "gradedSpike"}
    extra = {k: group[k][()] for k in group.keys() if k not in known and isinstance(group[k], h5py.Dataset)}
    at = where + "/neuron"
    return NetxNeuron(type=ntype, i_decay=_scalar(group, "iDecay", at, 4096),
                      v_decay=_scalar(group, "vDecay", at, 4096),
                      vth_mant=_scalar(group, "vThMant", at), ref_delay=_scalar(group, "refDelay", at, 1),
                      graded_spike=bool(_scalar(group, "gradedSpike", at, 0)), extra=extra)


def _read_sdnn_neuron(group, where):
    """An SDNN neuron group, as lava-dl's ``netx.hdf5.Network.get_neuron_params`` reads it."""
    at = where + "/neuron"
    sigma_output = "sigma_output" in group
    if sigma_output:
        sigma_output = bool(_scalar(group, "sigma_output", at))
        if not sigma_output:
            raise ValueError("%s/sigma_output = False: netx builds a Sigma unit whenever the dataset exists "
                             "(its value is not read); expected it absent or True" % at)
    # a Sigma unit has no threshold; slayer writes vThMant anyway
    vth = _scalar(group, "vThMant", at, 0 if sigma_output else None)
    if vth < 0:
        raise ValueError("%s/vThMant = %d: expected a non-negative threshold mantissa" % (at, vth))
    activation = None
    if "activation" in group:
        activation = _read_str(group["activation"], at + "/activation")
        if not sigma_output and activation.lower() != "relu":
            raise ValueError("%s/activation = %r: expected 'relu' (lava-dl netx runs every SDNN layer as Lava's "
                             "ReLU SigmaDelta, whatever the file says)" % (at, activation))
    bits = None
    if "messageBits" in group:
        bits = _scalar(group, "messageBits", at)
        if not 0 <= bits <= 32:
            raise ValueError("%s/messageBits = %d: expected 0 (binary) to 32 bits" % (at, bits))
    known = {"type", "vThMant", "activation", "sigma_output", "messageBits"}
    extra = {k: group[k][()] for k in group.keys() if k not in known and isinstance(group[k], h5py.Dataset)}
    return NetxNeuron(type="SDNN", vth_mant=vth, graded_spike=True, extra=extra, activation=activation,
                      sigma_output=sigma_output, message_bits=bits)


def read_netx_layers(path):
    """Read a netx HDF5 file into a list of :class:`NetxLayer` and the ``simulation`` dict.

    Parameters
    ----------
    path : str or path-like
        The ``.net`` file.

    Returns
    -------
    layers : list of NetxLayer
    simulation : dict
    """
    path = V.path("path", path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise OSError("%s: not a readable HDF5 netx file (%s)" % (path, exc)) from exc
    try:
        with f:
            return _read_layers(f, path)
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError("%s: %s" % (path, exc)) from exc
    except (OSError, RuntimeError, KeyError, TypeError, IndexError) as exc:  # HDF5 errors of a damaged file
        raise OSError("%s: damaged netx file (%s: %s)" % (path, type(exc).__name__, exc)) from exc


def _read_layers(f, path):
    if "layer" not in f or not isinstance(f["layer"], h5py.Group):
        raise ValueError("%s: no 'layer' group at byte offset 0 of the HDF5 tree: not a netx file" % path)
    group = f["layer"]
    keys = sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else 10**9)
    if not keys:
        raise ValueError("%s: the 'layer' group is empty; expected at least one layer" % path)
    layers = []
    for key in keys:
        g = group[key]
        where = "%s: layer/%s" % (path, key)
        if not isinstance(g, h5py.Group):
            raise ValueError("%s is a dataset; expected a layer group" % where)
        if "type" not in g:
            raise ValueError("%s has no 'type'" % where)
        kind = _read_str(g["type"], where + "/type")
        if kind not in _KNOWN_TYPES:
            raise ValueError("%s: layer type %r is not supported (expected one of %s)"
                             % (where, kind, ", ".join(_KNOWN_TYPES)))
        if kind in ("pool", "average"):
            raise ValueError("%s: %r layers cannot be loaded by netx either (lava-dl raises "
                             "NotImplementedError); lower them to a strided conv" % (where, kind))
        arr = lambda k: np.asarray(g[k][()]) if k in g else None  # noqa: E731
        shape = _read_shape(g, where) if "shape" in g else ()
        if kind == "flatten":
            layers.append(NetxLayer("flatten", shape))
            continue
        if not shape:
            raise ValueError("%s has no 'shape'; expected the layer's shape (lava-dl netx needs it)" % where)
        if kind == "input" and "neuron" not in g:
            layers.append(NetxLayer("input", shape))  # shape only: external spikes feed layer 1
            continue
        if "neuron" not in g:
            raise ValueError("%s has no 'neuron' group; expected the %s layer's neuron parameters (lava-dl netx "
                             "needs them)" % (where, kind))
        neuron = _read_neuron(g["neuron"], where)
        layer = NetxLayer(kind, shape, neuron=neuron, weight=arr("weight"), bias=arr("bias"),
                          delay=arr("delay"))
        if kind in ("dense", "dense_rec"):
            n = int(np.prod(shape))
            if layer.weight is None:
                raise ValueError("%s: dense layer without 'weight'" % where)
            if layer.weight.ndim == 1:
                layer.weight = layer.weight.reshape(n, -1)
            if layer.weight.ndim != 2 or layer.weight.shape[0] != n:
                raise ValueError("%s/weight of shape %s: expected (%d, n_in) for the layer's shape %s"
                                 % (where, layer.weight.shape, n, shape))
            layer.shape = (n,)
            if kind == "dense_rec":
                key_rec = "weight_rec" if "weight_rec" in g else "weightRec"
                if key_rec not in g:
                    raise ValueError("%s: dense_rec layer without 'weight_rec'" % where)
                layer.weight_rec = np.asarray(g[key_rec][()]).reshape(n, n)
        elif kind == "conv":
            w = layer.weight
            if w is None or w.ndim not in (4, 5):
                raise ValueError("%s: conv weight must be (C_out, C_in, K_h, K_w[, 1])" % where)
            layer.weight = w.reshape(w.shape[:4])
            layer.stride = _pair(arr("stride")) if "stride" in g else (1, 1)
            layer.padding = _pair(arr("padding")) if "padding" in g else (0, 0)
            layer.dilation = _pair(arr("dilation")) if "dilation" in g else (1, 1)
            layer.groups = int(np.ravel(arr("groups"))[0]) if "groups" in g else 1
        layers.append(layer)
    sim = {}
    if "simulation" in f and isinstance(f["simulation"], h5py.Group):
        sim = {k: f["simulation"][k][()] for k in f["simulation"].keys()}
    return layers, sim


def _read_shape(g, where):
    value = np.asarray(g["shape"][()])
    if value.dtype.kind not in "iuf" or value.ndim > 1 or not value.size or not np.isfinite(value).all() \
            or np.any(value != np.round(value)) or value.min() < 1:
        raise ValueError("%s/shape = %r: expected positive integer sizes" % (where, value.ravel()[:6].tolist()))
    return tuple(int(s) for s in value.ravel())


def read_netx(path, emulator=False, dt=1e-3):
    """Load a lava-dl netx HDF5 network as an engine :class:`~spikecore.network.Network`.

    Parameters
    ----------
    path : str or path-like
        The ``.net`` file.
    emulator : bool
        False (default): the engine Network of :meth:`LoihiNetwork.to_network`, run with the
        ordinary ``Network.run`` (or :func:`run_netx` for netx's periodic reset), bit-exact with
        Lava's fixed-point CPU backend. True: the :class:`LoihiNetwork` emulator itself, which
        also records currents, runs graded and 24-bit-wrapping conv layers, and is what
        :func:`resource_report` reads. A network with sigma-delta (``SDNN``) layers is always
        returned as the emulator: its graded spikes do not fit the engine's binary spikes.
    dt : float
        Step length (s) recorded in the engine Network.

    Returns
    -------
    spikecore.network.Network or LoihiNetwork
        Fixed-point CUBA layers with netx's conventions (module docstring).
    """
    emulator = V.flag("emulator", emulator)
    dt = V.positive("dt", dt, "s")
    path = V.path("path", path)
    layers, sim = read_netx_layers(path)
    try:  # the layers' consistency (weights vs shapes, integer weights): errors name the file
        net = LoihiNetwork(layers, sim)
        if any(lay.neuron.is_sigma_delta for lay in net.neuron_layers):
            return net  # graded spikes: the emulator only
        return net if emulator else net.to_network(dt)
    except ValueError as exc:
        raise type(exc)("%s: %s" % (path, exc)) from exc


def input_bias(network, image):
    """Bias mantissas of a netx input layer for an image, by netx's input transform.

    .. math:: m = 2 w x - w + b

    with :math:`w, b` the input layer's stored transform ``weight`` and ``bias`` (lava-dl netx;
    64 and 0 when the file has none).

    Parameters
    ----------
    network : spikecore.network.Network or LoihiNetwork
        A network read with :func:`read_netx` that has an input layer.
    image : array
        Pixel values :math:`x`, shaped like the input layer, with an optional leading batch axis.

    Returns
    -------
    int64 array
        :math:`m`; flatten it to ``(batch, n)`` (or ``(T, batch, n)``) for ``Network.run``.
    """
    image = V.array("image", image, finite=True)
    if isinstance(network, LoihiNetwork):
        return network.input_bias(image)
    if not _is_engine(network):
        V.fail("network", network, "a network read with read_netx (an engine Network or a LoihiNetwork)", TypeError)
    from ..neurons.loihi import LoihiCUBAInput
    pops = [p for p in getattr(network, "populations", []) if isinstance(p.model, LoihiCUBAInput)]
    if not pops:
        V.fail("network", network, "a network with a netx input layer (LoihiCUBAInput population)")
    w, b = ((getattr(network, "netx", None) or {}).get("layers", {}).get(pops[0].name, {})
            .get("transform", (None, None)))
    w = int(np.ravel(w)[0]) if w is not None else 64
    b = int(np.ravel(b)[0]) if b is not None else 0
    return (2 * w * np.asarray(image) - w + b).astype(np.int64)


def run_netx(network, n_steps, inputs=None, *, reset_interval=None, reset_offset=0, batch=None):
    """Run a network from :func:`read_netx` with netx's staggered periodic reset.

    An engine Network (CUBA layers) runs as described below. A :class:`LoihiNetwork` with
    sigma-delta layers (what :func:`read_netx` returns for an SDNN file) runs with
    :meth:`LoihiNetwork.run`: ``inputs`` is then the array (or ``{"input": array}``) of values
    fed to the first layer, shaped ``(n_steps, batch, *input_shape)`` or
    ``(n_steps, *input_shape)``, and the result is the dict of :meth:`LoihiNetwork.run` (graded
    spikes per layer); netx ignores the reset for sigma-delta neurons, and so does this.

    lava-dl's ``reset_interval`` :math:`R` and ``reset_offset`` :math:`o`: Loihi layer :math:`i`
    (the :math:`i`-th population of Loihi neurons) sets :math:`u = v = 0` before Lava step
    :math:`t` with :math:`t \\bmod R = (o + 1 + i) \\bmod R`, Lava's time starting at 1 (engine step
    :math:`k` is Lava step :math:`k + 1`; the network's clock ``net.t`` counts on from earlier runs).
    The run is cut at those steps and the states zeroed between the pieces, with the ordinary
    ``Network.run``; spikes in flight in the synapses are kept, as in Lava.

    Parameters
    ----------
    network : spikecore.network.Network
    n_steps : int
    inputs : dict, optional
        As for ``Network.run``, with arrays only (rasters ``(n_steps, batch, n)``, currents
        ``(n_steps, batch, n)`` or constant ``(n,)``), so they can be cut.
    reset_interval : int, optional
        :math:`R`; None runs without reset.
    reset_offset : int
        :math:`o`.
    batch : int, optional
        As for ``Network.run``.

    Returns
    -------
    spikecore.network.monitors.RunResult
        One result for the whole run, as ``Network.run`` returns it.
    """
    from ..network import Network
    from ..network.monitors import RunResult, SpikeList
    if isinstance(network, LoihiNetwork) and any(lay.neuron.is_sigma_delta for lay in network.neuron_layers):
        return _run_sdnn(network, n_steps, inputs, reset_interval, reset_offset, batch)
    if not isinstance(network, Network):
        V.fail("network", network, "a spikecore.network.Network from read_netx(path) (a LoihiNetwork from "
               "read_netx(path, emulator=True) runs with its own run method)", TypeError)
    n_steps = V.integer("n_steps", n_steps, low=0)
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, collections.abc.Mapping):
        V.fail("inputs", inputs, "None or a dict {population: array}, as for Network.run", TypeError)
    inputs = dict(inputs)
    if reset_interval is None:
        return network.run(n_steps, inputs, batch=batch)
    R = V.integer("reset_interval", reset_interval, low=1)
    o = V.integer("reset_offset", reset_offset)
    for key, value in inputs.items():
        arr = np.asarray(value) if not isinstance(value, tuple) else None
        if arr is None or arr.dtype == object or not (arr.ndim == 1 or (arr.ndim == 3 and arr.shape[0] == n_steps)):
            V.fail("inputs[%r]" % getattr(key, "name", key), "<%s>" % type(value).__name__,
                   "an array (n_steps, batch, n) or (n,) (spike lists cannot be cut at the resets)")
    loihi = [p for p in network.populations if isinstance(p.model, LoihiCUBA)]
    t0 = network.t
    cuts = [r for r in range(n_steps) if any((t0 + r + 1 - (o + 1 + i)) % R == 0 for i in range(len(loihi)))]
    pieces, start = [], 0
    for r in cuts + [n_steps]:
        piece = {k: (v if np.ndim(v) == 1 else np.asarray(v)[start:r]) for k, v in inputs.items()}
        pieces.append((start, network.run(r - start, piece, batch=batch)))
        start = r
        if r < n_steps:
            for i, p in enumerate(loihi):
                if (t0 + r + 1 - (o + 1 + i)) % R == 0:
                    for arr in network.state(p).values():
                        arr[...] = 0
    first = pieces[0][1]
    counts = np.concatenate([res.counts for _, res in pieces])
    spikes, volts = {}, {}
    for p in network.populations:
        try:
            parts = [(off, res.spikes(p)) for off, res in pieces]
            spikes[p.name] = SpikeList(*(np.concatenate([s.step + off for off, s in parts]),
                                         np.concatenate([s.batch for _, s in parts]),
                                         np.concatenate([s.neuron for _, s in parts])), network.dt)
        except KeyError:  # spikes of this population were not recorded
            pass
        try:
            vs = [res.voltage(p) for _, res in pieces]
            volts[p.name] = (np.concatenate([v for v, _ in vs]), vs[0][1])
        except KeyError:  # no voltage monitor on this population
            pass
    return RunResult(network.populations, n_steps, first.batch, network.dt, counts, spikes, volts,
                     sum(res.wall_s for _, res in pieces))


def _run_sdnn(network, n_steps, inputs, reset_interval, reset_offset, batch):
    """:func:`run_netx` for a :class:`LoihiNetwork` with sigma-delta layers."""
    n_steps = V.integer("n_steps", n_steps, low=1)
    if isinstance(inputs, collections.abc.Mapping):
        if len(inputs) != 1:
            V.fail("inputs", "<dict of %d entries>" % len(inputs), "one array: the values fed to the first layer")
        inputs = next(iter(inputs.values()))
    if inputs is None:
        V.fail("inputs", None, "the values (n_steps, batch, *input_shape) fed to the first layer of an SDNN network")
    x = np.asarray(inputs)
    if x.ndim == 0 or x.shape[0] != n_steps:
        V.fail("inputs", "<array of shape %s>" % (x.shape,), "%d steps on the first axis (n_steps)" % n_steps)
    if batch is not None:
        batch = V.integer("batch", batch, low=1)
    res = network.run(inputs=x, reset_interval=reset_interval, reset_offset=reset_offset)
    first = network.neuron_layers[0]
    got = 1 if res["spikes"][0].ndim == 1 + len(first.shape) else res["spikes"][0].shape[1]
    if batch is not None and got != batch:
        V.fail("batch", batch, "the batch size of inputs (%d)" % got)
    return res


# ----------------------------------------------------------------------------- writing


def _ascii(value):
    return np.array([value.encode("ascii")], dtype="S10")


def write_netx(network, path, **convert):
    """Write a network as a lava-dl netx HDF5 file that ``netx.hdf5.Network`` loads.

    A :class:`LoihiNetwork` is written as is (``read_netx(write_netx(net))`` gives back the same
    integers); so is an engine :class:`~spikecore.network.Network` of Loihi populations
    (:meth:`LoihiNetwork.from_network`: ``write_netx(read_netx(path), out)`` round-trips). A float
    network -- a :class:`spikecore.interop.graph.GraphNetwork`, or an engine Network of LIF, IF
    and CurrentLIF populations (taken to a graph by :func:`spikecore.interop.nir.to_graph`) -- is
    first converted to Loihi fixed point with :func:`spikecore.interop.loihi_convert.to_loihi`
    (``**convert`` is passed on).

    Parameters
    ----------
    network : LoihiNetwork, spikecore.network.Network or GraphNetwork
    path : str or path-like
        Output file; written atomically (temp file in the same folder, then ``os.replace``).
    """
    path = V.path("path", path)
    if _is_engine(network) and all(p.is_source or isinstance(p.model, LoihiCUBA) for p in network.populations):
        if convert:
            V.fail("convert", convert, "no conversion options for a network of Loihi populations")
        network = LoihiNetwork.from_network(network)
    elif not isinstance(network, LoihiNetwork):
        from .loihi_convert import to_loihi
        if _is_engine(network):
            from .nir import to_graph
            network = to_graph(network)
        network = to_loihi(network, **convert)
    elif convert:
        V.fail("convert", convert, "no conversion options for a LoihiNetwork")
    path = V.path("path", path)
    if os.path.isdir(path):
        V.fail("path", path, "a file path (it is a folder)", IsADirectoryError)
    for i, layer in enumerate(network.neuron_layers):  # what netx cannot express
        nrn = layer.neuron
        if nrn.is_sigma_delta and nrn.cum_error:
            V.fail("layers[%d].neuron.cum_error" % i, True, "False: netx has no dataset for it (it builds "
                   "SigmaDelta with cum_error=False)")
        if nrn.is_sigma_delta and (nrn.spike_exp, nrn.state_exp) != (6, 6):
            V.fail("layers[%d].neuron.spike_exp, state_exp" % i, (nrn.spike_exp, nrn.state_exp),
                   "(6, 6): netx hard-codes them")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        group = f.create_group("layer")
        for i, layer in enumerate(network.layers):
            g = group.create_group(str(i))
            g.create_dataset("type", data=_ascii(layer.kind))
            if layer.kind == "flatten":
                if layer.shape:
                    g.create_dataset("shape", data=np.asarray(layer.shape, np.int64))
                continue
            g.create_dataset("shape", data=np.asarray(layer.shape, np.int64))
            if _shape_only(layer):
                continue
            nrn = layer.neuron
            ng = g.create_group("neuron")
            ng.create_dataset("type", data=np.bytes_(nrn.type), dtype=h5py.string_dtype("ascii"))
            if nrn.is_sigma_delta:  # slayer's sigma_delta device_params (+ netx's optional keys)
                ng.create_dataset("vThMant", data=np.int64(nrn.vth_mant))
                if nrn.activation is not None:
                    ng.create_dataset("activation", data=np.bytes_(nrn.activation),
                                      dtype=h5py.string_dtype("ascii"))
                if nrn.sigma_output:
                    ng.create_dataset("sigma_output", data=np.bool_(True))
                if nrn.message_bits is not None:
                    ng.create_dataset("messageBits", data=np.int64(nrn.message_bits))
            else:
                ng.create_dataset("iDecay", data=np.int64(nrn.i_decay))
                ng.create_dataset("vDecay", data=np.int64(nrn.v_decay))
                ng.create_dataset("vThMant", data=np.int64(nrn.vth_mant))
                ng.create_dataset("refDelay", data=np.int64(nrn.ref_delay))
                ng.create_dataset("gradedSpike", data=np.bool_(nrn.graded_spike))
            for k, val in nrn.extra.items():
                ng.create_dataset(k, data=val)
            if layer.weight is not None:
                w = np.asarray(layer.weight, np.float32)
                if layer.kind == "conv":
                    w = w.reshape(w.shape + (1,))
                g.create_dataset("weight", data=np.atleast_1d(w))
            if layer.bias is not None:
                g.create_dataset("bias", data=np.atleast_1d(np.asarray(layer.bias, np.float32)))
            if layer.delay is not None:
                g.create_dataset("delay", data=np.asarray(layer.delay, np.float32))
            if layer.kind in ("dense", "dense_rec"):
                g.create_dataset("inFeatures", data=np.int64(layer.weight.shape[1]))
                g.create_dataset("outFeatures", data=np.int64(layer.weight.shape[0]))
                if layer.kind == "dense_rec":
                    g.create_dataset("weight_rec", data=np.asarray(layer.weight_rec, np.float32))
            if layer.kind == "conv":
                g.create_dataset("inChannels", data=np.int64(layer.weight.shape[1] * layer.groups))
                g.create_dataset("outChannels", data=np.int64(layer.weight.shape[0]))
                g.create_dataset("kernelSize", data=np.asarray(layer.weight.shape[2:4], np.int64))
                g.create_dataset("stride", data=np.asarray(layer.stride, np.int64))
                g.create_dataset("padding", data=np.asarray(layer.padding, np.int64))
                g.create_dataset("dilation", data=np.asarray(layer.dilation, np.int64))
                g.create_dataset("groups", data=np.int64(layer.groups))
        if network.simulation:
            sg = f.create_group("simulation")
            for k, val in network.simulation.items():
                sg.create_dataset(k, data=val)
    return path


# ----------------------------------------------------------------------------- resources


def _conv_synapses(layer, in_shape):
    w = np.asarray(layer.weight)
    _, H, W = in_shape
    _, Ho, Wo = layer.shape
    kh, kw = w.shape[2], w.shape[3]
    rows = np.array([sum(0 <= p * layer.stride[0] - layer.padding[0] + r * layer.dilation[0] < H
                         for p in range(Ho)) for r in range(kh)])
    cols = np.array([sum(0 <= q * layer.stride[1] - layer.padding[1] + s * layer.dilation[1] < W
                         for q in range(Wo)) for s in range(kw)])
    nz = (w != 0)
    synapses = int(np.sum(nz * rows[None, None, :, None] * cols[None, None, None, :]))
    fan_in = int(nz.reshape(w.shape[0], -1).sum(axis=1).max()) if w.size else 0
    return synapses, fan_in


def resource_report(network):
    """Per-layer Loihi resources of a network: neurons, synapses, fan-in, weight and delay bits.

    Synapses count nonzero weights (a conv kernel entry counts once per output position where it
    reads a valid input); fan-in is the largest number of nonzero incoming weights of a neuron;
    weight bits are netx's ``num_weight_bits`` (sign included; conv: bits of the largest magnitude
    plus sign); delay bits are
    :math:`\\lceil \\log_2(d_{\\max} + 1) \\rceil` (Davies et al., 2018, for the chip's limits:
    up to 8-bit weights, 6-bit synaptic delays).

    Parameters
    ----------
    network : LoihiNetwork or spikecore.network.Network
        An engine Network of Loihi populations is read with :meth:`LoihiNetwork.from_network`.

    Returns
    -------
    list of dict
        One dict per neuron layer with keys ``layer``, ``kind``, ``shape``, ``neurons``,
        ``synapses``, ``fan_in``, ``weight_bits``, ``weight_exp``, ``sign_mode``, ``delay_bits``.
    """
    if _is_engine(network):
        network = LoihiNetwork.from_network(network)
    elif not isinstance(network, LoihiNetwork):
        V.fail("network", network, "a LoihiNetwork or an engine Network of Loihi populations (read_netx, or "
               "read_netx(..., emulator=True))", TypeError)
    rows = []
    prev = network.layers[0] if network.layers and _shape_only(network.layers[0]) else None
    for i, layer in enumerate(network.neuron_layers):
        row = dict(layer=i, kind=layer.kind, shape=tuple(layer.shape), neurons=layer.size,
                   synapses=0, fan_in=0, weight_bits=0, weight_exp=0, sign_mode="", delay_bits=0)
        if layer.kind in ("dense", "dense_rec"):
            w_q, exp, nwb, mode = netx_weight_quantization(layer.weight)
            nz = np.asarray(layer.weight) != 0
            row.update(synapses=int(nz.sum()), fan_in=int(nz.sum(axis=1).max()),
                       weight_bits=nwb, weight_exp=exp, sign_mode=mode)
            if layer.kind == "dense_rec":
                nzr = np.asarray(layer.weight_rec) != 0
                row["synapses"] += int(nzr.sum())
                row["fan_in"] = int((nz.sum(axis=1) + nzr.sum(axis=1)).max())
            if layer.delay is not None and np.any(layer.delay):
                row["delay_bits"] = int(math.ceil(math.log2(int(np.max(layer.delay)) + 1)))
        elif layer.kind == "conv":
            syn, fan = _conv_synapses(layer, prev.shape)
            w = np.asarray(layer.weight)
            wmax = int(np.abs(w).max()) if w.size else 0
            mode = "excitatory" if w.min() >= 0 else "inhibitory" if w.max() <= 0 else "mixed"
            row.update(synapses=syn, fan_in=fan, weight_bits=max(1, wmax.bit_length()) + (mode == "mixed"),
                       sign_mode=mode)
        rows.append(row)
        prev = layer
    return rows
