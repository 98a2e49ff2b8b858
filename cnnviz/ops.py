"""Forward ops with the semantics of ``torch.nn.functional`` (cross-correlation), numpy in, numpy out.

Every value comes from PyTorch in float64; the arguments are checked first so that a mistake gets
a ``ValueError`` saying what is wrong and what would be valid, never a torch stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import IntOrPair, as_float_array, as_int, as_pair, check_ndim
from .shapes import conv_output_size, conv_transpose_output_size, pool_output_size

__all__ = [
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
]


def _torch():
    # torch is imported on first use so that `render.py list` and `--help` stay fast.
    import torch

    return torch


@dataclass(frozen=True)
class ConvArgs:
    """Checked, normalised arguments of a 2-D convolution (1-D runs as height 1)."""

    x: np.ndarray  # (C_in, H, W)
    w: np.ndarray  # (C_out, C_in/groups, kh, kw)
    bias: np.ndarray  # (C_out,)
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_shape: tuple[int, int]
    squeeze: bool  # the caller passed a plain (H, W) input and (kh, kw) kernel


def _bias(bias: Any, c_out: int) -> np.ndarray:
    if bias is None:
        return np.zeros(c_out)
    b = as_float_array(bias, "bias").reshape(-1)
    if b.size == 1:
        return np.full(c_out, float(b[0]))
    if b.size != c_out:
        raise ValueError(f"bias must be a number or have one value per output channel ({c_out}); got {b.size} values")
    return b


def check_conv2d(x: Any, w: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 groups: int = 1, bias: Any = None) -> ConvArgs:
    """Check and normalise the arguments of :func:`conv2d`."""
    xa = as_float_array(x, "input x")
    wa = as_float_array(w, "kernel w")
    check_ndim(xa, "input x", (2, 3), "(H, W) or (C_in, H, W)")
    check_ndim(wa, "kernel w", (2, 4), "(kh, kw) or (C_out, C_in/groups, kh, kw)")
    squeeze = xa.ndim == 2 and wa.ndim == 2
    x3 = xa[None] if xa.ndim == 2 else xa
    w4 = wa[None, None] if wa.ndim == 2 else wa
    s = as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    d = as_pair(dilation, "dilation", minimum=1)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be an integer >= 1; got {groups!r}")
    c_in, c_out = x3.shape[0], w4.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"groups={groups} must divide both the input channels ({c_in}) and the output channels ({c_out})"
        )
    if w4.shape[1] != c_in // groups:
        raise ValueError(
            f"kernel w has {w4.shape[1]} input channels but input x has {c_in} channels in {groups} group(s); "
            f"w must have shape (C_out, {c_in // groups}, kh, kw)"
        )
    out = tuple(
        conv_output_size(x3.shape[1 + a], w4.shape[2 + a], stride=s[a], padding=p[a], dilation=d[a]) for a in (0, 1)
    )
    return ConvArgs(x3, w4, _bias(bias, c_out), s, p, d, int(groups), out, squeeze)  # type: ignore[arg-type]


def _run_conv2d(args: ConvArgs) -> np.ndarray:
    torch = _torch()
    y = torch.nn.functional.conv2d(
        torch.from_numpy(args.x)[None], torch.from_numpy(args.w), torch.from_numpy(args.bias),
        stride=args.stride, padding=args.padding, dilation=args.dilation, groups=args.groups,
    )[0].numpy()
    return y[0] if args.squeeze else y


def conv2d(x: Any, w: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
           groups: int = 1, bias: Any = None) -> np.ndarray:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x
        Input of shape ``(H, W)`` or ``(C_in, H, W)``.
    w
        Kernel of shape ``(kh, kw)`` or ``(C_out, C_in/groups, kh, kw)``.
    stride, padding, dilation
        An int or a ``(rows, cols)`` pair.
    groups
        Channel groups; must divide ``C_in`` and ``C_out``.
    bias
        ``None``, a number, or one value per output channel.

    Returns
    -------
    numpy.ndarray
        ``(H_out, W_out)`` when both ``x`` and ``w`` are 2-D, else ``(C_out, H_out, W_out)``.

    Examples
    --------
    >>> conv2d(np.arange(9.0).reshape(3, 3), np.ones((2, 2)))
    array([[ 8., 12.],
           [20., 24.]])
    """
    return _run_conv2d(check_conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias))


