"""A sliding window built from any window trace of :mod:`cnnviz`, with one animation per output cell."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from manim import (DOWN, LEFT, ORIGIN, RIGHT, UP, Animation, AnimationGroup, Arrow, Rectangle, Square, Succession,
                   Text, Transform, VGroup, VMobject)

from cnnviz.theme import Theme
from cnnviz.trace import ConvTrace, PoolTrace
from cnnviz.values import fmt

from .fades import conceal, reveal
from .grid import NumberGrid, cells_box, taps_box
from .style import FONT, TextBuilder, number_font_size, safe_size

__all__ = ["SlidingWindow", "WindowStep"]

Cell2 = tuple[int, int]

#: cell side (scene units) a window starts from before it is scaled to fit the frame
DEFAULT_CELL = 0.9
#: kept free inside the safe area on each side, for the strokes' half width and antialiasing (scene units)
STROKE_ROOM = 0.05
#: a digit's height in the panel's grid, as a fraction of its (smaller) cell
PANEL_NUMBER_HEIGHT = 0.5


def _room() -> tuple[float, float]:
    sw, sh = safe_size()
    return sw - 2 * STROKE_ROOM, sh - 2 * STROKE_ROOM


@dataclass(frozen=True)
class _Step:
    """One output cell, as drawn: everything read from the trace's step, nothing computed."""

    cells: tuple[Cell2, ...]  # in the drawn (padded) input grid
    out_pos: Cell2
    grid: np.ndarray  # the panel's grid: products (convolution) or the window's values (pooling)
    grid_padding: np.ndarray  # True where the window covers padding
    chosen: int | None  # max pooling: the argmax, an index into ``cells``
    lines: tuple[str, ...]  # the panel's result, e.g. "Σ = 8", "max = 9"
    value: float


@dataclass(frozen=True)
class _View:
    """A trace reduced to what the window draws: 2-D grids (a 1-D trace is one row) and its steps."""

    kind: str  # "conv", "max" or "avg"
    ndim: int  # 1 or 2
    input: np.ndarray
    padding_mask: np.ndarray
    kernel: np.ndarray | None
    output: np.ndarray
    steps: tuple[_Step, ...]
    dilated: bool
    kernel_size: tuple[int, int]
    notes: tuple[str, ...]  # stride, padding, dilation where not the default


def _row(a: np.ndarray, ndim: int) -> np.ndarray:
    return np.asarray(a, float).reshape(1, -1) if ndim == 1 else np.asarray(a, float)


def _cell2(c: tuple[int, ...]) -> Cell2:
    return (0, int(c[0])) if len(c) == 1 else (int(c[0]), int(c[1]))


def _pair_text(p: tuple[int, ...]) -> str:
    return str(p[0]) if len(set(p)) == 1 else "×".join(str(n) for n in p)


def _conv_view(trace: ConvTrace, channel: int, digits: int) -> _View:
    nd = len(trace.stride)
    inp, ker, out, steps = trace.padded_input, trace.kernel, trace.output, list(trace.steps)
    squeeze = lambda a: a  # noqa: E731
    if inp.ndim == nd + 1:  # a channel axis: drawable where each output channel reads one input channel
        c_in, c_in_group, c_out = inp.shape[0], ker.shape[1], ker.shape[0]
        if c_in_group != 1:
            raise ValueError(f"SlidingWindow draws one input channel per output channel; this convolution sums "
                             f"{c_in_group} input channels into each output (draw it with TensorVolume), or pass a "
                             f"single-channel or depthwise trace")
        if not 0 <= channel < c_out:
            raise ValueError(f"channel must be in 0..{c_out - 1} (the output channels), got {channel}")
        group = channel // (c_out // c_in)
        inp, ker, out = inp[group], ker[channel, 0], out[channel]
        steps = [s for s in steps if s.out_channel == channel]
        squeeze = lambda a: a[0]  # noqa: E731
    elif channel != 0:
        raise ValueError(f"this trace has one output channel; channel must be 0, got {channel}")
    k_shape = tuple(np.atleast_2d(ker).shape)
    drawn = []
    for s in steps:
        lines = [f"Σ = {fmt(s.total, digits)}"]
        if s.bias != 0:
            b = fmt(s.bias, digits)
            lines.append(f"Σ + b = {fmt(s.total, digits)} + {f'({b})' if s.bias < 0 else b} = {fmt(s.value, digits)}")
        products = _row(squeeze(s.products), nd)
        drawn.append(_Step(tuple(_cell2(c) for c in s.cells), _cell2(s.out_pos), products,
                           np.asarray(s.is_padding, bool).reshape(products.shape), None, tuple(lines), s.value))
    notes = [f"{name} {_pair_text(v)}" for name, v, default in
             (("stride", trace.stride, 1), ("padding", trace.padding, 0), ("dilation", trace.dilation, 1))
             if any(n != default for n in v)]
    if trace.kernel.ndim == nd + 2 and trace.kernel.shape[0] > 1:
        notes.insert(0, f"output channel {channel + 1} of {trace.kernel.shape[0]}")
    return _View("conv", nd, _row(inp, nd), _row(trace.padding_mask, nd), _row(ker, nd), _row(out, nd),
                 tuple(drawn), any(d > 1 for d in trace.dilation), (k_shape[0], k_shape[1]), tuple(notes))


