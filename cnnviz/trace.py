"""Step traces: the sequence of steps a lecture shows for each op.

Each trace is computed here independently of PyTorch (plain index arithmetic and numpy products),
then compared with the torch result of the same op when it is created. A disagreement raises
:class:`TraceMismatchError`, so no scene can ever show a number torch would not produce.

Coordinates: ``cells`` are positions in the *padded* input, one per kernel tap in row-major
kernel order; subtract the padding to get input coordinates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ops
from ._checks import IntOrPair

__all__ = [
    "ConvStep",
    "ConvTrace",
    "PoolStep",
    "PoolTrace",
    "ScatterStep",
    "TraceMismatchError",
    "TransposedConvTrace",
    "avg_pool2d_trace",
    "conv1d_trace",
    "conv2d_trace",
    "conv_transpose2d_trace",
    "max_pool2d_trace",
]

Cell = tuple[int, ...]


class TraceMismatchError(AssertionError):
    """A trace disagrees with PyTorch: a bug in cnnviz, never a user mistake."""


def _check_against(name: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-9, atol=1e-9):
        worst = float(np.max(np.abs(ours - theirs))) if ours.shape == theirs.shape else float("nan")
        raise TraceMismatchError(
            f"{name} trace disagrees with torch (shapes {ours.shape} vs {theirs.shape}, max |diff| {worst})"
        )


@dataclass(frozen=True)
class ConvStep:
    """One window position of a convolution.

    ``patch``, ``kernel`` and ``products`` have the kernel's shape (with a leading channel axis for
    multi-channel input); ``total`` is the sum of ``products``; ``value = total + bias``.
    """

    out_channel: int
    out_pos: Cell
    cells: tuple[Cell, ...]
    is_padding: tuple[bool, ...]
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float
    bias: float
    value: float


@dataclass(frozen=True)
class ConvTrace:
    """A convolution, step by step: arrays as the caller gave them plus ``steps`` in output order."""

    input: np.ndarray
    padded_input: np.ndarray
    padding_mask: np.ndarray  # True where padded_input is padding
    kernel: np.ndarray
    dilated_kernel: np.ndarray  # the kernel's footprint with zeros in the holes
    footprint: np.ndarray  # True where a dilated kernel has a weight
    bias: np.ndarray
    output: np.ndarray
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    steps: list[ConvStep]


def _dilate(w: np.ndarray, dilation: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Spread the last ``len(dilation)`` axes of ``w`` apart, zeros between taps."""
    nd = len(dilation)
    k = w.shape[-nd:]
    eff = tuple(d * (n - 1) + 1 for d, n in zip(dilation, k))
    out = np.zeros(w.shape[:-nd] + eff)
    mask = np.zeros(eff, bool)
    sl = tuple(slice(None, None, d) for d in dilation)
    out[(...,) + sl] = w
    mask[sl] = True
    return out, mask


def _conv_trace(x: np.ndarray, w: np.ndarray, bias: np.ndarray, stride: tuple[int, ...], padding: tuple[int, ...],
                dilation: tuple[int, ...], groups: int, torch_out: np.ndarray, squeeze: bool, name: str) -> ConvTrace:
    """Trace of an N-d convolution; ``x`` is ``(C_in, *S)``, ``w`` is ``(C_out, C_in/groups, *K)``."""
    nd = x.ndim - 1
    xp = np.pad(x, [(0, 0)] + [(p, p) for p in padding])
    pad_mask = np.ones(xp.shape[1:], bool)
    pad_mask[tuple(slice(p, p + n) for p, n in zip(padding, x.shape[1:]))] = False
    ksize = w.shape[2:]
    out_shape = torch_out.shape[1:] if torch_out.ndim == nd + 1 else torch_out.shape
    taps = list(itertools.product(*(range(k) for k in ksize)))
    cin_g, cout_g = w.shape[1], w.shape[0] // groups
    ours = np.zeros((w.shape[0],) + tuple(out_shape))
    steps: list[ConvStep] = []
    drop = (lambda a: a[0]) if squeeze else (lambda a: a)
    for co in range(w.shape[0]):
        g = co // cout_g
        for pos in itertools.product(*(range(o) for o in out_shape)):
            cells = tuple(tuple(pos[a] * stride[a] + t[a] * dilation[a] for a in range(nd)) for t in taps)
            index = tuple(np.array([c[a] for c in cells]) for a in range(nd))
            patch = xp[(slice(g * cin_g, (g + 1) * cin_g),) + index].reshape((cin_g,) + ksize)
            products = patch * w[co]
            total = float(products.sum())
            value = total + float(bias[co])
            ours[(co,) + pos] = value
            steps.append(ConvStep(co, pos, cells, tuple(bool(pad_mask[c]) for c in cells), drop(patch),
                                  drop(w[co]), drop(products), total, float(bias[co]), value))
    _check_against(name, drop(ours), torch_out)
    dilated, footprint = _dilate(w, dilation)
    return ConvTrace(drop(x), drop(xp), pad_mask, drop(drop(w)) if squeeze else w, drop(drop(dilated)) if squeeze
                     else dilated, footprint, bias, torch_out, stride, padding, dilation, steps)


