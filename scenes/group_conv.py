"""Group convolution: the input channels split into g groups, each group convolved with its own kernels (each
only C_in/g channels deep), the groups' outputs concatenated; one group worked cell by cell; the parameter
count against the ungrouped layer's.

Render alone with ``manim -ql scenes/group_conv.py SplitChannelsIntoGroups``.
"""

from __future__ import annotations

from typing import Any

from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, DashedVMobject, FadeIn, FadeOut, SurroundingRectangle, Text,
                   VGroup)

from scenes.common import FONT, MONO, LectureScene, cached_text, formula, label, legible_formula
from scenes.kit import ChannelSum, PieceStep, TensorVolume, reveal

__all__ = ["SplitChannelsIntoGroups"]

#: the band between the title and the caption the drawing takes (scene units)
BAND = (-3.1, 2.9)
#: the widest the overview may be (scene units; the safe area is 12.8 wide)
WIDTH = 12.4
#: the lecture's smallest legible label (a digit 16 px tall at 480 lines)
SMALL = 26
#: the overview's lowest point: above a caption of two lines
OVERVIEW_BOTTOM = -2.6
#: the gap between the groups' rows, where the first row's shape labels go, and the room they take under a
#: single row
ROW_GAP = 0.75
SHAPE_ROOM = 0.45
#: the detail view's lowest point (its working line): above a caption of one line, which its lines are
DETAIL_BOTTOM = -2.9


def legible_names(s: str, **kwargs: Any) -> Text:
    """The lecture's text builder, the names in a kit piece (A₁, ⊙ W₁,₂, Z₁) at least :data:`SMALL` in size:
    the channel sum writes them 36 × its cell, under 16 px at the cells the band leaves. Numbers keep the size
    their cells give them."""
    if any(ch.isalpha() for ch in s) and kwargs.get("font_size", SMALL) < SMALL:
        kwargs["font_size"] = SMALL
    return cached_text(s, **kwargs)


