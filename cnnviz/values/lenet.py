"""Values of the ``lenet`` scene: LeNet-5 layer by layer, from the network built in torch.

Every shape comes from the output-size formula (:func:`cnnviz.classic.walk`) and is checked equal to the shape
a zero tensor takes through the built ``nn.Sequential``; every parameter count from the formulas, checked
equal to the built modules' ``numel()`` (:func:`cnnviz.classic.check_walk`). C3's 60 kernels are the pairs of
LeCun's connection table, counted again from the built module's convolutions (one per C3 map, over its own
inputs); C5's 1920 are its 16×120 channel pairs, counted from its real weight tensor.
"""

from __future__ import annotations

import math

import numpy as np

from ..classic import LENET_C3_TABLE, LENET_INPUT, LayerStep, PartialConv2d, build, check_walk, lenet_layers, walk
from ..config import SceneParams
from . import SceneValues

__all__ = ["blocks", "compute", "count", "inputs_text", "param_formula", "shape_formula", "shape_text"]

#: drawing scales (scene units): a map's side grows with the square root of its height H (a 224 and a 6 both
#: stay visible), a vector's height with log10 of its length; channels drawn as log2(C) stacked squares
SIDE_MAX, SIDE_MIN = 1.7, 0.16
LAYERS_MAX = 8
VECTOR_BASE, VECTOR_PER_DECADE, VECTOR_WIDTH = 0.35, 0.34, 0.16


def count(n: int) -> str:
    """A count as written on screen: thousands separated by commas."""
    return f"{n:,}"


def tex_count(n: int) -> str:
    return count(n).replace(",", "{,}")


def shape_text(shape: tuple[int, ...]) -> str:
    """C×H×W (or N for a vector), as the course writes shapes."""
    return "×".join(str(n) for n in shape)


def shape_formula(step: LayerStep) -> str:
    """The output side from the output-size formula with this layer's numbers (TeX); "" for a dense layer."""
    layer = step.layer
    if layer.kind == "dense":
        return ""  # a dense layer's shape is its units: see inputs_text
    n, m = step.in_shape[1], step.out_shape[1]
    return (rf"\lfloor ({n} + 2\cdot {layer.padding} - {layer.kernel}) / {layer.stride} \rfloor + 1 = {m}")


def inputs_text(step: LayerStep) -> str:
    """What a dense layer reads, as on screen: ``120×1×1 = 120`` (a map flattened) or ``84``; "" otherwise."""
    if step.layer.kind != "dense":
        return ""
    n_in = step.weights // step.layer.size
    return f"{shape_text(step.in_shape)} = {n_in}" if len(step.in_shape) > 1 else f"{n_in}"


def param_formula(step: LayerStep) -> str:
    """The parameter count from its formula with this layer's numbers (TeX); "" for a layer without any."""
    layer = step.layer
    if layer.kind == "pool":
        return ""
    if layer.kind == "dense":
        return rf"{step.weights // layer.size}\cdot {layer.size} + {layer.size} = {tex_count(step.params)}"
    c = layer.kernel
    pairs = (f"{step.kernels}" if layer.table is not None else
             rf"{layer.size}\cdot {step.in_shape[0] // layer.groups}")
    return rf"{pairs}\cdot {c}\cdot {c} + {layer.size} = {tex_count(step.params)}"


def blocks(shapes: list[tuple[int, ...]]) -> list[tuple[str, float, int]]:
    """How each shape is drawn: ``("volume", side, squares)`` for C×H×W (``squares`` stacked, one behind
    the other) or ``("vector", height, 1)`` for N."""
    h_max = max(s[1] for s in shapes if len(s) == 3)
    out = []
    for s in shapes:
        if len(s) == 3:
            side = max(SIDE_MIN, SIDE_MAX * math.sqrt(s[1] / h_max))
            out.append(("volume", side, int(min(LAYERS_MAX, 1 + round(math.log2(s[0]))))))
        else:
            out.append(("vector", VECTOR_BASE + VECTOR_PER_DECADE * math.log10(s[0]), 1))
    return out


