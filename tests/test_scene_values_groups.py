"""The group_conv and depthwise_separable scenes: the numbers each shows (its JSON arrays) equal what torch
computes in float64 for its params (outputs with ``F.conv2d(groups=...)``, parameters counted from real
``nn.Conv2d`` modules, multiply-adds counted by hand from the layer shapes), and every working line on screen
reads back to them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.config import SCENE_PARAMS, load_config
from cnnviz.values import scene_json, scene_values


def values(scene_id, params=None, **kw):
    p = params if params is not None else SCENE_PARAMS[scene_id](**kw)
    v = scene_values(scene_id, p)
    return scene_json(scene_id, p, v)["arrays"], v.data["text"], p


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def n_params(layer):
    return sum(p.numel() for p in layer.parameters())


# ---------------------------------------------------------------- group_conv
GROUP_CASES = [{}, {"in_channels": 6, "out_channels": 3, "groups": 3, "kernel_size": 2, "size": 5, "seed": 7},
               {"in_channels": 8, "out_channels": 8, "groups": 4, "kernel_size": 3, "size": 4, "seed": 2},
               {"in_channels": 3, "out_channels": 2, "groups": 1, "kernel_size": 1, "size": 3}]


@pytest.mark.parametrize("kw", GROUP_CASES)
def test_group_conv_json_equals_torch(kw):
    a, txt, p = values("group_conv", **kw)
    g = p.groups
    x, w, b = t(a["input"]), t(a["kernel"]), t(a["bias"])
    assert tuple(w.shape) == (p.out_channels, p.in_channels // g, p.kernel_size, p.kernel_size)
    np.testing.assert_allclose(a["output"], F.conv2d(x[None], w, b, groups=g)[0].numpy())
    # the same as g separate convolutions, one per group, concatenated along the channels
    per_in, per_out = p.in_channels // g, p.out_channels // g
    pieces = [F.conv2d(x[None, i * per_in:(i + 1) * per_in], w[i * per_out:(i + 1) * per_out],
                       b[i * per_out:(i + 1) * per_out]) for i in range(g)]
    np.testing.assert_allclose(a["output"], torch.cat(pieces, 1)[0].numpy())
    assert a["group_inputs"] == [list(range(i * per_in, (i + 1) * per_in)) for i in range(g)]
    # group 1 in detail: each step's channel sums are single-channel convolutions of group 1's channels
    sums = torch.stack([F.conv2d(x[None, c:c + 1], w[:per_out, c:c + 1]) for c in range(per_in)], -1)[0]
    np.testing.assert_allclose(np.array(a["channel_sums"]), sums.reshape(-1, per_in).numpy())
    np.testing.assert_allclose(a["values"], pieces[0][0].numpy().ravel())
    np.testing.assert_allclose(np.array(a["sums"]) + np.repeat(a["bias"][:per_out], np.size(a["output"][0])),
                               a["values"])
    grouped = nn.Conv2d(p.in_channels, p.out_channels, p.kernel_size, groups=g)
    plain = nn.Conv2d(p.in_channels, p.out_channels, p.kernel_size)
    assert a["param_count"] == n_params(grouped) == p.out_channels * per_in * p.kernel_size ** 2 + p.out_channels
    assert a["ungrouped_param_count"] == n_params(plain)
    assert a["weight_count"] * g == a["ungrouped_weight_count"] == plain.weight.numel()
    assert a["weight_ratio"] == g
    c_out, depth, kh, kw_, nb = a["param_terms"]
    assert c_out * depth * kh * kw_ + nb == a["param_count"]
    assert txt["count"] == f"{p.out_channels}×{per_in}×{p.kernel_size}×{p.kernel_size} + {p.out_channels} = " \
                           f"{n_params(grouped)}"


def test_group_conv_lecture_entry_equals_torch():
    p = load_config().entry("group_conv").params
    a, _, _ = values("group_conv", p)
    np.testing.assert_allclose(a["output"], F.conv2d(t(a["input"])[None], t(a["kernel"]), t(a["bias"]),
                                                     groups=p.groups)[0].numpy())


# ---------------------------------------------------------------- depthwise_separable
DEPTH_CASES = [{}, {"in_channels": 2, "out_channels": 3, "kernel_size": 2, "size": 4, "seed": 3},
               {"in_channels": 4, "out_channels": 1, "kernel_size": 3, "size": 3, "groups": 4, "seed": 5},
               {"in_channels": 1, "out_channels": 1, "kernel_size": 1, "size": 5},
               {"in_channels": 1, "out_channels": 4, "kernel_size": 3, "size": 4}]


def macs(layer, x):
    """Multiply-adds of a convolution: every output value takes C_in/groups x kh x kw of them."""
    y = layer(x)
    return y[0].numel() * layer.in_channels // layer.groups * layer.kernel_size[0] * layer.kernel_size[1], y


@pytest.mark.parametrize("kw", DEPTH_CASES)
def test_depthwise_separable_json_equals_torch(kw):
    a, txt, p = values("depthwise_separable", **kw)
    c_in, c_out, k, n = p.in_channels, p.out_channels, p.kernel_size, p.size
    x, w_dw, b_dw = t(a["input"]), t(a["kernel"])[:, None], t(a["bias"])
    w_pw, b_pw = t(a["pointwise_kernel"])[:, :, None, None], t(a["pointwise_bias"])
    depth = F.conv2d(x[None], w_dw, b_dw, groups=c_in)
    np.testing.assert_allclose(a["depthwise_output"], depth[0].numpy())
    # depthwise: channel c alone with its own kernel, nothing summed across channels
    for c in range(c_in):
        np.testing.assert_allclose(a["depthwise_output"][c], F.conv2d(x[None, c:c + 1], w_dw[c:c + 1],
                                                                      b_dw[c:c + 1])[0, 0].numpy())
    out = F.conv2d(depth, w_pw, b_pw)
    np.testing.assert_allclose(a["output"], out[0].numpy())
    # one output cell through both steps
    i, j = a["cell"]
    np.testing.assert_allclose(np.sum(a["depthwise_products"], axis=(1, 2)), a["depthwise_sums"])
    np.testing.assert_allclose(np.array(a["depthwise_sums"]) + a["bias"], depth[0, :, i, j].numpy())
    np.testing.assert_allclose(a["depthwise_cell"], depth[0, :, i, j].numpy())
    np.testing.assert_allclose(np.sum(a["pointwise_products"], axis=1) + a["pointwise_bias"], out[0, :, i, j].numpy())
    np.testing.assert_allclose(a["output_cell"], out[0, :, i, j].numpy())
    # the costs, from real modules of the same shape
    std = nn.Conv2d(c_in, c_out, k).double()
    dw = nn.Conv2d(c_in, c_in, k, groups=c_in).double()
    pw = nn.Conv2d(c_in, c_out, 1).double()
    probe = torch.zeros(1, c_in, n, n, dtype=torch.float64)
    std_macs, std_y = macs(std, probe)
    dw_macs, dw_y = macs(dw, probe)
    pw_macs, pw_y = macs(pw, dw_y)
    assert std_y.shape == pw_y.shape  # the same output shape either way
    costs = a["costs"]
    assert costs["standard"]["params"] == n_params(std) == c_out * c_in * k * k + c_out
    assert costs["depthwise"]["params"] == n_params(dw) == c_in * k * k + c_in
    assert costs["pointwise"]["params"] == n_params(pw) == c_in * c_out + c_out
    assert costs["separable"]["params"] == n_params(dw) + n_params(pw)
    assert (costs["standard"]["macs"], costs["depthwise"]["macs"], costs["pointwise"]["macs"]) == \
           (std_macs, dw_macs, pw_macs)
    assert a["mac_ratio"] == pytest.approx(1 / c_out + 1 / k ** 2)
    assert txt["std_formula"].endswith(f"= {n_params(std)}")


def test_depthwise_separable_working_lines_read_back_to_the_arrays():
    a, txt, _ = values("depthwise_separable")
    i, j = a["cell"]
    for line, value in zip(txt["depth_lines"], a["depthwise_cell"]):
        assert line.endswith(f"= {value:g}")
    for o, line in enumerate(txt["mix_lines"]):
        assert line.endswith(f"= {a['output'][o][i][j]:g}")
        weights = [float(s.split("×")[0].strip("()")) for s in line.split(" = ")[0].split(" + ")[:-1]]
        assert weights == a["pointwise_kernel"][o]


def test_depthwise_separable_lecture_entry_equals_torch():
    p = load_config().entry("depthwise_separable").params
    a, _, _ = values("depthwise_separable", p)
    depth = F.conv2d(t(a["input"])[None], t(a["kernel"])[:, None], t(a["bias"]), groups=p.in_channels)
    np.testing.assert_allclose(a["output"], F.conv2d(depth, t(a["pointwise_kernel"])[:, :, None, None],
                                                     t(a["pointwise_bias"]))[0].numpy())
