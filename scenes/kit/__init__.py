"""The lecture's visual language as a small library, for a teacher's own Manim file.

Everything here draws numbers that :mod:`cnnviz` computed; nothing here computes one. Importing it changes
nothing in Manim (no patches; the lecture's render-speed measures live in ``scenes/speedups`` and are not
imported), and it needs no ``LectureScene``: a plain ``manim.Scene`` will do.

Examples
--------
>>> import numpy as np
>>> from cnnviz import conv2d_trace
>>> from scenes.kit import SlidingWindow, Theme
>>> window = SlidingWindow(conv2d_trace(np.arange(9.0).reshape(3, 3), np.ones((2, 2))), theme=Theme.solarized())
>>> window.n_steps
4

and in a scene's ``construct``: ``self.play(FadeIn(window))``, then ``for step in window.steps(): self.play(step)``.

Built the same way, for what is not a sliding window: :class:`ScatterWindow` (a transposed convolution's
scatter-add), :class:`RoutingWindow` (δ routed back through pooling, ``up(δ)``) and :class:`ChannelSum` (a
convolution over several input channels); :func:`recast`, :func:`as_padding` and :func:`worded` fit a piece to
a lecture (grids in other roles, zeros drawn as padding, words in another language).

Legible by construction: a grid's numbers and a sliding window's texts are never under 16 px tall at 480 lines
(:data:`MIN_GLYPH_PX`); a grid widens its cells for numbers that would be (:func:`legible_cell`).
"""

from __future__ import annotations

from cnnviz.theme import Theme

from .adapt import as_padding, recast, worded
from .channels import ChannelSum, subscript
from .fades import OpacityFade, conceal, reveal
from .feature_map import FeatureMap
from .grid import NumberGrid, cell_mark, cells_box, taps_box
from .piece import PieceStep, StepPiece
from .routing import RoutingWindow
from .scatter import ScatterWindow
from .style import (FONT, MIN_GLYPH_PX, MONO, SAFE_MARGIN, TextBuilder, fit_in_frame, legible_cell, legible_font_size,
                    min_glyph_height, number_font_size)
from .volume import TensorVolume
from .window import SlidingWindow, WindowStep

__all__ = [
    "FONT",
    "MIN_GLYPH_PX",
    "MONO",
    "SAFE_MARGIN",
    "ChannelSum",
    "FeatureMap",
    "NumberGrid",
    "OpacityFade",
    "PieceStep",
    "RoutingWindow",
    "ScatterWindow",
    "SlidingWindow",
    "StepPiece",
    "TensorVolume",
    "TextBuilder",
    "Theme",
    "WindowStep",
    "as_padding",
    "cell_mark",
    "cells_box",
    "conceal",
    "fit_in_frame",
    "legible_cell",
    "legible_font_size",
    "min_glyph_height",
    "number_font_size",
    "recast",
    "reveal",
    "subscript",
    "taps_box",
    "worded",
]
