"""Plasticity rules, trainers and their scikit-learn-style estimators (no autograd).

Each trainer lives in a small module of its own; the public names are re-exported here.
"""
from spikecore.learning.surrogates import (  # noqa: F401
    DEFAULT_ALPHA, SURROGATE_CODES, surrogate_grad, surrogate_primitive,
)
from spikecore.learning.losses import cross_entropy, mse_count, softmax  # noqa: F401
from spikecore.learning.optimizers import SGD, Adam  # noqa: F401
from spikecore.learning.bptt import (  # noqa: F401
    DenseLIF, LeakyReadout, RecurrentLIF, SpikeCount, SpikingNetwork, build_mlp, lif_parameter_grads,
)
from spikecore.learning.conv import AvgPool2d, Conv2dLIF, Flatten, build_convnet  # noqa: F401
from spikecore.learning.blas_threads import limit_blas_threads  # noqa: F401
from spikecore.learning.base import BaseEstimator, ClassifierMixin, NotFittedError, RegressorMixin  # noqa: F401
from spikecore.learning.estimators_bptt import SurrogateGradientClassifier  # noqa: F401
from spikecore.learning.srm_network import SpikePropNetwork  # noqa: F401
from spikecore.learning.spikeprop import SpikePropClassifier, gaussian_receptive_fields  # noqa: F401
from spikecore.learning.bpstdp import BPSTDPClassifier, bpstdp_mse, regular_with_lags  # noqa: F401
from spikecore.learning.pes import PESClassifier, PESRegressor  # noqa: F401
from spikecore.learning.lsm import LiquidStateMachine  # noqa: F401
from spikecore.learning.resume import (  # noqa: F401
    ReSuMe, ReSuMeClassifier, SequenceHistory, resume_delta, sequence_task,
)
from spikecore.learning.stdp import (  # noqa: F401
    BCM, ExponentialSTDP, PairSTDP, PlasticityRule, PlasticSynapses, PrePostTraceSTDP,
    PresynapticTraceSTDP, RewardModulatedSTDP, TripletSTDP, stdp_window,
)
from spikecore.learning.homeostasis import (  # noqa: F401
    AdaptiveThreshold, LateralInhibition, normalize_incoming, normalize_incoming_csr,
)
from spikecore.learning.diehl_cook import CompetitiveLayer, DiehlCookClassifier  # noqa: F401
