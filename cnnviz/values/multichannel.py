"""Values of the ``multichannel`` scene: C_in input channels, one kernel per channel summed plus a bias,
C_out kernels giving C_out feature maps; the parameter count; a 1x1 convolution mixing channels, and its two
purposes: fewer channels for few parameters (against a k×k convolution between the same channels), and a
nonlinearity per pixel when a ReLU follows it."""

from __future__ import annotations

import numpy as np

from ..config import MultichannelParams
from ..ops import conv2d
from ..trace import conv2d_trace
from . import SceneValues, fmt, given_or_seeded, seeded_ints


def multichannel_inputs(p: MultichannelParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input ``(C_in, H, W)``, kernel ``(C_out, C_in, k, k)`` and bias ``(C_out,)``: as configured, or seeded."""
    (c_in, h, w), (c_out, _, kh, kw) = p.array_shapes()
    x = given_or_seeded(p.input, p.seed, (c_in, h, w), 0, 3)
    k = given_or_seeded(p.kernel, p.seed + 1, (c_out, c_in, kh, kw), -1, 1)
    b = given_or_seeded(p.bias, p.seed + 2, (c_out,), 1, 2)
    return x, k, b


def compute(p: MultichannelParams) -> SceneValues:
    x, w, b = multichannel_inputs(p)
    c_out, c_in, kh, kw = w.shape
    trace = conv2d_trace(x, w, bias=b)
    # per step: one partial sum per input channel, their total, plus the bias
    partials = [[float(s.products[c].sum()) for c in range(c_in)] for s in trace.steps]
    # the 1x1 convolution: one weight per (output, input) channel pair, the spatial size kept
    pointwise = seeded_ints(p.seed + 3, (c_out, c_in, 1, 1), -1, 2)
    pointwise_bias = np.zeros(c_out)
    pw_out = conv2d(x, pointwise, bias=pointwise_bias)
    pw_pixel = (0, 0)  # the pixel whose channel mix is spelled out
    pw_products = pointwise[:, :, 0, 0] * x[:, pw_pixel[0], pw_pixel[1]][None, :]
    count = kh * kw * c_in * c_out + c_out
    pw_count = c_in * c_out + c_out
    # purpose 2: a ReLU after the 1x1 convolution, a nonlinearity at each pixel (its negative values become 0)
    pw_relu = np.maximum(pw_out, 0.0)
    arrays = {
        "input": x, "kernel": w, "bias": b, "output": trace.output,
        "products": [s.products for s in trace.steps],
        "channel_sums": partials, "sums": [s.total for s in trace.steps], "values": [s.value for s in trace.steps],
        "param_count": count, "param_terms": [kh, kw, c_in, c_out, c_out],
        # the three volumes the overview draws: input C_in×H×W, each of the C_out kernels C_in×c×c, the output
        # C_out×H'×W' (one map per kernel)
        "input_shape": list(x.shape), "kernel_shape": list(w.shape), "output_shape": list(trace.output.shape),
        "pointwise_kernel": pointwise[:, :, 0, 0], "pointwise_bias": pointwise_bias, "pointwise_output": pw_out,
        "pointwise_pixel": list(pw_pixel), "pointwise_products": pw_products,
        "pointwise_param_count": pw_count,
        # purpose 1: C_in -> C_out channels (a reduction when C_out < C_in) for pointwise_param_count parameters,
        # where a k×k convolution between the same channels has param_count
        "pointwise_channels": [c_in, c_out], "pointwise_reduces": bool(c_out < c_in),
        "pointwise_relu_output": pw_relu, "pointwise_relu_zeroed": int(np.sum(pw_out < 0)),
    }
    # display strings, written once here so the scene formats nothing itself
    term = lambda v: fmt(v) if v >= 0 else f"({fmt(v)})"  # noqa: E731
    pixel = x[:, pw_pixel[0], pw_pixel[1]]
    data = {
        "trace": trace, "partials": partials, "pw_pixel": pw_pixel,
        "step_text": [" + ".join(term(v) for v in part) + f" + {term(s.bias)} = {fmt(s.value)}"
                      for part, s in zip(partials, trace.steps)],
        "count_text": f"{kh}×{kw}×{c_in}×{c_out} + {c_out} = {count}",
        # the same in two lines, for a narrow room: the terms, then the total
        "count_lines": [f"= {kh}×{kw}×{c_in}×{c_out} + {c_out}", f"= {count}"],
        "shape_text": {"input": "×".join(map(str, x.shape)), "kernel": "×".join(map(str, w.shape[1:])),
                       "output": "×".join(map(str, trace.output.shape))},
        "pw_count_text": f"1×1×{c_in}×{c_out} + {c_out} = {pw_count}",
        "pw_mix_text": [" + ".join(f"{term(wt)}×{term(a)}" for wt, a in zip(pointwise[d, :, 0, 0], pixel))
                        + f" + {term(pointwise_bias[d])} = {fmt(pw_out[d, pw_pixel[0], pw_pixel[1]])}"
                        for d in range(c_out)],
    }
    return SceneValues(arrays, data)