def _pool_view(trace: PoolTrace, channel: int, digits: int) -> _View:
    inp, out, steps = trace.padded_input, trace.output, list(trace.steps)
    if inp.ndim == 3:
        if not 0 <= channel < inp.shape[0]:
            raise ValueError(f"channel must be in 0..{inp.shape[0] - 1}, got {channel}")
        inp, out = inp[channel], out[channel]
        steps = [s for s in steps if s.channel == channel]
    elif channel != 0:
        raise ValueError(f"this trace has one channel; channel must be 0, got {channel}")
    kh, kw = trace.kernel_size
    drawn = []
    for s in steps:
        line = (f"max = {fmt(s.value, digits)}" if trace.mode == "max"
                else f"Σ ÷ {s.divisor} = {fmt(s.value, digits)}")
        drawn.append(_Step(tuple(_cell2(c) for c in s.cells), _cell2(s.out_pos), np.asarray(s.patch, float),
                           np.asarray(s.is_padding, bool).reshape(kh, kw), s.chosen, (line,), s.value))
    notes = [f"channel {channel + 1} of {trace.padded_input.shape[0]}"] if trace.padded_input.ndim == 3 else []
    if trace.stride != trace.kernel_size:
        notes.append(f"stride {_pair_text(trace.stride)}")
    if any(p != 0 for p in trace.padding):
        notes.append(f"padding {_pair_text(trace.padding)}")
    return _View(trace.mode, 2, np.asarray(inp, float), np.asarray(trace.padding_mask, bool), None,
                 np.asarray(out, float), tuple(drawn), False, (kh, kw), tuple(notes))


class WindowStep(Succession):
    """One step of a :class:`SlidingWindow`: a ``Succession`` whose mobject is the whole window.

    Manim adds an animation's mobject to the scene when the scene does not hold it; an ``AnimationGroup``'s
    mobject is a new group of its members' mobjects, and adding it would take the window's parts out of the
    window (at the scene's top level). This one names the window itself, which the scene already holds.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnviz import max_pool2d_trace
    >>> window = SlidingWindow(max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2))
    >>> step = next(window.steps())
    >>> step.mobject is window, len(step.animations)
    (True, 3)
    """

    def __init__(self, window: SlidingWindow, *animations: Animation, **kwargs: Any) -> None:
        super().__init__(*animations, **kwargs)
        self.mobject = window


