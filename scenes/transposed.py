"""Transposed convolution: the convolution as a sparse matrix C, the transposed convolution as C^T, built by
scatter-adding scaled kernels; the same numbers from a direct convolution (zeros inserted, padding, the
kernel flipped); and output_padding for the odd case.

Render alone with ``manim -ql scenes/transposed.py TransposedConvolution``.
"""

from __future__ import annotations

from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Group, Transform, VGroup

from scenes.common import MONO, LectureScene, cached_text, formula
from scenes.kit import PieceStep, ScatterWindow, reveal
from scenes.transposed_parts import direct_view, matrix_grid, odd_case

__all__ = ["TransposedConvolution"]

#: the scatter row's middle (scene units): under the matrix C, above the caption
ROW_Y = -0.95


class TransposedConvolution(LectureScene):
    """Input and kernel; C and C^T; scatter-add onto the output (the kit's scatter window); the direct
    convolution; output_padding."""

    scene_id = "transposed"

    def clear(self) -> None:
        keep = (self.heading, self._caption)
        self.play(FadeOut(Group(*(m for m in self.mobjects if m not in keep))), run_time=0.6)

    def scatter_window(self) -> ScatterWindow:
        t, v = self.theme, self.values
        cell = min(0.62, 3.1 / max(v.arrays["canvas"].shape))
        piece = ScatterWindow(v.trace, theme=t, text=cached_text, cell=cell, fit=False, detailed=2,
                              names=(self.tr("input a", "输入 a"), self.tr("kernel W", "卷积核 W"),
                                     self.tr("output z", "输出 z")), run_time=2.4, fast_run_time=0.9)
        return piece.shift(RIGHT * -piece.body.get_x() + UP * (ROW_Y - piece.body.get_y()))

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        sw = self.scatter_window()
        dk = "(k-1)" if a["dilation"] == 1 else "d(k-1)"
        size = VGroup(formula(rf"n_{{out}} = (n-1)s - 2p + {dk} + \mathrm{{output\_padding}} + 1", t, font_size=32),
                      cached_text(v.size_text, font=MONO, font_size=26, color=t.output)).arrange(DOWN, buff=0.2)
        size.move_to(UP * 1.9)
        self.next_section("setup")
        canvas = reveal(VGroup(sw.canvas, sw.name_labels[2:]))  # hidden until the output's size is shown
        self.add(sw)
        self.play(PieceStep(sw, reveal(VGroup(sw.input, sw.kernel, sw.name_labels[:2]))), run_time=0.8)
        self.play(FadeIn(size), PieceStep(sw, canvas), run_time=0.8)
        self.caption(f"Transposed convolution makes a small input larger: {v.shape_text}, stride {a['stride']}.",
                     f"转置卷积把小的输入变大：{v.shape_text}，步长 {a['stride']}。")

        self.next_section("convolution as a matrix")
        mat = matrix_grid(self, a["matrix"], v.taps)
        mat_name = cached_text(v.matrix_text, font=MONO, font_size=26, color=t.kernel)
        VGroup(mat_name, mat).arrange(RIGHT, buff=0.2).move_to(UP * 2.1)
        self.play(FadeOut(size), run_time=0.4)  # (C takes the size formula's place: out, then in)
        self.play(FadeIn(mat), FadeIn(mat_name), run_time=0.6)
        self.caption(f"A stride-{a['stride']} convolution taking z back to a's size is a matrix C (mostly zeros): "
                     f"y = C z.",
                     f"用 W 做步长 {a['stride']} 的卷积把 z 变回 a 的大小，可写成矩阵 C：y = C z，大部分是零。")
        law = formula(r"\mathbf{z} = C^{\top}\mathbf{a} = \sum_i a_i\, C_{i,:}", t, font_size=34)
        law.next_to(VGroup(sw.input, sw.kernel), DOWN, buff=0.45)
        self.play(FadeIn(law), run_time=0.8)
        self.caption("Transposed convolution multiplies by Cᵀ: each a_i scales row i of C; the rows add up.",
                     "转置卷积就是乘以 Cᵀ：每个 a_i 缩放 C 的第 i 行，再把各行相加。")
        self.scatter(sw, mat)
        self.clear()
        direct_view(self)
        if v.odd is not None:
            self.clear()
            odd_case(self)

    def scatter(self, sw: ScatterWindow, mat: VGroup) -> None:
        """Scatter-add: each input scales the kernel and adds it onto the output at stride steps; row i of C
        is outlined with input i."""
        t, a = self.theme, self.values.arrays
        row = None
        for n, step in enumerate(sw.steps()):
            self.next_section(f"scatter {n + 1}")
            new_row = mat.row_box(n, t.highlight)
            if row is None:
                row, follow = new_row, FadeIn(new_row, run_time=step.run_time)
            else:
                follow = Transform(row, new_row, run_time=step.run_time)
            self.play(step, follow)
            if n == 0:
                self.caption("a₁ × W lands on the output where window 1 sits; overlapping cells add up.",
                             "a₁ × W 落在输出中第 1 个窗口的位置；重叠的格子相加。")
        self.next_section("scatter done")
        self.play(sw.conclude(), FadeOut(row), run_time=0.5)
        if a["padding"]:
            self.play(FadeIn(sw.crop_box()), run_time=0.6)
            self.caption(f"Padding p = {a['padding']} crops the sum: the output is the framed part.",
                         f"补零 p = {a['padding']} 从四周裁掉：输出是框内的部分。")
        else:
            self.caption("The sum of the scaled kernels is the output: the same as Cᵀ a.",
                         "缩放后的卷积核之和就是输出：与 Cᵀ a 相同。")
