"""Values of the ``conv1d`` scene: a kernel sliding along a row, and the course's signal-convolution mapping.

The course writes signal convolution as ``y[n] = Σ_k g[k]·x[n−k]``; what a CNN calls convolution is
cross-correlation with ``w``, ``a_n = Σ_u w_u·x_{n+u−1}``. The two agree when ``g`` is ``w`` flipped onto the
indices ``1−c … 0``: ``g[−j] = w_{j+1}`` (for c = 3: ``g[−2] = w₃, g[−1] = w₂, g[0] = w₁``). The scene shows that
mapping and the sum for the first output on its own numbers; every number is here.
"""

from __future__ import annotations

import numpy as np

from ..config import Conv1dParams
from ..trace import conv1d_trace
from . import SceneValues, given_or_seeded

__all__ = ["compute", "signal_convolution"]


def signal_convolution(x: np.ndarray, g: dict[int, float], n: int) -> tuple[float, list[dict[str, float]]]:
    """``y[n] = Σ_k g[k]·x[n−k]`` with ``x`` indexed from 1, as the course writes it: the value and its terms
    (``k``, ``g[k]``, the index ``n−k`` and ``x[n−k]``), in the order of ``k``; terms outside ``x`` are none."""
    terms = [{"k": k, "g": g[k], "x_index": n - k, "x": float(x[n - k - 1])}
             for k in sorted(g) if 1 <= n - k <= len(x)]
    return float(sum(t["g"] * t["x"] for t in terms)), terms


def compute(p: Conv1dParams) -> SceneValues:
    x = given_or_seeded(p.input, p.seed, (p.length,), 0, 3)
    w = given_or_seeded(p.kernel, p.seed + 1, (p.kernel_size,), -1, 1)
    trace = conv1d_trace(x, w)  # what deep learning libraries compute: cross-correlation
    c = len(w)
    flipped = w[::-1].copy()
    # the course's mapping: g[-j] = w_{j+1}, j = 0 … c-1 (indices and the w subscript each takes)
    g_index = list(range(1 - c, 1))
    g_from = [1 - k for k in g_index]  # g[k] = w_{1-k}
    g = {k: float(w[u - 1]) for k, u in zip(g_index, g_from)}
    # y[1] … y[m], each from its own sum over k (not from the trace); with g on the indices 1-c … 0, y[n] reads
    # x[n] … x[n+c-1], the window of a_n
    signal, worked = [], []
    for n in range(1, len(x) - c + 2):
        value, terms = signal_convolution(x, g, n)
        signal.append(value)
        if n == 1:
            worked = terms
    # signal convolution of x with w itself, (x * w)[n] = Σ_m x[m] w[n-m]: cross-correlation with the flipped w
    convolution = conv1d_trace(x, flipped)
    arrays = {"input": x, "kernel": w, "output": trace.output,
              "patches": [s.patch for s in trace.steps], "products": [s.products for s in trace.steps],
              "sums": [s.total for s in trace.steps],
              "flipped_kernel": flipped, "convolution": convolution.output,
              "signal_kernel": [g[k] for k in g_index],  # g[1-c] … g[0]: w flipped
              "signal_index": g_index, "signal_from": g_from,  # g[signal_index[i]] = w_{signal_from[i]}
              "signal_output": signal,  # y[1] … y[m] by the course's sum; equal to a_1 … a_m
              "signal_worked": worked}  # the terms of y[1], in the order of k
    return SceneValues(arrays, {"trace": trace, "convolution": convolution})
