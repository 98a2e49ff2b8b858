"""Multi-channel convolution on C×H×W volumes: the input a C_in-deep volume, each kernel a C_in-deep volume,
one feature map per kernel stacking into the C_out-deep output (Z = A ⊗ W + b); then one output cell in detail
(the channels side by side: one kernel per input channel, their sums plus a bias); the parameter count; a 1x1
convolution as channel mixing, and its two purposes (fewer channels for few parameters, a nonlinearity with a
ReLU after it).

Render alone with ``manim -ql scenes/multichannel.py SumOverInputChannels``.
"""

from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UL, UP, AnimationGroup, FadeIn, FadeOut, Mobject, SingleStringMathTex,
                   SurroundingRectangle, Text, VGroup, config)

from scenes.common import MONO, LectureScene, cached_text, formula, label, legible_formula
from scenes.kit import SAFE_MARGIN, ChannelSum, PieceStep, TensorVolume, cells_box, conceal, reveal, subscript
from scenes.kit.style import legible_font_size, min_glyph_height
from scenes.multichannel_parts import pointwise

__all__ = ["SumOverInputChannels"]

#: the band between the title and the caption the drawing takes (scene units); the detail view ends above a
#: caption of one line (the lines said while it steps are one line long)
BAND = (-2.6, 2.9)
DETAIL_BOTTOM = -2.95
#: the overview's lowest point: a little above a caption of two lines (its shapes' numbers are small texts)
OVERVIEW_BOTTOM = -2.45
#: the widest the channels and the output maps may be together
ROW_WIDTH = 12.6
#: the parameter counts' formulas: their smallest letters (the i of C_{in}, the 2 of c²) 16 px tall at 480p
PARAM_FONT = 58
#: the overview's volumes: a cell's side (scene units), the font of their sides' names (the i of C_{in} and
#: the c 16 px tall at 480p), of the signs between them, and of the names and the numbers' shapes
VOLUME_CELL = 0.36
DIM_FONT = 58
LETTER_FONT = 44
NAME_FONT = 30
SHAPE_FONT = 26
#: kept free above the overview for the frame drawn around a kernel's column
FRAME_ROOM = 0.15
#: seconds the window rests on each of a kernel's positions in the overview
SLIDE_STEP = 0.8


def dimension_labels(volume: TensorVolume, height: str, width: str, depth: str, color: str, theme) -> VGroup:
    """The volume's sides named on its edges: ``height`` left of the front grid, ``width`` under it, ``depth``
    (the channels) right of the stack, level with the middle of its depth edge."""
    front, back = volume.grid(0), volume.layer(volume.shape[0] - 1)
    h = formula(height, theme, font_size=DIM_FONT, color=color).next_to(front, LEFT, buff=0.12)
    w = formula(width, theme, font_size=DIM_FONT, color=color).next_to(front, DOWN, buff=0.12)
    edge_mid = (front.get_corner(UP + RIGHT) + back.get_corner(UP + RIGHT)) / 2
    c = formula(depth, theme, font_size=DIM_FONT, color=color).next_to(back, RIGHT, buff=0.12).set_y(edge_mid[1])
    return VGroup(h, w, c)


def least_scale(mob: Mobject) -> float:
    """The smallest factor ``mob`` may be scaled by with every glyph to be read still 16 px tall at 480 lines,
    measured as the layout check measures them (a text's tallest glyph; a formula's glyphs at most twice as
    wide as tall and at least half its tallest)."""
    need, least = min_glyph_height(), 0.0
    for part in mob.get_family():
        if isinstance(part, Text) and part.submobjects and any(ch.isalnum() for ch in part.text):
            read = [max(g.height for g in part.submobjects)]
        elif isinstance(part, SingleStringMathTex) and part.submobjects:
            glyphs = [g for g in part.family_members_with_points() if g.height > 0]
            top = max((g.height for g in glyphs), default=0.0)
            read = [g.height for g in glyphs if g.width <= 2 * g.height and g.height >= top / 2]
        else:
            continue
        if read and min(read) > 0:
            least = max(least, need / min(read))
    return least


