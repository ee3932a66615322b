r"""Prescribed Error Sensitivity (PES): online learning of decoders or weights (MacNeil & Eliasmith 2011).

For a connection from :math:`n` presynaptic neurons with filtered activities :math:`a_i`
(Hz), learning rate :math:`\kappa` and error :math:`E = \hat{y} - y` (actual minus target, in
the connection's output space), every time step changes

.. math::
    \Delta d_{ji} &= -\frac{\kappa\,dt}{n}\,E_j\,a_i  \qquad\text{(decoders, rows: output dims)}\\
    \Delta \omega_{ji} &= -\frac{\kappa\,dt}{n}\,\alpha_j\,(e_j\cdot E)/r\;a_i
    \qquad\text{(weights onto neuron } j\text{)}

with the postsynaptic gain :math:`\alpha_j`, encoder :math:`e_j` and radius :math:`r`. The
factor :math:`dt` makes the change per second independent of the step; :math:`1/n` makes
:math:`\kappa` independent of the population size. The presynaptic activities are low-pass
filtered (``pre_synapse``, default :math:`\tau = 5` ms), the convention of Nengo
(Bekolay et al. 2014). This is the delta rule (Widrow & Hoff 1960) on the NEF's decoders.
"""
import numpy as np

from spikecore import _validate
from spikecore.kernels import nef as _kernels


class PES:
    r"""PES learning rule for a connection (pass as ``learning_rule=PES(...)``).

    Parameters
    ----------
    learning_rate : float
        :math:`\kappa` (>= 0; Nengo's default 1e-4).
    pre_synapse : float or None
        Time constant (s) of the low-pass filter on the presynaptic activities; None for
        no filter.

    Notes
    -----
    After the rule is attached to a connection, ``rule.connection`` is set and the rule is a
    valid target of ``Network.connect(error_source, rule)``: whatever arrives there is the
    error :math:`E` (connect actual with +1 and target with -1).
    """

    def __init__(self, learning_rate=1e-4, pre_synapse=0.005):
        self.learning_rate = _validate.nonnegative("learning_rate", learning_rate)
        if learning_rate >= 1.0:
            _validate.fail("learning_rate", learning_rate,
                           "a rate < 1 (the rate is scaled by dt/n per step; 1e-4 to 1e-2 is typical)")
        self.pre_synapse = None if pre_synapse is None else _validate.nonnegative("pre_synapse", pre_synapse, "s")
        self.connection = None

    @property
    def size(self):
        """Dimension of the error this rule expects."""
        if self.connection is None:
            return None
        return self.connection.error_dimensions

    def __repr__(self):
        return "PES(learning_rate=%r, pre_synapse=%r)" % (self.learning_rate, self.pre_synapse)


def pes_delta(pre_filtered, error, learning_rate, dt):
    r"""One PES step: :math:`\Delta\omega = -\frac{\kappa\,dt}{n}\,E\,a^\top` (MacNeil & Eliasmith 2011).

    Parameters
    ----------
    pre_filtered : array (n,)
        Filtered presynaptic activities :math:`a` (Hz).
    error : array (m,)
        Error :math:`E` (actual − target), or the per-neuron error of :func:`local_error`.
    learning_rate : float
        :math:`\kappa`.
    dt : float
        Time step (s).

    Returns
    -------
    float64 ndarray (m, n)
    """
    a = _validate.array("pre_filtered", pre_filtered, ndim=1, finite=True, dtype=np.float64)
    e = _validate.array("error", error, ndim=1, finite=True, dtype=np.float64)
    out = np.empty((e.shape[0], a.shape[0]))
    _kernels.pes_delta(a, e, _validate.nonnegative("learning_rate", learning_rate),
                       _validate.positive("dt", dt, "s"), out)
    return out


def local_error(scaled_encoders, error):
    r"""Per-neuron error :math:`E_j = \alpha_j (e_j \cdot E)/r` for PES on weights.

    Parameters
    ----------
    scaled_encoders : array (n_post, d)
        :math:`\alpha_j e_j / r` of the postsynaptic ensemble (``Ensemble.scaled_encoders``).
    error : array (d,)
        Decoded-space error.

    Returns
    -------
    float64 ndarray (n_post,)
    """
    enc = _validate.array("scaled_encoders", scaled_encoders, ndim=2, finite=True, dtype=np.float64)
    e = _validate.array("error", error, shape=(enc.shape[1],), finite=True, dtype=np.float64)
    out = np.empty(enc.shape[0])
    _kernels.pes_local_error(enc, e, out)
    return out
