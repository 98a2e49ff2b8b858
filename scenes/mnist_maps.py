"""Pieces shared by the MNIST scenes: arrays drawn as pictures (pixels kept sharp), signed maps on the theme's
diverging palette, a region marked on a picture, a small grid whose numbers stay legible, a legend of signs.
The arrays come from the values; nothing here computes a number that is shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Group, ImageMobject, Rectangle, Square, VGroup
from manim.constants import RESAMPLING_ALGORITHMS

from cnnviz.values import fmt

from scenes.common import FONT, MONO, NumberGrid, Theme, cached_text
from scenes.kit import FeatureMap

__all__ = ["DIGIT_FONT", "map_picture", "picture", "region", "role_color", "sign_legend", "small_grid"]

#: the smallest font size of a number on screen: a digit 16 px tall at 480p (0.267 scene units)
DIGIT_FONT = 26
#: the widest number of a grid takes at most this fraction of its cell (NumberGrid narrows it beyond 0.86)
FILL = 0.855


def picture(rgb: np.ndarray, side: float, color: str, *, stroke: float = 2.5) -> Group:
    """An (H, W, 3) uint8 array as a picture ``side`` tall, nearest-neighbour (each value one square), framed."""
    img = ImageMobject(np.asarray(rgb, dtype=np.uint8))
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = side
    frame = Rectangle(width=img.width, height=img.height, color=color, stroke_width=stroke).move_to(img)
    g = Group(img, frame)
    g.pixels = np.shape(rgb)[:2]
    return g


def map_picture(values: Any, side: float, theme: Theme, *, signed: bool, role: str = "output",
                limit: float | None = None, high: float | None = None) -> Group:
    """A 2-D map as a :class:`scenes.kit.FeatureMap` ``side`` tall, usable with :func:`region`: signed maps
    (δ, kernels) on the theme's diverging palette (``theme.negative`` … background at 0 … ``theme.positive``),
    unsigned ones (a 0/1 mask) from the background to the role's colour; the border in the role's colour."""
    arr = np.asarray(values, float)
    fm = FeatureMap(arr, theme=theme, signed=signed, role=role, height=side, limit=limit, low=0.0, high=high)
    fm.pixels = arr.shape
    return fm


def region(pic: Group, row: int, col: int, size: int, color: str, *, rows: int | None = None) -> Rectangle:
    """A box around pixels [row, row+size) × [col, col+size) of a :func:`picture` or :func:`map_picture`."""
    h, w = pic.pixels
    frame = pic[1]
    ph, pw = frame.height / h, frame.width / w
    box = Rectangle(width=pw * size, height=ph * (rows or size), color=color, stroke_width=3)
    return box.move_to(frame.get_corner(UP + LEFT), aligned_edge=UP + LEFT).shift(RIGHT * pw * col + DOWN * ph * row)


def role_color(theme: Theme, role: str) -> str:
    return theme.role(role)


def small_grid(values: Any, theme: Theme, color: str, *, digits: int = 0, min_cell: float = 0.6,
               font_size: float = DIGIT_FONT) -> NumberGrid:
    """A NumberGrid whose numbers are ``font_size`` (never smaller: a digit at least 16 px tall at 480p), its
    cells as large as the widest number needs (and at least ``min_cell``)."""
    arr = np.atleast_2d(values)
    longest = max((fmt(x, digits) for x in arr.ravel()), key=len)
    widest = max(cached_text(s, font=MONO, font_size=font_size).width
                 for s in {fmt(x, digits) for x in arr.ravel()} if len(s) >= len(longest) - 1)
    cell = max(min_cell, widest / FILL)
    return NumberGrid(values, theme, color, cell=cell, font_size=font_size, digits=digits)


def sign_legend(theme: Theme, *, font_size: float = DIGIT_FONT) -> VGroup:
    """Two swatches of the diverging palette with "< 0" and "> 0", one above the other."""
    rows = VGroup()
    for color, text in ((theme.negative, "< 0"), (theme.positive, "> 0")):
        swatch = Square(side_length=0.26, stroke_width=1.5, stroke_color=theme.muted, fill_color=color,
                        fill_opacity=1.0)
        rows.add(VGroup(swatch, cached_text(text, font=FONT, font_size=font_size, color=theme.muted))
                 .arrange(RIGHT, buff=0.1))
    return rows.arrange(DOWN, buff=0.14, aligned_edge=LEFT)
