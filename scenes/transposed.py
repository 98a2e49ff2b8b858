"""Transposed convolution: the convolution as a sparse matrix C (z = C a), the transposed convolution as
a = Cᵀ z, built by scatter-adding scaled kernels; the same numbers from a direct convolution (zeros inserted,
padding, the kernel flipped: the fractionally-strided convolution); and output_padding for the odd case.

Named as in the course: the small map z is the transposed convolution's input, the large map a its output.

Render alone with ``manim -ql scenes/transposed.py TransposedConvolution``.
"""

from __future__ import annotations

from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Group, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, cached_text, formula, label, legible_formula
from scenes.kit import PieceStep, ScatterWindow, reveal
from scenes.transposed_parts import MATRIX_TOP, direct_view, matrix_grid, odd_case

__all__ = ["TransposedConvolution"]

#: the scatter row's middle (scene units): under the matrix C, above a caption of two lines
ROW_Y = -0.97


class TransposedConvolution(LectureScene):
    """Input and kernel; C and Cᵀ; scatter-add onto the output (the kit's scatter window); the direct
    convolution; output_padding."""

    scene_id = "transposed"

    def clear(self) -> None:
        keep = (self.heading, self._caption)
        self.play(FadeOut(Group(*(m for m in self.mobjects if m not in keep))), run_time=0.6)

    def scatter_window(self) -> ScatterWindow:
        t, v = self.theme, self.values
        cell = min(0.62, 3.1 / max(v.arrays["canvas"].shape))
        piece = ScatterWindow(v.trace, theme=t, text=cached_text, cell=cell, fit=False, detailed=2, labels=False,
                              run_time=2.4, fast_run_time=0.9)
        piece.shift(RIGHT * -piece.body.get_x() + UP * (ROW_Y - piece.body.get_y()))
        # the grids' names, the scene's own: 16 px tall at 480p (the kit's follow its cells, smaller here)
        self.names = VGroup(*(label(name, t, color=color).next_to(grid, UP, buff=0.12) for name, color, grid in (
            (self.tr("input z", "输入 z"), t.input, piece.input), (self.tr("kernel W", "卷积核 W"), t.kernel, piece.kernel),
            (self.tr("output a", "输出 a"), t.output, piece.canvas))))
        return piece

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        sw = self.scatter_window()
        dk = "(c-1)" if a["dilation"] == 1 else "d(c-1)"
        # 42: the formula's subscripts 16 px tall at 480p
        size = VGroup(formula(rf"n_{{out}} = (n-1)s - 2p + {dk} + \mathrm{{output\_padding}} + 1", t, font_size=42),
                      cached_text(v.size_text, font=MONO, font_size=26, color=t.output)).arrange(DOWN, buff=0.2)
        size.move_to(UP * 1.9)
        self.next_section("setup")
        canvas = reveal(sw.canvas)  # hidden until the output's size is shown
        self.add(sw)
        self.play(PieceStep(sw, reveal(VGroup(sw.input, sw.kernel))), FadeIn(self.names[:2]), run_time=0.8)
        self.play(FadeIn(size), PieceStep(sw, canvas), FadeIn(self.names[2]), run_time=0.8)
        self.say("intro", shape=v.shape_text, s=a["stride"])

        self.next_section("convolution as a matrix")
        # the name in two lines ("C:" over its shape): the room it leaves widens C's cells for their "-1"s
        mat_name = cached_text(v.matrix_text.replace(": ", ":\n", 1), font=MONO, font_size=26, color=t.kernel)
        mat = matrix_grid(self, a["matrix"], v.taps, mat_name)
        VGroup(mat_name, mat).arrange(RIGHT, buff=0.2)
        VGroup(mat_name, mat).move_to([0, MATRIX_TOP - mat.height / 2, 0])
        forward = formula(r"\mathbf{z} = C\,\mathbf{a}", t, font_size=42)
        # (a Σ of text size, its i beside it: the law keeps clear of the caption)
        law = legible_formula(r"\mathbf{a} = C^{\top}\mathbf{z} = {\textstyle\sum_i}\, z_i\, C_{i,:}", t, font_size=40)
        for f in (forward, law):
            f.next_to(VGroup(sw.input, sw.kernel), DOWN, buff=0.45)
        self.play(FadeOut(size), run_time=0.4)  # (C takes the size formula's place: out, then in)
        self.play(FadeIn(mat), FadeIn(mat_name), FadeIn(forward), run_time=0.6)
        rows, cols = a["matrix_shape"]
        # (one-line captions while the formulas under the grids are up: two lines would reach them)
        self.say("matrix", s=a["stride"])
        self.say("matrix_c", rows=rows, cols=cols)
        self.play(FadeOut(forward), run_time=0.4)  # out, then in
        self.play(FadeIn(law), run_time=0.8)
        self.say("transpose")
        self.say("transpose_rows")
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
                follow = Transform(row, new_row, run_time=step.run_time)  # (a box moves; no text morphs)
            self.play(step, follow)
            if n == 0:
                self.say("scatter_first", value=fmt(self.values.trace.scatter[0].value))
        self.next_section("scatter done")
        self.play(sw.conclude(), FadeOut(row), run_time=0.5)
        self.say("scatter_sum")
        # the crop by p, framed whatever p is (p = 0 frames the whole sum)
        self.play(FadeIn(sw.crop_box()), run_time=0.6)
        self.say("crop", p=a["padding"])
