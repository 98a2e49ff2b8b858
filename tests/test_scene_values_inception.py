"""inception: the numbers the scene shows (its JSON arrays and texts) equal torch's, on the lecture's defaults
(GoogLeNet's inception (3a)) and on a config the defaults do not use. The oracle is built here on its own:
``nn.Conv2d`` modules for the parameters, ``torch.utils.flop_counter`` on a forward pass for the multiply-adds,
a float64 CPU forward with random weights for the concatenation, the paper's Table 1 for GoogLeNet and
gradients through stacked all-one kernels for the receptive fields. Hostile entries get exit 2 and a message
naming the key."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.config import SCENE_PARAMS, InceptionParams, parse_config
from cnnviz.values import scene_json, scene_values
from cnnviz.values.inception import BRANCHES, InceptionModule, build_googlenet

from hostile_support import assert_refused

KEYS = ("in_channels", "ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")


def config_params(**entry):
    return parse_config({"scenes": [{"scene": "inception", **entry}]}).entry("inception").params


@pytest.fixture(scope="module")
def custom():
    """Widths and a size no GoogLeNet module has, read from a lecture entry as a teacher would write it."""
    return config_params(in_channels=40, size=9, ch1x1=8, ch3x3red=12, ch3x3=20, ch5x5red=4, ch5x5=6, pool_proj=5)


@pytest.fixture(scope="module", params=["default", "custom"])
def case(request, custom):
    params = SCENE_PARAMS["inception"]() if request.param == "default" else custom
    values = scene_values("inception", params)
    doc = json.loads(json.dumps(scene_json("inception", params, values)))  # what is written beside the clip
    return params, doc["arrays"], values.text


def oracle_branches(p, bottleneck=True):
    """The four branches as lists of (kind, in, out, k), from the module's definition in the paper."""
    c = p.in_channels
    if bottleneck:
        return {"1x1": [("conv", c, p.ch1x1, 1)],
                "3x3": [("conv", c, p.ch3x3red, 1), ("conv", p.ch3x3red, p.ch3x3, 3)],
                "5x5": [("conv", c, p.ch5x5red, 1), ("conv", p.ch5x5red, p.ch5x5, 5)],
                "pool": [("pool", c, c, 3), ("conv", c, p.pool_proj, 1)]}
    return {"1x1": [("conv", c, p.ch1x1, 1)], "3x3": [("conv", c, p.ch3x3, 3)], "5x5": [("conv", c, p.ch5x5, 5)],
            "pool": [("pool", c, c, 3)]}


