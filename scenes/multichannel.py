"""Multi-channel convolution: one kernel per input channel, their sums plus a bias; C_out kernels give C_out
feature maps; the parameter count; a 1x1 convolution as channel mixing, and its two purposes (fewer channels for
few parameters, a nonlinearity with a ReLU after it).

Render alone with ``manim -ql scenes/multichannel.py SumOverInputChannels``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UL, UP, FadeIn, FadeOut, VGroup, config

from scenes.common import MONO, LectureScene, cached_text, formula, label
from scenes.kit import SAFE_MARGIN, ChannelSum, PieceStep, conceal, reveal
from scenes.multichannel_parts import pointwise

__all__ = ["SumOverInputChannels"]

#: the band between the title and the caption the channels take (scene units)
BAND = (-3.1, 2.9)
#: kept free under the kernels for the formulas (the working's line lies there while the steps play)
FORMULA_ROOM = 1.05
#: the widest the channels and the output maps may be together
ROW_WIDTH = 12.6
#: the parameter counts' formulas: their smallest letters (the i of C_{in}, the 2 of c²) 16 px tall at 480p
PARAM_FONT = 58


class SumOverInputChannels(LectureScene):
    """C_in input grids, a kernel under each, channel sums + b into C_out output maps (the kit's channel sum);
    then 1x1 mixing."""

    scene_id = "multichannel"
    detailed_steps = 2
    param_font = PARAM_FONT

    def named(self, group: VGroup, names: list[str], color: str, direction=UP) -> VGroup:
        return VGroup(*(label(n, self.theme, color=color, font_size=26).next_to(g, direction, buff=0.12)
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
        self.say("inputs", c_in=c_in)
        self.next_section("kernels of output channel 1")
        self.play(PieceStep(piece, shows["kernels"]), run_time=0.8)
        self.play(PieceStep(piece, shows["outputs"]), run_time=0.8)
        self.say("kernels", c_in=c_in)

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
                self.say("sums")
        self.next_section("formula")
        self.play(piece.conclude(), run_time=0.5)
        # the formulas go right of the kernels, under the output maps: the room under the kernels is the caption's
        left = piece.kernels.get_right()[0] + 0.3  # (below the inputs: they may reach further right)
        room = config.frame_width * (0.5 - SAFE_MARGIN) - 0.1 - left
        top = min(piece.biases.get_bottom()[1], piece.inputs.get_bottom()[1]) - 0.3

        def place(mob):
            if mob.width > room:
                mob.scale_to_fit_width(room)
            return mob.move_to([left, top, 0], aligned_edge=UL)

        # the input channel is i (c is the kernel size, as in the course); 38: its subscripts 16 px tall at 480p
        law = place(formula(r"Z_d = \sum_{i=1}^{C_{in}} A_i \otimes W_{d,i} + b_d", t, font_size=38))
        self.play(FadeIn(law), run_time=0.8)
        self.say("maps", c_out=c_out)

        self.next_section("parameter count")
        # in three short lines: the room there is narrow, and the letters must stay 16 px tall
        count = place(VGroup(formula(r"c^2 \cdot C_{in}", t, font_size=self.param_font),
                             formula(r"\cdot\, C_{out} + C_{out}", t, font_size=self.param_font),
                             cached_text("= " + v.count_text, font=MONO, font_size=28, color=t.kernel)
                             ).arrange(DOWN, buff=0.2, aligned_edge=LEFT))
        self.play(FadeOut(law), run_time=0.4)  # out, then in: the two do not show through each other
        self.play(FadeIn(count), run_time=0.4)
        self.say("params", c_in=c_in, c_out=c_out, c=a["kernel"].shape[2], count=a["param_count"])
        leave = VGroup(piece.kernels, piece.kernel_names, piece.outputs, piece.output_names, piece.biases)
        pointwise(self, piece.inputs, [PieceStep(piece, conceal(leave)), FadeOut(count)])
