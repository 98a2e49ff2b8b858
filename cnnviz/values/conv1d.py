"""Values of the ``conv1d`` scene: a kernel sliding along a row, and the flipped kernel of signal convolution."""

from __future__ import annotations

from ..config import Conv1dParams
from ..trace import conv1d_trace
from . import SceneValues, given_or_seeded


def compute(p: Conv1dParams) -> SceneValues:
    x = given_or_seeded(p.input, p.seed, (p.length,), 0, 3)
    w = given_or_seeded(p.kernel, p.seed + 1, (p.kernel_size,), -1, 1)
    trace = conv1d_trace(x, w)  # what deep learning libraries compute: cross-correlation
    flipped = w[::-1].copy()
    # signal convolution (f * g)[n] = sum_m f[m] g[n-m] is cross-correlation with the flipped kernel
    convolution = conv1d_trace(x, flipped)
    arrays = {"input": x, "kernel": w, "output": trace.output,
              "patches": [s.patch for s in trace.steps], "products": [s.products for s in trace.steps],
              "sums": [s.total for s in trace.steps],
              "flipped_kernel": flipped, "convolution": convolution.output}
    return SceneValues(arrays, {"trace": trace, "convolution": convolution})
