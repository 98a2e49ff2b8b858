"""Transposed convolution as a scatter-add, built from :func:`cnnviz.conv_transpose2d_trace`: one step per input
cell, whose kernel-scaled copy lands on the output and adds up where copies overlap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from manim import DOWN, RIGHT, UP, Animation, Rectangle, Transform, VGroup, VMobject

from cnnviz.theme import Theme
from cnnviz.trace import TransposedConvTrace
from cnnviz.values import fmt

from .fades import reveal
from .grid import NumberGrid, cells_box, taps_box
from .piece import PieceStep, StepPiece
from .style import TextBuilder, number_font_size

__all__ = ["ScatterWindow"]

Cell2 = tuple[int, int]

#: cell side (scene units) a piece starts from before it is scaled to fit the frame
DEFAULT_CELL = 0.9


class ScatterWindow(StepPiece):
    """The scatter-add view of a transposed convolution, one animation per input cell.

    Holds the input, the kernel, room for a step's working and the output canvas (uncropped: every cell a
    scaled kernel reaches), left to right, each named above in its role colour. :meth:`steps` yields one
    animation per input cell ``a_i``, in the trace's order: ``a_i`` is outlined, the kernel's footprint on the
    canvas is outlined, the kernel-scaled copy ``a_i × W`` fades in (detailed steps), and the canvas cells it
    lands on show their running sums (the old sums fade out first). Every number comes from the trace; texts
    change by fading. With ``padding`` the canvas is cropped: :meth:`crop_box` outlines the output, and the
    numbers outside it are muted.

    Parameters
    ----------
    trace
        A :func:`cnnviz.conv_transpose2d_trace` (one channel; stride, padding, output_padding, dilation).
    theme
        Colours by role (``None``: :meth:`Theme.dark`).
    cell
        The grids' cell side before fitting (``None``: 0.9).
    detailed
        How many steps show the scaled copy (``None``: every step); later steps only move and add, faster.
    text
        The builder of every text (``None``: ``manim.Text``).
    labels, names
        Name the grids above them (``names``: input, kernel, output; default ``"input"``, ``"kernel"``,
        ``"output"``).
    kernel_symbol
        How a step's working names the kernel: ``"2 × W"``.
    run_time, fast_run_time
        Seconds of a detailed step and of a later one.
    digits
        Decimals numbers are rounded to.
    fit
        Scale down to fit the frame less 5 % on each side (centred either way).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnviz import conv_transpose2d_trace
    >>> trace = conv_transpose2d_trace(np.array([[1.0, 2], [3, 1]]), np.ones((3, 3)), stride=2)
    >>> piece = ScatterWindow(trace, theme=Theme.solarized())
    >>> piece.input.shape, piece.kernel.shape, piece.canvas.shape, piece.n_steps
    ((2, 2), (3, 3), (5, 5), 4)

    In a scene::

        self.play(FadeIn(piece))
        for step in piece.steps():
            self.play(step)
        self.play(piece.conclude())
    """

    def __init__(self, trace: TransposedConvTrace, *, theme: Theme | None = None, cell: float | None = None,
                 detailed: int | None = None, text: TextBuilder | None = None, labels: bool = True,
                 names: Sequence[str] | None = None, kernel_symbol: str = "W", run_time: float = 2.0,
                 fast_run_time: float = 0.6, digits: int = 2, fit: bool = True) -> None:
        super().__init__(theme=theme, text=text, detailed=detailed, run_time=run_time, fast_run_time=fast_run_time,
                         digits=digits)
        if not isinstance(trace, TransposedConvTrace):
            raise TypeError(f"ScatterWindow takes a TransposedConvTrace (conv_transpose2d_trace), "
                            f"not {type(trace).__name__}")
        self.trace = trace
        self.labels, self.kernel_symbol = labels, kernel_symbol
        self.names = tuple(names) if names is not None else ("input", "kernel", "output")
        if len(self.names) != 3:
            raise ValueError(f"names takes three texts (input, kernel, output), got {len(self.names)}")
        (p0, p1), (oh, ow) = trace.padding, trace.output.shape
        #: the canvas cells that survive the crop by ``padding``: the output
        self.kept = {(r, c) for r in range(p0, p0 + oh) for c in range(p1, p1 + ow)}
        self._build(DEFAULT_CELL if cell is None else float(cell))
        self._fit(fit)

    # ----------------------------------------------------------------- building
    def _build(self, c: float) -> None:
        tr, t, tx, d = self.trace, self.theme, self.text_builder, self.digits
        self.cell_size, self.text_size = c, 36 * c
        self.line_size = 42 * c  # texts with numbers: a digit as tall as in the grids
        # (legible=False: the piece sizes all its grids from one cell, as before; not yet widened for legibility)
        kw = dict(theme=t, cell=c, digits=d, text=tx, legible=False)
        self.input = NumberGrid(tr.input, role="input", **kw)
        self.kernel = NumberGrid(tr.kernel, role="kernel", **kw)
        running = (fmt(x, d) for s in tr.scatter for x in s.canvas.flat)
        self.canvas = NumberGrid(tr.canvas, role="output", show_values=False,
                                 font_size=number_font_size(c, running, text=tx), **kw)
        self.reference = self.canvas
        self.panel_font_size = number_font_size(c, (fmt(x, d) for s in tr.scatter for x in s.contribution.flat),
                                                text=tx)
        widest = max(tr.scatter, key=lambda s: len(fmt(s.value, d)))
        sample = self._panel(widest)
        self.panel_area = Rectangle(width=sample.width, height=sample.height, stroke_opacity=0, stroke_width=0)
        self.body = VGroup(self.input, self.kernel, self.panel_area, self.canvas).arrange(RIGHT, buff=0.6 * c)
        self.panel_area.align_to(self.kernel, UP)
        self.name_labels = VGroup()
        if self.labels:
            for grid, name, color in zip((self.input, self.kernel, self.canvas), self.names, (t.input, t.kernel,
                                                                                              t.output)):
                if name:
                    self.name_labels.add(self._t(name, self.text_size, color).next_to(grid, UP, buff=0.2 * c))
        self.add(self.body, self.name_labels)
        first = tr.scatter[0]
        self.in_box = cells_box(self.input, [first.in_pos], t.highlight).set_opacity(0.0)
        self.out_box = self._footprint(first.cells).set_opacity(0.0)
        self.add(self.in_box, self.out_box, self.transients)
        self._shown: dict[Cell2, VMobject] = {}

    def _footprint(self, cells: Sequence[Cell2]) -> VMobject:
        if any(n > 1 for n in self.trace.dilation):
            return taps_box(self.canvas, cells, self.theme.kernel)
        return cells_box(self.canvas, cells, self.theme.kernel)

    def _panel(self, step: Any) -> VGroup:
        """The kernel-scaled copy ``a_i × W`` at the nominal size (not placed)."""
        t = self.theme
        grid = NumberGrid(step.contribution, theme=t, role="highlight", cell=self.cell_size,
                          font_size=self.panel_font_size, fill_opacity=0.08, digits=self.digits,
                          text=self.text_builder)
        head = self._t(f"{fmt(step.value, self.digits)} × {self.kernel_symbol}", self.line_size, t.highlight)
        return VGroup(grid, head).arrange(DOWN, buff=0.2 * self.cell_size)

    # ----------------------------------------------------------------- steps
    @property
    def n_steps(self) -> int:
        """The number of steps (input cells)."""
        return len(self.trace.scatter)

    def crop_box(self, *, stroke_width: float = 6) -> VMobject:
        """An outline, in the output's colour, around the canvas cells the crop by ``padding`` keeps."""
        return cells_box(self.canvas, sorted(self.kept), self.theme.output, stroke_width=stroke_width)

    def _number(self, cell: Cell2, value: float) -> VMobject:
        muted = cell not in self.kept
        number = self.canvas.number_for(*cell, value, muted=muted).scale(self._scale_now())
        self.canvas.numbers.add(number)
        self.canvas._number_at[cell] = number
        return number

    def step(self, n: int) -> PieceStep:
        """The animation of step ``n`` (in order: each expects the previous ones to have played)."""
        st, t = self.trace.scatter[n], self.theme
        r, detailed = self._scale_now(), self.is_detailed(n)
        total = self.run_time if detailed else self.fast_run_time
        moves: list[Animation] = [Transform(self.in_box, cells_box(self.input, [st.in_pos], t.highlight)),
                                  Transform(self.out_box, self._footprint(st.cells))]
        moves += self.conceal_transients()
        fills: list[Animation] = []
        for cell in st.cells:
            cell = (int(cell[0]), int(cell[1]))
            old = self._shown.get(cell)
            if old is not None:
                moves.append(self.retire(self.canvas.numbers, old))
            number = self._number(cell, float(st.canvas[cell]))
            self._shown[cell] = number
            fills.append(reveal(number))
        if not detailed:
            return self.group_step(moves, fills, times=[0.6 * total, 0.4 * total])
        panel = self._panel(st).scale(r).move_to(self.panel_area)
        return self.group_step(moves, self.show(panel), fills, times=[0.35 * total, 0.35 * total, 0.3 * total])

    def marks(self) -> list[VMobject]:
        return [self.in_box, self.out_box]

    def finish_extras(self) -> list[Animation]:
        """The canvas cells no scaled copy reached (output_padding's rows) show their value."""
        rest = []
        for i, j in np.ndindex(self.canvas.shape):
            if (i, j) not in self._shown:
                number = self._number((i, j), float(self.trace.canvas[i, j]))
                number.set_color(self.theme.muted)
                self._shown[(i, j)] = number
                rest.append(reveal(number))
        return rest
