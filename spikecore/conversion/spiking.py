r"""The converted spiking network: inference with the compiled neuron loops and operation counts.

Rate-coded methods (IF neurons). Time runs in chunks of :math:`T_c` steps. With analog input the
first layer's current :math:`W x` is the same every step and is computed once. Every later block
gets its input current in one of two ways, which add the same float32 numbers in a different
order (so potentials agree to float rounding and, except for a neuron within rounding of its
threshold, so do the spikes):

* **dense**: one matrix product of the chunk's binary spikes with the block's synapse matrix
  :math:`S` (:meth:`~spikecore.conversion.blocks.Block.synapse_matrix`; a convolution as its
  unrolled matrix when that is small and dense enough, else im2col, Chellapilla et al., 2006),
  then :func:`spikecore.kernels.conversion.if_neuron_run` runs the neurons through the chunk;
* **event-driven**: :func:`~spikecore.kernels.conversion.if_event_run` adds, step by step, only
  the rows of :math:`S` of the inputs that spiked (one addition per synapse of a spiking input)
  and updates the neurons in the same loop; for a convolution without a joined pooling,
  :func:`~spikecore.kernels.conversion.if_conv_event_run` adds each spiking input's kernel taps
  to the windows that hold it: no synapse matrix, so it serves the convolutions whose matrix is
  too large or too sparse (which otherwise take im2col), when their input firing rate is low
  (:data:`_CONV_EVENT_RATE`).

A block with shortcuts (residual blocks, folded linear bottlenecks, concatenations:
:mod:`spikecore.conversion.blocks`) adds each shortcut's current, the product of its source
block's spikes of the chunk with the shortcut's synapses, to its own before the neurons run (the
dense route, or the event-driven convolution with that current as its extra input), and counts
the source's emitted spikes times the shortcut's fan-out as synaptic additions. A block whose
main input is not the block before (the first of a concatenated branch) reads that block's
spikes of the chunk; the output layer integrates its shortcuts from their spike counts.

``propagation="auto"`` picks per block and chunk by the measured input firing rate
(:data:`_EVENT_COST`); a block with a joined average pooling takes the dense route, fed directly
by :func:`~spikecore.kernels.conversion.if_neuron_pool_run`, which writes the previous layer's
window sums instead of its spike raster. :func:`~spikecore.kernels.conversion.maxpool_gate_run`
does the spiking max-pooling. The output layer does not fire: it integrates
:math:`\sum_t (S^\top s[t] + b) = S^\top c + T b` with :math:`c` the per-sample input spike counts,
one product at the end (float64). Propagation is instantaneous (a spike reaches the next layer in
the same step), so this is the step-by-step simulation. Samples are independent: a batch is split
over ``n_threads`` threads (single-threaded BLAS and Numba loops in each, the kernels release the
GIL), which changes no number.

Soft-LIF (Hunsberger & Eliasmith, 2015): the same chunked loop with
:func:`~spikecore.kernels.conversion.lif_neuron_run` (exact LIF integration, spike times resolved
inside the step, refractory period); a spike of a layer with amplitude :math:`A` carries
:math:`A/\Delta t` to the next layer, so the mean current equals the ANN's :math:`W (A r) + b`.

TTFS (Rueckauer & Liu, 2018): the chunked loop with
:func:`~spikecore.kernels.conversion.ttfs_neuron_run`; the matrix product of a chunk maps the
spikes of each step to the current they switch on (each neuron spikes at most once, so every
synapse is switched on at most once: at most one addition per synapse).

TSC (Han & Roy, 2020): per window, :func:`~spikecore.kernels.conversion.tsc_on_duration` reads the
on-time of every input from its two spikes, the block integrates
:math:`v = W d + (N-1) b` (the result of :func:`~spikecore.kernels.conversion.tsc_dense_events`,
computed as one matrix product), and :func:`~spikecore.kernels.conversion.tsc_fire` emits the next
window's spikes. A TSC max-pooling unit switches on with its window and off with the last
off-spike in it (the maximum on-time).

Operation counts (per inference, i.e. per sample):

* synaptic additions (accumulates, AC): every input spike of a block costs its fan-out (the
  synapses leaving that neuron) in additions; TSC: two per synapse of every active input;
* multiply-accumulates (MAC): the analog first layer's :math:`W x` (once), and the whole ANN;
* neuron updates: one addition per neuron per step (:math:`v \mathrel{+}= I + b`);
* memory accesses (a stated model): one 32-bit weight read per AC or MAC, and a read and a write
  of the membrane potential per neuron update;
* energy :math:`E = E_\mathrm{AC} (\mathrm{AC} + \text{neuron updates}) + E_\mathrm{MAC}\,\mathrm{MAC}`
  with Horowitz (2014, ISSCC, 45 nm, 0.9 V) 32-bit floating point: :math:`E_\mathrm{AC}` = 0.9 pJ
  (add), :math:`E_\mathrm{MAC}` = 4.6 pJ (3.7 pJ multiply + 0.9 pJ add). Memory energy is not
  included (it depends on the memory hierarchy); the access counts are reported instead.
"""
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from spikecore import _validate as V
from spikecore.learning.blas_threads import limit_blas_threads
from spikecore.kernels import conversion as _k
from spikecore.kernels import rng as _rng

from .blocks import source_of

__all__ = ["SpikingModel", "E_ADD_PJ", "E_MAC_PJ"]

