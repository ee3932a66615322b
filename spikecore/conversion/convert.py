r"""ANN -> SNN conversion: :func:`convert` turns a trained :class:`~.ann.Sequential` (built here or
imported with :func:`~.onnx_import.load_onnx`) into a :class:`~.spiking.SpikingModel` of
integrate-and-fire (IF), leaky integrate-and-fire (LIF, soft-LIF), time-to-first-spike (TTFS) or
temporal-switch-coding (TSC) neurons.

Methods
-------
Each method is a short name; its settings can be overridden by keyword (``reset=``,
``input_coding=``, ``normalization=``, ``percentile=``, ``dt=``). "NIR/Loihi" says whether
:func:`spikecore.conversion.export.to_graph` exports it (NIR: the NIR writer; Loihi: the netx
writer, which needs reset to zero).

================ ============================== ========== ========= ======== ========== ===========================================
``method``       normalisation :math:`\lambda`   neuron     reset     input    NIR/Loihi  source
================ ============================== ========== ========= ======== ========== ===========================================
``"data"``       max activation (data-based)    IF         to zero   Poisson  yes / yes  Diehl et al., 2015
``"model"``      max possible activation from   IF         to zero   Poisson  yes / yes  Diehl et al., 2015
                 the weights (model-based)
``"percentile"`` p-th percentile (p = 99.9),    IF         subtract  analog   yes / no   Rueckauer et al., 2017 (biases, batch-norm
                 biases, batch norm folded                                               folding, spiking max-pooling)
``"shift"``      as ``"percentile"`` plus the   IF         subtract  analog   yes / no   Deng & Gu, 2021 -- **the default**
                 bias shift :math:`V_{th}/2T`
``"rmp"``        max activation times the       IF         subtract  Poisson  yes / no   Han, Srinivasan & Roy, 2020 (RMP-SNN)
                 threshold scale :math:`\alpha`
``"spike-norm"`` max per-step input current,    IF         to zero   Poisson  yes / yes  Sengupta et al., 2019 (Spike-Norm)
                 previous layers spiking
``"qcfs"``       the trained QCFS threshold     IF,        subtract  analog   yes / no   Bu et al., 2022 (QCFS)
                 :math:`\lambda_l` of each layer :math:`v_0 = V_{th}/2`
``"soft-lif"``   none: the ANN is trained with  LIF with   to zero   analog   no         Hunsberger & Eliasmith, 2015
                 the soft-LIF rate curve        refractory
``"ttfs"``       p-th percentile (p = 99.9)     TTFS (one  --        analog   no         Rueckauer & Liu, 2018
                                                spike)
``"tsc"``        max activation                 TSC (two   --        TSC      no         Han & Roy, 2020
                                                spikes)
================ ============================== ========== ========= ======== ========== ===========================================

The default, ``"shift"``, is the most accurate at moderate :math:`T` for a model the user
brings (a plain ReLU network, no special training): on the bundled digits (5 seeds, MLP and CNN)
it is within 1 point of the ANN at :math:`T = 32`, and at short :math:`T` clearly better than
``"percentile"`` (rounding instead of flooring halves the quantisation error; at :math:`T = 16`
both are within a sample or two of each other); the data-based Poisson methods need
:math:`T \approx 500` for the same accuracy, ``"qcfs"`` and ``"soft-lif"`` need an ANN trained
for them, TTFS loses 0.5-6 points (below), and TSC needs three windows of :math:`N` steps.

Soft-LIF (Hunsberger & Eliasmith, 2015, "Spiking deep networks with LIF neurons"): the ANN is
trained with :class:`~.layers.SoftLIF` (the LIF rate curve with a softplus-smoothed threshold,
hand-written derivative); conversion keeps the weights, adds the threshold offset 1 to the hidden
biases (the ANN input is :math:`j - V_\mathrm{th}`) and scales each layer's input weights by
:math:`A/\Delta t` (a spike of amplitude :math:`A` over a step :math:`\Delta t`, ``dt`` = 1 ms by
default). The LIF neurons (:func:`spikecore.kernels.conversion.lif_neuron_run`) integrate exactly
and resolve the spike time inside the step, so a constant current gives the trained rate for any
:math:`\Delta t`. Measured on the digits MLP (seed 0): ANN 98.0 %, SNN 98.0 % after 0.1 s (T = 100).

TTFS (Rueckauer & Liu, 2018, "Conversion of analog to spiking neural networks using sparse
temporal coding", ISCAS; the base model of their SNN toolbox, without the dynamic threshold or
corrective spikes): every neuron fires at most once; its spike switches its synapses on for the
rest of the inference (step-function postsynaptic potential), and an activation :math:`a` is coded
by the time to first spike :math:`t \approx V_\mathrm{th}/a` (``dt`` = 0.1 time units per step by
default: a unit activation fires after 10 steps). The analog input switches on at step 0; a
layer's bias is integrated from its first input spike; the output layer integrates without
firing and the class is the argmax of its potential. Each synapse does at most one addition per
inference. Measured (seed 0, T = 80): MLP 98.0 % vs ANN 98.6 % with 5.3 k additions (percentile
rate coding at T = 64: 0.1 M); CNN 89.5 % vs 95.8 % -- neurons whose ANN activation is 0 still
ramp up and fire late, so TTFS accuracy falls for longer runs (72.6 % at T = 160).

Normalisation (Diehl et al., 2015; Rueckauer et al., 2017). With :math:`\lambda_l` the scale of
layer :math:`l`'s activations (:math:`\lambda_0` that of the input: 1 for analog input, the
full-scale value :math:`x_{\max}` for spike-coded input), every hidden layer gets

.. math:: W_l \leftarrow W_l \frac{\lambda_{l-1}}{\lambda_l}, \qquad b_l \leftarrow \frac{b_l}{\lambda_l},
          \qquad V_\mathrm{th} = 1

so that a neuron's firing rate :math:`r_l = N_l/T` approximates
:math:`\mathrm{clip}(a_l/\lambda_l, 0, 1)` (Rueckauer et al., 2017, eq. 3: for constant input
:math:`z` per step and reset by subtraction, :math:`r = \lfloor T z / V_\mathrm{th} \rfloor / T`,
an error below :math:`V_\mathrm{th}/T`). The output layer gets :math:`W_L \leftarrow W_L\lambda_{L-1}`
and integrates its input without firing; the class is the argmax of the integrated potential.

* ``"max"`` (data-based): :math:`\lambda_l = \max` of the activations over the calibration set;
* ``"percentile"``: :math:`\lambda_l` = p-th percentile of the *positive* activations of layer
  :math:`l` over the calibration set (``numpy.percentile``, linear interpolation; Rueckauer et al.,
  2017, as in their SNN toolbox);
* ``"model"``: :math:`\lambda_l = \max_j \big(\sum_i \max(0, W_{ji})\,\lambda_{l-1} + \max(0, b_j)\big)`,
  the largest activation any input in range can cause (first layer:
  :math:`\sum_i W^+_{ji} x_{\max} - W^-_{ji} x_{\min}`);
* a clipped layer (:class:`~.layers.ClippedReLU`: threshold ReLU, Deng & Gu, 2021, or ReLU6)
  caps :math:`\lambda_l` at its ceiling :math:`c` whatever the normalisation,
  :math:`\min(c, \lambda_l)`: the ANN already clips there, and a ceiling its activations do not
  reach (MobileNet's ReLU6) would only slow the rates down; ``"qcfs"`` uses :math:`c` itself
  (the trained threshold its quantisation steps are fractions of).

* ``"spike"`` (Spike-Norm, Sengupta et al., 2019, Algorithm 1; :mod:`.spike_norm`): layer by
  layer, with layers :math:`1..l-1` already balanced and spiking on the calibration inputs for
  :math:`T_\mathrm{cal}` steps (``calibration_timesteps``),
  :math:`\lambda_l = \max_{n,t,j}\big(\lambda_{l-1}(W_l s_{l-1}[t])_j + b_{l,j}\big)`: the largest input
  current of a single step, i.e. :math:`V_{\mathrm{th},l}` in the un-normalised network.

Residual networks (He et al., 2016; Hu, Tang & Pan, 2018, "Spiking deep residual networks";
Sengupta et al., 2019): a block :math:`l` that receives a shortcut from block :math:`j`
(:mod:`.blocks`) integrates two inputs, normalised each by its own source's scale,

.. math:: W_l \leftarrow W_l \frac{\lambda_{l-1}}{\lambda_l}, \qquad
          W_{s} \leftarrow W_{s} \frac{\lambda_j}{\lambda_l}, \qquad
          b_l \leftarrow \frac{b_l + b_s}{\lambda_l},

and :math:`\lambda_l` is measured on the activation after the addition. Model-based
normalisation adds the shortcut's bound :math:`\sum_i \max(0, W_{s,ji})\lambda_j`, Spike-Norm the
shortcut's spikes to the per-step current it measures (:mod:`.spike_norm`). The rate-coded
methods convert residual networks; TTFS and TSC do not (their layers are timed one after the
other, and a shortcut skips layers). :func:`~.export.to_graph` writes the shortcut as a second
edge into the junction's neurons (NIR); the Loihi netx writer takes one chain and refuses it.
Measured (digits, the 6-layer network of ``tests/test_conversion_residual.py``, ANN 94.2 %):
``"shift"`` 94.0 / 94.2 % at T = 64 / 256, ``"rmp"`` 93.6 / 93.8 %, ``"spike-norm"`` with reset by
subtraction 93.0 / 93.8 % at T = 256 / 1024 (with its reset to zero 70.2 / 75.1 %; the same
layers without the shortcuts, ANN 93.6 %: 55.5 / 63.6 %); a PyTorch ResNet-8 (MLPerf Tiny's,
32x32x3) imports to within 5e-8 of onnxruntime. A block with several shortcuts (a MobileNetV2
expansion reading every earlier bottleneck of its stage, :mod:`.blocks`) scales each by its own
source's :math:`\lambda_j`.

Threshold scale (RMP-SNN, Han, Srinivasan & Roy, 2020, "RMP-SNN: Residual membrane potential neuron
for enabling deeper high-accuracy and low-latency spiking neural network", CVPR): residual
membrane potential (RMP) neurons are IF neurons with reset by subtraction,
:math:`v \leftarrow v - V_\mathrm{th}` at a spike, so the potential above threshold is kept; the
paper controls latency by the range of the layer thresholds. Implemented here: every hidden
threshold is :math:`V_{\mathrm{th},l} = \alpha \max(a_l)` (``threshold_scale`` :math:`\alpha`, the
maximum over the calibration set), i.e. :math:`\lambda_l \leftarrow \alpha\lambda_l`. With
:math:`\alpha < 1` the neurons fire sooner (lower latency) and activations above
:math:`\alpha\max(a_l)` saturate at one spike per step; :math:`\alpha = 1` is the max-balanced RMP
network and the default. On the digits MLP (3 seeds, T = 16-64, Poisson input) :math:`\alpha` in
0.6-1.0 changed the accuracy by less than 1 point, within seed noise; the knob is for deeper
networks, where the paper trades latency against accuracy with it.

QCFS (Bu, Fang, Ding, Dai, Yu & Huang, 2022, "Optimal ANN-SNN conversion for high-accuracy and
ultra-low-latency spiking neural networks", ICLR): the ANN is trained with the quantization-clip-
floor-shift activation :math:`h(z) = \frac{\lambda}{L}\mathrm{clip}(\lfloor zL/\lambda + 1/2\rfloor, 0, L)`
(:class:`~.layers.QCFS`, e.g. ``mlp(sizes, activation="qcfs", levels=L)``); its trained
:math:`\lambda_l` is the layer's threshold (it acts as the ceiling of a clipped layer), the neurons
reset by subtraction and start at :math:`v(0) = V_\mathrm{th}/2`. Then for constant input the spike
count after :math:`T = L` steps is :math:`\mathrm{clip}(\lfloor Tz/V_\mathrm{th} + 1/2\rfloor, 0, T)`, exactly
the QCFS output of the first hidden layer (for any :math:`T` and deeper layers Bu et al., 2022
prove the *expected* conversion error zero, under a uniform-input assumption). Layers with other activations are max-normalised.

Shift (Deng & Gu, 2021, "Optimal conversion of conventional artificial neural networks to spiking
neural networks"): each hidden neuron's bias gains :math:`V_\mathrm{th}/(2T)` per step, so the
spike count becomes :math:`\lfloor Tz/V_\mathrm{th} + 1/2 \rfloor` (rounding instead of flooring),
an error of at most :math:`V_\mathrm{th}/(2T)`.

Temporal switch coding (Han & Roy, 2020, "Deep spiking neural network: energy efficiency through
time based coding"): in windows of :math:`N` steps, every neuron emits at most two spikes, the
first switches its synapses on and the second off; the on-time :math:`d \in \{0..N-1\}` codes
:math:`a/\lambda` to within :math:`1/(N-1)`. Each synapse does at most two additions per
inference (add :math:`w` at switch-on, subtract it at switch-off). The neurons of layer
:math:`l` integrate during window :math:`l` and fire in window :math:`l + 1`, so an inference takes
:math:`N` times the number of synaptic layers steps. ``timesteps`` is :math:`N` for this method.
"""
import numpy as np

