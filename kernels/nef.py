r"""Neural Engineering Framework kernels (Numba): NEF neuron steps, PES, and the whole-model loop.

The computations follow Nengo's reference simulator (Bekolay et al. 2014) so that a model
built by :mod:`spikecore.nef` computes what Nengo computes:

* LIF spiking step with sub-step refractory handling and spike-time interpolation
  (:func:`nef_lif_step`); LIF rate curve (:func:`nef_lif_rate_step`); the spiking rectified
  linear "IF" neuron (:func:`nef_if_step`) and its rate twin (:func:`nef_relu_step`).
  These differ from :mod:`spikecore.kernels.neurons` on purpose: refractoriness is continuous
  time (``refractory_time`` in seconds, with the remainder of a step integrated), voltage is
  normalised to threshold 1 and output spikes have amplitude :math:`1/dt` — the NEF
  conventions of Eliasmith & Anderson (2003) as implemented by Nengo.
* Prescribed Error Sensitivity (PES, MacNeil & Eliasmith 2011): :func:`pes_delta` and
  :func:`pes_local_error`.
* :func:`nef_run`: a compiled time loop over a whole NEF model described by flat tables
  (built by :mod:`spikecore.nef.simulator`), so Python is never on the per-step path.

The LIF steps evaluate expm1 and log1p of small arguments with fdlibm's polynomials (Sun
Microsystems 1993) inlined, in the GNU C library's evaluation order (see ``_expm1_small``):
the same bits as glibc's functions on CPUs with FMA, within 1 ulp of the C library elsewhere.

Twins of every public function are in :mod:`spikecore.reference.nef`.
"""
import math

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._prefetch import _prefetch_line as _prefetch

# neuron kinds (column ``E_KIND`` of ``ens_int``)
KIND_LIF = 0
KIND_LIF_RATE = 1
KIND_IF = 2
KIND_RELU = 3

# columns of ens_int
E_N, E_NEURON_OFF, E_X_OFF, E_DIMS, E_ENC_OFF, E_KIND, E_JEXTRA_OFF, E_OUT_OFF = range(8)
N_ENS_COLS = 8
# columns of ens_float
EF_TAU_RC, EF_TAU_REF, EF_MIN_V, EF_AMP = range(4)

# columns of conn_int
(C_SRC_OFF, C_SRC_LEN, C_DST_OFF, C_DST_LEN, C_W_OFF, C_IMMEDIATE, C_STATE_OFF, C_GAIN_OFF, C_PHASE,
 C_SRC_ENS) = range(10)
N_CONN_COLS = 10
# phases of immediate connections (C_PHASE): 0 = before the ensembles (source is an input),
# 1 = after the ensembles (source is neurons or a pass-through node); filtered connections: -1
# C_SRC_ENS: index of the ensemble whose whole neuron output is the source (-1 otherwise); such
# connections visit only the neurons that fired (the ensemble's list of nonzero outputs)

# columns of pes_int
P_CONN, P_PRE_OFF, P_N_PRE, P_ACTS_OFF, P_ERR_OFF, P_ERR_DIMS, P_ENC_OFF, P_LOCAL_OFF = range(8)
N_PES_COLS = 8
# columns of pes_float
PF_RATE, PF_PRE_DECAY = range(2)

# columns of probe_int
R_KIND, R_OFF, R_ROWS, R_COLS, R_PERIOD, R_REC_OFF, R_SRC_OFF = range(7)
N_PROBE_COLS = 7
PROBE_SIGNAL = 0
PROBE_WEIGHTS = 1
PROBE_FILTERED = 2


# ---------------------------------------------------------------------------------------------
# expm1 and log1p for the LIF step, inlinable
# ---------------------------------------------------------------------------------------------
#
# The LIF step needs expm1 (partial decay of a neuron leaving its refractory period) and log1p
# (spike time) for a few hundred neurons per step; a call into the C library for each costs
# ~10 ns and cannot be vectorised or overlapped. Their arguments are small (|x| < dt/tau_RC),
# where both functions are one short polynomial: the algorithms of Sun's fdlibm (s_expm1.c,
# s_log1p.c, Sun Microsystems 1993, error < 1 ulp), in the evaluation order of the GNU C
# library (glibc 2.36, which compiles them with fused multiply-adds on CPUs with FMA). Inlined
# here they give the same bits as glibc's expm1/log1p on such CPUs (checked on millions of
# arguments in tests/test_nef_kernels.py); outside the small-argument range, and for
# non-finite arguments, the library function is called.

_Q1, _Q2, _Q3 = -3.33333333333331316428e-02, 1.58730158725481460165e-03, -7.93650757867487942473e-05
_Q4, _Q5 = 4.00821782732936239552e-06, -2.01099218183624371326e-07
_LP1, _LP2, _LP3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LP4, _LP5, _LP6, _LP7 = 2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01


@intrinsic
def _fma(typingctx, a, b, c):
    # a * b + c rounded once (LLVM's llvm.fma: one instruction on CPUs with FMA)
    def codegen(context, builder, signature, args):
        f64 = ir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f64, [f64, f64, f64]), "llvm.fma.f64")
        return builder.call(fn, args)
    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(cache=True, inline="always")
def _expm1_small(x):
    # e^x - 1 for 2**-54 <= |x| <= ln(2)/2 (fdlibm's primary range, k = 0)
    hfx = 0.5 * x
    hxs = x * hfx
    R1 = _fma(hxs, _Q1, 1.0)
    h2 = hxs * hxs
    R2 = _fma(hxs, _Q3, _Q2)
    h4 = h2 * h2
    R3 = _fma(hxs, _Q5, _Q4)
    r1 = _fma(h4, R3, _fma(h2, R2, R1))
    t = _fma(-r1, hfx, 3.0)
    e = hxs * ((r1 - t) / _fma(-x, t, 6.0))
    return x - _fma(x, e, -hxs)


