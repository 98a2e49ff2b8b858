"""Multi-channel convolution: one kernel per input channel, their sums plus a bias; C_out kernels give C_out
feature maps; the parameter count; a 1x1 convolution as channel mixing.

Render alone with ``manim -ql scenes/multichannel.py SumOverInputChannels``.
"""

from __future__ import annotations

from manim import RIGHT, UP, FadeIn, FadeOut, VGroup

from scenes.common import MONO, LectureScene, cached_text, formula, label
from scenes.kit import ChannelSum, PieceStep, conceal, reveal
from scenes.multichannel_parts import pointwise

__all__ = ["SumOverInputChannels"]

#: the band between the title and the caption the channels take (scene units)
BAND = (-3.1, 2.9)
#: kept free under the kernels for the formulas (the working's line lies there while the steps play)
FORMULA_ROOM = 1.05
#: the widest the channels and the output maps may be together
ROW_WIDTH = 12.6


class SumOverInputChannels(LectureScene):
    """C_in input grids, a kernel under each, channel sums + b into C_out output maps (the kit's channel sum);
    then 1x1 mixing."""

    scene_id = "multichannel"
    detailed_steps = 2

    def named(self, group: VGroup, names: list[str], color: str, direction=UP) -> VGroup:
        return VGroup(*(label(n, self.theme, color=color, font_size=24).next_to(g, direction, buff=0.12)
                        for n, g in zip(names, group)))

    def channels(self) -> ChannelSum:
        """The channel sum, as large as the band allows (the room below its kernels kept for the formulas)."""
        v = self.values

        def build(cell: float) -> ChannelSum:
            return ChannelSum(v.trace, channel_sums=v.arrays["channel_sums"], theme=self.theme, text=cached_text,
                              cell=cell, fit=False, detailed=self.detailed_steps, run_time=3.0, fast_run_time=0.5)

        probe = build(1.0)
        cell = min(0.7, ROW_WIDTH / probe.width,
                   (BAND[1] - BAND[0] - FORMULA_ROOM) / (probe.get_top()[1] - probe.kernels.get_bottom()[1]))
        piece = build(cell)
        return piece.shift(RIGHT * -piece.get_x() + UP * (BAND[1] - piece.get_top()[1]))

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        c_out, c_in = a["kernel"].shape[:2]
        piece = self.channels()
        shows = {name: reveal(VGroup(*parts)) for name, parts in (
            ("inputs", (piece.inputs, piece.input_names)), ("kernels", (piece.kernels[0], piece.kernel_names[0])),
            ("outputs", (piece.outputs, piece.output_names, piece.biases)))}  # hidden until then
        self.add(piece)
        self.next_section("input channels")
        self.play(PieceStep(piece, shows["inputs"]), run_time=0.8)
        self.caption(f"The input has C_in = {c_in} channels, one grid each.",
                     f"输入有 C_in = {c_in} 个通道，每个通道一张网格。")
        self.next_section("kernels of output channel 1")
        self.play(PieceStep(piece, shows["kernels"]), run_time=0.8)
        self.play(PieceStep(piece, shows["outputs"]), run_time=0.8)
        self.caption(f"Output channel 1 has one kernel per input channel: {c_in} kernels, and one bias.",
                     f"输出通道 1 对每个输入通道各有一个卷积核：共 {c_in} 个，外加一个偏置。")

        per_map = piece.n_steps // c_out
        for n, step in enumerate(piece.steps()):
            if n < self.detailed_steps:
                self.next_section(f"step {n + 1}")
            elif n % per_map == 0:  # this step starts by changing the kernels to the next output channel's
                self.next_section(f"output channel {n // per_map + 1}")
            elif n == self.detailed_steps:
                self.next_section("remaining steps")
            self.play(step)
            if n < self.detailed_steps:
                self.wait(0.3)
            if n == 0:
                self.caption("Each channel gives a sum of products; the channel sums and the bias add up.",
                             "每个通道得到一个乘积之和；各通道之和再加上偏置。")
        self.next_section("formula")
        self.play(piece.conclude(), run_time=0.5)
        below = piece.kernels.get_bottom()[1]
        law = formula(r"Z_d = \sum_{c=1}^{C_{in}} A_c \otimes W_{d,c} + b_d", t, font_size=34)
        law.move_to([piece.kernels.get_x(), (below + BAND[0]) / 2, 0])
        self.play(FadeIn(law), run_time=0.8)
        self.caption(f"{c_out} sets of kernels give {c_out} feature maps: the output has C_out = {c_out} channels.",
                     f"{c_out} 组卷积核得到 {c_out} 张特征图：输出有 C_out = {c_out} 个通道。")

        self.next_section("parameter count")
        count = VGroup(formula(r"k^2 \cdot C_{in} \cdot C_{out} + C_{out} =", t, font_size=34),
                       cached_text(v.count_text, font=MONO, font_size=28, color=t.kernel)).arrange(RIGHT, buff=0.3)
        self.play(FadeOut(law), run_time=0.4)  # out, then in: the two do not show through each other
        self.play(FadeIn(count.move_to(law)), run_time=0.4)
        self.caption("Parameters: C_out × C_in kernels of k×k weights, plus one bias per output channel.",
                     "参数个数：C_out × C_in 个 k×k 卷积核的权重，加上每个输出通道一个偏置。")
        leave = VGroup(piece.kernels, piece.kernel_names, piece.outputs, piece.output_names, piece.biases)
        pointwise(self, piece.inputs, [PieceStep(piece, conceal(leave)), FadeOut(count)])
