"""Pieces of the backprop scenes: a gradient drawn as the kit's sliding window (its grids in the colours of the
roles they play), played step by step with the sections slides advance through.

backprop_conv moves its own grids between the forward pass, the derivation and the slides; the windows here
are built at the scene's cell, so a grid of the scene and the window's grid of the same numbers are alike
and one can stand in for the other without a morph.

Everything drawn comes from the scene's values; nothing here computes a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from manim import FadeIn, FadeOut, SurroundingRectangle

from scenes.common import LectureScene, cached_text, step_times
from scenes.kit import SlidingWindow, as_padding, recast

__all__ = ["gradient_window", "slide_window"]

#: steps shown with their products (the rest only move and fill in, faster)
DETAILED = 2


def gradient_window(scene: LectureScene, trace: Any, *, roles: dict[str, str], names: Sequence[str], cell: float,
                    zeros: Any = None) -> SlidingWindow:
    """The kit's sliding window over a gradient's convolution ``trace``, at ``cell``, its grids unnamed (the
    scene names them with formulas in the course's notation), centred on the origin.

    ``roles`` recasts the window's roles (:func:`scenes.kit.recast`): for ∂ℒ/∂W = A ⊗ δ, δ slides as the kernel
    and the result is a gradient (``kernel="gradient", output="gradient"``). ``names`` name the input and the
    kernel in the panel's head (``A ⊙ δ =``). ``zeros``: cells of the input drawn as padding (the zeros padded
    around and inserted between δ's values, which the direct trace does not mark).
    """
    n = len(trace.steps)
    window = SlidingWindow(trace, theme=recast(scene.theme, **roles), text=cached_text, cell=cell, fit=False,
                           labels=False, names=(*names, ""), detailed=DETAILED, hold=0.4,
                           run_times=[3.0] * min(n, DETAILED) + step_times(n, slow=1.0, fast=0.2,
                                                                           slow_steps=DETAILED)[DETAILED:])
    if zeros is not None:
        as_padding(window.input, zeros)
    return window


def slide_window(scene: LectureScene, window: SlidingWindow) -> None:
    """Play the window's steps, one section per detailed step, one for the remaining steps and one for the
    last; the sliding grid is outlined while it slides. Leaves the filled grids (window box and panel gone)."""
    mark = SurroundingRectangle(window.kernel, color=scene.theme.highlight, buff=0.06, stroke_width=3,
                                corner_radius=0.04)
    for n, step in enumerate(window.steps(section=scene.next_section, last_own_section=True)):
        if n == 0:
            scene.play(FadeIn(mark), run_time=0.4)
        scene.play(step)
    scene.play(window.conclude(), FadeOut(mark), run_time=0.5)
