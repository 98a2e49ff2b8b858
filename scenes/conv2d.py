"""2D convolution: the kernel slides over the input; each output cell is a sum of products plus bias.

Render alone with ``manim -ql scenes/conv2d.py SlideKernelOverImage``.
"""

from __future__ import annotations

from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, ReplacementTransform, Transform, TransformFromCopy, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, cells_box, formula, label, paced_steps

__all__ = ["SlideKernelOverImage"]


class SlideKernelOverImage(LectureScene):
    """Input ⊗ kernel → output, one window at a time, the first steps in full detail."""

    scene_id = "conv2d"
    detailed_steps = 3  # steps shown with their products; the rest go faster

    def grids(self) -> tuple[NumberGrid, NumberGrid, NumberGrid]:
        t, trace = self.theme, self.values.trace
        rows = max(trace.padded_input.shape[0], 3)
        cell = min(0.62, 3.9 / rows)
        inp = NumberGrid(trace.padded_input, t, t.input, cell=cell, padding_mask=trace.padding_mask,
                         font_size=26 * cell / 0.62)
        ker = NumberGrid(trace.kernel, t, t.kernel, cell=0.62)
        out = NumberGrid(trace.output, t, t.output, cell=0.62, show_values=False)
        return inp, ker, out

    def play_scene(self) -> None:
        t, trace = self.theme, self.values.trace
        inp, ker, out = self.grids()
        conv, eq = formula(r"\otimes", t, font_size=48), formula("=", t, font_size=48)
        row = VGroup(inp, conv, ker, eq, out).arrange(RIGHT, buff=0.45).move_to(UP * 0.75)
        names = VGroup(
            label(self.tr("input A", "输入 A"), t, color=t.input).next_to(inp, UP, buff=0.15),
            label(self.tr("kernel W", "卷积核 W"), t, color=t.kernel).next_to(ker, UP, buff=0.15),
            label(self.tr("output Z", "输出 Z"), t, color=t.output).next_to(out, UP, buff=0.15),
        )
        self.next_section("setup")
        self.play(FadeIn(inp), FadeIn(names[0]), run_time=0.8)
        self.play(FadeIn(conv), FadeIn(ker), FadeIn(names[1]), FadeIn(eq), FadeIn(out), FadeIn(names[2]),
                  run_time=0.8)
        self.caption("The kernel slides over the input; each output is a sum of products.",
                     "卷积核在输入上滑动；每个输出是对应元素乘积之和。")

        steps = trace.steps
        window = cells_box(inp, steps[0].cells, t.kernel)
        field_note = label(self.tr(f"receptive field {self.values.field.size}×{self.values.field.size}",
                                   f"感受野 {self.values.field.size}×{self.values.field.size}"), t,
                           color=t.kernel, font_size=22).next_to(inp, DOWN, buff=0.15)
        panel = VGroup()
        for n, step, run in paced_steps(self, steps, detailed=self.detailed_steps, slow=1.0, fast=0.22,
                                        last_own_section=True):
            target = cells_box(inp, step.cells, t.kernel)
            out_box = cells_box(out, [step.out_pos], t.output)
            new_panel = self.products_panel(step, ker)
            value = out.number_for(*step.out_pos, step.value)
            if n == 0:
                self.play(FadeIn(window), FadeIn(out_box), FadeIn(field_note), run_time=run)
                self.out_box = out_box
            else:
                self.play(Transform(window, target), Transform(self.out_box, out_box), run_time=run)
            if n < self.detailed_steps:
                self.play(ReplacementTransform(panel, new_panel) if len(panel) else FadeIn(new_panel),
                          run_time=run)
                self.play(TransformFromCopy(new_panel[-1], value), run_time=run)
                self.wait(0.4)
            else:
                self.remove(panel)
                self.add(new_panel)
                self.play(FadeIn(value), run_time=run)
            panel = new_panel
        self.next_section("formula")
        self.play(FadeOut(panel), FadeOut(window), FadeOut(self.out_box), FadeOut(field_note), run_time=0.5)
        law = formula(r"Z_{ij} = \sum_{u,v} A_{i+u,\,j+v}\, W_{uv} + b", t, font_size=40).move_to(DOWN * 2.0)
        self.play(FadeIn(law), run_time=0.8)
        self.caption("Deep learning libraries compute exactly this cross-correlation.",
                     "深度学习库计算的正是这种互相关。")

    def products_panel(self, step, ker: NumberGrid) -> VGroup:
        """patch ⊙ W as a grid of products, then Σ + b = value."""
        t = self.theme
        prods = NumberGrid(step.products, t, t.highlight, cell=0.5, font_size=21, fill_opacity=0.08)
        head = formula(r"A_{\text{patch}} \odot W =", t, font_size=30)
        # Text, not LaTeX: one LaTeX run per distinct number would dominate the render time
        total = cached_text(f"Σ = {fmt(step.total)}   Σ + b = {fmt(step.value)}", font=MONO, font_size=26,
                     color=t.output)
        return VGroup(head, prods, total).arrange(RIGHT, buff=0.3).move_to(DOWN * 2.05)

