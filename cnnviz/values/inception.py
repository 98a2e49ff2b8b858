"""Values of the ``inception`` scene: one Inception-v1 module, its 1x1 bottleneck's saving, GoogLeNet as nine
such modules in 22 layers, and Inception v3's two 3x3 convolutions in place of one 5x5.

The module is a real ``torch.nn.Module`` (:class:`InceptionModule`): a 1x1 branch, 1x1 then 3x3, 1x1 then 5x5,
and a 3x3 max pool then 1x1, each keeping H×W, concatenated along channels (``torch.cat(dim=1)``). Without the
bottleneck (the paper's "naive" module) the 3x3 and 5x5 convolutions read the input directly and the pool
branch passes all its channels on. Parameters are counted from each module's tensors; output shapes come from
a forward pass on torch's ``meta`` device (shapes only, no arithmetic, so wide configurations cost nothing);
multiply-adds are each convolution's output values times the products one of them takes
(``C_in/groups · k · k``; tests check them against ``torch.utils.flop_counter``).

GoogLeNet is the paper's Table 1 (Szegedy et al., 2015), built from the same module (convolutions with
biases, no batch norm, no auxiliary classifiers; its max pools round up, as torchvision's); its depth is
counted from the built network: the longest chain of layers with weights through each stage.

Inception v3's factorisation: the receptive field of two stacked 3x3 convolutions and of one 5x5, both from
:func:`cnnviz.shapes.receptive_field`, and the weights each takes per pair of input and output channels; the
paths from each input cell to the output through the two 3x3 layers come from the ``receptive_field``
scene's :func:`~cnnviz.values.receptive_field.influence` (torch backprop through all-one kernels).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from ..config import InceptionParams
from ..shapes import Layer, receptive_field
from . import SceneValues, fmt
from .receptive_field import influence

__all__ = ["BRANCHES", "DRAWN_LAYERS", "GOOGLENET", "GOOGLENET_INPUT", "InceptionModule", "branch_costs", "build_googlenet",
           "compute", "depth", "googlenet_stages", "macs", "module_costs", "v3_factorisation"]

#: the four branches, in the order their outputs are concatenated
BRANCHES = ("1x1", "3x3", "5x5", "pool")
#: the concatenated output is drawn with about this many layers; every volume's layers are in proportion
DRAWN_LAYERS = 8
#: the most layers a drawn volume gets (a wide input beside a narrow module)
MAX_DRAWN_LAYERS = 10
#: the most a branch's output gets: the four branches' rows stay apart
MAX_BRANCH_LAYERS = 6
GOOGLENET_INPUT = (3, 224, 224)
#: GoogLeNet's nine Inception modules (the paper's Table 1): name, in_channels, #1x1, #3x3 reduce, #3x3,
#: #5x5 reduce, #5x5, pool proj; "pool" is a 3x3 max pool of stride 2 between them
GOOGLENET: tuple[Any, ...] = (
    ("3a", 192, 64, 96, 128, 16, 32, 32), ("3b", 256, 128, 128, 192, 32, 96, 64), "pool",
    ("4a", 480, 192, 96, 208, 16, 48, 64), ("4b", 512, 160, 112, 224, 24, 64, 64),
    ("4c", 512, 128, 128, 256, 24, 64, 64), ("4d", 512, 112, 144, 288, 32, 64, 64),
    ("4e", 528, 256, 160, 320, 32, 128, 128), "pool",
    ("5a", 832, 256, 160, 320, 32, 128, 128), ("5b", 832, 384, 192, 384, 48, 128, 128),
)


class InceptionModule(nn.Module):
    """A real Inception-v1 module: four branches on the same input, concatenated along channels.

    ``bottleneck=False`` gives the paper's naive module: 3x3 and 5x5 on the input itself, the pool's output
    passed on whole (``in_channels`` channels). Each branch is an ``nn.Sequential`` in ``branches`` (a ReLU after
    each convolution, as in the paper), in the order of :data:`BRANCHES`.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, *, bottleneck: bool = True, device: Any = None) -> None:
        super().__init__()

        def conv(c_in: int, c_out: int, k: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, k, padding=k // 2, device=device), nn.ReLU()]

        def reduced(c_red: int, c_out: int, k: int) -> nn.Sequential:
            if bottleneck:
                return nn.Sequential(*conv(in_channels, c_red, 1), *conv(c_red, c_out, k))
            return nn.Sequential(*conv(in_channels, c_out, k))

        pool = [nn.MaxPool2d(3, stride=1, padding=1)]
        self.branches = nn.ModuleList([
            nn.Sequential(*conv(in_channels, ch1x1, 1)), reduced(ch3x3red, ch3x3, 3), reduced(ch5x5red, ch5x5, 5),
            nn.Sequential(*pool, *conv(in_channels, pool_proj, 1)) if bottleneck else nn.Sequential(*pool)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


def macs(module: Any, x: Any) -> tuple[int, Any]:
    """Multiply-adds of every ``nn.Conv2d`` and ``nn.Linear`` in ``module`` on input ``x`` (biases not
    counted, as a multiply-add count does not), and the output. Each layer's output values times the products
    one of them takes, read in forward hooks."""
    total = [0]

    def hook(layer: Any, inputs: Any, out: Any) -> None:
        if isinstance(layer, nn.Conv2d):
            per_value = (layer.in_channels // layer.groups) * layer.kernel_size[0] * layer.kernel_size[1]
        else:
            per_value = layer.in_features
        total[0] += out.numel() * per_value

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            out = module(x)
    finally:
        for h in handles:
            h.remove()
    return total[0], out


def _count(module: Any) -> dict[str, int]:
    weights = sum(p.numel() for name, p in module.named_parameters() if name.endswith("weight"))
    biases = sum(p.numel() for name, p in module.named_parameters() if name.endswith("bias"))
    return {"params": weights + biases, "weights": weights, "biases": biases}


def branch_costs(module: Any, in_channels: int, size: int) -> list[dict[str, Any]]:
    """Each branch of ``module`` (an :func:`InceptionModule`) on a ``in_channels`` x ``size`` x ``size`` input:
    parameters, multiply-adds, its output shape, and each convolution in it (kernel, channels, its own costs)."""
    x = torch.zeros(1, in_channels, size, size, device="meta")
    rows = []
    for branch in module.branches:
        steps, h = [], x
        for layer in branch:
            cost, h_next = macs(layer, h) if isinstance(layer, nn.Conv2d) else (0, layer(h))
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
                k = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
                steps.append({"kind": "conv" if isinstance(layer, nn.Conv2d) else "pool", "k": int(k),
                              "in_channels": int(h.shape[1]), "out_channels": int(h_next.shape[1]),
                              "macs": int(cost), **(_count(layer) if isinstance(layer, nn.Conv2d)
                                                     else {"params": 0, "weights": 0, "biases": 0})})
            h = h_next
        rows.append({**_count(branch), "macs": sum(s["macs"] for s in steps), "shape": list(h.shape[1:]),
                     "steps": steps})
    return rows


def module_costs(p: InceptionParams, *, bottleneck: bool = True) -> dict[str, Any]:
    """The module of ``p`` with or without its bottlenecks: per branch (:func:`branch_costs`) and in all,
    from real modules on the meta device; the output shape from the module's own forward (the concatenation)."""
    module = InceptionModule(p.in_channels, p.ch1x1, p.ch3x3red, p.ch3x3, p.ch5x5red, p.ch5x5, p.pool_proj,
                             bottleneck=bottleneck, device="meta")
    branches = branch_costs(module, p.in_channels, p.size)
    total, out = macs(module, torch.zeros(1, p.in_channels, p.size, p.size, device="meta"))
    concatenated = sum(b["shape"][0] for b in branches)
    if out.shape[1] != concatenated or total != sum(b["macs"] for b in branches):
        raise AssertionError("the module's output is not its branches concatenated")
    return {"branches": dict(zip(BRANCHES, branches)), **_count(module), "macs": total, "shape": list(out.shape[1:])}


def depth(module: Any) -> tuple[int, int]:
    """The layers a value passes through on the longest path of ``module``: (with weights, with weights or
    pooling). A convolution or a linear layer counts 1 to both, a pool 1 to the second; an Inception module's
    depth is its deepest branch; a sequence's the sum of its parts'."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        return 1, 1
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
        return 0, 1
    if hasattr(module, "branches"):
        parts = [depth(b) for b in module.branches]
        return max(w for w, _ in parts), max(a for _, a in parts)
    if isinstance(module, nn.Sequential):
        parts = [depth(m) for m in module]
        return sum(w for w, _ in parts), sum(a for _, a in parts)
    return 0, 0


def build_googlenet(device: Any = "meta") -> Any:
    """GoogLeNet (Table 1 of the paper) as an ``nn.Sequential`` of named stages: the stem, the nine modules,
    the pools between them, average pooling, dropout 40 % and the 1000-way linear layer."""
    def pool() -> nn.Module:
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    stages: list[tuple[str, nn.Module]] = [
        ("conv1", nn.Sequential(nn.Conv2d(3, 64, 7, stride=2, padding=3, device=device), nn.ReLU())),
        ("pool1", pool()),
        ("conv2", nn.Sequential(nn.Conv2d(64, 64, 1, device=device), nn.ReLU(),
                                nn.Conv2d(64, 192, 3, padding=1, device=device), nn.ReLU())),
        ("pool2", pool())]
    pools = 3
    for entry in GOOGLENET:
        if entry == "pool":
            stages.append((f"pool{pools}", pool()))
            pools += 1
        else:
            stages.append((entry[0], InceptionModule(*entry[1:], device=device)))
    stages += [("avgpool", nn.AvgPool2d(7)), ("dropout", nn.Dropout(0.4)), ("flatten", nn.Flatten()),
               ("fc", nn.Linear(1024, 1000, device=device))]
    return nn.Sequential(OrderedDict(stages))


def googlenet_stages() -> dict[str, Any]:
    """Each stage of :func:`build_googlenet` on a 3×224×224 input: its output shape, parameters, multiply-adds
    and depth; and the network's totals."""
    net = build_googlenet()
    x = torch.zeros(1, *GOOGLENET_INPUT, device="meta")
    stages = []
    for name, stage in net.named_children():
        cost, x = macs(stage, x)
        weighted, with_pools = depth(stage)
        convs = [m for m in stage.modules() if isinstance(m, nn.Conv2d)] if not hasattr(stage, "branches") else []
        stages.append({"name": name, "kind": "inception" if hasattr(stage, "branches") else type(stage).__name__,
                       "kernels": [int(m.kernel_size[0]) for m in convs],
                       "shape": list(x.shape[1:]), "macs": int(cost), "depth": weighted,
                       "depth_with_pooling": with_pools, **_count(stage)})
    weighted, with_pools = depth(net)
    modules = [s for s in stages if s["kind"] == "inception"]
    return {"stages": stages, "modules": len(modules), "depth": weighted, "depth_with_pooling": with_pools,
            "pooling_layers": with_pools - weighted, **_count(net), "macs": sum(s["macs"] for s in stages)}


def v3_factorisation() -> dict[str, Any]:
    """Two stacked 3x3 convolutions against one 5x5: their receptive fields (both 5), the weights each takes
    per pair of input and output channels (2·3·3 = 18 against 5·5 = 25), and the paths from each cell of the
    5×5 input to the output through the two 3x3 layers (all non-zero: the whole field is seen)."""
    stacked, single = [Layer(kernel_size=3)] * 2, [Layer(kernel_size=5)]
    r_stacked = [f.size for f in receptive_field(stacked)]
    r_single = receptive_field(single)[-1].size
    paths = influence([r_stacked[-1], r_stacked[-1] - 2, 1], 3, 1, 1, 0)  # input 5×5, middle 3×3, output 1×1
    w_stacked = sum(layer.kernel_size ** 2 for layer in stacked)
    w_single = single[0].kernel_size ** 2
    return {"stacked_fields": r_stacked, "single_field": r_single, "stacked_weights": w_stacked,
            "single_weights": w_single, "ratio": w_stacked / w_single, "stacked_kernels": [l.kernel_size for l in stacked],
            "single_kernel": single[0].kernel_size, "paths": paths[0], "middle_paths": paths[1],
            "layers": len(stacked)}


def _count_text(n: int) -> str:
    """A count as it is written on screen: thousands separated; from a million on, in millions."""
    return f"{n / 1e6:.1f} M" if n >= 1_000_000 else f"{n:,}"


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %"


def _drawn(channels: int, unit: float, most: int = MAX_DRAWN_LAYERS) -> int:
    return int(min(most, max(1, round(channels / unit))))


def compute(p: InceptionParams) -> SceneValues:
    with_b, without = module_costs(p), module_costs(p, bottleneck=False)
    n, c_in = p.size, p.in_channels
    out = with_b["shape"]
    unit = out[0] / DRAWN_LAYERS  # channels per drawn layer
    drawn_branches = [_drawn(b["shape"][0], unit, MAX_BRANCH_LAYERS) for b in with_b["branches"].values()]
    net = googlenet_stages()
    v3 = v3_factorisation()

    def shape(s: list[int]) -> str:
        return "×".join(str(v) for v in s)

    def step_text(s: dict[str, Any]) -> dict[str, str]:
        k = f"{s['k']}×{s['k']}"
        if s["kind"] == "pool":
            return {"en": f"{k} max pool", "zh": f"{k} 最大池化", "short_en": f"max pool {k}", "short_zh": f"{k} 池化"}
        return {"en": f"{k} conv, {s['out_channels']}", "zh": f"{k} 卷积，{s['out_channels']}",
                "short_en": f"{k}, {s['out_channels']}", "short_zh": f"{k}，{s['out_channels']}"}

    def mac_formula(s: dict[str, Any]) -> str:  # output values × products per value
        return f"{n}×{n}×{s['out_channels']} × {s['in_channels']}×{s['k']}×{s['k']}"

    branches_text = []
    for name in BRANCHES:
        b, nb = with_b["branches"][name], without["branches"][name]
        branches_text.append({
            "name": name, "steps": [step_text(s) for s in b["steps"]], "shape": shape(b["shape"]),
            "channels": str(b["shape"][0]), "params": _count_text(b["params"]), "macs": _count_text(b["macs"]),
            "naive_params": _count_text(nb["params"]), "naive_macs": _count_text(nb["macs"]),
            "naive_channels": str(nb["shape"][0])})
    five, naive_five = with_b["branches"]["5x5"], without["branches"]["5x5"]
    reduce5, conv5 = five["steps"]
    text = {
        "input_shape": shape([c_in, n, n]), "output_shape": shape(out), "naive_output_shape": shape(without["shape"]),
        "c_in": str(c_in), "c_out": str(out[0]), "naive_c_out": str(without["shape"][0]), "size": f"{n}×{n}",
        "concat_sum": " + ".join(b["channels"] for b in branches_text) + f" = {out[0]}",
        "branches": branches_text,
        "params": _count_text(with_b["params"]), "macs": _count_text(with_b["macs"]),
        "naive_params": _count_text(without["params"]), "naive_macs": _count_text(without["macs"]),
        "param_share": _share(with_b["params"], without["params"]), "mac_share": _share(with_b["macs"], without["macs"]),
        "five_naive_formula": f"{mac_formula(naive_five['steps'][0])} = {_count_text(naive_five['macs'])}",
        "five_reduce_formula": f"{mac_formula(reduce5)} = {_count_text(reduce5['macs'])}",
        "five_conv_formula": f"{mac_formula(conv5)} = {_count_text(conv5['macs'])}",
        "five_macs": _count_text(five["macs"]), "five_naive_macs": _count_text(naive_five["macs"]),
        "five_reduced": str(reduce5["out_channels"]), "five_out": str(conv5["out_channels"]),
        "five_reduced_shape": shape([reduce5["out_channels"], n, n]), "five_share": _share(five["macs"],
                                                                                          naive_five["macs"]),
        "five_times": fmt(naive_five["macs"] / five["macs"], 1),
        "net_modules": str(net["modules"]), "net_depth": str(net["depth"]),
        "net_depth_with_pooling": str(net["depth_with_pooling"]), "net_pooling": str(net["pooling_layers"]),
        "net_params": f"{net['params'] / 1e6:.1f} M", "net_macs": f"{net['macs'] / 1e9:.2f} G",
        "v3_fields": [f"{r}×{r}" for r in v3["stacked_fields"]], "v3_field": f"{v3['single_field']}×{v3['single_field']}",
        "v3_stacked_weights": " + ".join(f"{k}×{k}" for k in v3["stacked_kernels"]) + f" = {v3['stacked_weights']}",
        "v3_single_weights": f"{v3['single_kernel']}×{v3['single_kernel']} = {v3['single_weights']}",
        "v3_ratio": f"{v3['stacked_weights']}/{v3['single_weights']} = {fmt(v3['ratio'])}",
        "v3_saving": _share(v3["single_weights"] - v3["stacked_weights"], v3["single_weights"]),
    }
    # the depth of the network as a sum over its stages with weights: conv1, conv2, each module, fc
    weighted = [s for s in net["stages"] if s["depth"]]
    modules = [s for s in weighted if s["kind"] == "inception"]
    module_depth = {s["depth"] for s in modules}
    text["net_depth_sum"] = (" + ".join(str(s["depth"]) for s in weighted if s["kind"] != "inception"
                                        and s["name"] in ("conv1", "conv2"))
                             + (f" + {len(modules)} × {module_depth.pop()}" if len(module_depth) == 1 else "")
                             + " + " + str(weighted[-1]["depth"]) + f" = {net['depth']}")
    text["net_depth_pool_sum"] = f"{net['depth']} + {net['pooling_layers']} = {net['depth_with_pooling']}"
    stages_text = [{"name": s["name"], "kind": s["kind"], "channels": str(s["shape"][0]),
                    "size": f"{s['shape'][1]}×{s['shape'][2]}" if len(s["shape"]) == 3 else "",
                    "shape": shape(s["shape"]), "params": _count_text(s["params"]),
                    "kernels": [f"{k}×{k}" for k in s["kernels"]]} for s in net["stages"]]
    arrays: dict[str, Any] = {
        "input_shape": [c_in, n, n], "output_shape": out, "naive_output_shape": without["shape"],
        "module": with_b, "naive_module": without,
        "param_ratio": with_b["params"] / without["params"], "mac_ratio": with_b["macs"] / without["macs"],
        "drawn_layers": {"input": _drawn(c_in, unit), "branches": drawn_branches, "output": sum(drawn_branches),
                         # the 5x5 branch's two steps, drawn alone: no more squares than the input has
                         "five_steps": [_drawn(s["out_channels"], unit, _drawn(c_in, unit)) for s in five["steps"]]},
        "googlenet": net, "v3": v3,
    }
    return SceneValues(arrays, {"text": text, "stages_text": stages_text})
