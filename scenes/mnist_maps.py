"""Pieces shared by the MNIST scenes: arrays drawn as pictures (pixels kept sharp), a region marked on a
picture, a small grid with a name. The RGB pictures come from the values; nothing here computes a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Group, ImageMobject, Rectangle
from manim.constants import RESAMPLING_ALGORITHMS

from cnnviz.values import fmt

from scenes.common import NumberGrid, Theme

__all__ = ["picture", "region", "role_color", "small_grid"]


def picture(rgb: np.ndarray, side: float, color: str, *, stroke: float = 2.5) -> Group:
    """An (H, W, 3) uint8 array as a picture ``side`` tall, nearest-neighbour (each value one square), framed."""
    img = ImageMobject(np.asarray(rgb, dtype=np.uint8))
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = side
    frame = Rectangle(width=img.width, height=img.height, color=color, stroke_width=stroke).move_to(img)
    g = Group(img, frame)
    g.pixels = np.shape(rgb)[:2]
    return g


def region(pic: Group, row: int, col: int, size: int, color: str, *, rows: int | None = None) -> Rectangle:
    """A box around pixels [row, row+size) × [col, col+size) of a :func:`picture`."""
    h, w = pic.pixels
    frame = pic[1]
    ph, pw = frame.height / h, frame.width / w
    box = Rectangle(width=pw * size, height=ph * (rows or size), color=color, stroke_width=3)
    return box.move_to(frame.get_corner(UP + LEFT), aligned_edge=UP + LEFT).shift(RIGHT * pw * col + DOWN * ph * row)


def role_color(theme: Theme, role: str) -> str:
    return getattr(theme, role)


def small_grid(values: Any, theme: Theme, color: str, *, max_width: float, max_cell: float = 0.6,
               digits: int = 0) -> NumberGrid:
    """A NumberGrid whose cells fit ``max_width`` (font scaled with the cell)."""
    arr = np.atleast_2d(values)
    rows, cols = arr.shape
    cell = min(max_cell, max_width / cols, 3.4 / rows)
    longest = max(len(fmt(x, digits)) for x in arr.ravel())
    # one font size for the whole grid: the longest number fills 84% of a cell (a mono digit is 0.0067 em)
    return NumberGrid(values, theme, color, cell=cell, font_size=min(40 * cell, 0.84 * cell / (0.0067 * longest)),
                      digits=digits)