def conv2d_trace(x: Any, w: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 groups: int = 1, bias: Any = None) -> ConvTrace:
    """Step trace of :func:`cnnviz.conv2d` (same arguments, same checks).

    Examples
    --------
    >>> t = conv2d_trace(np.arange(9.0).reshape(3, 3), np.ones((2, 2)), bias=1)
    >>> s = t.steps[0]; s.cells, s.total, s.value
    (((0, 0), (0, 1), (1, 0), (1, 1)), 8.0, 9.0)
    """
    a = ops.check_conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    return _conv_trace(a.x, a.w, a.bias, a.stride, a.padding, a.dilation, a.groups, ops._run_conv2d(a), a.squeeze,
                       "conv2d")


def conv1d_trace(x: Any, w: Any, *, stride: int = 1, padding: int = 0, dilation: int = 1,
                 bias: Any = None) -> ConvTrace:
    """Step trace of :func:`cnnviz.conv1d`; cells are ``(position,)`` tuples in the padded row."""
    torch_out = ops.conv1d(x, w, stride=stride, padding=padding, dilation=dilation, bias=bias)
    x3, w4, squeeze = ops._as_2d_conv_args_1d(x, w)
    b = ops._bias(bias, w4.shape[0])
    s, p, d = int(stride), int(padding), int(dilation)  # checked by ops.conv1d above; 2.0 -> 2
    return _conv_trace(x3[:, 0, :], w4[:, :, 0, :], b, (s,), (p,), (d,), 1, torch_out, squeeze, "conv1d")


@dataclass(frozen=True)
class PoolStep:
    """One pooling window: its cells (padded coordinates), the chosen cell for max pooling
    (``chosen`` indexes ``cells``; ``argmax`` is in input coordinates), the divisor for mean pooling."""

    channel: int
    out_pos: Cell
    cells: tuple[Cell, ...]
    is_padding: tuple[bool, ...]
    patch: np.ndarray
    value: float
    chosen: int | None = None
    argmax: Cell | None = None
    divisor: int | None = None


@dataclass(frozen=True)
class PoolTrace:
    """A pooling, step by step. ``padded_input`` also covers a ``ceil_mode`` window hanging over the end."""

    mode: str  # "max" or "avg"
    input: np.ndarray
    padded_input: np.ndarray
    padding_mask: np.ndarray
    output: np.ndarray
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    steps: list[PoolStep]


