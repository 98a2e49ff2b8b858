"""Values of the ``alexnet`` scene: AlexNet layer by layer, from the network built in torch.

Shapes from the output-size formula, checked equal to those a zero tensor takes through the built
``nn.Sequential``; parameter counts from the formulas, checked equal to the modules' ``numel()``
(:func:`cnnviz.classic.check_walk`). conv1's two-GPU split is its real weight tensor (96×3×11×11) cut in two
along its output channels: two 48×3×11×11 halves, the course's "11×11×3×48". The slide's p = 3 and the notes'
p = 2 are both put through :func:`cnnviz.conv_output_size`.

ReLU and dropout are shown on real numbers: the network's weights drawn with He's initialisation from
``seed`` (so activations keep their scale through the layers; the network is not trained), a seeded
3×224×224 input, fc6's pre-activations z and h = max(0, z) for its first units, and the mask
``torch.nn.Dropout(dropout_p)`` draws after ``torch.manual_seed(dropout_seed)`` (checked equal to what the
built network's own dropout module gives).
"""

from __future__ import annotations

import torch
from torch import nn

from ..classic import ALEXNET_INPUT, alexnet_layers, build, check_walk, dropout_mask, walk
from ..config import AlexNetParams
from ..shapes import conv_output_size
from . import SceneValues, fmt
from .lenet import blocks, count, tex_count, walk_arrays

__all__ = ["COURSE_PADDINGS", "UNITS_SHOWN", "compute"]

#: conv1's zero padding on the course's slide (3) and in its reading notes (2)
COURSE_PADDINGS = {"slide": 3, "notes": 2}
UNITS_SHOWN = 8  # fc6's first units, drawn through ReLU and dropout


def _seeded_network(p: AlexNetParams) -> tuple[nn.Sequential, torch.Tensor]:
    """The built AlexNet with He-initialised weights and zero biases, and its input, both from ``p.seed``
    (in a forked RNG: the caller's random state is left as it was)."""
    layers = alexnet_layers(p.padding)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(p.seed)
        model = build(layers, ALEXNET_INPUT, dropout_p=p.dropout_p)
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        x = torch.randn(1, *ALEXNET_INPUT)
    return model, x


def compute(p: AlexNetParams) -> SceneValues:
    layers = alexnet_layers(p.padding)
    steps = walk(layers, ALEXNET_INPUT)
    model, x = _seeded_network(p)
    check_walk(model, steps)
    by_name = {s.layer.name: s for s in steps}
    conv1 = by_name["conv1"]
    n, c, s = ALEXNET_INPUT[1], conv1.layer.kernel, conv1.layer.stride
    paddings = {}
    for where, pad in COURSE_PADDINGS.items():
        m = conv_output_size(n, c, stride=s, padding=pad)
        exact = (n + 2 * pad - c) / s
        paddings[where] = {"padding": pad, "size": m, "quotient": exact,
                           "formula": rf"\lfloor ({n} + 2\cdot {pad} - {c}) / {s} \rfloor + 1 = "
                                      rf"\lfloor {exact:g} \rfloor + 1 = {m}"}
    # the two GPUs' halves of conv1: its real weight (C_out, C_in, c, c) cut along the output channels
    halves = torch.chunk(model.conv1[0].weight, 2, dim=0)
    half_shapes = [list(h.shape) for h in halves]
    per_gpu = [h.shape[0] for h in halves]
    grouped = [s.layer.name for s in steps if s.layer.groups > 1]
    # ReLU and dropout on fc6: run the network in training mode up to fc6's linear map, then each step by hand
    with torch.no_grad():
        h = x
        for name, child in model.named_children():
            if name == "fc6":
                break
            h = child.eval()(h)
        fc6 = model.fc6
        z = fc6[:2](h)  # Flatten, Linear
        relu = fc6[2](z)
        mask = dropout_mask(tuple(relu.shape), p.dropout_p, p.dropout_seed, dtype=relu.dtype)
        dropped = relu * mask
        torch.manual_seed(p.dropout_seed)  # the network's own dropout module, with the same seed
        theirs = fc6[3].train()(relu)
        fc6[3].eval()
    if not torch.equal(dropped, theirs):
        raise AssertionError("the drawn dropout mask differs from torch.nn.Dropout's with the same seed")
    shown = slice(0, UNITS_SHOWN)
    kept = (mask[0] != 0)
    scale = 1.0 / (1.0 - p.dropout_p)
    flat = by_name["fc6"]
    arrays = walk_arrays(steps, ALEXNET_INPUT)
    arrays.update({
        "input_size": n, "conv1_kernel": c, "conv1_stride": s, "conv1_padding": p.padding,
        "paddings": paddings,
        "gpu_halves": half_shapes, "gpu_names": [f"GPU {n + 1}" for n in range(len(halves))], "gpu_kernels_per_half": per_gpu,
        "gpu_half_text": "×".join(str(v) for v in (c, c, half_shapes[0][1], per_gpu[0])),  # the course's c×c×C_in×C_out
        "conv1_params_per_gpu": sum(v.numel() for v in halves) // 2 + per_gpu[0],
        "grouped_layers": grouped,
        "flat_shape": list(flat.in_shape), "flat_size": flat.weights // flat.layer.size,
        "dropout_p": p.dropout_p, "dropout_seed": p.dropout_seed, "dropout_scale": scale, "seed": p.seed,
        "fc6_units": flat.out_shape[0], "units_shown": UNITS_SHOWN,
        "fc6_z": z[0, shown].double().tolist(), "fc6_relu": relu[0, shown].double().tolist(),
        "dropout_keep": kept[shown].int().tolist(), "dropout_mask": mask[0, shown].double().tolist(),
        "fc6_dropped": dropped[0, shown].double().tolist(),
        "fc6_kept_count": int(kept.sum()), "fc6_relu_zero_count": int((relu[0] == 0).sum()),
        "conv_params": sum(s.params for s in steps if s.layer.kind == "conv"),
        "dense_params": sum(s.params for s in steps if s.layer.kind == "dense"),
        "total_formula": " + ".join(tex_count(s.params) for s in steps if s.params) +
                         f" = {tex_count(sum(s.params for s in steps))}",
    })
    arrays["conv_params_text"], arrays["dense_params_text"] = count(arrays["conv_params"]), count(arrays["dense_params"])
    arrays["total_split_formula"] = (f"{tex_count(arrays['conv_params'])} + {tex_count(arrays['dense_params'])} = "
                                     f"{tex_count(arrays['total_params'])}")
    half, per = half_shapes[0], per_gpu[0]
    if 2 * arrays["conv1_params_per_gpu"] != conv1.params:
        raise AssertionError("conv1's two halves do not add up to its parameters")
    arrays["gpu_params_formula"] = (rf"{len(halves)}\cdot({c}\cdot {c}\cdot {half[1]}\cdot {per} + {per}) = "
                                    rf"{tex_count(conv1.params)}")
    arrays["gpu_split_formula"] = rf"{conv1.out_shape[0]} = {len(halves)}\cdot {per}"
    arrays["dropout_scale_text"] = fmt(scale)
    shapes = [tuple(s) for s in arrays["layer_shapes"]]
    return SceneValues(arrays, {"blocks": blocks(shapes)})