@njit(cache=True, inline="always")
def _log1p_small(f):
    # ln(1 + f) for 2**-29 <= |f|, -0.2928 < f < 0.4142 (fdlibm's range with k = 0)
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    R2 = _fma(z, _LP3, _LP2)
    R3 = _fma(z, _LP5, _LP4)
    R4 = _fma(z, _LP7, _LP6)
    z2 = z * z
    z4 = z2 * z2
    z6 = z2 * z4
    R = _fma(z6, R4, _fma(z4, R3, _fma(z, _LP1, z2 * R2)))
    return f - (hfsq - s * (hfsq + R))


@njit(cache=True, inline="always")
def _expm1_in_range(x):
    # _expm1_small is valid at x (False for NaN)
    a = abs(x)
    return a > 1e-15 and a < 0.34


@njit(cache=True, inline="always")
def _log1p_in_range(x):
    # _log1p_small is valid at x (False for NaN)
    return abs(x) > 1e-8 and x > -0.29 and x < 0.41


@njit(cache=True, inline="always")
def _expm1(x):
    # e^x - 1: the inlined polynomial for small |x|, the C library otherwise
    if _expm1_in_range(x):
        return _expm1_small(x)
    return math.expm1(x)


@njit(cache=True, inline="always")
def _log1p(x):
    # ln(1 + x): the inlined polynomial for small |x|, the C library otherwise
    if _log1p_in_range(x):
        return _log1p_small(x)
    return math.log1p(x)


# ---------------------------------------------------------------------------------------------
# neuron steps (one population, 1-D, used by the model loop) and their batched public forms
# ---------------------------------------------------------------------------------------------

@njit(cache=True)
def _lif_step_1d(voltage, refractory_time, J, dt, tau_rc, tau_ref, min_voltage, amplitude,
                 output, full_decay):
    # Nengo's LIF step for one population; ``full_decay`` = expm1(-dt / tau_rc) (the value
    # every neuron that is not leaving its refractory period uses).
    n = voltage.shape[0]
    for j in range(n):
        r = refractory_time[j] - dt
        delta_t = dt - r
        if delta_t >= dt:
            decay = full_decay
        elif delta_t <= 0.0:
            decay = 0.0  # expm1(-0 / tau_rc) == 0: voltage held
        else:
            decay = _expm1(-delta_t / tau_rc)
        v = voltage[j] - (J[j] - voltage[j]) * decay
        if v > 1.0:
            output[j] = amplitude / dt
            t_spike = dt + tau_rc * _log1p(-(v - 1.0) / (J[j] - 1.0))
            voltage[j] = 0.0
            refractory_time[j] = tau_ref + t_spike
        else:
            output[j] = 0.0
            if v < min_voltage:
                v = min_voltage
            voltage[j] = v
            refractory_time[j] = r


@njit(cache=True)
def _lif_rate_1d(J, tau_rc, tau_ref, amplitude, output):
    n = J.shape[0]
    for j in range(n):
        x = J[j] - 1.0
        if x > 0.0:
            output[j] = amplitude / (tau_ref + tau_rc * _log1p(1.0 / x))
        else:
            output[j] = 0.0


@njit(cache=True)
def _if_step_1d(voltage, J, dt, amplitude, output):
    n = voltage.shape[0]
    for j in range(n):
        v = voltage[j] + max(J[j], 0.0) * dt
        k = math.floor(v)
        output[j] = (amplitude / dt) * k
        voltage[j] = v - k


@njit(cache=True)
def _relu_1d(J, amplitude, output):
    n = J.shape[0]
    for j in range(n):
        output[j] = amplitude * max(0.0, J[j])


@njit(cache=True)
def nef_lif_step(voltage, refractory_time, J, dt, tau_rc, tau_ref, min_voltage, amplitude, output):
    r"""One step of NEF leaky integrate-and-fire neurons with sub-step refractoriness, in place.

    For each neuron (Eliasmith & Anderson 2003, ch. 4; the discretisation of Nengo,
    Bekolay et al. 2014), with input current :math:`J` held over the step:

    .. math::
        r &\leftarrow r - dt, \qquad \Delta t = \mathrm{clip}(dt - r,\ 0,\ dt),\\
        v &\leftarrow v - (J - v)\,\big(e^{-\Delta t/\tau_{RC}} - 1\big),\\
        \text{if } v > 1:&\quad a = A/dt,\ \ t_s = dt + \tau_{RC}\ln\!\Big(1 - \frac{v-1}{J-1}\Big),
        \ \ v \leftarrow 0,\ \ r \leftarrow \tau_{ref} + t_s,\\
        \text{else}:&\quad a = 0,\ \ v \leftarrow \max(v, v_{min}).

    The refractory time :math:`r` is continuous: a neuron whose refractory period ends inside
    the step integrates only the remaining :math:`\Delta t`, and the spike time :math:`t_s`
    inside the step (linear interpolation of the exact threshold crossing) shortens the next
    refractory period.

    Parameters
    ----------
    voltage : float64 array (batch, n)
        Membrane voltage :math:`v`, normalised so the threshold is 1; updated in place.
    refractory_time : float64 array (batch, n)
        Remaining refractory time :math:`r` (s); updated in place.
    J : float64 array (batch, n)
        Input current :math:`J` (dimensionless; 1 is the threshold current).
    dt : float
        Time step (s).
    tau_rc, tau_ref : float
        Membrane time constant :math:`\tau_{RC}` and absolute refractory period
        :math:`\tau_{ref}` (s).
    min_voltage : float
        Lower bound :math:`v_{min}` of the voltage (0 in Nengo's default).
    amplitude : float
        Spike amplitude :math:`A` (the output is :math:`A/dt` on a spike).
    output : float64 array (batch, n)
        Receives :math:`a`.
    """
    full = math.expm1(-dt / tau_rc)
    for b in range(voltage.shape[0]):
        _lif_step_1d(voltage[b], refractory_time[b], J[b], dt, tau_rc, tau_ref, min_voltage,
                     amplitude, output[b], full)


