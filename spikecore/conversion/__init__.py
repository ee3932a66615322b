"""ANN -> SNN conversion (issue 12): NumPy ANNs with hand-written backpropagation, ONNX import,
conversion by the published normalisation methods and temporal switch coding, and reports of
accuracy, latency and operations.

* :mod:`.layers`, :mod:`.ann` -- ``Sequential``, ``mlp``, ``small_cnn``, ``small_resnet`` and the layers;
* :mod:`.convert` -- ``convert(model, calibration_data, method=...)`` (the method table);
* :mod:`.spiking` -- ``SpikingModel`` (``predict``, ``score``, ``operations``, ``report``);
* :mod:`.onnx_import` -- ``load_onnx(path)`` (needs the optional ``onnx`` package);
* :mod:`.export` -- ``to_graph(snn, T)``: the converted network as NIR primitives for the NIR
  and Lava/Loihi exporters.
"""
from .ann import Sequential, mlp, small_cnn, small_resnet
from .convert import METHODS, convert
from .layers import (QCFS, AvgPool2D, BatchNorm, ClippedReLU, Concat, Conv2D, Dense, Dropout, Flatten, MaxPool2D,
                     ReLU, Reshape, Residual, Scale, SoftLIF, Softmax, Transpose)
from .spiking import ConversionReport, SpikingModel
from .export import to_graph

__all__ = ["Sequential", "mlp", "small_cnn", "small_resnet", "convert", "METHODS", "SpikingModel",
           "ConversionReport",
           "Dense", "Conv2D", "AvgPool2D", "MaxPool2D", "BatchNorm", "ReLU", "ClippedReLU", "QCFS", "Flatten",
           "Reshape", "Transpose", "Dropout", "Softmax", "Scale", "SoftLIF", "Residual", "Concat", "load_onnx",
           "to_graph"]


def load_onnx(path):
    """Import an ONNX model as a :class:`Sequential` (see :func:`spikecore.conversion.onnx_import.load_onnx`)."""
    from .onnx_import import load_onnx as _load
    return _load(path)