class SlidingWindow(VGroup):
    """A window sliding over an input, built from a trace of :mod:`cnnviz`, one animation per output cell.

    Holds the input grid (padding cells grey), the kernel grid (none for pooling) and the output grid (empty
    cells), left to right with ⊗ and = (pooling: an arrow), each named above in its role colour; below them
    the stride, padding and dilation where not the default, and room for the panel of a step. The whole is
    scaled to fit the frame less 5 % on each side and centred.

    :meth:`steps` yields one animation per output cell: the window moves to the step's cells (only the taps
    for a dilated kernel), the panel shows the products and their sum (max pooling: the window's values with
    the maximum marked, here and in the input; mean pooling: the sum over the divisor), and the output cell
    fills in with the step's value. Every number comes from the trace; texts change by fading.

    Parameters
    ----------
    trace
        ``conv1d_trace``, ``conv2d_trace`` (stride, padding, dilation; several channels where each output
        channel reads one input channel, as in depthwise convolution), ``max_pool2d_trace`` or
        ``avg_pool2d_trace``.
    theme
        Colours by role (``None``: :meth:`Theme.dark`). The scene's background is the teacher's to set
        (``self.camera.background_color = theme.background``).
    cell
        The grids' cell side before fitting (``None``: 0.9); the window shrinks to fit the frame.
    detailed
        How many steps show the panel (``None``: every step); later steps only move and fill in, faster.
    text
        The builder of every text (``None``: ``manim.Text``), e.g. a caching one.
    channel
        The output channel to show for a multi-channel trace (its input channel is read from the trace).
    labels
        Name the grids (``names``: three texts, default input/kernel/output) and add the stride/padding note.
    layout
        ``"row"`` (left to right), ``"column"`` (a 1-D convolution's rows stacked) or ``"auto"`` (column for
        1-D when a row would not fit at ``cell``).
    run_time, fast_run_time
        Seconds of a detailed step and of a later one.
    digits
        Decimals numbers are rounded to.
    fit
        Scale to fit the frame (``False``: keep ``cell``; centred either way).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnviz import conv2d_trace
    >>> trace = conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), stride=2, padding=1)
    >>> window = SlidingWindow(trace, theme=Theme.dark())
    >>> window.input.shape, window.kernel.shape, window.output.shape, window.n_steps
    ((6, 6), (3, 3), (2, 2), 4)

    In a scene, play the steps one at a time::

        self.play(FadeIn(window))
        for step in window.steps():
            self.play(step)
    """

    def __init__(self, trace: ConvTrace | PoolTrace, *, theme: Theme | None = None, cell: float | None = None,
                 detailed: int | None = None, text: TextBuilder | None = None, channel: int = 0,
                 labels: bool = True, names: Sequence[str] | None = None, layout: str = "auto",
                 run_time: float = 2.0, fast_run_time: float = 0.6, digits: int = 2, fit: bool = True) -> None:
        super().__init__()
        if isinstance(trace, ConvTrace):
            view = _conv_view(trace, channel, digits)
        elif isinstance(trace, PoolTrace):
            view = _pool_view(trace, channel, digits)
        else:
            raise TypeError(f"SlidingWindow takes a ConvTrace (conv1d_trace, conv2d_trace) or a PoolTrace "
                            f"(max_pool2d_trace, avg_pool2d_trace), not {type(trace).__name__}")
        if layout not in ("auto", "row", "column"):
            raise ValueError(f"layout must be 'auto', 'row' or 'column', not {layout!r}")
        if layout == "column" and view.ndim != 1:
            raise ValueError("layout='column' is for 1-D convolutions")
        if detailed is not None and detailed < 0:
            raise ValueError(f"detailed must be None or >= 0, got {detailed}")
        self.trace, self.view = trace, view
        self.theme = theme or Theme.dark()
        self.text_builder: TextBuilder = text or Text
        self.detailed, self.run_time, self.fast_run_time, self.digits = detailed, run_time, fast_run_time, digits
        self.labels = labels
        default_names = ("input", "kernel", "output") if view.kind == "conv" else ("input", "", "output")
        self.names = tuple(names) if names is not None else default_names
        if len(self.names) != 3:
            raise ValueError(f"names takes three texts (input, kernel, output), got {len(self.names)}")

        start = DEFAULT_CELL if cell is None else float(cell)
        self.layout = layout
        if layout == "auto":
            self.layout = "row"
            if view.ndim == 1:
                self._build(start, numbers=False)
                self.layout = "column" if self.width > _room()[0] else "row"
        scale = 1.0
        if fit:
            self._build(start, numbers=False)
            sw, sh = _room()
            scale = min(1.0, sw / self.width, sh / self.height)
        self._build(start * scale, numbers=True)
        if fit:  # texts do not scale exactly with their font size: the last few thousandths
            sw, sh = _room()
            rest = min(1.0, sw / self.width, sh / self.height)
            if rest < 1:
                self.scale(rest)
        self.move_to(ORIGIN)
        self._done = False

    # ----------------------------------------------------------------- building
    def _t(self, s: str, size: float, color: str, *, font: str = FONT) -> Text:
        return self.text_builder(s, font=font, font_size=size, color=color)

    def _build(self, c: float, *, numbers: bool) -> None:
        """Everything but the steps' panels, at cell side ``c`` (``numbers=False``: empty cells, to measure)."""
        self.submobjects = []
        v, t, tx = self.view, self.theme, self.text_builder
        self.cell_size = c
        self.panel_cell = 0.8 * c
        self.panel_font_size = number_font_size(self.panel_cell, (fmt(x, self.digits) for s in v.steps
                                                                  for x in s.grid.flat), text=tx,
                                                height=PANEL_NUMBER_HEIGHT)
        self.text_size = 36 * c
        # each grid sizes its numbers to its own widest one (font_size=None: derived from the cell)
        kw = dict(theme=t, cell=c, digits=self.digits, text=tx)
        self.input = NumberGrid(v.input, role="input", padding_mask=v.padding_mask, show_values=numbers, **kw)
        self.kernel = (NumberGrid(v.kernel, role="kernel", show_values=numbers, **kw)
                       if v.kernel is not None else None)
        self.output = NumberGrid(v.output, role="output", show_values=False, **kw)
        name_colors = (t.input, t.kernel, t.output)
        if self.layout == "column":
            heads = [self.names[0], f"⊗ {self.names[1]}".strip(), f"= {self.names[2]}".strip()]
            lines = VGroup()
            for head, grid, color in zip(heads, (self.input, self.kernel, self.output), name_colors):
                lines.add(VGroup(self._t(head, self.text_size, color), grid))
            x0 = max(line[0].width for line in lines) + 0.4 * c
            for n, line in enumerate(lines):
                line[1].move_to([x0 + line[1].width / 2, -n * 1.9 * c, 0])
                line[0].next_to(line[1], LEFT, buff=0.4 * c)
            self.ops = VGroup()
            self.name_labels = VGroup(*(line[0] for line in lines)) if self.labels else VGroup()
            if not self.labels:
                for line in lines:
                    line.remove(line[0])
            self.body = lines
        else:
            if v.kind == "conv":
                self.ops = VGroup(self._t("⊗", 60 * c, t.text), self._t("=", 60 * c, t.text))
                items = [self.input, self.ops[0], self.kernel, self.ops[1], self.output]
            else:
                what = "max" if v.kind == "max" else "mean"
                arrow = Arrow(ORIGIN, RIGHT * 2.2 * c, color=t.text, buff=0, stroke_width=4,
                              max_tip_length_to_length_ratio=0.2)
                op = self._t(f"{what} {v.kernel_size[0]}×{v.kernel_size[1]}", self.text_size, t.text)
                op.next_to(arrow, UP, buff=0.15 * c)
                self.ops = VGroup(arrow, op)
                items = [self.input, self.ops, self.output]
            self.body = VGroup(*items).arrange(RIGHT, buff=0.5 * c)
            if v.kind != "conv":  # the arrow at the grids' middle height, its name above it
                self.ops.shift(UP * (self.input.get_center()[1] - arrow.get_center()[1]))
            self.name_labels = VGroup()
            if self.labels:
                for grid, name, color in zip((self.input, self.kernel, self.output), self.names, name_colors):
                    if grid is not None and name:
                        self.name_labels.add(self._t(name, self.text_size, color).next_to(grid, UP, buff=0.2 * c))
        self.add(self.body, self.name_labels)
        below: VMobject = self.body
        self.note = VGroup()
        if self.labels and v.notes:
            self.note = self._t(" · ".join(v.notes), 0.85 * self.text_size, t.muted).next_to(self.body, DOWN,
                                                                                          buff=0.35 * c)
            self.add(self.note)
            below = self.note
        # room for the panels (invisible): the widest step's panel, measured
        widest = max(v.steps, key=lambda s: sum(len(x) for x in s.lines))
        sample = self._panel(widest, numbers=False)
        self.panel_area = Rectangle(width=sample.width, height=sample.height, stroke_opacity=0, stroke_width=0)
        self.panel_area.next_to(below, DOWN, buff=0.6 * c)
        self.add(self.panel_area)
        first = v.steps[0]
        self.window = self._window_at(first).set_opacity(0.0)
        self.out_box = cells_box(self.output, [first.out_pos], t.output).set_opacity(0.0)
        self.transients = VGroup()
        self.add(self.window, self.out_box, self.transients)
        self._concealed: list[VMobject] = []

    def _window_at(self, step: _Step) -> VMobject:
        if self.view.dilated:
            return taps_box(self.input, step.cells, self.theme.kernel)
        return cells_box(self.input, step.cells, self.theme.kernel)

    def _panel(self, step: _Step, *, numbers: bool = True) -> VGroup:
        """The step's working at the nominal size (not placed): products and sum, or the pooled window."""
        t, c = self.theme, self.cell_size
        if self.view.kind == "conv":
            head = self._t(f"{self.names[0] or 'input'} ⊙ {self.names[1] or 'kernel'} =", self.text_size, t.text)
            grid = NumberGrid(step.grid, theme=t, role="highlight", cell=self.panel_cell,
                              font_size=self.panel_font_size, fill_opacity=0.08, digits=self.digits,
                              padding_mask=step.grid_padding, show_values=numbers, text=self.text_builder)
        else:
            head = self._t("window", self.text_size, t.text)
            grid = NumberGrid(step.grid, theme=t, role="input", cell=self.panel_cell, font_size=self.panel_font_size,
                              padding_mask=step.grid_padding, digits=self.digits, show_values=numbers,
                              text=self.text_builder)
            if step.chosen is not None:
                i, j = divmod(step.chosen, step.grid.shape[1])
                grid.add(Square(side_length=self.panel_cell * 0.8, color=t.highlight, stroke_width=4)
                         .move_to(grid.cell(i, j).get_center()))
        result = VGroup(*(self._t(line, self.text_size, t.output) for line in step.lines))
        result.arrange(DOWN, buff=0.2 * c, aligned_edge=LEFT)
        return VGroup(head, grid, result).arrange(RIGHT, buff=0.35 * c)

    # ----------------------------------------------------------------- steps
    @property
    def n_steps(self) -> int:
        """The number of steps (output cells)."""
        return len(self.view.steps)

    def _scale_now(self) -> float:
        """How much the window was scaled since it was built (a teacher may scale it)."""
        return float(self.output.cell(0, 0).width / self.output.cell_size)

    def _drop_concealed(self) -> None:
        for mob in self._concealed:
            self.transients.remove(mob)
        self._concealed = []

    def step(self, n: int) -> WindowStep:
        """The animation of step ``n`` (in order: each expects the previous ones to have played)."""
        v, t = self.view, self.theme
        st = v.steps[n]
        r = self._scale_now()
        detailed = self.detailed is None or n < self.detailed
        total = self.run_time if detailed else self.fast_run_time
        moves: list[Animation] = [Transform(self.window, self._window_at(st)),
                                  Transform(self.out_box, cells_box(self.output, [st.out_pos], t.output))]
        for old in list(self.transients):
            if old not in self._concealed:
                moves.append(conceal(old))
                self._concealed.append(old)
        value = self.output.number_for(*st.out_pos, st.value).scale(r)
        self.output.numbers.add(value)
        self.output._number_at[st.out_pos] = value
        if not detailed:
            return WindowStep(self, AnimationGroup(*moves, run_time=0.6 * total),
                              reveal(value, run_time=0.4 * total))
        shown = VGroup(self._panel(st).scale(r).move_to(self.panel_area))
        if st.chosen is not None:
            shown.add(Square(side_length=self.input.cell_size * r * 0.8, color=t.highlight, stroke_width=4)
                      .move_to(self.input.cell(*st.cells[st.chosen]).get_center()))
        self.transients.add(shown)
        return WindowStep(self, AnimationGroup(*moves, run_time=0.35 * total),
                          reveal(shown, run_time=0.35 * total), reveal(value, run_time=0.3 * total))

    def steps(self) -> Iterator[WindowStep]:
        """One animation per output cell, in the trace's order; play each before taking the next.

        Each is a :class:`WindowStep` (a :class:`~manim.Succession`): the window (and the output cell's
        outline) moves, the panel fades in, the output number fades in. A second call yields nothing (the
        output is filled).
        """
        if self._done:
            return
        self._done = True
        for n in range(len(self.view.steps)):
            self._drop_concealed()
            yield self.step(n)
        self._drop_concealed()

    def conclude(self, **kwargs: Any) -> WindowStep:
        """The animation that fades out the window, the output cell's outline and the last panel, leaving
        the filled grids."""
        anims = [conceal(self.window), conceal(self.out_box)]
        anims += [conceal(m) for m in self.transients if m not in self._concealed]
        self._concealed += [m for m in self.transients if m not in self._concealed]
        return WindowStep(self, AnimationGroup(*anims), **kwargs)
