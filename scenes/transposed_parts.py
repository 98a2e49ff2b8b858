"""Parts of the transposed-convolution scene: the matrix C, the direct-convolution view, the odd case."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Square, Transform, VGroup, config

from cnnviz.values import fmt

from scenes.common import MONO, NumberGrid, cached_text, cells_box, formula, label
from scenes.kit import SAFE_MARGIN, PieceStep, SlidingWindow, as_padding, conceal, reveal, worded

if TYPE_CHECKING:
    from scenes.transposed import TransposedConvolution

#: the top of the matrix C (scene units): under the title, clear of its descenders
MATRIX_TOP = 2.86
#: the widest C and its name may be together: inside the safe area
MATRIX_ROW_WIDTH = 12.4
#: the direct view's digits, as a fraction of their cells (16 px tall at 480p in the cells that fit)
DIRECT_NUMBER_HEIGHT = 0.48


class MatrixGrid(VGroup):
    """C drawn whole: structural zeros as empty cells, the kernel's taps filled and numbered (numbers are
    left out when the cells get too small to read, leaving the nonzero pattern).

    Whole rather than in part: what C teaches is its pattern (row i is the kernel laid where window i sits,
    shifted by the stride from row to row, zeros elsewhere), which a part would hide; at the default 4×25 its
    cells of 0.44 (26 px at 480p) hold 16 px digits and the row fits the safe area beside its name."""

    def __init__(self, scene: TransposedConvolution, matrix: np.ndarray, taps: np.ndarray, room: float) -> None:
        super().__init__()
        t = scene.theme
        rows, cols = matrix.shape
        cell = min(0.46, room / cols, 1.76 / rows)  # 0.44 at 4×25: a "-1" keeps 3 px clear of its cell at 480p
        # numbers 26 (16 px at 480p) where cells hold them (each is narrowed to its cell if need be)
        self.grid = NumberGrid(matrix, t, t.padding, cell=cell, font_size=max(26 * cell / 0.6, min(26, 62 * cell)),
                               show_values=False, fill_opacity=0.0)
        fills = VGroup(*(Square(side_length=cell, stroke_width=2, color=t.kernel, fill_color=t.kernel,
                                fill_opacity=0.18).move_to(self.grid.cell(i, j)) for i, j in zip(*np.nonzero(taps))))
        numbers = VGroup()
        if cell >= 0.3:
            numbers.add(*(self.grid.number_for(i, j, matrix[i, j]) for i, j in zip(*np.nonzero(taps))))
        self.add(self.grid, fills, numbers)

    def row_box(self, i: int, color: str) -> VGroup:
        # thinner than a window's: C's digits fill more of its small cells
        return cells_box(self.grid, [(i, 0), (i, self.grid.shape[1] - 1)], color, stroke_width=3)


def matrix_grid(scene: TransposedConvolution, matrix: np.ndarray, taps: np.ndarray, name: VGroup) -> MatrixGrid:
    """C, as wide as the safe area allows beside its ``name``."""
    return MatrixGrid(scene, matrix, taps, MATRIX_ROW_WIDTH - name.width - 0.2)


def direct_view(scene: TransposedConvolution) -> None:
    """Zeros inserted between the inputs, padding around, the kernel flipped: a plain convolution (the kit's
    sliding window over the direct input, its padding drawn grey and its inserted zeros marked)."""
    t, v = scene.theme, scene.values
    a, tr = v.arrays, v.trace
    scene.next_section("direct convolution")
    din, dk = a["direct_input"].shape, a["flipped_kernel"].shape
    # one cell for the row (input ⊗ rot(W) = output, about 3.5 cells of operators and gaps), the words below
    # (the height: the names above, the words below, and a caption of two lines under them)
    cell = min(0.68, 12.4 / (din[1] + dk[1] + a["output"].shape[1] + 3.5), 4.3 / (din[0] + 0.6))
    d = a["dilation"]
    text = worded({f"dilation {d}": scene.tr(f"dilation {d}", f"膨胀 {d}")}, cached_text)
    win = SlidingWindow(tr.direct, theme=t, text=text, cell=cell, fit=False, detailed=0, fast_run_time=0.3,
                        number_height=DIRECT_NUMBER_HEIGHT, text_size=max(26.0, 36 * cell),
                        names=(scene.tr("zeros inserted, padded", "插零并补零"), "rot(W)", scene.tr("direct", "直接卷积")))
    win.remove(win.panel_area)  # no step shows its working (detailed=0): the room kept for it below is not needed
    win.shift(RIGHT * -win.body.get_x() + UP * (2.85 - win.name_labels.get_top()[1]))
    as_padding(win.input, a["padding_mask"])
    inserted = VGroup(*(Square(side_length=cell * 0.72, color=t.highlight, stroke_width=2.5).move_to(
        win.input.cell(i, j)) for i, j in zip(*np.nonzero(a["inserted_mask"]))))
    words = VGroup(VGroup(label(scene.tr("zeros between:", "输入之间插零："), t),
                          cached_text(v.direct_text[0], font=MONO, font_size=28, color=t.highlight)).arrange(RIGHT, buff=0.12),
                   VGroup(label(scene.tr("padding:", "补零："), t),
                          cached_text(v.direct_text[1], font=MONO, font_size=28, color=t.text)).arrange(RIGHT, buff=0.12),
                   label(scene.tr("kernel rotated 180°", "卷积核旋转 180°"), t))
    words.arrange(RIGHT, buff=0.45)
    if words.width > 12.4:
        words.scale_to_fit_width(12.4)
    words.next_to(win.body, DOWN, buff=0.3).set_x(0)
    later = reveal(VGroup(win.ops[1], win.output, win.name_labels[2]))  # the output comes after the caption
    scene.add(win)
    scene.play(PieceStep(win, reveal(VGroup(win.input, win.ops[0], win.kernel, win.name_labels[:2]))),
               FadeIn(inserted), FadeIn(words), run_time=0.8)
    scene.say("direct")
    scene.say("direct_terms", zeros=a["inserted_zeros"], pad=a["direct_pad"][0])
    scene.play(PieceStep(win, later), run_time=0.6)
    steps = tr.direct.steps
    for n, step in enumerate(win.steps()):
        asks = n == 1
        if asks:  # a prediction: the next window outlined, its output cell asked before it is filled
            window = cells_box(win.input, list(steps[n].cells), t.highlight)
            scene.play(FadeIn(window), run_time=0.5)
            scene.ask("predict", win.output.cell(*steps[n].out_pos))
            scene.play(FadeOut(window), run_time=0.3)
        elif n < 2:
            scene.next_section(f"direct step {n + 1}")
        elif n == 2:
            scene.next_section("direct remaining steps")
        scene.play(step)
        if n < 2:
            scene.wait(0.5)
        if asks:
            scene.say("answer", value=fmt(steps[n].value))
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
    scene.say("same")
    # the zero-insertion view has a name: with s − 1 zeros between the inputs, one step of the kernel moves
    # 1/s of an input, a convolution of fractional stride
    view_name = label(scene.tr(f"fractionally-strided convolution: stride 1/{a['stride']} on z",
                               f"微步卷积：在 z 上的步长为 1/{a['stride']}"), t, color=t.highlight, font_size=28)
    view_name.next_to(VGroup(target, result), DOWN, buff=0.35).set_x(0)
    scene.play(FadeIn(view_name), run_time=0.6)
    scene.say("fractional", s=a["stride"])


def odd_case(scene: TransposedConvolution) -> None:
    """Stride s maps several sizes to one; output_padding picks the larger when going back."""
    t, v = scene.theme, scene.values
    odd = v.odd
    scene.next_section("output_padding")
    head = cached_text(odd["conv_text"], font=MONO, font_size=28, color=t.kernel).move_to(UP * 2.4)
    scene.play(FadeIn(head), run_time=0.8)
    scene.say("odd", p=v.arrays["odd_padding"])
    grids = []
    for n, (key, shape, text) in enumerate(zip(("without", "with"), odd["shapes"], odd["size_texts"])):
        cell = min(0.62, 2.6 / max(odd[key].shape))
        g = NumberGrid(odd[key], t, t.output, cell=cell, font_size=26)  # 16 px digits
        g.move_to(RIGHT * (3.3 if n else -3.3) + UP * 0.3)
        name = label(f"output_padding = {n}:  {shape}", t, color=t.output).next_to(g, UP, buff=0.2)
        # the size worked out, its result on a line of its own: one line would not fit half the frame
        terms, result = text.rsplit(" = ", 1)
        size = VGroup(*(cached_text(s, font=MONO, font_size=26, color=t.text) for s in (terms, f"= {result}")))
        size.arrange(DOWN, buff=0.12).next_to(g, DOWN, buff=0.25)
        edge = config.frame_width * (0.5 - SAFE_MARGIN) - 0.05
        size.shift(RIGHT * (max(0.0, -edge - size.get_left()[0]) - max(0.0, size.get_right()[0] - edge)))
        grids.append(VGroup(g, name, size))
    scene.next_section("both outputs")
    scene.play(FadeIn(grids[0]), run_time=0.8)
    scene.play(FadeIn(grids[1]), run_time=0.8)
    g = grids[1][0]
    extra = VGroup(*(cells_box(g, [(i, j)], t.highlight, stroke_width=4) for i, j in zip(*np.nonzero(odd["extra"]))))
    scene.play(FadeIn(extra), run_time=0.6)
    scene.say("odd_padding")
