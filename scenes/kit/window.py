"""A sliding window built from any window trace of :mod:`cnnviz`, with one animation per output cell."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from manim import (DOWN, ITALIC, LEFT, ORIGIN, RIGHT, UP, Animation, AnimationGroup, Arrow, Rectangle, Square,
                   Succession, Text, Transform, VGroup, VMobject, Wait)

from cnnviz.theme import Theme
from cnnviz.trace import ConvTrace, PoolTrace
from cnnviz.values import fmt

from .fades import conceal, reveal
from .grid import NumberGrid, cell_mark, cells_box, taps_box
from .style import (FONT, MONO, NUMBER_HEIGHT, TextBuilder, _size_at_100, legible_cell, legible_font_size,
                    number_font_size, safe_size)

__all__ = ["WORDS", "SlidingWindow", "WindowStep"]

Cell2 = tuple[int, int]
Region = tuple[float, float, float, float]

#: cell side (scene units) a window starts from before it is scaled to fit the frame
DEFAULT_CELL = 0.9
#: kept free inside the safe area on each side, for the strokes' half width and antialiasing (scene units)
STROKE_ROOM = 0.05
#: a digit's height in the panel's grid, as a fraction of its (smaller) cell
PANEL_NUMBER_HEIGHT = 0.5
#: a subscript's size as a fraction of its letter's (x₁, w₂, a₃)
SUBSCRIPT = 0.8
#: a subscripted name's letter size as a fraction of the text size (its subscript digits as tall as a number's)
INDEXED = 1.2
#: fitting may shrink the built window by this much at most: its smallest texts stay legible (16 px at 480
#: lines, less 0.5 px); a window that would need more does not fit its room legibly and is refused
FIT_SLACK = 0.97

#: the window's own words by language: the grids' names, the panel's head, the notes below the grids
WORDS: dict[str, dict[str, str]] = {
    "en": {"input": "input", "kernel": "kernel", "output": "output", "window": "window", "max": "max",
           "mean": "mean", "stride": "stride {}", "padding": "padding {}", "dilation": "dilation {}",
           "field": "receptive field {}", "out_channel": "output channel {} of {}", "channel": "channel {} of {}"},
    "zh": {"input": "输入", "kernel": "卷积核", "output": "输出", "window": "窗口", "max": "最大值",
           "mean": "平均值", "stride": "步长 {}", "padding": "补零 {}", "dilation": "膨胀率 {}",
           "field": "感受野 {}", "out_channel": "输出通道 {}/{}", "channel": "通道 {}/{}"},
}

LAYOUTS = ("auto", "row", "column", "stacked")
PANELS = ("below", "aside", "auto")
WORKINGS = ("grid", "sum")


def _measure_in_order(text: TextBuilder, strings: Sequence[str]) -> None:
    """Measure the numbers a window sizes its fonts by, in a fixed order, before it sizes them.

    :func:`~scenes.kit.style.number_font_size` measures each distinct string once, in the order of a set, which
    changes from one process to the next (the hash seed): a caching text builder would see the same texts in
    another order in each render. Measured first here (once per builder, font and string), it measures none.
    """
    for s in dict.fromkeys(["0", *sorted(set(strings))]):
        _size_at_100(text, s, MONO)


def _room(region: Region | None) -> tuple[float, float]:
    if region is None:
        sw, sh = safe_size()
    else:
        sw, sh = region[2] - region[0], region[3] - region[1]
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
    patch: np.ndarray | None = None  # convolution: the window's values and the kernel's, tap by tap
    weights: np.ndarray | None = None
    total: float = 0.0


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
    notes: tuple[tuple[str, tuple[Any, ...]], ...]  # (word, arguments): stride, padding, dilation, channel
    dilated_kernel: np.ndarray | None = None  # the kernel spread apart, zeros in the holes, and where its taps are
    footprint: np.ndarray | None = None
    stride: tuple[int, ...] = (1,)


def _row(a: np.ndarray, ndim: int) -> np.ndarray:
    return np.asarray(a, float).reshape(1, -1) if ndim == 1 else np.asarray(a, float)


def _cell2(c: tuple[int, ...]) -> Cell2:
    return (0, int(c[0])) if len(c) == 1 else (int(c[0]), int(c[1]))


def _pair_text(p: tuple[int, ...]) -> str:
    return str(p[0]) if len(set(p)) == 1 else "×".join(str(n) for n in p)


def _conv_view(trace: ConvTrace, channel: int, digits: int) -> _View:
    nd = len(trace.stride)
    inp, ker, out, steps = trace.padded_input, trace.kernel, trace.output, list(trace.steps)
    spread = trace.dilated_kernel
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
        inp, ker, out, spread = inp[group], ker[channel, 0], out[channel], spread[channel, 0]
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
                           np.asarray(s.is_padding, bool).reshape(products.shape), None, tuple(lines), s.value,
                           np.ravel(squeeze(s.patch)), np.ravel(squeeze(s.kernel)), float(s.total)))
    notes: list[tuple[str, tuple[Any, ...]]] = [
        (name, (_pair_text(v),)) for name, v, default in
        (("stride", trace.stride, 1), ("padding", trace.padding, 0), ("dilation", trace.dilation, 1))
        if any(n != default for n in v)]
    if trace.kernel.ndim == nd + 2 and trace.kernel.shape[0] > 1:
        notes.insert(0, ("out_channel", (channel + 1, trace.kernel.shape[0])))
    return _View("conv", nd, _row(inp, nd), _row(trace.padding_mask, nd).astype(bool), _row(ker, nd), _row(out, nd),
                 tuple(drawn), any(d > 1 for d in trace.dilation), (k_shape[0], k_shape[1]), tuple(notes),
                 _row(spread, nd), _row(trace.footprint, nd).astype(bool), tuple(trace.stride))


def _pool_view(trace: PoolTrace, channel: int, digits: int, language: str = "en") -> _View:
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
        line = (f"{WORDS[language]['max']} = {fmt(s.value, digits)}" if trace.mode == "max"
                else f"Σ ÷ {s.divisor} = {fmt(s.value, digits)}")
        drawn.append(_Step(tuple(_cell2(c) for c in s.cells), _cell2(s.out_pos), np.asarray(s.patch, float),
                           np.asarray(s.is_padding, bool).reshape(kh, kw), s.chosen, (line,), s.value))
    notes: list[tuple[str, tuple[Any, ...]]] = []
    if trace.padded_input.ndim == 3:
        notes.append(("channel", (channel + 1, trace.padded_input.shape[0])))
    if trace.stride != trace.kernel_size:
        notes.append(("stride", (_pair_text(trace.stride),)))
    if any(p != 0 for p in trace.padding):
        notes.append(("padding", (_pair_text(trace.padding),)))
    return _View(trace.mode, 2, np.asarray(inp, float), np.asarray(trace.padding_mask, bool), None,
                 np.asarray(out, float), tuple(drawn), False, (kh, kw), tuple(notes), stride=tuple(trace.stride))


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
    scaled to fit the frame less 5 % on each side (or ``region``) and centred there.

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
        ``"row"`` (left to right), ``"column"`` (a 1-D convolution's rows stacked), ``"stacked"`` (1-D: the
        kernel rides under the input, each output under the middle of its window when the stride is 1) or
        ``"auto"`` (column for 1-D when a row would not fit at ``cell``).
    run_time, fast_run_time
        Seconds of a detailed step and of a later one.
    digits
        Decimals numbers are rounded to.
    fit
        Scale to fit the frame or ``region`` (``False``: keep ``cell``; centred either way).
    language
        ``"en"`` or ``"zh"``: the window's own words (default names, panel head, notes; :data:`WORDS`).
    symbols
        Three letters for input, kernel and output (e.g. ``("A", "W", "Z")``): the default names become
        "input A", "kernel W", "output Z" (in ``language``) and the panel's head "A ⊙ W =".
    indices
        1-D convolution: each cell named by its symbol and index (x₁ x₂ … over the input, w₁ … under the
        kernel, a₁ … under the output); needs ``symbols``.
    region
        ``(left, bottom, right, top)`` in scene units to fit into and centre in, instead of the frame less
        5 %: room left free for a title, a caption band or a formula.
    panel
        Where a step's panel goes: ``"below"`` the grids, ``"aside"`` (under the kernel and the output, right
        of a tall input; the grids' tops aligned) or ``"auto"`` (whichever lets the window be larger).
    working
        A convolution panel's working: ``"grid"`` (the products as a grid, then their sum) or ``"sum"`` (the
        products written out as a sum: ``1×1 + 2×0 + 0×(-1) = 1``; with ``indices``, the symbols above).
    field
        The receptive field's size (as the caller's values give it; an int is square in 2-D): noted below the
        grids ("receptive field 3×3").
    holes
        Draw a dilated kernel spread apart, with its holes (the ``"stacked"`` layout always does).
    run_times
        Seconds of each step (one per output cell), instead of ``run_time`` and ``fast_run_time``.
    hold
        Seconds a detailed step's finished panel stays before the step ends (reading time).
    text_size
        The font size of names, notes and the panel's texts (``None``: derived from the cell, 36 × cell).
    note
        Show the note below the grids (stride, padding, dilation, ``field``); ``False`` where the names say it.
    number_height
        A digit's height as a fraction of a grid's cell (``None``: :data:`~scenes.kit.style.NUMBER_HEIGHT`,
        0.43; a panel's digits in proportion), for a large input whose cells are small.
    legible
        Keep every number and text at least 16 px tall at 480 lines (below); ``False``: sizes from the cell
        alone.

    Legibility: nothing the window writes is under 16 px tall at 480 lines. A grid whose widest number would
    be smaller in ``cell`` gets wider cells (a mean pooling's ``3.25``), the panel's grid likewise; names,
    notes and the panel's lines are at least that large (``text_size`` is a smallest size for them, as is
    the size derived from the cell). With ``fit``, a window that cannot fit its room legibly raises
    ``ValueError`` rather than shrink its texts. ``legible=False`` sizes everything from the cell alone, as
    small as fitting makes it (e.g. for a still at a higher resolution).

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

    A lecture's scene names the grids, keeps the title and caption bands free, shows the grids in two
    stages and opens a section per detailed step::

        window = SlidingWindow(trace, language="zh", symbols=("A", "W", "Z"), region=(-6.4, -3.1, 6.4, 3.0),
                               panel="auto", detailed=3, run_times=[3, 3, 3, 1, 0.6, 0.4], hold=0.5)
        first, rest = window.reveal("input"), window.reveal("kernel", "output", "note")
        self.add(window)
        self.play(first)
        self.play(rest)
        for step in window.steps(section=self.next_section):
            self.play(step)
        self.play(window.conclude())
    """

    def __init__(self, trace: ConvTrace | PoolTrace, *, theme: Theme | None = None, cell: float | None = None,
                 detailed: int | None = None, text: TextBuilder | None = None, channel: int = 0,
                 labels: bool = True, names: Sequence[str] | None = None, layout: str = "auto",
                 run_time: float = 2.0, fast_run_time: float = 0.6, digits: int = 2, fit: bool = True,
                 language: str = "en", symbols: Sequence[str] | None = None, indices: bool = False,
                 region: Region | None = None, panel: str = "below", working: str = "grid",
                 field: int | Sequence[int] | None = None, holes: bool = False,
                 run_times: Sequence[float] | None = None, hold: float = 0.0,
                 text_size: float | None = None, note: bool = True, number_height: float | None = None,
                 legible: bool = True) -> None:
        super().__init__()
        if language not in WORDS:
            raise ValueError(f"language must be one of {sorted(WORDS)}, not {language!r}")
        if isinstance(trace, ConvTrace):
            view = _conv_view(trace, channel, digits)
        elif isinstance(trace, PoolTrace):
            view = _pool_view(trace, channel, digits, language)
        else:
            raise TypeError(f"SlidingWindow takes a ConvTrace (conv1d_trace, conv2d_trace) or a PoolTrace "
                            f"(max_pool2d_trace, avg_pool2d_trace), not {type(trace).__name__}")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be 'auto', 'row', 'column' or 'stacked', not {layout!r}")
        if layout in ("column", "stacked") and (view.ndim != 1 or view.kind != "conv"):
            raise ValueError(f"layout={layout!r} is for 1-D convolutions")
        if panel not in PANELS:
            raise ValueError(f"panel must be 'below', 'aside' or 'auto', not {panel!r}")
        if working not in WORKINGS:
            raise ValueError(f"working must be 'grid' or 'sum', not {working!r}")
        if working == "sum" and view.kind != "conv":
            raise ValueError("working='sum' writes out a convolution's products; pooling has none")
        if detailed is not None and detailed < 0:
            raise ValueError(f"detailed must be None or >= 0, got {detailed}")
        if symbols is not None and len(symbols) != 3:
            raise ValueError(f"symbols takes three letters (input, kernel, output), got {len(symbols)}")
        if indices and (symbols is None or view.ndim != 1 or view.kind != "conv"):
            raise ValueError("indices name the cells of a 1-D convolution by its symbols: pass symbols=(…, …, …)")
        if run_times is not None and len(run_times) != len(view.steps):
            raise ValueError(f"run_times takes one time per step ({len(view.steps)}), got {len(run_times)}")
        if region is not None and not (region[0] < region[2] and region[1] < region[3]):
            raise ValueError(f"region is (left, bottom, right, top) with left < right and bottom < top: {region}")
        self.trace, self.view = trace, view
        self.theme = theme or Theme.dark()
        self.text_builder: TextBuilder = text or Text
        self.detailed, self.run_time, self.fast_run_time, self.digits = detailed, run_time, fast_run_time, digits
        self.labels, self.language, self.indices, self.working = labels, language, indices, working
        self.region, self.field, self.hold, self.fixed_text_size = region, field, hold, text_size
        self.show_note, self.number_height, self.legible = note, number_height, legible
        self.run_times = None if run_times is None else [float(r) for r in run_times]
        self.holes = (holes or layout == "stacked") and view.dilated and view.kind == "conv"
        words = WORDS[language]
        self.symbols = tuple(symbols) if symbols is not None else None
        roles = ("input", "kernel", "output")
        if names is not None:
            self.names = tuple(names)
        elif self.symbols is not None:
            self.names = tuple(f"{words[r]} {s}" for r, s in zip(roles, self.symbols))
        else:
            self.names = tuple(words[r] for r in roles)
        if view.kind != "conv" and names is None:
            self.names = (self.names[0], "", self.names[2])
        if len(self.names) != 3:
            raise ValueError(f"names takes three texts (input, kernel, output), got {len(self.names)}")

        numbers = [view.input, view.output, *(s.grid for s in view.steps)]
        if view.kernel is not None:
            numbers.append(view.kernel)
        _measure_in_order(self.text_builder, [fmt(x, digits) for a in numbers for x in np.ravel(a) if np.isfinite(x)])
        start = DEFAULT_CELL if cell is None else float(cell)
        self.layout = layout
        if layout == "auto":
            self.layout = "row"
            if view.ndim == 1:
                self.panel_place = "below"
                self._build(start, numbers=False)
                self.layout = "column" if self.width > _room(region)[0] else "row"
        self.panel_place = panel if panel != "auto" else "below"
        if panel == "auto":
            scales = {}
            for place in ("below", "aside"):
                self.panel_place = place
                self._build(start, numbers=False)
                scales[place] = self._fit_scale()
            self.panel_place = max(scales, key=lambda p: (scales[p], p == "below"))
        scale = 1.0
        if fit:  # texts and cells held at a legible size do not scale with the cells: a few rounds
            for _ in range(5):
                self._build(start * scale, numbers=False)
                shrink = self._fit_scale()
                scale *= shrink
                if shrink > 0.999:
                    break
        self._build(start * scale, numbers=True)
        if fit:  # texts do not scale exactly with their font size: the last few thousandths
            rest = self._fit_scale()
            if legible and rest < FIT_SLACK:
                sw, sh = _room(region)
                raise ValueError(
                    f"this window does not fit {'the frame' if region is None else f'region {region}'} with its "
                    f"numbers and texts legible (16 px at 480 lines): at the smallest legible size it is "
                    f"{self.width:.2f} × {self.height:.2f} scene units, the room {sw:.2f} × {sh:.2f}; give it "
                    f"more room, fewer digits, a smaller trace, or detailed=0 (no panel)")
            if rest < 1:
                self.scale(rest)
        self.move_to(ORIGIN if region is None else [(region[0] + region[2]) / 2, (region[1] + region[3]) / 2, 0])
        self._done = False

    def _fit_scale(self) -> float:
        sw, sh = _room(self.region)
        return min(1.0, sw / self.width, sh / self.height)

    # ----------------------------------------------------------------- building
    def _t(self, s: str, size: float, color: str, *, font: str = FONT, **kwargs: Any) -> Text:
        """A text at font size ``size``, or larger where its tallest glyph would be under 16 px at 480 lines."""
        if self.legible:
            size = max(size, legible_font_size([s], text=self.text_builder, font=font))
        return self.text_builder(s, font=font, font_size=size, color=color, **kwargs)

    def _symbol(self, base: str, index: int, size: float, color: str) -> VGroup:
        """``base`` with the subscript ``index`` (x₁, w₂, a₃): two plain texts."""
        b = self._t(base, size, color, slant=ITALIC)
        i = self._t(str(index), size * SUBSCRIPT, color)
        i.next_to(b, RIGHT, buff=0.03).align_to(b, DOWN).shift(DOWN * size * 0.004)
        return VGroup(b, i)

    def _kernel_grid(self, c: float, numbers: bool) -> NumberGrid:
        v, t, tx = self.view, self.theme, self.text_builder
        cell, font = self._sized(v.kernel, c)
        if not self.holes:
            return NumberGrid(v.kernel, theme=t, role="kernel", cell=cell, digits=self.digits, text=tx,
                              show_values=numbers, font_size=font)
        assert v.dilated_kernel is not None and v.footprint is not None
        grid = NumberGrid(v.dilated_kernel, theme=t, role="kernel", cell=cell, digits=self.digits, text=tx,
                          show_values=False, font_size=font)
        for i, j in np.ndindex(*grid.shape):
            if v.footprint[i, j]:
                if numbers:
                    num = grid.number_for(i, j, v.dilated_kernel[i, j])
                    grid.numbers.add(num)
                    grid._number_at[(i, j)] = num
            else:
                grid.cell(i, j).set_stroke(t.muted, width=1).set_fill(opacity=0)
        return grid

    def _sized(self, values: np.ndarray | None, c: float) -> tuple[float, float]:
        """A grid's cell side and font size at the window's cell ``c``: ``c``, or wider where the grid's widest
        number would not be legible in ``c`` (each grid sizes its numbers to its own widest one)."""
        strings = [] if values is None else [fmt(x, self.digits) for x in np.ravel(values) if np.isfinite(x)]
        height = NUMBER_HEIGHT if self.number_height is None else self.number_height
        cell = max(c, legible_cell(strings, text=self.text_builder, height=height)) if self.legible else c
        return cell, number_font_size(cell, strings, text=self.text_builder, height=height)

    def _build(self, c: float, *, numbers: bool) -> None:
        """Everything but the steps' panels, at cell side ``c`` (``numbers=False``: empty cells, to measure)."""
        self.submobjects = []
        v, t, tx = self.view, self.theme, self.text_builder
        self.cell_size = c
        panel_height = PANEL_NUMBER_HEIGHT * (1.0 if self.number_height is None else
                                              self.number_height / NUMBER_HEIGHT)
        panel_numbers = [fmt(x, self.digits) for s in v.steps for x in s.grid.flat if np.isfinite(x)]
        self.panel_cell = 0.8 * c
        if self.legible:
            self.panel_cell = max(self.panel_cell, legible_cell(panel_numbers, text=tx, height=panel_height))
        self.panel_font_size = number_font_size(self.panel_cell, panel_numbers, text=tx, height=panel_height)
        self.text_size = 36 * c if self.fixed_text_size is None else float(self.fixed_text_size)
        # each grid sizes its numbers to its own widest one, its cells widened where that would not be legible;
        # the stacked layout's grids share one cell (each output under the middle of its window)
        grid_c = c
        if self.layout == "stacked":
            grid_c = max(self._sized(a, c)[0] for a in (v.input, v.kernel, v.output))
        kw = dict(theme=t, digits=self.digits, text=tx)
        cell, font = self._sized(v.input, grid_c)
        self.input = NumberGrid(v.input, role="input", padding_mask=v.padding_mask, show_values=numbers, cell=cell,
                                font_size=font, **kw)
        self.kernel = self._kernel_grid(grid_c, numbers) if v.kernel is not None else None
        cell, font = self._sized(v.output, grid_c)
        self.output = NumberGrid(v.output, role="output", show_values=False, cell=cell, font_size=font, **kw)
        self.cell_names = VGroup()
        name_colors = (t.input, t.kernel, t.output)
        grids = (self.input, self.kernel, self.output)
        self._parts: dict[str, list[VMobject]] = {"input": [self.input], "kernel": [], "output": [self.output]}
        if self.kernel is not None:
            self._parts["kernel"].append(self.kernel)
        right: VMobject | None = None  # the grids right of the input (a panel "aside" goes under them)
        if self.layout in ("column", "stacked"):
            self.ops = VGroup()
            self._build_lines(c)
        else:
            if v.kind == "conv":
                self.ops = VGroup(self._t("⊗", 60 * c, t.text), self._t("=", 60 * c, t.text))
                items = [self.input, self.ops[0], self.kernel, self.ops[1], self.output]
                self._parts["kernel"].append(self.ops[0])
                self._parts["output"].append(self.ops[1])
            else:
                what = WORDS[self.language]["max" if v.kind == "max" else "mean"]
                arrow = Arrow(ORIGIN, RIGHT * 2.2 * c, color=t.text, buff=0, stroke_width=4,
                              max_tip_length_to_length_ratio=0.2)
                op = self._t(f"{what} {v.kernel_size[0]}×{v.kernel_size[1]}", self.text_size, t.text)
                op.next_to(arrow, UP, buff=0.15 * c)
                self.ops = VGroup(arrow, op)
                items = [self.input, self.ops, self.output]
                self._parts["output"].append(self.ops)
            self.body = VGroup(*items).arrange(RIGHT, buff=0.5 * c)
            if v.kind != "conv":  # the arrow at the grids' middle height, its name above it
                self.ops.shift(UP * (self.input.get_center()[1] - arrow.get_center()[1]))
            if self.panel_place == "aside":  # the grids' tops level with the input's, the operators at the kernel's
                right = VGroup(*items[1:])        # middle height (pooling: the output's)
                for g in grids[1:]:
                    if g is not None:
                        g.shift(UP * (self.input.get_top()[1] - g.get_top()[1]))
                self.ops.shift(UP * ((self.output if self.kernel is None else self.kernel).get_y() - self.ops[0].get_y()))
            self.name_labels = VGroup()
            if self.labels:
                named: list[tuple[VMobject, VMobject]] = []
                for grid, name, color, part in zip(grids, self.names, name_colors, ("input", "kernel", "output")):
                    if grid is not None and name:
                        label = self._t(name, self.text_size, color).next_to(grid, UP, buff=0.2 * c)
                        self.name_labels.add(label)
                        self._parts[part].append(label)
                        named.append((grid, label))
                # names wider than their grids: move the later grids right until the names clear each other,
                # the operator between them to the middle of the new gap
                for (g1, l1), (g2, l2) in zip(named, named[1:]):
                    short = l1.get_right()[0] + 0.3 * c - l2.get_left()[0]
                    if short > 0:
                        later = items[items.index(g1) + 1:]
                        for m in later + [label for g, label in named if g in later]:
                            m.shift(RIGHT * short)
                        for m in later[:later.index(g2)]:
                            m.shift(LEFT * short / 2)
        self.add(self.body, self.name_labels, self.cell_names)
        below: VMobject = self.body if right is None else right
        if self.layout == "stacked" and self.indices:  # the output's cell names hang below it
            below = VGroup(self.body, self.cell_names)
        self.note = VGroup()
        notes = [WORDS[self.language][word].format(*args) for word, args in v.notes]
        if self.field is not None:
            size = [int(self.field)] * v.ndim if np.isscalar(self.field) else [int(f) for f in self.field]
            notes.append(WORDS[self.language]["field"].format("×".join(map(str, size))))
        if self.labels and self.show_note and notes:
            size = 0.85 * self.text_size if self.fixed_text_size is None else self.text_size  # (fixed: legible)
            self.note = self._t(" · ".join(notes), size, t.muted).next_to(below, DOWN, buff=0.35 * c)
            self.add(self.note)
            below = self.note
        # room for the panels (invisible): the widest and the tallest of the steps that show one, measured (of
        # many, the few with the longest texts)
        shown = [s for n, s in enumerate(v.steps) if self.is_detailed(n)] or [v.steps[0]]
        shown = sorted(shown, key=lambda s: -sum(len(x) for x in s.lines) - (
            sum(len(fmt(x, self.digits)) for x in s.grid.flat) if self.working == "sum" else 0))[:4]
        samples = [self._panel(s, numbers=False) for s in shown]
        self.panel_area = Rectangle(width=max(m.width for m in samples), height=max(m.height for m in samples),
                                    stroke_opacity=0, stroke_width=0)
        self.panel_area.next_to(below, DOWN, buff=0.6 * c)
        if right is not None:  # under the grids right of the input, clear of the input
            self.panel_area.set_x(right.get_x())
            clear = self.input.get_right()[0] + 0.5 * c - self.panel_area.get_left()[0]
            if clear > 0:
                self.panel_area.shift(RIGHT * clear)
        self.add(self.panel_area)
        self._parts["note"] = [self.note]
        first = v.steps[0]
        self.window = self._window_at(first).set_opacity(0.0)
        self.out_box = cells_box(self.output, [first.out_pos], t.output).set_opacity(0.0)
        self.transients = VGroup()
        self.add(self.window, self.out_box, self.transients)
        self._concealed: list[VMobject] = []

    def _build_lines(self, c: float) -> None:
        """The 1-D layouts: input, kernel and output one under the other, each named at its left."""
        v, t = self.view, self.theme
        name_colors = (t.input, t.kernel, t.output)
        grids = (self.input, self.kernel, self.output)
        if self.layout == "column":
            heads = [self.names[0], f"⊗ {self.names[1]}".strip(), f"= {self.names[2]}".strip()]
            lines = VGroup()
            for head, grid, color in zip(heads, grids, name_colors):
                lines.add(VGroup(self._t(head, self.text_size, color), grid))
            x0 = max(line[0].width for line in lines) + 0.4 * c
            for n, line in enumerate(lines):
                line[1].move_to([x0 + line[1].width / 2, -n * 1.9 * c, 0])
                line[0].next_to(line[1], LEFT, buff=0.4 * c)
        else:  # stacked: the kernel under the first window; each output under its window's middle (stride 1)
            lines = VGroup(*(VGroup(self._t(name, self.text_size, color), grid)
                             for name, grid, color in zip(self.names, grids, name_colors)))
            first = v.steps[0]
            self.kernel.next_to(self.input, DOWN, buff=0.08 * c)
            self.kernel.shift(RIGHT * (self.input.cell(*first.cells[0]).get_left()[0] - self.kernel.get_left()[0]))
            size = INDEXED * self.text_size
            index_room = (self._symbol("w", 1, size, t.kernel).height + 0.12 * c) if self.indices else 0.0
            self.output.next_to(self.kernel, DOWN, buff=0.35 * c + index_room)
            if v.stride == (1,):
                middle = VGroup(*(self.input.cell(*cell) for cell in first.cells)).get_center()[0]
                self.output.shift(RIGHT * (middle - self.output.cell(0, 0).get_center()[0]))
            else:
                self.output.set_x(self.input.get_x())
            left = min(g.get_left()[0] for g in grids)
            for line, grid in zip(lines, grids):
                line[0].move_to([left - 0.4 * c - line[0].width / 2, grid.get_y(), 0])
            if self.indices:
                assert self.symbols is not None
                for grid, base, color, side, part in zip(grids, self.symbols, name_colors, (UP, DOWN, DOWN),
                                                         ("input", "kernel", "output")):
                    taps = [(i, j) for i, j in np.ndindex(*grid.shape)  # x₁ is the first cell that is no padding
                            if not (grid is self.input and v.padding_mask[i, j])
                            and not (grid is self.kernel and self.holes and not v.footprint[i, j])]
                    names = VGroup(*(self._symbol(base, n + 1, size, color).next_to(grid.cell(i, j), side,
                                                                                     buff=0.12 * c)
                                     for n, (i, j) in enumerate(taps)))
                    self.cell_names.add(names)
                    self._parts[part].append(names)
                    if grid is self.kernel:
                        self.kernel_names = names
        self.body = VGroup(*(line[1] for line in lines))
        self.name_labels = VGroup(*(line[0] for line in lines)) if self.labels else VGroup()
        for part, label in zip(("input", "kernel", "output"), self.name_labels):
            self._parts[part].append(label)
        self.body = lines if self.layout == "column" else self.body
        if not self.labels and self.layout == "column":
            for line in lines:
                line.remove(line[0])

    def _window_at(self, step: _Step) -> VMobject:
        if self.view.dilated:
            return taps_box(self.input, step.cells, self.theme.kernel)
        return cells_box(self.input, step.cells, self.theme.kernel)

    def _head(self) -> str:
        if self.symbols is not None:
            return f"{self.symbols[0]} ⊙ {self.symbols[1]} ="
        return f"{self.names[0] or 'input'} ⊙ {self.names[1] or 'kernel'} ="

    def _panel(self, step: _Step, *, numbers: bool = True) -> VGroup:
        """The step's working at the nominal size (not placed): products and sum, or the pooled window."""
        t, c = self.theme, self.cell_size
        if self.view.kind == "conv" and self.working == "sum":
            return self._sum_panel(step)
        if self.view.kind == "conv":
            head = self._t(self._head(), self.text_size, t.text)
            grid = NumberGrid(step.grid, theme=t, role="highlight", cell=self.panel_cell,
                              font_size=self.panel_font_size, fill_opacity=0.08, digits=self.digits,
                              padding_mask=step.grid_padding, show_values=numbers, text=self.text_builder)
        else:
            head = self._t(WORDS[self.language]["window"], self.text_size, t.text)
            grid = NumberGrid(step.grid, theme=t, role="input", cell=self.panel_cell, font_size=self.panel_font_size,
                              padding_mask=step.grid_padding, digits=self.digits, show_values=numbers,
                              text=self.text_builder)
            if step.chosen is not None:
                i, j = divmod(step.chosen, step.grid.shape[1])
                grid.add(cell_mark(grid.cell(i, j), t.highlight, side=self.panel_cell))
        result = VGroup(*(self._t(line, self.text_size, t.output) for line in step.lines))
        result.arrange(DOWN, buff=0.2 * c, aligned_edge=LEFT)
        return VGroup(head, grid, result).arrange(RIGHT, buff=0.35 * c)

    def _sum_panel(self, step: _Step) -> VGroup:
        """The products written out: ``a₁ = x₁w₁ + x₂w₂ + …`` (with ``indices``) over ``= 1×1 + 2×0 + … = 1``
        (with a bias, ``Σ + b = …`` under them)."""
        t, c, size = self.theme, self.cell_size, self.text_size
        big = INDEXED * size
        assert step.patch is not None and step.weights is not None
        lines = VGroup()
        if self.indices:
            assert self.symbols is not None
            x, w, a = self.symbols
            mask = self.view.padding_mask[0]
            parts: list[VMobject] = [self._symbol(a, step.out_pos[1] + 1, big, t.output), self._t("=", size, t.text)]
            for u, cell in enumerate(step.cells):
                if u:
                    parts.append(self._t("+", size, t.text))
                weight = self._symbol(w, u + 1, big, t.kernel)
                if mask[cell[1]]:  # padding: a muted 0 for the missing x
                    tap = self._t("0", size, t.muted, font=MONO)
                else:  # x's index counts the input cells (not the padding) up to this one
                    tap = self._symbol(x, int(np.sum(~mask[:cell[1]])) + 1, big, t.input)
                parts.append(VGroup(tap, weight).arrange(RIGHT, buff=0.04))
            lines.add(VGroup(*parts).arrange(RIGHT, buff=0.14 * size / 28))
        def written(q: float) -> str:
            return fmt(q, self.digits) if q >= 0 else f"({fmt(q, self.digits)})"

        terms = " + ".join(f"{fmt(p, self.digits)}×{written(q)}" for p, q in zip(step.patch, step.weights))
        numbers = VGroup(self._t(f"= {terms} =" if self.indices else f"{terms} =", size, t.text, font=MONO),
                         self._t(fmt(step.total, self.digits), size, t.output, font=MONO)).arrange(RIGHT, buff=0.2 * c)
        lines.add(numbers)
        for line in step.lines[1:]:  # with a bias: Σ + b = …
            lines.add(self._t(line, size, t.output))
        return lines.arrange(DOWN, buff=0.25 * c)

    def panel_room(self) -> Rectangle:
        """The panel's room widened to the free width beside it (invisible, not part of the window): where a
        scene puts a formula once the steps are done (after :meth:`conclude`)."""
        area, c = self.panel_area, self.cell_size * self._scale_now()
        if self.panel_place == "aside" and self.layout == "row":
            left, right = self.input.get_right()[0] + 0.5 * c, self.get_right()[0]
        else:
            left, right = self.body.get_left()[0], self.body.get_right()[0]
        left, right = min(left, area.get_left()[0]), max(right, area.get_right()[0])
        room = Rectangle(width=right - left, height=area.height, stroke_opacity=0, stroke_width=0)
        return room.move_to([(left + right) / 2, area.get_y(), 0])

    # ----------------------------------------------------------------- parts, sections, pacing
    def parts(self, *names: str) -> VGroup:
        """The named parts, as a plain group (not a mobject of the scene): ``"input"``, ``"kernel"`` (with ⊗),
        ``"output"`` (with = or the pooling arrow), ``"note"``; each with its name and cell names."""
        unknown = [n for n in names if n not in self._parts]
        if unknown:
            raise ValueError(f"unknown parts {unknown}; the parts are {sorted(self._parts)}")
        return VGroup(*(m for n in names for m in self._parts[n]))

    def reveal(self, *names: str, **kwargs: Any) -> WindowStep:
        """Hide the named parts (:meth:`parts`) now and return the animation that fades them in, in place:
        for showing the window in stages (call it for every stage before the window is added)."""
        return WindowStep(self, reveal(self.parts(*names)), **kwargs)

    def conceal(self, *names: str, **kwargs: Any) -> WindowStep:
        """The animation that fades the named parts (:meth:`parts`) out, in place."""
        return WindowStep(self, conceal(self.parts(*names)), **kwargs)

    def outline(self, n: int, *, color: str | None = None, taps: bool = False) -> VMobject:
        """An outline of step ``n``'s window on the input (the highlight colour unless ``color``): where the
        kernel goes next, shown before asking the class what comes out (``LectureScene.ask``). ``taps=True``
        outlines each cell the kernel reads, one by one (a dilated kernel's window has holes)."""
        step = self.view.steps[n]
        color = color or self.theme.highlight
        if taps:
            return VGroup(*(Square(side_length=self.input.cell(*p).width * 0.92, color=color, stroke_width=4)
                            .move_to(self.input.cell(*p)) for p in step.cells))
        return cells_box(self.input, [step.cells[0], step.cells[-1]], color)

    def is_detailed(self, n: int) -> bool:
        """Whether step ``n`` shows its panel."""
        return self.detailed is None or n < self.detailed

    def section_name(self, n: int, *, last_own_section: bool = False) -> str | None:
        """The section step ``n`` opens in a slide deck: ``"step k"`` for a detailed step (and the last, if
        asked), ``"remaining steps"`` for the first later one, ``None`` for the others."""
        if self.is_detailed(n) or (last_own_section and n == self.n_steps - 1):
            return f"step {n + 1}"
        if n == self.detailed:
            return "remaining steps"
        return None

    def step_time(self, n: int) -> float:
        """Seconds of step ``n`` (``hold`` included)."""
        total = self.run_times[n] if self.run_times is not None else (
            self.run_time if self.is_detailed(n) else self.fast_run_time)
        return total + (self.hold if self.is_detailed(n) and self.hold > 0 else 0.0)

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
        detailed = self.is_detailed(n)
        total = self.run_times[n] if self.run_times is not None else (self.run_time if detailed
                                                                      else self.fast_run_time)
        moves: list[Animation] = [Transform(self.window, self._window_at(st)),
                                  Transform(self.out_box, cells_box(self.output, [st.out_pos], t.output))]
        if self.layout == "stacked":  # the kernel (and its names) rides under the window
            riding = VGroup(self.kernel, *([self.kernel_names] if self.indices else []))
            dx = self.input.cell(*st.cells[0]).get_left()[0] - self.kernel.get_left()[0]
            if abs(dx) > 1e-9:
                moves.append(Transform(riding, riding.copy().shift(RIGHT * dx)))
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
            shown.add(cell_mark(self.input.cell(*st.cells[st.chosen]), t.highlight, side=self.input.cell_size * r))
        self.transients.add(shown)
        anims: list[Animation] = [AnimationGroup(*moves, run_time=0.35 * total),
                                  reveal(shown, run_time=0.35 * total), reveal(value, run_time=0.3 * total)]
        if self.hold > 0:
            anims.append(Wait(run_time=self.hold))
        return WindowStep(self, *anims)

    def steps(self, before: Callable[[int], Any] | None = None, *, section: Callable[[str], Any] | None = None,
              last_own_section: bool = False) -> Iterator[WindowStep]:
        """One animation per output cell, in the trace's order; play each before taking the next.

        Each is a :class:`WindowStep` (a :class:`~manim.Succession`): the window (and the output cell's
        outline) moves, the panel fades in, the output number fades in. A second call yields nothing (the
        output is filled).

        Parameters
        ----------
        before
            Called with the step's index before each step is made (e.g. to show a caption).
        section
            Called with :meth:`section_name` where a step opens a section (e.g. ``scene.next_section``):
            one per detailed step, then one for the remaining steps (and, with ``last_own_section``, one
            for the last).
        """
        if self._done:
            return
        self._done = True
        for n in range(len(self.view.steps)):
            self._drop_concealed()
            name = self.section_name(n, last_own_section=last_own_section)
            if section is not None and name is not None:
                section(name)
            if before is not None:
                before(n)
            yield self.step(n)
        self._drop_concealed()

    def conclude(self, **kwargs: Any) -> WindowStep:
        """The animation that fades out the window, the output cell's outline and the last panel, leaving
        the filled grids."""
        anims = [conceal(self.window), conceal(self.out_box)]
        anims += [conceal(m) for m in self.transients if m not in self._concealed]
        self._concealed += [m for m in self.transients if m not in self._concealed]
        return WindowStep(self, AnimationGroup(*anims), **kwargs)
