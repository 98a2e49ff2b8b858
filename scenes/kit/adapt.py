"""Fitting the kit's pieces to a lecture: grids playing other roles, cells drawn as padding, words in another
language. Each works through a piece's public options (``theme``, ``text``) or on a grid it holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from manim import Text

from cnnviz.theme import ROLES, Theme

from .grid import NumberGrid
from .style import TextBuilder

__all__ = ["as_padding", "recast", "worded"]


def recast(theme: Theme, **roles: str) -> Theme:
    """``theme`` with some roles drawn in the colours of others: for a piece whose grids play other parts.

    In backprop the error term δ slides over ``A`` like a kernel and the result is a gradient, so a
    :class:`~scenes.kit.SlidingWindow` of ``∂L/∂W = A ⊗ δ`` takes ``recast(theme, kernel="gradient",
    output="gradient")``: δ, its window and ``∂L/∂W`` in the gradient's colour.

    Examples
    --------
    >>> t = Theme.dark()
    >>> g = recast(t, kernel="gradient", output="gradient")
    >>> (g.kernel, g.output, g.input) == (t.gradient, t.gradient, t.input)
    True
    """
    for name, source in roles.items():
        for role in (name, source):
            if role not in ROLES:
                raise ValueError(f"unknown colour role {role!r}; allowed: {', '.join(ROLES)}")
    return dataclasses.replace(theme, **{name: theme.role(source) for name, source in roles.items()})


def as_padding(grid: NumberGrid, mask: Any) -> NumberGrid:
    """Draw the cells of ``grid`` where ``mask`` is True as padding (grey, thinner, a muted number), as
    :class:`~scenes.kit.NumberGrid` draws its ``padding_mask``: for zeros a trace does not mark as padding
    (the zeros inserted and padded around δ in a transposed convolution's direct view). In place.

    Examples
    --------
    >>> g = as_padding(NumberGrid([[0.0, 1.0]]), [[True, False]])
    >>> g.cell(0, 0).get_stroke_width() < g.cell(0, 1).get_stroke_width()
    True
    """
    mask = np.atleast_2d(np.asarray(mask, bool))
    if mask.shape != grid.shape:
        raise ValueError(f"mask has shape {mask.shape}; the grid is {grid.shape}")
    sample = NumberGrid([[0.0]], theme=grid.theme, cell=grid.cell_size, padding_mask=[[True]], show_values=False)
    for i, j in zip(*np.nonzero(mask)):
        grid.cell(i, j).match_style(sample.cells[0])
        if (i, j) in grid._number_at:
            grid.number(i, j).set_color(grid.theme.muted)
    return grid


def worded(words: Mapping[str, str], text: TextBuilder | None = None) -> TextBuilder:
    """A text builder that writes some texts in other words (``words``: what a piece writes → what to
    write), building every text with ``text`` (``None``: ``manim.Text``): for a lecture in another
    language.

    Examples
    --------
    >>> build = worded({"window": "窗口"})
    >>> build("window", font_size=20).text, build("max = 9", font_size=20).text
    ('窗口', 'max=9')
    """
    builder = text or Text

    def build(s: str, **kwargs: Any) -> Text:
        return builder(words.get(s, s), **kwargs)

    return build
