"""Dilated (atrous) convolution: a kernel with holes; it covers c + (c − 1)(d − 1) cells a side (kernel size c,
dilation rate d); a wider receptive field for the same weights.

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
    asked_step = 1  # the step whose output the class predicts (the second: the pattern is seen once)

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
        d, eff, c = a["dilation"], a["effective_size"], a["effective_terms"][0]
        self.next_section("kernel")
        ker = NumberGrid(trace.kernel, t, t.kernel, cell=0.7)
        big = self.holey(0.7)
        VGroup(ker, big).arrange(RIGHT, buff=4.0).move_to(UP * 0.6)
        spread = arrow(ker.get_right(), big.get_left(), t.kernel)
        spread_name = label(self.tr(f"dilation rate d = {d}", f"膨胀率 d = {d}"), t, color=t.kernel, font_size=28)
        spread_name.next_to(spread, UP, buff=0.1)
        self.play(FadeIn(ker), run_time=0.6)
        self.say("kernel", wait=False, d=d, c=c)
        # each weight moves to its tap (the same number: nothing morphs), the holes' cells fade in around them
        taps = [big.number(i, j) for i, j in np.ndindex(*big.shape) if trace.footprint[i, j]]
        movers = [ker.number(u, v).copy() for u, v in np.ndindex(*ker.shape)]
        self.play(FadeIn(big.cells), *(m.animate.move_to(tap) for m, tap in zip(movers, taps)), run_time=1.2)
        self.remove(big.cells, *movers)
        self.add(big)
        self.play(FadeIn(spread), FadeIn(spread_name), run_time=0.5)
        law = VGroup(formula(r"c + (c-1)(d-1)", t, font_size=44),
                     cached_text("= {} + {} × {} = {}".format(*map(fmt, a["effective_terms"])), font=MONO, font_size=34,
                                 color=t.text)).arrange(RIGHT, buff=0.25).move_to(DOWN * 1.9)
        self.say("size", wait=False, eff=eff, w=a["weights"])
        self.play(FadeIn(law), run_time=0.8)
        self.next_section("slide")
        self.play(FadeOut(ker), FadeOut(big), FadeOut(spread), FadeOut(spread_name), FadeOut(law), run_time=0.5)
        self.slide()

    def slide(self) -> None:
        a, trace, w = self.values.arrays, self.values.trace, self.values.arrays["weights"]
        half = safe_size()[0] / 2
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("A", "W", "Z"),
            region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3), panel="auto", cell=1.0, text_size=28,
            detailed=self.detailed_steps, hold=0.5,
            run_times=step_times(len(trace.steps), slow=2.7, fast=0.5, slow_steps=self.detailed_steps))
        show_input, show_rest = window.reveal("input"), window.reveal("kernel", "output", "note")
        self.add(window)
        self.say("slide", wait=False)
        self.play(show_input, run_time=0.6)
        self.play(show_rest, run_time=0.6)
        asked = min(self.asked_step, window.n_steps - 1)
        for k, step in enumerate(window.steps()):
            if k == asked and k > 0:
                self.ask_about_step(window, k, step, "ask", taps=True)  # the window has holes
                # the answer is said once it is on screen
                self.say("second", wait=False, value=fmt(trace.steps[k].value), d=a["dilation"])
                continue
            name = window.section_name(k)
            if name is not None:
                self.next_section(name)
            if k == 0:
                self.say("first", wait=False, w=w)
            elif k == self.detailed_steps:
                self.say("rest", wait=False, m=window.output.shape[0])
            self.play(step)
        self.next_section("what it buys")
        self.play(window.conclude(), run_time=0.5)
        self.summary(window)

    def summary(self, old: VGroup) -> None:
        t, a = self.theme, self.values.arrays
        rows = [[self.tr("dilation rate d", "膨胀率 d"), self.tr("field", "感受野"), self.tr("weights", "权重数"),
                 self.tr("dense kernel", "普通卷积核")]]
        rows += [[fmt(rate), f"{fmt(size)}×{fmt(size)}", fmt(w), fmt(dense)] for rate, size, w, dense in a["table"]]
        table = text_table(rows, t, font_size=30, col_buff=0.7, colors=[t.kernel, t.highlight, t.kernel, t.muted])
        table.move_to(UP * 0.4)
        current = next(row for row, values in zip(table.entries[1:], a["table"]) if values[0] == a["dilation"])
        mark = SurroundingRectangle(VGroup(*current), color=t.kernel, buff=0.12, corner_radius=0.05)
        self.play(FadeOut(old), run_time=0.5)
        self.say("table", wait=False)
        self.play(FadeIn(table), run_time=0.8)
        eff, dense = a["effective_size"], a["dense_weights"]
        self.say("buy", wait=False, eff=eff, w=a["weights"], dense=dense)
        self.play(FadeIn(mark), run_time=0.5)
