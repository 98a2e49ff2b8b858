"""cnnviz: the computation core of the CNN lecture videos. Numpy in, numpy out, checked against PyTorch.

This package never imports manim: scenes read values and step traces from it and draw them.
"""

from .backprop import (
    ConvBackward,
    ConvBackwardTrace,
    PoolBackward,
    activation_backward,
    avg_pool2d_backward,
    conv2d_backward,
    conv2d_backward_trace,
    max_pool2d_backward,
)
from .ops import avg_pool2d, conv1d, conv2d, conv_transpose2d, max_pool2d
from .shapes import (
    Layer,
    ReceptiveField,
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    receptive_field,
)
from .trace import (
    ConvStep,
    ConvTrace,
    PoolStep,
    PoolTrace,
    ScatterStep,
    TraceMismatchError,
    TransposedConvTrace,
    avg_pool2d_trace,
    conv1d_trace,
    conv2d_trace,
    conv_transpose2d_trace,
    max_pool2d_trace,
)

__all__ = [
    "ConvBackward",
    "ConvBackwardTrace",
    "ConvStep",
    "ConvTrace",
    "PoolBackward",
    "PoolStep",
    "PoolTrace",
    "ScatterStep",
    "TraceMismatchError",
    "TransposedConvTrace",
    "activation_backward",
    "avg_pool2d_backward",
    "avg_pool2d_trace",
    "conv1d_trace",
    "conv2d_backward",
    "conv2d_backward_trace",
    "conv2d_trace",
    "conv_transpose2d_trace",
    "max_pool2d_backward",
    "max_pool2d_trace",
    "Layer",
    "ReceptiveField",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_output_size",
    "conv_transpose2d",
    "conv_transpose_output_size",
    "max_pool2d",
    "pool_output_size",
    "receptive_field",
]

_LAZY = {"load_mnist": "cnnviz.mnist.data", "MnistDataError": "cnnviz.mnist.data"}
__all__ += list(_LAZY)


def __getattr__(name: str):
    # MNIST pulls in torch; load it on first use so `import cnnviz` (and the CLI's list/--help) stay light
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")