def walk_arrays(steps: list[LayerStep], input_shape: tuple[int, ...], input_name: str = "input") -> dict:
    """The JSON keys every classic-network walk has: names, kinds, shapes and parameter counts per layer
    (the input first, with no parameters), and the formulas that give them."""
    return {
        "layer_names": [input_name] + [s.layer.name for s in steps],
        "layer_kinds": ["input"] + [s.layer.kind for s in steps],
        "layer_shapes": [list(input_shape)] + [list(s.out_shape) for s in steps],
        "layer_shape_text": [shape_text(input_shape)] + [shape_text(s.out_shape) for s in steps],
        "layer_params": [0] + [s.params for s in steps],
        "layer_params_text": [""] + [count(s.params) for s in steps],
        "layer_kernels": [0] + [s.kernels for s in steps],
        "layer_strides": [0] + [s.layer.stride if s.layer.kind != "dense" else 0 for s in steps],
        "layer_paddings": [0] + [s.layer.padding if s.layer.kind != "dense" else 0 for s in steps],
        "layer_counts": {kind: sum(s.layer.kind == kind for s in steps) for kind in ("conv", "pool", "dense")},
        "layer_kernel_sizes": [0] + [s.layer.kernel if s.layer.kind != "dense" else 0 for s in steps],
        # the input maps each kernel of a convolution reads (C_in/g); 0 for other layers and for a table's
        "layer_reads": [0] + [s.in_shape[0] // s.layer.groups if s.layer.kind == "conv" and s.layer.table is None
                              else 0 for s in steps],
        "layer_inputs_text": [""] + [inputs_text(s) for s in steps],
        "layer_inputs": [0] + [s.weights // s.layer.size if s.layer.kind == "dense" else 0 for s in steps],
        "shape_formulas": [""] + [shape_formula(s) for s in steps],
        "param_formulas": [""] + [param_formula(s) for s in steps],
        "total_params": sum(s.params for s in steps),
        "total_params_text": count(sum(s.params for s in steps)),
    }


def compute(p: SceneParams) -> SceneValues:
    layers = lenet_layers()
    steps = walk(layers, LENET_INPUT)
    model = build(layers, LENET_INPUT)
    check_walk(model, steps)
    by_name = {s.layer.name: s for s in steps}
    c3, c5 = by_name["C3"], by_name["C5"]
    # C3's kernels counted from the built module: one convolution per C3 map, reading its row of the table
    c3_module = next(m for m in model.C3.modules() if isinstance(m, PartialConv2d))
    c3_pairs = sum(conv.in_channels for conv in c3_module.maps)
    if c3_pairs != c3.kernels:
        raise AssertionError(f"C3: the table has {c3.kernels} pairs, the built module convolves {c3_pairs}")
    c5_weight = model.C5[0].weight  # (C_out, C_in, c, c)
    c5_pairs = c5_weight.shape[0] * c5_weight.shape[1]
    if c5_pairs != c5.kernels:
        raise AssertionError(f"C5: the arithmetic gives {c5.kernels} kernels, its weight holds {c5_pairs}")
    s2_maps, c3_maps = c3.in_shape[0], c3.out_shape[0]
    table = np.zeros((s2_maps, c3_maps), dtype=int)  # rows: S2's maps, columns: C3's maps (LeCun's Table I)
    for j, row in enumerate(LENET_C3_TABLE):
        table[list(row), j] = 1
    full_params = s2_maps * c3_maps * c3.layer.kernel**2 + c3_maps  # C3 if every map read all six
    arrays = walk_arrays(steps, LENET_INPUT)
    arrays.update({
        "c3_table": table.tolist(), "c3_inputs": [list(r) for r in LENET_C3_TABLE],
        "c3_pairs": c3_pairs, "c3_all_pairs": s2_maps * c3_maps, "s2_maps": s2_maps, "c3_maps": c3_maps,
        "c3_params": c3.params, "c3_params_text": count(c3.params),
        "c3_full_params": full_params, "c3_full_params_text": count(full_params),
        "c3_reads": [int(n) for n in table.sum(axis=0)],  # how many S2 maps each C3 map reads: 3, 4 or 6
        "c3_pairs_formula": " + ".join(str(int(n)) for n in table.sum(axis=0)) + f" = {c3_pairs}",
        "c3_params_formula": rf"{c3_pairs}\cdot {c3.layer.kernel}\cdot {c3.layer.kernel} + {c3_maps} = "
                             rf"{tex_count(c3.params)}",
        "c3_full_formula": rf"{s2_maps}\cdot {c3_maps}\cdot {c3.layer.kernel}\cdot {c3.layer.kernel} + {c3_maps} = "
                           rf"{tex_count(full_params)}",
        "c3_read_counts": sorted(set(int(n) for n in table.sum(axis=0))),
        "c5_kernels": c5_pairs, "c5_in": c5.in_shape[0], "c5_out": c5.out_shape[0], "kernel_size": c3.layer.kernel,
        "total_formula": " + ".join(tex_count(s.params) for s in steps if s.params) +
                         f" = {tex_count(arrays['total_params'])}",
    })
    shapes = [tuple(s) for s in arrays["layer_shapes"]]
    return SceneValues(arrays, {"blocks": blocks(shapes)})
