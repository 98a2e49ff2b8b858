"""Values of the ``depthwise_separable`` scene: a depthwise convolution (g = C_in = C_out: each channel its
own kernel, no sum over channels), then a 1x1 pointwise convolution mixing the channels into C_out; one output
cell through both steps; parameters and multiply-adds of the real modules against a standard convolution of
the same shape."""

from __future__ import annotations

from typing import Any

from ..config import DepthwiseSeparableParams
from ..ops import conv2d
from . import SceneValues, fmt, seeded_ints

__all__ = ["compute", "module_costs"]


def module_costs(in_channels: int, out_channels: int, kernel_size: int, size: int) -> dict[str, dict[str, int]]:
    """Parameters and multiply-adds of real ``torch.nn.Conv2d`` modules (with bias) on a ``size`` x ``size``
    input: the standard convolution, the depthwise one (``groups=in_channels``) and the 1x1 pointwise one.

    Parameters are counted from each module's tensors; multiply-adds from a forward pass: every output value
    of a module takes ``in_channels / groups`` × kernel height × kernel width of them.
    """
    import torch
    from torch import nn

    layers = {"standard": nn.Conv2d(in_channels, out_channels, kernel_size),
              "depthwise": nn.Conv2d(in_channels, in_channels, kernel_size, groups=in_channels),
              "pointwise": nn.Conv2d(in_channels, out_channels, 1)}
    x = torch.zeros(1, in_channels, size, size)
    costs: dict[str, dict[str, int]] = {}
    with torch.no_grad():
        for name, layer in layers.items():
            y = layer(x if name != "pointwise" else layers["depthwise"](x))
            per_value = (layer.in_channels // layer.groups) * layer.kernel_size[0] * layer.kernel_size[1]
            costs[name] = {"params": sum(p.numel() for p in layer.parameters()), "weights": layer.weight.numel(),
                           "biases": layer.bias.numel(), "macs": y[0].numel() * per_value}
    costs["separable"] = {key: costs["depthwise"][key] + costs["pointwise"][key] for key in costs["standard"]}
    return costs


def _term(v: float) -> str:
    return fmt(v) if v >= 0 else f"({fmt(v)})"


def compute(p: DepthwiseSeparableParams) -> SceneValues:
    c_in, c_out, k, n = p.in_channels, p.out_channels, p.kernel_size, p.size
    x = seeded_ints(p.seed, (c_in, n, n), 0, 3)
    w_dw = seeded_ints(p.seed + 1, (c_in, 1, k, k), -1, 1)  # one k x k kernel per channel
    b_dw = seeded_ints(p.seed + 2, (c_in,), -1, 1)
    w_pw = seeded_ints(p.seed + 3, (c_out, c_in, 1, 1), -1, 2)  # one weight per (output, input) channel pair
    b_pw = seeded_ints(p.seed + 4, (c_out,), -1, 1)
    depth = conv2d(x, w_dw, bias=b_dw, groups=p.group_count)
    out = conv2d(depth, w_pw, bias=b_pw)
    m = depth.shape[1]
    cell = (0, 0)  # the output cell followed through both steps
    i, j = cell
    window = x[:, i:i + k, j:j + k]
    products = window * w_dw[:, 0]  # (C_in, k, k): each channel's own products, never summed across channels
    sums = products.reshape(c_in, -1).sum(axis=1)
    mix = w_pw[:, :, 0, 0] * depth[None, :, i, j]  # (C_out, C_in): weight times the depthwise value
    costs = module_costs(c_in, c_out, k, n)
    std, sep = costs["standard"], costs["separable"]
    arrays: dict[str, Any] = {
        "input": x, "kernel": w_dw[:, 0], "bias": b_dw, "depthwise_output": depth,
        "pointwise_kernel": w_pw[:, :, 0, 0], "pointwise_bias": b_pw, "output": out,
        "cell": list(cell), "depthwise_products": products, "depthwise_sums": sums,
        "depthwise_cell": depth[:, i, j], "pointwise_products": mix, "output_cell": out[:, i, j],
        "costs": costs, "mac_ratio": sep["macs"] / std["macs"], "param_ratio": sep["params"] / std["params"],
    }
    text = {
        "c_in": str(c_in), "c_out": str(c_out), "k": str(k), "n": str(n), "m": str(m),
        "input_shape": f"{c_in}×{n}×{n}", "depth_shape": f"{c_in}×{m}×{m}", "output_shape": f"{c_out}×{m}×{m}",
        "depth_lines": [f"{fmt(s)} + {_term(b)} = {fmt(d)}" for s, b, d in zip(sums, b_dw, depth[:, i, j])],
        "mix_lines": [" + ".join(f"{_term(wt)}×{_term(d)}" for wt, d in zip(w_pw[o, :, 0, 0], depth[:, i, j]))
                      + f" + {_term(b_pw[o])} = {fmt(out[o, i, j])}" for o in range(c_out)],
        **{f"{name}_{key}": f"{v:,}" for name, c in costs.items() for key, v in c.items()},
        "std_formula": f"{c_out}×{c_in}×{k}×{k} + {c_out} = {std['params']}",
        "dw_formula": f"{c_in}×{k}×{k} + {c_in} = {costs['depthwise']['params']}",
        "pw_formula": f"{c_in}×{c_out} + {c_out} = {costs['pointwise']['params']}",
        "mac_ratio": fmt(arrays["mac_ratio"]), "param_ratio": fmt(arrays["param_ratio"]),
        "inv_c_out": f"1/{c_out}", "inv_k2": f"1/{k * k}",
    }
    return SceneValues(arrays, {"text": text})
