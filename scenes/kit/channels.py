"""A convolution over several input channels, built from :func:`cnnviz.conv2d_trace`: one kernel per input
channel, each channel's sum of products, and their sum plus the bias in one output cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from manim import DOWN, RIGHT, UP, Animation, Rectangle, Transform, VGroup, VMobject

from cnnviz.theme import Theme
from cnnviz.trace import ConvTrace
from cnnviz.values import fmt

from .fades import OpacityFade, conceal, reveal
from .grid import NumberGrid, cells_box
from .piece import PieceStep, StepPiece
from .style import TextBuilder

__all__ = ["ChannelSum", "subscript"]

#: cell side (scene units) a piece starts from before it is scaled to fit the frame
DEFAULT_CELL = 0.9
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(*indices: int) -> str:
    """1-based indices as Unicode subscripts, for plain text: ``subscript(1, 2)`` is ``'₁,₂'``.

    Examples
    --------
    >>> "W" + subscript(2, 3)
    'W₂,₃'
    """
    return ",".join(str(i).translate(_SUB) for i in indices)


def _term(value: float, digits: int) -> str:
    """A term of a written sum: negative numbers in parentheses."""
    return f"({fmt(value, digits)})" if value < 0 else fmt(value, digits)


class ChannelSum(StepPiece):
    """A multi-channel convolution, one animation per output cell: the channels' sums add up, plus the bias.

    Holds the ``C_in`` input channels side by side, under each its kernel for the output channel being
    computed (``⊙ W_{d,c}``), and on the right the ``C_out`` output maps (empty cells), each with its bias
    below. :meth:`steps` yields one animation per output cell, in the trace's order: when the output channel
    changes the kernels change (the old ones fade out, then the next ones in); the window moves on every input
    channel and the output cell is outlined; the working fades in (detailed steps: each channel's sum under its
    kernel, joined by ``+``, then ``+ b = z`` after the last); the output cell fills in. Every number comes from the trace (each channel's
    sum from ``channel_sums``); texts change by fading.

    Parameters
    ----------
    trace
        A :func:`cnnviz.conv2d_trace` of a ``(C_in, H, W)`` input with ``(C_out, C_in, k, k)`` kernels (no
        groups); padding and stride are drawn from the trace.
    channel_sums
        One sequence of ``C_in`` numbers per step: each input channel's sum of products, as :mod:`cnnviz`
        computed them (e.g. ``scene_values("multichannel", params).arrays["channel_sums"]``). ``None``: the
        working shows only the total (``Σ + b``).
    theme
        Colours by role (``None``: :meth:`Theme.dark`).
    cell
        The grids' cell side before fitting (``None``: 0.9).
    detailed
        How many steps show their working (``None``: every step); later steps only move and fill in, faster.
    text
        The builder of every text (``None``: ``manim.Text``).
    labels
        Name each input channel, kernel and output map, and write each bias.
    symbols
        The names' letters: input, kernel, output, bias (default ``"A"``, ``"W"``, ``"Z"``, ``"b"``), written
        with subscripts: ``A₁``, ``⊙ W₁,₂``, ``Z₂``, ``b₂ = 1``.
    output_columns
        How many output maps side by side (rows of them below each other).
    run_time, fast_run_time, swap_run_time
        Seconds of a detailed step, of a later one, and of the kernels' change to the next output channel.
    digits
        Decimals numbers are rounded to.
    fit
        Scale down to fit the frame less 5 % on each side (centred either way).
    name_font_size
        The font size of the channels' names (``A₁``, ``⊙ W₁,₂``, ``Z₁``) before any fitting (``None``: 36 ×
        the cell); a scene gives one at least :func:`~scenes.kit.style.legible_font_size` of them when its cells
        are small (the names keep their place beside their grids, the piece grows by their height).

    Examples
    --------
    >>> from cnnviz.config import MultichannelParams
    >>> from cnnviz.values import scene_values
    >>> values = scene_values("multichannel", MultichannelParams(in_channels=3, out_channels=2, size=4))
    >>> trace, sums = values.data["trace"], values.arrays["channel_sums"]
    >>> piece = ChannelSum(trace, channel_sums=sums, theme=Theme.dark())
    >>> len(piece.inputs), len(piece.outputs), piece.kernels[1][0].shape, piece.n_steps
    (3, 2, (3, 3), 8)
    """

    def __init__(self, trace: ConvTrace, *, channel_sums: Sequence[Sequence[float]] | None = None,
                 theme: Theme | None = None, cell: float | None = None, detailed: int | None = None,
                 text: TextBuilder | None = None, labels: bool = True, symbols: Sequence[str] = ("A", "W", "Z", "b"),
                 output_columns: int = 2, run_time: float = 2.0, fast_run_time: float = 0.6,
                 swap_run_time: float = 0.8, digits: int = 2, fit: bool = True,
                 name_font_size: float | None = None) -> None:
        super().__init__(theme=theme, text=text, detailed=detailed, run_time=run_time, fast_run_time=fast_run_time,
                         digits=digits)
        if not isinstance(trace, ConvTrace):
            raise TypeError(f"ChannelSum takes a ConvTrace (conv2d_trace), not {type(trace).__name__}")
        if trace.padded_input.ndim != 3 or trace.kernel.ndim != 4 or trace.kernel.shape[1] != trace.padded_input.shape[0]:
            raise ValueError("ChannelSum draws a (C_in, H, W) input with (C_out, C_in, k, k) kernels (no groups); "
                             "draw a single-channel or depthwise convolution with SlidingWindow")
        c_in = trace.padded_input.shape[0]
        if channel_sums is not None:
            channel_sums = [list(map(float, s)) for s in channel_sums]
            if len(channel_sums) != len(trace.steps) or any(len(s) != c_in for s in channel_sums):
                raise ValueError(f"channel_sums takes {len(trace.steps)} sequences of {c_in} numbers (one per step "
                                 f"and input channel)")
        if len(symbols) != 4:
            raise ValueError(f"symbols takes four letters (input, kernel, output, bias), got {len(symbols)}")
        if output_columns < 1:
            raise ValueError(f"output_columns must be >= 1, got {output_columns}")
        if name_font_size is not None and not name_font_size > 0:
            raise ValueError(f"name_font_size must be None or > 0, got {name_font_size}")
        self.name_font_size = name_font_size
        self.trace, self.channel_sums, self.labels, self.symbols = trace, channel_sums, labels, tuple(symbols)
        self.output_columns, self.swap_run_time = output_columns, swap_run_time
        self.c_in, self.c_out = c_in, trace.kernel.shape[0]
        self._build(DEFAULT_CELL if cell is None else float(cell))
        self._fit(fit)

    # ----------------------------------------------------------------- building
    def _build(self, c: float) -> None:
        tr, t, d = self.trace, self.theme, self.digits
        a, w, z, b = self.symbols
        self.cell_size, self.line_size = c, 42 * c
        self.text_size = 36 * c if self.name_font_size is None else float(self.name_font_size)
        # (legible=False: the piece sizes all its grids from one cell, as before; not yet widened for legibility)
        kw = dict(theme=t, cell=c, digits=d, text=self.text_builder, legible=False)
        self.inputs = VGroup(*(NumberGrid(tr.padded_input[ch], role="input", padding_mask=tr.padding_mask, **kw)
                               for ch in range(self.c_in))).arrange(RIGHT, buff=0.8 * c)
        self.input_names = VGroup()
        # one set of kernels per output channel, each under its input channel; all but the first hidden
        self.kernels, self.kernel_names = VGroup(), VGroup()
        for o in range(self.c_out):
            ks, names = VGroup(), VGroup()
            for ch, grid in enumerate(self.inputs):
                name = self._t(f"⊙ {w}{subscript(o + 1, ch + 1)}", self.text_size, t.kernel)
                name.next_to(grid, DOWN, buff=0.15 * c)
                ks.add(NumberGrid(tr.kernel[o, ch], role="kernel", **kw).next_to(name, DOWN, buff=0.15 * c))
                names.add(name)
            self.kernels.add(ks)
            self.kernel_names.add(names)
        # the outputs' cells widen where their widest number ("-10") would be under 16 px at 480p in the piece's cell
        out_kw = {**kw, "legible": True}
        self.outputs = VGroup(*(NumberGrid(tr.output[o], role="output", show_values=False, **out_kw)
                                for o in range(self.c_out)))
        self.reference = self.outputs[0]
        cols = min(self.c_out, self.output_columns)
        rows = -(-self.c_out // cols)
        row_gap = 1.3 * c
        if self.labels and self.name_font_size is not None:  # names of a given size: room for one and a bias
            row_gap = max(row_gap, self._t(f"{z}₁", self.text_size, t.output).height
                          + self._t(f"{b}₁ = 0", self.line_size, t.kernel).height + 0.5 * c)
        self.outputs.arrange_in_grid(rows=rows, cols=cols, buff=(0.8 * c, row_gap))
        self.outputs.next_to(self.inputs, RIGHT, buff=1.0 * c).align_to(self.inputs, UP)
        self.output_names, self.biases = VGroup(), VGroup()
        if self.labels:
            for ch, grid in enumerate(self.inputs):
                self.input_names.add(self._t(f"{a}{subscript(ch + 1)}", self.text_size, t.input)
                                     .next_to(grid, UP, buff=0.15 * c))
            for o, grid in enumerate(self.outputs):
                self.output_names.add(self._t(f"{z}{subscript(o + 1)}", self.text_size, t.output)
                                      .next_to(grid, UP, buff=0.15 * c))
                self.biases.add(self._t(f"{b}{subscript(o + 1)} = {fmt(float(tr.bias[o]), d)}", self.line_size,
                                        t.kernel).next_to(grid, DOWN, buff=0.15 * c))
        else:
            for ks in self.kernel_names:  # the kernels stay where they would be; their names are not drawn
                for name in ks:
                    name.set_opacity(0.0)
        self.add(self.inputs, self.input_names, self.kernel_names, self.kernels, self.outputs, self.output_names,
                 self.biases)
        # the working's line, under the kernels: the widest step's, as tall as a number in parentheses
        widest = max(range(len(tr.steps)), key=lambda n: len(_term(tr.steps[n].bias, d) + fmt(tr.steps[n].value, d)))
        sample = self._line(widest)
        tallest = self._t("(0)", self.line_size, t.text)
        self._kernel_shown = [OpacityFade.opacities(VGroup(ks, names))
                              for ks, names in zip(self.kernels, self.kernel_names)]
        for o in range(1, self.c_out):
            VGroup(self.kernels[o], self.kernel_names[o]).set_opacity(0.0)
        self.current = 0  # the output channel whose kernels show
        first = tr.steps[0]
        self.boxes = self._windows(first).set_opacity(0.0)
        self.out_box = cells_box(self.outputs[first.out_channel], [first.out_pos], t.output).set_opacity(0.0)
        # room for the line: an invisible rectangle keeps the piece's extent
        self.line_area = Rectangle(width=sample.width, height=tallest.height, stroke_width=0, stroke_opacity=0,
                                   fill_opacity=0).move_to(sample)
        self.add(self.line_area, self.boxes, self.out_box, self.transients)

    def _windows(self, st: Any) -> VGroup:
        return VGroup(*(cells_box(g, st.cells, self.theme.kernel) for g in self.inputs))

    def _line(self, n: int) -> VGroup:
        """Step ``n``'s working, in place: each channel's sum under its kernel, ``+`` between, ``+ b = z``."""
        st, t, d = self.trace.steps[n], self.theme, self.digits
        r = self._scale_now()
        c = self.cell_size * r

        def text(s: str, color: str) -> VMobject:
            return self._t(s, self.line_size, color).scale(r)

        line = VGroup()
        if self.channel_sums is not None:
            terms = [text(_term(s, d), t.highlight) for s in self.channel_sums[n]]
            for ch, term in enumerate(terms):
                term.move_to([self.kernels[0][ch].get_center()[0], 0, 0])
                line.add(term)
                if ch:
                    plus = text("+", t.text)
                    plus.move_to([(self.kernels[0][ch - 1].get_right()[0] + self.kernels[0][ch].get_left()[0]) / 2,
                                  0, 0])
                    line.add(plus)
            tail = VGroup(text(f"+ {_term(st.bias, d)}", t.kernel),
                          text(f"= {fmt(st.value, d)}", t.output)).arrange(RIGHT, buff=0.25 * c)
            tail.next_to(terms[-1], RIGHT, buff=0.45 * c)
            line.add(tail)
        else:
            line.add(text(f"Σ + {self.symbols[3]} = {fmt(st.total, d)} + {_term(st.bias, d)} = "
                          f"{fmt(st.value, d)}", t.output))
            line.move_to([self.kernels[0].get_center()[0], 0, 0])
        y = self.kernels[0].get_bottom()[1] - 0.2 * c - text("(0)", t.text).height / 2
        for m in line:  # one height for all, under the kernels
            m.set_y(y)
        return line

    # ----------------------------------------------------------------- steps
    @property
    def n_steps(self) -> int:
        """The number of steps (output cells, every output channel)."""
        return len(self.trace.steps)

    def step(self, n: int) -> PieceStep:
        """The animation of step ``n`` (in order: each expects the previous ones to have played)."""
        st, t = self.trace.steps[n], self.theme
        detailed = self.is_detailed(n)
        total = self.run_time if detailed else self.fast_run_time
        leave: list[Animation] = []  # the kernels change: the old ones fade out, then the next ones in
        come: list[Animation] = []
        if st.out_channel != self.current:
            leave += [conceal(VGroup(self.kernels[self.current], self.kernel_names[self.current]))]
            leave += self.conceal_transients()
            self.current = st.out_channel
            come += [OpacityFade(VGroup(self.kernels[self.current], self.kernel_names[self.current]),
                                 self._kernel_shown[self.current])]
        moves: list[Animation] = [Transform(self.boxes, self._windows(st)),
                                  Transform(self.out_box, cells_box(self.outputs[st.out_channel], [st.out_pos],
                                                                    t.output))]
        moves += self.conceal_transients()
        out = self.outputs[st.out_channel]
        value = out.number_for(*st.out_pos, st.value).scale(self._scale_now())
        out.numbers.add(value)
        out._number_at[st.out_pos] = value
        fill = reveal(value)
        half = self.swap_run_time / 2 if come else 0.0
        if not detailed:
            return self.group_step(leave, come, moves, fill, times=[half, half, 0.6 * total, 0.4 * total])
        return self.group_step(leave, come, moves, self.show(self._line(n)), fill,
                               times=[half, half, 0.35 * total, 0.35 * total, 0.3 * total])

    def marks(self) -> list[VMobject]:
        return [self.boxes, self.out_box]

