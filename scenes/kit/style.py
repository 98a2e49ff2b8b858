"""Fonts, the text builder, number sizes derived from a cell, legible sizes, and fitting into the frame.

The one place where a number's font size is derived from its cell (:func:`number_font_size`), so a grid,
a volume and a sliding window size their numbers alike; and where the smallest legible size is: no glyph
under :data:`MIN_GLYPH_PX` tall in a frame of :data:`LEGIBLE_LINES` lines (:func:`legible_font_size`,
:func:`legible_cell`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from manim import Mobject, Text, config

__all__ = [
    "FONT",
    "LEGIBLE_LINES",
    "MARK_SIDE",
    "MARK_STROKE",
    "MIN_GLYPH_PX",
    "MONO",
    "NUMBER_HEIGHT",
    "NUMBER_WIDTH",
    "SAFE_MARGIN",
    "TextBuilder",
    "fit_in_frame",
    "legible_cell",
    "legible_font_size",
    "min_glyph_height",
    "number_font_size",
    "safe_size",
]

FONT = "Noto Sans CJK SC"  #: labels (the lecture's font; Latin and Chinese alike)
MONO = "Noto Sans Mono CJK SC"  #: numbers: equal widths keep grids tidy

#: a digit's glyph height as a fraction of its cell (the lecture's 26 pt in a 0.62 cell)
NUMBER_HEIGHT = 0.43
#: the widest number of a grid takes at most this fraction of its cell's width: 0.125 of the cell clear on each
#: side, which keeps 2.5 px (at 480 lines) between the number and a window's outline in the smallest cells
NUMBER_WIDTH = 0.75
#: a mark on one cell (the max of a pooling window): this fraction of the cell, its outline this wide, so
#: that a number as tall as a window's digits (half a cell) keeps 3 px clear inside it at 480 lines
MARK_SIDE, MARK_STROKE = 0.88, 3
#: fraction of the frame's width and height kept free on each side
SAFE_MARGIN = 0.05
#: the smallest legible text: a text's tallest glyph at least this many pixels tall in a frame of
#: :data:`LEGIBLE_LINES` lines (the lecture's 480p drafts; a larger render is larger in proportion)
MIN_GLYPH_PX = 16.0
LEGIBLE_LINES = 480

#: builds a manim ``Text`` from ``(text, font=..., font_size=..., color=...)``; ``manim.Text`` itself, or a
#: caching builder returning copies equal to a fresh ``Text``
TextBuilder = Callable[..., Text]

_widths: dict[tuple[Any, str, str], tuple[float, float]] = {}


def _size_at_100(text: TextBuilder, s: str, font: str) -> tuple[float, float]:
    """Width and height of ``s`` at font size 100 (measured once per builder, font and string)."""
    key = (text, font, s)
    if key not in _widths:
        t = text(s, font=font, font_size=100)
        _widths[key] = (float(t.width), float(t.height))
    return _widths[key]


def _tallest_at_100(text: TextBuilder, s: str, font: str) -> float:
    """Height of the tallest glyph of ``s`` at font size 100 (0 where it draws none); measured once."""
    key = (text, font, "tallest:" + s)
    if key not in _widths:
        t = text(s, font=font, font_size=100)
        _widths[key] = (0.0, max((float(g.height) for g in t.submobjects), default=0.0))
    return _widths[key][1]


def min_glyph_height(px: float = MIN_GLYPH_PX) -> float:
    """The height (scene units) of ``px`` pixels in a frame of :data:`LEGIBLE_LINES` lines.

    Examples
    --------
    >>> round(min_glyph_height(), 4)  # the default frame is 8 units tall
    0.2667
    """
    return config.frame_height * px / LEGIBLE_LINES


def legible_font_size(strings: Iterable[str], *, text: TextBuilder | None = None, font: str = FONT,
                      px: float = MIN_GLYPH_PX) -> float:
    """The smallest font size at which each of ``strings`` has its tallest glyph ``px`` pixels tall at
    :data:`LEGIBLE_LINES` lines (the test a layout check makes of a text); 0 where none has a letter or digit
    (signs alone, such as ⊗ or =, are read at any size).

    Examples
    --------
    >>> legible_font_size(["max = 7"]) > legible_font_size(["输入"])  # a 7 is shorter than a Chinese glyph
    True
    >>> legible_font_size(["⊗", ""])
    0.0
    """
    text = text or Text
    size = 0.0
    for s in sorted(set(strings)):
        if any(ch.isalnum() for ch in s):
            tallest = _tallest_at_100(text, s, font)
            if tallest > 0:
                size = max(size, 100 * min_glyph_height(px) / tallest)
    return size


def number_font_size(cell: float, strings: Iterable[str], *, text: TextBuilder | None = None, font: str = MONO,
                     height: float = NUMBER_HEIGHT, width: float = NUMBER_WIDTH) -> float:
    """The font size of numbers in square cells of side ``cell``: a digit ``height`` × cell tall, unless the
    widest of ``strings`` would then be wider than ``width`` × cell.

    Parameters
    ----------
    cell
        The cell's side in scene units.
    strings
        The numbers as they will be written (e.g. ``cnnviz.values.fmt`` of each value); may be empty.
    text
        The text builder used to measure (``None``: ``manim.Text``).
    font, height, width
        The numbers' font and the fractions of the cell a digit's height and the widest number may take.

    Examples
    --------
    >>> round(number_font_size(0.62, ["1", "12"]), 1)  # the lecture's 26 pt in a 0.62 cell
    26.0
    >>> number_font_size(0.6, ["-12.25"]) < number_font_size(0.6, ["5"])
    True
    """
    text = text or Text
    _, digit_h = _size_at_100(text, "0", font)
    size = 100 * height * cell / digit_h
    unique = sorted(set(strings))  # measured in a fixed order: what a render typesets first must not hang on hashing
    if unique:
        longest = max(len(s) for s in unique)
        widest = max(_size_at_100(text, s, font)[0] for s in unique if len(s) >= longest - 1)
        if widest > 0:
            size = min(size, 100 * width * cell / widest)
    return size


def legible_cell(strings: Iterable[str], *, text: TextBuilder | None = None, font: str = MONO,
                 height: float = NUMBER_HEIGHT, width: float = NUMBER_WIDTH) -> float:
    """The smallest cell side at which :func:`number_font_size` writes ``strings`` legibly
    (:func:`legible_font_size`): a digit ``height`` × cell tall and the widest number at most ``width`` × cell
    wide, at a legible size. 0 for no strings.

    Examples
    --------
    >>> small = legible_cell(["1", "7"])
    >>> round(number_font_size(small, ["1", "7"]) / legible_font_size(["1", "7"], font=MONO), 6)
    1.0
    >>> legible_cell(["3.25"]) > small  # a wider number needs a wider cell
    True
    """
    strings = sorted(set(strings))
    need = legible_font_size(strings, text=text, font=font)
    if need == 0:
        return 0.0
    return need / number_font_size(1.0, strings, text=text, font=font, height=height, width=width)


def safe_size(margin: float = SAFE_MARGIN) -> tuple[float, float]:
    """Width and height of the frame less ``margin`` of it on each side (scene units)."""
    return config.frame_width * (1 - 2 * margin), config.frame_height * (1 - 2 * margin)


def fit_in_frame(mobject: Mobject, *, margin: float = SAFE_MARGIN, center: bool = True) -> Mobject:
    """Scale ``mobject`` down (never up) to fit inside the frame less ``margin`` on each side; centre it.

    Examples
    --------
    >>> from manim import Square
    >>> bool(fit_in_frame(Square(side_length=20)).height <= 8 * 0.9 + 1e-9)
    True
    """
    w, h = safe_size(margin)
    s = min(1.0, w / max(mobject.width, 1e-9), h / max(mobject.height, 1e-9))
    if s < 1:
        mobject.scale(s)
    if center:
        mobject.move_to([0.0, 0.0, 0.0])
    return mobject
