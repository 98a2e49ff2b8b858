"""A C×H×W tensor as a stack of grids in perspective."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from manim import DOWN, RIGHT, UP, Animation, AnimationGroup, Rectangle, Text, VGroup

from cnnviz.theme import Theme
from cnnviz.values import fmt

from .grid import NumberGrid
from .style import FONT, TextBuilder, number_font_size

__all__ = ["TensorVolume"]


class TensorVolume(VGroup):
    """A C×H×W tensor drawn as a stack of grids: channel 0 in front, each next channel offset up and to the
    right behind the previous one; each channel's grid is a :class:`NumberGrid` (:meth:`grid`).

    Parameters
    ----------
    values_or_shape
        An array ``(C, H, W)`` (``(H, W)`` is one channel), or a shape ``(C, H, W)`` / ``(H, W)`` for empty
        cells.
    theme
        Colours by role (``None``: :meth:`Theme.dark`).
    role, color
        The cells' role colour, or a colour instead of it.
    cell
        The side of a cell in scene units.
    offset
        ``(dx, dy)`` from one channel to the one behind it (``None``: half a cell each way).
    show_values
        ``"front"`` (numbers on channel 0 only: the others are mostly hidden), ``"all"`` or ``"none"``.
    font_size
        The numbers' size (``None``: derived from ``cell``, the same for every channel).
    padding_mask
        ``(H, W)`` or ``(C, H, W)``: True where a cell is padding.
    digits, fill_opacity, text
        As for :class:`NumberGrid`.
    shape_label
        Draw "C×H×W" below the volume (:attr:`label`); ``label_font_size`` its size (``None``: from ``cell``).

    Examples
    --------
    >>> import numpy as np
    >>> vol = TensorVolume(np.arange(18.0).reshape(2, 3, 3), role="input", cell=0.4, shape_label=True)
    >>> vol.shape, float(vol.grid(1).values[0, 0]), vol.label.text
    ((2, 3, 3), 9.0, '2×3×3')
    >>> empty = TensorVolume((3, 4, 4), role="output")
    """

    def __init__(self, values_or_shape: Any, *, theme: Theme | None = None, role: str = "input",
                 color: str | None = None, cell: float = 0.45, offset: Sequence[float] | None = None,
                 show_values: str = "front", font_size: float | None = None, padding_mask: Any = None,
                 digits: int = 2, fill_opacity: float = 0.14, text: TextBuilder | None = None,
                 shape_label: bool = False, label_font_size: float | None = None) -> None:
        super().__init__()
        if show_values not in ("front", "all", "none"):
            raise ValueError(f"show_values must be 'front', 'all' or 'none', not {show_values!r}")
        theme = theme or Theme.dark()
        is_shape = isinstance(values_or_shape, (tuple, list)) and all(
            isinstance(n, (int, np.integer)) for n in values_or_shape)
        if is_shape:
            arr = np.zeros(tuple(int(n) for n in values_or_shape))
            show_values = "none"
        else:
            arr = np.asarray(values_or_shape, dtype=float)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"TensorVolume takes (C, H, W) or (H, W) values or shape, got shape {arr.shape}")
        text = text or Text
        c, h, w = self.shape = arr.shape
        self.values, self.theme, self.cell_size = arr, theme, cell
        self.color = color or theme.role(role)
        dx, dy = (0.5 * cell, 0.5 * cell) if offset is None else (float(offset[0]), float(offset[1]))
        if font_size is None:
            font_size = number_font_size(cell, (fmt(v, digits) for v in arr.flat if np.isfinite(v)), text=text)
        self.font_size = font_size
        mask = None if padding_mask is None else np.asarray(padding_mask, bool)
        self.grids: list[NumberGrid] = []
        self.layers = VGroup()  # drawn back to front: channel C-1 first
        for ch in range(c):
            shown = show_values == "all" or (show_values == "front" and ch == 0)
            grid = NumberGrid(arr[ch], theme=theme, color=self.color, cell=cell, font_size=font_size,
                              padding_mask=None if mask is None else (mask if mask.ndim == 2 else mask[ch]),
                              show_values=shown, fill_opacity=fill_opacity, digits=digits, text=text)
            # an opaque backing so a channel hides the ones behind it
            backing = Rectangle(width=w * cell, height=h * cell, stroke_width=0, fill_color=theme.background,
                                fill_opacity=1.0)
            layer = VGroup(backing, grid).shift(RIGHT * dx * ch + UP * dy * ch)
            self.grids.append(grid)
            self.layers.add(layer)
        self.layers.submobjects.reverse()
        self.add(self.layers)
        self.label: Text | None = None
        if shape_label:
            self.label = text(f"{c}×{h}×{w}", font=FONT, font_size=label_font_size or 40 * cell,
                              color=self.color)
            self.label.next_to(self.layers, DOWN, buff=0.25 * cell)
            self.add(self.label)

    def grid(self, channel: int) -> NumberGrid:
        """The grid of ``channel`` (0 is the front one)."""
        return self.grids[channel]

    def layer(self, channel: int) -> VGroup:
        """The grid of ``channel`` with its opaque backing (move this one to move a channel)."""
        return self.layers[len(self.grids) - 1 - channel]

    def spread(self, *, direction: Any = RIGHT, buff: float | None = None, **kwargs: Any) -> Animation:
        """The animation that lays the channels out side by side (channel 0 first, along ``direction``),
        centred where the stack is: for depthwise and group convolution, one channel at a time.

        Examples
        --------
        >>> vol = TensorVolume((3, 2, 2))
        >>> anim = vol.spread(buff=0.3, run_time=1.0)
        """
        buff = 0.4 * self.cell_size if buff is None else buff
        row = VGroup(*(self.layer(ch).copy() for ch in range(len(self.grids))))
        row.arrange(direction, buff=buff).move_to(self.layers.get_center())
        # back to front: a scene draws the moved layers in this order, channel 0 on top as in the stack
        anims = [self.layer(ch).animate.move_to(row[ch].get_center()) for ch in reversed(range(len(self.grids)))]
        if self.label is not None:
            anims.append(self.label.animate.next_to(row, DOWN, buff=0.25 * self.cell_size))
        return AnimationGroup(*anims, **kwargs)