class SplitChannelsIntoGroups(LectureScene):
    """The input volume splits into g groups; each group's own kernels give its maps; the maps concatenate;
    group 1 in detail (the kit's channel sum); the parameter count against the ungrouped layer's."""

    scene_id = "group_conv"
    detailed_steps = 2

    # ------------------------------------------------------------------ the overview
    def rows(self, cell: float) -> tuple[list[TensorVolume], list[VGroup], list[TensorVolume], VGroup]:
        """One row per group: its input channels, its kernels (each a C_in/g-deep volume), its output maps."""
        t, a = self.theme, self.values.arrays
        ins, kers, outs, rows = [], [], [], VGroup()
        for members, made in zip(a["group_inputs"], a["group_outputs"]):
            vol_in = TensorVolume(a["input"][members], theme=t, role="input", cell=cell, show_values="none")
            ks = VGroup(*(TensorVolume(a["kernel"][o], theme=t, role="kernel", cell=cell, show_values="none")
                          for o in made)).arrange(RIGHT, buff=0.6 * cell)
            vol_out = TensorVolume(a["output"][made], theme=t, role="output", cell=cell, show_values="none")
            times = formula(r"\otimes", t, font_size=44)
            equals = formula("=", t, font_size=44)
            row = VGroup(vol_in, times, ks, equals, vol_out).arrange(RIGHT, buff=0.35)
            ins.append(vol_in), kers.append(ks), outs.append(vol_out)
            rows.add(row)
        rows.arrange(DOWN, buff=ROW_GAP, aligned_edge=LEFT)
        return ins, kers, outs, rows

    def overview(self) -> tuple[list[TensorVolume], list[VGroup], list[TensorVolume], VGroup, TensorVolume, float]:
        """The rows and the concatenated output volume, as large as the band allows (labels kept legible)."""
        t, a = self.theme, self.values.arrays
        name_room = 1.55  # the groups' names at the left

        def build(cell: float) -> tuple:
            ins, kers, outs, rows = self.rows(cell)
            final = TensorVolume(a["output"], theme=t, role="output", cell=cell, show_values="none")
            return ins, kers, outs, rows, final

        top, bottom = BAND[1], OVERVIEW_BOTTOM
        # the signs and the gaps keep their size, the volumes grow with the cell: two probes give both parts
        sizes = []
        for probe_cell in (0.5, 1.0):
            _, _, _, rows_p, final_p = build(probe_cell)
            sizes.append((rows_p.width + final_p.width + 1.1, rows_p.height + SHAPE_ROOM))
        per_cell = [(b - a) / 0.5 for a, b in zip(*sizes)]
        fixed = [a - 0.5 * d for a, d in zip(sizes[0], per_cell)]
        cell = min(0.45, (WIDTH - name_room - fixed[0]) / per_cell[0], (top - bottom - fixed[1]) / per_cell[1])
        ins, kers, outs, rows, final = build(cell)
        rows.move_to([-6.2 + name_room + rows.width / 2, (top + bottom + SHAPE_ROOM) / 2, 0])
        final.next_to(rows, RIGHT, buff=1.1)
        return ins, kers, outs, rows, final, cell

    def play_overview(self) -> None:
        t, a, txt = self.theme, self.values.arrays, self.values.text
        ins, kers, outs, rows, final, cell = self.overview()
        # the whole input first, one volume, where the groups' inputs will be
        whole = TensorVolume(a["input"], theme=t, role="input", cell=cell, show_values="none")
        whole.move_to([ins[0].get_x(), rows.get_y(), 0])
        whole_name = label(txt["input_shape"], t, color=t.input, font_size=SMALL).next_to(whole, DOWN, buff=0.2)
        self.next_section("input")
        self.say("input", wait=False, c_in=txt["c_in"], shape=txt["input_shape"])
        self.play(FadeIn(whole), FadeIn(whole_name), run_time=0.8)
        self.finish_line()

        self.next_section("groups")
        self.say("split", wait=False, g=txt["g"], per_in=txt["per_in"])
        moves = []
        for members, vol in zip(a["group_inputs"], ins):
            for local, ch in enumerate(members):
                moves.append(whole.layer(ch).animate.move_to(vol.layer(local).get_center()))
        self.play(AnimationGroup(*moves), FadeOut(whole_name), run_time=1.2)
        self.remove(whole, *whole.layers)  # an animated layer joins the scene on its own: take it out too
        self.add(*ins)  # the same layers, now one volume per group
        frames = VGroup(*(DashedVMobject(SurroundingRectangle(vol, color=t.highlight, buff=0.12, corner_radius=0.06),
                                         num_dashes=40) for vol in ins))
        names = VGroup()
        for n, (frame, channels) in enumerate(zip(frames, txt["group_channels"])):
            names.add(VGroup(label(self.tr(f"group {n + 1}", f"第 {n + 1} 组"), t, color=t.highlight, font_size=SMALL),
                             label(channels, t, color=t.input, font_size=SMALL))
                      .arrange(DOWN, buff=0.1).next_to(frame, LEFT, buff=0.2))
        in_shape = label(txt["group_input_shape"], t, color=t.input, font_size=SMALL).next_to(frames[0], DOWN, buff=0.06)
        self.play(FadeIn(frames), FadeIn(names), FadeIn(in_shape), run_time=0.8)
        self.finish_line()

        self.next_section("kernels")
        self.say("kernels", wait=False, per_out=txt["per_out"], per_in=txt["per_in"], kernel_shape=txt["kernel_shape"])
        signs = [VGroup(row[1], row[3]) for row in rows]
        # the shapes under the first row, in the gap to the next (every group's are the same)
        first_shapes = label(txt["kernel_shape"], t, color=t.kernel, font_size=SMALL).next_to(kers[0], DOWN, buff=0.1)
        self.play(*(FadeIn(VGroup(s[0], k)) for s, k in zip(signs, kers)), FadeIn(first_shapes), run_time=1.0)
        self.finish_line()

        self.next_section("outputs")
        self.say("outputs", wait=False, per_out=txt["per_out"])
        out_shape = label(txt["group_output_shape"], t, color=t.output, font_size=SMALL).next_to(outs[0], DOWN, buff=0.1)
        self.play(*(FadeIn(VGroup(s[1], o)) for s, o in zip(signs, outs)), FadeIn(out_shape), run_time=1.0)
        self.finish_line()

        self.next_section("concatenate")
        self.say("concat", wait=False, c_out=txt["c_out"], shape=txt["output_shape"])
        copies = [o.copy() for o in outs]  # the groups' maps stay in their rows; copies move into the output
        self.add(*copies)
        moves = [c.layer(local).animate.move_to(final.layer(ch).get_center())
                 for made, c in zip(a["group_outputs"], copies) for local, ch in enumerate(made)]
        final_name = label(txt["output_shape"], t, color=t.output, font_size=SMALL).next_to(final, DOWN, buff=0.2)
        self.play(AnimationGroup(*moves), run_time=1.4)
        self.remove(*copies, *(layer for c in copies for layer in c.layers))
        self.add(final)
        self.play(FadeIn(final_name), run_time=0.5)
        self.finish_line()

    # ------------------------------------------------------------------ one group in detail
    def channels(self) -> ChannelSum:
        """Group 1's convolution (the kit's channel sum), as large as the band allows."""
        v = self.values

        def build(cell: float) -> ChannelSum:
            return ChannelSum(v.trace, channel_sums=v.arrays["channel_sums"], theme=self.theme, text=legible_names,
                              cell=cell, fit=False, detailed=self.detailed_steps, run_time=3.0, fast_run_time=0.5)

        probe = build(1.0)
        cell = min(0.72, WIDTH / probe.width, (BAND[1] - DETAIL_BOTTOM) / probe.height)
        piece = build(cell)
        return piece.shift(RIGHT * -piece.get_x() + UP * (BAND[1] - piece.get_top()[1]))

    def play_detail(self) -> ChannelSum:
        txt = self.values.text
        self.next_section("group 1")
        self.clear_stage()
        piece = self.channels()
        self.add(piece)
        self.say("detail", wait=False, channels=txt["group_channels"][0])
        self.play(PieceStep(piece, reveal(VGroup(piece.inputs, piece.input_names, piece.kernels[0],
                                                 piece.kernel_names[0], piece.outputs, piece.output_names,
                                                 piece.biases))), run_time=1.0)
        self.finish_line()
        for n, step in enumerate(piece.steps()):
            if n < self.detailed_steps:
                self.next_section(f"step {n + 1}")
            elif n == self.detailed_steps:
                self.next_section("remaining steps")
            self.play(step)
            if n < self.detailed_steps:
                self.wait(0.3)
            if n == 0:
                self.say("sums", per_in=txt["per_in"])
        self.play(piece.conclude(), run_time=0.5)
        t = self.theme
        # the law right of the inputs, under the outputs: G_d, the input channels of output channel d's group (said
        # under the law: a c ∈ G_d under the Σ, 16 px tall, makes the law wider than the room)
        room = 6.3 - (piece.inputs.get_right()[0] + 0.3)
        # (c ∈ G_d as a formula: G's subscript a subscript, not a raw "_d")
        head = legible_formula(r"c \in G_d:", t, font_size=28, color=t.muted)  # grown to 16 px glyphs
        rest = label(self.tr("the channels of d's group", "d 所在组的输入通道"), t, color=t.muted, font_size=SMALL)
        note = VGroup(head, rest).arrange(RIGHT, buff=0.15)
        if note.width > room:  # on two lines rather than smaller
            note.arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        law = VGroup(legible_formula(r"Z_d = {\textstyle\sum_{c}}\, A_c \otimes W_{d,c} + b_d", t, font_size=40),
                     note).arrange(DOWN, buff=0.2)
        if law.width > room:  # wide inputs (5x5): a little smaller, still 16 px a capital (at most 10 % less)
            law.scale(max(0.9, room / law.width))
        law.next_to(piece.biases, DOWN, buff=0.45)
        law.set_x(max(piece.inputs.get_right()[0] + 0.3 + law.width / 2, min(law.get_x(), 6.3 - law.width / 2)))
        self.play(FadeIn(law), run_time=0.6)
        self.say("others")
        return piece

    # ------------------------------------------------------------------ the parameter count
    def play_count(self) -> None:
        t, txt = self.theme, self.values.text
        self.next_section("parameter count")
        self.clear_stage()
        rows = [(self.tr("groups", "分组"), r"C_{out} \cdot C_{in}/g \cdot c \cdot c + C_{out} =", txt["count"]),
                (self.tr("no groups", "不分组"), r"C_{out} \cdot C_{in} \cdot c \cdot c + C_{out} =", txt["ungrouped_count"])]
        # the name beside the law (LaTeX, no fractions: their parts would be under 16 px at 480 lines; at 56 a
        # lowercase c is 16 px tall), the count under the law, all left-aligned
        cells = [[label(name, t, color=t.muted, font_size=28), formula(tex, t, font_size=56),
                  cached_text(count, font=MONO, font_size=30, color=t.kernel)] for name, tex, count in rows]
        name_w, law_w = max(r[0].width for r in cells), max(r[1].width for r in cells)
        x0 = -(name_w + 0.4 + law_w) / 2
        lines = []
        for n, (name, law, count) in enumerate(cells):
            law.move_to([x0 + name_w + 0.4 + law.width / 2, 1.9 - 1.55 * n, 0])
            letter = law[0][0]  # the law's first C: the name centred on it
            name.move_to([x0 + name.width / 2, letter.get_y(), 0])
            count.next_to(law, DOWN, buff=0.2).align_to(law, LEFT)
            lines.append(VGroup(name, law, count))
        table = VGroup(*lines)
        self.play(FadeIn(lines[0]), run_time=0.8)
        self.say("params", params=txt["params"])
        self.next_section("against no groups")
        self.play(FadeIn(lines[1]), run_time=0.8)
        ratio = cached_text(self.tr(f"weights: {txt['weights']} against {txt['ungrouped_weights']}, "
                                    f"{txt['ungrouped_weights']} / {txt['weights']} = {txt['ratio']} = g",
                                    f"权重：{txt['weights']} 对 {txt['ungrouped_weights']}，"
                                    f"{txt['ungrouped_weights']} / {txt['weights']} = {txt['ratio']} = g"),
                            font=FONT, font_size=30, color=t.kernel).next_to(table, DOWN, buff=0.7)
        self.play(FadeIn(ratio), run_time=0.6)
        self.say("compare", c_in=txt["c_in"], ungrouped=txt["ungrouped_params"], ratio=txt["ratio"])

    def clear_stage(self) -> None:
        """Everything but the title fades out (the caption has gone with its line)."""
        self.finish_line()
        self.play(*(FadeOut(m) for m in self.mobjects if m is not self.heading), run_time=0.6)

    def play_scene(self) -> None:
        self.play_overview()
        self.play_detail()
        self.play_count()
