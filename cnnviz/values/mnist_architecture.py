"""Values of the ``mnist_architecture`` scene: the lecture's CNN (its ``model:``, the course's by default)
layer by layer.

Shapes come from the shape arithmetic (:func:`cnnviz.conv_output_size`, :func:`cnnviz.pool_output_size`)
and are checked equal to the output shapes the real model produces; parameter counts come from the
formula ``c·c·(C_in/g)·C_out + C_out`` / ``n_in·n_out + n_out`` / ``2·C`` (batch norm's scale and shift)
and are checked equal to the real model's tensors. The JSON's ``layer_names``, ``layer_shapes`` (C×H×W,
or [N] for a flat layer, after each layer) and ``layer_params`` hold them for any model. The PyTorch listing is generated from the real model's modules, then executed here and checked
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

#: drawing scales (scene units): the input's side and the longest vector are drawn this tall, a slab is this
#: thick per channel (less where the widest layer would be wider than MAX_THICK); the smallest thickness or
#: height still drawn as a visible sliver
TALLEST = 2.2
THICK_PER_CHANNEL = 0.016
MAX_THICK = 1.2
MIN_SIZE = 0.05


def count(n: int) -> str:
    """A count as written on screen: thousands separated by commas."""
    return f"{n:,}"


def _tex_count(n: int) -> str:
    return count(n).replace(",", "{,}")


def _module_code(layer: nn.Module) -> str:
    """One layer's module as PyTorch code, with the arguments that differ from torch's defaults."""
    def extra(**kw: tuple) -> str:  # name -> (value, default)
        return "".join(f", {k}={v}" for k, (v, default) in kw.items() if v != default)

    if isinstance(layer, nn.Conv2d):
        return (f"nn.Conv2d({layer.in_channels}, {layer.out_channels}, {layer.kernel_size[0]}"
                + extra(stride=(layer.stride[0], 1), padding=(layer.padding[0], 0),
                        dilation=(layer.dilation[0], 1), groups=(layer.groups, 1)) + ")")
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        return (f"nn.{type(layer).__name__}({layer.kernel_size}"
                + extra(stride=(layer.stride, layer.kernel_size), padding=(layer.padding, 0)) + ")")
    if isinstance(layer, nn.Flatten):
        return "nn.Flatten()"
    if isinstance(layer, nn.Linear):
        return f"nn.Linear({layer.in_features}, {layer.out_features})"
    if isinstance(layer, nn.Dropout):
        return f"nn.Dropout({layer.p})"
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return f"nn.{type(layer).__name__}({layer.num_features})"
    raise TypeError(type(layer).__name__)  # pragma: no cover - layer_kind refuses any other module first


def listing(model: MnistCNN) -> list[str]:
    """The model as an ``nn.Sequential`` listing, one line per layer, from its real modules."""
    lines = ["model = nn.Sequential("]
    for name, layer in model.layers.items():
        code = _module_code(layer)
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
        for a, b in zip(seq.buffers(), model.buffers()):  # batch norm's running statistics
            a.copy_(b)
        x = torch.rand(2, *model.config.input, generator=torch.Generator().manual_seed(0))
        if not torch.allclose(seq.eval()(x), model.eval()(x), atol=1e-6):
            raise AssertionError("the listing computes other logits than the model")


def _conv_formula(n: int, layer) -> str:
    """How a side becomes the next: ``n - c + 1`` in the course's plain case, else the whole rule
    ``⌊(n + 2p - d(c - 1) - 1)/s⌋ + 1`` with the layer's numbers."""
    k, s, p, d = layer.kernel, layer.stride, layer.padding, layer.dilation
    m = conv_output_size(n, k, stride=s, padding=p, dilation=d)
    if (s, p, d) == (1, 0, 1):
        return rf"{n} - {k} + 1 = {m}"
    top = rf"{n}" + (rf" + 2\cdot{p}" if p else "") + (rf" - {d}\cdot({k} - 1) - 1" if d != 1 else rf" - {k}")
    return rf"{top} + 1 = {m}" if s == 1 else rf"\lfloor ({top}) / {s} \rfloor + 1 = {m}"


def _pool_formula(n: int, layer) -> str:
    """``⌊(n - c)/s⌋ + 1`` (``+ 2p`` inside where the layer pads), as the pooling scene writes it."""
    k, s, p = layer.size, layer.stride or layer.size, layer.padding
    m = pool_output_size(n, k, stride=s, padding=p)
    return rf"\lfloor ({n}" + (rf" + 2\cdot{p}" if p else "") + rf" - {k}) / {s} \rfloor + 1 = {m}"