@njit(cache=True)
def nef_lif_rate_step(J, tau_rc, tau_ref, amplitude, output):
    r"""LIF rate tuning curve :math:`a = A / (\tau_{ref} - \tau_{RC}\ln(1 - 1/J))` for :math:`J > 1`, else 0.

    The steady-state firing rate of a leaky integrate-and-fire neuron under constant current
    :math:`J` (Lapicque 1907; Eliasmith & Anderson 2003, eq. 4.10), computed as
    :math:`A/(\tau_{ref} + \tau_{RC}\,\mathrm{log1p}(1/(J-1)))`, the same number written without
    cancellation.

    Parameters
    ----------
    J : float64 array (batch, n)
        Input current (1 is the threshold current).
    tau_rc, tau_ref : float
        Membrane time constant and refractory period (s).
    amplitude : float
        Output scale :math:`A`.
    output : float64 array (batch, n)
        Receives the rates (Hz).
    """
    for b in range(J.shape[0]):
        _lif_rate_1d(J[b], tau_rc, tau_ref, amplitude, output[b])


@njit(cache=True)
def nef_if_step(voltage, J, dt, amplitude, output):
    r"""One step of spiking rectified-linear (non-leaky integrate-and-fire) neurons, in place.

    .. math::
        v \leftarrow v + \max(J, 0)\,dt,\qquad k = \lfloor v \rfloor,\qquad
        a = k\,A/dt,\qquad v \leftarrow v - k

    (the perfect integrator of Lapicque 1907 with threshold 1 and subtractive reset; its rate
    is :math:`\max(J, 0)`, Nengo's ``SpikingRectifiedLinear``).

    Parameters
    ----------
    voltage : float64 array (batch, n)
        Integrator state :math:`v`; updated in place.
    J : float64 array (batch, n)
        Input current.
    dt : float
        Time step (s).
    amplitude : float
        Spike amplitude :math:`A`.
    output : float64 array (batch, n)
        Receives :math:`a`.
    """
    for b in range(voltage.shape[0]):
        _if_step_1d(voltage[b], J[b], dt, amplitude, output[b])


@njit(cache=True)
def nef_relu_step(J, amplitude, output):
    r"""Rectified-linear rate :math:`a = A\max(0, J)` (rate twin of :func:`nef_if_step`).

    Parameters
    ----------
    J : float64 array (batch, n)
        Input current.
    amplitude : float
        Output scale :math:`A`.
    output : float64 array (batch, n)
        Receives the rates.
    """
    for b in range(J.shape[0]):
        _relu_1d(J[b], amplitude, output[b])


# ---------------------------------------------------------------------------------------------
# PES
# ---------------------------------------------------------------------------------------------

@njit(cache=True)
def pes_delta(pre_filtered, error, learning_rate, dt, delta):
    r"""PES weight change :math:`\Delta\omega_{ji} = -\frac{\kappa\,dt}{n}\,E_j\,a_i`.

    Prescribed Error Sensitivity (MacNeil & Eliasmith 2011), in Nengo's form (Bekolay et al.
    2014): with the error convention :math:`E = \hat{x} - x` (actual minus target), the
    decoders (or, with a per-neuron error :math:`E_j = \alpha_j\,e_j\cdot E`, the weights)
    move against the error in proportion to the filtered presynaptic activity.

    Parameters
    ----------
    pre_filtered : float64 array (n,)
        Filtered presynaptic activities :math:`a_i` (Hz).
    error : float64 array (m,)
        Error :math:`E_j` (decoded space, or per postsynaptic neuron for weights).
    learning_rate : float
        :math:`\kappa`.
    dt : float
        Time step (s); with :math:`n` = ``len(pre_filtered)`` the step scale is
        :math:`\kappa\,dt/n`, which makes learning independent of ``dt``.
    delta : float64 array (m, n)
        Receives :math:`\Delta\omega` (rows: outputs, columns: presynaptic neurons).
    """
    n = pre_filtered.shape[0]
    alpha = -learning_rate * dt / n
    for j in range(error.shape[0]):
        e = alpha * error[j]
        for i in range(n):
            delta[j, i] = e * pre_filtered[i]


@njit(cache=True)
def pes_local_error(scaled_encoders, error, local_error):
    r"""Per-neuron PES error :math:`E_j = \alpha_j\,(e_j \cdot E)/r` for learning weights.

    For a connection onto neurons, PES (MacNeil & Eliasmith 2011) projects the decoded-space
    error onto each postsynaptic neuron's scaled encoder :math:`\alpha_j e_j / r` (gain
    :math:`\alpha_j`, unit encoder :math:`e_j`, radius :math:`r`), giving
    :math:`\Delta\omega_{ij} = -\frac{\kappa\,dt}{n}\,\alpha_j (e_j\cdot E)\,a_i`.

    Parameters
    ----------
    scaled_encoders : float64 array (n_post, d)
        :math:`\alpha_j e_j / r` of the postsynaptic ensemble.
    error : float64 array (d,)
        Decoded-space error :math:`E`.
    local_error : float64 array (n_post,)
        Receives :math:`E_j`.
    """
    for j in range(scaled_encoders.shape[0]):
        s = 0.0
        for k in range(scaled_encoders.shape[1]):
            s += scaled_encoders[j, k] * error[k]
        local_error[j] = s


# ---------------------------------------------------------------------------------------------
# the model loop
# ---------------------------------------------------------------------------------------------
#
# Speed without changing a single rounding: every helper below does, for each number, the same
# floating-point operations in the same order as the plain step (and as the reference twin's
# NumPy expressions to rounding), only arranged so the compiler can vectorise them and so work
# for silent neurons is skipped:
# * the input current J = b + E~x is summed dimension by dimension (k = 0, 1, ...) for each
#   neuron, sixteen (or four) dimensions per sweep over the neurons (dimensions whose x_k is 0
#   are skipped, as before);
# * the LIF step runs as a branch-free pass for every neuron (vectorised) that sets aside the
#   few neurons which spike or leave their refractory period inside the step, in two lists;
#   each list then gets the exact step in three loops: gather the argument of log1p (spikers)
#   or expm1 (neurons leaving their refractory period), evaluate the inlined polynomial over
#   the contiguous buffer (vectorised; see _expm1_small/_log1p_small), scatter the results;
# * each ensemble keeps the ascending list of its neurons with nonzero output, and connections
#   from the ensemble visit only those (the same terms as skipping zeros, in the same order);
# * row updates y[j] += x[j] * c (decoded outputs over the listed rows, the PES update) are
#   written as explicit 4-wide vector operations (_axpy4: per lane the same IEEE multiply and
#   add, no fused multiply-add) on the flat arrays, so no per-row array view is made (a view
#   costs two atomic reference-count updates in Numba); the listed rows go four at a time
#   with the output kept in a register (_axpy4_rows4);
# * the PES presynaptic filter runs in the same pass over the rows as the update.