class SumOverInputChannels(LectureScene):
    """The volumes A ⊗ W = Z (one output map per kernel), then one output cell in detail: C_in input grids, a
    kernel under each, channel sums + b into C_out output maps (the kit's channel sum); then 1x1 mixing."""

    scene_id = "multichannel"
    detailed_steps = 2
    param_font = PARAM_FONT

    def named(self, group: VGroup, names: list[str], color: str, direction=UP) -> VGroup:
        return VGroup(*(label(n, self.theme, color=color, font_size=26).next_to(g, direction, buff=0.12)
                        for n, g in zip(names, group)))

    # ------------------------------------------------------------------ the volumes
    def volumes(self) -> dict:
        """The overview, as large as the band allows (at most :data:`VOLUME_CELL` a cell): the kernels one above
        the other where they fit so, else side by side (three kernels, large inputs)."""
        top, bottom = BAND[1] - FRAME_ROOM, OVERVIEW_BOTTOM
        for cell in np.arange(VOLUME_CELL, 0.139, -0.02):
            for stacked in (True, False):
                o = self.volumes_at(float(cell), stacked)
                if o["row"].height <= top - bottom and o["row"].width <= ROW_WIDTH:
                    return o
        raise ValueError(f"the volumes of a {self.values.shape_text['input']} input and {len(o['kers'])} kernels "
                         f"do not fit the frame legibly")

    def volumes_at(self, cell: float, stacked: bool) -> dict:
        """The overview: A ⊗ (the kernels, one column if ``stacked``, else a row) = Z, each volume named above,
        its sides on its edges and its shape in numbers below; the law Z = A ⊗ W + b above the input."""
        t, v = self.theme, self.values
        a, shapes = v.arrays, v.data["shape_text"]
        vin = TensorVolume(a["input"], theme=t, role="input", cell=cell, show_values="none")
        kers = [TensorVolume(k, theme=t, role="kernel", cell=cell, show_values="none") for k in a["kernel"]]
        vout = TensorVolume(a["output"], theme=t, role="output", cell=cell, show_values="none")

        def column(vol: TensorVolume, name: str, dims: tuple[str, str, str] | None, shape: str, color: str) -> VGroup:
            parts = VGroup(vol, cached_text(name, font_size=NAME_FONT, color=color).next_to(vol, UP, buff=0.2))
            below = vol
            if dims is not None:
                parts.add(dimension_labels(vol, *dims, color, t))
                below = parts[2][1]
            parts.add(cached_text(shape, font=MONO, font_size=SHAPE_FONT, color=color).next_to(below, DOWN,
                                                                                               buff=0.12))
            parts[-1].set_x(vol.grid(0).get_x())
            return parts

        a_col = column(vin, "A", ("H", "W", r"C_{in}"), shapes["input"], t.input)
        k_cols = VGroup(*(column(k, f"W{subscript(d + 1)}", ("c", "c", r"C_{in}") if d == 0 else None,
                                 shapes["kernel"], t.kernel) for d, k in enumerate(kers)))
        if stacked:
            k_cols.arrange(DOWN, buff=0.4, aligned_edge=LEFT)  # room between them for a kernel's frame
            for col in k_cols[1:]:  # the kernels' grids one above the other
                col.shift(RIGHT * (k_cols[0][0].get_x() - col[0].get_x()))
        else:
            k_cols.arrange(RIGHT, buff=0.3, aligned_edge=UP)
            for col in k_cols[1:]:  # the kernels' grids level with each other
                col.shift(UP * (k_cols[0][0].get_y() - col[0].get_y()))
        z_col = column(vout, "Z", (r"H_{out}", r"W_{out}", r"C_{out}"), shapes["output"], t.output)
        times = formula(r"\otimes", t, font_size=LETTER_FONT)
        equals = formula("=", t, font_size=LETTER_FONT)
        row = VGroup(a_col, times, k_cols, equals, z_col).arrange(RIGHT, buff=0.35)
        for sign in (times, equals):  # level with the input's front grid
            sign.set_y(vin.grid(0).get_y())
        z_col.set_y(vin.grid(0).get_y() - (vout.grid(0).get_y() - z_col.get_y()))
        law = formula(r"Z = A \otimes W + b", t, font_size=LETTER_FONT)
        top, bottom = BAND[1] - FRAME_ROOM, OVERVIEW_BOTTOM
        row.move_to([0, (top + bottom) / 2, 0])
        # the law above the input, in the room the kernels' column leaves there
        law.next_to(a_col, UP, buff=0.35).align_to(a_col, LEFT)
        if law.get_top()[1] > top:
            law.shift(DOWN * (law.get_top()[1] - top))
        return dict(vin=vin, kers=kers, vout=vout, a_col=a_col, k_cols=k_cols, z_col=z_col, times=times,
                    equals=equals, law=law, row=row)

    def play_volumes(self) -> dict:
        """The input volume, the kernels as deep as it, one map per kernel stacking into the output."""
        t, v = self.theme, self.values
        a, shapes = v.arrays, v.data["shape_text"]
        c_out, c_in = a["kernel"].shape[:2]
        o = self.volumes()
        self.next_section("input volume")
        self.say("volume_input", wait=False, c_in=c_in, h=a["input"].shape[1], w=a["input"].shape[2],
                 shape=shapes["input"])
        self.play(FadeIn(o["a_col"]), run_time=0.8)
        self.finish_line()

        self.next_section("kernel volumes")
        self.say("volume_kernels", wait=False, c_out=c_out, kernel_shape=shapes["kernel"])
        self.play(FadeIn(o["times"]), FadeIn(o["k_cols"]), run_time=0.8)
        self.finish_line()

        self.next_section("one map per kernel")
        vin, vout = o["vin"], o["vout"]
        z_rest = VGroup(*o["z_col"][1:])
        hidden = [reveal(vout.layer(d)) for d in range(c_out)]  # each map comes with its kernel
        self.add(vout)
        self.say("volume_maps", wait=False, c_out=c_out, output_shape=shapes["output"])

        def boxes(st) -> VGroup:
            """The window on every channel of the input at once (drawn back to front)."""
            return VGroup(*(cells_box(vin.grid(ch), st.cells, t.kernel, stroke_width=4)
                            for ch in reversed(range(c_in))))

        def out_box(st) -> VGroup:
            return cells_box(vout.grid(st.out_channel), [st.out_pos], t.highlight, stroke_width=4)

        window = frame = None
        for d in range(c_out):
            steps = [st for st in v.trace.steps if st.out_channel == d]
            # around the kernel's whole column (its sides' names with it: a frame through them would cross them)
            new_frame = SurroundingRectangle(o["k_cols"][d], color=t.highlight, buff=0.06)
            first = [FadeIn(new_frame), hidden[d]]
            if d == 0:
                window, marker = boxes(steps[0]), out_box(steps[0])
                first += [FadeIn(window), FadeIn(marker), FadeIn(o["equals"]), FadeIn(z_rest)]
            else:
                first += [FadeOut(frame), window.animate.become(boxes(steps[0])),
                          marker.animate.become(out_box(steps[0]))]
            self.play(*first, run_time=0.8)
            frame = new_frame
            for st in steps[1:]:  # the window slides over the whole volume: every channel at once
                self.play(window.animate.become(boxes(st)), marker.animate.become(out_box(st)), run_time=SLIDE_STEP)
        self.play(FadeOut(window), FadeOut(marker), FadeOut(frame), run_time=0.4)
        self.finish_line()
        self.next_section("law")
        self.say("volume_law", wait=False)
        self.play(FadeIn(o["law"]), run_time=0.6)
        self.finish_line()
        return o

    # ------------------------------------------------------------------ one output cell in detail
    def channels(self) -> ChannelSum:
        """The channel sum, as large as the band allows; its names at least 16 px tall (they keep that size,
        the grids grow with the cell: two probes give both parts of its height)."""
        v = self.values
        c_out, c_in = v.arrays["kernel"].shape[:2]
        names = [f"⊙ W{subscript(o + 1, i + 1)}" for o in range(c_out) for i in range(c_in)]
        names += [f"A{subscript(i + 1)}" for i in range(c_in)] + [f"Z{subscript(o + 1)}" for o in range(c_out)]
        name_font = 1.02 * legible_font_size(names, text=cached_text)

        def build(cell: float) -> ChannelSum:
            return ChannelSum(v.trace, channel_sums=v.arrays["channel_sums"], theme=self.theme, text=cached_text,
                              cell=cell, fit=False, detailed=self.detailed_steps, run_time=3.0, fast_run_time=0.5,
                              name_font_size=name_font)

        def extents(p: ChannelSum) -> tuple[float, float, float]:
            """Its width, its height down to the working's line, and down to the output maps' last bias."""
            return p.width, p.get_top()[1] - p.line_area.get_bottom()[1], p.get_top()[1] - p.biases.get_bottom()[1]

        sizes = [extents(p) for p in (build(0.5), build(1.0))]
        per_cell = [(b - a) / 0.5 for a, b in zip(*sizes)]
        fixed = [a - 0.5 * d for a, d in zip(sizes[0], per_cell)]
        # the working's line is shown only under captions of one line; the output maps stay above one of two
        room = [ROW_WIDTH, BAND[1] - DETAIL_BOTTOM, BAND[1] - BAND[0]]
        cell = min(0.7, *((r - f) / d for r, f, d in zip(room, fixed, per_cell) if d > 0))
        piece = build(cell)
        return piece.shift(RIGHT * -piece.get_x() + UP * (BAND[1] - piece.get_top()[1]))

    def unstack(self, o: dict, piece: ChannelSum) -> None:
        """The volumes come apart into the detail view: the input's channels, the first kernel's and the
        output's maps move (and grow) to the channel sum's grids, which fade in over them; the rest fades."""
        moves, moved = [], []
        pairs = [(o["vin"], piece.inputs), (o["kers"][0], piece.kernels[0]), (o["vout"], piece.outputs)]
        for vol, grids in pairs:
            for ch, grid in enumerate(grids):
                layer = vol.layer(ch)
                target = layer.copy().scale(grid.width / vol.grid(ch).width)
                target.shift(grid.get_center() - target[1].get_center())
                moves.append(layer.animate.become(target))
                moved.append(layer)
        others = [o["a_col"][1:], o["times"], o["equals"], o["law"], o["z_col"][1:],
                  *(col[1:] for col in o["k_cols"]), *o["kers"][1:]]
        self.play(*(FadeOut(m) for m in others), run_time=0.5)  # first the names: none crosses a moving grid
        self.play(AnimationGroup(*moves), run_time=1.2)
        for vol, _ in pairs:
            self.remove(vol, *vol.layers)
        self.remove(*others)
        self.add(*moved)  # the moved layers stay until the grids are in
        self.add(piece)
        show = reveal(VGroup(piece.inputs, piece.input_names, piece.kernels[0], piece.kernel_names[0],
                             piece.outputs, piece.output_names, piece.biases))
        self.play(PieceStep(piece, show), FadeOut(VGroup(*moved)), run_time=0.8)

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        c_out, c_in = a["kernel"].shape[:2]
        overview = self.play_volumes()
        piece = self.channels()
        self.next_section("one output cell")
        self.say("detail", wait=False)
        self.unstack(overview, piece)
        self.finish_line()

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
        # the formulas go under the output maps: right of the inputs where the room there is tall enough, else
        # right of the kernels (the room under the kernels is the caption's); where neither holds them (three
        # output maps, two rows of them), the kernels make room and they go under the inputs
        right = config.frame_width * (0.5 - SAFE_MARGIN) - 0.1
        under_maps = piece.biases.get_bottom()[1] - 0.3
        spots = [(piece.inputs.get_right()[0] + 0.3, under_maps),
                 (piece.kernels.get_right()[0] + 0.3, min(under_maps, piece.inputs.get_bottom()[1] - 0.3))]
        kernels_out = []  # the kernels' fade, once played

        def place(mob):
            least = least_scale(mob)  # a little smaller where its glyphs stay legible
            for left, top in spots:
                scale = min(1.0, (right - left) / mob.width)
                if scale >= least and top - mob.height * scale >= BAND[0]:
                    return mob.scale(scale).move_to([left, top, 0], aligned_edge=UL)
            if not kernels_out:
                kernels_out.append(True)
                self.play(PieceStep(piece, conceal(VGroup(piece.kernels, piece.kernel_names))), run_time=0.5)
            left, top = piece.inputs.get_left()[0], piece.inputs.get_bottom()[1] - 0.3
            mob.scale(min(1.0, (piece.outputs.get_left()[0] - 0.3 - left) / mob.width, (top - BAND[0]) / mob.height))
            return mob.move_to([left, top, 0], aligned_edge=UL)

        # the input channel is i (c is the kernel size, as in the course); the Σ of text size and its range on a
        # line of its own: under a tall Σ the limits (C_in's "in" a subscript of a superscript) were 11 px at 480p
        law = place(legible_formula(r"\begin{aligned} Z_d &= {\textstyle\sum_{i}}\, A_i \otimes W_{d,i} + b_d \\"
                                    r" i &= 1, \dots, C_{in} \end{aligned}", t, font_size=38))
        self.play(FadeIn(law), run_time=0.8)
        self.say("maps", c_out=c_out)

        self.next_section("parameter count")
        # in short lines: the room there is narrow, and the letters must stay 16 px tall
        count = place(VGroup(formula(r"c^2 \cdot C_{in}", t, font_size=self.param_font),
                             formula(r"\cdot\, C_{out}", t, font_size=self.param_font),
                             formula(r"+\, C_{out}", t, font_size=self.param_font),
                             *(cached_text(line, font=MONO, font_size=28, color=t.kernel) for line in v.count_lines)
                             ).arrange(DOWN, buff=0.15, aligned_edge=LEFT))
        self.play(FadeOut(law), run_time=0.4)  # out, then in: the two do not show through each other
        self.play(FadeIn(count), run_time=0.4)
        self.say("params", c_in=c_in, c_out=c_out, c=a["kernel"].shape[2], count=a["param_count"])
        leave = VGroup(piece.kernels, piece.kernel_names, piece.outputs, piece.output_names, piece.biases)
        pointwise(self, piece.inputs, [PieceStep(piece, conceal(leave)), FadeOut(count)])
