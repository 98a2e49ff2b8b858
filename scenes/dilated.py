"""Dilated (atrous) convolution: a kernel with holes; effective size k + (k − 1)(r − 1); a wider receptive field
for the same weights.

Render alone with ``manim -ql scenes/dilated.py DilatedKernel``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, SurroundingRectangle, FadeOut, ReplacementTransform, Transform, TransformFromCopy, VGroup

from cnnviz.values import fmt

from scenes.common import (MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, label, paced_steps,
                           taps_box, text_table)

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
                grid.add(grid.number_for(i, j, trace.dilated_kernel[i, j]))
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
        self.play(TransformFromCopy(ker, big), FadeIn(spread), FadeIn(spread_name), run_time=1.2)
        self.caption(f"Dilation rate r = {r}: the weights spread apart, with holes between them.",
                     f"膨胀率 r = {r}：卷积核的权重被拉开，中间留出空洞。")
        law = VGroup(formula(r"k' = k + (k-1)(r-1)", t, font_size=40),
                     cached_text("= {} + {} × {} = {}".format(*map(fmt, a["effective_terms"])), font=MONO, font_size=32,
                          color=t.text)).arrange(RIGHT, buff=0.25).move_to(DOWN * 1.9)
        self.play(FadeIn(law), run_time=0.8)
        self.caption(f"Effective size {eff}×{eff}, still {a['weights']} weights.",
                     f"等效大小 {eff}×{eff}，仍然只有 {a['weights']} 个权重。")
        self.next_section("slide")
        self.play(FadeOut(ker), FadeOut(spread), FadeOut(spread_name), FadeOut(law), run_time=0.5)
        self.slide(big)

    def slide(self, big: NumberGrid) -> None:
        t, trace, eff = self.theme, self.values.trace, self.values.arrays["effective_size"]
        rows = trace.padded_input.shape[0]
        cell = min(0.5, 3.6 / rows)
        inp = NumberGrid(trace.padded_input, t, t.input, cell=cell, padding_mask=trace.padding_mask,
                         font_size=26 * cell / 0.62)
        out = NumberGrid(trace.output, t, t.output, cell=0.55, show_values=False)
        small = self.holey(0.42)
        VGroup(inp, small, out).arrange(RIGHT, buff=1.1).move_to(UP * 0.7)
        names = VGroup(*(label(text, t, color=c, font_size=24).next_to(g, UP, buff=0.15) for text, c, g in (
            (self.tr("input A", "输入 A"), t.input, inp), (self.tr("dilated kernel", "空洞卷积核"), t.kernel, small),
            (self.tr("output Z", "输出 Z"), t.output, out))))
        self.play(ReplacementTransform(big, small), FadeIn(inp), FadeIn(out), FadeIn(names), run_time=1.0)
        panel, window, shown = VGroup(), None, VGroup()
        for n, step, run in paced_steps(self, trace.steps, detailed=self.detailed_steps, slow=0.9, fast=0.25):
            taps = taps_box(inp, step.cells, t.kernel)
            bounds = cells_box(inp, [step.cells[0], step.cells[-1]], t.muted, stroke_width=2.5)
            target = VGroup(bounds, taps, cells_box(out, [step.out_pos], t.output))
            value = out.number_for(*step.out_pos, step.value)
            if window is None:
                window = target
                self.play(FadeIn(window), run_time=run)
            else:
                self.play(Transform(window, target), run_time=run)
            new_panel = self.products_panel(step)
            if n < self.detailed_steps:
                self.play(ReplacementTransform(panel, new_panel) if len(panel) else FadeIn(new_panel), run_time=run)
                self.play(TransformFromCopy(new_panel[-1], value), run_time=run)
                shown.add(value)
                if n == 0:
                    w = self.values.arrays["weights"]
                    self.caption(f"Only the {w} taps multiply; the holes skip input cells.",
                                 f"只有 {w} 个权重参与相乘；空洞跳过中间的输入格子。")
            else:
                self.remove(panel)
                self.add(new_panel)
                self.play(FadeIn(value), run_time=run)
                shown.add(value)
            panel = new_panel
        self.next_section("what it buys")
        self.play(FadeOut(panel), FadeOut(window), run_time=0.5)
        self.summary(VGroup(inp, small, out, names, shown))

    def products_panel(self, step) -> VGroup:
        t = self.theme
        prods = NumberGrid(step.products, t, t.highlight, cell=0.42, font_size=19, fill_opacity=0.08)
        head = formula(r"\text{taps} \odot W =", t, font_size=30)
        total = cached_text(f"Σ = {fmt(step.total)}   Σ + b = {fmt(step.value)}", font=MONO, font_size=26, color=t.output)
        return VGroup(head, prods, total).arrange(RIGHT, buff=0.3).move_to(DOWN * 2.05)

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