_AHEAD = 8  # rows prefetched ahead


@intrinsic
def _axpy4(typingctx, y, yi, x, xi, c):
    # y[yi:yi+4] = y[yi:yi+4] + x[xi:xi+4] * c for 1-D C-contiguous float64 arrays, as one
    # 4-wide vector load, multiply, add and store (each lane exactly the scalar
    # ``y[yi+l] + x[xi+l] * c``: IEEE multiply then add, never fused). No bounds checks: the
    # caller guarantees both ranges lie inside the arrays.
    def codegen(context, builder, signature, args):
        yty, _, xty, _, _ = signature.args
        ya = context.make_array(yty)(context, builder, value=args[0])
        xa = context.make_array(xty)(context, builder, value=args[2])
        vt = ir.VectorType(ir.DoubleType(), 4)
        py = builder.bitcast(cgutils.get_item_pointer(context, builder, yty, ya, [args[1]], wraparound=False),
                             vt.as_pointer())
        px = builder.bitcast(cgutils.get_item_pointer(context, builder, xty, xa, [args[3]], wraparound=False),
                             vt.as_pointer())
        cv = ir.Constant(vt, None)
        for lane in range(4):
            cv = builder.insert_element(cv, args[4], ir.Constant(ir.IntType(32), lane))
        r = builder.fadd(builder.load(py, align=8), builder.fmul(builder.load(px, align=8), cv))
        builder.store(r, py, align=8)
        return context.get_dummy_value()
    return types.void(y, yi, x, xi, c), codegen


@intrinsic
def _axpy4_rows4(typingctx, y, yi, x, i0, c0, i1, c1, i2, c2, i3, c3):
    # y[yi:yi+4] = (((y[yi:yi+4] + x[i0:i0+4] * c0) + x[i1:i1+4] * c1) + x[i2:i2+4] * c2)
    #              + x[i3:i3+4] * c3 -- four rows of _axpy4 in a row, with y kept in a register
    # between them (the same operations in the same order, one load and store of y)
    def codegen(context, builder, signature, args):
        yty, xty = signature.args[0], signature.args[2]
        ya = context.make_array(yty)(context, builder, value=args[0])
        xa = context.make_array(xty)(context, builder, value=args[2])
        vt = ir.VectorType(ir.DoubleType(), 4)
        py = builder.bitcast(cgutils.get_item_pointer(context, builder, yty, ya, [args[1]], wraparound=False),
                             vt.as_pointer())
        acc = builder.load(py, align=8)
        for r in range(4):
            px = builder.bitcast(cgutils.get_item_pointer(context, builder, xty, xa, [args[3 + 2 * r]],
                                                          wraparound=False), vt.as_pointer())
            cv = ir.Constant(vt, None)
            for lane in range(4):
                cv = builder.insert_element(cv, args[4 + 2 * r], ir.Constant(ir.IntType(32), lane))
            acc = builder.fadd(acc, builder.fmul(builder.load(px, align=8), cv))
        builder.store(acc, py, align=8)
        return context.get_dummy_value()
    return types.void(y, yi, x, i0, c0, i1, c1, i2, c2, i3, c3), codegen


@njit(cache=True, inline="always")
def _prefetch_row(w, start, length):
    # both ends of the row w[start:start + length] (a row of 16 float64 spans two cache lines)
    _prefetch(w, start)
    _prefetch(w, start + length - 1)


@njit(cache=True, inline="always")
def _axpy(y, yi, x, xi, m, c):
    # y[yi + j] += x[xi + j] * c for j < m: four at a time, then the rest one by one
    j = 0
    while j + 4 <= m:
        _axpy4(y, yi + j, x, xi + j, c)
        j += 4
    while j < m:
        y[yi + j] += x[xi + j] * c
        j += 1


@njit(cache=True)
def _list_nonzero(out, spikes):
    # spikes[:k] = ascending indices j with out[j] != 0 (branch-free); returns k
    k = 0
    for j in range(out.shape[0]):
        spikes[k] = j
        k += out[j] != 0.0
    return k


