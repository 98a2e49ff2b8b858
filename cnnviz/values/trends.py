"""Values of the ``trends`` scene: the course's three trends of CNN design, every number computed.

1. **Smaller kernels.** A stack of ``n`` convolutions of size c×c (stride 1) sees r = 1 + n(c − 1) input cells
   (:func:`cnnviz.receptive_field`), as one convolution of size r×r does; with C channels in and out the stack
   holds n(c²C² + C) parameters, the one large kernel r²C² + C — counted here from real ``torch.nn.Conv2d``
   modules (built on torch's ``meta`` device: shapes and parameter counts without memory), and the stack puts a
   nonlinearity after each of its n layers instead of one.
2. **Deeper networks.** The classic networks described module by module (:class:`Unit`, :class:`Branches`):
   LeNet-5 and AlexNet as :mod:`cnnviz.classic` describes them, VGG in one of its configurations, GoogLeNet
   with its nine Inception modules, ResNet in one of its variants. A network's depth is the number of layers
   with weights (convolutions and dense layers) on its longest path from input to output: parallel branches
   count as their deepest branch, as GoogLeNet's and ResNet's authors count them.
3. **Strided convolution instead of pooling.** A stride-1 convolution (padding c // 2) followed by 2×2, stride-2
   pooling, and a stride-2 convolution alone: the same output size (:func:`cnnviz.conv_output_size`,
   :func:`cnnviz.pool_output_size`, checked against the torch modules), the same parameters, a quarter of the
   multiplications. Toward fully convolutional networks: VGG's first dense layer is a 7×7 convolution with the
   same weights (counted from ``nn.Linear`` and ``nn.Conv2d``; the same outputs on a small case, float64), and
   the network so made takes a larger image and gives a map of class scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..classic import ALEXNET_INPUT, NetLayer, alexnet_layers, lenet_layers, walk
from ..config import TrendsParams
from ..shapes import Layer, conv_output_size, pool_output_size, receptive_field
from . import SceneValues, fmt

__all__ = ["Branches", "Unit", "VGG_CONFIGS", "RESNET_STAGES", "compute", "depth", "googlenet", "lenet", "alexnet",
           "networks", "resnet", "thousands", "vgg", "vgg_layers", "weight_modules"]

#: the pooling window and stride, and the strided convolution's stride: the map is halved
HALVING = 2
META = torch.device("meta")  # modules whose parameters have shapes but no storage: counts without memory


@dataclass(frozen=True)
class Unit:
    """One module of a network: ``kind`` ``"conv"``, ``"dense"`` or ``"pool"``, its kernel size c (conv, pool)."""

    kind: str
    kernel: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("conv", "dense", "pool"):
            raise ValueError(f"unit kind must be 'conv', 'dense' or 'pool'; got {self.kind!r}")


@dataclass(frozen=True)
class Branches:
    """Parallel paths from one input, their outputs joined (``"concat"``: an Inception module; ``"add"``: a
    residual block, one path its shortcut: an empty path is the identity)."""

    name: str
    paths: tuple[tuple[Unit | Branches, ...], ...]
    join: str

    def __post_init__(self) -> None:
        if self.join not in ("concat", "add") or not self.paths:
            raise ValueError(f"{self.name}: join must be 'concat' or 'add', with at least one path")


Net = tuple["Unit | Branches", ...]


def depth(items: Net) -> int:
    """Layers with weights on the longest path: a unit counts 1 if it has weights (conv, dense), a block as
    its deepest path.

    Examples
    --------
    >>> depth((Unit("conv", 3), Unit("pool", 2), Branches("b", ((Unit("conv", 1), Unit("conv", 3)), ()), "add")))
    3
    """
    total = 0
    for item in items:
        if isinstance(item, Unit):
            total += item.kind in ("conv", "dense")
        else:
            total += max(depth(path) for path in item.paths)
    return total


def weight_modules(items: Net) -> int:
    """Every module with weights, on all paths (a projection shortcut counts here, not in :func:`depth`)."""
    total = 0
    for item in items:
        if isinstance(item, Unit):
            total += item.kind in ("conv", "dense")
        else:
            total += sum(weight_modules(path) for path in item.paths)
    return total


def _units(layers: tuple[NetLayer, ...]) -> Net:
    return tuple(Unit(layer.kind, layer.kernel if layer.kind != "dense" else 1) for layer in layers)


def lenet() -> Net:
    """LeNet-5 as :func:`cnnviz.classic.lenet_layers` describes it."""
    return _units(lenet_layers())


def alexnet() -> Net:
    """AlexNet as :func:`cnnviz.classic.alexnet_layers` describes it (its two GPUs' halves are one layer)."""
    return _units(alexnet_layers())


#: Simonyan & Zisserman 2015, Table 1: output channels of each 3×3 convolution, "M" a 2×2 max pooling
VGG_CONFIGS: dict[int, tuple[int | str, ...]] = {
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}


def vgg_layers(config: int) -> tuple[NetLayer, ...]:
    """VGG's layers in :mod:`cnnviz.classic`'s description: 3×3 convolutions (padding 1), 2×2 max pooling
    (stride 2), then the dense layers fc6 4096, fc7 4096, fc8 1000 (input 3×224×224)."""
    layers, block, index = [], 1, 1
    for item in VGG_CONFIGS[config]:
        if item == "M":
            layers.append(NetLayer(f"pool{block}", "pool", kernel=2, stride=2))
            block, index = block + 1, 1
        else:
            layers.append(NetLayer(f"conv{block}_{index}", "conv", int(item), kernel=3, padding=1, activation="relu"))
            index += 1
    layers += [NetLayer("fc6", "dense", 4096, activation="relu", dropout=True),
               NetLayer("fc7", "dense", 4096, activation="relu", dropout=True),
               NetLayer("fc8", "dense", 1000)]
    return tuple(layers)


def vgg(config: int) -> Net:
    return _units(vgg_layers(config))


def googlenet() -> Net:
    """GoogLeNet (Szegedy et al. 2015, Table 1): a stem of a 7×7 convolution, pooling, a 1×1 and a 3×3
    convolution, pooling; nine Inception modules (3a, 3b, pooling, 4a–4e, pooling, 5a, 5b), each of four paths
    (1×1; 1×1 then 3×3; 1×1 then 5×5; 3×3 pooling then 1×1) concatenated; average pooling, one dense layer.
    The two auxiliary classifiers, used in training only, are left out."""

    def inception(name: str) -> Branches:
        return Branches(name, ((Unit("conv", 1),), (Unit("conv", 1), Unit("conv", 3)),
                               (Unit("conv", 1), Unit("conv", 5)), (Unit("pool", 3), Unit("conv", 1))), "concat")

    pool = Unit("pool", 3)
    return (Unit("conv", 7), pool, Unit("conv", 1), Unit("conv", 3), pool,
            inception("3a"), inception("3b"), pool,
            *(inception(f"4{x}") for x in "abcde"), pool,
            inception("5a"), inception("5b"), Unit("pool", 7), Unit("dense"))


#: He et al. 2016, Table 1: residual blocks in each of the four stages, and the block (two 3×3 convolutions,
#: "basic", or 1×1, 3×3, 1×1, "bottleneck")
RESNET_STAGES: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def resnet(variant: int) -> Net:
    """ResNet: a 7×7 convolution and 3×3 pooling, four stages of residual blocks (the first block of a stage
    that changes the shape has a 1×1 projection shortcut, the others the identity), average pooling, one dense
    layer."""
    kind, stages = RESNET_STAGES[variant]
    body = (Unit("conv", 3), Unit("conv", 3)) if kind == "basic" else (Unit("conv", 1), Unit("conv", 3),
                                                                          Unit("conv", 1))
    blocks: list[Branches] = []
    for stage, count in enumerate(stages):
        for b in range(count):
            # stage 1 of a bottleneck net widens 64 -> 256 channels; later stages halve the map and widen
            projected = b == 0 and (stage > 0 or kind == "bottleneck")
            blocks.append(Branches(f"stage{stage + 1}.{b}", (body, (Unit("conv", 1),) if projected else ()), "add"))
    return (Unit("conv", 7), Unit("pool", 3), *blocks, Unit("pool", 7), Unit("dense"))


def networks(p: TrendsParams) -> list[tuple[str, Net]]:
    """The five classic networks, in the order of the course."""
    return [("LeNet-5", lenet()), ("AlexNet", alexnet()), (f"VGG-{p.vgg}", vgg(p.vgg)),
            ("GoogLeNet", googlenet()), (f"ResNet-{p.resnet}", resnet(p.resnet))]


def thousands(n: int) -> str:
    """A count as it is written on screen: digits in groups of three (``102,464``)."""
    return f"{int(n):,}"


def _numel(module: nn.Module) -> int:
    return sum(q.numel() for q in module.parameters())


def _stacks(p: TrendsParams) -> list[dict]:
    """Trend 1: each stack of n small kernels against the one kernel of its receptive field."""
    c, ch = p.small_kernel, p.channels
    rows = []
    for n in range(2, p.deepest_stack + 1):
        r = receptive_field([Layer(kernel_size=c)] * n)[-1].size
        if receptive_field([Layer(kernel_size=r)])[-1].size != r:  # one r×r kernel sees r cells, as the stack
            raise AssertionError(f"a {r}×{r} kernel's receptive field is not {r}")
        stack = nn.Sequential(*(nn.Conv2d(ch, ch, c, padding=c // 2, device=META) for _ in range(n)))
        big = nn.Conv2d(ch, ch, r, padding=r // 2, device=META)
        # the same output size from the same input (padding keeps it): shape by torch on the meta device
        x = torch.empty((1, ch, r, r), device=META)
        if tuple(stack(x).shape) != tuple(big(x).shape):
            raise AssertionError("the stack and the large kernel give different output shapes")
        stack_params, big_params = _numel(stack), _numel(big)
        rows.append({"n": n, "r": r, "stack_params": stack_params, "big_params": big_params,
                     "stack_weights": sum(m.weight.numel() for m in stack), "big_weights": big.weight.numel(),
                     "ratio": stack_params / big_params,
                     "nonlinear_stack": n, "nonlinear_big": 1,
                     "stack_name": f"{n} × {c}×{c}", "big_name": f"{r}×{r}",
                     "stack_text": thousands(stack_params), "big_text": thousands(big_params),
                     "ratio_text": fmt(stack_params / big_params),
                     "stack_formula": f"{n}({c}^2 C^2 + C)", "big_formula": f"{r}^2 C^2 + C"})
    return rows


def _picture(p: TrendsParams, r: int, n: int) -> dict:
    """The maps of the first stack drawn square: an r×r input shrinking by c − 1 a layer (no padding) to one
    output cell, and the one large kernel taking the same r×r input to one cell."""
    c = p.small_kernel
    sizes = [r]
    for _ in range(n):
        sizes.append(conv_output_size(sizes[-1], c))
    return {"stack_sizes": sizes, "big_sizes": [r, conv_output_size(r, r)]}


def _depths(p: TrendsParams) -> list[dict]:
    """Trend 2: each network's depth, its modules with weights and the kernel sizes its convolutions use."""
    out = []
    for name, net in networks(p):
        kernels = sorted({u.kernel for u in _flat(net) if u.kind == "conv"}, reverse=True)
        out.append({"name": name, "depth": depth(net), "weight_modules": weight_modules(net), "kernels": kernels,
                    "depth_text": str(depth(net)), "kernels_text": ", ".join(str(k) for k in kernels),
                    "kernel_sizes_text": ", ".join(f"{k}×{k}" for k in kernels)})
    return out


def _flat(items: Net) -> list[Unit]:
    units: list[Unit] = []
    for item in items:
        if isinstance(item, Unit):
            units.append(item)
        else:
            for path in item.paths:
                units += _flat(path)
    return units


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _strided(p: TrendsParams) -> dict:
    """Trend 3: convolution (stride 1) + 2×2 pooling against one stride-2 convolution, on C×H×W."""
    c, ch, h = p.small_kernel, p.channels, p.map_size
    pad, s = c // 2, HALVING
    conv_h = conv_output_size(h, c, padding=pad)
    pool_h = pool_output_size(conv_h, s, stride=s)
    strided_h = conv_output_size(h, c, stride=s, padding=pad)
    conv = nn.Conv2d(ch, ch, c, padding=pad, device=META)
    pool = nn.MaxPool2d(s, stride=s) if p.pool == "max" else nn.AvgPool2d(s, stride=s)
    strided = nn.Conv2d(ch, ch, c, stride=s, padding=pad, device=META)
    x = torch.empty((1, ch, h, h), device=META)
    shapes = {"conv": tuple(conv(x).shape[1:]), "pool": tuple(pool(conv(x)).shape[1:]),
              "strided": tuple(strided(x).shape[1:])}
    computed = {"conv": (ch, conv_h, conv_h), "pool": (ch, pool_h, pool_h), "strided": (ch, strided_h, strided_h)}
    if shapes != computed:
        raise AssertionError(f"output sizes: the arithmetic gives {computed}, torch {shapes}")
    if pool_h != strided_h:
        raise AssertionError(f"pooling gives {pool_h}, the stride-2 convolution {strided_h}")
    # one multiplication per weight and output cell: c·c·C weights for each of C output maps' cells
    per_cell = c * c * ch * ch
    conv_mults, strided_mults = conv_h * conv_h * per_cell, strided_h * strided_h * per_cell
    return {"c": c, "padding": pad, "window": s, "stride": s, "pool": p.pool, "input_shape": (ch, h, h),
            "conv_shape": computed["conv"],
            "pool_shape": computed["pool"], "strided_shape": computed["strided"],
            "input_text": _shape_text((ch, h, h)), "conv_text": _shape_text(computed["conv"]),
            "pool_text": _shape_text(computed["pool"]), "strided_text": _shape_text(computed["strided"]),
            "conv_params": _numel(conv), "pool_params": _numel(pool), "strided_params": _numel(strided),
            "conv_params_text": thousands(_numel(conv) + _numel(pool)),
            "strided_params_text": thousands(_numel(strided)),
            "conv_mults": conv_mults, "strided_mults": strided_mults,
            "conv_mults_text": thousands(conv_mults), "strided_mults_text": thousands(strided_mults),
            "mults_ratio": conv_mults / strided_mults, "mults_ratio_text": fmt(conv_mults / strided_mults)}


def _fully_convolutional(p: TrendsParams) -> dict:
    """VGG's fc6 as a convolution: the same weights; on a larger image the network gives a map of scores."""
    layers = vgg_layers(p.vgg)
    steps = walk(layers, ALEXNET_INPUT)  # VGG reads 3×224×224, as AlexNet does
    fc6 = next(s for s in steps if s.layer.name == "fc6")
    c_in, h, w = fc6.in_shape
    dense = nn.Linear(c_in * h * w, fc6.layer.size, device=META)
    as_conv = nn.Conv2d(c_in, fc6.layer.size, (h, w), device=META)
    if _numel(dense) != _numel(as_conv) or _numel(dense) != fc6.params:
        raise AssertionError("fc6 and its convolution hold different numbers of parameters")
    one = tuple(as_conv(torch.empty((1, c_in, h, w), device=META)).shape[1:])
    # the same outputs: a small dense layer and the convolution holding its weights, float64
    gen = torch.Generator().manual_seed(p.seed)
    small_in, small_out = (3, 4, 4), 5
    x = torch.randn((1, *small_in), generator=gen, dtype=torch.float64)
    small_dense = nn.Linear(48, small_out, dtype=torch.float64)
    small_conv = nn.Conv2d(3, small_out, 4, dtype=torch.float64)
    with torch.no_grad():
        small_dense.weight.copy_(torch.randn(small_dense.weight.shape, generator=gen, dtype=torch.float64))
        small_dense.bias.copy_(torch.randn(small_out, generator=gen, dtype=torch.float64))
        small_conv.weight.copy_(small_dense.weight.reshape(small_out, *small_in))
        small_conv.bias.copy_(small_dense.bias)
        diff = float((small_dense(x.flatten(1)) - small_conv(x).flatten(1)).abs().max())
    # the whole network on a larger image: convolutions and pooling as before, fc6 a h×w convolution, fc7 and
    # fc8 1×1 convolutions
    big = walk(tuple(layer for layer in layers if layer.kind != "dense"), (3, p.large_input, p.large_input))
    last = big[-1].out_shape
    score_side = conv_output_size(last[1], h)  # fc6 as an h×w convolution; 1×1 convolutions keep the size
    fc8 = layers[-1].size
    net = nn.Sequential(nn.Conv2d(c_in, fc6.layer.size, (h, w), device=META),
                        nn.Conv2d(fc6.layer.size, layers[-2].size, 1, device=META),
                        nn.Conv2d(layers[-2].size, fc8, 1, device=META))
    scores = tuple(net(torch.empty((1, *last), device=META)).shape[1:])
    if scores != (fc8, score_side, score_side):
        raise AssertionError(f"score map: the arithmetic gives {(fc8, score_side, score_side)}, torch {scores}")
    return {"fc6_in_shape": fc6.in_shape, "fc6_units": fc6.layer.size, "fc6_params": fc6.params,
            "fc6_params_text": thousands(fc6.params), "fc6_dense_in": c_in * h * w,
            "fc6_in_text": _shape_text(fc6.in_shape), "fc6_kernel_text": f"{h}×{w}",
            "fc6_conv_out_text": _shape_text(one), "dense_conv_max_diff": diff,
            "large_input_text": _shape_text((3, p.large_input, p.large_input)), "large_last_text": _shape_text(last),
            "score_shape": scores, "score_text": _shape_text(scores),
            "head_kernels_text": ", ".join(f"{m.kernel_size[0]}×{m.kernel_size[1]}" for m in net),
            "input_text_224": _shape_text(ALEXNET_INPUT),
            "classes": fc8}


def compute(p: TrendsParams) -> SceneValues:
    stacks = _stacks(p)
    first = stacks[0]
    arrays = {"channels": p.channels, "small_kernel": p.small_kernel, "stacks": stacks,
              **_picture(p, first["r"], first["n"]), "networks": _depths(p), "strided": _strided(p),
              "fully_convolutional": _fully_convolutional(p)}
    return SceneValues(arrays, {})