def compute(p: MnistParams) -> SceneValues:
    ckpt = load_trained(p)
    model, cfg = ckpt.model, ckpt.model.config
    arch = architecture(model)
    rows = cfg.shapes()
    c0, h0, w0 = cfg.input
    shapes = [(h0, w0, c0)]  # maps as (H, W, C), vectors as (N,): the scene writes them C×H×W
    names, kinds, params, shape_tex, param_tex = ["input"], ["input"], [0], [""], [""]
    for info, row in zip(arch.layers, rows):
        layer, before = row.layer, row.input_shape
        out = row.output_shape
        if row.kind == "conv":
            c_in, g, k = before[0], layer.groups, layer.kernel
            tex = _conv_formula(before[1], layer)
            want = k * k * (c_in // g) * out[0] + out[0]
            ptex = (rf"{k}\cdot{k}\cdot{c_in}\cdot{out[0]} + {out[0]}" if g == 1 else
                    rf"{k}\cdot{k}\cdot({c_in}/{g})\cdot{out[0]} + {out[0]}") + f" = {_tex_count(want)}"
        elif row.kind in ("maxpool", "avgpool"):
            tex, want, ptex = _pool_formula(before[1], layer), 0, ""
        elif row.kind == "flatten":
            tex, want, ptex = rf"{before[1]}\times{before[2]}\times{before[0]} = {out[0]}", 0, ""
        elif row.kind == "dense":
            want = before[0] * out[0] + out[0]
            tex, ptex = f"{out[0]}", rf"{before[0]}\cdot{out[0]} + {out[0]} = {_tex_count(want)}"
        elif row.kind == "batchnorm":
            want = 2 * before[0]
            tex, ptex = "", rf"2\cdot{before[0]} = {_tex_count(want)}"
        else:  # dropout: the same shape, no parameters
            tex, want, ptex = "", 0, ""
        if tuple(info.output_shape) != out or info.name != row.name:
            raise AssertionError(f"{info.name}: the description gives {row.name} {out}, the model outputs "
                                 f"{info.output_shape}")
        if want != info.params:
            raise AssertionError(f"{info.name}: formula gives {want} parameters, the model has {info.params}")
        names.append(info.name)
        kinds.append(info.kind)
        params.append(info.params)
        shapes.append((out[1], out[2], out[0]) if len(out) == 3 else out)
        shape_tex.append(tex)
        param_tex.append(ptex)
    code = listing(model)
    check_listing(code, model)
    side = TALLEST / max(max(s[0], s[1]) for s in shapes if len(s) == 3)
    longest = max((s[0] for s in shapes if len(s) == 1), default=1)
    thick = min(THICK_PER_CHANNEL, MAX_THICK / max(s[2] for s in shapes if len(s) == 3))
    boxes = []  # (front height, thickness, oblique depth) of each drawn block
    for s in shapes:
        if len(s) == 3:
            boxes.append((s[0] * side, max(s[2] * thick, MIN_SIZE), s[1] * side))
        else:
            boxes.append((max(s[0] * TALLEST / longest, MIN_SIZE), 0.16, 0.0))
    with_params = [i for i, q in enumerate(params) if q]
    total = sum(params)
    chw = [list(r.output_shape) for r in rows]
    arrays = {
        "names": names, "kinds": kinds, "shapes": [list(s) for s in shapes],
        "shape_text": ["×".join(map(str, s)) for s in shapes],
        "params": params, "params_text": [count(q) for q in params],
        "shape_formulas": shape_tex, "param_formulas": param_tex,
        "total_params": total, "total_params_text": count(total),
        "total_formula": " + ".join(_tex_count(params[i]) for i in with_params) + f" = {_tex_count(total)}",
        "code": code,
        # the layout every MNIST scene's JSON shares (README, "Your own network"): per layer, after it
        "model_name": cfg.name, "input_shape": list(cfg.input),
        "layer_names": names[1:], "layer_kinds": kinds[1:], "layer_shapes": chw, "layer_params": params[1:],
        # each layer's options as the description gives them (the input: none), for the scene's words
        "options": [{}] + [{k: v for k, v in r.layer.model_dump().items() if v is not None} for r in rows],
    }
    convs = [r.layer for r in rows if r.kind == "conv"]
    pools = [r.layer for r in rows if r.kind in ("maxpool", "avgpool")]
    if convs:  # the course's scene speaks of "the" kernel size and pool size: its network has one of each
        arrays["kernel_size"] = convs[0].kernel
    if pools:
        arrays["pool_size"] = pools[0].size
    if total != arch.total_params:
        raise AssertionError(f"sum {total} differs from the model's {arch.total_params}")
    return SceneValues(arrays, {"boxes": boxes, "code_rows": list(range(1, len(code) - 1))})
