"""Values of the ``pooling`` scene: max and mean pooling window by window (the max's cell marked), the output
size, and a one-cell shift of the input against which the max-pooled output barely moves."""

from __future__ import annotations

import numpy as np

from ..config import PoolingParams
from ..shapes import pool_output_size
from ..trace import PoolTrace, avg_pool2d_trace, max_pool2d_trace
from . import SceneValues, fmt


def pooling_input(p: PoolingParams) -> np.ndarray:
    """The input as configured, or a seeded one: small background values with one larger value (a
    "feature") at a random place in each pooling window, as on a feature map after a convolution."""
    if p.input is not None:
        return np.asarray(p.input, float)
    n, k = p.input_size, p.size
    rng = np.random.default_rng(p.seed)
    x = rng.integers(0, 4, size=(n, n)).astype(float)
    s = p.stride or k
    for i in range(0, n - k + 1, s):
        for j in range(0, n - k + 1, s):
            u, v = rng.integers(0, k, size=2)
            x[i + u, j + v] = rng.integers(5, 10)
    return x


def shift_right(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The input moved one cell to the right: the last column leaves, a column of zeros enters (marked)."""
    shifted = np.zeros_like(x)
    shifted[:, 1:] = x[:, :-1]
    entered = np.zeros(x.shape, bool)
    entered[:, 0] = True
    return shifted, entered


def _step_texts(trace: PoolTrace) -> list[str]:
    if trace.mode == "max":
        return [f"max({', '.join(fmt(v) for v in s.patch.ravel())}) = {fmt(s.value)}" for s in trace.steps]
    return [f"({' + '.join(fmt(v) for v in s.patch.ravel())}) / {s.divisor} = {fmt(s.value)}" for s in trace.steps]


def compute(p: PoolingParams) -> SceneValues:
    x = pooling_input(p)
    traces = {"max": max_pool2d_trace(x, p.size, stride=p.stride), "avg": avg_pool2d_trace(x, p.size, stride=p.stride)}
    order = [p.mode, "avg" if p.mode == "max" else "max"]
    s = p.stride or p.size
    sizes = [pool_output_size(n, p.size, stride=p.stride) for n in x.shape]
    shifted, entered = shift_right(x)
    shifted_out = {"max": max_pool2d_trace(shifted, p.size, stride=p.stride).output,
                   "avg": avg_pool2d_trace(shifted, p.size, stride=p.stride).output}
    unchanged = {m: np.isclose(traces[m].output, shifted_out[m], rtol=0, atol=1e-12) for m in traces}
    input_changed = ~np.isclose(x, shifted, rtol=0, atol=1e-12)
    n_out, n_in = int(unchanged["max"].size), int(x.size)
    arrays = {
        # window scenes name their arrays alike (README, "The numbers beside each clip"): the configured mode's
        # output is `output`, both modes' under `outputs`
        "input": x, "order": order, "kernel_size": p.size, "stride": s, "output": traces[p.mode].output,
        "outputs": {m: traces[m].output for m in ("max", "avg")},
        "argmax": [list(st.argmax) for st in traces["max"].steps],
        "avg_sums": [float(st.patch.sum()) for st in traces["avg"].steps],
        "avg_divisors": [st.divisor for st in traces["avg"].steps],
        "output_size": sizes, "output_size_terms": [[n, p.size, s] for n in x.shape],
        "shifted_input": shifted, "shifted_max_output": shifted_out["max"], "shifted_avg_output": shifted_out["avg"],
        "input_changed": input_changed, "input_changed_count": int(input_changed.sum()), "input_cells": n_in,
        "max_unchanged": unchanged["max"], "max_unchanged_count": int(unchanged["max"].sum()),
        "avg_unchanged": unchanged["avg"], "avg_unchanged_count": int(unchanged["avg"].sum()), "output_cells": n_out,
    }
    rows, cols = ([f"⌊({n} − {p.size}) / {s}⌋ + 1 = {o}" for n, o in zip(x.shape, sizes)])
    data = {
        "traces": traces, "order": order, "step_text": {m: _step_texts(t) for m, t in traces.items()},
        "entered": entered, "size_text": rows if x.shape[0] == x.shape[1] else f"{rows};  {cols}",
        "shape_text": f"{x.shape[0]}×{x.shape[1]} → {sizes[0]}×{sizes[1]}",
        "counts": {"input": (int(input_changed.sum()), n_in), "max": (int(unchanged["max"].sum()), n_out),
                   "avg": (int(unchanged["avg"].sum()), n_out)},
    }
    return SceneValues(arrays, data)
