"""1D convolution: a kernel w₁w₂w₃ slides along a row x₁…xₙ; each output is a sum of products.

Closes with signal convolution, which flips the kernel, and what deep learning libraries compute instead.
Render alone with ``manim -ql scenes/conv1d.py SlideKernelAlongRow``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ReplacementTransform, Transform, TransformFromCopy, VGroup

from cnnviz.values import fmt

from scenes.common import (MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, indexed, label,
                           step_times)

__all__ = ["SlideKernelAlongRow"]


class SlideKernelAlongRow(LectureScene):
    """x ⊗ w → a, one window at a time, every step with its products and sum."""

    scene_id = "conv1d"
    cell = 0.8

    def play_scene(self) -> None:
        t, trace = self.theme, self.values.trace
        k = trace.kernel.shape[-1]
        cell = min(self.cell, 9.0 / trace.input.shape[-1])
        inp = NumberGrid(trace.input, t, t.input, cell=cell, font_size=30).move_to(UP * 1.85)
        xs = self.names(inp, "x", t.input, UP)
        out = NumberGrid(trace.output, t, t.output, cell=cell, show_values=False)
        # a_i sits under the middle of its window
        out.move_to(UP * -0.4).shift(RIGHT * (inp.cell(0, 0).get_x() + (k - 1) * cell / 2 - out.cell(0, 0).get_x()))
        a_names = self.names(out, "a", t.output, DOWN)
        self.next_section("setup")
        self.play(FadeIn(inp), FadeIn(xs), run_time=0.8)
        self.play(FadeIn(out), FadeIn(a_names), run_time=0.6)
        self.caption("A 1D convolution: the kernel w slides along the row x.", "一维卷积：卷积核 w 沿着序列 x 滑动。")

        steps = trace.steps
        panel, shown = VGroup(), VGroup()
        for n, (step, run) in enumerate(zip(steps, step_times(len(steps), slow=1.0, fast=0.45, slow_steps=2))):
            self.next_section(f"step {n + 1}")
            j0 = step.cells[0][0]
            ker = NumberGrid(trace.kernel, t, t.kernel, cell=cell, font_size=30)
            ker.next_to(inp.cell(0, j0), DOWN, buff=0.08, aligned_edge=LEFT)
            kernel = VGroup(ker, self.names(ker, "w", t.kernel, DOWN))
            window = cells_box(inp, [(0, c[0]) for c in step.cells], t.kernel)
            out_box = cells_box(out, [(0, step.out_pos[0])], t.output)
            new_panel = self.products_panel(step, n)
            value = out.number_for(0, step.out_pos[0], step.value, color=t.text)
            if n == 0:
                self.play(FadeIn(kernel), FadeIn(window), FadeIn(out_box), run_time=run)
                self.kernel, self.window, self.out_box = kernel, window, out_box
            else:
                self.play(Transform(self.kernel, kernel), Transform(self.window, window),
                          Transform(self.out_box, out_box), run_time=run)
            self.play(ReplacementTransform(panel, new_panel) if len(panel) else FadeIn(new_panel), run_time=run)
            self.play(TransformFromCopy(new_panel[-1][-1], value), run_time=run)
            shown.add(value)
            if n == 0:
                self.caption("Each output is the sum of the products of the window and the kernel.",
                             "每个输出是窗口与卷积核对应元素乘积之和。")
            else:
                self.wait(0.8 if n < 2 else 0.3)
            panel = new_panel
        self.next_section("weight sharing")
        self.caption("The same weights w at every position: weight sharing.", "每个位置都使用同一组权重 w：权重共享。")
        self.play(FadeOut(panel), FadeOut(self.kernel), FadeOut(self.window), FadeOut(self.out_box), run_time=0.5)
        self.flip_section(VGroup(out, a_names, shown))

    def names(self, grid: NumberGrid, base: str, color: str, side) -> VGroup:
        """x₁ x₂ … over (or under) the cells of a row."""
        return VGroup(*(indexed(base, str(j + 1), self.theme, color=color, font_size=26)
                        .next_to(grid.cell(0, j), side, buff=0.12) for j in range(grid.shape[1])))

    def products_panel(self, step, n: int) -> VGroup:
        """a_i = x_i w_1 + … (symbols) over = 1·1 + 2·0 + … = value (numbers, from the trace)."""
        t = self.theme
        size = 28
        parts = [indexed("a", str(n + 1), t, color=t.output, font_size=size), label("=", t, font_size=size)]
        for u in range(len(step.cells)):
            if u:
                parts.append(label("+", t, font_size=size))
            parts.append(VGroup(indexed("x", str(step.cells[u][0] + 1), t, color=t.input, font_size=size),
                                indexed("w", str(u + 1), t, color=t.kernel, font_size=size)).arrange(RIGHT, buff=0.04))
        symbols = VGroup(*parts).arrange(RIGHT, buff=0.14)
        terms = " + ".join(f"{fmt(x)}×{fmt(w) if w >= 0 else '(' + fmt(w) + ')'}"
                           for x, w in zip(step.patch, step.kernel))
        numbers = cached_text(f"= {terms} = {fmt(step.value)}", font=MONO, font_size=size, color=t.text)
        result = cached_text(fmt(step.value), font=MONO, font_size=size, color=t.output).move_to(numbers[-len(fmt(step.value)):])
        numbers.remove(*numbers[-len(fmt(step.value)):])
        return VGroup(symbols, VGroup(numbers, result)).arrange(DOWN, buff=0.22).move_to(DOWN * 2.15)

    def flip_section(self, old: VGroup) -> None:
        """Signal convolution flips the kernel; libraries compute cross-correlation."""
        t, a = self.theme, self.values.arrays
        self.next_section("signal convolution")
        law = formula(r"(f \otimes g)[n] = \sum_m f[m]\, g[n-m]", t, font_size=38).move_to(UP * 0.6)
        ker = NumberGrid(a["kernel"], t, t.kernel, cell=0.6, font_size=26)
        flipped = NumberGrid(a["flipped_kernel"], t, t.kernel, cell=0.6, font_size=26)
        row = VGroup(ker, flipped).arrange(RIGHT, buff=1.6).move_to(DOWN * 0.65)
        flip = arrow(ker.get_right(), flipped.get_left(), t.kernel)
        names = VGroup(label(self.tr("kernel w", "卷积核 w"), t, color=t.kernel, font_size=24).next_to(ker, LEFT),
                       label(self.tr("flipped", "翻转"), t, color=t.kernel, font_size=24).next_to(flipped, RIGHT))
        self.play(FadeOut(old), FadeIn(law), run_time=0.8)
        self.play(FadeIn(ker), FadeIn(names[0]), run_time=0.5)
        self.play(TransformFromCopy(ker, flipped), FadeIn(flip), FadeIn(names[1]), run_time=1.0)
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
