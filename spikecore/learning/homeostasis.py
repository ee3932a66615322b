r"""Homeostasis and competition for unsupervised spiking networks.

=============================  ==================================================================
:class:`AdaptiveThreshold`     threshold that rises with each spike and relaxes slowly (Diehl & Cook, 2015)
:class:`LateralInhibition`     every spike inhibits the other neurons of the layer: soft winner-take-all
:func:`normalize_incoming`     rescale each neuron's incoming weights to a fixed sum (dense, in place)
:func:`normalize_incoming_csr` the same for CSR weights
=============================  ==================================================================

These are what keep a competitive layer trained by STDP from collapsing onto a few neurons:
the adaptive threshold spreads the winning among neurons, lateral inhibition makes them
compete for each input, and weight normalisation keeps every neuron's total input fixed while
STDP redistributes it.
"""
import math

import numpy as np

from spikecore import _validate as V


class AdaptiveThreshold:
    r"""Adaptive threshold homeostasis (Diehl & Cook, 2015; Zylberberg, Murphy & DeWeese, 2011).

    .. math::
        \tau_\theta \frac{d\theta}{dt} = -\theta, \qquad
        \text{spike: } \theta \leftarrow \theta + \theta_+, \qquad
        \text{spike when } v > v_\mathrm{th} + \theta

    A neuron that fires a lot raises its own threshold :math:`\theta`, so others get to win;
    with :math:`\tau_\theta` far longer than a presentation (Diehl & Cook: :math:`10^7` ms),
    :math:`\theta` integrates a neuron's whole firing history. The neuron dynamics are
    :func:`spikecore.kernels.neurons.adaptive_lif_step`.

    Parameters
    ----------
    theta_plus : float
        Increment :math:`\theta_+ \ge 0` per spike (in units of the threshold).
    tau_theta : float
        Decay time constant :math:`\tau_\theta` (s).
    """

    def __init__(self, theta_plus=0.05, tau_theta=1e4):
        self.theta_plus = V.nonnegative("theta_plus", theta_plus)
        self.tau_theta = V.positive("tau_theta", tau_theta, unit="s")

    def step_params(self, dt):
        r"""``(theta_decay, theta_plus)`` = :math:`(e^{-dt/\tau_\theta}, \theta_+)` for the kernels."""
        dt = V.positive("dt", dt, unit="s")
        return math.exp(-dt / self.tau_theta), self.theta_plus


class LateralInhibition:
    r"""Lateral inhibition within a layer: a soft winner-take-all.

    .. math::
        g_i(t+1) = g_i(t)\, e^{-dt/\tau_\mathrm{inh}} + w_\mathrm{inh} \sum_{k \ne i} s_k(t),
        \qquad I_i(t) \leftarrow I_i(t) - g_i(t)

    Each spike of neuron :math:`k` inhibits every other neuron of the layer by
    :math:`w_\mathrm{inh}` one step later, decaying with :math:`\tau_\mathrm{inh}`. This is
    Diehl & Cook's (2015) excitatory -> inhibitory (one-to-one) -> all-other-excitatory loop with
    the inhibitory neuron as an instantaneous relay; a large :math:`w_\mathrm{inh}` approaches a
    hard winner-take-all (Maass, 2000).

    Parameters
    ----------
    strength : float
        :math:`w_\mathrm{inh} \ge 0`, in units of the threshold.
    tau : float
        :math:`\tau_\mathrm{inh}` (s).
    """

    def __init__(self, strength=1.0, tau=2e-3):
        self.strength = V.nonnegative("strength", strength)
        self.tau = V.positive("tau", tau, unit="s")

    def step_params(self, dt):
        r"""``(w_inh, inh_decay)`` = :math:`(w_\mathrm{inh}, e^{-dt/\tau_\mathrm{inh}})` for the kernels."""
        dt = V.positive("dt", dt, unit="s")
        return self.strength, math.exp(-dt / self.tau)


def normalize_incoming(weights_t, total):
    r"""Scale every postsynaptic neuron's incoming weights to the sum ``total``, in place.

    .. math:: w_{ij} \leftarrow w_{ij}\, \frac{c}{\sum_k w_{ik}}

    (multiplicative normalisation, von der Malsburg, 1973; used before every presentation by
    Diehl & Cook, 2015). Neurons whose incoming weights sum to zero are left unchanged.

    Parameters
    ----------
    weights_t : float array (n_pre, n_post)
        Transposed weights :math:`W^T` (the engine's dense layout), updated in place.
    total : float
        Target sum :math:`c > 0`.
    """
    total = V.positive("total", total)
    if not (isinstance(weights_t, np.ndarray) and weights_t.ndim == 2 and weights_t.dtype.kind == "f"):
        V.fail("weights_t", weights_t, "a 2-D float array (n_pre, n_post)", TypeError)
    sums = weights_t.sum(axis=0, dtype=np.float64)
    scale = np.where(sums > 0, total / np.where(sums > 0, sums, 1.0), 1.0)
    weights_t *= scale.astype(weights_t.dtype)[None, :]


def normalize_incoming_csr(indices, weights, n_post, total):
    r"""CSR version of :func:`normalize_incoming`: :math:`w_{ij} \leftarrow c\, w_{ij} / \sum_k w_{ik}`.

    Parameters
    ----------
    indices : int array (nnz,)
        Postsynaptic neuron of each synapse.
    weights : float array (nnz,)
        Weights, updated in place.
    n_post : int
        Number of postsynaptic neurons.
    total : float
        Target sum :math:`c > 0`.
    """
    total = V.positive("total", total)
    n_post = V.integer("n_post", n_post, low=1)
    sums = np.bincount(indices, weights=weights, minlength=n_post)
    scale = np.where(sums > 0, total / np.where(sums > 0, sums, 1.0), 1.0)
    weights *= scale[indices].astype(weights.dtype)
