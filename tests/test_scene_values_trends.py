"""trends: the numbers the scene shows (its JSON arrays) equal what real torch modules give, in float64 where
values are computed: receptive fields from autograd (which input cells an output's gradient reaches), parameter
counts from ``numel()``, output shapes from forward passes, multiplications from torch's FLOP counter, depths
from torch networks built independently here. Checked on the lecture's defaults and on a config the defaults
do not use; hostile entries are refused with the key named."""

from __future__ import annotations


import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.classic import build, walk
from cnnviz.config import SCENE_PARAMS, parse_config
from cnnviz.values import scene_json, scene_values
from cnnviz.values.trends import (RESNET_STAGES, VGG_CONFIGS, Branches, Unit, depth, googlenet, resnet, vgg,
                                  vgg_layers, weight_modules)

from hostile_support import assert_refused

META = torch.device("meta")


def arrays(params):
    return scene_json("trends", params, scene_values("trends", params))["arrays"]


@pytest.fixture(scope="module")
def custom():
    """Channels, kernel, stacks, networks, map and pooling the defaults never use."""
    cfg = parse_config({"scenes": [{"scene": "trends", "channels": 12, "small_kernel": 5, "deepest_stack": 4,
                                    "vgg": 19, "resnet": 50, "map_size": 22, "pool": "avg", "large_input": 288,
                                    "seed": 5}]})
    return cfg.entry("trends").params


@pytest.fixture(scope="module", params=["default", "custom"])
def case(request, custom):
    params = SCENE_PARAMS["trends"]() if request.param == "default" else custom
    return params, arrays(params)


def test_the_custom_config_is_not_the_default(custom):
    default = SCENE_PARAMS["trends"]()
    for key in ("channels", "small_kernel", "deepest_stack", "vgg", "resnet", "map_size", "pool", "large_input"):
        assert getattr(custom, key) != getattr(default, key), key


