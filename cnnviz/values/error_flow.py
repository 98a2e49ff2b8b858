"""Values of the ``error_flow`` scene: the real error terms δ = ∂L/∂Z of one digit (test digit ``index``, or
the teacher's ``input_image`` prepared as MNIST's were, with its ``label``) flowing back through the trained
MNIST network, from δ = p − onehot at the output down to the first conv layer.

Every δ comes from :func:`cnnviz.mnist.values.digit_backprop`, which computes it with the core's backprop
functions and asserts it equal to torch.autograd's. One step per layer, each a panel pair: the δ above
(left, the previous step's result) and the δ it gives (right), with the ingredient between (h′(Z) as a
0/1 mask below a pooling layer, one rot180(W) below a conv layer). Conv δ maps show one channel as a
picture and a 4×4 crop (whole pooling blocks) in numbers; numbers below the output are integers in
units of 10^-k, one k for the whole scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import MnistParams
from . import SceneValues, fmt
from .mnist_display import crop, digit_input, scale_exponent, signed_rgb, unsigned_rgb

CROP = 4  # side of the numbers crop of a conv δ map


@dataclass
class Panel:
    """One drawn piece: a name (LaTeX), optionally a picture and a grid of display numbers."""

    tex: str
    role: str  # "gradient", "kernel", "output", "input": the theme colour
    grid: np.ndarray | None = None  # what the cells show (already rounded/scaled)
    image: np.ndarray | None = None  # (H, W, 3) uint8
    box: tuple[int, int, int] | None = None  # (row, col, size) of the crop on the picture
    sub: tuple[int, int, int] | None = None  # (row, col, size) of a block inside the grid to mark
    note: tuple[str, str] = ("", "")  # small text under it (en, zh)
    digits: int = 0


@dataclass
class Step:
    key: str
    law: str  # MathTex
    left: Panel
    middle: Panel
    right: Panel
    captions: list[tuple[str, str]]  # (en, zh), one after another
    layers: tuple[str, str]  # (layer whose δ is given, layer whose δ is computed)
    extra: dict[str, Any] = field(default_factory=dict)


def strongest(a: np.ndarray) -> int:
    """The channel of ``(C, H, W)`` with the largest Σ|δ|."""
    return int(np.argmax(np.abs(a).reshape(len(a), -1).sum(1)))


def compute(p: MnistParams) -> SceneValues:
    p.model.refuse_unless_course_shaped("error_flow")
    from ..mnist.values import digit_backprop

    din = digit_input(p)
    if din.label is None:  # δ = p − y needs the true class y; a picture does not say which digit it shows
        raise ValueError(f"error_flow: input_image {p.input_image!r} needs `label:` (0–9), the class the digit "
                         "shows: the output's error term δ = p − y needs the true class y")
    model = din.model
    bp = digit_backprop(model, din.image, din.label)
    d = {lg.name: lg.delta for lg in bp.layers}
    z = {lg.name: lg.z for lg in bp.layers}
    w = {name: layer.weight.detach().double().numpy() for name, layer in model.layers.items()
         if getattr(layer, "weight", None) is not None}
    k = scale_exponent(np.concatenate([d[n].ravel() for n in ("dense1", "conv3", "pool2", "conv2", "pool1",
                                                             "conv1")])) + 2
    unit = 10.0 ** k

    def shown(a: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(a) * unit)  # integers in units of 10^-k

    arrays: dict[str, Any] = {"index": din.index, "input": din.record, "label": bp.label, "loss": bp.loss,
                              "probabilities": bp.probabilities, "unit_exponent": -k,
                              "max_abs_diff_core_vs_autograd": bp.max_abs_diff}
    onehot = np.eye(len(bp.probabilities))[bp.label]
    arrays.update({"onehot": onehot, "delta_dense2": d["dense2"], "delta_dense1": d["dense1"]})
    steps: list[Step] = []
    out = Panel(r"\delta = p - y", "gradient", grid=np.round(d["dense2"][None], 2), digits=2)
    steps.append(Step("output", r"\delta_{\text{dense2}} = p - y", Panel("p", "output",
                      grid=np.round(bp.probabilities[None], 2), digits=2), Panel("y", "input", grid=onehot[None]),
                      out, [("At the output, softmax with cross-entropy gives δ = p − y.",
                             "输出层：softmax 加交叉熵给出 δ = p − y。"),
                            (f"The true class {bp.label} gets {fmt(bp.probabilities[bp.label])} − 1 = "
                             f"{fmt(d['dense2'][bp.label])}: raise it; the others get p: lower them.",
                             f"真实类别 {bp.label} 处为 {fmt(bp.probabilities[bp.label])} − 1 = "
                             f"{fmt(d['dense2'][bp.label])}：要升高；其余类别为 p：要降低。")], ("loss", "dense2")))
    active1 = (z["dense1"] > 0).astype(float)
    dense1 = Panel(r"\delta_{\text{dense1}}", "gradient", grid=shown(d["dense1"]).reshape(8, 8))
    steps.append(Step("dense1", r"\delta_{\text{dense1}} = h'(Z_{\text{dense1}}) \odot "
                      r"\left(W_{\text{dense2}}^{\top}\, \delta_{\text{dense2}}\right)",
                      Panel(r"\delta_{\text{dense2}}", "gradient", grid=np.round(d["dense2"].reshape(2, 5), 2), digits=2,
                            note=("classes 0–4 and 5–9", "类别 0–4 与 5–9")),
                      Panel(r"h'(Z_{\text{dense1}})", "output", grid=active1.reshape(8, 8)), dense1,
                      [("A dense layer sends δ back through its weights: Wᵀδ.", "全连接层把 δ 经权重传回：Wᵀδ。"),
                       (f"ReLU lets it pass only where Z > 0: {int(active1.sum())} of {active1.size} units.",
                        f"ReLU 只在 Z > 0 处放行：{active1.size} 个单元中的 {int(active1.sum())} 个。")],
                      ("dense2", "dense1")))
    arrays["active_dense1"] = active1

    c3 = strongest(d["conv3"])
    conv3 = Panel(rf"\delta_{{\text{{conv3}}}}[{c3}]", "gradient", grid=shown(d["conv3"][c3]),
                  image=signed_rgb(d["conv3"][c3]), box=(0, 0, 3))
    steps.append(Step("conv3", r"\delta_{\text{conv3}} = h'(Z_{\text{conv3}}) \odot "
                      r"\mathrm{reshape}\left(W_{\text{dense1}}^{\top}\, \delta_{\text{dense1}}\right)",
                      dense1, Panel(rf"h'(Z_{{\text{{conv3}}}}[{c3}])", "output",
                                    grid=(z["conv3"][c3] > 0).astype(float)), conv3,
                      [("Back through the first dense layer, 576 values take the shape of 64 maps of 3×3.",
                        "经过第一个全连接层传回，576 个值还原为 64 张 3×3 的图。"),
                       (f"One of them, channel {c3}, times its own h′(Z).", f"这里是其中第 {c3} 个通道，再乘以它的 h′(Z)。")],
                      ("dense1", "conv3"),
                      {"channel": c3}))
    arrays.update({"delta_conv3_channel": c3, "delta_conv3_shown": d["conv3"][c3]})

    def conv_step(below: str, above: str, c_out: int, given: Panel) -> tuple[Step, Panel, int]:
        """δ of pool layer ``below`` from the conv layer ``above``: rot180(W) ⊗̃ δ, summed over channels."""
        dl = d[below]
        c_in = strongest(dl)
        size = min(CROP + 1 if dl.shape[1] <= CROP + 1 else CROP, dl.shape[1])
        center = np.unravel_index(np.argmax(np.abs(dl[c_in])), dl[c_in].shape)
        r, c = (int(n) for n in crop(dl[c_in], center, size, align=2))
        right = Panel(rf"\delta_{{\text{{{below}}}}}[{c_in}]", "gradient", grid=shown(dl[c_in, r:r + size, c:c + size]),
                      image=signed_rgb(dl[c_in]), box=(r, c, size))
        rot = np.rot90(w[above][c_out, c_in], 2)
        mid = Panel(rf"\mathrm{{rot180}}(W_{{\text{{{above}}}}}[{c_out},{c_in}])", "kernel", grid=np.round(rot, 2),
                    digits=2, note=(f"+ {len(w[above]) - 1} more channels", f"另有 {len(w[above]) - 1} 个通道相加"))
        # a Σ of text size, its c beside it: the law keeps to one line under the title
        law = (rf"\delta_{{\text{{{below}}}}} = {{\textstyle\sum_{{c}}}}\, \mathrm{{rot180}}(W_{{\text{{{above}}}}}[c])"
               rf"\,\tilde{{\otimes}}\, \delta_{{\text{{{above}}}}}[c]")
        cap = [(f"Below a conv layer: each of its {len(w[above])} δ maps is wide-convolved with its rot180 kernel,",
                f"卷积层之下：它的 {len(w[above])} 张 δ 图各自与旋转 180° 的卷积核做宽卷积，"),
               (f"and the {len(w[above])} results are summed. {below} has no activation, so h′ = 1.",
                f"再把 {len(w[above])} 个结果相加。{below} 没有激活函数，h′ = 1。")]
        arrays.update({f"delta_{below}_channel": c_in, f"delta_{below}_crop": [r, c, size],
                       f"delta_{below}_shown": dl[c_in], f"rot180_{above}_shown": rot})
        return Step(below, law, given, mid, right, cap, (above, below), {"channel": c_in}), right, c_in

    def pool_step(conv: str, pool: str, ch: int, given: Panel) -> tuple[Step, Panel]:
        """δ of conv layer ``conv`` below pooling layer ``pool``: up(δ) routed to each window's max, times h′."""
        dp = d[pool][ch]
        r0, c0, size = given.box
        # the 2×2 block of the pool crop whose 4×4 image one layer down keeps the most error
        def score(i: int, j: int) -> tuple[int, float]:  # most values surviving h′, then most error
            q = d[conv][ch, 2 * (r0 + i):2 * (r0 + i) + CROP, 2 * (c0 + j):2 * (c0 + j) + CROP]
            return int(np.count_nonzero(np.round(q * unit))), float(np.abs(q).sum())

        _, i, j = max((score(i, j), i, j) for i in range(size - 1) for j in range(size - 1))
        r, c = 2 * (r0 + i), 2 * (c0 + j)
        mask = (z[conv][ch] > 0).astype(float)
        right = Panel(rf"\delta_{{\text{{{conv}}}}}[{ch}]", "gradient", grid=shown(d[conv][ch, r:r + CROP, c:c + CROP]),
                      image=signed_rgb(d[conv][ch]), box=(r, c, CROP))
        mid = Panel(rf"h'(Z_{{\text{{{conv}}}}}[{ch}])", "output", grid=mask[r:r + CROP, c:c + CROP],
                    image=unsigned_rgb(mask), box=(r, c, CROP))
        given = Panel(given.tex, given.role, given.grid, given.image, given.box, (i, j, 2))
        law = (rf"\delta_{{\text{{{conv}}}}} = \mathrm{{up}}(\delta_{{\text{{{pool}}}}}) \odot "
               rf"h'(Z_{{\text{{{conv}}}}})")
        cap = [("Below max pooling: up(δ) sends each value to where its window's maximum was;",
                "最大池化之下：up(δ) 把每个值送回其窗口中最大值所在的位置；"),
               ("the other three cells get 0. Then ⊙ h′(Z): 1 where Z > 0, else 0.",
                "其余三个位置为 0。再 ⊙ h′(Z)：Z > 0 处为 1，否则为 0。")]
        arrays.update({f"delta_{conv}_channel": ch, f"delta_{conv}_crop": [r, c, CROP], f"delta_{conv}_shown": d[conv][ch],
                       f"relu_slope_{conv}_shown": mask, f"delta_{pool}_block": [r0 + i, c0 + j, 2],
                       f"delta_{pool}_used": dp})
        return Step(conv, law, given, mid, right, cap, (pool, conv), {"channel": ch}), right

    s, pool2, ch2 = conv_step("pool2", "conv3", c3, conv3)
    steps.append(s)
    s, conv2 = pool_step("conv2", "pool2", ch2, pool2)
    steps.append(s)
    s, pool1, ch1 = conv_step("pool1", "conv2", ch2, conv2)
    steps.append(s)
    s, conv1 = pool_step("conv1", "pool1", ch1, pool1)
    steps.append(s)
    arrays["shown_grids"] = {st.key: st.right.grid for st in steps}
    arrays["steps"] = [st.key for st in steps]
    chain = [("X", "1×28×28")] + [(lg.name, "×".join(str(n) for n in lg.z.shape)) for lg in bp.layers]
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    data = {"steps": steps, "chain": chain, "unit_exponent": -k, "unit_text": f"10{str(-k).translate(sup)}", "label": bp.label,
            "prediction": int(np.argmax(bp.probabilities)), "image": unsigned_rgb(np.asarray(din.image, float)),
            "opening": din.opening, "own": din.own, "name": din.name, "index": din.index}
    # p and δ of the true class, with decimals enough that δ is not rounded to 0 (a confident right answer
    # has p ≈ 1 and δ ≈ −10⁻⁶); p − 1 = δ holds for the written numbers to their last digit
    delta_true = float(d["dense2"][bp.label])
    places = max(2, 1 - int(np.floor(np.log10(abs(delta_true))))) if delta_true else 2
    data["true_class_text"] = {"p": f"{bp.probabilities[bp.label]:.{places}f}", "delta": f"{delta_true:.{places}f}"}
    arrays["true_class_text"] = data["true_class_text"]
    seen = np.asarray(din.image, float)
    arrays["image"] = seen / 255.0 if din.image.dtype == np.uint8 else seen  # the 28×28 the network saw
    return SceneValues(arrays, data)