@njit(cache=True, error_model="numpy")
def _lif_step_listed(voltage, refractory_time, J, dt, tau_rc, tau_ref, min_voltage, amplitude,
                     output, full_decay, spikes, leaving_list, work):
    # _lif_step_1d, the same numbers bit for bit, returning the number of spiking neurons and
    # their ascending indices in spikes[:k] (spikes[k:], leaving_list (length n) and work
    # (length 2 n) are scratch). error_model="numpy": divisions without Python's zero check
    # (a branch that stops vectorisation; the divisors here, J - 1 of a spiking neuron and
    # tau_RC, are never 0).
    n = voltage.shape[0]
    # pass 1 (vectorised): the common cases -- a full step of decay, or held while refractory --
    # for every neuron; a neuron that leaves its refractory period inside the step is marked
    # with output 1, one that spikes otherwise with output 2, and both are left untouched.
    for j in range(n):
        V = voltage[j]
        rt = refractory_time[j]
        r = rt - dt
        delta_t = dt - r
        decay = full_decay if delta_t >= dt else 0.0
        v = V - (J[j] - V) * decay
        leaving = (delta_t > 0.0) & (delta_t < dt)
        spiking = v > 1.0
        rare = leaving | spiking
        if v < min_voltage:
            v = min_voltage
        voltage[j] = V if rare else v
        refractory_time[j] = rt if rare else r
        output[j] = 1.0 if leaving else (2.0 if spiking else 0.0)
    # the marked neurons, ascending (one store per neuron, no branch), then split into two
    # lists: the spikers, in place in ``spikes`` (ks <= t), and the neurons leaving their
    # refractory period, in ``leaving_list``
    k = _list_nonzero(output, spikes)
    ks = 0
    kl = 0
    for t in range(k):
        j = spikes[t]
        o = output[j]
        spikes[ks] = j
        leaving_list[kl] = j
        ks += o == 2.0
        kl += o == 1.0
    a_dt = amplitude / dt
    xb = work[:n]
    yb = work[n:2 * n]
    # pass 2a: the spikers (full decay, or held if still refractory): t_spike by log1p, in
    # three loops -- gather the arguments, the polynomial over the contiguous buffer
    # (vectorised), scatter the results
    for t in range(ks):
        j = spikes[t]
        V = voltage[j]
        r = refractory_time[j] - dt
        decay = full_decay if dt - r >= dt else 0.0
        v = V - (J[j] - V) * decay
        xb[t] = -(v - 1.0) / (J[j] - 1.0)
    for t in range(ks):
        yb[t] = _log1p_small(xb[t])
    for t in range(ks):
        j = spikes[t]
        x = xb[t]
        y = yb[t] if _log1p_in_range(x) else math.log1p(x)
        output[j] = a_dt
        voltage[j] = 0.0
        refractory_time[j] = tau_ref + (dt + tau_rc * y)
    # pass 2b: the neurons leaving their refractory period inside the step (0 < delta_t < dt),
    # the partial decay by expm1 in the same three loops
    for t in range(kl):
        j = leaving_list[t]
        xb[t] = -(dt - (refractory_time[j] - dt)) / tau_rc
    for t in range(kl):
        yb[t] = _expm1_small(xb[t])
    late_spike = False
    for t in range(kl):
        j = leaving_list[t]
        x = xb[t]
        decay = yb[t] if _expm1_in_range(x) else math.expm1(x)
        V = voltage[j]
        r = refractory_time[j] - dt
        v = V - (J[j] - V) * decay
        if v > 1.0:
            output[j] = a_dt
            t_spike = dt + tau_rc * _log1p(-(v - 1.0) / (J[j] - 1.0))
            voltage[j] = 0.0
            refractory_time[j] = tau_ref + t_spike
            late_spike = True
        else:
            output[j] = 0.0
            if v < min_voltage:
                v = min_voltage
            voltage[j] = v
            refractory_time[j] = r
    if late_spike or a_dt == 0.0:
        # rare: a neuron spiked right after its refractory period (or the output is 0):
        # list the nonzero outputs again, in order
        return _list_nonzero(output, spikes)
    return ks


@njit(cache=True)
def _all_nonzero(x, k, m):
    # x[k:k + m] has no zero (and lies inside x)
    if k + m > x.shape[0]:
        return False
    for i in range(k, k + m):
        if x[i] == 0.0:
            return False
    return True


@njit(cache=True)
def _input_current(J, b, jx, E, x):
    # J = b (+ jx) + sum_k E[k] x[k], summed in the order k = 0, 1, ... for every neuron;
    # dimensions with x[k] == 0 are skipped. jx has length 0 when no connection targets the
    # neurons directly. Sixteen dimensions per sweep over the neurons where possible (one
    # load and store of J per sixteen products), then four, then one.
    n = J.shape[0]
    d = x.shape[0]
    if jx.shape[0] > 0:
        for j in range(n):
            J[j] = b[j] + jx[j]
    else:
        for j in range(n):
            J[j] = b[j]
    k = 0
    while k < d:
        if _all_nonzero(x, k, 16):
            e0, e1, e2, e3, e4, e5, e6, e7 = E[k], E[k + 1], E[k + 2], E[k + 3], E[k + 4], E[k + 5], E[k + 6], E[k + 7]
            e8, e9, e10, e11 = E[k + 8], E[k + 9], E[k + 10], E[k + 11]
            e12, e13, e14, e15 = E[k + 12], E[k + 13], E[k + 14], E[k + 15]
            x0, x1, x2, x3, x4, x5, x6, x7 = x[k], x[k + 1], x[k + 2], x[k + 3], x[k + 4], x[k + 5], x[k + 6], x[k + 7]
            x8, x9, x10, x11 = x[k + 8], x[k + 9], x[k + 10], x[k + 11]
            x12, x13, x14, x15 = x[k + 12], x[k + 13], x[k + 14], x[k + 15]
            for j in range(n):
                s = (((J[j] + e0[j] * x0) + e1[j] * x1) + e2[j] * x2) + e3[j] * x3
                s = (((s + e4[j] * x4) + e5[j] * x5) + e6[j] * x6) + e7[j] * x7
                s = (((s + e8[j] * x8) + e9[j] * x9) + e10[j] * x10) + e11[j] * x11
                J[j] = (((s + e12[j] * x12) + e13[j] * x13) + e14[j] * x14) + e15[j] * x15
            k += 16
        elif _all_nonzero(x, k, 4):
            e0, e1, e2, e3 = E[k], E[k + 1], E[k + 2], E[k + 3]
            x0, x1, x2, x3 = x[k], x[k + 1], x[k + 2], x[k + 3]
            for j in range(n):
                J[j] = (((J[j] + e0[j] * x0) + e1[j] * x1) + e2[j] * x2) + e3[j] * x3
            k += 4
        else:
            xk = x[k]
            if xk != 0.0:
                e0 = E[k]
                for j in range(n):
                    J[j] = J[j] + e0[j] * xk
            k += 1


@njit(cache=True)
def _pes_update(w, m, acts, pre_out, g, err, alpha, s):
    # the presynaptic filter acts[i] = g acts[i] + (1 - g) pre_out[i], then
    # W[i, j] += (alpha * err[j]) * acts[i] for acts[i] != 0, W = w.reshape(-1, m) (the same
    # products and sums as the plain loops, one pass over the rows); s[:m] is scratch for
    # the column factors
    for j in range(m):
        s[j] = alpha * err[j]
    for i in range(acts.shape[0]):
        a = g * acts[i] + (1.0 - g) * pre_out[i]
        acts[i] = a
        if a != 0.0:
            _axpy(w, i * m, s, 0, m, a)


