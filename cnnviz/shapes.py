"""Shape arithmetic: output sizes and receptive fields (Dumoulin & Visin, "A guide to convolution arithmetic")."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._checks import as_int

__all__ = [
    "Layer",
    "ReceptiveField",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "receptive_field",
]


def conv_output_size(n: int, kernel_size: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis: ``floor((n + 2p - d(k-1) - 1) / s) + 1``.

    Examples
    --------
    >>> conv_output_size(6, 3, stride=2, padding=1)   # the floor drops a column
    3
    """
    n = as_int(n, "input size n", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    d = as_int(dilation, "dilation", minimum=1)
    effective = d * (k - 1) + 1
    if effective > n + 2 * p:
        raise ValueError(
            f"kernel (size {k}, dilation {d}, effective size {effective}) is larger than the padded input "
            f"(n + 2p = {n} + 2*{p} = {n + 2 * p}); use a smaller kernel or dilation, or padding >= "
            f"{math.ceil((effective - n) / 2)}"
        )
    return (n + 2 * p - effective) // s + 1


def conv_transpose_output_size(
    n: int, kernel_size: int, *, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution: ``(n-1)s - 2p + d(k-1) + output_padding + 1``.

    Examples
    --------
    >>> conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    """
    n = as_int(n, "input size n", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    d = as_int(dilation, "dilation", minimum=1)
    op = as_int(output_padding, "output_padding", minimum=0)
    if op >= max(s, d):
        raise ValueError(
            f"output_padding must be smaller than stride or dilation (here < {max(s, d)}); got {op}"
        )
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(
            f"transposed convolution output would be {out} long (n={n}, k={k}, s={s}, p={p}, d={d}, "
            f"output_padding={op}); reduce padding to at most {((n - 1) * s + d * (k - 1) + op) // 2}"
        )
    return out


def pool_output_size(
    n: int, kernel_size: int, *, stride: int | None = None, padding: int = 0, ceil_mode: bool = False
) -> int:
    """Output length of a pooling window along one axis, with PyTorch's ``ceil_mode`` rule.

    With ``ceil_mode`` the last window may hang over the end, but it must start inside the
    input or its left padding, as in PyTorch.
    """
    n = as_int(n, "input size n", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    if 2 * p > k:
        raise ValueError(f"padding must be at most half the pooling window ({k // 2} for size {k}); got {p}")
    if k > n + 2 * p:
        raise ValueError(
            f"pooling window {k} is larger than the padded input (n + 2p = {n + 2 * p}); use a window <= {n + 2 * p}"
        )
    span = n + 2 * p - k
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


@dataclass(frozen=True)
class Layer:
    """One conv or pool layer of a stack, as :func:`receptive_field` reads it."""

    kind: str = "conv"  # "conv" or "pool"; both move a window the same way
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0
    dilation: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("conv", "pool"):
            raise ValueError(f"layer kind must be 'conv' or 'pool'; got {self.kind!r}")
        as_int(self.kernel_size, "kernel_size", minimum=1)
        as_int(self.stride, "stride", minimum=1)
        as_int(self.padding, "padding", minimum=0)
        as_int(self.dilation, "dilation", minimum=1)


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field after one layer: ``size`` input cells seen by one output, ``jump`` input cells
    between neighbouring outputs, and ``start`` the input coordinate of the first output's field centre."""

    layer: Layer
    size: int
    jump: int
    start: float


def receptive_field(layers: Iterable[Layer | Mapping[str, Any]]) -> list[ReceptiveField]:
    """Receptive field size and jump after each layer of a conv/pool stack.

    ``r_l = r_{l-1} + (d_l (k_l - 1)) * j_{l-1}`` and ``j_l = j_{l-1} * s_l``, starting from ``r_0 = j_0 = 1``.

    Examples
    --------
    >>> [f.size for f in receptive_field([Layer(kernel_size=3), Layer(kernel_size=3)])]
    [3, 5]
    """
    result: list[ReceptiveField] = []
    size, jump, start = 1, 1, 0.5
    for raw in layers:
        layer = raw if isinstance(raw, Layer) else Layer(**dict(raw))
        eff = layer.dilation * (layer.kernel_size - 1) + 1
        size = size + (eff - 1) * jump
        start = start + ((eff - 1) / 2 - layer.padding) * jump
        jump = jump * layer.stride
        result.append(ReceptiveField(layer=layer, size=size, jump=jump, start=start))
    if not result:
        raise ValueError("receptive_field needs at least one layer")
    return result
