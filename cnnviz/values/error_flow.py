"""Values of the ``error_flow`` scene: the real error terms δ = ∂L/∂Z of one digit (test digit ``index``, or
the teacher's ``input_image`` prepared as MNIST's were, with its ``label``) flowing back through the trained
network, from δ = p − onehot at the output down to its first layer, whatever the model's layers.

Every δ comes from :func:`cnnviz.mnist.values.digit_backprop`, which computes it with the core's backprop
functions and asserts it equal to torch.autograd's. One :class:`Step` per layer that has a δ of its own
(dropout and flatten pass δ on unchanged or reshaped: their steps are notes of the next one), each a panel
row: the δ given (left, the previous step's result), the ingredient of the layer above (one rot(W) below a
conv layer, h′(Z) as a 0/1 mask below a dense or pooling layer, γ/√(σ² + ε) below batch norm; none where
the layer has no activation and nothing else multiplies) and the δ it gives (right). Maps show one channel
as a picture and a crop in numbers; a long vector shows its first :data:`MAX_FLAT` units. Numbers below the
output are integers in units of 10^-k, one k for the whole scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import MnistParams, shape_text
from . import SceneValues, fmt
from .mnist_display import crop, digit_input, scale_exponent, signed_rgb, unsigned_rgb

__all__ = ["CROP", "MAX_FLAT", "Panel", "Step", "compute", "crop_side", "fold_shape", "strongest"]

CROP = 4  # side of the numbers crop of a δ map (a map of at most CROP + 1 is shown whole)
MAX_FLAT = 64  # units of a vector shown in numbers (the first ones)
PASSING = ("dropout", "flatten")  # layers δ passes through unchanged (dropout at evaluation) or reshaped


@dataclass
class Panel:
    """One drawn piece: a name (LaTeX), optionally a picture and a grid of display numbers."""

    tex: str
    role: str  # "gradient", "kernel", "output", "input": the theme colour
    grid: np.ndarray | None = None  # what the cells show (already rounded/scaled; NaN: an empty cell)
    image: np.ndarray | None = None  # (H, W, 3) uint8
    box: tuple[int, int, int] | None = None  # (row, col, size) of the crop on the picture
    sub: tuple[int, int, int] | None = None  # (row, col, size) of a block inside the grid to mark
    note: tuple[str, str] = ("", "")  # small text under it (en, zh)
    digits: int = 0


@dataclass
class Step:
    """δ of layer ``key`` from δ of the layer above it; ``kind`` is that layer's: ``"output"``, ``"dense"``
    (a flat δ below a dense layer), ``"reshape"`` (a volume below one), ``"conv"``, ``"maxpool"``,
    ``"avgpool"``, ``"batchnorm"``. ``middle`` is ``None`` where nothing is shown between. ``relu``: whether
    the layer ``key`` has ReLU (its h′(Z) multiplies); ``passed``: the dropout/flatten layers in between."""

    key: str
    law: str  # MathTex
    left: Panel
    middle: Panel | None
    right: Panel
    layers: tuple[str, str]  # (layer whose δ is given, layer whose δ is computed)
    kind: str = "output"
    relu: bool = False
    passed: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def strongest(a: np.ndarray, among: range | None = None) -> int:
    """The channel of ``(C, H, W)`` with the largest Σ|δ| (only those in ``among`` when given)."""
    sums = np.abs(a).reshape(len(a), -1).sum(1)
    if among is None:
        return int(np.argmax(sums))
    return among[int(np.argmax(sums[among.start:among.stop]))]


def fold_shape(n: int, *, wide: bool = False) -> tuple[int, int]:
    """Rows × columns for a vector of ``n`` numbers drawn as a grid: near-square, ⌈√n⌉ (or one more) columns
    that divide ``n`` (64 → 8×8, 12 → 3×4), else ⌈√n⌉ columns with the last row part-filled (32 → 6×6);
    ``wide``: the columns of a divisor pair up to twice that (10 → 2×5, as the output's row of ten folds)."""
    side = math.ceil(math.sqrt(n))
    for cols in range(side, (2 * side if wide else side + 1) + 1):
        if n % cols == 0:
            return n // cols, cols
    return math.ceil(n / side), side


def folded(v: np.ndarray, *, wide: bool = False) -> np.ndarray:
    """The first MAX_FLAT numbers of a vector as a grid of :func:`fold_shape`, NaN where the last row is short."""
    v = np.asarray(v, float).ravel()[:MAX_FLAT]
    rows, cols = fold_shape(len(v), wide=wide)
    out = np.full(rows * cols, np.nan)
    out[:len(v)] = v
    return out.reshape(rows, cols)


def crop_side(shape: tuple[int, ...]) -> tuple[bool, int]:
    """Whether a map of ``shape`` (H, W) is shown whole, and the side of the numbers' square: the whole map's
    larger side, else :data:`CROP` (at most the map's smaller side)."""
    h, w = shape
    whole = h <= CROP + 1 and w <= CROP + 1
    return whole, max(h, w) if whole else min(CROP, h, w)


def _tex_name(name: str) -> str:
    return rf"\text{{{name}}}"


def compute(p: MnistParams) -> SceneValues:
    p.model.refuse_for_scene("error_flow")
    from ..mnist.values import digit_backprop

    din = digit_input(p)
    if din.label is None:  # δ = p − y needs the true class y; a picture does not say which digit it shows
        raise ValueError(f"error_flow: input_image {p.input_image!r} needs `label:` (0–9), the class the digit "
                         "shows: the output's error term δ = p − y needs the true class y")
    model = din.model
    bp = digit_backprop(model, din.image, din.label)
    rows = {r.name: r for r in p.model.shapes()}
    order = [lg.name for lg in bp.layers]
    kind = {lg.name: lg.kind for lg in bp.layers}
    d = {lg.name: lg.delta for lg in bp.layers}
    z = {lg.name: lg.z for lg in bp.layers}
    relu = {name: model.activations[name] == "relu" for name in order}
    last = order[-1]
    below = [n for n in order[:-1] if kind[n] not in PASSING]
    k = scale_exponent(np.concatenate([d[n].ravel() for n in below])) + 2 if below else 2
    # three digits for the largest |δ|, unless a vector's grid (up to 8 rows) would then hold a number of four
    # characters (−235): its cells would make it taller than the room; then two
    flat = [d[n].ravel()[:MAX_FLAT] for n in below if d[n].ndim == 1]
    if flat and max(len(fmt(x)) for x in np.round(np.concatenate(flat) * 10.0 ** k)) > 3:
        k -= 1
    unit = 10.0 ** k

    def shown(a: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(a) * unit)  # integers in units of 10^-k

    arrays: dict[str, Any] = {"index": din.index, "input": din.record, "label": bp.label, "loss": bp.loss,
                              "probabilities": bp.probabilities, "unit_exponent": -k,
                              "max_abs_diff_core_vs_autograd": bp.max_abs_diff, "layers": order}
    onehot = np.eye(len(bp.probabilities))[bp.label]
    arrays.update({"onehot": onehot, f"delta_{last}": d[last]})
    out = Panel(r"\delta = p - y", "gradient", grid=np.round(d[last][None], 2), digits=2)
    steps: list[Step] = [Step(
        "output", rf"\delta_{{{_tex_name(last)}}} = p - y",
        Panel("p", "output", grid=np.round(bp.probabilities[None], 2), digits=2),
        Panel("y", "input", grid=onehot[None]), out, ("loss", last))]
    # the output's δ as the next step takes it: folded into rows (10 classes: 0–4 above 5–9)
    given = Panel(rf"\delta_{{{_tex_name(last)}}}", "gradient", grid=np.round(folded(d[last], wide=True), 2), digits=2,
                  note=(("classes 0–4 and 5–9", "类别 0–4 与 5–9") if len(d[last]) == 10 else ("", "")))
    channel: int | None = None  # the channel the given δ shows (None: a vector)

    def map_panel(name: str, c: int, *, at: tuple[int, int] | None = None, align: int = 1) -> Panel:
        """δ of layer ``name``, channel ``c``: its picture and a crop in numbers (at ``at``, else around its
        largest |δ|), the whole map where it is small."""
        m = d[name][c]
        whole, size = crop_side(m.shape)
        if whole:
            r, q = 0, 0
            grid = shown(m)
        else:
            if at is None:
                center = np.unravel_index(np.argmax(np.abs(m)), m.shape)
                at = crop(m, (int(center[0]), int(center[1])), size, align=align)
            r, q = at
            grid = shown(m[r:r + size, q:q + size])
        arrays.update({f"delta_{name}_channel": c, f"delta_{name}_crop": [r, q, size], f"delta_{name}_shown": m})
        return Panel(rf"\delta_{{{_tex_name(name)}}}[{c}]", "gradient", grid=grid, image=signed_rgb(m),
                     box=(r, q, size))

    def vector_panel(name: str) -> Panel:
        """δ of layer ``name``, a vector: its first MAX_FLAT units in numbers, folded into rows."""
        arrays[f"delta_{name}_shown"] = d[name]
        return Panel(rf"\delta_{{{_tex_name(name)}}}", "gradient", grid=shown(folded(d[name])))

    def mask_panel(name: str, c: int | None, box: tuple[int, int, int] | None) -> Panel:
        """h′(Z) of layer ``name`` (ReLU's slope, 0 or 1) where the right panel shows δ."""
        mask = (z[name] > 0).astype(float)
        arrays[f"relu_slope_{name}_shown"] = mask if c is None else mask[c]
        if c is None:
            return Panel(rf"h'(Z_{{{_tex_name(name)}}})", "output", grid=folded(mask))
        r, q, size = box
        cropped = size < max(mask[c].shape)  # a picture of the whole mask where the numbers are a crop of it
        return Panel(rf"h'(Z_{{{_tex_name(name)}}}[{c}])", "output", grid=mask[c][r:r + size, q:q + size],
                     image=unsigned_rgb(mask[c]) if cropped else None, box=box if cropped else None)

    i = len(order) - 1
    while True:
        j, passed = i - 1, []
        while j >= 0 and kind[order[j]] in PASSING:
            passed.append(order[j])
            j -= 1
        if j < 0:
            break
        above, name = order[i], order[j]
        ka, flat = kind[above], d[name].ndim == 1
        hp = rf"h'(Z_{{{_tex_name(name)}}}) \odot " if relu[name] else ""
        dl, da = rf"\delta_{{{_tex_name(name)}}}", rf"\delta_{{{_tex_name(above)}}}"
        extra: dict[str, Any] = {}
        middle: Panel | None = None
        if ka == "dense":
            back = rf"W_{{{_tex_name(above)}}}^{{\top}}\, {da}"
            if flat:
                step_kind = "dense"
                law = rf"{dl} = {hp}\left({back}\right)" if relu[name] else rf"{dl} = {back}"
                right = vector_panel(name)
                middle = mask_panel(name, None, None) if relu[name] else None
                c = None
            else:
                step_kind = "reshape"
                law = rf"{dl} = {hp}\mathrm{{reshape}}\left({back}\right)"
                c = strongest(d[name])
                right = map_panel(name, c)
                middle = mask_panel(name, c, right.box) if relu[name] else None
                extra["flat"] = int(d[name].size)
        elif ka == "conv":
            step_kind = "conv"
            layer = rows[above].layer
            w = model.layers[above].weight.detach().double().numpy()
            c_out = channel if channel is not None else strongest(d[above])
            per_group = len(d[name]) // layer.groups  # input channels a kernel of the group reads
            group = c_out // (len(w) // layer.groups)
            c = strongest(d[name], range(group * per_group, (group + 1) * per_group))
            right = map_panel(name, c, align=2 if kind[name].endswith("pool") else 1)
            rot = np.rot90(w[c_out, c - group * per_group], 2)
            summed = len(w) // layer.groups  # the δ maps of the layer above that reach channel c
            middle = Panel(rf"\mathrm{{rot180}}(W_{{{_tex_name(above)}}}[{c_out},{c}])", "kernel",
                           grid=np.round(rot, 2), digits=2,
                           note=((f"+ {summed - 1} more channels", f"另有 {summed - 1} 个通道相加") if summed > 1
                                 else ("", "")))
            # a Σ of text size, its c beside it: the law keeps to one line under the title
            law = (rf"{dl} = {hp}{{\textstyle\sum_{{c}}}}\, \mathrm{{rot180}}(W_{{{_tex_name(above)}}}[c])"
                   rf"\,\tilde{{\otimes}}\, {da}[c]")
            arrays[f"rot180_{above}_shown"] = rot
            extra.update(summed=summed, stride=layer.stride, padding=layer.padding, dilation=layer.dilation,
                         groups=layer.groups)
        elif ka in ("maxpool", "avgpool"):
            step_kind = ka
            layer = rows[above].layer
            size, stride = layer.size, layer.stride or layer.size
            c = channel
            r0, c0, gs = given.box
            m = d[name][c]
            whole, side = crop_side(m.shape)
            block = max(1, min(gs, (side - size) // stride + 1))

            def score(i_: int, j_: int) -> tuple[int, float]:  # most values surviving h′, then most error
                r_, q_ = place(i_, j_)
                part = m[r_:r_ + side, q_:q_ + side]
                return int(np.count_nonzero(np.round(part * unit))), float(np.abs(part).sum())

            def place(i_: int, j_: int) -> tuple[int, int]:  # the crop below the block (i_, j_) of the given
                r_ = min(max(stride * (r0 + i_) - layer.padding, 0), m.shape[0] - side)
                q_ = min(max(stride * (c0 + j_) - layer.padding, 0), m.shape[1] - side)
                return r_, q_

            if whole:  # the whole map below: the whole given crop lands in it
                bi = bj = 0
                block = gs
                at = (0, 0)
            else:
                _, bi, bj = max((score(a_, b_), a_, b_) for a_ in range(gs - block + 1)
                                for b_ in range(gs - block + 1))
                at = place(bi, bj)
            right = map_panel(name, c, at=at)
            middle = mask_panel(name, c, right.box) if relu[name] else None
            given = Panel(given.tex, given.role, given.grid, given.image, given.box, (bi, bj, block), given.note,
                          given.digits)
            law = (rf"{dl} = \mathrm{{up}}({da}) \odot h'(Z_{{{_tex_name(name)}}})" if relu[name]
                   else rf"{dl} = \mathrm{{up}}({da})")
            arrays.update({f"delta_{above}_block": [r0 + bi, c0 + bj, block], f"delta_{above}_used": d[above][c]})
            extra["cells"] = size * size
        else:  # batchnorm: at evaluation δ times γ/√(σ² + ε), per channel (or unit)
            step_kind = "batchnorm"
            bn = model.layers[above]
            scale = (bn.weight.detach().double().numpy()
                     / np.sqrt(bn.running_var.detach().double().numpy() + bn.eps))
            arrays[f"bn_scale_{above}_shown"] = scale
            frac = r"\tfrac{\gamma}{\sqrt{\sigma^2 + \epsilon}}"
            law = rf"{dl} = {hp}{frac}\, {da}"
            if flat:
                c = None
                right = vector_panel(name)
                middle = None  # a factor per unit: the law says it (a grid of them leaves no room for δ beside)
            else:
                c = channel
                right = map_panel(name, c, at=None if given.box is None else given.box[:2])
                middle = Panel(rf"\gamma_{{{c}}} / \sqrt{{\sigma_{{{c}}}^2 + \epsilon}}", "kernel",
                               grid=np.round(scale[c:c + 1, None], 2), digits=2)
        extra["channel"] = c
        steps.append(Step(name, law, given, middle, right, (above, name), step_kind, relu[name],
                          tuple(passed), extra))
        given, channel, i = right, c, j
    arrays["shown_grids"] = {st.key: st.right.grid for st in steps}
    arrays["steps"] = [st.key for st in steps]
    arrays["step_kinds"] = [st.kind for st in steps]
    chain = [("X", shape_text(p.model.input))] + [(lg.name, shape_text(lg.z.shape)) for lg in bp.layers]
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    data = {"steps": steps, "chain": chain, "unit_exponent": -k, "unit_text": f"10{str(-k).translate(sup)}", "label": bp.label,
            "prediction": int(np.argmax(bp.probabilities)), "image": unsigned_rgb(np.asarray(din.image, float)),
            "opening": din.opening, "own": din.own, "name": din.name, "index": din.index}
    # p and δ of the true class, with decimals enough that δ is not rounded to 0 (a confident right answer
    # has p ≈ 1 and δ ≈ −10⁻⁶); p − 1 = δ holds for the written numbers to their last digit
    delta_true = float(d[last][bp.label])
    places = max(2, 1 - int(np.floor(np.log10(abs(delta_true))))) if delta_true else 2
    data["true_class_text"] = {"p": f"{bp.probabilities[bp.label]:.{places}f}", "delta": f"{delta_true:.{places}f}"}
    arrays["true_class_text"] = data["true_class_text"]
    seen = np.asarray(din.image, float)
    arrays["image"] = seen / 255.0 if din.image.dtype == np.uint8 else seen  # the 28×28 the network saw
    return SceneValues(arrays, data)
