"""Number grids and window outlines: the lecture's cells, numbers and sliding-window boxes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from manim import Rectangle, Square, SurroundingRectangle, Text, VGroup

from cnnviz.theme import Theme
from cnnviz.values import fmt

from .style import MARK_SIDE, MARK_STROKE, MONO, TextBuilder, legible_cell, number_font_size

__all__ = ["NumberGrid", "cell_mark", "cells_box", "taps_box"]


class NumberGrid(VGroup):
    """A grid of numbers in coloured cells.

    Parameters
    ----------
    values
        2-D array (a 1-D array is drawn as one row). NaN (or ``None``) entries draw empty cells.
    theme
        Colours by role (``None``: :meth:`Theme.dark`).
    role
        The role whose colour the cells take (``"input"``, ``"kernel"``, ``"output"``, ``"gradient"``,
        ``"highlight"``, …); ``color`` overrides it.
    color
        A colour for cell borders and fill instead of the role's.
    cell
        The side of a cell in scene units; with ``font_size=None`` and ``legible``, the smallest side: the
        cells grow where the widest number would not be legible in them (:attr:`cell_size` is the side
        drawn).
    font_size
        The numbers' font size; ``None`` derives it from the cell and the widest number
        (:func:`scenes.kit.style.number_font_size`: a digit 0.43 of the cell tall, no number wider than
        0.75 of it).
    legible
        With ``font_size=None``: cells large enough for every number at a legible size (a digit at least
        16 px tall at 480 lines, the widest number 0.75 of the cell: :func:`scenes.kit.style.legible_cell`);
        ``False`` keeps ``cell`` and lets the numbers shrink to fit it.
    padding_mask
        True where a cell is padding: drawn grey and thinner, with a muted number.
    show_values
        False draws empty cells, to be filled with :meth:`number_for`.
    fill_opacity
        Opacity of the cells' fill (padding cells: 0.08).
    digits
        Decimals a number is rounded to (:func:`cnnviz.values.fmt`).
    text
        The builder of every number (``None``: ``manim.Text``), e.g. a caching one.

    Examples
    --------
    >>> import numpy as np
    >>> g = NumberGrid(np.arange(6.0).reshape(2, 3), role="input", cell=0.5)
    >>> g.shape, len(g.cells), len(g.numbers), g.number(1, 2).text
    ((2, 3), 6, 6, '5')
    >>> late = g.number_for(0, 0, 9.5)  # placed in cell (0, 0), not added to the grid
    >>> NumberGrid([[3.25]], cell=0.5).cell_size > 0.5  # widened: "3.25" legible, with room on each side
    True
    """

    def __init__(self, values: Any, *, theme: Theme | None = None, role: str = "input", color: str | None = None,
                 cell: float = 0.6, font_size: float | None = None, padding_mask: Any = None,
                 show_values: bool = True, fill_opacity: float = 0.14, digits: int = 2,
                 text: TextBuilder | None = None, legible: bool = True) -> None:
        super().__init__()
        theme = theme or Theme.dark()
        color = color or theme.role(role)
        arr = np.atleast_2d(np.asarray(values, dtype=float))
        self.text_builder: TextBuilder = text or Text
        if font_size is None:
            strings = [fmt(v, digits) for v in arr.flat if np.isfinite(v)]
            if legible:
                cell = max(cell, legible_cell(strings, text=self.text_builder))
            font_size = number_font_size(cell, strings, text=self.text_builder)
        self.values, self.theme, self.color, self.cell_size = arr, theme, color, cell
        self.font_size, self.digits = font_size, digits
        mask = np.zeros(arr.shape, bool) if padding_mask is None else np.atleast_2d(np.asarray(padding_mask, bool))
        rows, cols = self.shape = arr.shape
        self.cells = VGroup()
        self.numbers = VGroup()
        self._number_at: dict[tuple[int, int], Text] = {}
        for i in range(rows):
            for j in range(cols):
                pad = bool(mask[i, j])
                sq = Square(side_length=cell, stroke_width=1.5 if pad else 2.5,
                            stroke_color=theme.padding if pad else color,
                            fill_color=theme.padding if pad else color, fill_opacity=0.08 if pad else fill_opacity)
                sq.move_to(np.array([(j - (cols - 1) / 2) * cell, ((rows - 1) / 2 - i) * cell, 0.0]))
                self.cells.add(sq)
                if show_values and not np.isnan(arr[i, j]):
                    num = self.number_for(i, j, arr[i, j], muted=pad)
                    self.numbers.add(num)
                    self._number_at[(i, j)] = num
        self.add(self.cells, self.numbers)

    def cell(self, i: int, j: int = 0) -> Square:
        """The square at row ``i``, column ``j`` (a 1-D grid takes ``cell(0, j)``)."""
        return self.cells[i * self.shape[1] + j]

    def number(self, i: int, j: int) -> Text:
        """The number drawn in cell (i, j) (``KeyError`` where the grid drew none)."""
        return self._number_at[(i, j)]

    def number_for(self, i: int, j: int, value: float, *, muted: bool = False, color: str | None = None) -> Text:
        """A number placed in cell (i, j), in the grid's font size (narrowed if it would not fit); not added
        to the grid."""
        t = self.text_builder(fmt(value, self.digits), font=MONO, font_size=self.font_size,
                              color=color or (self.theme.muted if muted else self.theme.text))
        # a number wider than the grid's font allows (not among the values it was sized from; or a font size
        # given) is narrowed past 0.86 of the cell only: the layout check says where it then crowds its cell
        if t.width > self.cell_size * 0.86:
            t.scale_to_fit_width(self.cell_size * 0.86)
        return t.move_to(self.cell(i, j).get_center())


def cells_box(grid: NumberGrid, cells: Iterable[tuple[int, int]], color: str, *, buff: float = 0.0,
              stroke_width: float = 5) -> Rectangle:
    """A rectangle around the bounding box of ``cells`` of ``grid``: a sliding window.

    Examples
    --------
    >>> g = NumberGrid([[1, 2], [3, 4]])
    >>> box = cells_box(g, [(0, 0), (1, 1)], g.theme.kernel)
    >>> bool(abs(box.width - 2 * g.cell_size) < 1e-6)
    True
    """
    cells = list(cells)
    group = VGroup(*(grid.cell(*c) for c in cells))
    return SurroundingRectangle(group, color=color, buff=buff, stroke_width=stroke_width, corner_radius=0.04)


def taps_box(grid: NumberGrid, cells: Iterable[tuple[int, int]], color: str, *, stroke_width: float = 4) -> VGroup:
    """One outline per cell: the taps of a window with holes (a dilated kernel), unlike :func:`cells_box`.

    Examples
    --------
    >>> g = NumberGrid([[1, 2, 3]] * 3)
    >>> len(taps_box(g, [(0, 0), (0, 2), (2, 0), (2, 2)], g.theme.kernel))
    4
    """
    return VGroup(*(Square(side_length=grid.cell_size * 0.92, color=color, stroke_width=stroke_width)
                    .move_to(grid.cell(*c).get_center()) for c in cells))


def cell_mark(cell: Any, color: str, *, side: float) -> Square:
    """A mark on one cell of side ``side`` (a pooling window's maximum): :data:`~scenes.kit.style.MARK_SIDE` of
    it, inside its border, with a thin outline, so that the number it marks keeps clear of it.

    Examples
    --------
    >>> g = NumberGrid([[1, 7]])
    >>> mark = cell_mark(g.cell(0, 1), g.theme.highlight, side=g.cell_size)
    >>> bool(mark.width < g.cell_size)
    True
    """
    return Square(side_length=side * MARK_SIDE, color=color, stroke_width=MARK_STROKE).move_to(cell.get_center())
