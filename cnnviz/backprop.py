"""Backpropagation of error terms through conv, pooling and activation layers.

For a conv layer ``Z = A ⋆ W + b`` with error term ``δ = ∂L/∂Z``:

* ``∂L/∂b = Σ δ`` (per output channel),
* ``∂L/∂W = A ⋆ δ`` (δ slides over the padded A; with stride s, δ's taps are s apart),
* ``∂L/∂A = rot180(W)`` full-convolved with δ (δ with ``s - 1`` zeros inserted for stride s).

Values are computed here with numpy index arithmetic, not autograd; the tests hold them equal
to ``torch.autograd``. Traces reuse the forward traces, since each gradient *is* a convolution.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ops
from ._checks import IntOrPair, as_float_array
from .trace import (ConvTrace, PoolTrace, TransposedConvTrace, _check_against, _pool_trace, conv2d_trace,
                    conv_transpose2d_trace)

__all__ = [
    "ACTIVATIONS",
    "ConvBackward",
    "ConvBackwardTrace",
    "PoolBackward",
    "activation_backward",
    "avg_pool2d_backward",
    "conv2d_backward",
    "conv2d_backward_trace",
    "max_pool2d_backward",
]


@dataclass(frozen=True)
class ConvBackward:
    """Gradients of a conv layer: each has the shape of what it is the gradient of."""

    grad_input: np.ndarray  # ∂L/∂A
    grad_kernel: np.ndarray  # ∂L/∂W
    grad_bias: np.ndarray  # ∂L/∂b, one per output channel


def _check_delta(delta: Any, expected: tuple[int, ...], what: str) -> np.ndarray:
    d = as_float_array(delta, "delta")
    if d.shape != expected:
        raise ValueError(f"delta must have the shape of {what}, {expected}; got {d.shape}")
    return d


def conv2d_backward(a: Any, w: Any, delta: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0,
                    dilation: IntOrPair = 1) -> ConvBackward:
    """Gradients of ``Z = conv2d(A, W) + b`` given ``δ = ∂L/∂Z``.

    Parameters
    ----------
    a, w
        As for :func:`cnnviz.conv2d`: ``(H, W)`` with ``(kh, kw)``, or ``(C_in, H, W)`` with
        ``(C_out, C_in, kh, kw)``.
    delta
        The error term, the shape of ``conv2d(a, w, ...)``.

    Examples
    --------
    >>> g = conv2d_backward(np.arange(9.0).reshape(3, 3), np.ones((2, 2)), np.ones((2, 2)))
    >>> g.grad_kernel, g.grad_bias
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    args = ops.check_conv2d(a, w, stride=stride, padding=padding, dilation=dilation)
    return _conv2d_grads(args, _conv_delta(args, delta))


def _conv_delta(args: ops.ConvArgs, delta: Any) -> np.ndarray:
    """δ checked against the layer's output shape, as the caller gave it."""
    out_shape = ((args.w.shape[0],) if not args.squeeze else ()) + args.out_shape
    return _check_delta(delta, out_shape, "the layer's output")


def _conv2d_grads(args: ops.ConvArgs, d: np.ndarray) -> ConvBackward:
    """∂L/∂A, ∂L/∂W, ∂L/∂b from checked arguments and δ."""
    d3 = d[None] if args.squeeze else d
    (sh, sw), (ph, pw), (dh, dw) = args.stride, args.padding, args.dilation
    kh, kw = args.w.shape[2:]
    oh, ow = args.out_shape
    a_pad = np.pad(args.x, [(0, 0), (ph, ph), (pw, pw)])
    grad_w = np.zeros_like(args.w)
    grad_a_pad = np.zeros_like(a_pad)
    for u, v in itertools.product(range(kh), range(kw)):
        # the input cells that tap (u, v) of the kernel touched, one per output position
        rows = slice(u * dh, u * dh + sh * (oh - 1) + 1, sh)
        cols = slice(v * dw, v * dw + sw * (ow - 1) + 1, sw)
        grad_w[:, :, u, v] = np.einsum("oij,cij->oc", d3, a_pad[:, rows, cols])
        grad_a_pad[:, rows, cols] += np.einsum("oc,oij->cij", args.w[:, :, u, v], d3)
    grad_a = grad_a_pad[:, ph:ph + args.x.shape[1], pw:pw + args.x.shape[2]]
    grad_b = d3.sum(axis=(1, 2))
    if args.squeeze:
        return ConvBackward(grad_a[0], grad_w[0, 0], grad_b)
    return ConvBackward(grad_a, grad_w, grad_b)


@dataclass(frozen=True)
class ConvBackwardTrace:
    """The two gradient convolutions, step by step, for one channel.

    ``grad_kernel``: A (padded) ⋆ δ, δ's taps ``stride`` apart, windows ``dilation`` apart, cropped to the
    kernel's size. ``grad_input``: the direct view of a transposed convolution, i.e. δ with ``stride - 1``
    zeros inserted, padded, and slid under ``rot180(W)``.
    """

    grads: ConvBackward
    grad_kernel: ConvTrace
    grad_input: TransposedConvTrace