from spikecore import _validate as V

from .ann import Sequential
from .blocks import apply_pre, fold_input_scale, scale_synapses, source_of, split_input, to_blocks
from .spike_norm import spike_norm_lambdas
from .spiking import SpikingModel

__all__ = ["convert", "METHODS", "layer_lambdas"]

METHODS = {
    "data": dict(normalization="max", reset="zero", input_coding="poisson", shift=False),
    "model": dict(normalization="model", reset="zero", input_coding="poisson", shift=False),
    "percentile": dict(normalization="percentile", reset="subtract", input_coding="analog", shift=False),
    "shift": dict(normalization="percentile", reset="subtract", input_coding="analog", shift=True),
    "tsc": dict(normalization="max", reset="subtract", input_coding="tsc", shift=False),
    "rmp": dict(normalization="max", reset="subtract", input_coding="poisson", shift=False, threshold_scale=1.0),
    "spike-norm": dict(normalization="spike", reset="zero", input_coding="poisson", shift=False),
    "qcfs": dict(normalization="max", reset="subtract", input_coding="analog", shift=False, v_init=0.5),
    "soft-lif": dict(normalization=None, reset="zero", input_coding="analog", shift=False, neuron="lif", dt=1e-3),
    "ttfs": dict(normalization="percentile", reset="zero", input_coding="analog", shift=False, neuron="ttfs",
                 dt=0.1),
}
NORMALIZATIONS = ("max", "percentile", "model", "spike")
RESETS = ("zero", "subtract")
INPUT_CODINGS = ("analog", "poisson", "tsc")


