"""Values of the ``receptive_field`` scene: stacked convolutions and the input region one output sees."""

from __future__ import annotations

import itertools

import numpy as np

from ..config import ReceptiveFieldParams
from ..shapes import Layer, conv_output_size, receptive_field
from . import SceneValues

MAX_DRAWN = 13  # the widest map the scene draws


def influence(sizes: list[int], k: int, stride: int, dilation: int, target: int) -> list[np.ndarray]:
    """For each map of the stack, how many paths lead from each of its cells to output cell (target, target).

    Backprop through the stack with all-one kernels (torch, float64): the gradient at a cell counts its
    paths to that output, so it is non-zero exactly on the output's receptive field in that map.
    """
    import torch
    import torch.nn.functional as F

    maps = [torch.ones(1, 1, sizes[0], sizes[0], dtype=torch.float64, requires_grad=True)]
    ones = torch.ones(1, 1, k, k, dtype=torch.float64)
    for _ in sizes[1:]:
        maps.append(F.conv2d(maps[-1], ones, stride=stride, dilation=dilation))
        maps[-1].retain_grad()
    maps[-1][0, 0, target, target].backward()
    return [m.grad[0, 0].numpy().copy() for m in maps]


def stack_sizes(depth: int, k: int, stride: int = 1, dilation: int = 1) -> list[int]:
    """Receptive field size after each of ``depth`` identical layers."""
    return [f.size for f in receptive_field([Layer(kernel_size=k, stride=stride, dilation=dilation)] * depth)]


def compute(p: ReceptiveFieldParams) -> SceneValues:
    k, s, d = p.kernel_size, p.stride, p.dilation
    fields = receptive_field([Layer(kernel_size=k, stride=s, dilation=d)] * p.layers)
    field, jump = fields[-1].size, fields[-1].jump
    # one output on each side of the traced one, when that still fits: the field is then part of the image
    margin = 1 if field + 2 * jump <= MAX_DRAWN else 0
    sizes = [field + 2 * margin * jump]
    for _ in range(p.layers):
        sizes.append(conv_output_size(sizes[-1], k, stride=s, dilation=d))
    paths = influence(sizes, k, s, d, margin)
    regions = []  # [top, left, size] of the traced output's field in each map
    for m in paths:
        rows, cols = np.nonzero(m)
        regions.append([int(rows.min()), int(cols.min()), int(rows.max() - rows.min() + 1)])
    windows = []  # for each map below the top: the taps each field cell of the map above reads, row-major
    for lower, upper in zip(paths[:-1], paths[1:]):
        windows.append([[[int(i * s + u * d), int(j * s + v * d)] for u, v in itertools.product(range(k), range(k))]
                        for i, j in zip(*np.nonzero(upper))])
    growth = []  # r_l = r_{l-1} + d (k - 1) j_{l-1}
    prev_size, prev_jump = 1, 1
    for f in fields:
        growth.append([prev_size, d * (k - 1), prev_jump, f.size])
        prev_size, prev_jump = f.size, f.jump
    field_paths = paths[0][paths[0] > 0]
    table = {"depths": list(range(1, p.table_depth + 1)), "plain": stack_sizes(p.table_depth, k),
             "strided": stack_sizes(p.table_depth, k, stride=p.table_stride),
             "dilated": stack_sizes(p.table_depth, k, dilation=p.table_dilation)}
    arrays = {"kernel_size": k, "stride": s, "dilation": d, "map_sizes": sizes, "target": [margin, margin],
              "field_sizes": [f.size for f in fields], "jumps": [f.jump for f in fields], "regions": regions,
              "paths": paths, "paths_max": float(field_paths.max()), "paths_min": float(field_paths.min()),
              "windows": windows, "growth": growth, "table": table,
              "table_stride": p.table_stride, "table_dilation": p.table_dilation}
    return SceneValues(arrays, {"fields": fields})
