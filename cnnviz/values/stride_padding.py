"""Values of the ``stride_padding`` scene: output sizes from ``floor((n + 2p - c) / s) + 1``, and one strided,
padded convolution step by step."""

from __future__ import annotations

import numpy as np

from ..config import StridePaddingParams
from ..shapes import conv_output_size
from ..trace import conv2d_trace
from . import SceneValues, fmt
from .conv2d import conv_inputs


def size_terms(n: int, c: int, p: int, s: int) -> dict[str, float]:
    """Every term of the output-size formula, as shown while it is evaluated."""
    numerator = n + 2 * p - c
    m = conv_output_size(n, c, stride=s, padding=p)
    return {"n": n, "c": c, "p": p, "s": s, "numerator": numerator, "quotient": numerator / s,
            "floor": numerator // s, "m": m, "padded": n + 2 * p}


def size_tex(t: dict[str, float]) -> str:
    """The formula with the numbers put in, in LaTeX (the floor brackets only where the stride divides)."""
    # (…)/s on one line, as every scene writes the size law: a fraction's small numerals would be under 16 px
    frac = rf"({fmt(t['n'])} + 2\cdot {fmt(t['p'])} - {fmt(t['c'])})/{fmt(t['s'])}"
    if t["s"] == 1:
        return rf"{frac} + 1 = {fmt(t['m'])}"
    return (rf"\left\lfloor {frac} \right\rfloor + 1 = \lfloor {fmt(t['quotient'])} \rfloor + 1 = "
            rf"{fmt(t['m'])}")


def compute(p: StridePaddingParams) -> SceneValues:
    x, w = conv_inputs(p)
    trace = conv2d_trace(x, w, stride=p.stride, padding=p.padding, bias=p.bias)
    rows, cols = x.shape
    terms = {"rows": size_terms(rows, w.shape[0], p.padding, p.stride),
             "cols": size_terms(cols, w.shape[1], p.padding, p.stride)}
    touched = np.zeros(trace.padded_input.shape, bool)
    for step in trace.steps:
        for cell in step.cells:
            touched[cell] = True
    dropped_rows = [i for i in range(touched.shape[0]) if not touched[i].any()]
    dropped_cols = [j for j in range(touched.shape[1]) if not touched[:, j].any()]
    n, c = cols, w.shape[1]
    kinds = {"narrow": 0, "wide": c - 1}
    if c % 2 == 1:
        kinds["same"] = (c - 1) // 2  # only an odd kernel pads both sides equally to keep the size
    variants = {}
    for name, pad in kinds.items():
        t = size_terms(n, c, pad, 1)
        variants[name] = {**t, "padding_mask": [pad > j or j >= pad + n for j in range(n + 2 * pad)]}
    arrays = {"input": x, "kernel": w, "bias": p.bias, "stride": p.stride, "padding": p.padding,
              "padded_input": trace.padded_input, "output": trace.output, "sums": [s.total for s in trace.steps],
              "size_terms": terms, "dropped_rows": dropped_rows, "dropped_cols": dropped_cols,
              "variants": variants}
    tex = {"cols": size_tex(terms["cols"]), **{k: size_tex(v) for k, v in variants.items()}}
    return SceneValues(arrays, {"trace": trace, "tex": tex})
