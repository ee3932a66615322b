"""Loihi's CUBA neuron as a neuron model: fixed point (bit-exact with Lava) or its float variant.

The equations are those of :mod:`spikecore.kernels.loihi` (Davies et al., 2018; Lava's
``PyLifModelBitAcc``): a 24-bit wrapping current :math:`u`, a 24-bit saturating voltage
:math:`v`, 12-bit decays, a bias :math:`m \\cdot 2^{e}`, and a strict threshold
:math:`v > \\theta \\cdot 2^6` with reset to 0.
"""
import numpy as np

from .. import _validate as V
from ..kernels import loihi as _k
from .base import NeuronModel


def effective_bias(bias_mant, bias_exp):
    """Loihi's bias from mantissa and exponent, as Lava's ``scale_bias`` computes it.

    .. math::
        b = m \\cdot 2^{e} \\;(e \\ge 0), \\qquad b = \\lfloor m / 2^{-e} \\rfloor \\;(e < 0)

    (Davies et al., 2018). ``m`` is the signed 13-bit mantissa, ``e`` the exponent.

    Parameters
    ----------
    bias_mant : int or int array
        Mantissa :math:`m`.
    bias_exp : int or int array
        Exponent :math:`e`.

    Returns
    -------
    int32 array
        :math:`b`.
    """
    m = np.asarray(bias_mant).astype(np.int64)
    e = np.asarray(bias_exp).astype(np.int64)
    return np.where(e >= 0, m << np.maximum(e, 0), m >> np.maximum(-e, 0)).astype(np.int32)