def oracle_costs(p, bottleneck=True):
    """Parameters from nn.Conv2d modules, multiply-adds from torch's flop counter (2 flops per multiply-add)."""
    out = {}
    for name, steps in oracle_branches(p, bottleneck).items():
        layers = [nn.Conv2d(i, o, k, padding=k // 2) if kind == "conv" else nn.MaxPool2d(3, 1, 1)
                  for kind, i, o, k in steps]
        branch = nn.Sequential(*layers)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            y = branch(torch.zeros(1, p.in_channels, p.size, p.size))
        out[name] = {"params": sum(t.numel() for t in branch.parameters()), "macs": counter.get_total_flops() // 2,
                     "shape": list(y.shape[1:])}
    return out


def test_the_custom_config_is_not_the_default(custom):
    default = InceptionParams()
    assert all(getattr(custom, k) != getattr(default, k) for k in (*KEYS, "size"))
    assert (default.in_channels, default.size, default.ch1x1, default.ch3x3, default.ch5x5, default.pool_proj) == (
        192, 28, 64, 128, 32, 32)  # GoogLeNet's inception (3a)


@pytest.mark.parametrize("bottleneck", [True, False])
def test_each_branchs_parameters_and_multiply_adds_are_torchs(case, bottleneck):
    p, a, _ = case
    module = a["module" if bottleneck else "naive_module"]
    expected = oracle_costs(p, bottleneck)
    for name in BRANCHES:
        got = module["branches"][name]
        assert (got["params"], got["macs"], got["shape"]) == tuple(expected[name][k] for k in ("params", "macs", "shape"))
        assert got["weights"] + got["biases"] == got["params"]
    assert module["params"] == sum(e["params"] for e in expected.values())
    assert module["macs"] == sum(e["macs"] for e in expected.values())
    channels = sum(e["shape"][0] for e in expected.values())
    assert module["shape"] == [channels, p.size, p.size]


def test_the_bottleneck_saves_and_the_naive_output_carries_every_input_channel(case):
    p, a, t = case
    assert a["module"]["macs"] < a["naive_module"]["macs"]
    assert a["module"]["branches"]["5x5"]["macs"] < a["naive_module"]["branches"]["5x5"]["macs"]
    assert a["naive_output_shape"][0] == p.ch1x1 + p.ch3x3 + p.ch5x5 + p.in_channels
    assert a["output_shape"] == [p.ch1x1 + p.ch3x3 + p.ch5x5 + p.pool_proj, p.size, p.size]
    assert a["mac_ratio"] == pytest.approx(a["module"]["macs"] / a["naive_module"]["macs"], rel=1e-15)
    assert a["param_ratio"] == pytest.approx(a["module"]["params"] / a["naive_module"]["params"], rel=1e-15)
    assert t["mac_share"] == f"{round(100 * a['mac_ratio'])} %"


def test_the_module_concatenates_its_branches_along_channels_in_float64(case):
    """A real forward on the CPU with random weights equals the branches computed with torch's functions."""
    p, a, _ = case
    torch.manual_seed(1)
    module = InceptionModule(*(getattr(p, k) for k in KEYS)).double()
    x = torch.randn(1, p.in_channels, p.size, p.size, dtype=torch.float64)
    convs = [[m for m in b if isinstance(m, nn.Conv2d)] for b in module.branches]

    def conv(h, m):
        return F.relu(F.conv2d(h, m.weight, m.bias, padding=m.kernel_size[0] // 2))

    expected = [conv(x, convs[0][0]), conv(conv(x, convs[1][0]), convs[1][1]),
                conv(conv(x, convs[2][0]), convs[2][1]), conv(F.max_pool2d(x, 3, 1, 1), convs[3][0])]
    with torch.no_grad():
        y = module(x)
    torch.testing.assert_close(y, torch.cat(expected, dim=1), rtol=0, atol=1e-12)
    assert list(y.shape[1:]) == a["output_shape"]


def test_the_texts_on_screen_are_the_arrays(case):
    p, a, t = case
    def count(n):
        return f"{n / 1e6:.1f} M" if n >= 1_000_000 else f"{n:,}"
    assert t["input_shape"] == f"{p.in_channels}×{p.size}×{p.size}"
    assert t["output_shape"] == "×".join(map(str, a["output_shape"]))
    assert t["concat_sum"] == f"{p.ch1x1} + {p.ch3x3} + {p.ch5x5} + {p.pool_proj} = {a['output_shape'][0]}"
    assert (t["params"], t["naive_params"]) == (count(a["module"]["params"]), count(a["naive_module"]["params"]))
    assert (t["macs"], t["naive_macs"]) == (count(a["module"]["macs"]), count(a["naive_module"]["macs"]))
    for row, name in zip(t["branches"], BRANCHES):
        assert row["params"] == count(a["module"]["branches"][name]["params"])
        assert row["naive_macs"] == count(a["naive_module"]["branches"][name]["macs"])
    n = p.size
    reduce5, conv5 = a["module"]["branches"]["5x5"]["steps"]
    assert reduce5["macs"] == n * n * p.ch5x5red * p.in_channels and conv5["macs"] == n * n * p.ch5x5 * p.ch5x5red * 25
    assert t["five_naive_formula"] == f"{n}×{n}×{p.ch5x5} × {p.in_channels}×5×5 = {count(n * n * p.ch5x5 * p.in_channels * 25)}"
    assert t["five_conv_formula"] == f"{n}×{n}×{p.ch5x5} × {p.ch5x5red}×5×5 = {count(conv5['macs'])}"


def test_the_drawn_squares_follow_the_channels(case):
    _, a, _ = case
    drawn = a["drawn_layers"]
    assert drawn["output"] == sum(drawn["branches"]) and all(d >= 1 for d in drawn["branches"])
    widest = int(np.argmax([s["shape"][0] for s in a["module"]["branches"].values()]))
    assert drawn["branches"][widest] == max(drawn["branches"])


# ------------------------------------------------------------------ GoogLeNet
#: Table 1 of Szegedy et al. (2015), "Going deeper with convolutions": each stage's output (C, H, W)
TABLE_1 = {"conv1": (64, 112, 112), "pool1": (64, 56, 56), "conv2": (192, 56, 56), "pool2": (192, 28, 28),
           "3a": (256, 28, 28), "3b": (480, 28, 28), "pool3": (480, 14, 14), "4a": (512, 14, 14),
           "4b": (512, 14, 14), "4c": (512, 14, 14), "4d": (528, 14, 14), "4e": (832, 14, 14), "pool4": (832, 7, 7),
           "5a": (832, 7, 7), "5b": (1024, 7, 7), "avgpool": (1024, 1, 1)}
#: the table's "ops" column (millions of multiply-adds); 5a's 54M does not follow from its own widths (51.1M) and
#: is left out
TABLE_1_OPS = {"3a": 128, "3b": 304, "4a": 73, "4b": 88, "4c": 100, "4d": 119, "4e": 170, "5b": 71}


def test_googlenet_is_table_1_of_the_paper_nine_modules_in_22_layers(case):
    _, a, t = case
    net = a["googlenet"]
    stages = {s["name"]: s for s in net["stages"]}
    for name, shape in TABLE_1.items():
        assert tuple(stages[name]["shape"]) == shape, name
    assert stages["fc"]["shape"] == [1000]
    for name, ops in TABLE_1_OPS.items():
        assert abs(stages[name]["macs"] / 1e6 - ops) < 1, name  # the table rounds either way (4a 73.6, 4b 87.9)
    assert net["modules"] == 9 and sum(s["kind"] == "inception" for s in net["stages"]) == 9
    # the paper: "22 layers deep when counting only layers with parameters (or 27 layers if we also count pooling)"
    assert (net["depth"], net["depth_with_pooling"], net["pooling_layers"]) == (22, 27, 5)
    assert t["net_depth_sum"] == "1 + 2 + 9 × 2 + 1 = 22" and t["net_depth_pool_sum"] == "22 + 5 = 27"


def test_googlenets_counts_are_torchs():
    net = build_googlenet(device="cpu")
    values = scene_values("inception").arrays["googlenet"]
    assert values["params"] == sum(p.numel() for p in net.parameters())
    with FlopCounterMode(display=False) as counter:
        build_googlenet(device="meta")(torch.zeros(1, 3, 224, 224, device="meta"))
    assert values["macs"] == counter.get_total_flops() // 2
    assert sum(s["params"] for s in values["stages"]) == values["params"]


# ------------------------------------------------------------------ two 3x3 for one 5x5
def field_of(kernels):
    """The input cells an output sees through stacked all-one kernels: where its gradient is non-zero."""
    size = 1 + sum(k - 1 for k in kernels)
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    h = x
    for k in kernels:
        h = F.conv2d(h, torch.ones(1, 1, k, k, dtype=torch.float64))
    h.sum().backward()
    return x.grad[0, 0].numpy()


def test_two_3x3_see_what_one_5x5_sees_with_18_weights_instead_of_25(case):
    _, a, t = case
    v3 = a["v3"]
    stacked, single = field_of([3, 3]), field_of([5])
    assert stacked.shape == single.shape == (5, 5) and (stacked > 0).all() and (single > 0).all()
    assert v3["stacked_fields"] == [3, 5] and v3["single_field"] == 5
    np.testing.assert_array_equal(v3["paths"], stacked)  # paths: the full convolution of two 3x3 of ones
    np.testing.assert_array_equal(v3["paths"], np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]))
    weights = [nn.Conv2d(1, 1, k, bias=False).weight.numel() for k in (3, 3, 5)]
    assert (v3["stacked_weights"], v3["single_weights"]) == (weights[0] + weights[1], weights[2]) == (18, 25)
    assert t["v3_ratio"] == "18/25 = 0.72" and t["v3_saving"] == "28 %"


# ------------------------------------------------------------------ hostile entries
def scene(entry: str) -> str:
    return "scenes:\n  - {scene: inception, " + entry + "}\n"


CASES: dict[str, tuple[str, list[str]]] = {
    "in_channels 0": (scene("in_channels: 0"), ["(inception).in_channels", "got 0", "from 2 to 1024"]),
    "in_channels 5000": (scene("in_channels: 5000"), ["in_channels", "got 5000", "from 2 to 1024"]),
    "in_channels 10**30": (scene("in_channels: " + str(10**30)), ["in_channels", "from 2 to 1024"]),
    "in_channels a string": (scene("in_channels: '192'"), ["in_channels", "'192'", "must be an integer"]),
    "in_channels a float": (scene("in_channels: 192.0"), ["in_channels", "192.0", "must be an integer"]),
    "size 2": (scene("size: 2"), ["(inception).size", "got 2", "from 3 to 56"]),
    "size 224": (scene("size: 224"), ["size", "got 224", "from 3 to 56"]),
    "ch1x1 negative": (scene("ch1x1: -64"), ["ch1x1", "got -64", "from 1 to 512"]),
    "pool_proj a list": (scene("pool_proj: [32]"), ["pool_proj", "[32]"]),
    "ch5x5 true": (scene("ch5x5: true"), ["ch5x5", "True", "must be an integer"]),
    "a bottleneck as wide as the input": (scene("in_channels: 64, ch3x3red: 64"),
                                          ["(inception)", "ch3x3red (64) must be less than in_channels (64)",
                                           "bottleneck"]),
    "a bottleneck that saves nothing": (scene("in_channels: 10, ch3x3red: 2, ch5x5red: 9, ch5x5: 1"),
                                        ["(inception)", "ch5x5red (9) is too wide", "ch5x5 (1)", "in_channels (10)"]),
    "unknown key": (scene("channels: 256"), ["unknown key 'channels'", "allowed: ch1x1, ch3x3, ch3x3red"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_inception_entry_gets_exit_2_and_a_message(name, tmp_path, capsys):
    body, fragments = CASES[name]
    assert_refused("inception", body, fragments, tmp_path, capsys)


def test_parameters_built_in_code_are_held_to_the_same_rules():
    with pytest.raises(ValueError, match="ch5x5red"):
        InceptionParams(in_channels=16, ch5x5red=16)
    assert config_params().model_dump() == InceptionParams().model_dump()
