"""Parts of the multi-channel scene: subscripts, cell sizes, and the closing 1x1 convolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ReplacementTransform, VGroup

from scenes.common import MONO, NumberGrid, cached_text, cells_box, formula, label

if TYPE_CHECKING:
    from scenes.multichannel import SumOverInputChannels

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(*indices: int) -> str:
    """1-based indices as Unicode subscripts: ``sub(1, 2)`` is ``₁,₂`` (Text, no LaTeX run)."""
    return ",".join(str(i).translate(SUB) for i in indices)


def pointwise(scene: SumOverInputChannels, inputs: VGroup, old: VGroup) -> None:
    """1x1 convolution: a weighted sum across channels at each pixel; the size stays."""
    t, v = scene.theme, scene.values
    a = v.arrays
    c_out, c_in = a["pointwise_kernel"].shape
    scene.next_section("1x1 convolution")
    cell = inputs[0].cell_size
    ker = NumberGrid(a["pointwise_kernel"], t, t.kernel, cell=cell, font_size=26 * cell / 0.6)
    ker.next_to(inputs, DOWN, buff=0.7).align_to(inputs, LEFT)
    ker_name = label(scene.tr("1×1 kernels: row d mixes the channels into Z'", "1×1 卷积核：第 d 行混合各通道得到 Z'"),
                     t, color=t.kernel, font_size=22).next_to(ker, UP, buff=0.12).align_to(inputs, LEFT)
    outputs = scene.grids(a, "pointwise_output", t.output, 5.2, 4.6, 0.45, show_values=False)
    outputs.move_to(RIGHT * 4.15 + UP * 0.2)
    out_names = scene.named(outputs, [f"Z'{sub(d + 1)}" for d in range(c_out)], t.output)
    scene.play(FadeOut(old), run_time=0.5)
    scene.play(FadeIn(ker), FadeIn(ker_name), FadeIn(outputs), FadeIn(out_names), run_time=0.8)
    i, j = v.pw_pixel
    pixel = VGroup(*(cells_box(g, [(i, j)], t.highlight) for g in inputs))
    scene.play(FadeIn(pixel), run_time=0.6)
    # line d beside row d of the kernels
    lines = VGroup(*(cached_text(s, font=MONO, font_size=min(22, 60 * cell), color=t.output) for s in v.pw_mix_text))
    for d, line in enumerate(lines):
        line.next_to(ker, RIGHT, buff=0.3).set_y(ker.cell(d, 0).get_y())
    for d in range(c_out):
        row = cells_box(ker, [(d, c) for c in range(c_in)], t.highlight)
        scene.play(FadeIn(row), FadeIn(lines[d]), run_time=0.8)
        value = outputs[d].number_for(i, j, a["pointwise_output"][d, i, j])
        scene.play(ReplacementTransform(lines[d].copy(), value), FadeOut(row), run_time=0.8)
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
