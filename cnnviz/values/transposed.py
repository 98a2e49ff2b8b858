"""Values of the ``transposed`` scene: the convolution as a sparse matrix C and the transposed convolution as
C^T; the scatter-add of scaled kernels; the equivalent direct convolution (zeros inserted, padded, kernel
flipped: the fractionally-strided convolution); and a second, "odd" case with ``output_padding = 1``.

Named as in the course: the transposed convolution's input is z (small), its output a (large); the
convolution with the kernel W maps a to z, z = C a, and the transposed convolution maps back, a = Cᵀ z.

The matrix is shown whole: the default (2x2 input, 3x3 kernel, stride 2) gives C of shape 4x25, a single
row of cells across the frame; the config limits inputs to 3x3 and outputs to 9x9, beyond which the
scene draws C's nonzero pattern without its numbers.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..config import TransposedParams
from ..shapes import conv_output_size
from ..trace import TransposedConvTrace, conv_transpose2d_trace
from . import SceneValues, fmt, given_or_seeded


def transposed_inputs(p: TransposedParams) -> tuple[np.ndarray, np.ndarray]:
    x = given_or_seeded(p.input, p.seed, (p.size, p.size), 1, 3)
    w = given_or_seeded(p.kernel, p.seed + 1, (p.kernel_size, p.kernel_size), -1, 2)
    return x, w


def matrix_taps(tr: TransposedConvTrace) -> np.ndarray:
    """True where a kernel tap lands in C (a weight, possibly 0), False where C is structurally zero."""
    (h, w), (kh, kw), (oh, ow) = tr.input.shape, tr.kernel.shape, tr.output.shape
    taps = np.zeros(tr.matrix.shape, bool)
    for i, j, u, v in itertools.product(range(h), range(w), range(kh), range(kw)):
        r = i * tr.stride[0] - tr.padding[0] + u * tr.dilation[0]
        c = j * tr.stride[1] - tr.padding[1] + v * tr.dilation[1]
        if 0 <= r < oh and 0 <= c < ow:
            taps[i * w + j, r * ow + c] = True
    return taps


def size_text(n: int, k: int, s: int, p: int, op: int, d: int, out: int) -> str:
    """The output size worked out, term by term as in (n − 1)s − 2p + (c − 1) + output_padding + 1."""
    dk = f"({k} − 1)" if d == 1 else f"{d}×({k} − 1)"
    return f"({n} − 1)×{s} − 2×{p} + {dk} + {op} + 1 = {out}"


def compute(p: TransposedParams) -> SceneValues:
    x, w = transposed_inputs(p)
    tr = conv_transpose2d_trace(x, w, stride=p.stride, padding=p.padding, output_padding=p.output_padding,
                                dilation=p.dilation)
    (h, wd), (kh, kw), (oh, ow) = x.shape, w.shape, tr.output.shape
    touched = np.zeros(tr.canvas.shape, bool)
    touched_steps = []
    for step in tr.scatter:
        for cell in step.cells:
            touched[cell] = True
        touched_steps.append(touched.copy())
    arrays = {
        "input": x, "kernel": w, "stride": p.stride, "padding": p.padding, "output_padding": p.output_padding,
        "dilation": p.dilation, "output": tr.output, "output_shape": [oh, ow],
        "matrix": tr.matrix, "matrix_taps": matrix_taps(tr), "matrix_shape": list(tr.matrix.shape),
        "scatter_contributions": [s.contribution for s in tr.scatter],
        "scatter_canvases": [s.canvas for s in tr.scatter], "scatter_touched": touched_steps, "canvas": tr.canvas,
        "scatter_output": tr.canvas[p.padding:p.padding + oh, p.padding:p.padding + ow],
        "crop": [p.padding, p.padding], "direct_input": tr.direct_input, "inserted_mask": tr.inserted_mask,
        "padding_mask": tr.padding_mask, "flipped_kernel": tr.flipped_kernel, "direct_output": tr.direct.output,
        "direct_sums": [s.total for s in tr.direct.steps],
        "direct_pad": [p.dilation * (kh - 1) - p.padding, p.dilation * (kw - 1) - p.padding],
        "inserted_zeros": p.stride - 1,
    }
    data = {
        "trace": tr, "taps": arrays["matrix_taps"],
        "size_text": size_text(h, kh, p.stride, p.padding, p.output_padding, p.dilation, oh),
        "shape_text": f"{h}×{wd} → {oh}×{ow}",
        "matrix_text": f"C: {tr.matrix.shape[0]}×{tr.matrix.shape[1]}",
        "transpose_text": f"Cᵀ: {tr.matrix.shape[1]}×{tr.matrix.shape[0]}",
        "scale_text": [f"{fmt(s.value)} × W" for s in tr.scatter],
        "direct_text": (f"s − 1 = {p.stride - 1}", ("c − 1 − p" if p.dilation == 1 else "d(c − 1) − p")
                        + f" = {arrays['direct_pad'][0]}"),
        "odd": None,
    }
    if max(p.stride, p.dilation) > 1:  # output_padding = 1 is allowed
        base = conv_transpose2d_trace(x, w, stride=p.stride, padding=p.odd_padding, dilation=p.dilation)
        odd = conv_transpose2d_trace(x, w, stride=p.stride, padding=p.odd_padding, output_padding=1,
                                     dilation=p.dilation)
        small, large = base.output.shape, odd.output.shape
        back = [[conv_output_size(m[a], w.shape[a], stride=p.stride, padding=p.odd_padding, dilation=p.dilation)
                 for a in (0, 1)] for m in (small, large)]
        extra = np.zeros(large, bool)
        extra[small[0]:, :] = True
        extra[:, small[1]:] = True
        arrays.update({
            "odd_padding": p.odd_padding, "odd_output_without": base.output, "odd_output": odd.output,
            "odd_extra_mask": extra, "odd_shapes": [list(small), list(large)], "odd_conv_back": back,
        })
        dims = lambda m: f"{m[0]}×{m[1]}"  # noqa: E731
        data["odd"] = {
            "without": base.output, "with": odd.output, "extra": extra,
            "conv_text": f"conv c={kh}, s={p.stride}, p={p.odd_padding}:  {dims(small)} → {dims(back[0])},  "
                         f"{dims(large)} → {dims(back[1])}",
            "size_texts": [size_text(h, kh, p.stride, p.odd_padding, op, p.dilation, o[0])
                           for op, o in ((0, small), (1, large))],
            "shapes": [dims(small), dims(large)],
        }
    return SceneValues(arrays, data)
