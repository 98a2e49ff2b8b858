"""Values of the ``group_conv`` scene: C_in input channels split into g groups, each group convolved with its own
C_out/g kernels of depth C_in/g, the groups' outputs concatenated; one group's output cells worked channel by
channel; the parameter count of a real ``torch.nn.Conv2d(groups=g)`` against the ungrouped layer's."""

from __future__ import annotations

import numpy as np

from ..config import GroupConvParams
from ..ops import conv2d
from ..trace import conv2d_trace
from . import SceneValues, fmt, seeded_ints

__all__ = ["compute", "layer_counts"]


def layer_counts(in_channels: int, out_channels: int, kernel_size: int, groups: int) -> dict[str, int]:
    """Parameters of a real ``torch.nn.Conv2d`` (with bias): its weights, its biases and their total, counted
    from the module's own tensors."""
    from torch import nn

    layer = nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups)
    return {"weights": layer.weight.numel(), "biases": layer.bias.numel(),
            "total": sum(p.numel() for p in layer.parameters()), "kernel_depth": layer.weight.shape[1]}


def compute(p: GroupConvParams) -> SceneValues:
    c_in, c_out, g, k, n = p.in_channels, p.out_channels, p.groups, p.kernel_size, p.size
    per_in, per_out = c_in // g, c_out // g
    x = seeded_ints(p.seed, (c_in, n, n), 0, 3)
    w = seeded_ints(p.seed + 1, (c_out, per_in, k, k), -1, 1)  # each output channel sees only its group
    b = seeded_ints(p.seed + 2, (c_out,), 1, 2)
    out = conv2d(x, w, bias=b, groups=g)
    # group 1 worked cell by cell: its channels and kernels are an ordinary (ungrouped) convolution
    first = conv2d_trace(x[:per_in], w[:per_out], bias=b[:per_out])
    if not np.array_equal(first.output, out[:per_out]):  # the trace is checked against torch when made
        raise AssertionError("group 1's convolution differs from the grouped layer's first outputs")
    channel_sums = [[float(s.products[c].sum()) for c in range(per_in)] for s in first.steps]
    grouped, plain = layer_counts(c_in, c_out, k, g), layer_counts(c_in, c_out, k, 1)
    members = [list(range(i * per_in, (i + 1) * per_in)) for i in range(g)]  # input channels of each group
    outputs_of = [list(range(i * per_out, (i + 1) * per_out)) for i in range(g)]
    arrays = {
        "input": x, "kernel": w, "bias": b, "output": out, "groups": g,
        "group_inputs": members, "group_outputs": outputs_of,
        "group1_output": first.output, "channel_sums": channel_sums,
        "sums": [s.total for s in first.steps], "values": [s.value for s in first.steps],
        "param_count": grouped["total"], "weight_count": grouped["weights"],
        "param_terms": [c_out, grouped["kernel_depth"], k, k, grouped["biases"]],
        "ungrouped_param_count": plain["total"], "ungrouped_weight_count": plain["weights"],
        "ungrouped_param_terms": [c_out, plain["kernel_depth"], k, k, plain["biases"]],
        "weight_ratio": plain["weights"] / grouped["weights"],
    }
    sub = lambda i: str(i).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))  # noqa: E731
    text = {
        "c_in": str(c_in), "c_out": str(c_out), "g": str(g), "per_in": str(per_in), "per_out": str(per_out),
        "k": str(k), "n": str(n), "out_size": str(out.shape[1]),
        "input_shape": f"{c_in}×{n}×{n}", "output_shape": f"{c_out}×{out.shape[1]}×{out.shape[2]}",
        "group_input_shape": f"{per_in}×{n}×{n}", "kernel_shape": f"{per_in}×{k}×{k}",
        "group_output_shape": f"{per_out}×{out.shape[1]}×{out.shape[2]}",
        "group_channels": [", ".join(f"A{sub(c + 1)}" for c in m) for m in members],
        "group_output_names": [", ".join(f"Z{sub(o + 1)}" for o in m) for m in outputs_of],
        "count": f"{c_out}×{grouped['kernel_depth']}×{k}×{k} + {grouped['biases']} = {grouped['total']}",
        "ungrouped_count": f"{c_out}×{plain['kernel_depth']}×{k}×{k} + {plain['biases']} = {plain['total']}",
        "params": str(grouped["total"]), "ungrouped_params": str(plain["total"]),
        "weights": str(grouped["weights"]), "ungrouped_weights": str(plain["weights"]),
        "ratio": fmt(arrays["weight_ratio"]),
    }
    return SceneValues(arrays, {"trace": first, "text": text})
