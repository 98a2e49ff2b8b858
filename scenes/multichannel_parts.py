"""Parts of the multi-channel scene: subscripts, cell sizes, and the closing 1x1 convolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from manim import DOWN, LEFT, RIGHT, UP, Animation, FadeIn, FadeOut, VGroup, config

from scenes.common import MONO, NumberGrid, cached_text, cells_box, formula, label
from scenes.kit import SAFE_MARGIN

if TYPE_CHECKING:
    from scenes.multichannel import SumOverInputChannels

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


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
    ker = NumberGrid(a["pointwise_kernel"], t, t.kernel, cell=cell, font_size=26 * cell / 0.6)
    ker.next_to(inputs, DOWN, buff=0.7).align_to(inputs, LEFT)
    ker_name = label(scene.tr("1×1 kernels: row d mixes the channels into Z'", "1×1 卷积核：第 d 行混合各通道得到 Z'"),
                     t, color=t.kernel, font_size=22).next_to(ker, UP, buff=0.12).align_to(inputs, LEFT)
    # the new channels in one column right of the inputs, as large as the room there allows
    maps = a["pointwise_output"]
    room = config.frame_width * (0.5 - SAFE_MARGIN) - 0.1 - (inputs.get_right()[0] + 0.6)
    ocell = min(0.62, room / maps.shape[2], (inputs.get_top()[1] + 3.0 - 0.8 * (c_out - 1)) / (c_out * maps.shape[1]))
    outputs = VGroup(*(NumberGrid(m, t, t.output, cell=ocell, font_size=26 * ocell / 0.6, show_values=False)
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
    for d in range(c_out):
        row = cells_box(ker, [(d, c) for c in range(c_in)], t.highlight)
        scene.play(FadeIn(row), FadeIn(lines[d]), run_time=0.8)
        value = outputs[d].number_for(i, j, a["pointwise_output"][d, i, j])
        # the sum's value fades in at its pixel (a morph of the line into one number would garble its digits)
        scene.play(FadeIn(value), FadeOut(row), run_time=0.8)
    scene.caption("A 1×1 convolution mixes the channels at each pixel: a weighted sum across channels.",
                 "1×1 卷积在每个像素处混合各通道：对通道做加权求和。")
    rest = VGroup(*(outputs[d].number_for(r, c, a["pointwise_output"][d, r, c]) for d in range(c_out)
                    for r in range(outputs[d].shape[0]) for c in range(outputs[d].shape[1]) if (r, c) != (i, j)))
    scene.next_section("all pixels")
    scene.play(FadeIn(rest, lag_ratio=0.02), FadeOut(pixel), run_time=1.2)
    count = VGroup(formula(r"1 \cdot 1 \cdot C_{in} \cdot C_{out} + C_{out} =", t, font_size=34),
                   cached_text(v.pw_count_text, font=MONO, font_size=26, color=t.kernel)).arrange(RIGHT, buff=0.3)
    count.next_to(ker, DOWN, buff=0.35).align_to(inputs, LEFT)
    scene.play(FadeIn(count), run_time=0.8)
    scene.caption("Same spatial size, C_out new channels, and only C_in × C_out + C_out parameters.",
                 "空间尺寸不变，得到 C_out 个新通道，参数只有 C_in × C_out + C_out 个。")