def _as_2d_conv_args_1d(x: Any, w: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    xa = as_float_array(x, "input x")
    wa = as_float_array(w, "kernel w")
    check_ndim(xa, "input x", (1, 2), "(L,) or (C_in, L)")
    check_ndim(wa, "kernel w", (1, 3), "(k,) or (C_out, C_in, k)")
    squeeze = xa.ndim == 1 and wa.ndim == 1
    x3 = (xa[None] if xa.ndim == 1 else xa)[:, None, :]
    w4 = (wa[None, None] if wa.ndim == 1 else wa)[:, :, None, :]
    return x3, w4, squeeze


def conv1d(x: Any, w: Any, *, stride: int = 1, padding: int = 0, dilation: int = 1, bias: Any = None) -> np.ndarray:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    ``x`` is ``(L,)`` or ``(C_in, L)``; ``w`` is ``(k,)`` or ``(C_out, C_in, k)``. The result is ``(L_out,)``
    when both are 1-D, else ``(C_out, L_out)``.

    Examples
    --------
    >>> conv1d([1, 2, 3, 4], [1, 0, -1])
    array([-2., -2.])
    """
    x3, w4, squeeze = _as_2d_conv_args_1d(x, w)
    for name, v in (("stride", stride), ("padding", padding), ("dilation", dilation)):
        if isinstance(v, (tuple, list)):
            raise ValueError(f"{name} of conv1d must be a single integer; got {v!r}")
    stride, padding, dilation = (as_int(stride, "stride", minimum=1), as_int(padding, "padding", minimum=0),
                                 as_int(dilation, "dilation", minimum=1))
    args = check_conv2d(x3, w4, stride=(1, stride), padding=(0, padding), dilation=(1, dilation), bias=bias)
    y = _run_conv2d(args)[:, 0, :]
    return y[0] if squeeze else y


@dataclass(frozen=True)
class ConvTransposeArgs:
    """Checked, normalised arguments of :func:`conv_transpose2d`."""

    x: np.ndarray  # (C_in, H, W)
    w: np.ndarray  # (C_in, C_out, kh, kw)
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    out_shape: tuple[int, int]
    squeeze: bool


def check_conv_transpose2d(x: Any, w: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0,
                           output_padding: IntOrPair = 0, dilation: IntOrPair = 1) -> ConvTransposeArgs:
    """Check and normalise the arguments of :func:`conv_transpose2d`."""
    xa = as_float_array(x, "input x")
    wa = as_float_array(w, "kernel w")
    check_ndim(xa, "input x", (2, 3), "(H, W) or (C_in, H, W)")
    check_ndim(wa, "kernel w", (2, 4), "(kh, kw) or (C_in, C_out, kh, kw)")
    squeeze = xa.ndim == 2 and wa.ndim == 2
    x3 = xa[None] if xa.ndim == 2 else xa
    w4 = wa[None, None] if wa.ndim == 2 else wa
    if w4.shape[0] != x3.shape[0]:
        raise ValueError(
            f"kernel w of a transposed convolution has shape (C_in, C_out, kh, kw); its C_in is {w4.shape[0]} "
            f"but input x has {x3.shape[0]} channels"
        )
    s = as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    op = as_pair(output_padding, "output_padding", minimum=0)
    d = as_pair(dilation, "dilation", minimum=1)
    out = tuple(
        conv_transpose_output_size(x3.shape[1 + a], w4.shape[2 + a], stride=s[a], padding=p[a],
                                   output_padding=op[a], dilation=d[a])
        for a in (0, 1)
    )
    return ConvTransposeArgs(x3, w4, s, p, op, d, out, squeeze)  # type: ignore[arg-type]


def conv_transpose2d(x: Any, w: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0,
                     output_padding: IntOrPair = 0, dilation: IntOrPair = 1) -> np.ndarray:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    ``x`` is ``(H, W)`` or ``(C_in, H, W)``; ``w`` is ``(kh, kw)`` or ``(C_in, C_out, kh, kw)`` as in torch.
    Output size per axis: ``(n-1)s - 2p + d(k-1) + output_padding + 1``.

    Examples
    --------
    >>> conv_transpose2d([[1.0, 2.0]], [[1.0, 1.0]], stride=2)
    array([[1., 1., 2., 2.]])
    """
    a = check_conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    torch = _torch()
    y = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(a.x)[None], torch.from_numpy(a.w), stride=a.stride, padding=a.padding,
        output_padding=a.output_padding, dilation=a.dilation,
    )[0].numpy()
    return y[0] if a.squeeze else y


@dataclass(frozen=True)
class PoolArgs:
    """Checked, normalised arguments of a 2-D pooling."""

    x: np.ndarray  # (C, H, W)
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    ceil_mode: bool
    out_shape: tuple[int, int]
    squeeze: bool


def check_pool2d(x: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None, padding: IntOrPair = 0,
                 ceil_mode: bool = False) -> PoolArgs:
    """Check and normalise the arguments of :func:`max_pool2d` / :func:`avg_pool2d`."""
    xa = as_float_array(x, "input x")
    check_ndim(xa, "input x", (2, 3), "(H, W) or (C, H, W)")
    k = as_pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_pair(stride, "stride", minimum=1)
    p = as_pair(padding, "padding", minimum=0)
    x3 = xa[None] if xa.ndim == 2 else xa
    out = tuple(
        pool_output_size(x3.shape[1 + a], k[a], stride=s[a], padding=p[a], ceil_mode=bool(ceil_mode)) for a in (0, 1)
    )
    return PoolArgs(x3, k, s, p, bool(ceil_mode), out, xa.ndim == 2)  # type: ignore[arg-type]


def max_pool2d(x: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None, padding: IntOrPair = 0,
               ceil_mode: bool = False) -> np.ndarray:
    """Max pooling, as ``torch.nn.functional.max_pool2d``; ``stride`` defaults to ``kernel_size``.

    The argmax of each window is in :func:`cnnviz.trace.max_pool2d_trace`.

    Examples
    --------
    >>> max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    array([[ 5.,  7.],
           [13., 15.]])
    """
    a = check_pool2d(x, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    torch = _torch()
    y = torch.nn.functional.max_pool2d(torch.from_numpy(a.x), a.kernel, a.stride, a.padding,
                                       ceil_mode=a.ceil_mode).numpy()
    return y[0] if a.squeeze else y


def avg_pool2d(x: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None, padding: IntOrPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    """Mean pooling, as ``torch.nn.functional.avg_pool2d``; ``stride`` defaults to ``kernel_size``.

    Examples
    --------
    >>> avg_pool2d(np.arange(16.0).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    a = check_pool2d(x, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    torch = _torch()
    y = torch.nn.functional.avg_pool2d(torch.from_numpy(a.x), a.kernel, a.stride, a.padding,
                                       ceil_mode=a.ceil_mode, count_include_pad=bool(count_include_pad)).numpy()
    return y[0] if a.squeeze else y
