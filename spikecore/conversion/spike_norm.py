r"""Spike-Norm: threshold balancing in the spiking domain (Sengupta, Ye, Wang, Liu & Roy, 2019,
"Going deeper in spiking neural networks: VGG and residual architectures", Front. Neurosci. 13:95,
Algorithm 1).

The layers are balanced one after the other. When layer :math:`l` is balanced, layers
:math:`1..l-1` already run as spiking layers with their final thresholds; the calibration inputs
are presented for :math:`T` steps and the threshold of layer :math:`l` is the largest input current
any of its neurons receives in any single step:

.. math:: V_{\mathrm{th},l} = \max_{n,\,t,\,j} \Big(\sum_i w_{ji}\, s^{(n)}_{l-1,i}[t] + b_j\Big)

with :math:`s^{(n)}_{l-1}[t]` the spikes of layer :math:`l-1` (the input spikes, or the analog
input, for :math:`l = 1`) at step :math:`t` for calibration sample :math:`n`, and :math:`w, b` the
ANN's weights acting on those spikes.

In the normalised form used by :func:`spikecore.conversion.convert` (threshold 1,
:math:`W_l \leftarrow W_l \lambda_{l-1}/\lambda_l`, :math:`b_l \leftarrow b_l/\lambda_l`) this is the
scale

.. math:: \lambda_l = \max_{n,t,j}\big(\lambda_{l-1} (W_l\, s^{(n)}_{l-1}[t])_j + b_{l,j}\big)
          = \lambda_{l-1} V_{\mathrm{th},l}

(a spike of layer :math:`l-1` stands for an activation :math:`\lambda_{l-1}`, so the ANN weight
acting on it is :math:`\lambda_{l-1} W_l`; :math:`\lambda_0` is 1 for analog input and
:math:`x_{\max}` for Poisson input). The original paper's networks have no biases; here the bias
counts in the per-step current, which is what the neuron integrates.

Residual networks (the paper's Section 2.3): the layer after a junction receives the spikes of
both paths in the same step, and its threshold is the largest per-step current of the two
together, :math:`\max\big(\lambda_{l-1}(W_l s_{l-1}[t]) + \lambda_j (W_s s_j[t]) + b\big)` with
:math:`s_j` the spikes of the shortcut's source layer (one threshold at the junction, as the paper
requires).
"""
import numpy as np

from spikecore import _validate as V

from .blocks import scale_synapses
from .spiking import SpikingModel

__all__ = ["spike_norm_lambdas"]


def spike_norm_lambdas(blocks, pre, input_shape, X, *, lam_in, reset, input_coding, x_max, timesteps,
                       random_state=0, batch_size=256):
    r"""Normalisation factors :math:`\lambda_l` of the hidden blocks by Spike-Norm (module docstring).

    Parameters
    ----------
    blocks : list of Block
        The ANN's blocks (not modified).
    pre : list
        Input preprocessing applied before the first block (analog input).
    input_shape : tuple
        Per-sample input shape of the network.
    X : float32 array (n, *input_shape)
        Calibration inputs.
    lam_in : float
        :math:`\lambda_0`: 1 for analog input, :math:`x_{\max}` for Poisson input.
    reset : {"zero", "subtract"}
        Reset of the already balanced layers while they run.
    input_coding : {"analog", "poisson"}
    x_max : float or None
        Full-scale Poisson input.
    timesteps : int
        :math:`T`, steps per calibration sample.
    random_state : None, int or Generator
        Seed of the Poisson input (one generator for the whole balancing: same seed, same
        thresholds).
    batch_size : int

    Returns
    -------
    list of float
        :math:`\lambda_l` for every hidden block (all but the last).
    """
    T = V.integer("calibration_timesteps", timesteps, low=1)
    gen = V.rng(random_state)
    balanced = []
    scale = [float(lam_in)]  # scale[s + 1] = lambda_s, what a spike of block s stands for
    for i, b in enumerate(blocks[:-1]):
        # the ANN weights acting on the spikes of the blocks it reads (each stands for its lambda)
        balanced.append(b.copy())
        scale_synapses(balanced, i, scale)
        net = SpikingModel(balanced, pre, input_shape=input_shape, method="spike-norm", reset=reset,
                           input_coding=input_coding, shift=False, x_max=x_max, lambdas=None,
                           normalization="spike")
        lam = float(net.max_input_current(X, T, batch_size=batch_size, random_state=gen).max())
        lam = lam if lam > 0 else 1.0
        done = b.copy()
        balanced[i] = done
        scale_synapses(balanced, i, scale, lam)
        done.layer.bias /= np.float32(lam)
        scale.append(lam)
    return scale[1:]
