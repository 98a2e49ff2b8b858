"""Parts of the transposed-convolution scene: the matrix C, the direct-convolution view, the odd case."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Square, Transform, VGroup

from scenes.common import MONO, NumberGrid, cached_text, cells_box, formula, label, step_times

if TYPE_CHECKING:
    from scenes.transposed import TransposedConvolution


class MatrixGrid(VGroup):
    """C drawn whole: structural zeros as empty cells, the kernel's taps filled and numbered (numbers are
    left out when the cells get too small to read, leaving the nonzero pattern)."""

    def __init__(self, scene: TransposedConvolution, matrix: np.ndarray, taps: np.ndarray) -> None:
        super().__init__()
        t = scene.theme
        rows, cols = matrix.shape
        cell = min(0.46, 11.4 / cols, 1.8 / rows)
        self.grid = NumberGrid(matrix, t, t.padding, cell=cell, font_size=26 * cell / 0.6, show_values=False,
                               fill_opacity=0.0)
        fills = VGroup(*(Square(side_length=cell, stroke_width=2, color=t.kernel, fill_color=t.kernel,
                                fill_opacity=0.18).move_to(self.grid.cell(i, j)) for i, j in zip(*np.nonzero(taps))))
        numbers = VGroup()
        if cell >= 0.3:
            numbers.add(*(self.grid.number_for(i, j, matrix[i, j]) for i, j in zip(*np.nonzero(taps))))
        self.add(self.grid, fills, numbers)

    def row_box(self, i: int, color: str) -> VGroup:
        return cells_box(self.grid, [(i, 0), (i, self.grid.shape[1] - 1)], color)


def matrix_grid(scene: TransposedConvolution, matrix: np.ndarray, taps: np.ndarray) -> MatrixGrid:
    return MatrixGrid(scene, matrix, taps)


def direct_view(scene: TransposedConvolution) -> None:
    """Zeros inserted between the inputs, padding around, the kernel flipped: a plain convolution."""
    t, v = scene.theme, scene.values
    a, tr = v.arrays, v.trace
    scene.next_section("direct convolution")
    cell = min(0.42, 3.0 / max(a["direct_input"].shape))
    din = NumberGrid(a["direct_input"], t, t.input, cell=cell, font_size=26 * cell / 0.6,
                     padding_mask=a["padding_mask"])
    rot = NumberGrid(a["flipped_kernel"], t, t.kernel, cell=0.45, font_size=20)
    ocell = min(0.45, 2.6 / max(a["output"].shape))
    dout = NumberGrid(a["direct_output"], t, t.output, cell=ocell, font_size=26 * ocell / 0.6, show_values=False)
    result = NumberGrid(a["scatter_output"], t, t.output, cell=ocell, font_size=26 * ocell / 0.6)
    ops = [formula(s, t, font_size=40) for s in (r"\otimes", "=", "=")]
    row = VGroup(din, ops[0], rot, ops[1], dout, ops[2], result).arrange(RIGHT, buff=0.35).move_to(UP * 0.35)
    inserted = VGroup(*(Square(side_length=cell * 0.72, color=t.highlight, stroke_width=2.5).move_to(din.cell(i, j))
                        for i, j in zip(*np.nonzero(a["inserted_mask"]))))
    names = VGroup(*(label(s, t, color=c, font_size=22).next_to(g, UP, buff=0.15) for s, c, g in (
        (scene.tr("zeros inserted, padded", "插零并补零"), t.input, din), ("rot(W)", t.kernel, rot),
        (scene.tr("direct", "直接卷积"), t.output, dout), (scene.tr("scatter-add", "散射相加"), t.output, result))))
    words = VGroup(VGroup(label(scene.tr("zeros between inputs:", "输入之间插零："), t, font_size=22),
                          cached_text(v.direct_text[0], font=MONO, font_size=22, color=t.highlight)).arrange(RIGHT, buff=0.12),
                   VGroup(label(scene.tr("padding:", "补零："), t, font_size=22),
                          cached_text(v.direct_text[1], font=MONO, font_size=22, color=t.text)).arrange(RIGHT, buff=0.12),
                   label(scene.tr("kernel rotated 180°", "卷积核旋转 180°"), t, font_size=22))
    words.arrange(RIGHT, buff=0.6).move_to(DOWN * 2.35)
    scene.play(FadeIn(din), FadeIn(inserted), FadeIn(rot), FadeIn(ops[0]), FadeIn(names[:2]), FadeIn(words),
               run_time=0.8)
    scene.caption("Insert s − 1 zeros between inputs, pad by k − 1 − p, rotate the kernel 180°, convolve.",
                  "在输入之间插入 s − 1 个零，四周补 k − 1 − p 个零，把卷积核旋转 180°，再做卷积。")
    scene.play(FadeIn(ops[1]), FadeIn(dout), FadeIn(names[2]), run_time=0.6)
    steps = tr.direct.steps
    window = None
    for n, (step, run) in enumerate(zip(steps, step_times(len(steps), slow=0.8, fast=0.12, slow_steps=2))):
        if n < 2:
            scene.next_section(f"direct step {n + 1}")
        elif n == 2:
            scene.next_section("direct remaining steps")
        box = cells_box(din, step.cells, t.kernel)
        value = dout.number_for(*step.out_pos, step.value)
        scene.play(Transform(window, box) if window else FadeIn(box), FadeIn(value), run_time=run)
        window = window or box
    scene.next_section("same numbers")
    scene.play(FadeOut(window), FadeIn(ops[2]), FadeIn(result), FadeIn(names[3]), run_time=0.8)
    scene.caption("The direct convolution gives exactly the numbers of the scatter-add.",
                  "直接卷积得到的数与散射相加完全相同。")


def odd_case(scene: TransposedConvolution) -> None:
    """Stride s maps several sizes to one; output_padding picks the larger when going back."""
    t, v = scene.theme, scene.values
    odd = v.odd
    scene.next_section("output_padding")
    head = cached_text(odd["conv_text"], font=MONO, font_size=24, color=t.kernel).move_to(UP * 2.4)
    scene.play(FadeIn(head), run_time=0.8)
    scene.caption(f"Same a and W, padding {v.arrays['odd_padding']}: forward, a strided convolution "
                  f"maps two sizes to one.",
                  f"同样的 a 和 W，补零 {v.arrays['odd_padding']}：正向时，带步长的卷积把两种大小映射成同一个。")
    grids = []
    for n, (key, shape, text) in enumerate(zip(("without", "with"), odd["shapes"], odd["size_texts"])):
        cell = min(0.55, 2.6 / max(odd[key].shape))
        g = NumberGrid(odd[key], t, t.output, cell=cell, font_size=26 * cell / 0.6)
        g.move_to(RIGHT * (3.4 if n else -3.4) + UP * 0.1)
        name = label(f"output_padding = {n}:  {shape}", t, color=t.output, font_size=24).next_to(g, UP, buff=0.2)
        size = cached_text(text, font=MONO, font_size=20, color=t.text).next_to(g, DOWN, buff=0.25)
        grids.append(VGroup(g, name, size))
    scene.next_section("both outputs")
    scene.play(FadeIn(grids[0]), run_time=0.8)
    scene.play(FadeIn(grids[1]), run_time=0.8)
    g = grids[1][0]
    extra = VGroup(*(cells_box(g, [(i, j)], t.highlight, stroke_width=4) for i, j in zip(*np.nonzero(odd["extra"]))))
    scene.play(FadeIn(extra), run_time=0.6)
    scene.caption("Going back, output_padding = 1 adds a row and a column at the end: the larger size.",
                  "反向时，output_padding = 1 在末尾多加一行一列，得到较大的那个尺寸。")
