"""1D convolution: a kernel w₁w₂w₃ slides along a row x₁…xₙ; each output is a sum of products.

Closes with signal convolution, which flips the kernel, and what deep learning libraries compute instead.
Render alone with ``manim -ql scenes/conv1d.py SlideKernelAlongRow``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, PI, RIGHT, UP, FadeIn, VGroup

from scenes.common import LectureScene, NumberGrid, arrow, cached_text, formula, label, step_times
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

__all__ = ["SlideKernelAlongRow"]


class SlideKernelAlongRow(LectureScene):
    """x ⊗ w → a, one window at a time, every step with its products and sum."""

    scene_id = "conv1d"

    def play_scene(self) -> None:
        trace = self.values.trace
        half = safe_size()[0] / 2
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("x", "w", "a"),
            indices=True, layout="stacked", working="sum", cell=1.0, text_size=28,
            region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3), hold=0.6,
            run_times=step_times(len(trace.steps), slow=2.7, fast=1.5, slow_steps=2))
        self.next_section("setup")
        show_input, show_output = window.reveal("input"), window.reveal("output", "note")
        show_kernel = window.reveal("kernel")
        self.add(window)
        self.play(show_input, run_time=0.8)
        self.play(show_output, run_time=0.6)
        self.play(show_kernel, run_time=0.6)
        for n, step in enumerate(window.steps(section=self.next_section)):
            self.play(step)
            if n == 0:
                self.caption("Each output is the sum of the products of the window and the kernel.",
                             "每个输出是窗口与卷积核对应元素乘积之和。")
            elif n == 1:
                self.caption("A 1D convolution: the kernel w slides along the row x.", "一维卷积：卷积核 w 沿着序列 x 滑动。")
        self.next_section("weight sharing")
        self.play(window.conclude(), run_time=0.5)
        self.caption("The same weights w at every position: weight sharing.", "每个位置都使用同一组权重 w：权重共享。")
        self.flip_section(window)

    def flip_section(self, window: SlidingWindow) -> None:
        """Signal convolution flips the kernel; libraries compute cross-correlation."""
        t, a = self.theme, self.values.arrays
        self.next_section("signal convolution")
        old = window.conceal("kernel", "output", "note")
        law = formula(r"(f \otimes g)[n] = \sum_m f[m]\, g[n-m]", t, font_size=38).move_to(UP * 0.6)
        ker = NumberGrid(a["kernel"], t, t.kernel, cell=0.6, font_size=26)
        flipped = NumberGrid(a["flipped_kernel"], t, t.kernel, cell=0.6, font_size=26)
        VGroup(ker, flipped).arrange(RIGHT, buff=1.6).move_to(DOWN * 0.65)
        flip = arrow(ker.get_right(), flipped.get_left(), t.kernel)
        names = VGroup(label(self.tr("kernel w", "卷积核 w"), t, color=t.kernel, font_size=24).next_to(ker, LEFT),
                       label(self.tr("flipped", "翻转"), t, color=t.kernel, font_size=24).next_to(flipped, RIGHT))
        self.play(old, run_time=0.5)
        self.play(FadeIn(law), run_time=0.8)
        self.play(FadeIn(ker), FadeIn(names[0]), run_time=0.5)
        # the weights change places (the same numbers: nothing morphs; the first half arcs over, the second
        # under, so none crosses another), the flipped grid's cells fade in
        k = ker.shape[1]
        movers = [ker.number(0, j).copy() for j in range(k)]
        arcs = [np.sign((k - 1) / 2 - j) * PI / 3 for j in range(k)]
        self.play(FadeIn(flipped.cells), *(m.animate(path_arc=arc).move_to(flipped.number(0, k - 1 - j))
                                           for j, (m, arc) in enumerate(zip(movers, arcs))), run_time=1.2)
        self.remove(flipped.cells, *movers)
        self.add(flipped)
        self.play(FadeIn(flip), FadeIn(names[1]), run_time=0.5)
        self.caption("Signal convolution flips the kernel: g[n − m] runs backwards.",
                     "信号处理中的卷积要先翻转卷积核：g[n − m] 倒序取值。")

        self.next_section("cross-correlation")
        results = VGroup()
        for key, en, zh in (("output", "libraries: cross-correlation", "深度学习库：互相关"),
                            ("convolution", "convolution (flipped kernel)", "卷积（翻转卷积核）")):
            grid = NumberGrid(a[key], t, t.output, cell=0.6, font_size=26)
            results.add(VGroup(label(self.tr(en, zh), t, font_size=24), grid).arrange(DOWN, buff=0.15))
        results.arrange(RIGHT, buff=1.2).move_to(DOWN * 2.1)
        self.play(FadeIn(results[0]), run_time=0.6)
        self.play(FadeIn(results[1]), run_time=0.6)
        self.caption("Deep learning libraries compute cross-correlation: no flip.",
                     "深度学习库计算的其实是互相关：不翻转卷积核。")
        self.caption("The kernel is learned: it simply learns the flipped weights.",
                     "卷积核是学出来的：它直接学到翻转后的权重。")
