r"""SpikeProp on spike-time targets: a three-layer feed-forward SRM network (Bohte et al. 2002).

This is the lower level under :class:`spikecore.learning.SpikePropClassifier`: it maps input
spike times to output spike times and learns from desired output spike times. The hot loops
are ``spikecore.kernels.spikeprop`` (twins in ``spikecore.reference.spikeprop``).

Model (Bohte, Kok & La Poutré 2002). Layers ``I -> H -> J``; each connection ``i -> j`` has
``m`` terminals with weights ``w_ij^k`` and delays ``d^k``::

    x_j(t)  = sum_i sum_k w_ij^k y_i^k(t),   y_i^k(t) = eps(t - t_i - d^k)
    eps(s)  = (s/tau) exp(1 - s/tau) for s > 0, else 0
    t_j     = first t with x_j(t) >= theta     (found exactly, not on a grid; one spike)

Learning (gradient descent on ``E = 1/2 sum_j (t_j^a - t_j^d)^2``, online, one update per
pattern)::

    delta_j   = (t_j^d - t_j^a) / sum_i sum_k w_ij^k eps'(t_j^a - t_i - d^k)          (output)
    delta_i   = sum_j delta_j sum_k w_ij^k eps'(t_j^a - t_i - d^k)
                / sum_h sum_l w_hi^l eps'(t_i^a - t_h - d^l)                         (hidden)
    Delta w_ij^k = -eta y_i^k(t_j^a) delta_j ,   Delta w_hi^l = -eta y_h^l(t_i^a) delta_i

``t^a``/``t^d`` actual/desired spike times, ``eta`` the learning rate, ``eps'`` the derivative
of the kernel with respect to its argument (Bohte writes ``dy/dt``; reading the hidden-layer
numerator as the derivative with respect to the time argument, as here, gives the exact
gradient, which the tests check against finite differences).

Failure modes and the conventions chosen:

* Near-threshold discontinuity: when the potential barely grazes ``theta`` the slope
  ``dx/dt`` at the crossing goes to 0 and the update to infinity. The slope in both
  denominators is bounded below, ``dx/dt <- max(dx/dt, min_slope)`` (default 100 per second,
  i.e. 0.1 threshold per ms, a common choice in SpikeProp re-implementations).
* Silent neurons: an output neuron that does not fire before ``t_max`` is treated as firing at
  ``t_max`` for both the error and the gradient; with its slope clipped to ``min_slope`` this
  yields an update that raises its weights from every neuron that fired before ``t_max``, so a
  silent output learns to fire again (skipping it would leave it silent for good). A silent
  hidden neuron contributes nothing downstream and receives ``delta_i = 0`` (that is the exact
  gradient); the initialisation below makes hidden neurons fire on the training inputs.
  A hidden neuron that stays silent for a whole training epoch would therefore never learn
  again. With ``revive_silent = rho > 0`` (default 0.1) such a neuron is revived after the
  epoch. Raising the weights of a neuron that does not fire is the usual SpikeProp remedy
  (reported by Booij & Nguyen 2005 and McKennoch, Liu & Bohte 2006, "Fast modifications of
  the SpikeProp algorithm"); the exact rule and its size ``rho`` are our choice::

      w_hi^l <- w_hi^l + rho * mean_{h,l} |w_hi^l|     for every h, l,  if t_i = inf on all
                                                       patterns of the epoch

  i.e. every incoming weight of the silent neuron grows by ``rho`` times that neuron's mean
  absolute weight, which raises its potential at every time by ``rho`` times its mean weight
  times the summed input kernels (about ``rho * theta`` for weights at their initial scale),
  so after a few epochs it fires again and receives gradient. It acts only on neurons silent
  for every pattern of an epoch; a network without such neurons (the XOR and Iris runs of the
  tests) trains exactly as without it.
* Inhibitory hidden neurons (Bohte 2002, §3): a hidden neuron is excitatory or inhibitory,
  not mixed per terminal. The last ``n_inhibitory`` hidden neurons start with negative
  outgoing weights, the others with positive ones; with ``sign_constraint=True`` a
  hidden-to-output weight that an update would push across zero is set to 0, so each hidden
  neuron keeps its type. Input-to-hidden weights are free in sign: the input layer is an
  encoding, not a population of typed neurons (constraining them to be excitatory as well
  made XOR converge in only 5 of 10 seeds in our runs, against 10 of 10 without).

Multi-spike option (Booij & Nguyen 2005, "A gradient descent rule for spiking neurons
emitting multiple spikes"), ``multi_spike=True``: hidden neurons may fire several times; after
each of its own spikes a neuron's potential receives the refractory kernel
``eta(s) = -theta exp(-s / tau_r)`` (``s >= 0``, ``tau_r = tau_refractory``)::

    x_j(t) = sum_i sum_g sum_k w_ij^k eps(t - t_i^g - d^k) + sum_{t_j^f <= t} eta(t - t_j^f)

Spike times are the successive threshold crossings, found by scanning on a step of
``min(tau, tau_r) / 20`` and refining each bracketed crossing to machine precision (two
crossings closer than one step, a grazing touch, can be missed); at most ``max_spikes`` per
neuron. The output layer sees every hidden spike; the error is on the first spike of each
output neuron, ``E = 1/2 sum_j (t_j^1 - t_j^d)^2`` (as Booij & Nguyen do for classification),
and its gradient runs through every hidden spike, including the dependence of a hidden spike
on that neuron's earlier spikes through ``eta`` (implicit differentiation of
``x_j(t_j^f) = theta``; equations in ``spikecore.kernels.spikeprop``). Inputs fire once.
Online training with this option loops over the samples in Python (one kernel call each).

Units: SI seconds for all times (``tau = 7e-3``), so ``learning_rate`` is in s^-2 (Bohte's
``eta = 0.01`` in ms^-2 is ``1e4`` s^-2) and ``min_slope`` in s^-1. All arithmetic is float64,
which the exact spike-time search and the gradient check need.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels import spikeprop as _k

#: Bohte et al. (2002): 16 terminals with delays 1, 2, ..., 16 ms.
DEFAULT_DELAYS = np.arange(1, 17) * 1e-3

#: At most this many training samples set the initial weight scale (see ``initialize``).
_INIT_ROWS = 512


class SpikePropNetwork:
    r"""Three-layer SRM network with multi-delay terminals, trained by SpikeProp.

    Implements Bohte, Kok & La Poutré (2002): see the module docstring for every equation
    (membrane potential :math:`x_j(t) = \sum_i \sum_k w_{ij}^k \varepsilon(t - t_i - d^k)`,
    first crossing :math:`t_j`, deltas and :math:`\Delta w = -\eta\, y\, \delta`).

    Parameters
    ----------
    n_inputs, n_hidden, n_outputs : int
        Layer sizes ``|I|``, ``|H|``, ``|J|``.
    delays : array of float, optional
        Terminal delays ``d^k`` in seconds, shape ``(m,)``; default 1..16 ms (Bohte 2002).
    tau : float
        Time constant of the alpha kernel ``eps`` (s); default 7 ms (Bohte 2002).
    theta : float
        Firing threshold (dimensionless); default 1.
    t_max : float
        End of the simulated window (s); a neuron that has not fired by then is silent.
    n_inhibitory : int
        Number of inhibitory hidden neurons (the last ones); their outgoing weights are <= 0.
    sign_constraint : bool
        Keep each hidden neuron's outgoing weights on its side of zero (Bohte 2002, §3).
    min_slope : float
        Lower bound on ``dx/dt`` at a crossing (s^-1), see the module docstring.
    random_state : None, int or numpy.random.Generator
        Seed of the weight initialisation.
    multi_spike : bool
        Hidden neurons fire repeatedly, with the refractory kernel (Booij & Nguyen 2005);
        default False (Bohte's one spike per neuron, unchanged).
    tau_refractory : float, optional
        ``tau_r`` of ``eta(s) = -theta exp(-s / tau_r)`` (s); default ``tau``.
    max_spikes : int
        Most spikes kept per hidden neuron with ``multi_spike`` (later ones are dropped).
    revive_silent : float
        ``rho`` of the silent-neuron convention (module docstring): after each training
        epoch, a hidden neuron silent on every pattern of that epoch has each incoming weight
        raised by ``rho`` times its mean absolute incoming weight. 0 disables it (pure
        Bohte 2002); default 0.1.

    Attributes
    ----------
    w_hid : ndarray (n_hidden, n_inputs, m) float64
        Input-to-hidden terminal weights ``w_hi^k``.
    w_out : ndarray (n_outputs, n_hidden, m) float64
        Hidden-to-output terminal weights ``w_ij^k``.
    sign_in, sign_hid : ndarray of int8
        Sign constraint of each input / hidden neuron's outgoing weights (+1, -1; 0 free).
        Inputs are always free; hidden neurons are +1/-1 with ``sign_constraint``.
    """

    def __init__(self, n_inputs, n_hidden, n_outputs, *, delays=None, tau=7e-3, theta=1.0,
                 t_max=50e-3, n_inhibitory=0, sign_constraint=True, min_slope=100.0,
                 random_state=None, multi_spike=False, tau_refractory=None, max_spikes=16,
                 revive_silent=0.1):
        self.n_inputs = _validate.integer("n_inputs", n_inputs, low=1)
        self.n_hidden = _validate.integer("n_hidden", n_hidden, low=1)
        self.n_outputs = _validate.integer("n_outputs", n_outputs, low=1)
        self.tau = _validate.positive("tau", tau, "s")
        self.theta = _validate.positive("theta", theta)
        self.t_max = _validate.positive("t_max", t_max, "s")
        self.min_slope = _validate.positive("min_slope", min_slope, "1/s")
        self.n_inhibitory = _validate.integer("n_inhibitory", n_inhibitory, low=0, high=self.n_hidden)
        if delays is None:
            delays = DEFAULT_DELAYS
        d = _validate.array("delays", delays, ndim=1, dtype=np.float64, finite=True, kinds="iuf")
        if d.size == 0 or np.any(d < 0):
            _validate.fail("delays", d, "a non-empty array of delays >= 0 (s)")
        if np.max(d) / self.tau > 700:
            _validate.fail("delays", d, "delays below 700 * tau (exp(d/tau) must stay finite)")
        self.delays = d
        self.sign_constraint = bool(sign_constraint)
        self.multi_spike = bool(multi_spike)
        if tau_refractory is None:
            tau_refractory = self.tau
        self.tau_refractory = _validate.positive("tau_refractory", tau_refractory, "s")
        self.max_spikes = _validate.integer("max_spikes", max_spikes, low=1)
        self.revive_silent = _validate.real("revive_silent", revive_silent, low=0.0)
        #: Hidden neurons revived after the last epoch (indices), see ``revive_silent``.
        self.revived_ = np.zeros(0, np.int64)
        self._step = min(self.tau, self.tau_refractory) / 20.0
        self.sign_hid = np.ones(self.n_hidden, np.int8)
        if self.n_inhibitory:
            self.sign_hid[self.n_hidden - self.n_inhibitory:] = -1
        self.sign_in = np.zeros(self.n_inputs, np.int8)
        self._init_sign_hid = self.sign_hid.copy()
        if not self.sign_constraint:
            self.sign_hid[:] = 0
        self._rng = _validate.rng(random_state)
        m = d.size
        self.w_hid = np.zeros((self.n_hidden, self.n_inputs, m))
        self.w_out = np.zeros((self.n_outputs, self.n_hidden, m))

    # ------------------------------------------------------------------ checks
    def _check_times(self, name, times, n):
        t = _validate.array(name, times, ndim=2, dtype=np.float64, kinds="iuf")
        if t.shape[1] != n:
            _validate.fail(name, "<array of shape %s>" % (t.shape,), "shape (n_samples, %d)" % n)
        if np.any(np.isnan(t)) or np.any(t == -np.inf):
            _validate.fail(name, "<array containing NaN or -inf>", "spike times, or +inf for no spike")
        return t

    # ------------------------------------------------------------------ forward
    def forward(self, input_times):
        """Spike times of the hidden and output layers for each row of ``input_times``.

        Parameters
        ----------
        input_times : array (n_samples, n_inputs)
            Input spike times (s); ``inf`` for an input that does not fire.

        Returns
        -------
        hidden_times : ndarray (n_samples, n_hidden), or (n_samples, n_hidden, max_spikes)
            with ``multi_spike`` (all spikes ascending, ``inf`` padded)
        output_times : ndarray (n_samples, n_outputs)
            Exact first-crossing times (s); ``inf`` for a neuron silent until ``t_max``.
        """
        x = self._check_times("input_times", input_times, self.n_inputs)
        return self._forward(x)

    def _forward(self, x):
        if self.multi_spike:
            h = self._multi_times(x[:, :, None], self.w_hid, self.max_spikes)
            return h, self._multi_times(h, self.w_out, 1)[:, :, 0]
        h = np.empty((x.shape[0], self.n_hidden))
        o = np.empty((x.shape[0], self.n_outputs))
        _k.srm_first_spike(x, self.w_hid, self.delays, self.tau, self.theta, self.t_max, h)
        _k.srm_first_spike(h, self.w_out, self.delays, self.tau, self.theta, self.t_max, o)
        return h, o

    def _multi_times(self, pre, w, n_spikes):
        """Spike times (batch, n_post, n_spikes) of a layer with the refractory kernel."""
        out = np.empty((pre.shape[0], w.shape[0], n_spikes))
        return _k.srm_multi_spike_times(pre, w, self.delays, self.tau, self.tau_refractory,
                                        self.theta, self.t_max, self._step, out)

    def _first_times(self, pre, w):
        """First spike times (batch, n_post); ``pre`` 2-D (one spike each) or 3-D (several)."""
        if pre.ndim == 3:
            return self._multi_times(pre, w, 1)[:, :, 0]
        out = np.empty((pre.shape[0], w.shape[0]))
        return _k.srm_first_spike(pre, w, self.delays, self.tau, self.theta, self.t_max, out)

    # ------------------------------------------------------------------ initialisation
    def _scale_to_median(self, pre, base, target):
        """Scale ``base`` so that the median first-spike time over (samples, neurons) is ``target``.

        Bisection on the scale to a relative precision of 1e-3 (the median is a heuristic
        target; finer precision only costs forward passes), on at most ``_INIT_ROWS`` evenly
        strided samples (all of them for small data sets).
        """
        if pre.shape[0] > _INIT_ROWS:
            pre = pre[::-(-pre.shape[0] // _INIT_ROWS)]

        def median_time(scale):
            return np.median(self._first_times(pre, base * scale))   # inf: later than all

        lo, hi = 0.0, 1.0
        while median_time(hi) > target:    # grow until early enough
            lo, hi = hi, hi * 4.0
            if hi > 1e12:
                raise RuntimeError("SpikeProp initialisation: no weight scale makes the neurons "
                                   "fire before t_max = %g s; check the input spike times" % self.t_max)
        for _ in range(60):
            if hi - lo <= 1e-3 * hi:
                break
            mid = 0.5 * (lo + hi)
            if median_time(mid) > target:
                lo = mid
            else:
                hi = mid
        return base * hi

    def initialize(self, input_times, target_times=None):
        r"""Random weights, scaled so that the neurons fire inside the window on these inputs.

        Bohte et al. (2002) only require that the initial weights make every neuron fire.
        Here the magnitudes are drawn uniform on [0, 1) (times the neuron's sign) and each
        layer is scaled by one factor, found by bisection (to 0.1 %, on at most 512 evenly
        strided samples), so that the median spike time over the samples and the layer's
        neurons is: for the hidden layer, the median over
        samples of the mean input spike time plus ``tau``; for the output layer, the median of
        ``target_times`` (or the hidden median plus ``tau`` without targets).

        Parameters
        ----------
        input_times : array (n_samples, n_inputs)
            Training input spike times (s), ``inf`` for no spike.
        target_times : array (n_samples, n_outputs), optional
            Desired output spike times (s).
        """
        x = self._check_times("input_times", input_times, self.n_inputs)
        m = self.delays.size
        sign_h = self._init_sign_hid.astype(np.float64)
        base_hid = self._rng.random((self.n_hidden, self.n_inputs, m))
        base_out = self._rng.random((self.n_outputs, self.n_hidden, m)) * sign_h[None, :, None]
        fin = np.where(np.isfinite(x), x, np.nan)
        with np.errstate(all="ignore"):
            mean_in = np.nanmean(fin, axis=1)
        if np.all(np.isnan(mean_in)):
            _validate.fail("input_times", "<no input spike at all>", "at least one finite input spike time")
        hid_target = float(np.nanmedian(mean_in)) + self.tau
        self.w_hid = self._scale_to_median(x, base_hid, min(hid_target, 0.5 * self.t_max))
        h_all = self._forward(x)[0]
        h = h_all[:, :, 0] if self.multi_spike else h_all
        if target_times is not None:
            y = self._check_times("target_times", target_times, self.n_outputs)
            out_target = float(np.median(y))
        else:
            out_target = float(np.median(h[np.isfinite(h)])) + self.tau
        self.w_out = self._scale_to_median(h_all, base_out, min(out_target, 0.9 * self.t_max))
        return self

    # ------------------------------------------------------------------ learning
    def gradients(self, input_times, target_times):
        """Error and exact gradients for a batch (Bohte et al. 2002).

        Returns
        -------
        error : float
            ``E = 1/2 sum_n sum_j (t_j^a - t_j^d)^2`` over the batch (s^2; a silent output
            counts as firing at ``t_max``).
        grad_hid : ndarray (n_hidden, n_inputs, m)
        grad_out : ndarray (n_outputs, n_hidden, m)
            ``dE/dw``; the SpikeProp update is ``w <- w - eta * grad``.
        """
        x = self._check_times("input_times", input_times, self.n_inputs)
        y = self._check_times("target_times", target_times, self.n_outputs)
        if y.shape[0] != x.shape[0]:
            _validate.fail("target_times", "<%d rows>" % y.shape[0], "one row per input row (%d)" % x.shape[0])
        h, o = self._forward(x)
        gh = np.empty_like(self.w_hid)
        go = np.empty_like(self.w_out)
        if self.multi_spike:
            err = _k.spikeprop_multi_gradients(x[:, :, None], h, o, y, self.w_hid, self.w_out,
                                               self.delays, self.tau, self.tau_refractory,
                                               self.theta, self.t_max, self.min_slope, gh, go)
            return err, gh, go
        err = _k.spikeprop_gradients(x, h, o, y, self.w_hid, self.w_out, self.delays, self.tau,
                                     self.t_max, self.min_slope, gh, go)
        return err, gh, go

    def train_epoch(self, input_times, target_times, learning_rate, order=None):
        """One epoch of online SpikeProp over the rows in ``order`` (default: a random order).

        Returns the epoch's error ``E`` (s^2), each pattern's error measured just before its
        own update.
        """
        x = self._check_times("input_times", input_times, self.n_inputs)
        y = self._check_times("target_times", target_times, self.n_outputs)
        if y.shape[0] != x.shape[0]:
            _validate.fail("target_times", "<%d rows>" % y.shape[0], "one row per input row (%d)" % x.shape[0])
        eta = _validate.positive("learning_rate", learning_rate, "1/s^2")
        return self._train_epoch(x, y, eta, order)

    def _train_epoch(self, x, y, eta, order=None):
        if order is None:
            order = self._rng.permutation(x.shape[0])
        order = np.ascontiguousarray(order, dtype=np.int64)
        if self.multi_spike:
            err, fired = self._train_epoch_multi(x, y, eta, order)
        else:
            h = np.empty((x.shape[0], self.n_hidden))
            o = np.empty((x.shape[0], self.n_outputs))
            err = float(_k.spikeprop_train_epoch(x, y, order, self.w_hid, self.w_out, self.sign_in,
                                                 self.sign_hid, self.delays, self.tau, self.theta,
                                                 self.t_max, eta, self.min_slope, h, o))
            fired = np.isfinite(h[order]).any(axis=0)
        self._revive(fired)
        return err

    def _revive(self, fired):
        """Raise the incoming weights of hidden neurons silent for the whole epoch (``revive_silent``)."""
        silent = np.flatnonzero(~fired)
        self.revived_ = silent if self.revive_silent > 0 else silent[:0]
        for i in self.revived_:
            size = np.mean(np.abs(self.w_hid[i]))
            if size == 0.0:
                size = np.mean(np.abs(self.w_hid))
            self.w_hid[i] += self.revive_silent * size

    def _train_epoch_multi(self, x, y, eta, order):
        """Online multi-spike SpikeProp: per sample forward, gradient, ``w -= eta grad``, sign clip.

        Returns the epoch's error and which hidden neurons fired at least once."""
        gh = np.empty_like(self.w_hid)
        go = np.empty_like(self.w_out)
        err = 0.0
        fired = np.zeros(self.n_hidden, bool)
        for n in order:
            xn = x[n:n + 1]
            h, o = self._forward(xn)
            fired |= np.isfinite(h[0, :, 0])
            err += _k.spikeprop_multi_gradients(xn[:, :, None], h, o, y[n:n + 1], self.w_hid,
                                                self.w_out, self.delays, self.tau,
                                                self.tau_refractory, self.theta, self.t_max,
                                                self.min_slope, gh, go)
            self.w_out -= eta * go
            self.w_hid -= eta * gh
            for w, sign in ((self.w_out, self.sign_hid), (self.w_hid, self.sign_in)):
                w[:, sign > 0, :] = np.maximum(w[:, sign > 0, :], 0.0)
                w[:, sign < 0, :] = np.minimum(w[:, sign < 0, :], 0.0)
        return float(err), fired

    def fit(self, input_times, target_times, *, learning_rate=1e4, epochs=1000, tol=None,
            initialize=True, verbose=False):
        """Train on spike-time targets; return the per-epoch error history (s^2).

        Parameters
        ----------
        input_times : array (n_samples, n_inputs)
            Input spike times (s), ``inf`` for no spike.
        target_times : array (n_samples, n_outputs)
            Desired output spike times ``t^d`` (s).
        learning_rate : float
            ``eta`` in s^-2 (default 1e4 s^-2 = Bohte's 0.01 ms^-2).
        epochs : int
            Maximum number of passes over the data (online updates, shuffled each epoch).
        tol : float, optional
            Stop once the sum of squared errors ``sum (t^a - t^d)^2`` of a full forward pass
            after an epoch is below ``tol`` (s^2).
        initialize : bool
            Draw fresh weights with :meth:`initialize` first.
        verbose : bool
            Show a tqdm progress bar.

        Returns
        -------
        history : ndarray
            The SSE ``sum_n sum_j (t^a - t^d)^2`` after each epoch (s^2, silent = ``t_max``).
        """
        x = self._check_times("input_times", input_times, self.n_inputs)
        y = self._check_times("target_times", target_times, self.n_outputs)
        if y.shape[0] != x.shape[0]:
            _validate.fail("target_times", "<%d rows>" % y.shape[0], "one row per input row (%d)" % x.shape[0])
        eta = _validate.positive("learning_rate", learning_rate, "1/s^2")
        epochs = _validate.integer("epochs", epochs, low=1)
        if tol is not None:
            tol = _validate.positive("tol", tol, "s^2")
        if initialize:
            self.initialize(x, y)
        history = []
        bar = _progress(epochs, verbose, "SpikeProp")
        for _ in range(epochs):
            self._train_epoch(x, y, eta)
            sse = self.sse(x, y)
            history.append(sse)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(sse_ms2="%.4g" % (sse * 1e6))
            if tol is not None and sse < tol:
                break
        if bar is not None:
            bar.close()
        return np.array(history)

    def sse(self, input_times, target_times):
        """Sum of squared spike-time errors ``sum_n sum_j (t_j^a - t_j^d)^2`` (s^2), silent = t_max."""
        x = self._check_times("input_times", input_times, self.n_inputs)
        y = self._check_times("target_times", target_times, self.n_outputs)
        if y.shape[0] != x.shape[0]:
            _validate.fail("target_times", "<%d rows>" % y.shape[0], "one row per input row (%d)" % x.shape[0])
        _, o = self._forward(x)
        o = np.where(np.isfinite(o), o, self.t_max)
        return float(np.sum((o - y) ** 2))


def _progress(total, verbose, desc):
    if not verbose:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="epoch")
