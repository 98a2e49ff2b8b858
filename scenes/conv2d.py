"""2D convolution: the kernel slides over the input; each output cell is a sum of products plus bias.

Render alone with ``manim -ql scenes/conv2d.py SlideKernelOverImage``.
"""

from __future__ import annotations

from manim import FadeIn

from scenes.common import LectureScene, cached_text, formula, step_times
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

__all__ = ["SlideKernelOverImage"]


class SlideKernelOverImage(LectureScene):
    """Input ⊗ kernel → output, one window at a time, the first steps in full detail."""

    scene_id = "conv2d"
    detailed_steps = 3  # steps shown with their products; the rest go faster

    def play_scene(self) -> None:
        trace = self.values.trace
        half = safe_size()[0] / 2
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("A", "W", "Z"),
            field=self.values.field.size, region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3),
            panel="auto", cell=1.0, text_size=28, detailed=self.detailed_steps, hold=0.6,
            run_times=step_times(len(trace.steps), slow=3.0, fast=0.5, slow_steps=self.detailed_steps))
        self.next_section("setup")
        show_input, show_rest = window.reveal("input"), window.reveal("kernel", "output", "note")
        self.add(window)
        self.play(show_input, run_time=0.8)
        self.play(show_rest, run_time=0.8)
        for n, step in enumerate(window.steps(section=self.next_section, last_own_section=True)):
            self.play(step)
            if n == 1:  # once it has slid
                self.caption("The kernel slides over the input; each output is a sum of products.",
                             "卷积核在输入上滑动；每个输出是对应元素乘积之和。")
        self.next_section("formula")
        self.play(window.conclude(), run_time=0.5)
        law = formula(r"Z_{ij} = \sum_{u,v} A_{i+u,\,j+v}\, W_{uv} + b", self.theme, font_size=40)
        room = window.panel_room()
        if law.width > room.width:
            law.scale_to_fit_width(room.width)
        self.play(FadeIn(law.move_to(room)), run_time=0.8)
        self.caption("Deep learning libraries compute exactly this cross-correlation.",
                     "深度学习库计算的正是这种互相关。")