# ------------------------------------------------------------------ 1. smaller kernels
def gradient_support(convs: nn.Sequential, size: int) -> tuple[int, int]:
    """Rows and columns of a ``size``×``size`` input that the centre output's gradient reaches (float64)."""
    x = torch.ones((1, convs[0].in_channels, size, size), dtype=torch.float64, requires_grad=True)
    y = convs(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    hit = x.grad[0].abs().sum(0) > 0
    return int(hit.any(1).sum()), int(hit.any(0).sum())


def positive(conv: nn.Conv2d) -> nn.Conv2d:
    with torch.no_grad():  # no weight that happens to be zero hides a cell of the field
        conv.weight.uniform_(0.5, 1.0)
    return conv


def test_a_stack_and_the_large_kernel_see_the_same_receptive_field(case):
    p, a = case
    c = p.small_kernel
    assert [s["n"] for s in a["stacks"]] == list(range(2, p.deepest_stack + 1))
    for s in a["stacks"]:
        stack = nn.Sequential(*(positive(nn.Conv2d(1, 1, c, dtype=torch.float64)) for _ in range(s["n"])))
        big = nn.Sequential(positive(nn.Conv2d(1, 1, s["r"], dtype=torch.float64)))
        side = s["r"] + 6  # room around the field: the gradient must stop at its edge
        assert gradient_support(stack, side) == (s["r"], s["r"])
        assert gradient_support(big, side) == (s["r"], s["r"])
        assert s["big_name"] == f"{s['r']}×{s['r']}" and s["stack_name"] == f"{s['n']} × {c}×{c}"


def test_parameter_counts_are_real_conv2d_modules(case):
    p, a = case
    ch, c = p.channels, p.small_kernel
    assert a["channels"] == ch and a["small_kernel"] == c
    for s in a["stacks"]:
        stack = [nn.Conv2d(ch, ch, c, padding=c // 2) for _ in range(s["n"])]
        big = nn.Conv2d(ch, ch, s["r"], padding=s["r"] // 2)
        assert s["stack_params"] == sum(q.numel() for m in stack for q in m.parameters())
        assert s["big_params"] == sum(q.numel() for q in big.parameters())
        assert s["stack_weights"] == sum(m.weight.numel() for m in stack) and s["big_weights"] == big.weight.numel()
        assert s["stack_params"] < s["big_params"]  # the trend: fewer parameters for the same field
        assert s["stack_text"] == f"{s['stack_params']:,}" and s["big_text"] == f"{s['big_params']:,}"
        assert s["ratio"] == pytest.approx(s["stack_params"] / s["big_params"])
        assert s["nonlinear_stack"] == len(stack) and s["nonlinear_big"] == 1
        # the formula on screen, evaluated, is the count
        assert s["stack_formula"] == f"{s['n']}({c}^2 C^2 + C)" and s["big_formula"] == f"{s['r']}^2 C^2 + C"
        assert s["n"] * (c * c * ch * ch + ch) == s["stack_params"] and s["r"] ** 2 * ch * ch + ch == s["big_params"]


def test_the_drawn_maps_are_torch_shapes(case):
    p, a = case
    first = a["stacks"][0]
    x = torch.zeros((1, 1, first["r"], first["r"]))
    sizes = [first["r"]]
    for _ in range(first["n"]):
        x = nn.Conv2d(1, 1, p.small_kernel)(x)
        sizes.append(x.shape[-1])
    assert a["stack_sizes"] == sizes and sizes[-1] == 1
    one = nn.Conv2d(1, 1, first["r"])(torch.zeros((1, 1, first["r"], first["r"])))
    assert a["big_sizes"] == [first["r"], one.shape[-1]] == [first["r"], 1]


# ------------------------------------------------------------------ 2. deeper networks
class TorchBlock(nn.Module):
    """A residual block in torch, written here from He et al. 2016 (not from the values module)."""

    def __init__(self, c_in: int, width: int, bottleneck: bool, stride: int) -> None:
        super().__init__()
        c_out = width * 4 if bottleneck else width
        if bottleneck:
            self.body = nn.Sequential(nn.Conv2d(c_in, width, 1), nn.ReLU(), nn.Conv2d(width, width, 3, stride, 1),
                                      nn.ReLU(), nn.Conv2d(width, c_out, 1))
        else:
            self.body = nn.Sequential(nn.Conv2d(c_in, width, 3, stride, 1), nn.ReLU(), nn.Conv2d(width, width, 3, 1, 1))
        self.shortcut = nn.Conv2d(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out else nn.Identity()
        self.c_out = c_out

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def torch_resnet(variant: int) -> tuple[nn.Module, int]:
    """The network on the meta device and the convolutions + dense layers on its longest path, counted by
    walking the torch modules (a block's body is its longest path)."""
    kind, stages = RESNET_STAGES[variant]
    layers, c_in, longest = [nn.Conv2d(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1)], 64, 1
    for stage, count in enumerate(stages):
        for b in range(count):
            block = TorchBlock(c_in, 64 * 2**stage, kind == "bottleneck", 2 if b == 0 and stage > 0 else 1)
            layers.append(block)
            longest += sum(isinstance(m, nn.Conv2d) for m in block.body)
            c_in = block.c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 1000)]
    return nn.Sequential(*layers), longest + 1


@pytest.mark.parametrize("variant", sorted(RESNET_STAGES))
def test_resnet_depth_is_its_name_and_torch_modules_agree(variant):
    model, longest = torch_resnet(variant)
    modules = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    assert depth(resnet(variant)) == longest == variant
    assert weight_modules(resnet(variant)) == modules
    with torch.device(META):
        assert tuple(torch_resnet(variant)[0](torch.empty((1, 3, 224, 224))).shape) == (1, 1000)


@pytest.mark.parametrize("config", sorted(VGG_CONFIGS))
def test_vgg_depth_is_its_name_and_its_modules(config):
    layers = vgg_layers(config)
    with torch.device(META):
        model = build(layers, (3, 224, 224))
    modules = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    assert depth(vgg(config)) == modules == config
    assert walk(layers, (3, 224, 224))[-1].out_shape == (1000,)


def test_googlenet_is_22_layers_deep_as_its_authors_count():
    # Szegedy et al. 2015: "22 layers deep when counting only layers with parameters"; 57 convolutions
    # (3 in the stem, 6 in each of 9 Inception modules) and one dense layer without the auxiliary classifiers
    net = googlenet()
    assert depth(net) == 22 and weight_modules(net) == 3 + 9 * 6 + 1
    assert sum(isinstance(item, Branches) for item in net) == 9


def test_depth_takes_the_deepest_branch():
    block = Branches("b", ((Unit("conv", 1), Unit("conv", 3), Unit("conv", 1)), (Unit("conv", 1),), ()), "add")
    assert depth((Unit("conv", 7), block, Unit("pool", 2), Unit("dense"))) == 5
    assert weight_modules((Unit("conv", 7), block, Unit("pool", 2), Unit("dense"))) == 6
    with pytest.raises(ValueError, match="kind"):
        Unit("norm")


def test_the_chart_is_the_networks_in_the_course_order(case):
    p, a = case
    nets = a["networks"]
    assert [n["name"] for n in nets] == ["LeNet-5", "AlexNet", f"VGG-{p.vgg}", "GoogLeNet", f"ResNet-{p.resnet}"]
    assert [n["depth"] for n in nets] == [5, 8, p.vgg, 22, p.resnet]  # the numbers the networks are named by
    assert all(n["depth_text"] == str(n["depth"]) for n in nets)
    assert nets[2]["kernels"] == [3] and nets[2]["kernel_sizes_text"] == "3×3"
    assert nets[1]["kernels"] == [11, 5, 3] and nets[0]["kernels"] == [5]


# ------------------------------------------------------------------ 3. strided convolution instead of pooling
def test_stride_2_gives_the_pooled_size_in_torch(case):
    p, a = case
    s, ch, h, c = a["strided"], p.channels, p.map_size, p.small_kernel
    conv = nn.Conv2d(ch, ch, c, padding=c // 2, dtype=torch.float64)
    pool = nn.MaxPool2d(2) if p.pool == "max" else nn.AvgPool2d(2)
    strided = nn.Conv2d(ch, ch, c, stride=2, padding=c // 2, dtype=torch.float64)
    x = torch.randn((1, ch, h, h), dtype=torch.float64)
    assert s["input_shape"] == [ch, h, h] and s["pool"] == p.pool
    assert s["conv_shape"] == list(conv(x).shape[1:]) and s["pool_shape"] == list(pool(conv(x)).shape[1:])
    assert s["strided_shape"] == list(strided(x).shape[1:]) == s["pool_shape"] == [ch, h // 2, h // 2]
    for key in ("input", "conv", "pool", "strided"):
        assert s[f"{key}_text"] == "×".join(map(str, s[f"{key}_shape"]))
    numel = sum(q.numel() for q in conv.parameters())
    assert s["conv_params"] == numel == s["strided_params"] == sum(q.numel() for q in strided.parameters())
    assert s["pool_params"] == 0 and s["strided_params_text"] == f"{numel:,}"
    # torch counts a multiply-add as 2 FLOPs; the bias additions are not counted
    for module, key in ((conv, "conv_mults"), (strided, "strided_mults")):
        with FlopCounterMode(display=False) as flops:
            module(x)
        assert s[key] == flops.get_total_flops() // 2
    assert s["mults_ratio"] == 4 and s["mults_ratio_text"] == "4"


def test_fc6_is_a_convolution_with_the_same_weights(case):
    p, a = case
    f = a["fully_convolutional"]
    layers = vgg_layers(p.vgg)
    steps = walk(layers, (3, 224, 224))
    fc6 = next(s for s in steps if s.layer.name == "fc6")
    assert f["fc6_in_shape"] == [512, 7, 7] == list(fc6.in_shape) and f["fc6_units"] == 4096
    with torch.device(META):
        dense, conv = nn.Linear(512 * 49, 4096), nn.Conv2d(512, 4096, 7)
        assert tuple(conv(torch.empty((1, 512, 7, 7))).shape[1:]) == (4096, 1, 1)
    assert f["fc6_params"] == sum(q.numel() for q in dense.parameters()) == sum(q.numel() for q in conv.parameters())
    assert f["fc6_params_text"] == f"{f['fc6_params']:,}" and f["fc6_conv_out_text"] == "4096×1×1"
    assert f["fc6_kernel_text"] == "7×7" and f["fc6_in_text"] == "512×7×7"
    assert f["dense_conv_max_diff"] < 1e-12  # the values' own small case: float64, summed in another order
    # another small case, float64: a dense layer and the convolution holding its weights give the same outputs
    torch.manual_seed(3)
    lin = nn.Linear(5 * 3 * 2, 7, dtype=torch.float64)
    as_conv = nn.Conv2d(5, 7, (3, 2), dtype=torch.float64)
    with torch.no_grad():
        as_conv.weight.copy_(lin.weight.reshape(7, 5, 3, 2))
        as_conv.bias.copy_(lin.bias)
    x = torch.randn((4, 5, 3, 2), dtype=torch.float64)
    assert torch.allclose(lin(x.flatten(1)), as_conv(x).flatten(1), rtol=0, atol=1e-12)


def test_the_network_without_dense_layers_takes_a_larger_image(case):
    p, a = case
    f = a["fully_convolutional"]
    side = p.large_input
    with torch.device(META):
        model = build(tuple(layer for layer in vgg_layers(p.vgg) if layer.kind != "dense"), (3, side, side))
        head = nn.Sequential(nn.Conv2d(512, 4096, 7), nn.Conv2d(4096, 4096, 1), nn.Conv2d(4096, 1000, 1))
        last = model(torch.empty((1, 3, side, side)))
        scores = head(last)
    assert f["large_input_text"] == f"3×{side}×{side}"
    assert f["large_last_text"] == "×".join(map(str, last.shape[1:]))
    assert f["score_shape"] == list(scores.shape[1:]) and f["score_text"] == "×".join(map(str, scores.shape[1:]))
    assert f["head_kernels_text"] == "7×7, 1×1, 1×1"
    assert scores.shape[-1] == side // 32 - 6  # five halvings, then the 7×7 kernel


# ------------------------------------------------------------------ hostile entries
def scene(entry: str) -> str:
    return "scenes:\n  - {scene: trends, " + entry + "}\n"


CASES: dict[str, tuple[str, list[str]]] = {
    "channels zero": (scene("channels: 0"), ["(trends).channels", "got 0", "from 1 to 1024"]),
    "channels huge": (scene("channels: " + str(10**30)), ["channels", "from 1 to 1024"]),
    "channels as a string": (scene("channels: '64'"), ["channels", "'64'", "must be an integer"]),
    "channels as a float": (scene("channels: 64.5"), ["channels", "64.5", "must be an integer"]),
    "an even small kernel": (scene("small_kernel: 4"), ["small_kernel must be odd", "got 4"]),
    "a small kernel of 7": (scene("small_kernel: 7"), ["small_kernel", "got 7", "from 3 to 5"]),
    "one layer is no stack": (scene("deepest_stack: 1"), ["deepest_stack", "got 1", "from 2 to 4"]),
    "an odd map": (scene("map_size: 31"), ["map_size must be even", "got 31"]),
    "a map too large": (scene("map_size: 100000"), ["map_size", "from 4 to 512"]),
    "a VGG that does not exist": (scene("vgg: 17"), ["vgg", "17", "allowed: 11, 13, 16, 19"]),
    "a ResNet that does not exist": (scene("resnet: 20"), ["resnet", "20", "allowed: 18, 34, 50, 101, 152"]),
    "a pooling that does not exist": (scene("pool: median"), ["pool", "'median'", "allowed: max, avg"]),
    "an image too small for fc6": (scene("large_input: 100"), ["large_input", "got 100", "from 224 to 1024"]),
    "unknown key": (scene("kernel: 3"), ["unknown key 'kernel'", "allowed:", "small_kernel"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_trends_entry_gets_exit_2_and_a_message(name, tmp_path, capsys):
    body, fragments = CASES[name]
    assert_refused("trends", body, fragments, tmp_path, capsys)