def layer_lambdas(blocks, X, normalization, percentile=99.9, x_range=(0.0, 1.0), batch_size=512, ceilings="cap"):
    r"""Normalisation factors :math:`\lambda_l` of the hidden blocks (module docstring).

    Parameters
    ----------
    blocks : list of Block
    X : float32 array (n, n_in of the first block)
        Calibration inputs as the first block sees them (flat).
    normalization : {"max", "percentile", "model"}
    percentile : float
        :math:`p` in (0, 100].
    x_range : (float, float)
        :math:`(x_{\min}, x_{\max})` of the input (model-based normalisation).
    ceilings : {"cap", "exact"}
        A clipped layer's :math:`\lambda_l`: its ceiling :math:`c` caps the data's,
        :math:`\min(c, \lambda_l)` (``"cap"``), or is :math:`\lambda_l` (``"exact"``, QCFS).

    Returns
    -------
    list of float
        One :math:`\lambda_l` per hidden block (all blocks but the last).
    """
    lambdas = []
    if normalization == "model":
        for i, b in enumerate(blocks[:-1]):
            src = source_of(blocks, i)
            lo, hi = x_range if src < 0 else (0.0, lambdas[src])
            W = b.layer.weight.reshape(b.layer.weight.shape[0], -1).astype(np.float64)
            bound = np.maximum(W, 0).sum(1) * hi + np.maximum(b.layer.bias, 0)
            if src < 0:
                bound -= np.maximum(-W, 0).sum(1) * min(lo, 0.0)
            for sb, source in b.skips:  # a shortcut's inputs lie in [0, lambda of its source]
                Ws = sb.layer.weight.reshape(sb.layer.weight.shape[0], -1).astype(np.float64)
                bound = bound + np.maximum(Ws, 0).sum(1) * lambdas[source]
            lam = float(bound.max())
            if b.activation == "clip":
                lam = min(lam, b.ceiling)
            lambdas.append(lam if lam > 0 else 1.0)
        return lambdas
    acts = [[] for _ in blocks[:-1]]
    for s in range(0, X.shape[0], batch_size):
        x = X[s:s + batch_size]
        outs = []
        for i, b in enumerate(blocks[:-1]):
            src = source_of(blocks, i)
            z = b.linear(x if src < 0 else outs[src])
            for sb, source in b.skips:
                z = z + sb.linear(outs[source], with_bias=False)
            a = b.activate(z)
            acts[i].append(a.ravel())
            outs.append(b.pool(a))
    for i, b in enumerate(blocks[:-1]):
        if b.activation == "clip" and ceilings == "exact":
            lambdas.append(float(b.ceiling))
            continue
        a = np.concatenate(acts[i])
        if normalization == "max":
            lam = float(a.max()) if a.size else 0.0
        else:
            pos = a[a > 0]
            lam = float(np.percentile(pos, percentile)) if pos.size else 0.0
        if b.activation == "clip":
            lam = min(lam, float(b.ceiling)) if lam > 0 else float(b.ceiling)
        lambdas.append(lam if lam > 0 else 1.0)
    return lambdas