class LoihiCUBA(NeuronModel):
    """Loihi CUBA leaky integrate-and-fire neurons (Davies et al., 2018), fixed point or float.

    .. math::
        u[t] = \\mathrm{wrap}_{24}(\\mathrm{rtz}(u[t-1](4096-\\delta_u)/2^{12}) + 2^6 a[t]),\\quad
        v[t] = \\mathrm{clip}_{24}(\\mathrm{rtz}(v[t-1](4096-\\delta_v)/2^{12}) + u[t] + b),\\quad
        z[t] = [v[t] > 2^6 \\theta]

    Parameters
    ----------
    i_decay : int
        :math:`\\delta_u` in 0..4096 (netx ``iDecay``; Lava's ``du`` is ``i_decay - 1``).
    v_decay : int
        :math:`\\delta_v` in 0..4096 (netx ``vDecay``; Lava's ``dv``).
    vth_mant : int
        Threshold mantissa :math:`\\theta` in 0..2**17-1 (netx ``vThMant``).
    bias_mant : int or int array, optional
        Bias mantissa :math:`m` per neuron (signed 13 bit).
    bias_exp : int, optional
        Bias exponent :math:`e`; :math:`b = m 2^{e}`. netx uses 6.
    fixed_point : bool
        True: Lava's bit-accurate model. False: its float variant with
        :math:`d_u = \\delta_u/4096`, :math:`d_v = \\delta_v/4096`, threshold :math:`2^6\\theta` and
        bias :math:`b` in the same units (Lava's ``PyLifModelFloat`` equations).
    dtype : numpy float dtype
        Type of the synaptic sums the network engine hands the neurons: float64 (default) holds
        every integer sum exactly up to :math:`2^{53}`; float32 only below :math:`2^{24}`. The
        state itself is always int32.

    Notes
    -----
    As an engine neuron model (:mod:`spikecore.neurons.base`) the state is ``("u", "v")``, int32,
    the synaptic input of a step is the integer weight sum (passed as float, rounded), ``dt`` is
    ignored (Loihi's decays are per step) and :meth:`run_lava` offers Lava's extras (recurrent
    weights, periodic reset, recording ``u``). In a :class:`spikecore.network.Network` the
    population runs on the engine's general per-step path.
    """

    state_names = ("u", "v")
    voltage_name = "v"
    kernel_step = staticmethod(_k.loihi_cuba_step)
    kernel_run = staticmethod(_k.loihi_cuba_neuron_run)

    def __init__(self, i_decay, v_decay, vth_mant, bias_mant=0, bias_exp=0, fixed_point=True,
                 dtype=np.float64):
        super().__init__(dtype)
        self.i_decay = V.integer("i_decay", i_decay, low=0, high=4096)
        self.v_decay = V.integer("v_decay", v_decay, low=0, high=4096)
        self.vth_mant = V.integer("vth_mant", vth_mant, low=0, high=2**17 - 1)
        mant = V.array("bias_mant", bias_mant, ndim=(0, 1), kinds="biuf")
        if mant.size == 0:
            V.fail("bias_mant", bias_mant, "one mantissa, or one per neuron")
        if mant.size and (mant.min() < -4096 or mant.max() > 4095):
            V.fail("bias_mant", bias_mant, "signed 13-bit mantissas in -4096..4095")
        V.whole("bias_mant", mant)
        self.bias_mant = np.ascontiguousarray(mant, dtype=np.int64)
        self.bias_exp = V.integer("bias_exp", bias_exp, low=-8, high=7)
        self.fixed_point = V.flag("fixed_point", fixed_point)

    def check_population(self, n, where=""):
        """``bias_mant`` holds one mantissa or exactly ``n`` (one per neuron)."""
        if self.bias_mant.size not in (1, n):
            V.fail("bias_mant", "<%d mantissas>" % self.bias_mant.size,
                   "one mantissa, or n = %d (one per neuron)%s" % (n, where))

    def bias(self, n):
        """Effective bias :math:`b = m 2^{e}` broadcast to ``n`` neurons (int32 array)."""
        n = V.integer("n", n, low=1)
        self.check_population(n)
        return np.ascontiguousarray(np.broadcast_to(effective_bias(self.bias_mant, self.bias_exp), (n,)))

    def state_dtype(self, name):
        """int32: Loihi's 24-bit states."""
        return np.dtype(np.int32)

    def _initial_values(self):
        return {"u": 0, "v": 0}

    def step_params(self, dt):
        """Kernel parameters ``(i_decay, v_decay, bias, vth)``; ``dt`` is not used (per-step decays)."""
        V.positive("dt", dt, unit="s")  # unused, but a wrong value is still an error
        if not self.fixed_point:
            V.fail("fixed_point", False, "True for the engine interface (the float variant runs via run_lava)")
        return (self.i_decay, self.v_decay, effective_bias(np.atleast_1d(self.bias_mant), self.bias_exp),
                self.vth_mant)

    def run_lava(self, a_in, state=None, *, bias=None, record=False, w_rec=None, rec_exp=0,
                 reset_interval=0, reset_offset=0, t_start=1):
        """Run the neurons on synaptic input ``a_in`` of shape ``(T, batch, n)``.

        Parameters
        ----------
        a_in : int array (T, batch, n)
            Integer synaptic input :math:`a[t]` (float in the float variant).
        state : tuple (u, v), optional
            State arrays ``(batch, n)``, updated in place; zeros when omitted.
        bias : int array (n,), optional
            Effective bias overriding the model's (e.g. an input layer's encoded image).
        record : bool
            Also return the per-step ``u`` and ``v``.
        w_rec, rec_exp : int array (n, n), int
            Recurrent weights and exponent (fixed point only).
        reset_interval, reset_offset, t_start : int
            Periodic reset of Lava's ``LIFReset``: zero state before Lava step
            ``t_start + t`` when it is ``reset_offset`` modulo ``reset_interval`` (0: never).

        Returns
        -------
        spikes : uint8 array (T, batch, n)
        (u_rec, v_rec) : arrays (T, batch, n), only when ``record``.
        """
        a_in, (u, v), b, w = self._check_lava(a_in, state, bias, w_rec)
        record = V.flag("record", record)
        rec_exp = V.integer("rec_exp", rec_exp, low=-31, high=31)
        reset_interval = V.integer("reset_interval", reset_interval, low=0)
        reset_offset = V.integer("reset_offset", reset_offset, low=0)
        t_start = V.integer("t_start", t_start)
        T, batch, n = a_in.shape
        spikes = np.zeros((T, batch, n), np.uint8)
        if self.fixed_point:
            shape = (T, batch, n) if record else (0, 0, 0)
            ur, vr = np.zeros(shape, np.int32), np.zeros(shape, np.int32)
            w = np.zeros((0, 0), np.int32) if w is None else w
            s_prev = np.zeros((batch, n), np.uint8)
            _k.loihi_cuba_run(a_in, u, v, self.i_decay, self.v_decay, b, self.vth_mant, w, rec_exp, s_prev,
                              reset_interval, reset_offset, t_start, spikes, ur, vr)
        else:
            if w_rec is not None or reset_interval:
                V.fail("fixed_point", False, "True when recurrent weights or resets are used")
            shape = (T, batch, n) if record else (0, 0, 0)
            ur, vr = np.zeros(shape), np.zeros(shape)
            _k.lif_float_run(a_in * 64.0, u, v, self.i_decay / 4096.0, self.v_decay / 4096.0, b,
                             float(self.vth_mant) * 64.0, spikes, ur, vr)
        return (spikes, (ur, vr)) if record else spikes

    def _check_lava(self, a_in, state, bias, w_rec):
        """Arguments of :meth:`run_lava` checked and converted for the kernels (int32 in fixed point,
        float64 in the float variant): ``a_in, (u, v), bias, w_rec``."""
        int32 = (-2**31, 2**31 - 1)
        a_in = V.array("a_in", a_in, ndim=3, finite=True, kinds="biuf")
        T, batch, n = a_in.shape
        if batch < 1 or n < 1:
            V.fail("a_in", "<array of shape %s>" % (a_in.shape,), "a (T, batch, n) input with batch, n >= 1")
        dtype = np.int32 if self.fixed_point else np.float64
        if self.fixed_point and not np.can_cast(a_in.dtype, np.int32):  # int8/16/32 need no pass over a_in
            V.whole("a_in", a_in, *int32)
        a_in = np.ascontiguousarray(a_in, dtype)
        if state is None:
            u, v = np.zeros((batch, n), dtype), np.zeros((batch, n), dtype)
        else:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                V.fail("state", state, "a (u, v) pair of arrays of shape (batch, n)", TypeError)
            for k, arr in enumerate(state):
                if not isinstance(arr, np.ndarray) or arr.shape != (batch, n) or arr.dtype != dtype \
                        or not arr.flags.c_contiguous or not arr.flags.writeable:
                    V.fail("state[%d]" % k, "<%s %s>" % (getattr(arr, "dtype", type(arr).__name__),
                                                         getattr(arr, "shape", "")),
                           "a writeable C-contiguous %s array of shape (batch, n) = %s (updated in place)"
                           % (np.dtype(dtype), (batch, n)), TypeError)
            u, v = state
        if bias is None:
            b = self.bias(n)
        else:
            b = V.array("bias", bias, ndim=(0, 1), finite=True, kinds="biuf")
            if b.size not in (1, n):
                V.fail("bias", "<array of shape %s>" % (b.shape,), "one effective bias or n = %d (one per neuron)" % n)
            if self.fixed_point:
                V.whole("bias", b, *int32)
        b = np.ascontiguousarray(np.broadcast_to(np.reshape(b, -1), (n,)), dtype)
        w = None
        if w_rec is not None:
            w = V.array("w_rec", w_rec, shape=(n, n), finite=True, kinds="biuf")
            if self.fixed_point:
                V.whole("w_rec", w, *int32)
            w = np.ascontiguousarray(w, dtype)
        return a_in, (u, v), b, w