def conv2d_backward_trace(a: Any, w: Any, delta: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0,
                          dilation: IntOrPair = 1) -> ConvBackwardTrace:
    """Traces of ``∂L/∂W`` and ``∂L/∂A`` for one channel (``a`` ``(H, W)``, ``w`` ``(kh, kw)``)."""
    args = ops.check_conv2d(a, w, stride=stride, padding=padding, dilation=dilation)
    if not args.squeeze:
        raise ValueError("conv2d_backward_trace takes one channel: a of shape (H, W) and w of shape (kh, kw)")
    d = _conv_delta(args, delta)
    grads = _conv2d_grads(args, d)
    kh, kw = args.w.shape[2:]
    full = conv2d_trace(args.x[0], d, stride=args.dilation, padding=args.padding,
                        dilation=args.stride)
    kernel_trace = ConvTrace(
        full.input, full.padded_input, full.padding_mask, full.kernel, full.dilated_kernel, full.footprint,
        full.bias, full.output[:kh, :kw], full.stride, full.padding, full.dilation,
        [s for s in full.steps if s.out_pos[0] < kh and s.out_pos[1] < kw],
    )
    # rows/cols the floor left unused by the forward pass come back as output_padding
    spare = tuple(
        (args.x.shape[1 + n] + 2 * args.padding[n] - args.dilation[n] * (args.w.shape[2 + n] - 1) - 1)
        % args.stride[n] for n in (0, 1)
    )
    input_trace = conv_transpose2d_trace(d, args.w[0, 0], stride=args.stride, padding=args.padding,
                                         output_padding=spare, dilation=args.dilation)
    _check_against("∂L/∂W", kernel_trace.output, grads.grad_kernel)
    _check_against("∂L/∂A", input_trace.output, grads.grad_input)
    return ConvBackwardTrace(grads, kernel_trace, input_trace)


@dataclass(frozen=True)
class PoolBackward:
    """δ of the layer below a pooling layer, and the forward trace whose windows routed it."""

    grad_input: np.ndarray
    trace: PoolTrace
    delta: np.ndarray


def _pool_backward(mode: str, x: Any, delta: Any, kernel_size: IntOrPair, stride: IntOrPair | None,
                   padding: IntOrPair, ceil_mode: bool, count_include_pad: bool) -> PoolBackward:
    trace = _pool_trace(mode, x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    d = _check_delta(delta, trace.output.shape, "the pooled output")
    d3 = d.reshape((-1,) + trace.output.shape[-2:])
    x3 = trace.input.reshape((-1,) + trace.input.shape[-2:])
    grad = np.zeros_like(x3)
    ph, pw = trace.padding
    for step in trace.steps:
        g = d3[(step.channel,) + step.out_pos]
        if mode == "max":  # all of δ goes to the window's argmax
            grad[(step.channel,) + step.argmax] += g
        else:  # spread evenly over the window's real cells
            for cell, pad in zip(step.cells, step.is_padding):
                if not pad:
                    grad[step.channel, cell[0] - ph, cell[1] - pw] += g / step.divisor
    return PoolBackward(grad.reshape(trace.input.shape), trace, d)


def max_pool2d_backward(x: Any, delta: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None,
                        padding: IntOrPair = 0, ceil_mode: bool = False) -> PoolBackward:
    """Route δ of a max-pooled layer to each window's argmax (zeros elsewhere): the course's up(δ).

    Examples
    --------
    >>> max_pool2d_backward(np.arange(4.0).reshape(2, 2), [[5.0]], 2).grad_input
    array([[0., 0.],
           [0., 5.]])
    """
    return _pool_backward("max", x, delta, kernel_size, stride, padding, ceil_mode, True)


def avg_pool2d_backward(x: Any, delta: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None,
                        padding: IntOrPair = 0, ceil_mode: bool = False,
                        count_include_pad: bool = True) -> PoolBackward:
    """Spread δ of a mean-pooled layer evenly over each window (``δ / divisor`` per cell)."""
    return _pool_backward("avg", x, delta, kernel_size, stride, padding, ceil_mode, count_include_pad)


def _relu_prime(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(np.float64)  # h'(0) = 0, as torch


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


ACTIVATIONS = {
    "relu": _relu_prime,
    "sigmoid": _sigmoid_prime,
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "identity": np.ones_like,
}


def activation_backward(z: Any, delta: Any, activation: str = "relu") -> np.ndarray:
    """δ through an activation: ``δ_Z = δ_A ⊙ h′(Z)``.

    Examples
    --------
    >>> activation_backward([-1.0, 0.0, 2.0], [3.0, 3.0, 3.0])
    array([0., 0., 3.])
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
    zz = as_float_array(z, "z")
    d = _check_delta(delta, zz.shape, "z")
    return d * ACTIVATIONS[activation](zz)