@njit(cache=True)
def _accumulate(weights_t, w_off, src, s_off, s_len, d_len, out, o_off, scale):
    # out[o_off + j] += scale * sum_i W[j, i] * src[s_off + i], W stored transposed (i, j);
    # zero inputs (silent neurons) are skipped.
    # (views indexed by the loop variables let Numba drop index wrap-around checks and vectorise)
    s = src[s_off:s_off + s_len]
    o = out[o_off:o_off + d_len]
    W = weights_t[w_off:w_off + s_len * d_len].reshape((s_len, d_len))
    for i in range(s_len):
        x = s[i]
        if x != 0.0:
            x = x * scale
            for j in range(d_len):
                o[j] += W[i, j] * x


@njit(cache=True)
def _accumulate_listed(weights_t, w_off, src, s_off, s_len, idx, d_len, out, o_off, scale):
    # _accumulate visiting only the (ascending) source indices idx: the same terms, same order
    # (out[o_off + j] += W[i, j] * (src[s_off + i] * scale), W = weights_t[w_off:] as (s_len, d_len)).
    # Four listed rows at a time for each group of four columns: out stays in a register
    # across the four rows (the chain out -> memory -> out would otherwise cost a store and a
    # load per row).
    k = idx.shape[0]
    if d_len == 0:
        return
    for t in range(min(_AHEAD, k)):
        _prefetch_row(weights_t, w_off + idx[t] * d_len, d_len)
    db = d_len - d_len % 4
    t = 0
    while t + 4 <= k:
        for a in range(t + _AHEAD, min(t + _AHEAD + 4, k)):
            _prefetch_row(weights_t, w_off + idx[a] * d_len, d_len)
        i0, i1, i2, i3 = idx[t], idx[t + 1], idx[t + 2], idx[t + 3]
        x0, x1, x2, x3 = src[s_off + i0] * scale, src[s_off + i1] * scale, src[s_off + i2] * scale, src[s_off + i3] * scale
        b0, b1, b2, b3 = w_off + i0 * d_len, w_off + i1 * d_len, w_off + i2 * d_len, w_off + i3 * d_len
        for j in range(0, db, 4):
            _axpy4_rows4(out, o_off + j, weights_t, b0 + j, x0, b1 + j, x1, b2 + j, x2, b3 + j, x3)
        for j in range(db, d_len):
            out[o_off + j] = (((out[o_off + j] + weights_t[b0 + j] * x0) + weights_t[b1 + j] * x1)
                              + weights_t[b2 + j] * x2) + weights_t[b3 + j] * x3
        t += 4
    while t < k:
        i = idx[t]
        _axpy(out, o_off, weights_t, w_off + i * d_len, d_len, src[s_off + i] * scale)
        t += 1


@njit(cache=True)
def _conn_accumulate(c, conn_int, weights_t, sig, o_off, scale, ens_int, spikes, n_spikes):
    # sig[o_off:] += scale * W_c s_c, through the firing list when the source is an ensemble
    e = conn_int[c, C_SRC_ENS]
    if e >= 0:
        nof = ens_int[e, E_NEURON_OFF]
        _accumulate_listed(weights_t, conn_int[c, C_W_OFF], sig, conn_int[c, C_SRC_OFF],
                           conn_int[c, C_SRC_LEN], spikes[nof:nof + n_spikes[e]],
                           conn_int[c, C_DST_LEN], sig, o_off, scale)
    else:
        _accumulate(weights_t, conn_int[c, C_W_OFF], sig, conn_int[c, C_SRC_OFF],
                    conn_int[c, C_SRC_LEN], conn_int[c, C_DST_LEN], sig, o_off, scale)


@njit(cache=True)
def _deliver_immediate(c, conn_int, weights_t, gains, sig, ens_int, spikes, n_spikes):
    # dst += (gains *) W src, computed into the destination directly
    d_off = conn_int[c, C_DST_OFF]
    m = conn_int[c, C_DST_LEN]
    g_off = conn_int[c, C_GAIN_OFF]
    if g_off < 0:
        _conn_accumulate(c, conn_int, weights_t, sig, d_off, 1.0, ens_int, spikes, n_spikes)
    else:
        k = conn_int[c, C_SRC_LEN]
        w_off = conn_int[c, C_W_OFF]
        s = sig[conn_int[c, C_SRC_OFF]:conn_int[c, C_SRC_OFF] + k]
        o = sig[d_off:d_off + m]
        g = gains[g_off:g_off + m]
        W = weights_t[w_off:w_off + k * m].reshape((k, m))
        e = conn_int[c, C_SRC_ENS]
        if e >= 0:
            nof = ens_int[e, E_NEURON_OFF]
            for t in range(n_spikes[e]):
                i = spikes[nof + t]
                x = s[i]
                for j in range(m):
                    o[j] += g[j] * (W[i, j] * x)
        else:
            for i in range(k):
                x = s[i]
                if x != 0.0:
                    for j in range(m):
                        o[j] += g[j] * (W[i, j] * x)


