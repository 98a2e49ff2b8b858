"""Values of the ``dilated`` scene: a kernel with holes, its effective size and the field it buys."""

from __future__ import annotations

from ..config import DilatedParams
from ..shapes import Layer, receptive_field
from ..trace import conv2d_trace
from . import SceneValues
from .conv2d import conv_inputs


def compute(p: DilatedParams) -> SceneValues:
    x, w = conv_inputs(p)
    trace = conv2d_trace(x, w, stride=p.stride, padding=p.padding, dilation=p.dilation, bias=p.bias)
    k, r = w.shape[0], p.dilation
    effective = k + (k - 1) * (r - 1)
    field = receptive_field([Layer(kernel_size=k, stride=p.stride, padding=p.padding, dilation=r)])[0].size
    assert field == effective == trace.dilated_kernel.shape[0]
    rates = list(range(1, max(3, r) + 1))
    table = [[rate, k + (k - 1) * (rate - 1), w.size, (k + (k - 1) * (rate - 1)) ** 2] for rate in rates]
    arrays = {"input": x, "kernel": w, "bias": p.bias, "dilation": r, "dilated_kernel": trace.dilated_kernel,
              "footprint": trace.footprint.astype(int), "output": trace.output,
              "products": [s.products for s in trace.steps], "sums": [s.total for s in trace.steps],
              "effective_size": effective, "receptive_field_size": field,
              "effective_terms": [k, k - 1, r - 1, effective],  # k + (k - 1)(r - 1) as written on screen
              "weights": w.size, "dense_weights": effective ** 2,
              "table": table}  # rows: dilation rate, effective size, weights, weights of a dense kernel that size
    return SceneValues(arrays, {"trace": trace})
