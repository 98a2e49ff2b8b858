"""Pieces shared by the backprop scenes: a gradient drawn as the kit's sliding window (its grids in the colours of
the roles they play), played step by step with the slides' sections.

Everything drawn comes from the scene's values; nothing here computes a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from manim import FadeIn, FadeOut, SurroundingRectangle

from scenes.common import LectureScene, cached_text
from scenes.kit import SlidingWindow, as_padding, recast

__all__ = ["gradient_window", "slide_window"]


def gradient_window(scene: LectureScene, trace: Any, *, roles: dict[str, str], names: Sequence[str], cell: float,
                    zeros: Any = None, detailed: int = 2) -> SlidingWindow:
    """A sliding window of the kit over a gradient's convolution ``trace``, at ``cell``, without names (the
    scene writes them as formulas).

    ``roles`` recasts the window's roles (:func:`scenes.kit.recast`): for ``∂L/∂W = A ⊗ δ``, δ slides as the
    kernel and the result is a gradient (``kernel="gradient", output="gradient"``). ``names`` name the input
    and the kernel in the working (``A ⊙ δ =``); ``zeros``: cells of the input drawn as padding (the zeros
    inserted and padded around δ, which the direct trace does not mark).
    """
    window = SlidingWindow(trace, theme=recast(scene.theme, **roles), text=cached_text, cell=cell, fit=False,
                           labels=False, names=(*names, ""), detailed=detailed, run_time=3.0, fast_run_time=0.5)
    if zeros is not None:
        as_padding(window.input, zeros)
    return window


def slide_window(scene: LectureScene, window: SlidingWindow, *, detailed: int = 2) -> None:
    """Play the window's steps, opening the sections slides advance through: one per detailed step, one for
    the remaining steps and one for the last; the sliding grid is outlined while it slides."""
    t = scene.theme
    mark = SurroundingRectangle(window.kernel, color=t.highlight, buff=0.06, stroke_width=3, corner_radius=0.04)
    last = window.n_steps - 1
    for n, step in enumerate(window.steps()):
        if n < detailed or n == last:
            scene.next_section(f"step {n + 1}")
        elif n == detailed:
            scene.next_section("remaining steps")
        if n == 0:
            scene.play(FadeIn(mark), run_time=0.4)
        scene.play(step)
        if n < detailed:
            scene.wait(0.4)
    scene.play(window.conclude(), FadeOut(mark), run_time=0.5)
