"""Backprop through pooling, window by window: δ of the pooled layer goes back to the layer below, ``up(δ)``:
to each window's maximum (max pooling) or spread evenly over it (mean pooling)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from manim import DOWN, RIGHT, UP, Animation, Rectangle, Square, Transform, VGroup, VMobject

from cnnviz.theme import Theme
from cnnviz.values import fmt

from .fades import reveal
from .grid import NumberGrid, cell_mark, cells_box
from .piece import PieceStep, StepPiece
from .style import TextBuilder, number_font_size

__all__ = ["RoutingWindow"]

Cell2 = tuple[int, int]

#: cell side (scene units) a piece starts from before it is scaled to fit the frame
DEFAULT_CELL = 0.9
#: a panel's (empty) cells, as a fraction of the grids' cell
PANEL_CELL = 0.45


class RoutingWindow(StepPiece):
    """δ routed back through a pooling layer, one animation per pooling window: ``up(δ)``.

    Holds the layer below ``A`` (the pooling's input), a middle column with the pooled output above its error
    term δ, and ``∂L/∂A`` (empty cells) on the right, each named above in its role colour; below them room for
    a step's working. :meth:`steps` yields one animation per window, in the trace's order: the window is
    outlined on ``A`` and on ``∂L/∂A``, its pooled value and its δ are outlined, the working fades in
    (detailed steps: ``δ = 3`` or ``δ ÷ 4 = 0.75``, an arrow, and the window's cells that receive it filled; for
    max pooling the maximum is marked there and in ``A``), and the window's cells of ``∂L/∂A`` show their
    running sums (the old ones fade out first; a cell that receives 0 keeps what it had). :meth:`conclude` fills the cells no window covered. Every number comes
    from the routing's trace; texts change by fading.

    Parameters
    ----------
    routing
        What :mod:`cnnviz` computed for one pooling mode: ``routing.back`` a
        :class:`cnnviz.backprop.PoolBackward` (``max_pool2d_backward``/``avg_pool2d_backward``: the forward
        trace, δ, ``∂L/∂A``) and ``routing.steps`` one record per window with ``out_pos``, ``cells``,
        ``delta``, ``shares`` (what each cell receives), ``chosen`` (the argmax, max pooling),
        ``divisor`` (mean pooling) and ``running`` (``∂L/∂A`` after the window): a
        ``cnnviz.values.backprop_pool.ModeValues``, e.g. ``scene_values("backprop_pool", params).data
        ["modes"][0]``. One channel, no padding.
    theme
        Colours by role (``None``: :meth:`Theme.dark`).
    cell
        The grids' cell side before fitting (``None``: 0.9).
    detailed
        How many steps show their working (``None``: every step); later steps only move and fill in, faster.
    text
        The builder of every text (``None``: ``manim.Text``).
    labels, names
        Name the grids above them (``names``: the layer below, the pooled output, δ, ``∂L/∂A``; default
        ``"A"``, ``"pooled"``, ``"δ"``, ``"up(δ)"``).
    run_time, fast_run_time
        Seconds of a detailed step and of a later one.
    digits
        Decimals numbers are rounded to.
    fit
        Scale down to fit the frame less 5 % on each side (centred either way).

    Examples
    --------
    >>> from cnnviz.config import BackpropPoolParams
    >>> from cnnviz.values import scene_values
    >>> params = BackpropPoolParams(input=[[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]],
    ...                             delta=[[1, -2], [3, 4]])
    >>> max_routing = scene_values("backprop_pool", params).data["modes"][0]
    >>> piece = RoutingWindow(max_routing, theme=Theme.dark())
    >>> piece.input.shape, piece.delta.shape, piece.grad.shape, piece.n_steps
    ((4, 4), (2, 2), (4, 4), 4)

    In a scene: ``self.play(FadeIn(piece))``, then ``for step in piece.steps(): self.play(step)``, then
    ``self.play(piece.conclude())``.
    """

    def __init__(self, routing: Any, *, theme: Theme | None = None, cell: float | None = None,
                 detailed: int | None = None, text: TextBuilder | None = None, labels: bool = True,
                 names: Sequence[str] | None = None, run_time: float = 2.0, fast_run_time: float = 0.6,
                 digits: int = 2, fit: bool = True) -> None:
        super().__init__(theme=theme, text=text, detailed=detailed, run_time=run_time, fast_run_time=fast_run_time,
                         digits=digits)
        back, steps = getattr(routing, "back", None), list(getattr(routing, "steps", None) or [])
        trace = getattr(back, "trace", None)
        if trace is None or not steps or not hasattr(back, "grad_input"):
            raise TypeError("RoutingWindow takes a routing with .back (a PoolBackward) and .steps (one record per "
                            "window), e.g. scene_values('backprop_pool', params).data['modes'][0]")
        if np.ndim(trace.input) != 2 or any(p != 0 for p in trace.padding):
            raise ValueError("RoutingWindow draws one channel without padding")
        if len(steps) != len(trace.steps):
            raise ValueError(f"the routing has {len(steps)} steps for {len(trace.steps)} pooling windows")
        self.back, self.trace, self.routing_steps, self.mode = back, trace, steps, trace.mode
        self.labels = labels
        self.names = tuple(names) if names is not None else ("A", "pooled", "δ", "up(δ)")
        if len(self.names) != 4:
            raise ValueError(f"names takes four texts (A, pooled, δ, ∂L/∂A), got {len(self.names)}")
        self._build(DEFAULT_CELL if cell is None else float(cell))
        self._fit(fit)

    # ----------------------------------------------------------------- building
    def _build(self, c: float) -> None:
        t, tx, d = self.theme, self.text_builder, self.digits
        self.cell_size, self.text_size, self.line_size = c, 36 * c, 42 * c
        # (legible=False: the piece sizes all its grids from one cell, as before; not yet widened for legibility)
        kw = dict(theme=t, cell=c, digits=d, text=tx, legible=False)
        self.input = NumberGrid(self.trace.input, role="input", **kw)
        self.output = NumberGrid(self.trace.output, role="output", **kw)
        self.delta = NumberGrid(self.back.delta, role="gradient", **kw)
        running = (fmt(x, d) for s in self.routing_steps for x in np.ravel(s.running))
        self.grad = NumberGrid(self.back.grad_input, role="gradient", show_values=False,
                               font_size=number_font_size(c, running, text=tx), **kw)
        self.reference = self.grad
        self.panel_cell = PANEL_CELL * c
        middle = VGroup(self.output, self.delta).arrange(DOWN, buff=0.75 * c)
        self.body = VGroup(self.input, middle, self.grad).arrange(RIGHT, buff=1.4 * c)
        self.name_labels = VGroup()
        if self.labels:
            colors = (t.input, t.output, t.gradient, t.gradient)
            for grid, name, color in zip((self.input, self.output, self.delta, self.grad), self.names, colors):
                if name:
                    self.name_labels.add(self._t(name, self.text_size, color).next_to(grid, UP, buff=0.15 * c))
        self.add(self.body, self.name_labels)
        widest = max(self.routing_steps, key=lambda s: len(self._head(s)))
        sample = self._panel(widest)
        self.panel_area = Rectangle(width=sample.width, height=sample.height, stroke_opacity=0, stroke_width=0)
        self.panel_area.next_to(self.body, DOWN, buff=0.5 * c)
        self.add(self.panel_area)
        self.boxes = self._boxes(self.routing_steps[0]).set_opacity(0.0)
        self.add(self.boxes, self.transients)
        self._shown: dict[Cell2, VMobject] = {}

    def _boxes(self, st: Any) -> VGroup:
        """The window on A and on ∂L/∂A, the pooled value and its δ."""
        t, cells = self.theme, [tuple(int(x) for x in c) for c in st.cells]
        pos = tuple(int(x) for x in st.out_pos)
        return VGroup(cells_box(self.input, cells, t.kernel), cells_box(self.output, [pos], t.output),
                      cells_box(self.delta, [pos], t.gradient), cells_box(self.grad, cells, t.gradient))

    def _head(self, st: Any) -> str:
        if self.mode == "max":
            return f"δ = {fmt(st.delta, self.digits)}"
        return f"δ ÷ {st.divisor} = {fmt(float(np.ravel(st.shares)[0]), self.digits)}"

    def _panel(self, st: Any) -> VGroup:
        """The step's working at the nominal size (not placed): δ (over the divisor) → the window's cells that
        receive it, filled (max pooling: the maximum's cell, marked as in A)."""
        t, c = self.theme, self.cell_size
        shares = np.asarray(st.shares, float)
        grid = NumberGrid(shares, theme=t, role="gradient", cell=self.panel_cell, show_values=False,
                          fill_opacity=0.08, digits=self.digits, text=self.text_builder, legible=False)
        for (i, j), share in np.ndenumerate(shares):
            if share != 0:
                grid.add(Square(side_length=self.panel_cell, stroke_width=0, fill_color=t.gradient,
                                fill_opacity=0.55).move_to(grid.cell(i, j).get_center()))
        if self.mode == "max":
            k = [tuple(int(x) for x in cell) for cell in st.cells].index(tuple(int(x) for x in st.chosen))
            i, j = divmod(k, shares.shape[1])
            grid.add(cell_mark(grid.cell(i, j), t.highlight, side=self.panel_cell))
        head = self._t(self._head(st), self.line_size, t.gradient)
        arrow = self._t("→", self.line_size, t.text)
        return VGroup(head, arrow, grid).arrange(RIGHT, buff=0.3 * c)

    # ----------------------------------------------------------------- steps
    @property
    def n_steps(self) -> int:
        """The number of steps (pooling windows)."""
        return len(self.routing_steps)

    def _number(self, cell: Cell2, value: float, color: str) -> VMobject:
        number = self.grad.number_for(*cell, value, color=color).scale(self._scale_now())
        self.grad.numbers.add(number)
        self.grad._number_at[cell] = number
        self._shown[cell] = number
        return number

    def step(self, n: int) -> PieceStep:
        """The animation of step ``n`` (in order: each expects the previous ones to have played)."""
        st, t = self.routing_steps[n], self.theme
        r, detailed = self._scale_now(), self.is_detailed(n)
        total = self.run_time if detailed else self.fast_run_time
        moves: list[Animation] = [Transform(self.boxes, self._boxes(st))]
        moves += self.conceal_transients()
        fills: list[Animation] = []
        running = np.asarray(st.running, float)
        for cell, share in zip(st.cells, np.ravel(st.shares)):
            cell = (int(cell[0]), int(cell[1]))
            old = self._shown.get(cell)
            if share == 0 and old is not None:
                continue  # it receives nothing: it keeps what it had
            if old is not None:
                moves.append(self.retire(self.grad.numbers, old))
            fills.append(reveal(self._number(cell, float(running[cell]), t.text if share != 0 else t.muted)))
        if not detailed:
            return self.group_step(moves, fills, times=[0.6 * total, 0.4 * total])
        shown = VGroup(self._panel(st).scale(r).move_to(self.panel_area))
        if self.mode == "max":  # the maximum, marked in A
            shown.add(cell_mark(self.input.cell(*(int(x) for x in st.chosen)), t.highlight,
                                side=self.input.cell_size * r))
        return self.group_step(moves, self.show(shown), fills, times=[0.35 * total, 0.35 * total, 0.3 * total])

    def marks(self) -> list[VMobject]:
        return [self.boxes]

    def finish_extras(self) -> list[Animation]:
        """The cells no window covered get their ∂L/∂A (0), muted."""
        rest = []
        for i, j in np.ndindex(self.grad.shape):
            if (i, j) not in self._shown:
                rest.append(reveal(self._number((i, j), float(self.back.grad_input[i, j]), self.theme.muted)))
        return rest

