"""Stride and padding: narrow, wide and same convolution, then a strided, padded convolution whose output size
``⌊(n + 2p − c)/s⌋ + 1`` is evaluated live, floor included.

Render alone with ``manim -ql scenes/stride_padding.py StrideAndPadding``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ReplacementTransform, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import LectureScene, NumberGrid, cells_box, formula, label, paced_steps

__all__ = ["StrideAndPadding"]

SIZE_LAW = r"m = \left\lfloor \frac{n + 2p - c}{s} \right\rfloor + 1"


class StrideAndPadding(LectureScene):
    """Part 1: output sizes of narrow/wide/same convolution (s = 1). Part 2: the configured s and p in 2-D."""

    scene_id = "stride_padding"
    detailed_steps = 3

    def play_scene(self) -> None:
        self.variants()
        self.strided()

    # ------------------------------------------------------------------ part 1
    def variants(self) -> None:
        t, a, tex = self.theme, self.values.arrays, self.values.tex
        law = formula(SIZE_LAW, t, font_size=40).move_to(UP * 2.35)
        self.next_section("size formula")
        self.play(FadeIn(law), run_time=0.8)
        self.caption("Kernel size c, stride s, zero padding p: the output size m.",
                     "卷积核大小 c，步长 s，补零 p：输出大小 m（卷积层神经元个数）。")
        names = {"narrow": (self.tr("narrow", "窄卷积"), "p = 0", "The narrow convolution (p = 0) shrinks the row.",
                            "窄卷积（p = 0）：输出变短。"),
                 "wide": (self.tr("wide", "宽卷积"), "p = c − 1", "The wide convolution (p = c − 1) makes it longer.",
                          "宽卷积（p = c − 1）：输出变长。"),
                 "same": (self.tr("same", "等宽卷积"), "p = (c − 1)/2", "The same convolution (p = (c − 1)/2) keeps n.",
                          "等宽卷积（p = (c − 1)/2）：输出长度保持 n。")}
        shown = VGroup()
        cell = min(0.42, 4.6 / max(len(v["padding_mask"]) for v in a["variants"].values()))
        for n, (kind, v) in enumerate(a["variants"].items()):
            self.next_section(kind)
            row = NumberGrid(np.zeros(len(v["padding_mask"])), t, t.input, cell=cell, show_values=False,
                             padding_mask=v["padding_mask"])
            out = NumberGrid(np.zeros(v["m"]), t, t.output, cell=cell, show_values=False)
            rows = VGroup(row, out).arrange(DOWN, buff=0.12).move_to(LEFT * 0.6 + UP * (1.05 - 1.25 * n))
            name, pad, en, zh = names[kind]
            title = VGroup(label(name, t, font_size=26), label(pad, t, color=t.muted, font_size=22))
            title.arrange(DOWN, buff=0.08).move_to(LEFT * 5.3 + UP * rows.get_y())
            value = formula(tex[kind], t, font_size=34).move_to(RIGHT * 4.6 + UP * rows.get_y())
            window = cells_box(row, [(0, 0), (0, v["c"] - 1)], t.kernel, stroke_width=4)
            self.play(FadeIn(title), FadeIn(row), FadeIn(window), run_time=0.6)
            self.play(FadeIn(out), FadeIn(value), run_time=0.8)
            self.caption(en, zh)
            shown.add(title, rows, window, value)
        self.next_section("stride")
        self.play(FadeOut(shown), law.animate.move_to(DOWN * 2.3 + LEFT * 3.2).scale(0.9), run_time=0.8)
        self.law = law

    # ------------------------------------------------------------------ part 2
    def strided(self) -> None:
        t, a, trace = self.theme, self.values.arrays, self.values.trace
        rows = trace.padded_input.shape[0]
        cell = min(0.55, 4.0 / rows)
        inp = NumberGrid(trace.padded_input, t, t.input, cell=cell, padding_mask=trace.padding_mask,
                         font_size=26 * cell / 0.62)
        ker = NumberGrid(trace.kernel, t, t.kernel, cell=cell, font_size=26 * cell / 0.62)
        out = NumberGrid(trace.output, t, t.output, cell=0.6, show_values=False)
        VGroup(inp, ker, out).arrange(RIGHT, buff=1.0).move_to(UP * 0.45)
        n, pad, s = a["size_terms"]["cols"]["n"], a["padding"], a["stride"]
        names = VGroup(
            label(self.tr(f"input {n}×{n}, p = {pad}", f"输入 {n}×{n}，补零 p = {pad}"), t, color=t.input,
                  font_size=24).next_to(inp, UP, buff=0.15),
            label(self.tr(f"kernel c = {ker.shape[1]}", f"卷积核 c = {ker.shape[1]}"), t, color=t.kernel,
                  font_size=24).next_to(ker, UP, buff=0.15),
            label(self.tr(f"output, s = {s}", f"输出，步长 s = {s}"), t, color=t.output, font_size=24)
            .next_to(out, UP, buff=0.15))
        self.play(FadeIn(inp), FadeIn(ker), FadeIn(out), FadeIn(names), run_time=0.8)
        self.caption(f"Now stride s = {s} and padding p = {pad}: grey cells are the zero padding.",
                     f"现在步长 s = {s}，补零 p = {pad}：灰色格子是补的零。")
        window = out_box = None
        for k, step, run in paced_steps(self, trace.steps, detailed=self.detailed_steps, slow=0.9, fast=0.25):
            new_window = cells_box(inp, step.cells, t.kernel)
            new_box = cells_box(out, [step.out_pos], t.output)
            value = out.number_for(*step.out_pos, step.value)
            if window is None:
                window, out_box = new_window, new_box
                self.play(FadeIn(window), FadeIn(out_box), run_time=run)
            else:
                self.play(Transform(window, new_window), Transform(out_box, new_box), run_time=run)
            self.play(FadeIn(value), run_time=run * 0.6)
            if k == 1:
                self.caption(f"The window jumps s = {s} cells at a time.", f"窗口每次移动 s = {s} 格。")
        self.play(FadeOut(window), FadeOut(out_box), run_time=0.4)
        self.evaluate(inp)

    def evaluate(self, inp: NumberGrid) -> None:
        t, a = self.theme, self.values.arrays
        terms = a["size_terms"]["cols"]
        self.next_section("size evaluated")
        value = formula(SIZE_LAW[: SIZE_LAW.index("=")] + "= " + self.values.tex["cols"], t, font_size=34)
        value.move_to(DOWN * 2.3)
        self.play(ReplacementTransform(self.law, value), run_time=1.0)
        frac = f"({terms['n']} + 2×{terms['p']} − {terms['c']}) / {terms['s']} = {fmt(terms['quotient'])}"
        self.caption(f"{frac}: rounded down, {terms['m']} outputs per row.",
                     f"{frac}：向下取整，每行 {terms['m']} 个输出。")
        last = inp.shape[1] - 1
        if a["dropped_cols"] or a["dropped_rows"]:
            self.next_section("dropped")
            boxes = VGroup(*(cells_box(inp, [(0, j), (last, j)], t.highlight) for j in a["dropped_cols"]),
                           *(cells_box(inp, [(i, 0), (i, last)], t.highlight) for i in a["dropped_rows"]))
            self.play(FadeIn(boxes), run_time=0.6)
            self.caption("No window fits the last column and row: the floor drops them.",
                         "最后一列和一行放不下窗口：向下取整把它们舍去。")