E_ADD_PJ = 0.9  # 32-bit float add, 45 nm (Horowitz, 2014)
E_MAC_PJ = 4.6  # 32-bit float multiply (3.7 pJ) + add (0.9 pJ), 45 nm (Horowitz, 2014)
_CHUNK_ELEMENTS = 1 << 22  # float32 elements of the largest per-chunk buffer (16 MiB)
# Event-driven propagation costs about _EVENT_COST times more per synaptic addition than the BLAS
# matrix product per multiply-add (measured with 500 x 500 layers, batch 256, on the 2-core Xeon
# with AVX-512, CPU time of one core: ~14 G additions/s vs ~66 G multiply-adds/s; the crossover
# was at a firing rate of ~20-25 %), so a block runs event-driven when
# rate * n_in * _EVENT_COST < rows of its synapse matrix.
_EVENT_COST = 4.5
_SYNAPSE_MATRIX_BYTES = 64 << 20  # a convolution runs as a matrix product up to this size ...
_SYNAPSE_MATRIX_DENSITY = 0.1  # ... when at least this fraction of the matrix are synapses
_MIN_SAMPLES_PER_THREAD = 16
# A convolution block without a synapse matrix (im2col route) and without a joined pooling runs
# event-driven through if_conv_event_run when its input firing rate is below
# _CONV_EVENT_RATE / sqrt(ceil(O / 16) * s_h * s_w) (O output channels, stride s). Measured
# (one core, batch 64, single conv blocks at input rates 0.05-0.8, best of 3): the event
# kernel beat im2col + if_neuron_run below rates of about 0.6 (16 -> 16 channels, stride 1,
# 32 x 32), 0.3 (64 -> 64, stride 1, 8 x 8) and 0.15 (32 -> 64, stride 2, 16 x 16); GEMM
# gains on im2col as the output channels fill AVX-512 vectors and a stride skips taps. 0.5 keeps
# a margin below those crossovers. The limit grows by O / (mean output channels a tap reaches):
# a depthwise kernel (one channel per tap) adds O times fewer weights per spike than a full one,
# while im2col multiplies all of its zero taps. A pointwise (1x1, unpadded) convolution, which
# Block.linear computes as one matrix product per sample without im2col, stays dense: measured
# the same way (C -> O channels on H x H maps: 48 -> 48 on 32 x 32 and 16 x 16, 144 -> 144 and
# 192 -> 192 on 8 x 8, 336 -> 1280 on 4 x 4, input rates 0.02-0.4), the product was faster at
# every rate from 0.05 up (1.3-9x), the events only at 0.02 on some.
_CONV_EVENT_RATE = 0.5
_NO_EXTRA = np.zeros((0, 0, 0), np.float32)