def _pool_trace(mode: str, x: Any, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
                ceil_mode: bool, count_include_pad: bool) -> PoolTrace:
    a = ops.check_pool2d(x, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    if mode == "max":
        torch_out = ops.max_pool2d(x, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    else:
        torch_out = ops.avg_pool2d(x, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                                   count_include_pad=count_include_pad)
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = a.kernel, a.stride, a.padding, a.out_shape
    c, h, w = a.x.shape
    # room for a ceil_mode window that runs past the right/bottom padding
    extra_h = max(0, (oh - 1) * sh + kh - (h + 2 * ph))
    extra_w = max(0, (ow - 1) * sw + kw - (w + 2 * pw))
    xp = np.pad(a.x, [(0, 0), (ph, ph + extra_h), (pw, pw + extra_w)])
    pad_mask = np.ones(xp.shape[1:], bool)
    pad_mask[ph:ph + h, pw:pw + w] = False
    ours = np.zeros((c, oh, ow))
    steps: list[PoolStep] = []
    for ch, i, j in itertools.product(range(c), range(oh), range(ow)):
        cells = tuple((i * sh + u, j * sw + v) for u in range(kh) for v in range(kw))
        is_pad = tuple(bool(pad_mask[cell]) for cell in cells)
        patch = np.array([xp[(ch,) + cell] for cell in cells]).reshape(kh, kw)
        if mode == "max":
            real = [n for n, p in enumerate(is_pad) if not p]
            chosen = max(real, key=lambda n: (patch.flat[n], -n))  # first maximum in scan order, as torch
            value = float(patch.flat[chosen])
            argmax = (cells[chosen][0] - ph, cells[chosen][1] - pw)
            step = PoolStep(ch, (i, j), cells, is_pad, patch, value, chosen=chosen, argmax=argmax)
        else:
            # PyTorch's divisor: the window clipped to the padded input, or to the input alone
            r0, c0 = i * sh - ph, j * sw - pw
            r1, c1 = min(r0 + kh, h + ph), min(c0 + kw, w + pw)
            divisor = (r1 - r0) * (c1 - c0)
            if not count_include_pad:
                divisor = (min(r1, h) - max(r0, 0)) * (min(c1, w) - max(c0, 0))
            value = float(sum(patch.flat[n] for n, p in enumerate(is_pad) if not p) / divisor)
            step = PoolStep(ch, (i, j), cells, is_pad, patch, value, divisor=divisor)
        ours[ch, i, j] = step.value
        steps.append(step)
    _check_against(f"{mode}_pool2d", ours[0] if a.squeeze else ours, torch_out)
    drop = (lambda arr: arr[0]) if a.squeeze else (lambda arr: arr)
    return PoolTrace(mode, drop(a.x), drop(xp), pad_mask, torch_out, a.kernel, a.stride, a.padding, steps)


def max_pool2d_trace(x: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None, padding: IntOrPair = 0,
                     ceil_mode: bool = False) -> PoolTrace:
    """Step trace of :func:`cnnviz.max_pool2d`; each step names the chosen (argmax) cell.

    Examples
    --------
    >>> max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2).steps[0].argmax
    (1, 1)
    """
    return _pool_trace("max", x, kernel_size, stride, padding, ceil_mode, True)


def avg_pool2d_trace(x: Any, kernel_size: IntOrPair, *, stride: IntOrPair | None = None, padding: IntOrPair = 0,
                     ceil_mode: bool = False, count_include_pad: bool = True) -> PoolTrace:
    """Step trace of :func:`cnnviz.avg_pool2d`; each step carries the divisor PyTorch uses."""
    return _pool_trace("avg", x, kernel_size, stride, padding, ceil_mode, count_include_pad)


@dataclass(frozen=True)
class ScatterStep:
    """Scatter-add view: input cell ``in_pos`` adds ``value * kernel`` into the uncropped canvas."""

    in_pos: Cell
    value: float
    contribution: np.ndarray  # value * kernel, the kernel's shape
    cells: tuple[Cell, ...]  # canvas positions, kernel tap order
    inside: tuple[bool, ...]  # whether each cell survives the crop by `padding`
    canvas: np.ndarray  # the running canvas after this step


@dataclass(frozen=True)
class TransposedConvTrace:
    """Transposed convolution in its three classic views, each equal to torch.

    * scatter-add: ``scatter`` steps build ``canvas``; cropping ``padding`` from each side gives ``output``;
    * direct convolution: ``direct_input`` (``stride - 1`` zeros inserted between inputs, padded by
      ``d(k-1) - p``, plus ``output_padding`` at the end) convolved with ``flipped_kernel``: ``direct``;
    * matrix: ``matrix`` is the convolution ``C`` (shape ``(x.size, output.size)``) whose adjoint this is:
      ``output.ravel() == matrix.T @ input.ravel()``.
    """

    input: np.ndarray
    kernel: np.ndarray
    output: np.ndarray
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    canvas: np.ndarray
    scatter: list[ScatterStep]
    direct_input: np.ndarray
    inserted_mask: np.ndarray  # True at the zeros inserted between inputs
    padding_mask: np.ndarray  # True at the padding of direct_input
    flipped_kernel: np.ndarray
    direct: ConvTrace
    matrix: np.ndarray


def _pad_or_crop(arr: np.ndarray, before: tuple[int, int], after: tuple[int, int], fill: Any) -> np.ndarray:
    """Pad each axis by ``before``/``after`` cells of ``fill``; a negative amount crops instead."""
    out = np.pad(arr, [(max(b, 0), max(e, 0)) for b, e in zip(before, after)], constant_values=fill)
    return out[tuple(slice(max(-b, 0), out.shape[n] - max(-e, 0)) for n, (b, e) in enumerate(zip(before, after)))]


def conv_transpose2d_trace(x: Any, w: Any, *, stride: IntOrPair = 1, padding: IntOrPair = 0,
                           output_padding: IntOrPair = 0, dilation: IntOrPair = 1) -> TransposedConvTrace:
    """Step trace of :func:`cnnviz.conv_transpose2d` for one channel: ``x`` ``(H, W)``, ``w`` ``(kh, kw)``.

    Examples
    --------
    >>> t = conv_transpose2d_trace([[1.0, 2.0]], [[1.0, 1.0]], stride=2)
    >>> t.output, t.direct.output
    (array([[1., 1., 2., 2.]]), array([[1., 1., 2., 2.]]))
    """
    a = ops.check_conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding,
                                   dilation=dilation)
    if not a.squeeze:
        raise ValueError("conv_transpose2d_trace takes one channel: x of shape (H, W) and w of shape (kh, kw)")
    torch_out = ops.conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding,
                                     dilation=dilation)
    xv, wv = a.x[0], a.w[0, 0]
    (h, wd), (kh, kw) = xv.shape, wv.shape
    s, p, op, d = a.stride, a.padding, a.output_padding, a.dilation
    oh, ow = a.out_shape

    # scatter-add on the uncropped canvas
    canvas = np.zeros(((h - 1) * s[0] + d[0] * (kh - 1) + 1 + op[0], (wd - 1) * s[1] + d[1] * (kw - 1) + 1 + op[1]))
    scatter: list[ScatterStep] = []
    for i, j in itertools.product(range(h), range(wd)):
        cells = tuple((i * s[0] + u * d[0], j * s[1] + v * d[1]) for u in range(kh) for v in range(kw))
        for cell, wt in zip(cells, wv.flat):
            canvas[cell] += xv[i, j] * wt
        inside = tuple(p[0] <= r < p[0] + oh and p[1] <= c < p[1] + ow for r, c in cells)
        scatter.append(ScatterStep((i, j), float(xv[i, j]), xv[i, j] * wv, cells, inside, canvas.copy()))
    _check_against("conv_transpose2d (scatter)", canvas[p[0]:p[0] + oh, p[1]:p[1] + ow], torch_out)

    # direct convolution: spread inputs apart, pad d(k-1)-p (crop where negative), flip the kernel
    spread = np.zeros(((h - 1) * s[0] + 1, (wd - 1) * s[1] + 1))
    spread[::s[0], ::s[1]] = xv
    inserted = np.ones(spread.shape, bool)
    inserted[::s[0], ::s[1]] = False
    before = (d[0] * (kh - 1) - p[0], d[1] * (kw - 1) - p[1])
    after = (before[0] + op[0], before[1] + op[1])
    direct_input = _pad_or_crop(spread, before, after, 0.0)
    inserted_mask = _pad_or_crop(inserted, before, after, False)
    padding_mask = _pad_or_crop(np.zeros(spread.shape, bool), before, after, True)
    flipped = wv[::-1, ::-1].copy()
    direct = conv2d_trace(direct_input, flipped, dilation=d)
    _check_against("conv_transpose2d (direct)", direct.output, torch_out)

    # matrix view: the convolution C on output-shaped arrays; transposed convolution is C^T
    matrix = np.zeros((h * wd, oh * ow))
    for i, j in itertools.product(range(h), range(wd)):
        for u, v in itertools.product(range(kh), range(kw)):
            r, c = i * s[0] - p[0] + u * d[0], j * s[1] - p[1] + v * d[1]
            if 0 <= r < oh and 0 <= c < ow:
                matrix[i * wd + j, r * ow + c] += wv[u, v]
    _check_against("conv_transpose2d (matrix)", (matrix.T @ xv.ravel()).reshape(oh, ow), torch_out)

    return TransposedConvTrace(xv, wv, torch_out, s, p, op, d, canvas, scatter, direct_input, inserted_mask,
                               padding_mask, flipped, direct, matrix)
