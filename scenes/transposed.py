"""Transposed convolution: the convolution as a sparse matrix C, the transposed convolution as C^T, built by
scatter-adding scaled kernels; the same numbers from a direct convolution (zeros inserted, padding, the
kernel flipped); and output_padding for the odd case.

Render alone with ``manim -ql scenes/transposed.py TransposedConvolution``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ReplacementTransform, Text, Transform, VGroup

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, cells_box, formula, label, step_times
from scenes.transposed_parts import direct_view, matrix_grid, odd_case

__all__ = ["TransposedConvolution"]


class TransposedConvolution(LectureScene):
    """Input and kernel; C and C^T; scatter-add onto the output; the direct convolution; output_padding."""

    scene_id = "transposed"

    def clear(self) -> None:
        keep = (self.heading, self._caption)
        self.play(FadeOut(Group(*(m for m in self.mobjects if m not in keep))), run_time=0.6)

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        inp = NumberGrid(a["input"], t, t.input, cell=0.55).move_to(LEFT * 5.6 + DOWN * 0.75)
        ker = NumberGrid(a["kernel"], t, t.kernel, cell=0.5, font_size=24).move_to(LEFT * 3.2 + DOWN * 0.75)
        cell = min(0.48, 2.9 / max(a["canvas"].shape))
        canvas = NumberGrid(a["canvas"], t, t.output, cell=cell, font_size=26 * cell / 0.6, show_values=False)
        canvas.move_to(RIGHT * 3.9 + DOWN * 0.9)
        names = VGroup(label(self.tr("input a", "输入 a"), t, color=t.input).next_to(inp, UP, buff=0.15),
                       label(self.tr("kernel W", "卷积核 W"), t, color=t.kernel).next_to(ker, UP, buff=0.15),
                       label(self.tr("output z", "输出 z"), t, color=t.output).next_to(canvas, UP, buff=0.15))
        dk = "(k-1)" if a["dilation"] == 1 else "d(k-1)"
        size = VGroup(formula(rf"n_{{out}} = (n-1)s - 2p + {dk} + \mathrm{{output\_padding}} + 1", t, font_size=32),
                      cached_text(v.size_text, font=MONO, font_size=24, color=t.output)).arrange(DOWN, buff=0.2)
        size.move_to(UP * 1.9)
        self.next_section("setup")
        self.play(FadeIn(inp), FadeIn(ker), FadeIn(names[:2]), run_time=0.8)
        self.play(FadeIn(size), FadeIn(canvas), FadeIn(names[2]), run_time=0.8)
        self.caption(f"Transposed convolution makes a small input larger: {v.shape_text}, stride {a['stride']}.",
                     f"转置卷积把小的输入变大：{v.shape_text}，步长 {a['stride']}。")

        self.next_section("convolution as a matrix")
        mat = matrix_grid(self, a["matrix"], v.taps).move_to(UP * 2.1 + RIGHT * 0.55)
        mat_name = cached_text(v.matrix_text, font=MONO, font_size=24, color=t.kernel).next_to(mat, LEFT, buff=0.2)
        self.play(FadeOut(size), FadeIn(mat), FadeIn(mat_name), run_time=1.0)
        self.caption(f"A stride-{a['stride']} convolution taking z back to a's size is a matrix C (mostly zeros): "
                     f"y = C z.",
                     f"用 W 做步长 {a['stride']} 的卷积把 z 变回 a 的大小，可写成矩阵 C：y = C z，大部分是零。")
        law = formula(r"\mathbf{z} = C^{\top}\mathbf{a} = \sum_i a_i\, C_{i,:}", t, font_size=34)
        law.move_to(LEFT * 4.4 + DOWN * 2.5)
        self.play(FadeIn(law), run_time=0.8)
        self.caption("Transposed convolution multiplies by Cᵀ: each a_i scales row i of C; the rows add up.",
                     "转置卷积就是乘以 Cᵀ：每个 a_i 缩放 C 的第 i 行，再把各行相加。")
        self.scatter(inp, ker, canvas, mat)
        self.clear()
        direct_view(self)
        if v.odd is not None:
            self.clear()
            odd_case(self)

    def scatter(self, inp: NumberGrid, ker: NumberGrid, canvas: NumberGrid, mat: VGroup) -> None:
        """Scatter-add: each input scales the kernel and adds it onto the output at stride steps."""
        t, v = self.theme, self.values
        a = v.arrays
        steps = v.trace.scatter
        shown: dict[tuple[int, int], Text] = {}
        boxes = None
        for n, (step, run) in enumerate(zip(steps, step_times(len(steps), slow=1.0, fast=0.3, slow_steps=2))):
            self.next_section(f"scatter {n + 1}")
            contrib = NumberGrid(step.contribution, t, t.highlight, cell=ker.cell_size, font_size=ker.font_size,
                                 fill_opacity=0.08).move_to(RIGHT * 0.3 + DOWN * 0.75)
            name = cached_text(v.scale_text[n], font=MONO, font_size=24, color=t.highlight).next_to(contrib, DOWN, buff=0.15)
            new_boxes = VGroup(cells_box(inp, [step.in_pos], t.highlight), mat.row_box(n, t.highlight),
                               cells_box(canvas, step.cells, t.highlight))
            if boxes is None:
                self.play(FadeIn(new_boxes), ReplacementTransform(ker.copy(), contrib), FadeIn(name), run_time=run)
                boxes, shown_name, shown_contrib = new_boxes, name, contrib
            else:
                self.play(Transform(boxes, new_boxes), ReplacementTransform(shown_contrib, contrib),
                          ReplacementTransform(shown_name, name), run_time=run)
                shown_name, shown_contrib = name, contrib
            moves = []
            for tap, cell in enumerate(step.cells):
                new = canvas.number_for(*cell, step.canvas[cell])
                moves.append(ReplacementTransform(contrib.numbers[tap].copy(), new))
                if cell in shown:
                    moves.append(FadeOut(shown[cell]))
                shown[cell] = new
            self.play(*moves, run_time=run * 1.2)
            if n == 0:
                self.caption("a₁ × W lands on the output where window 1 sits; overlapping cells add up.",
                             "a₁ × W 落在输出中第 1 个窗口的位置；重叠的格子相加。")
        self.add(VGroup(*shown.values()))
        self.next_section("scatter done")
        self.play(FadeOut(boxes), run_time=0.5)
        if a["padding"]:
            crop = cells_box(canvas, [(r + a["padding"], c + a["padding"]) for r in range(a["output_shape"][0])
                                      for c in range(a["output_shape"][1])], t.output, stroke_width=6)
            self.play(FadeIn(crop), run_time=0.6)
            self.caption(f"Padding p = {a['padding']} crops the sum: the output is the framed part.",
                         f"补零 p = {a['padding']} 从四周裁掉：输出是框内的部分。")
        else:
            self.caption("The sum of the scaled kernels is the output: the same as Cᵀ a.",
                         "缩放后的卷积核之和就是输出：与 Cᵀ a 相同。")
