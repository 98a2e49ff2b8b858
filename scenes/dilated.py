"""Dilated (atrous) convolution: a kernel with holes; effective size k + (k − 1)(r − 1); a wider receptive field
for the same weights.

Render alone with ``manim -ql scenes/dilated.py DilatedKernel``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, SurroundingRectangle, VGroup

from cnnviz.values import fmt

from scenes.common import (MONO, LectureScene, NumberGrid, arrow, cached_text, formula, label, step_times,
                           text_table)
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

__all__ = ["DilatedKernel"]


class DilatedKernel(LectureScene):
    """Spread the kernel, slide it over the input, then what the holes buy."""

    scene_id = "dilated"
    detailed_steps = 3

    def holey(self, cell: float) -> NumberGrid:
        """The dilated kernel: weights at the taps, empty muted cells in the holes."""
        t, trace = self.theme, self.values.trace
        grid = NumberGrid(trace.dilated_kernel, t, t.kernel, cell=cell, show_values=False)
        for i, j in np.ndindex(*grid.shape):
            if trace.footprint[i, j]:
                grid.numbers.add(grid.number_for(i, j, trace.dilated_kernel[i, j]))
                grid._number_at[(i, j)] = grid.numbers[-1]
            else:
                grid.cell(i, j).set_stroke(t.muted, width=1).set_fill(opacity=0)
        return grid

    def play_scene(self) -> None:
        t, a, trace = self.theme, self.values.arrays, self.values.trace
        r, eff = a["dilation"], a["effective_size"]
        self.next_section("kernel")
        ker = NumberGrid(trace.kernel, t, t.kernel, cell=0.6)
        big = self.holey(0.6)
        VGroup(ker, big).arrange(RIGHT, buff=3.4).move_to(UP * 0.7)
        spread = arrow(ker.get_right(), big.get_left(), t.kernel)
        spread_name = label(self.tr(f"dilation rate r = {r}", f"膨胀率 r = {r}"), t, color=t.kernel, font_size=24)
        spread_name.next_to(spread, UP, buff=0.1)
        self.play(FadeIn(ker), run_time=0.6)
        # each weight moves to its tap (the same number: nothing morphs), the holes' cells fade in around them
        taps = [big.number(i, j) for i, j in np.ndindex(*big.shape) if trace.footprint[i, j]]
        movers = [ker.number(u, v).copy() for u, v in np.ndindex(*ker.shape)]
        self.play(FadeIn(big.cells), *(m.animate.move_to(tap) for m, tap in zip(movers, taps)), run_time=1.2)
        self.remove(big.cells, *movers)
        self.add(big)
        self.play(FadeIn(spread), FadeIn(spread_name), run_time=0.5)
        self.caption(f"Dilation rate r = {r}: the weights spread apart, with holes between them.",
                     f"膨胀率 r = {r}：卷积核的权重被拉开，中间留出空洞。")
        law = VGroup(formula(r"k' = k + (k-1)(r-1)", t, font_size=40),
                     cached_text("= {} + {} × {} = {}".format(*map(fmt, a["effective_terms"])), font=MONO, font_size=32,
                          color=t.text)).arrange(RIGHT, buff=0.25).move_to(DOWN * 1.9)
        self.play(FadeIn(law), run_time=0.8)
        self.caption(f"Effective size {eff}×{eff}, still {a['weights']} weights.",
                     f"等效大小 {eff}×{eff}，仍然只有 {a['weights']} 个权重。")
        self.next_section("slide")
        self.play(FadeOut(ker), FadeOut(big), FadeOut(spread), FadeOut(spread_name), FadeOut(law), run_time=0.5)
        self.slide()

    def slide(self) -> None:
        trace, w = self.values.trace, self.values.arrays["weights"]
        half = safe_size()[0] / 2
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("A", "W", "Z"),
            region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3), panel="auto", cell=1.0, text_size=28,
            detailed=self.detailed_steps, hold=0.5,
            run_times=step_times(len(trace.steps), slow=2.7, fast=0.5, slow_steps=self.detailed_steps))
        show_input, show_rest = window.reveal("input"), window.reveal("kernel", "output", "note")
        self.add(window)
        self.play(show_input, run_time=0.6)
        self.play(show_rest, run_time=0.6)
        for n, step in enumerate(window.steps(section=self.next_section)):
            self.play(step)
            if n == 0:
                self.caption(f"Only the {w} taps multiply; the holes skip input cells.",
                             f"只有 {w} 个权重参与相乘；空洞跳过中间的输入格子。")
        self.next_section("what it buys")
        self.play(window.conclude(), run_time=0.5)
        self.summary(window)

    def summary(self, old: VGroup) -> None:
        t, a = self.theme, self.values.arrays
        rows = [[self.tr("dilation rate r", "膨胀率 r"), self.tr("field", "感受野"), self.tr("weights", "权重数"),
                 self.tr("dense kernel", "普通卷积核")]]
        rows += [[fmt(rate), f"{fmt(size)}×{fmt(size)}", fmt(w), fmt(dense)] for rate, size, w, dense in a["table"]]
        table = text_table(rows, t, font_size=30, col_buff=0.7, colors=[t.kernel, t.highlight, t.kernel, t.muted])
        table.move_to(UP * 0.4)
        current = next(row for row, values in zip(table.entries[1:], a["table"]) if values[0] == a["dilation"])
        mark = SurroundingRectangle(VGroup(*current), color=t.kernel, buff=0.12, corner_radius=0.05)
        self.play(FadeOut(old), run_time=0.5)
        self.play(FadeIn(table), run_time=0.8)
        self.play(FadeIn(mark), run_time=0.5)
        eff, dense = a["effective_size"], a["dense_weights"]
        self.caption(f"A {eff}×{eff} field for {a['weights']} weights; a dense {eff}×{eff} kernel needs {dense}.",
                     f"{a['weights']} 个权重得到 {eff}×{eff} 的感受野；普通 {eff}×{eff} 卷积核需要 {dense} 个。")
