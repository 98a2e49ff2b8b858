"""Stride and padding: narrow, wide and same convolution, then a strided, padded convolution whose output size
``⌊(n + 2p − c)/s⌋ + 1`` is evaluated live, floor included.

Render alone with ``manim -ql scenes/stride_padding.py StrideAndPadding``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, VGroup

from cnnviz.values import fmt

from scenes.common import LectureScene, NumberGrid, cached_text, cells_box, formula, label, step_times
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

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
        self.play(FadeOut(shown), FadeOut(law), run_time=0.8)

    # ------------------------------------------------------------------ part 2
    def strided(self) -> None:
        a, trace = self.values.arrays, self.values.trace
        n, pad, s = a["size_terms"]["cols"]["n"], a["padding"], a["stride"]
        c = trace.kernel.shape[1]
        half = safe_size()[0] / 2
        names = (self.tr(f"input {n}×{n}, p = {pad}", f"输入 {n}×{n}，补零 p = {pad}"),
                 self.tr(f"kernel c = {c}", f"卷积核 c = {c}"), self.tr(f"output, s = {s}", f"输出，步长 s = {s}"))
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("A", "W", "Z"), names=names,
            note=False, region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3), panel="auto", cell=1.0,
            text_size=28, number_height=0.5, detailed=self.detailed_steps, hold=0.4,
            run_times=step_times(len(trace.steps), slow=2.4, fast=0.5, slow_steps=self.detailed_steps))
        self.add(window)
        self.play(window.reveal("input", "kernel", "output"), run_time=0.8)
        self.caption(f"Now stride s = {s} and padding p = {pad}: grey cells are the zero padding.",
                     f"现在步长 s = {s}，补零 p = {pad}：灰色格子是补的零。")
        for k, step in enumerate(window.steps(section=self.next_section)):
            self.play(step)
            if k == 1:
                self.caption(f"The window jumps s = {s} cells at a time.", f"窗口每次移动 s = {s} 格。")
        self.play(window.conclude(), run_time=0.4)
        self.evaluate(window)

    def evaluate(self, window: SlidingWindow) -> None:
        t, a = self.theme, self.values.arrays
        terms = a["size_terms"]["cols"]
        self.next_section("size evaluated")
        value = formula(SIZE_LAW[: SIZE_LAW.index("=")] + "= " + self.values.tex["cols"], t, font_size=34)
        room = window.panel_room()
        if value.width > room.width:
            value.scale_to_fit_width(room.width)
        self.play(FadeIn(value.move_to(room)), run_time=1.0)
        frac = f"({terms['n']} + 2×{terms['p']} − {terms['c']}) / {terms['s']} = {fmt(terms['quotient'])}"
        self.caption(f"{frac}: rounded down, {terms['m']} outputs per row.",
                     f"{frac}：向下取整，每行 {terms['m']} 个输出。")
        inp = window.input
        last = inp.shape[1] - 1
        if a["dropped_cols"] or a["dropped_rows"]:
            self.next_section("dropped")
            boxes = VGroup(*(cells_box(inp, [(0, j), (last, j)], t.highlight) for j in a["dropped_cols"]),
                           *(cells_box(inp, [(i, 0), (i, last)], t.highlight) for i in a["dropped_rows"]))
            self.play(FadeIn(boxes), run_time=0.6)
            self.caption("No window fits the last column and row: the floor drops them.",
                         "最后一列和一行放不下窗口：向下取整把它们舍去。")
