"""Depthwise separable convolution: a depthwise convolution (g = C_in = C_out: each channel its own kernel, no
sum over channels), then a 1x1 pointwise convolution mixing the channels; one output cell through both steps;
parameters and multiply-adds against a standard convolution of the same shape.

Render alone with ``manim -ql scenes/depthwise_separable.py DepthwiseThenPointwise``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, VGroup

from scenes.common import FONT, MONO, LectureScene, NumberGrid, cached_text, cells_box, formula, label, text_table
from scenes.kit import TensorVolume, reveal, subscript

__all__ = ["DepthwiseThenPointwise"]

#: the band between the title and the caption (scene units)
BAND = (-2.85, 2.9)
#: a cell whose digits are 16 px tall at 480 lines (the kit's numbers take 0.43 of a cell)
CELL = 0.62
#: the lecture's smallest legible label
SMALL = 26


class DepthwiseThenPointwise(LectureScene):
    """The input volume spreads into its channels; each is convolved with its own kernel (depthwise); a 1x1
    convolution mixes the depthwise maps (pointwise); one cell worked through both; the costs compared."""

    scene_id = "depthwise_separable"

    def grid(self, values, role: str, **kwargs) -> NumberGrid:
        return NumberGrid(values, self.theme, self.theme.role(role), cell=CELL, **kwargs)

    def names(self, grids, letter: str, role: str, direction=UP) -> VGroup:
        return VGroup(*(label(f"{letter}{subscript(n + 1)}", self.theme, color=self.theme.role(role), font_size=SMALL)
                        .next_to(g, direction, buff=0.1) for n, g in enumerate(grids)))

    # ------------------------------------------------------------------ step 1: depthwise
    def play_depthwise(self) -> None:
        t, a, txt = self.theme, self.values.arrays, self.values.text
        c_in = a["input"].shape[0]
        i, j = a["cell"]
        gap = 0.6
        row_width = c_in * a["input"].shape[2] * CELL + (c_in - 1) * gap
        left = -6.2
        top = BAND[1] - 0.42  # the channels' names above them
        volume = TensorVolume(a["input"], theme=t, role="input", cell=CELL, show_values="all", text=cached_text,
                              font_size=self.grid(a["input"][0], "input").font_size)
        # the spread row is centred where the stack is: there, so that the channels land in one row at the top left
        volume.move_to([left + row_width / 2, top - volume.layer(0).height / 2, 0])
        shape = label(txt["input_shape"], t, color=t.input, font_size=SMALL).next_to(volume, DOWN, buff=0.2)
        # the channels behind the front one show their numbers once spread: stacked, each is half hidden
        behind = [reveal(volume.grid(c).numbers, run_time=0.5) for c in range(1, c_in)]
        self.next_section("input")
        self.say("input", wait=False, c_in=txt["c_in"], shape=txt["input_shape"])
        self.play(FadeIn(volume), FadeIn(shape), run_time=0.8)
        self.finish_line()

        self.next_section("depthwise")
        self.play(volume.spread(buff=gap), FadeOut(shape), run_time=1.2)
        if behind:
            self.play(*behind)
        inputs = [volume.grid(c) for c in range(c_in)]
        in_names = self.names(inputs, "A", "input")
        kernels = [self.grid(a["kernel"][c], "kernel").next_to(inputs[c], DOWN, buff=0.5) for c in range(c_in)]
        ker_names = VGroup(*(label(f"⊙ W{subscript(c + 1)}", t, color=t.kernel, font_size=SMALL)
                             .next_to(kernels[c], UP, buff=0.08) for c in range(c_in)))
        self.say("depthwise", wait=False, c_in=txt["c_in"], k=txt["k"])
        self.play(FadeIn(in_names), FadeIn(VGroup(*kernels)), FadeIn(ker_names), run_time=1.0)
        self.finish_line()

        # the depthwise maps in a column at the right, empty until their cells are worked
        depth = VGroup(*(self.grid(m, "output", show_values=False) for m in a["depthwise_output"]))
        depth.arrange(DOWN, buff=0.45).next_to(VGroup(*inputs), RIGHT, buff=1.3).align_to(VGroup(*inputs), UP)
        if depth.get_bottom()[1] < BAND[0]:
            depth.shift(UP * (BAND[0] - depth.get_bottom()[1]))
        depth_names = self.names(depth, "D", "output", direction=LEFT)
        self.play(FadeIn(depth), FadeIn(depth_names), run_time=0.6)

        self.next_section("one cell, depthwise")
        k = a["kernel"].shape[1]
        windows = VGroup(*(cells_box(g, [(i + u, j + v) for u in range(k) for v in range(k)], t.kernel)
                           for g in inputs))
        lines = VGroup(*(cached_text(s, font=MONO, font_size=SMALL, color=t.highlight)
                         .next_to(kernels[c], DOWN, buff=0.12) for c, s in enumerate(txt["depth_lines"])))
        marks = VGroup(*(cells_box(g, [(i, j)], t.output) for g in depth))
        self.say("depthwise_cell", wait=False)
        self.play(FadeIn(windows), run_time=0.8)
        self.play(FadeIn(lines, lag_ratio=0.3), run_time=1.5)
        firsts = VGroup(*(g.number_for(i, j, a["depthwise_output"][c, i, j]) for c, g in enumerate(depth)))
        self.play(FadeIn(marks), FadeIn(firsts), run_time=0.8)
        self.finish_line()

        self.next_section("depthwise maps")
        rest = VGroup(*(g.number_for(r, q, a["depthwise_output"][c, r, q]) for c, g in enumerate(depth)
                        for r in range(g.shape[0]) for q in range(g.shape[1]) if (r, q) != (i, j)))
        self.play(FadeIn(rest, lag_ratio=0.05), FadeOut(lines), FadeOut(windows), run_time=1.2)
        self.say("depthwise_maps", c_in=txt["c_in"], shape=txt["depth_shape"])
        self.depth = VGroup(depth, depth_names, firsts, rest, marks)
        self.leave = VGroup(*inputs, volume, in_names, *kernels, ker_names)

    # ------------------------------------------------------------------ step 2: pointwise
    def play_pointwise(self) -> None:
        t, a, txt = self.theme, self.values.arrays, self.values.text
        c_out, c_in = a["pointwise_kernel"].shape
        i, j = a["cell"]
        marks = self.depth[4]
        self.next_section("pointwise")
        self.play(FadeOut(self.leave), run_time=0.6)
        self.remove(*self.leave, *self.leave.get_family())
        target = self.depth.copy().move_to([-6.2 + self.depth.width / 2, (BAND[0] + BAND[1]) / 2 + 0.3, 0])
        self.play(self.depth.animate.move_to(target), run_time=0.8)
        weights = self.grid(a["pointwise_kernel"], "kernel")
        biases = self.grid(a["pointwise_bias"][:, None], "kernel")
        mixer = VGroup(weights, biases).arrange(RIGHT, buff=0.3).next_to(self.depth, RIGHT, buff=1.0)
        mixer.set_y(self.depth.get_y())
        cols = VGroup(*(label(f"D{subscript(c + 1)}", t, color=t.output, font_size=SMALL).next_to(weights.cell(0, c), UP,
                                                                                              buff=0.1)
                        for c in range(c_in)))
        b_name = label("b", t, color=t.kernel, font_size=SMALL).next_to(biases, UP, buff=0.1).align_to(cols, DOWN)
        head = label(self.tr("1×1 kernels", "1×1 卷积核"), t, color=t.kernel, font_size=SMALL)
        head.next_to(VGroup(cols, b_name), UP, buff=0.15)
        outputs = VGroup(*(self.grid(m, "output", show_values=False) for m in a["output"]))
        per_col = 2 if c_out > 2 else 1
        outputs.arrange_in_grid(rows=-(-c_out // per_col), cols=per_col, buff=(0.8, 0.6))
        outputs.next_to(mixer, RIGHT, buff=1.1).set_y(self.depth.get_y())
        out_names = self.names(outputs, "Z", "output")
        self.say("pointwise", wait=False, c_out=txt["c_out"])
        self.play(FadeIn(weights), FadeIn(biases), FadeIn(cols), FadeIn(b_name), FadeIn(head), run_time=0.8)
        self.play(FadeIn(outputs), FadeIn(out_names), run_time=0.6)
        self.finish_line()

        self.next_section("one cell, pointwise")
        self.say("pointwise_cell", wait=False, c_in=txt["c_in"])
        line, row = None, None
        firsts = VGroup()
        y_line = min(mixer.get_bottom()[1], outputs.get_bottom()[1], self.depth.get_bottom()[1]) - 0.45
        for o in range(c_out):
            new_line = cached_text(txt["mix_lines"][o], font=MONO, font_size=SMALL, color=t.output)
            new_line.move_to([0, max(y_line, BAND[0] + 0.2), 0])
            new_row = cells_box(weights, [(o, c) for c in range(c_in)], t.highlight)
            first = outputs[o].number_for(i, j, a["output"][o, i, j])
            firsts.add(first)
            out_mark = cells_box(outputs[o], [(i, j)], t.highlight)
            gone = [FadeOut(m) for m in (line, row) if m is not None]
            if gone:
                self.play(*gone, run_time=0.3)  # the old working out, then the next in: texts never morph
            self.play(FadeIn(new_row), FadeIn(new_line), run_time=0.7 if o < 2 else 0.4)
            self.play(FadeIn(first), FadeIn(out_mark), run_time=0.6 if o < 2 else 0.3)
            self.play(FadeOut(out_mark), run_time=0.2)
            line, row = new_line, new_row
        self.finish_line()

        self.next_section("output")
        rest = VGroup(*(g.number_for(r, q, a["output"][o, r, q]) for o, g in enumerate(outputs)
                        for r in range(g.shape[0]) for q in range(g.shape[1]) if (r, q) != (i, j)))
        self.play(FadeOut(line), FadeOut(row), FadeIn(rest, lag_ratio=0.03), FadeOut(marks), run_time=1.2)
        self.say("pointwise_maps", c_out=txt["c_out"], shape=txt["output_shape"])

    # ------------------------------------------------------------------ the costs
    def play_costs(self) -> None:
        t, txt = self.theme, self.values.text
        k = txt["k"]
        self.next_section("costs")
        self.finish_line()
        self.play(*(FadeOut(m) for m in self.mobjects if m is not self.heading), run_time=0.6)
        rows = [["", self.tr("parameters", "参数个数"), self.tr("multiply-adds", "乘加次数")],
                [self.tr(f"standard {k}×{k} convolution", f"标准 {k}×{k} 卷积"), txt["std_formula"],
                 txt["standard_macs"]],
                [self.tr(f"depthwise {k}×{k}", f"逐通道 {k}×{k} 卷积"), txt["dw_formula"], txt["depthwise_macs"]],
                [self.tr("pointwise 1×1", "逐点 1×1 卷积"), txt["pw_formula"], txt["pointwise_macs"]],
                [self.tr("depthwise separable", "深度可分离卷积"), txt["separable_params"], txt["separable_macs"]]]
        table = text_table(rows, t, font_size=SMALL + 2, colors=[None, t.kernel, None]).move_to(UP * 0.7)
        entries = table.entries
        self.play(FadeIn(VGroup(*entries[0], *entries[1])), FadeIn(table[-1]), run_time=0.8)
        self.play(FadeIn(VGroup(*entries[2], *entries[3], *entries[4])), run_time=0.8)
        self.say("costs", k=k, std_params=txt["standard_params"], sep_params=txt["separable_params"])
        self.next_section("ratio")
        # the law in LaTeX (inline: a fraction's parts would be under 16 px at 480 lines), the numbers in text
        ratio = VGroup(cached_text(f"{txt['separable_macs']} / {txt['standard_macs']} =", font=FONT,
                                   font_size=SMALL + 4, color=t.text),
                       formula(r"1/C_{out} + 1/c^2", t, font_size=42),
                       cached_text(f"= {txt['inv_c_out']} + {txt['inv_k2']} = {txt['mac_ratio']}", font=FONT,
                                   font_size=SMALL + 4, color=t.text)).arrange(RIGHT, buff=0.2)
        ratio.next_to(table, DOWN, buff=0.6)
        self.play(FadeIn(ratio), run_time=0.6)
        self.say("macs", sep_macs=txt["separable_macs"], std_macs=txt["standard_macs"], ratio=txt["mac_ratio"])

    def play_scene(self) -> None:
        self.play_depthwise()
        self.play_pointwise()
        self.play_costs()
