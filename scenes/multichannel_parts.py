"""Parts of the multi-channel scene: subscripts, cell sizes, and the closing 1x1 convolution and its purposes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from manim import DOWN, LEFT, RIGHT, UL, UP, Animation, FadeIn, FadeOut, VGroup, config

from scenes.common import MONO, NumberGrid, cached_text, cells_box, formula, label
from scenes.kit import SAFE_MARGIN

if TYPE_CHECKING:
    from scenes.multichannel import SumOverInputChannels

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
#: the part's labels: 16 px tall at 480p
LABEL_FONT = 26


def sub(*indices: int) -> str:
    """1-based indices as Unicode subscripts: ``sub(1, 2)`` is ``₁,₂`` (Text, no LaTeX run)."""
    return ",".join(str(i).translate(SUB) for i in indices)


def pointwise(scene: SumOverInputChannels, inputs: VGroup, leave: Sequence[Animation]) -> None:
    """1x1 convolution: a weighted sum across channels at each pixel; the size stays. ``leave``: the
    animations that take away what the scene showed before (all but ``inputs``)."""
    t, v = scene.theme, scene.values
    a = v.arrays
    c_out, c_in = a["pointwise_kernel"].shape
    scene.next_section("1x1 convolution")
    cell = float(inputs[0].cell(0, 0).width)  # as drawn
    ker = NumberGrid(a["pointwise_kernel"], t, t.kernel, cell=cell, font_size=max(26.0, 26 * cell / 0.6))
    ker.next_to(inputs, DOWN, buff=0.7).align_to(inputs, LEFT)
    ker_name = label(scene.tr("1×1 kernels: row d mixes the channels into Z'", "1×1 卷积核：第 d 行混合各通道得到 Z'"),
                     t, color=t.kernel, font_size=LABEL_FONT).next_to(ker, UP, buff=0.12).align_to(inputs, LEFT)
    # the new channels in one column right of the inputs, as large as the room there allows
    maps = a["pointwise_output"]
    room = config.frame_width * (0.5 - SAFE_MARGIN) - 0.1 - (inputs.get_right()[0] + 0.6)
    # the column ends above a two-line caption (its top is at about -2.6)
    ocell = min(0.62, room / maps.shape[2], (inputs.get_top()[1] + 2.55 - 0.8 * (c_out - 1)) / (c_out * maps.shape[1]))
    outputs = VGroup(*(NumberGrid(m, t, t.output, cell=ocell, font_size=26, show_values=False)  # 16 px digits
                       for m in maps)).arrange(DOWN, buff=0.8)
    outputs.next_to(inputs, RIGHT, buff=0.6).align_to(inputs, UP)
    out_names = scene.named(outputs, [f"Z'{sub(d + 1)}" for d in range(c_out)], t.output)
    scene.play(*leave, run_time=0.5)
    scene.play(FadeIn(ker), FadeIn(ker_name), FadeIn(outputs), FadeIn(out_names), run_time=0.8)
    i, j = v.pw_pixel
    pixel = VGroup(*(cells_box(g, [(i, j)], t.highlight) for g in inputs))
    scene.play(FadeIn(pixel), run_time=0.6)
    # line d beside row d of the kernels
    lines = VGroup(*(cached_text(s, font=MONO, font_size=26, color=t.output) for s in v.pw_mix_text))
    for d, line in enumerate(lines):
        line.next_to(ker, RIGHT, buff=0.3).set_y(ker.cell(d, 0).get_y())
    shown = {}  # the numbers drawn in the new maps, by (channel, row, column)
    for d in range(c_out):
        row = cells_box(ker, [(d, c) for c in range(c_in)], t.highlight)
        scene.play(FadeIn(row), FadeIn(lines[d]), run_time=0.8)
        value = shown[(d, i, j)] = outputs[d].number_for(i, j, a["pointwise_output"][d, i, j])
        # the sum's value fades in at its pixel (a morph of the line into one number would garble its digits)
        scene.play(FadeIn(value), FadeOut(row), run_time=0.8)
    scene.say("pw_mix")
    rest = {(d, r, c): outputs[d].number_for(r, c, a["pointwise_output"][d, r, c]) for d in range(c_out)
            for r in range(outputs[d].shape[0]) for c in range(outputs[d].shape[1]) if (r, c) != (i, j)}
    shown.update(rest)
    rest = VGroup(*rest.values())
    scene.next_section("all pixels")
    scene.play(FadeIn(rest, lag_ratio=0.02), FadeOut(pixel), run_time=1.2)
    # the count takes the mixing lines' place, right of the kernels (below them is the caption's room)
    count = VGroup(formula(r"1 \cdot 1 \cdot C_{in} \cdot C_{out} + C_{out}", t, font_size=scene.param_font),
                   cached_text("= " + v.pw_count_text, font=MONO, font_size=28, color=t.kernel)
                   ).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
    room = outputs.get_left()[0] - 0.3 - (ker.get_right()[0] + 0.3)
    if count.width > room:
        count.scale_to_fit_width(room)
    count.next_to(ker, RIGHT, buff=0.3).align_to(ker, UP)
    scene.play(FadeOut(lines), run_time=0.4)
    scene.play(FadeIn(count), run_time=0.8)
    scene.say("pw_count", c_out=c_out, count=a["pointwise_param_count"])
    scene.next_section("1x1 purposes")
    scene.play(FadeOut(VGroup(ker, ker_name, count)), run_time=0.5)
    purposes(scene, inputs, outputs, out_names, shown)


def purposes(scene: SumOverInputChannels, inputs: VGroup, outputs: VGroup, out_names: VGroup, shown: dict) -> None:
    """The 1x1 convolution's two purposes, on the scene's numbers, in the free room right of its maps: fewer
    channels for few parameters (against a c×c convolution between the same channels), and a ReLU after it,
    a nonlinearity at each pixel (the negative values of Z' become 0, each fading out and its 0 in)."""
    t, v = scene.theme, scene.values
    a = v.arrays
    c_in, c_out = a["pointwise_channels"]
    k = a["kernel"].shape[2]
    # under the input channels, left of the new maps
    left, top = inputs.get_left()[0], inputs.get_bottom()[1] - 0.5
    room = outputs.get_left()[0] - 0.3 - left

    def block(lines: list[tuple[str, str]]) -> VGroup:
        group = VGroup(*(label(text, t, color=color, font_size=LABEL_FONT) for text, color in lines))
        group.arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        if group.width > room:
            group.scale_to_fit_width(room)  # (kept at least 16 px: the lines are short; the render checks it)
        return group.move_to([left, top, 0], aligned_edge=UL)

    heads = ((scene.tr("Purpose 1: fewer channels", "用途一：减少通道数") if a["pointwise_reduces"]
              else scene.tr("Purpose 1: any channel count", "用途一：改变通道数")), t.highlight)
    cost = block([heads,
                  (scene.tr(f"1×1: {c_in} → {c_out} channels, {a['pointwise_param_count']} parameters",
                            f"1×1：{c_in} → {c_out} 个通道，{a['pointwise_param_count']} 个参数"), t.kernel),
                  (scene.tr(f"{k}×{k}: {c_in} → {c_out} channels, {a['param_count']} parameters",
                            f"{k}×{k}：{c_in} → {c_out} 个通道，{a['param_count']} 个参数"), t.muted)])
    scene.play(FadeIn(cost), run_time=0.8)
    scene.say("pw_reduce", c_in=c_in, c_out=c_out, c=k,
              count=a["pointwise_param_count"], full=a["param_count"])

    scene.next_section("1x1 purpose: nonlinearity")
    relu = block([(scene.tr("Purpose 2: a nonlinearity", "用途二：增加非线性"), t.highlight),
                  (scene.tr("ReLU after the 1×1: max(0, Z')", "1×1 卷积后接 ReLU：max(0, Z')"), t.output)])
    scene.play(FadeOut(cost), run_time=0.4)  # out, then in: the texts never show through each other
    scene.play(FadeIn(relu), run_time=0.8)
    maps, after = a["pointwise_output"], a["pointwise_relu_output"]
    negative = [(d, i, j) for d, i, j in zip(*np.nonzero(maps < 0))]
    olds = VGroup(*(shown[cell] for cell in negative))
    zeros = VGroup(*(outputs[d].number_for(i, j, after[d, i, j]) for d, i, j in negative))
    new_names = VGroup(*(label(f"ReLU(Z'{sub(d + 1)})", t, color=t.output, font_size=LABEL_FONT).move_to(name)
                         for d, name in enumerate(out_names)))
    # out, then in: a number never morphs into another
    scene.play(FadeOut(olds), FadeOut(out_names), run_time=0.5)
    scene.play(FadeIn(zeros), FadeIn(new_names), run_time=0.6)
    scene.say("pw_relu", zeroed=a["pointwise_relu_zeroed"])
