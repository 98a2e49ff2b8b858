"""2D convolution: the kernel slides over the input; each output cell is a sum of products plus bias.

Render alone with ``manim -ql scenes/conv2d.py SlideKernelOverImage``.
"""

from __future__ import annotations

from manim import DOWN, FadeIn, VGroup

from cnnviz.values import fmt

from scenes.common import LectureScene, cached_text, formula, legible_formula, step_times
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

__all__ = ["SlideKernelOverImage"]


class SlideKernelOverImage(LectureScene):
    """Input ⊗ kernel → output, one window at a time, the first steps in full detail; the second output is
    asked before it is shown."""

    scene_id = "conv2d"
    detailed_steps = 3  # steps shown with their products; the rest go faster
    asked_step = 1  # the step whose output the class predicts (the second: the pattern is seen once)

    def play_scene(self) -> None:
        trace, a = self.values.trace, self.values.arrays
        half = safe_size()[0] / 2
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("A", "W", "Z"),
            field=self.values.field.size, region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3),
            panel="auto", cell=1.0, text_size=28, detailed=self.detailed_steps, hold=0.6,
            run_times=step_times(len(trace.steps), slow=3.0, fast=0.5, slow_steps=self.detailed_steps))
        n, c = a["input"].shape[0], a["kernel"].shape[0]
        self.next_section("setup")
        show_input, show_rest = window.reveal("input"), window.reveal("kernel", "output", "note")
        self.add(window)
        self.say("setup", wait=False, n=n, c=c)
        self.play(show_input, run_time=0.8)
        self.play(show_rest, run_time=0.8)
        asked = min(self.asked_step, window.n_steps - 1)
        for k, step in enumerate(window.steps()):
            if k == asked and k > 0:
                self.ask_about_step(window, k, step, "ask")
                # the answer is said once it is on screen
                self.say("second", wait=False, value=fmt(trace.steps[k].value))
                continue
            name = window.section_name(k, last_own_section=True)
            if name is not None:
                self.next_section(name)
            if k == 0:
                self.say("first", wait=False, c=c, b=fmt(a["bias"]))
            elif k == asked + 1:
                self.say("field", wait=False, f=self.values.field.size)
            elif k == self.detailed_steps:
                self.say("rest", wait=False, m=window.output.shape[0])
            self.play(step)
        self.next_section("formula")
        self.play(window.conclude(), run_time=0.5)
        # the Σ of text size, its u, v beside it: the law fits the panel's room at a legible size
        law = VGroup(formula(r"Z = A \otimes W + b", self.theme, font_size=44),
                     legible_formula(r"Z_{ij} = {\textstyle\sum_{u,v}}\, A_{i+u,\,j+v}\, W_{uv} + b", self.theme, font_size=40)
                     ).arrange(DOWN, buff=0.3)
        room = window.panel_room()
        if law.width > room.width:
            law.scale_to_fit_width(room.width)
        if law.height > room.height:
            law.scale_to_fit_height(room.height)
        law.move_to(room)
        self.say("formula", wait=False)
        self.play(FadeIn(law[0]), run_time=0.8)
        self.play(FadeIn(law[1]), run_time=0.8)
        self.say("correlation")
