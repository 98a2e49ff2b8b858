"""A 2-D map as a picture: one pixel per value, upscaled nearest-neighbour, coloured by the theme."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import Group, ImageMobject, Rectangle
from manim.constants import RESAMPLING_ALGORITHMS

from cnnviz.theme import Theme, diverging_rgb, ramp_rgb

__all__ = ["FeatureMap"]


class FeatureMap(Group):
    """A picture of a 2-D map (an activation, a kernel, an error map), with a border in its role colour.

    Parameters
    ----------
    array
        The map, 2-D.
    theme
        Colours (``None``: :meth:`Theme.dark`).
    signed
        True: the diverging palette (``theme.negative`` … background at 0 … ``theme.positive``, symmetric
        about 0, see :func:`cnnviz.theme.diverging_rgb`); False: a ramp from the background (the minimum)
        to the role colour (the maximum).
    role, color
        The ramp's and the border's colour (a role, or a colour instead of it).
    height
        The picture's height in scene units (``width`` instead, if given).
    limit
        Signed maps: the ``|value|`` drawn at full colour (``None``: the largest). Unsigned: ignored; see
        ``low``/``high``.
    low, high
        Unsigned maps: the values drawn as background and as full colour (``None``: minimum, maximum).
    upscale
        Each value becomes ``upscale`` × ``upscale`` pixels (``None``: enough for about 256 pixels across).
    border
        Draw a rectangle around the picture.

    Examples
    --------
    >>> import numpy as np
    >>> fm = FeatureMap(np.array([[-1.0, 0.0], [0.5, 1.0]]), signed=True, height=2.0)
    >>> fm.rgb.shape, fm.rgb.dtype, round(float(fm.image.height), 6)
    ((256, 256, 3), dtype('uint8'), 2.0)
    """

    def __init__(self, array: Any, *, theme: Theme | None = None, signed: bool = False, role: str = "output",
                 color: str | None = None, height: float = 2.0, width: float | None = None,
                 limit: float | None = None, low: float | None = None, high: float | None = None,
                 upscale: int | None = None, border: bool = True) -> None:
        super().__init__()
        theme = theme or Theme.dark()
        values = np.asarray(array, dtype=float)
        if values.ndim != 2 or values.size == 0:
            raise ValueError(f"FeatureMap takes a non-empty 2-D array, got shape {values.shape}")
        self.values, self.theme, self.signed = values, theme, signed
        self.color = color or theme.role(role)
        rgb = diverging_rgb(values, theme, limit=limit) if signed else ramp_rgb(values, theme, color=self.color,
                                                                                low=low, high=high)
        factor = upscale or max(1, -(-256 // max(values.shape)))
        self.rgb = np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)
        self.image = ImageMobject(self.rgb)
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        if width is not None:
            self.image.width = width
        else:
            self.image.height = height
        self.add(self.image)
        self.border: Rectangle | None = None
        if border:
            self.border = Rectangle(width=self.image.width, height=self.image.height, stroke_color=self.color,
                                    stroke_width=2.5).move_to(self.image)
            self.add(self.border)
