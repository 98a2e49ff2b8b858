"""Values of the ``mnist_architecture`` scene: the course's CNN layer by layer.

Shapes come from the shape arithmetic (:func:`cnnviz.conv_output_size`, :func:`cnnviz.pool_output_size`)
and are checked equal to the output shapes the real model produces; parameter counts come from the
formula ``k·k·C_in·C_out + C_out`` / ``n_in·n_out + n_out`` and are checked equal to the real model's
tensors. The PyTorch listing is generated from the real model's modules, then executed here and checked
to compute the same logits as the model when given its weights: the code on screen is the network.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import MnistParams
from ..mnist.model import MnistCNN
from ..mnist.values import architecture
from ..shapes import conv_output_size, pool_output_size
from . import SceneValues
from .mnist_model import load_trained

#: drawing scales (scene units): a map's side per pixel, a slab's thickness per channel, a vector's
#: height per unit; the smallest thickness/height still drawn as a visible sliver
SIDE_PER_PIXEL = 2.2 / 28
THICK_PER_CHANNEL = 0.016
HEIGHT_PER_UNIT = 2.2 / 576
MIN_SIZE = 0.05


def count(n: int) -> str:
    """A count as written on screen: thousands separated by commas."""
    return f"{n:,}"


def _tex_count(n: int) -> str:
    return count(n).replace(",", "{,}")


def listing(model: MnistCNN) -> list[str]:
    """The model as an ``nn.Sequential`` listing, one line per layer, from its real modules."""
    lines = ["model = nn.Sequential("]
    for name, layer in model.layers.items():
        if isinstance(layer, nn.Conv2d):
            code = f"nn.Conv2d({layer.in_channels}, {layer.out_channels}, {layer.kernel_size[0]})"
        elif isinstance(layer, nn.MaxPool2d):
            code = f"nn.MaxPool2d({layer.kernel_size})"
        elif isinstance(layer, nn.Flatten):
            code = "nn.Flatten()"
        elif isinstance(layer, nn.Linear):
            code = f"nn.Linear({layer.in_features}, {layer.out_features})"
        else:  # pragma: no cover - layer_kind refuses any other module first
            raise TypeError(type(layer).__name__)
        if model.activations[name] == "relu":
            code += ", nn.ReLU()"
        lines.append(f"    {code},")
    lines.append(")  # softmax: inside the loss")
    return lines


def check_listing(lines: list[str], model: MnistCNN) -> None:
    """Execute the listing, give it the model's weights, and require the same logits."""
    scope: dict = {"nn": nn}
    exec("\n".join(lines), scope)  # noqa: S102 - our own generated text
    seq: nn.Sequential = scope["model"]
    real = list(model.parameters())
    mine = list(seq.parameters())
    if [p.shape for p in mine] != [p.shape for p in real]:
        raise AssertionError("the listing's parameters differ from the model's")
    with torch.no_grad():
        for a, b in zip(mine, real):
            a.copy_(b)
        cfg = model.config
        x = torch.rand(2, cfg.in_channels, cfg.input_size, cfg.input_size, generator=torch.Generator().manual_seed(0))
        if not torch.allclose(seq.eval()(x), model.eval()(x), atol=1e-6):
            raise AssertionError("the listing computes other logits than the model")


def compute(p: MnistParams) -> SceneValues:
    ckpt = load_trained(p)
    model, cfg = ckpt.model, ckpt.model.config
    arch = architecture(model)
    k, pool = cfg.kernel_size, cfg.pool_size
    n, c = cfg.input_size, cfg.in_channels
    shapes = [(n, n, c)]
    names, kinds, params, shape_tex, param_tex = ["input"], ["input"], [0], [""], [""]
    flat = None
    for info in arch.layers:
        if info.kind == "conv":
            c_out = info.output_shape[0]
            m = conv_output_size(n, k)
            tex = rf"{n} - {k} + 1 = {m}"
            want = k * k * c * c_out + c_out
            ptex = rf"{k}\cdot{k}\cdot{c}\cdot{c_out} + {c_out} = {_tex_count(want)}"
            n, c = m, c_out
        elif info.kind == "maxpool":
            m = pool_output_size(n, pool)
            tex, want, ptex = rf"\lfloor {n} / {pool} \rfloor = {m}", 0, ""
            n = m
        elif info.kind == "flatten":
            flat = n * n * c
            tex, want, ptex = rf"{n}\times{n}\times{c} = {flat}", 0, ""
        else:  # dense
            out = info.output_shape[0]
            tex = f"{out}"
            want = flat * out + out
            ptex = rf"{flat}\cdot{out} + {out} = {_tex_count(want)}"
            flat = out
        shape = (n, n, c) if flat is None else (flat,)
        if tuple(info.output_shape) != ((c, n, n) if flat is None else (flat,)):
            raise AssertionError(f"{info.name}: arithmetic gives {shape}, the model outputs {info.output_shape}")
        if want != info.params:
            raise AssertionError(f"{info.name}: formula gives {want} parameters, the model has {info.params}")
        names.append(info.name)
        kinds.append(info.kind)
        params.append(info.params)
        shapes.append(shape)
        shape_tex.append(tex)
        param_tex.append(ptex)
    code = listing(model)
    check_listing(code, model)
    boxes = []  # (front height, thickness, oblique depth) of each drawn block
    for s in shapes:
        if len(s) == 3:
            boxes.append((s[0] * SIDE_PER_PIXEL, max(s[2] * THICK_PER_CHANNEL, MIN_SIZE), s[1] * SIDE_PER_PIXEL))
        else:
            boxes.append((max(s[0] * HEIGHT_PER_UNIT, MIN_SIZE), 0.16, 0.0))
    with_params = [i for i, q in enumerate(params) if q]
    total = sum(params)
    arrays = {
        "names": names, "kinds": kinds, "shapes": [list(s) for s in shapes],
        "shape_text": ["×".join(map(str, s)) for s in shapes],
        "params": params, "params_text": [count(q) for q in params],
        "shape_formulas": shape_tex, "param_formulas": param_tex,
        "total_params": total, "total_params_text": count(total),
        "total_formula": " + ".join(_tex_count(params[i]) for i in with_params) + f" = {_tex_count(total)}",
        "code": code, "kernel_size": k, "pool_size": pool,
    }
    if total != arch.total_params:
        raise AssertionError(f"sum {total} differs from the model's {arch.total_params}")
    return SceneValues(arrays, {"boxes": boxes, "code_rows": list(range(1, len(code) - 1))})