@njit(cache=True)
def nef_run(n_steps, dt, inputs, in_off, sig, clear_lo, clear_hi,
            ens_int, ens_float, enc, bias, voltage, refractory_time, scratch, spikes, n_spikes,
            conn_int, conn_float, weights_t, gains,
            pes_int, pes_float, probe_int, probe_float, records, record_count):
    r"""Advance a whole NEF model by ``n_steps`` steps of ``dt`` in one compiled loop.

    The model (Eliasmith & Anderson 2003) is a set of ensembles of NEF neurons, inputs, pass-
    through nodes, connections with optional first-order low-pass synapses, PES learning rules
    (MacNeil & Eliasmith 2011) and probes, flattened by :mod:`spikecore.nef.simulator` into a
    signal vector ``sig`` and integer/float tables. Step :math:`n` (time :math:`t = n\,dt`)
    follows the operator order of Nengo's reference simulator (Bekolay et al. 2014):

    1. ``sig[in_off:in_off+k] = inputs[n]``; ``sig[clear_lo:clear_hi] = 0`` (ensemble inputs
       :math:`x`, extra neuron currents, pass-through nodes, PES errors, probe slots).
    2. Every filtered connection adds its synapse output from the previous step,
       :math:`y[n-1]`, times the postsynaptic gains when it targets neurons.
    3. Immediate (``synapse=None``) connections from inputs add :math:`W u[n]`.
    4. Every ensemble computes :math:`J = b + J_\mathrm{extra} + \tilde{E}x` (:math:`\tilde{E}`
       the gain- and radius-scaled encoders; the sum over dimensions in order) and its neuron
       output :math:`a[n]`, and lists its neurons with :math:`a_i[n] \ne 0`.
    5. Immediate connections from neurons and pass-through nodes add :math:`W s[n]` (in
       table order, which the builder sorts topologically).
    6. PES: the error, projected on the postsynaptic scaled encoders for connections onto
       neurons, for the change :math:`\Delta W = -\frac{\kappa dt}{n}\,E\,\bar a^\top` of step 9.
    7. Every filtered connection updates :math:`y[n] = \gamma y[n-1] + (1-\gamma) W s[n]`,
       :math:`\gamma = e^{-dt/\tau}` (zero-order-hold low-pass).
    8. Probes whose period divides :math:`n` record their signal (or weights); a filtered
       probe records its low-pass state :math:`y[n-1]` and then updates it with :math:`s[n]`
       (the one-step lag of Nengo's probe synapses). Filtered probes update every step.
    9. For every learned connection the presynaptic filter of the same step,
       :math:`\bar a \leftarrow \gamma\bar a + (1-\gamma)a[n]` (nothing reads :math:`\bar a`
       before this point), and :math:`W \leftarrow W + \Delta W`.

    Sums skip zero terms (silent neurons: connections from an ensemble visit only the neurons
    listed in step 4), which changes no result.

    Parameters
    ----------
    n_steps : int
        Number of steps to run.
    dt : float
        Time step (s).
    inputs : float64 array (n_steps, k)
        Values of all input nodes at each step, concatenated.
    in_off : int
        Offset of the inputs in ``sig``.
    sig : float64 array (n_sig,)
        All signals of the model (state that persists between calls), updated in place.
    clear_lo, clear_hi : int
        The range of ``sig`` reset to zero at the start of every step.
    ens_int : int64 array (n_ens, 8)
        Per ensemble: neuron count, neuron offset (into ``bias``/``voltage``/...), offset of
        its decoded input :math:`x` in ``sig``, dimensions, offset of its scaled encoders in
        ``enc``, neuron kind (0 LIF, 1 LIF rate, 2 IF, 3 ReLU), offset of its extra neuron
        current in ``sig`` (-1 when no connection targets its neurons: then
        :math:`J_\mathrm{extra} = 0`), offset of its neuron output in ``sig``.
    ens_float : float64 array (n_ens, 4)
        :math:`\tau_{RC}`, :math:`\tau_{ref}`, :math:`v_{min}`, amplitude.
    enc : float64 array
        Scaled encoders of all ensembles, each stored transposed, ``(d, n)`` row-major (so the
        inner loops run over neurons, contiguously).
    bias, voltage, refractory_time : float64 arrays (n_neurons_total,)
        Bias currents and neuron state (updated in place).
    scratch : float64 array
        Scratch for the input current of one ensemble and the LIF step's work space (three
        times the largest ensemble's size), and for the PES column factors (the largest learned
        connection's output size), whichever is larger.
    spikes : int64 array (n_neurons_total + the largest ensemble's size,)
        Scratch: per ensemble (at its neuron offset) the ascending indices of its neurons whose
        output is nonzero in the current step; the part after ``n_neurons_total`` is work space
        of the LIF step.
    n_spikes : int64 array (n_ens,)
        Scratch: the length of each ensemble's list in ``spikes``.
    conn_int : int64 array (n_conn, 10)
        Source offset/length, destination offset/length in ``sig``, offset of the transposed
        weight matrix in ``weights_t``, immediate flag, offset of the synapse state in ``sig``,
        offset of the postsynaptic gains in ``gains`` (or -1), phase of an immediate
        connection (0 before, 1 after the ensembles), and the index of the ensemble whose
        whole neuron output is the source (or -1).
    conn_float : float64 array (n_conn, 1)
        Synapse decay :math:`\gamma = e^{-dt/\tau}`.
    weights_t : float64 array
        All connection matrices, each stored transposed ``(size_in, size_out)`` row-major.
    gains : float64 array
        Postsynaptic gains of connections onto neurons.
    pes_int : int64 array (n_pes, 8)
        Learned connection index, presynaptic output offset and size, filtered-activity
        offset, error offset and size in ``sig``, offset of the postsynaptic scaled encoders in
        ``enc`` (-1 for decoder learning), offset of the local-error scratch in ``sig``.
    pes_float : float64 array (n_pes, 2)
        :math:`\kappa` and the presynaptic filter decay :math:`\gamma` (0 for no filter).
    probe_int : int64 array (n_probes, 7)
        Kind (0 signal, 1 weights, 2 filtered signal), offset in ``sig`` (or ``weights_t``; the
        filter state for kind 2), rows, columns, period in steps, offset in ``records``, and
        the offset of the probed signal for kind 2.
    probe_float : float64 array (n_probes, 1)
        Decay :math:`\gamma` of a filtered probe.
    records : float64 array
        Receives the probe samples, each probe's samples consecutive.
    record_count : int64 array (n_probes + 1,)
        Samples recorded so far per probe; the last element is the global step counter
        :math:`n` (updated in place, so runs can be continued).
    """
    n_ens = ens_int.shape[0]
    n_conn = conn_int.shape[0]
    n_pes = pes_int.shape[0]
    n_probes = probe_int.shape[0]
    n_in = inputs.shape[1]
    n_total = bias.shape[0]
    for step in range(n_steps):
        record_count[n_probes] += 1
        n_global = record_count[n_probes]
        # 1. inputs and cleared signals
        for k in range(n_in):
            sig[in_off + k] = inputs[step, k]
        for k in range(clear_lo, clear_hi):
            sig[k] = 0.0
        # 2. filtered connections deliver y[n-1]
        for c in range(n_conn):
            if conn_int[c, C_IMMEDIATE] == 0:
                d_off = conn_int[c, C_DST_OFF]
                s_off = conn_int[c, C_STATE_OFF]
                g_off = conn_int[c, C_GAIN_OFF]
                for j in range(conn_int[c, C_DST_LEN]):
                    if g_off >= 0:
                        sig[d_off + j] += gains[g_off + j] * sig[s_off + j]
                    else:
                        sig[d_off + j] += sig[s_off + j]
        # 3. immediate connections from inputs
        for c in range(n_conn):
            if conn_int[c, C_IMMEDIATE] == 1 and conn_int[c, C_PHASE] == 0:
                _deliver_immediate(c, conn_int, weights_t, gains, sig, ens_int, spikes, n_spikes)
        # 4. ensembles
        for e in range(n_ens):
            n = ens_int[e, E_N]
            nof = ens_int[e, E_NEURON_OFF]
            xo = ens_int[e, E_X_OFF]
            d = ens_int[e, E_DIMS]
            eo = ens_int[e, E_ENC_OFF]
            jo = ens_int[e, E_JEXTRA_OFF]
            oo = ens_int[e, E_OUT_OFF]
            J = scratch[:n]
            jx = sig[jo:jo + n] if jo >= 0 else sig[0:0]
            _input_current(J, bias[nof:nof + n], jx, enc[eo:eo + d * n].reshape((d, n)), sig[xo:xo + d])
            kind = ens_int[e, E_KIND]
            out = sig[oo:oo + n]
            spk = spikes[nof:nof + n]
            if kind == KIND_LIF:
                tau_rc = ens_float[e, EF_TAU_RC]
                n_spikes[e] = _lif_step_listed(voltage[nof:nof + n], refractory_time[nof:nof + n], J, dt,
                                               tau_rc, ens_float[e, EF_TAU_REF], ens_float[e, EF_MIN_V],
                                               ens_float[e, EF_AMP], out, math.expm1(-dt / tau_rc), spk,
                                               spikes[n_total:n_total + n], scratch[n:3 * n])
            else:
                if kind == KIND_LIF_RATE:
                    _lif_rate_1d(J, ens_float[e, EF_TAU_RC], ens_float[e, EF_TAU_REF], ens_float[e, EF_AMP], out)
                elif kind == KIND_IF:
                    _if_step_1d(voltage[nof:nof + n], J, dt, ens_float[e, EF_AMP], out)
                else:
                    _relu_1d(J, ens_float[e, EF_AMP], out)
                n_spikes[e] = _list_nonzero(out, spk)
        # 5. immediate connections after the ensembles
        for c in range(n_conn):
            if conn_int[c, C_IMMEDIATE] == 1 and conn_int[c, C_PHASE] == 1:
                _deliver_immediate(c, conn_int, weights_t, gains, sig, ens_int, spikes, n_spikes)
        # 6. PES: project the error on the postsynaptic encoders for connections onto neurons
        #    (the presynaptic filter and the change are applied in step 9)
        for p in range(n_pes):
            eo = pes_int[p, P_ENC_OFF]
            if eo >= 0:
                # per-neuron error alpha_j e_j . E
                c = pes_int[p, P_CONN]
                lo = pes_int[p, P_LOCAL_OFF]
                m = conn_int[c, C_DST_LEN]
                de = pes_int[p, P_ERR_DIMS]
                er = pes_int[p, P_ERR_OFF]
                local = sig[lo:lo + m]
                for j in range(m):
                    local[j] = 0.0
                E = enc[eo:eo + de * m].reshape((de, m))
                for k in range(de):
                    ek = sig[er + k]
                    for j in range(m):
                        local[j] += E[k, j] * ek
        # 7. filtered connections update their synapse state
        for c in range(n_conn):
            if conn_int[c, C_IMMEDIATE] == 0:
                s_off = conn_int[c, C_STATE_OFF]
                m = conn_int[c, C_DST_LEN]
                g = conn_float[c, 0]
                state = sig[s_off:s_off + m]
                for j in range(m):
                    state[j] *= g
                _conn_accumulate(c, conn_int, weights_t, sig, s_off, 1.0 - g, ens_int, spikes, n_spikes)
        # 8. probes
        for r in range(n_probes):
            if n_global % probe_int[r, R_PERIOD] == 0:
                rows = probe_int[r, R_ROWS]
                cols = probe_int[r, R_COLS]
                off = probe_int[r, R_OFF]
                base = probe_int[r, R_REC_OFF] + record_count[r] * rows * cols
                if probe_int[r, R_KIND] != PROBE_WEIGHTS:
                    for k in range(rows):
                        records[base + k] = sig[off + k]
                else:
                    # weights stored transposed (cols = size_in, rows = size_out)
                    for j in range(rows):
                        for i in range(cols):
                            records[base + j * cols + i] = weights_t[off + i * rows + j]
                record_count[r] += 1
            if probe_int[r, R_KIND] == PROBE_FILTERED:
                off = probe_int[r, R_OFF]
                src = probe_int[r, R_SRC_OFF]
                g = probe_float[r, 0]
                for k in range(probe_int[r, R_ROWS]):
                    sig[off + k] = g * sig[off + k] + (1.0 - g) * sig[src + k]
        # 9. apply PES: W <- W - (kappa dt / n) E a^T
        for p in range(n_pes):
            c = pes_int[p, P_CONN]
            npre = pes_int[p, P_N_PRE]
            m = conn_int[c, C_DST_LEN]
            w_off = conn_int[c, C_W_OFF]
            if pes_int[p, P_ENC_OFF] >= 0:
                er = pes_int[p, P_LOCAL_OFF]
            else:
                er = pes_int[p, P_ERR_OFF]
            ao = pes_int[p, P_ACTS_OFF]
            pre = pes_int[p, P_PRE_OFF]
            _pes_update(weights_t[w_off:w_off + npre * m], m, sig[ao:ao + npre], sig[pre:pre + npre],
                        pes_float[p, PF_PRE_DECAY], sig[er:er + m], -pes_float[p, PF_RATE] * dt / npre, scratch)
