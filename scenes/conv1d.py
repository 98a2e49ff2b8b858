"""1D convolution: a kernel w₁w₂w₃ slides along a row x₁…xₙ; each output is a sum of products.

Closes with the course's signal convolution ``y[n] = Σ_k g[k]·x[n−k]``: with ``g`` the kernel flipped
(``g[−2] = w₃, g[−1] = w₂, g[0] = w₁``) it gives the CNN's output, which is cross-correlation with ``w``.
Render alone with ``manim -ql scenes/conv1d.py SlideKernelAlongRow``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, PI, RIGHT, UP, FadeIn, FadeOut, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, arrow, cached_text, formula, label, step_times
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

__all__ = ["SlideKernelAlongRow"]

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def product(g: float, x: float) -> str:
    """``g×x`` as written in the worked sum (negative factors in brackets)."""
    return "×".join(f"({fmt(v)})" if v < 0 else fmt(v) for v in (g, x))


class SlideKernelAlongRow(LectureScene):
    """x ⊗ w → a, one window at a time (the second asked before it is shown), then the signal-convolution
    mapping of the course's slide on the same numbers."""

    scene_id = "conv1d"
    asked_step = 1  # the step whose output the class predicts (the second: the pattern is seen once)

    def play_scene(self) -> None:
        trace, a = self.values.trace, self.values.arrays
        half = safe_size()[0] / 2
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("x", "w", "a"),
            indices=True, layout="stacked", working="sum", cell=1.0, text_size=34,
            region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3), hold=0.6,
            run_times=step_times(len(trace.steps), slow=2.7, fast=1.5, slow_steps=2))
        self.next_section("setup")
        show_input, show_kernel = window.reveal("input"), window.reveal("kernel")
        show_output = window.reveal("output", "note")
        self.add(window)
        self.say("setup", wait=False, n=len(a["input"]), c=len(a["kernel"]))
        self.play(show_input, run_time=0.8)
        self.play(show_kernel, run_time=0.6)
        self.play(show_output, run_time=0.6)
        asked = min(self.asked_step, window.n_steps - 1)
        for n, step in enumerate(window.steps()):
            if n == asked and n > 0:
                name = "a" + str(n + 1).translate(SUBSCRIPTS)  # the output's name, as under its cell
                # the last step's working stays: it is the template for working this one out
                self.ask_about_step(window, n, step, "ask", clear=False, cell=name)
                # the answer is said once it is on screen
                self.say("second", wait=False, cell=name, value=fmt(a["output"][n]))
                continue
            name = window.section_name(n)
            if name is not None:
                self.next_section(name)
            if n == asked + 1:
                self.say("rest", wait=False, m=window.n_steps)
            self.play(step)
            if n == 0:  # the sum is said once it is on screen
                self.say("first", c=len(a["kernel"]), value=fmt(a["output"][0]))
        self.next_section("weight sharing")
        self.say("sharing", wait=False)
        self.play(window.conclude(), run_time=0.5)
        self.signal_section(window)

    def signal_section(self, window: SlidingWindow) -> None:
        """The course's y[n] = Σ g[k]·x[n−k]; g is w flipped onto the indices 1−c … 0; y[1] worked; y = a."""
        t, a = self.theme, self.values.arrays
        self.next_section("signal convolution")
        self.play(window.conceal("kernel", "output", "note"), run_time=0.5)
        law = formula(r"y[n] = \sum_k g[k]\, x[n-k]", t, font_size=44).move_to(UP * 0.72)
        self.say("signal", wait=False)
        self.play(FadeIn(law), run_time=0.8)

        self.next_section("flip")
        # names under the cells at sizes whose every glyph (subscripts too) is at least 16 px tall at 480p
        ker = NumberGrid(a["kernel"], t, t.kernel, cell=1.0, font_size=34)
        g = NumberGrid(a["signal_kernel"], t, t.kernel, cell=1.25, font_size=34)
        VGroup(ker, g).arrange(RIGHT, buff=2.2).move_to(DOWN * 0.42)
        flip = arrow(ker.get_right(), g.get_left(), t.kernel)
        k = ker.shape[1]
        w_names = VGroup(*(formula(f"w_{{{j + 1}}}", t, font_size=56, color=t.kernel).next_to(ker.cell(0, j), DOWN,
                                                                                          buff=0.1)
                           for j in range(k)))
        g_names = VGroup(*(formula(f"g[{i}]", t, font_size=40, color=t.kernel).next_to(g.cell(0, j), DOWN, buff=0.12)
                           for j, i in enumerate(a["signal_index"])))
        mapping = self.tr(", ", "，").join(f"g[{i}] = w{str(u).translate(SUBSCRIPTS)}".replace("-", "−")
                            for i, u in zip(a["signal_index"], a["signal_from"]))
        self.play(FadeIn(ker), FadeIn(w_names), run_time=0.5)
        self.say("mapping", wait=False, first=str(a["signal_index"][0]).replace("-", "−"), mapping=mapping)
        # the weights change places (the same numbers: nothing morphs; the first half arcs over, the second
        # under, so none crosses another), g's cells and index names fade in
        movers = [ker.number(0, j).copy() for j in range(k)]
        arcs = [np.sign((k - 1) / 2 - j) * PI / 3 for j in range(k)]
        self.play(FadeIn(flip), FadeIn(g.cells),
                  *(m.animate(path_arc=arc).move_to(g.number(0, k - 1 - j)) for j, (m, arc) in enumerate(zip(movers, arcs))),
                  run_time=1.2)
        self.remove(g.cells, *movers)
        self.add(g)
        self.play(FadeIn(g_names), run_time=0.6)

        self.next_section("worked")
        terms = a["signal_worked"]
        symbolic = formula("y[1] = " + " + ".join(f"g[{s['k']}]\\,x[{s['x_index']}]" for s in terms), t,
                           font_size=40)
        value = fmt(a["signal_output"][0])
        numbers = " + ".join(product(s["g"], s["x"]) for s in terms)
        numeric = VGroup(cached_text(f"= {numbers} = {value}", font=MONO, font_size=30, color=t.text),
                         formula("= a_1", t, font_size=56, color=t.output)).arrange(RIGHT, buff=0.2)
        worked = VGroup(symbolic, numeric).arrange(DOWN, buff=0.15).move_to(DOWN * 2.3)
        self.say("worked", wait=False, terms=numbers, value=value)
        self.play(FadeIn(symbolic), run_time=0.8)
        self.play(FadeIn(numeric), run_time=0.8)

        self.next_section("same result")
        results = VGroup()
        for key, role, en, zh in (("signal_output", t.output, "y:  Σ g[k]·x[n − k]", "y：Σ g[k]·x[n − k]"),
                                  ("output", t.output, "a = x ⊗ w  (CNN)", "a = x ⊗ w（卷积网络）")):
            grid = NumberGrid(a[key], t, role, cell=0.85, font_size=32)
            results.add(VGroup(label(self.tr(en, zh), t, font_size=28), grid).arrange(DOWN, buff=0.15))
        results.arrange(RIGHT, buff=1.4).move_to(DOWN * 0.75)
        # the kernels and the worked sum make room: the two outputs side by side, clear of the caption band
        self.play(*(FadeOut(m) for m in (worked, ker, g, w_names, g_names, flip)), run_time=0.5)
        self.say("same", wait=False)
        self.play(FadeIn(results[0]), run_time=0.6)
        self.play(FadeIn(results[1]), run_time=0.6)
        self.say("correlation")
        self.say("learned")