def convert(model, calibration_data, method="shift", *, normalization=None, percentile=99.9, reset=None,
            input_coding=None, x_max=None, threshold_scale=None, calibration_timesteps=128, random_state=0,
            batch_size=512, dt=None):
    r"""Convert a trained ANN into a spiking network (methods in the module docstring).

    Parameters
    ----------
    model : Sequential
        The ANN (:mod:`spikecore.conversion.ann`, or from :func:`~.onnx_import.load_onnx`). Its
        layers must form ``[preprocessing] (synaptic [batch norm] activation [pooling])* synaptic``.
    calibration_data : array (n, *model.input_shape) or (n, prod(input_shape))
        Inputs on which the activations are measured (a few hundred training samples suffice).
    method : str
        ``"data"``, ``"model"``, ``"percentile"``, ``"shift"``, ``"tsc"``, ``"rmp"``,
        ``"spike-norm"``, ``"qcfs"``, ``"soft-lif"`` or ``"ttfs"`` (table above).
    normalization : {"max", "percentile", "model", "spike"}, optional
        Override of the method's normalisation.
    percentile : float
        :math:`p` for ``normalization="percentile"`` (0 < p <= 100).
    reset : {"zero", "subtract"}, optional
        Override of the method's reset (reset to zero or by subtraction; IF methods).
    input_coding : {"analog", "poisson"}, optional
        Override for the IF methods: the input as a constant current every step (analog, also
        called direct) or as Poisson spike trains of rate :math:`x/x_{\max}` per step.
    x_max : float, optional
        Full-scale input for spike-coded input (Poisson, TSC); default: the calibration maximum.
        Inputs must lie in :math:`[0, x_{\max}]` for those codings.
    threshold_scale : float, optional
        :math:`\alpha > 0` multiplying every hidden :math:`\lambda_l` (the thresholds of the
        un-normalised network); default 1. Not with ``normalization="spike"``.
    calibration_timesteps : int
        :math:`T_\mathrm{cal}`, steps per calibration sample of Spike-Norm (``normalization="spike"``).
    random_state : None, int or Generator
        Seed of the Poisson input during Spike-Norm's calibration.
    batch_size : int
        Batch size of the calibration pass.
    dt : float, optional
        Step of ``"soft-lif"`` in seconds (default 1 ms) or of ``"ttfs"`` in time units (default
        0.1: a unit activation first crosses threshold after 10 steps).

    Returns
    -------
    SpikingModel
    """
    if not isinstance(model, Sequential):
        V.fail("model", model, "a spikecore.conversion.Sequential (build one or use load_onnx)", TypeError)
    V.choice("method", method, tuple(METHODS))
    cfg = dict(METHODS[method])
    if dt is not None:
        if method not in ("soft-lif", "ttfs"):
            V.fail("dt", dt, "None except for method='soft-lif' or 'ttfs' (the other methods count steps)")
        cfg["dt"] = V.positive("dt", dt)
    if method == "soft-lif":
        for name, value in (("normalization", normalization), ("reset", reset), ("threshold_scale", threshold_scale)):
            if value is not None:
                V.fail(name, value, "None for method='soft-lif' (LIF neurons of the trained rate curve: "
                       "threshold 1, reset to 0, no normalisation)")
    if method == "ttfs" and input_coding not in (None, "analog"):
        V.fail("input_coding", input_coding, "'analog' for method='ttfs' (the input switches on at step 0)")
    if normalization is not None:
        cfg["normalization"] = V.choice("normalization", normalization, NORMALIZATIONS)
    if reset is not None:
        cfg["reset"] = V.choice("reset", reset, RESETS)
    if input_coding is not None:
        V.choice("input_coding", input_coding, INPUT_CODINGS)
        if (input_coding == "tsc") != (method == "tsc"):
            V.fail("input_coding", input_coding, "'tsc' exactly when method='tsc'")
        cfg["input_coding"] = input_coding
    if threshold_scale is not None:
        cfg["threshold_scale"] = V.positive("threshold_scale", threshold_scale)
    cfg.setdefault("threshold_scale", 1.0)
    if cfg["normalization"] == "spike" and cfg["input_coding"] == "tsc":
        V.fail("normalization", "spike", "a rate-coded method (Spike-Norm balances IF neurons)")
    if cfg["normalization"] == "spike" and cfg["threshold_scale"] != 1.0:
        V.fail("threshold_scale", cfg["threshold_scale"],
               "1 with normalization='spike' (Spike-Norm measures each threshold with the previous ones fixed)")
    percentile = V.real("percentile", percentile, low=0.0, high=100.0, low_open=True)
    batch_size = V.integer("batch_size", batch_size, low=1)
    calibration_timesteps = V.integer("calibration_timesteps", calibration_timesteps, low=1)
    if not isinstance(random_state, np.random.Generator):
        V.rng(random_state)  # checked here; a Generator is passed on untouched (no draw)
    X = model.check_input(calibration_data, "calibration_data")
    if X.shape[0] == 0:
        V.fail("calibration_data", V._Described("<0 samples>"), "at least one sample")

    pre, blocks = to_blocks(model)
    # the layout layers (transpose / reshape of the raw input) run first; the rest reads `shape0`
    layout, pre, shape0 = split_input(pre, model.input_shape)
    softlif = [b.activation == "softlif" for b in blocks[:-1]]
    if method == "soft-lif" and not all(softlif):
        V.fail("model", model, "SoftLIF activations in every hidden layer for method='soft-lif' "
               "(train with mlp(..., activation='softlif') or small_cnn(..., activation='softlif'))")
    if method != "soft-lif" and any(softlif):
        V.fail("method", method, "'soft-lif' for a network with SoftLIF activations")
    branched = any(b.skips or source_of(blocks, i) != i - 1 for i, b in enumerate(blocks))
    if branched and (cfg["input_coding"] == "tsc" or cfg.get("neuron") == "ttfs"):
        V.fail("method", method, "a rate-coded method for a network with residual blocks or concatenations (TTFS "
               "and TSC time every layer after the one before it; a shortcut or a branch skips layers)")
    if cfg.get("neuron") in ("ttfs", "lif") and any(b.maxpool is not None for b in blocks):
        V.fail("model", model, "no max-pooling for method=%r (use average pooling)" % method)
    X_raw = X
    X = apply_pre(layout, X).reshape((X.shape[0],) + shape0)
    Xp = apply_pre(pre, X).reshape(X.shape[0], -1)
    spike_coded = cfg["input_coding"] != "analog"
    if spike_coded:
        lo = float(X.min())
        if lo < 0:
            V.fail("calibration_data", V._Described("<minimum %g>" % lo),
                   "non-negative inputs for input_coding=%r (spike codes carry intensities in [0, x_max])"
                   % cfg["input_coding"])
        x_max = V.positive("x_max", x_max) if x_max is not None else (float(X.max()) or 1.0)
        blocks[0].layer = fold_input_scale(pre, blocks[0], shape0)
        pre = []
        x_range = (0.0, x_max)
        lam_in = x_max
        Xcal = X.reshape(X.shape[0], -1)
    else:
        x_range = (float(Xp.min()), float(Xp.max()))
        lam_in = 1.0
        Xcal = Xp
    out_lambda = _output_lambda(model, X_raw, batch_size)
    if method == "soft-lif":
        return _soft_lif(model, blocks, pre, cfg, lam_in, x_max if spike_coded else None, out_lambda, layout, shape0)
    if cfg["normalization"] == "spike":
        lambdas = spike_norm_lambdas(blocks, pre, shape0, X, lam_in=lam_in, reset=cfg["reset"],
                                     input_coding=cfg["input_coding"], x_max=x_max if spike_coded else None,
                                     timesteps=calibration_timesteps, random_state=random_state,
                                     batch_size=batch_size)
    else:
        lambdas = layer_lambdas(blocks, Xcal, cfg["normalization"], percentile, x_range, batch_size,
                                ceilings="exact" if method == "qcfs" else "cap")
    lambdas = [lam * cfg["threshold_scale"] for lam in lambdas]
    scale = [lam_in] + lambdas  # scale[s + 1]: the activation a spike of block s stands for
    for i, lam in enumerate(lambdas):  # W <- W lambda_source / lambda_l, shortcuts each by their own source's
        scale_synapses(blocks, i, scale, lam)
        blocks[i].layer.bias /= np.float32(lam)
    scale_synapses(blocks, len(blocks) - 1, scale)  # the output layer (and its shortcuts, after a concatenation)
    return SpikingModel(blocks, pre, input_shape=shape0, layout=layout, raw_input_shape=model.input_shape,
                        method=method, reset=cfg["reset"], input_coding=cfg["input_coding"], shift=cfg["shift"],
                        x_max=x_max if spike_coded else None, lambdas=[lam_in] + lambdas,
                        normalization=cfg["normalization"], ann=model, v_init=cfg.get("v_init", 0.0),
                        neuron=cfg.get("neuron"), dt=cfg.get("dt"), output_lambda=out_lambda)


