"""Values of the ``conv2d`` scene: a single-channel convolution, step by step."""

from __future__ import annotations

import numpy as np

from ..config import ConvParams
from ..shapes import Layer, receptive_field
from ..trace import conv2d_trace
from . import SceneValues, given_or_seeded


def conv_inputs(p: ConvParams) -> tuple[np.ndarray, np.ndarray]:
    """The input and kernel of a conv scene: as configured, or small seeded integers."""
    x = given_or_seeded(p.input, p.seed, (p.size, p.size), 0, 3)
    w = given_or_seeded(p.kernel, p.seed + 1, (p.kernel_size, p.kernel_size), -1, 1)
    return x, w


def compute(p: ConvParams) -> SceneValues:
    x, w = conv_inputs(p)
    trace = conv2d_trace(x, w, stride=p.stride, padding=p.padding, dilation=p.dilation, bias=p.bias)
    field = receptive_field([Layer(kernel_size=w.shape[0], stride=p.stride, padding=p.padding,
                                   dilation=p.dilation)])[0]
    arrays = {"input": x, "kernel": w, "bias": p.bias, "output": trace.output,
              "products": [s.products for s in trace.steps], "sums": [s.total for s in trace.steps],
              "receptive_field_size": field.size}
    return SceneValues(arrays, {"trace": trace, "field": field})
