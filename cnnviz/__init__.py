"""cnnviz: the computation core of the CNN lecture videos. Numpy in, numpy out, checked against PyTorch.

This package never imports manim: scenes read values and step traces from it and draw them.
"""

from .ops import avg_pool2d, conv1d, conv2d, conv_transpose2d, max_pool2d
from .shapes import Layer, ReceptiveField, conv_output_size, conv_transpose_output_size, pool_output_size, receptive_field

__all__ = [
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