def _output_lambda(model, X, batch_size):
    """Largest logit of the ANN over the calibration set (1 if none is positive)."""
    z = model.logits(X, batch_size=batch_size)
    top = float(z.max()) if z.size else 0.0
    return top if top > 0 else 1.0


def _soft_lif(model, blocks, pre, cfg, lam_in, x_max, out_lambda, layout, shape0):
    r"""Soft-LIF conversion (Hunsberger & Eliasmith, 2015; module docstring): a spike of a layer with
    amplitude :math:`A` stands for :math:`A/\Delta t` of activation, so the next layer's weights are
    multiplied by :math:`A/\Delta t`; hidden biases gain the threshold offset 1 (:math:`j = z + 1`)."""
    dt = cfg["dt"]
    scale = [lam_in] + [b.softlif.amplitude / dt for b in blocks[:-1]]
    for i in range(len(blocks)):
        scale_synapses(blocks, i, scale)
        if i < len(blocks) - 1:
            blocks[i].layer.bias += np.float32(1.0)
    return SpikingModel(blocks, pre, input_shape=shape0, layout=layout, raw_input_shape=model.input_shape,
                        method="soft-lif", reset="zero",
                        input_coding=cfg["input_coding"], shift=False, x_max=x_max,
                        lambdas=[lam_in] + [b.softlif.amplitude / dt for b in blocks[:-1]], normalization=None,
                        ann=model, neuron="lif", dt=dt, output_lambda=out_lambda)
