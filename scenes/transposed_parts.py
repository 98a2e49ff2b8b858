"""Parts of the transposed-convolution scene: the matrix C, the direct-convolution view, the odd case."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Square, Transform, VGroup

from scenes.common import MONO, NumberGrid, cached_text, cells_box, formula, label
from scenes.kit import PieceStep, SlidingWindow, as_padding, conceal, reveal, worded

if TYPE_CHECKING:
    from scenes.transposed import TransposedConvolution


class MatrixGrid(VGroup):
    """C drawn whole: structural zeros as empty cells, the kernel's taps filled and numbered (numbers are
    left out when the cells get too small to read, leaving the nonzero pattern)."""

    def __init__(self, scene: TransposedConvolution, matrix: np.ndarray, taps: np.ndarray) -> None:
        super().__init__()
        t = scene.theme
        rows, cols = matrix.shape
        cell = min(0.46, 11.2 / cols, 1.8 / rows)
        # numbers at least 26 (16 px at 480p) where cells hold them (each is narrowed to its cell if need be)
        self.grid = NumberGrid(matrix, t, t.padding, cell=cell, font_size=max(26 * cell / 0.6, min(26, 60 * cell)),
                               show_values=False, fill_opacity=0.0)
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
    """Zeros inserted between the inputs, padding around, the kernel flipped: a plain convolution (the kit's
    sliding window over the direct input, its padding drawn grey and its inserted zeros marked)."""
    t, v = scene.theme, scene.values
    a, tr = v.arrays, v.trace
    scene.next_section("direct convolution")
    din, dk = a["direct_input"].shape, a["flipped_kernel"].shape
    # one cell for the row (input ⊗ rot(W) = output, about 3.5 cells of operators and gaps), the words below
    cell = min(0.68, 12.4 / (din[1] + dk[1] + a["output"].shape[1] + 3.5), 5.0 / (din[0] + 0.6))
    d = a["dilation"]
    text = worded({f"dilation {d}": scene.tr(f"dilation {d}", f"膨胀 {d}")}, cached_text)
    win = SlidingWindow(tr.direct, theme=t, text=text, cell=cell, fit=False, detailed=0, fast_run_time=0.3,
                        names=(scene.tr("zeros inserted, padded", "插零并补零"), "rot(W)", scene.tr("direct", "直接卷积")))
    win.remove(win.panel_area)  # no step shows its working (detailed=0): the room kept for it below is not needed
    win.shift(RIGHT * -win.body.get_x() + UP * (2.85 - win.name_labels.get_top()[1]))
    as_padding(win.input, a["padding_mask"])
    inserted = VGroup(*(Square(side_length=cell * 0.72, color=t.highlight, stroke_width=2.5).move_to(
        win.input.cell(i, j)) for i, j in zip(*np.nonzero(a["inserted_mask"]))))
    words = VGroup(VGroup(label(scene.tr("zeros between inputs:", "输入之间插零："), t, font_size=24),
                          cached_text(v.direct_text[0], font=MONO, font_size=26, color=t.highlight)).arrange(RIGHT, buff=0.12),
                   VGroup(label(scene.tr("padding:", "补零："), t, font_size=24),
                          cached_text(v.direct_text[1], font=MONO, font_size=26, color=t.text)).arrange(RIGHT, buff=0.12),
                   label(scene.tr("kernel rotated 180°", "卷积核旋转 180°"), t, font_size=24))
    words.arrange(RIGHT, buff=0.45).move_to(DOWN * 2.7)
    if words.width > 12.4:
        words.scale_to_fit_width(12.4)
    later = reveal(VGroup(win.ops[1], win.output, win.name_labels[2]))  # the output comes after the caption
    scene.add(win)
    scene.play(PieceStep(win, reveal(VGroup(win.input, win.ops[0], win.kernel, win.name_labels[:2]))),
               FadeIn(inserted), FadeIn(words), run_time=0.8)
    scene.caption("Insert s − 1 zeros between inputs, pad by k − 1 − p, rotate the kernel 180°, convolve.",
                  "在输入之间插入 s − 1 个零，四周补 k − 1 − p 个零，把卷积核旋转 180°，再做卷积。")
    scene.play(PieceStep(win, later), run_time=0.6)
    for n, step in enumerate(win.steps()):
        if n < 2:
            scene.next_section(f"direct step {n + 1}")
        elif n == 2:
            scene.next_section("direct remaining steps")
        scene.play(step)
        if n < 2:
            scene.wait(0.5)
    scene.next_section("same numbers")
    # the direct output moves left; the scatter-add's output comes beside it: the same numbers
    scene.play(win.conclude(), PieceStep(win, conceal(VGroup(win.input, win.ops, win.kernel, win.name_labels[:2]))),
               FadeOut(inserted), FadeOut(words), run_time=0.6)
    ocell = float(win.output.cell(0, 0).width)
    result = NumberGrid(a["scatter_output"], t, t.output, cell=ocell, font_size=win.output.font_size)
    eq = formula("=", t, font_size=48)
    moved = VGroup(win.output, win.name_labels[2])
    target = moved.copy()
    VGroup(target, eq, result).arrange(RIGHT, buff=0.6).move_to([0, win.output.get_y(), 0])
    result.align_to(target[0], UP)
    eq.set_y(target[0].get_y())
    name = label(scene.tr("scatter-add", "散射相加"), t, color=t.output, font_size=win.text_size)
    name.next_to(result, UP, buff=0.2 * cell)
    scene.play(PieceStep(win, Transform(moved, target)), run_time=0.8)
    scene.play(FadeIn(eq), FadeIn(result), FadeIn(name), run_time=0.8)
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