def _window_members(row_of, n_rows):
    """``members[q, r]``: the ``q``-th input neuron whose row is ``r`` (increasing), padded with
    ``len(row_of)``; int64 (k, n_rows) with ``k`` the largest window (the layout of
    :func:`spikecore.kernels.conversion.if_neuron_pool_run`)."""
    n = len(row_of)
    order = np.argsort(row_of, kind="stable")
    size = np.bincount(row_of, minlength=n_rows)
    k = int(size.max()) if n else 1
    members = np.full((k, n_rows), n, np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    slot = np.arange(n) - np.repeat(start, size)  # position of each sorted neuron in its window
    members[slot, row_of[order]] = order
    return members


def _block_propagation(b):
    """``(S, row_of, members)`` of :meth:`SpikingModel._propagation` for one block, or None."""
    n_rows = int(np.prod(b.in_shape))
    if b.kind == "conv" and n_rows * b.n_out * 4 > _SYNAPSE_MATRIX_BYTES:
        return None
    S = b.synapse_matrix()
    if b.kind == "conv" and np.count_nonzero(S) < _SYNAPSE_MATRIX_DENSITY * S.size:
        return None
    rows = b.input_rows()
    return S, rows, _window_members(rows, S.shape[0])


class SpikingModel:
    """A converted spiking network (built by :func:`spikecore.conversion.convert`).

    Attributes
    ----------
    blocks : list of Block
        Normalised synaptic layers (threshold 1).
    method, reset, input_coding, normalization : str
    lambdas : list of float
        :math:`\\lambda_0` (input) and the hidden layers' normalisation factors.
    v_init : float
        Initial membrane potential of the hidden IF neurons (threshold units; 0.5 for QCFS,
        Bu et al., 2022).
    neuron : {"if", "lif", "ttfs", "tsc"}
        Neuron model: integrate-and-fire (rate methods), leaky integrate-and-fire with refractory
        period (``"soft-lif"``), time-to-first-spike (``"ttfs"``) or temporal switch coding.
    dt : float or None
        Step: seconds for ``"lif"``, time units (threshold crossings of a unit activation) for
        ``"ttfs"``.
    output_lambda : float or None
        Largest logit of the ANN over the calibration set (threshold of a spiking output layer
        in :func:`spikecore.conversion.export.to_graph`).
    last_stats : dict
        Operation counts of the last :meth:`predict` call (see :meth:`operations`).
    input_shape : tuple
        Per-sample shape the first block reads (after ``layout``): the shape of :meth:`encode`'s
        spikes and of an exported network's input.
    raw_input_shape : tuple
        Per-sample shape of the ``X`` that :meth:`predict` takes (the ANN's input shape).
    layout : list of layers
        :class:`~.layers.Transpose` / :class:`~.layers.Reshape` / :class:`~.layers.Flatten` applied
        to ``X`` first (e.g. channels-last images of a Keras model become channels-first).
    """

    def __init__(self, blocks, pre, *, input_shape, method, reset, input_coding, shift, x_max, lambdas,
                 normalization, ann=None, v_init=0.0, neuron=None, dt=None, output_lambda=None, layout=(),
                 raw_input_shape=None):
        self.blocks, self.pre = blocks, pre
        self.layout = list(layout)
        self.raw_input_shape = tuple(input_shape if raw_input_shape is None else raw_input_shape)
        self.neuron = neuron or ("tsc" if input_coding == "tsc" else "if")
        V.choice("neuron", self.neuron, ("if", "lif", "ttfs", "tsc"))
        self.dt = dt
        self.output_lambda = output_lambda
        self.v_init = float(v_init)
        self.input_shape = tuple(input_shape)
        self.method, self.reset, self.input_coding = method, reset, input_coding
        self.shift, self.x_max, self.lambdas = shift, x_max, lambdas
        self.normalization = normalization
        self.ann = ann
        self._fan_out = [b.fan_out() for b in blocks]
        self._skip_fan_out = [[sb.fan_out() for sb, _ in b.skips] for b in blocks]
        self._windows = [b.pool_windows() if b.maxpool is not None else None for b in blocks]
        self.last_stats = None
        self._prop = None  # synapse matrices of the rate path, built on first use (_propagation)
        self._skip_prop = None  # the same for the residual shortcuts

    # ------------------------------------------------------------------ input
    def _check(self, X, timesteps):
        T = V.integer("timesteps", timesteps, low=1)
        if self.input_coding == "tsc" and T < 2:
            V.fail("timesteps", timesteps, "a window of at least 2 steps for TSC")
        X = V.array("X", X, dtype=np.float32, finite=True)
        raw = self.raw_input_shape
        size = int(np.prod(raw))
        if X.ndim < 2 or (X.shape[1:] != raw and X.shape[1:] != (size,)):
            V.fail("X", V._Described("<array of shape %s>" % (X.shape,)),
                   "shape (n_samples, %s) or (n_samples, %d)" % (", ".join(map(str, raw)), size))
        X = X.reshape((X.shape[0],) + raw)
        for p in self.layout:
            X = p.forward(X)
        X = X.reshape((X.shape[0],) + self.input_shape)
        if self.input_coding != "analog":
            lo, hi = float(X.min(initial=0.0)), float(X.max(initial=0.0))
            if lo < 0 or hi > self.x_max * (1 + 1e-6):
                V.fail("X", V._Described("<values in [%g, %g]>" % (lo, hi)),
                       "values in [0, x_max = %g] for %s input" % (self.x_max, self.input_coding))
        return X, T

    # ------------------------------------------------------------------ inference
    def run(self, X, timesteps, *, batch_size=256, random_state=None, blas_threads=1, n_threads=None,
            propagation="auto"):
        """Run the network and return the output layer's integrated potential ``(n, n_classes)``.

        Parameters
        ----------
        X : array (n, *raw_input_shape)
        timesteps : int
            :math:`T` (rate methods) or the window :math:`N` (TSC).
        batch_size : int
        random_state : None, int or Generator
            Seed of the Poisson input.
        blas_threads : int or None
            BLAS threads for the matrix products while the network runs (``None``: leave BLAS's
            setting). The library's choice is 1: the Numba neuron loops are single-threaded and
            one BLAS thread avoids OpenBLAS's spinning workers; ``benchmarks/conversion.py``
            measured it 1.1-1.6x faster than BLAS's default threads on every case.
        n_threads : int or None
            Threads over the samples of a batch for the rate-coded networks (IF, LIF); ``None``:
            the cores this process may use. This is the one parallel layer of the hot path (the
            threads run single-threaded BLAS and Numba loops on their own samples); it changes no
            number, only the time.
        propagation : {"auto", "dense", "event"}
            How spikes reach the next IF layer: a matrix product per time chunk (``"dense"``),
            only the synapses of the inputs that spiked (``"event"``,
            :func:`~spikecore.kernels.conversion.if_event_run`, or
            :func:`~spikecore.kernels.conversion.if_conv_event_run` for a convolution without a
            joined pooling), or chosen per block and chunk by
            the measured input firing rate (``"auto"``). The modes add the same float32 numbers
            in a different order, so potentials agree to float rounding (spikes can differ only
            where a potential lies within rounding of the threshold).

        Notes
        -----
        Sets :attr:`last_stats`: per-block input spike counts, output spike counts and the totals
        used by :meth:`operations`.
        """
        X, T = self._check(X, timesteps)
        batch_size = V.integer("batch_size", batch_size, low=1)
        gen = V.rng(random_state)
        V.choice("propagation", propagation, ("auto", "dense", "event"))
        if blas_threads is not None:
            blas_threads = V.integer("blas_threads", blas_threads, low=1)
        if n_threads is None:
            n_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        n_threads = V.integer("n_threads", n_threads, low=1)
        stats = self._empty_stats(T, X.shape[0])
        outs = []
        ctx = contextlib.nullcontext() if blas_threads is None else limit_blas_threads(blas_threads)
        with ctx:
            for s in range(0, X.shape[0], batch_size):
                xb = X[s:s + batch_size]
                if self.neuron == "tsc":
                    outs.append(self._run_tsc(xb, T, stats))
                elif self.neuron == "ttfs":
                    outs.append(self._run_ttfs(xb, T, stats))
                else:
                    outs.append(self._run_rate(xb, T, gen, stats, propagation=propagation, n_threads=n_threads))
        self.last_stats = stats
        return np.concatenate(outs) if outs else np.zeros((0, self.blocks[-1].n_out), np.float32)

    def predict(self, X, timesteps=64, *, batch_size=256, random_state=None):
        """Class labels: argmax of the output layer's integrated potential after ``timesteps``."""
        return self.run(X, timesteps, batch_size=batch_size, random_state=random_state).argmax(1)

    def score(self, X, y, timesteps=64, *, batch_size=256, random_state=None):
        """Accuracy of :meth:`predict` on ``(X, y)``."""
        X = V.array("X", X, dtype=np.float32, finite=True)
        y = V.array("y", y, ndim=1, kinds="iu")
        if X.ndim and len(y) != len(X):  # (a 0-d X is refused by predict, naming X)
            V.fail("y", V._Described("<%d labels>" % len(y)), "one label per sample (%d)" % len(X))
        return float(np.mean(self.predict(X, timesteps, batch_size=batch_size, random_state=random_state) == y))

    def _chunk(self, T, batch):
        widest = 1
        for b in self.blocks + [sb for b in self.blocks for sb, _ in b.skips]:
            widest = max(widest, b.n_in, b.n_out)
            if b.kind == "conv":
                L = b.layer
                widest = max(widest, int(np.prod(b.out_shape[1:])) * L.weight[0].size)
        return int(max(1, min(T, _CHUNK_ELEMENTS // (batch * widest))))

    def max_input_current(self, X, timesteps, *, batch_size=256, random_state=None):
        r"""Largest input current the output layer receives in one step, per neuron.

        .. math:: \hat I_j = \max_{n, t}\big(\textstyle\sum_i w_{ji}\, s_i^{(n)}[t] + b_j\big)

        with :math:`s^{(n)}[t]` the spikes (or the analog input) reaching the last block at step
        :math:`t` for sample :math:`n`. This is the quantity Spike-Norm (Sengupta et al., 2019)
        sets a layer's threshold to; see :func:`spikecore.conversion.spike_norm.spike_norm_lambdas`.

        Parameters
        ----------
        X : array (n, *raw_input_shape)
        timesteps : int
            :math:`T`, the steps simulated per sample.
        batch_size : int
        random_state : None, int or Generator
            Seed of the Poisson input.

        Returns
        -------
        float64 array (n_out of the last block,)
        """
        if self.neuron != "if":
            V.fail("model", self, "a rate-coded (IF) network for max_input_current")
        X, T = self._check(X, timesteps)
        batch_size = V.integer("batch_size", batch_size, low=1)
        gen = V.rng(random_state)
        stats = self._empty_stats(T, X.shape[0])
        probe = np.full(self.blocks[-1].n_out, -np.inf)
        with limit_blas_threads(1):
            for s in range(0, X.shape[0], batch_size):
                self._run_rate(X[s:s + batch_size], T, gen, stats, probe)
        return probe

    def _poisson_setup(self, X, gen):
        """Per-input spike probabilities as Philox thresholds and the batch's key (one draw of
        ``gen`` per batch: the same stream as :meth:`encode`)."""
        p = (X.reshape(-1).astype(np.float64) / self.x_max).clip(0.0, 1.0)
        threshold = np.empty(p.size, np.uint64)
        _rng.probability_threshold(p, threshold)
        return threshold, np.uint64(gen.integers(0, 2 ** 63))

    def encode(self, X, timesteps, *, batch_size=256, random_state=None):
        r"""The input spike trains :meth:`run` feeds the network (Poisson input), as a raster.

        Input :math:`i` spikes at step :math:`t` with probability :math:`x_i / x_{\max}`
        (counter-based Philox stream: :func:`spikecore.kernels.rng.philox_bernoulli`); with the same
        ``random_state`` and ``batch_size`` these are exactly the spikes :meth:`run` draws, so an
        exported network (:func:`spikecore.conversion.export.to_graph`) can be driven by them.

        Parameters
        ----------
        X : array (n, *raw_input_shape)
        timesteps : int
            :math:`T`.
        batch_size : int
            Must equal the ``batch_size`` of the :meth:`run` to reproduce (one key per batch).
        random_state : None, int or Generator

        Returns
        -------
        uint8 array (T, n, *input_shape)
        """
        if self.input_coding != "poisson":
            V.fail("model", self, "a network with Poisson input for encode() (analog input is the value "
                   "itself, every step)")
        X, T = self._check(X, timesteps)
        batch_size = V.integer("batch_size", batch_size, low=1)
        gen = V.rng(random_state)
        out = np.empty((T, X.shape[0]) + self.input_shape, np.uint8)
        for s in range(0, X.shape[0], batch_size):
            xb = X[s:s + batch_size]
            threshold, key = self._poisson_setup(xb, gen)
            raw = np.empty((T, threshold.size), np.uint8)
            _rng.philox_bernoulli(threshold, key, np.uint64(0), 0, raw)
            out[:, s:s + xb.shape[0]] = raw.reshape((T, xb.shape[0]) + self.input_shape)
        return out

    def _propagation(self):
        """Per block, what the rate path needs to propagate spikes: ``(S, row_of, members)`` with
        :meth:`Block.synapse_matrix`, :meth:`Block.input_rows` and the input neurons of every row
        (:func:`_window_members`) when the matrix is small enough
        and dense enough to beat im2col (see :data:`_SYNAPSE_MATRIX_BYTES`,
        :data:`_SYNAPSE_MATRIX_DENSITY`), else ``None`` (im2col via :meth:`Block.linear`). Built
        once per model (the blocks' weights do not change after conversion)."""
        if self._prop is None:
            prop = [_block_propagation(b) for b in self.blocks]
            # kernels (C, kh, kw, O) of the convolutions on the im2col route: if_conv_event_run's
            self._conv_wt = [np.ascontiguousarray(b.layer.weight.transpose(1, 2, 3, 0), np.float32)
                             if b.kind == "conv" and b.prepool is None and p is None else None
                             for b, p in zip(self.blocks, prop)]
            # the output channels each tap reaches (a depthwise kernel: one) and their mean
            self._conv_span = [None if w is None else _k.tap_spans(w) for w in self._conv_wt]
            self._span_width = [None if s is None else max(float(np.mean(s[:, 1] - s[:, 0])), 1.0)
                                for s in self._conv_span]
            self._skip_prop = [[_block_propagation(sb) for sb, _ in b.skips] for b in self.blocks]
            self._prop = prop
        return self._prop

    def _run_rate(self, X, T, gen, stats, probe=None, propagation="auto", n_threads=1):
        """One batch of a rate-coded (IF or LIF) network; samples split over ``n_threads``
        threads (each sample's simulation is independent of the others', so the split does not
        change any number)."""
        B = X.shape[0]
        poisson = None if self.input_coding == "analog" else self._poisson_setup(X, gen)
        n_parts = max(1, min(int(n_threads), B // _MIN_SAMPLES_PER_THREAD)) if probe is None else 1
        bounds = np.linspace(0, B, n_parts + 1).astype(int)
        parts = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]
        part_stats = [self._empty_stats(T, 0) for _ in parts]

        def work(k):
            lo, hi = parts[k]
            return self._rate_part(X, T, poisson, lo, hi, part_stats[k], probe, propagation)

        if n_parts == 1:
            outs = [work(0)]
        else:
            with ThreadPoolExecutor(n_parts) as pool:
                outs = list(pool.map(work, range(n_parts)))
        for ps in part_stats:
            for key in ("in_spikes", "out_spikes", "emitted"):
                for total, part in zip(stats[key], ps[key]):
                    total += part
            for key in ("macs", "neuron_updates"):
                stats[key] += ps[key]
        for i, b in enumerate(self.blocks):
            if not (i == 0 and poisson is None):
                stats["synaptic_adds"][i] = float(stats["in_spikes"][i] @ self._fan_out[i])
            for (_, source), fan in zip(b.skips, self._skip_fan_out[i]):  # a shortcut: its source's spikes
                stats["synaptic_adds"][i] += float(stats["emitted"][source] @ fan)
        return np.concatenate(outs)

    def _empty_stats(self, T, n):
        nb = len(self.blocks)
        return dict(T=T, n=n, in_spikes=[np.zeros(b.n_in) for b in self.blocks],
                    out_spikes=[np.zeros(b.n_out) for b in self.blocks[:-1]],
                    emitted=[np.zeros(int(np.prod(b.pool_shape))) for b in self.blocks],  # read by shortcuts
                    synaptic_adds=np.zeros(nb), macs=np.zeros(nb), neuron_updates=np.zeros(nb))

    def _rate_part(self, X, T, poisson, lo, hi, stats, probe, propagation):
        """Samples ``lo:hi`` of the batch ``X`` through all ``T`` steps (module docstring).

        Per block and chunk, the input current comes from one of two equivalent propagations:
        a matrix product of the chunk's spikes (BLAS) followed by
        :func:`~spikecore.kernels.conversion.if_neuron_run`, or, when the measured input firing
        rate is low, the event-driven :func:`~spikecore.kernels.conversion.if_event_run` (adds
        only the synapses of the inputs that spiked). The output layer integrates its current
        without firing, so its potential after :math:`T` steps is :math:`S^\\top c + T b` with
        :math:`c` the per-sample input spike counts: one product at the end (float64).
        """
        blocks = self.blocks
        B_all = X.shape[0]
        B = hi - lo
        X = X[lo:hi]
        prop = self._propagation()
        soft = self.reset == "subtract"
        shift = np.float32(0.5 / T) if self.shift else np.float32(0.0)
        Tc = self._chunk(T, B)
        v = [np.full((B, b.n_out), self.v_init, np.float32) for b in blocks[:-1]]
        lif = self.neuron == "lif"
        refractory = [np.zeros((B, b.n_out), np.float32) for b in blocks[:-1]] if lif else None
        spikes = [np.empty((Tc, B, b.n_out), np.float32) for b in blocks[:-1]]
        pooled = [np.empty((Tc, B, int(np.prod(b.pool_shape))), np.float32) if b.maxpool is not None else None
                  for b in blocks[:-1]]
        counts = [np.zeros((B, b.n_out), np.float32) if b.maxpool is not None else None for b in blocks[:-1]]
        biases = [b.bias_per_neuron() + shift for b in blocks[:-1]]
        work = [np.empty(b.n_out, np.float32) for b in blocks]
        last = len(blocks) - 1
        acc = np.zeros((B, blocks[last].n_out), np.float64)  # per-step path (probe or single block)
        out_bias = blocks[last].bias_per_neuron().astype(np.float64)
        analog = poisson is None
        if analog:
            x0 = X.reshape(B, -1)
            for p in self.pre:
                x0 = p.forward(x0.reshape((B,) + self.input_shape)).reshape(B, -1)
            first = blocks[0].linear(np.ascontiguousarray(x0, np.float32), with_bias=False)[None]
            stats["macs"][0] += B * blocks[0].macs()
        else:
            threshold, key = poisson
            n_in0 = threshold.size // B_all
            raw = np.empty((Tc, threshold.size), np.uint8)
        per_step_out = probe is not None or (analog and last == 0)
        # blocks whose spikes go straight into the next block's sum-pooling (if_neuron_pool_run)
        src = [source_of(blocks, i) for i in range(len(blocks))]  # the block each block reads
        skip_sources = {source for b in blocks for _, source in b.skips}  # outputs a shortcut reads
        sources = skip_sources | {s for i, s in enumerate(src) if s != i - 1}  # ... or a later block
        feeds_pool = [not lif and b.maxpool is None and propagation != "event" and blocks[i + 1].prepool is not None
                      and prop[i + 1] is not None and i not in sources and src[i + 1] == i
                      for i, b in enumerate(blocks[:-1])]
        counted_by_next = [i + 1 < len(blocks) and src[i + 1] == i for i in range(len(blocks))]
        chunk_out = [None] * len(blocks)  # every block's output spikes of the current chunk
        sums = [np.empty((Tc, B, prop[i + 1][0].shape[0]), np.float32) if f else None for i, f in enumerate(feeds_pool)]
        fired = [np.zeros((B, b.n_out), np.float32) if f else None for b, f in zip(blocks, feeds_pool)]
        out_counts = np.zeros((B, prop[last][0].shape[0] if prop[last] is not None else blocks[last].n_in), np.float64)
        skip_counts = [np.zeros((B, int(np.prod(blocks[s].pool_shape))), np.float64) for _, s in blocks[last].skips]
        for t0 in range(0, T, Tc):
            tc = min(Tc, T - t0)
            xs = None  # the input already sum-pooled, (tc, B, rows), when the previous block made it
            if not analog:
                _rng.philox_bernoulli(threshold, key, np.uint64(0), t0, raw[:tc])
                x = raw[:tc, lo * n_in0:hi * n_in0].reshape(tc, B, -1).astype(np.float32)
            for i, b in enumerate(blocks):
                if i == 0 and analog:
                    cur = first
                else:
                    if src[i] != i - 1:  # the first block of a concatenated branch reads an earlier block
                        x = chunk_out[src[i]]
                    if xs is None:
                        in_count = x.sum(0)  # (B, n_in), exact integers
                        in_total = in_count.sum(0)
                        stats["in_spikes"][i] += in_total
                        if i > 0 and src[i] == i - 1 and blocks[i - 1].maxpool is None:  # its output spikes
                            stats["out_spikes"][i - 1] += in_total
                    if i == last and not per_step_out:
                        if xs is not None:
                            out_counts += xs.sum(0)
                        else:
                            out_counts += in_count if prop[last] is None else b.sum_pool(in_count)
                        for k, (_, s) in enumerate(b.skips):  # the output layer's shortcuts (a concatenation)
                            skip_counts[k] += chunk_out[s].sum(0)
                        stats["neuron_updates"][i] += tc * B * b.n_out
                        break
                    if i == last or xs is not None:
                        mode = "dense"
                    else:
                        mode = self._mode(i, float(in_total.sum()) / x.size, propagation, lif)
                    if mode == "event":
                        sp = spikes[i][:tc]
                        S, rows = prop[i][:2]
                        _k.if_event_run(x, rows, S, biases[i], v[i], 1.0, soft, work[i], sp)
                        cur = None
                    elif mode == "conv_event":
                        sp = spikes[i][:tc]
                        L = b.layer
                        extra = (_NO_EXTRA if not b.skips else
                                 np.ascontiguousarray(self._skip_current(i, chunk_out, tc, B)))
                        _k.if_conv_event_run(x, self._conv_wt[i], self._conv_span[i], b.in_shape[1], b.in_shape[2],
                                             L.stride[0], L.stride[1], L.padding[0], L.padding[1], b.out_shape[1],
                                             b.out_shape[2], extra, biases[i], v[i], 1.0, soft, work[i], sp)
                        cur = None
                    else:
                        if xs is not None:
                            cur = xs.reshape(tc * B, -1) @ prop[i][0]
                        elif prop[i] is None:
                            cur = b.linear(x.reshape(tc * B, -1), with_bias=False)
                        else:
                            cur = b.sum_pool(x.reshape(tc * B, -1)) @ prop[i][0]
                        cur = cur.reshape(tc, B, -1)
                        if b.skips:
                            cur = cur + self._skip_current(i, chunk_out, tc, B)
                if i == last:
                    if probe is not None:  # max over steps and samples of the per-step current
                        np.maximum(probe, cur.max((0, 1)) + out_bias, out=probe)
                    acc += (cur.sum(0, dtype=np.float64) if cur.shape[0] == tc else cur[0] * tc) + tc * out_bias
                    stats["neuron_updates"][i] += tc * B * b.n_out
                    break
                stats["neuron_updates"][i] += tc * B * b.n_out
                if cur is not None and feeds_pool[i]:
                    xs = sums[i][:tc]
                    _k.if_neuron_pool_run(cur, biases[i], v[i], 1.0, soft, prop[i + 1][2], fired[i], xs)
                    continue
                xs = None
                sp = spikes[i][:tc]
                if cur is not None:
                    if lif:
                        cell = b.softlif
                        _k.lif_neuron_run(cur, biases[i], v[i], refractory[i], self.dt, cell.tau_rc, cell.tau_ref, sp)
                    else:
                        _k.if_neuron_run(cur, biases[i], v[i], 1.0, soft, sp)
                if b.maxpool is not None or not counted_by_next[i]:
                    stats["out_spikes"][i] += sp.sum((0, 1))
                if b.maxpool is not None:
                    _k.maxpool_gate_run(sp, self._windows[i], counts[i], pooled[i][:tc])
                    x = pooled[i][:tc]
                else:
                    x = sp
                chunk_out[i] = x
                if i in skip_sources:  # what its shortcuts receive (after the max-pooling)
                    stats["emitted"][i] += x.sum((0, 1))
        for i, c in enumerate(fired):  # spikes that went straight into a sum-pooling
            if c is not None:
                total = c.sum(0)
                stats["out_spikes"][i] += total
                stats["in_spikes"][i + 1] += total
        if not per_step_out:
            S_out = prop[last][0] if prop[last] is not None else None
            if S_out is None:  # im2col route: the layer itself on the counts
                acc += blocks[last].linear(out_counts.astype(np.float32), with_bias=False).astype(np.float64)
                acc += T * out_bias
            else:
                acc += out_counts @ S_out.astype(np.float64) + T * out_bias
            for (sb, _), counts in zip(blocks[last].skips, skip_counts):  # integrated: W_s times the counts
                acc += sb.linear(counts.astype(np.float32), with_bias=False).astype(np.float64)
        return acc.astype(np.float32)

    def _skip_current(self, i, outs, tc, B):
        r"""Current ``(tc, B, n_out)`` the residual shortcuts of block ``i`` make of their sources'
        output spikes (``outs[source]``, (tc, B, n_source) each): :math:`\sum_s W_s x_s`, in the
        order of ``skips`` (the shortcuts' biases are in the block's)."""
        total = None
        for (sb, source), sp in zip(self.blocks[i].skips, self._skip_prop[i]):
            x = outs[source].reshape(tc * B, -1)
            cur = sb.linear(x, with_bias=False) if sp is None else sb.sum_pool(x) @ sp[0]
            total = cur if total is None else total + cur
        return total.reshape(tc, B, -1)

    def _mode(self, i, rate, propagation, lif):
        """``"conv_event"``, ``"event"`` or ``"dense"`` for block ``i`` with input firing rate
        ``rate`` (module docstring, :data:`_CONV_EVENT_RATE`, :data:`_EVENT_COST`); a dense block
        with a residual shortcut takes the dense route (its current has two sources)."""
        self._propagation()
        b = self.blocks[i]
        if lif or propagation == "dense":
            return "dense"
        if self._conv_wt[i] is not None:  # a convolution on the im2col route
            L = b.layer
            if L.kernel_size == (1, 1) and L.padding == (0, 0) and propagation != "event":
                return "dense"  # pointwise: Block.linear's one product per sample beats the events
            n_o = L.weight.shape[0]
            limit = _CONV_EVENT_RATE / np.sqrt(-(-n_o // 16) * L.stride[0] * L.stride[1])
            limit *= n_o / self._span_width[i]  # the event kernel adds only a tap's nonzero channels
            return "conv_event" if propagation == "event" or rate < limit else "dense"
        if self._prop[i] is None or b.skips:
            return "dense"
        if propagation == "event":
            return "event"
        n_rows = int(np.prod(b.in_shape))
        return "event" if rate * b.n_in * _EVENT_COST < n_rows else "dense"

    def _run_ttfs(self, X, T, stats):
        B = X.shape[0]
        blocks = self.blocks
        Tc = self._chunk(T, B)
        never = np.int64(np.iinfo(np.int64).max // 2)
        current = [np.zeros((B, b.n_out), np.float32) for b in blocks]
        v = [np.zeros((B, b.n_out), np.float32) for b in blocks]
        fired = [np.zeros((B, b.n_out), np.uint8) for b in blocks]
        onset = [np.full(B, never, np.int64) for b in blocks]
        onset[0][:] = 0  # the analog input switches on at step 0
        spikes = [np.empty((Tc, B, b.n_out), np.float32) for b in blocks]
        biases = [b.bias_per_neuron() for b in blocks]
        x0 = X.reshape(B, -1)
        for p in self.pre:
            x0 = p.forward(x0.reshape((B,) + self.input_shape)).reshape(B, -1)
        first = np.zeros((Tc, B, blocks[0].n_out), np.float32)
        first[0] = blocks[0].linear(np.ascontiguousarray(x0, np.float32), with_bias=False)
        stats["macs"][0] += B * blocks[0].macs()
        last = len(blocks) - 1
        for t0 in range(0, T, Tc):
            tc = min(Tc, T - t0)
            for i, b in enumerate(blocks):
                if i == 0:
                    inc = first[:tc]
                else:
                    stats["in_spikes"][i] += x.sum((0, 1))
                    seen = x.reshape(tc, B, -1).any(2)
                    start = np.where(seen.any(0), t0 + seen.argmax(0), never)
                    np.minimum(onset[i], start, out=onset[i])
                    inc = b.linear(x.reshape(tc * B, -1), with_bias=False).reshape(tc, B, -1)
                sp = spikes[i][:tc]
                # the output layer integrates without firing (threshold inf): class = argmax of v
                _k.ttfs_neuron_run(np.ascontiguousarray(inc, np.float32), biases[i], onset[i], t0, self.dt,
                                   np.inf if i == last else 1.0, current[i], v[i], fired[i], sp)
                stats["neuron_updates"][i] += tc * B * b.n_out
                if i < last:
                    stats["out_spikes"][i] += sp.sum((0, 1))
                x = sp
            if t0 == 0:
                first[0] = 0.0
        for i in range(1, len(blocks)):
            stats["synaptic_adds"][i] = float(stats["in_spikes"][i] @ self._fan_out[i])
        return v[last] / np.float32(self.dt * T)

    def _run_tsc(self, X, N, stats):
        from spikecore.encoding import tsc as tsc_encode
        B = X.shape[0]
        blocks = self.blocks
        raw = tsc_encode(X.reshape(B, -1), N, x_max=self.x_max).astype(np.float32)  # (N, B, n_in)
        d = np.empty((B, raw.shape[2]), np.float32)
        _k.tsc_on_duration(raw, d)
        window = np.empty((N, B, 1), np.float32)
        for i, b in enumerate(blocks):
            active = (d > 0).sum(0).astype(np.float64)
            stats["in_spikes"][i] += 2.0 * active
            stats["synaptic_adds"][i] += 2.0 * float(active @ self._fan_out[i])
            stats["neuron_updates"][i] += N * B * b.n_out
            v = b.linear(d, with_bias=False) + np.float32(N - 1) * b.bias_per_neuron()
            if i == len(blocks) - 1:
                return v
            if window.shape[2] != b.n_out:
                window = np.empty((N, B, b.n_out), np.float32)
            _k.tsc_fire(np.ascontiguousarray(v, np.float32), 1.0, window)
            stats["out_spikes"][i] += window.sum((0, 1))
            d = np.empty((B, b.n_out), np.float32)
            _k.tsc_on_duration(window, d)
            if b.maxpool is not None:
                d = np.ascontiguousarray(b.pool(d), np.float32)

    # ------------------------------------------------------------------ reports
    def latency(self, timesteps):
        """Steps from input onset to the decision: :math:`T`, or :math:`N \\times` (number of
        synaptic layers) for TSC (one window per layer)."""
        return timesteps * len(self.blocks) if self.neuron == "tsc" else timesteps

    def operations(self):
        """Per-inference operation counts of the last run (module docstring), as a dict.

        Keys: ``synaptic_adds`` (AC), ``macs``, ``neuron_updates``, ``memory_accesses``,
        ``energy_pj`` (with :data:`E_ADD_PJ`, :data:`E_MAC_PJ`), ``spikes_per_layer`` (list, input
        first), and the same for the ANN (``ann_macs``, ``ann_energy_pj``, ``ann_memory_accesses``;
        the MACs are those of the converted ANN's own layers, :meth:`~.ann.Sequential.macs`, so a
        residual sum counts as additions and a linear bottleneck as the two layers it was).
        """
        s = self.last_stats
        if s is None:
            V.fail("model", "<not run yet>", "a call of predict/score/run before operations()")
        n = max(s["n"], 1)
        ac = float(s["synaptic_adds"].sum()) / n
        mac = float(s["macs"].sum()) / n
        upd = float(s["neuron_updates"].sum()) / n
        if self.ann is not None:  # the ANN as it was given (a folded bottleneck has its own count)
            ann_mac = float(sum(m for _, m, _ in self.ann.macs()))
        else:
            ann_mac = float(sum(b.macs() + sum(sb.macs() for sb, _ in b.skips) for b in self.blocks))
        ann_neurons = float(sum(b.n_out for b in self.blocks))
        spikes = [float(s["in_spikes"][0].sum()) / n] + [float(o.sum()) / n for o in s["out_spikes"]]
        if self.input_coding == "analog":
            spikes[0] = 0.0
        return dict(
            timesteps=s["T"], latency=self.latency(s["T"]),
            synaptic_adds=ac, synaptic_adds_per_layer=[float(a) / n for a in s["synaptic_adds"]],
            macs=mac, neuron_updates=upd,
            memory_accesses=ac + mac + 2 * upd,
            energy_pj=E_ADD_PJ * (ac + upd) + E_MAC_PJ * mac,
            spikes_per_layer=spikes,
            ann_macs=ann_mac, ann_memory_accesses=ann_mac + 2 * ann_neurons,
            ann_energy_pj=E_MAC_PJ * ann_mac,
        )

    def report(self, X, y, timesteps=(16, 32, 64, 128, 256), *, batch_size=256, random_state=None,
               progress=False):
        """Accuracy and operations versus time steps, as a :class:`ConversionReport`.

        Parameters
        ----------
        X, y : arrays
            Test data.
        timesteps : sequence of int
            The :math:`T` (or TSC windows :math:`N`) to evaluate.
        progress : bool
            Show a tqdm progress bar.
        """
        ts = [V.integer("timesteps", t, low=1)
              for t in V.sequence("timesteps", timesteps, "a sequence of numbers of steps, e.g. (16, 32, 64)")]
        if not ts:
            V.fail("timesteps", timesteps, "at least one number of steps")
        y = V.array("y", y, ndim=1, kinds="iu")
        progress = V.flag("progress", progress)
        it = ts
        if progress:
            from tqdm import tqdm
            it = tqdm(ts, desc="convert: T")
        rows = []
        for T in it:
            acc = self.score(X, y, T, batch_size=batch_size, random_state=random_state)
            rows.append(dict(accuracy=acc, **self.operations()))
        ann_acc = self.ann.score(X, y) if self.ann is not None else None
        return ConversionReport(self.method, rows, ann_acc)

    def to_graph(self, timesteps=None, *, output="integrator", dt=1e-3):
        """The network as a :class:`spikecore.interop.graph.GraphNetwork` for the NIR and Lava
        exporters (see :func:`spikecore.conversion.export.to_graph`)."""
        from .export import to_graph
        return to_graph(self, timesteps, output=output, dt=dt)

    def __repr__(self):
        return "SpikingModel(method=%r, %d blocks, neuron=%r, reset=%r, input=%r)" % (
            self.method, len(self.blocks), self.neuron, self.reset, self.input_coding)


class ConversionReport:
    """Accuracy / latency / operations table of a converted network (:meth:`SpikingModel.report`).

    Attributes
    ----------
    method : str
    rows : list of dict
        One per time-step setting: ``accuracy`` and the keys of :meth:`SpikingModel.operations`.
    ann_accuracy : float or None
    """

    def __init__(self, method, rows, ann_accuracy):
        self.method, self.rows, self.ann_accuracy = method, rows, ann_accuracy

    def table(self):
        """The report as a Markdown table (string)."""
        head = ("| T | latency (steps) | accuracy | Δ vs ANN | AC / inference | MAC / inference | "
                "neuron updates | memory accesses | energy (nJ) | spikes per layer |\n"
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
        lines = []
        for r in self.rows:
            delta = "" if self.ann_accuracy is None else "%+.2f" % (100 * (r["accuracy"] - self.ann_accuracy))
            lines.append("| %d | %d | %.2f %% | %s | %.3g | %.3g | %.3g | %.3g | %.3g | %s |" % (
                r["timesteps"], r["latency"], 100 * r["accuracy"], delta, r["synaptic_adds"], r["macs"],
                r["neuron_updates"], r["memory_accesses"], r["energy_pj"] / 1e3,
                " / ".join("%.0f" % s for s in r["spikes_per_layer"])))
        r0 = self.rows[0]
        foot = ("\nANN: accuracy %s, %.3g MAC, %.3g memory accesses, %.3g nJ per inference. Energy: "
                "%.1f pJ per add, %.1f pJ per MAC (Horowitz 2014, 45 nm, 32-bit float); memory energy "
                "not included.\n" % ("n/a" if self.ann_accuracy is None else "%.2f %%" % (100 * self.ann_accuracy),
                                     r0["ann_macs"], r0["ann_memory_accesses"], r0["ann_energy_pj"] / 1e3,
                                     E_ADD_PJ, E_MAC_PJ))
        return "method %r\n\n" % self.method + head + "\n".join(lines) + foot

    def __str__(self):
        return self.table()

    def plot(self, ax=None):
        """Accuracy versus time steps (needs matplotlib: ``pip install spikecore[plot]``)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("ConversionReport.plot needs matplotlib: pip install spikecore[plot]") from exc
        if ax is None:
            ax = plt.figure().add_subplot()
        ax.plot([r["timesteps"] for r in self.rows], [100 * r["accuracy"] for r in self.rows], "o-",
                label="SNN (%s)" % self.method)
        if self.ann_accuracy is not None:
            ax.axhline(100 * self.ann_accuracy, ls="--", color="k", label="ANN")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("time steps")
        ax.set_ylabel("accuracy (%)")
        ax.legend()
        return ax