class LoihiCUBAInput(LoihiCUBA):
    """Loihi CUBA neurons driven through their bias: the input layer of a lava-dl netx network.

    netx encodes a sample as the bias mantissas of its input layer (Davies et al., 2018; lava-dl
    ``netx.blocks.Input``). This model reads the step's input (in the engine: an external current
    ``(T, batch, n)`` or a constant ``(n,)``) as those mantissas :math:`m`:

    .. math::
        u[t] = \\mathrm{wrap}_{24}(\\mathrm{rtz}(u[t-1](4096-\\delta_u)/2^{12})),\\quad
        v[t] = \\mathrm{clip}_{24}(\\mathrm{rtz}(v[t-1](4096-\\delta_v)/2^{12}) + u[t] + \\beta
        + m[t]\\, 2^{e}),\\quad z[t] = [v[t] > 2^6 \\theta]

    with :math:`\\beta = m_0 2^{e}` the neurons' own bias (``bias_mant``) and :math:`e` =
    ``bias_exp`` (netx: 6). Synaptic input is not used: connect nothing to such a population.
    Parameters as :class:`LoihiCUBA` (fixed point only).
    """

    kernel_step = staticmethod(_k.loihi_cuba_bias_step)
    kernel_run = staticmethod(_k.loihi_cuba_bias_neuron_run)

    def __init__(self, i_decay, v_decay, vth_mant, bias_mant=0, bias_exp=6, dtype=np.float64):
        super().__init__(i_decay, v_decay, vth_mant, bias_mant=bias_mant, bias_exp=bias_exp,
                         fixed_point=True, dtype=dtype)

    def step_params(self, dt):
        """Kernel parameters ``(i_decay, v_decay, bias, bias_exp, vth)``; ``dt`` is not used."""
        V.positive("dt", dt, unit="s")
        return (self.i_decay, self.v_decay, effective_bias(np.atleast_1d(self.bias_mant), self.bias_exp),
                self.bias_exp, self.vth_mant)
