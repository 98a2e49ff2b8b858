"""Pieces of the backprop scenes: a window over any cells, a products panel, a slide over grids the scene laid
out itself (backprop_conv moves its grids between the forward pass, the derivation and the slides), its texts
changing by fading.

Everything drawn comes from the scene's values; nothing here computes a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from manim import RIGHT, FadeIn, FadeOut, Square, SurroundingRectangle, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, cells_box, formula, paced_steps

__all__ = ["ProductsPanel", "cells_window", "slide_grids"]


# ---------------------------------------------------------------- a slide over grids a scene laid out itself
def cells_window(grid: NumberGrid, cells: Sequence[tuple[int, int]], color: str) -> VGroup:
    """A sliding window: one box when ``cells`` are contiguous, one box per cell when they have holes."""
    rows, cols = {c[0] for c in cells}, {c[1] for c in cells}
    if len(cells) == (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1):
        return VGroup(cells_box(grid, cells, color))
    return VGroup(*(Square(side_length=grid.cell_size * 0.92, color=color, stroke_width=4)
                    .move_to(grid.cell(*c).get_center()) for c in cells))


class ProductsPanel:
    """``head`` then a grid of products, then ``Σ = total``: rebuilt per step under a fixed head."""

    def __init__(self, scene: LectureScene, head_tex: str, center: Any) -> None:
        self.scene, self.center = scene, center
        self.head = formula(head_tex, scene.theme, font_size=36)

    def build(self, products: Any, total: float) -> VGroup:
        t = self.scene.theme
        rows = NumberGrid(products, t, t.highlight).shape[0]
        cell = min(0.54, 1.7 / rows)
        prods = NumberGrid(products, t, t.highlight, cell=cell, font_size=42 * cell, fill_opacity=0.08)
        total_t = cached_text(f"Σ = {fmt(total)}", font=MONO, font_size=28, color=t.gradient)
        return VGroup(self.head.copy(), prods, total_t).arrange(RIGHT, buff=0.3).move_to(self.center)


def slide_grids(scene: LectureScene, big: NumberGrid, moving: NumberGrid, out: NumberGrid, steps: Sequence[Any],
                panel: ProductsPanel, *, detailed: int = 2) -> VGroup:
    """Slide ``moving`` over ``big`` (steps of a ConvTrace), grids the scene laid out itself, filling ``out``
    with each step's total; texts change by fading (no digit morphs into another). The first ``detailed``
    steps show the products; the rest speed up. Returns the numbers written into ``out``."""
    t = scene.theme
    win = out_box = shown = mark = None
    filled = VGroup()
    for n, step, run in paced_steps(scene, steps, detailed=detailed, slow=1.0, fast=0.2, last_own_section=True):
        new_win = cells_window(big, step.cells, t.highlight)
        new_box = cells_box(out, [step.out_pos], t.highlight)
        new_panel = panel.build(step.products, step.total)
        value = out.number_for(*step.out_pos, step.total, color=t.text)
        filled.add(value)
        if win is None:
            win, out_box = new_win, new_box
            mark = SurroundingRectangle(moving, color=t.highlight, buff=0.06, stroke_width=3, corner_radius=0.04)
            scene.play(FadeIn(win), FadeIn(out_box), FadeIn(mark), run_time=run)
        else:
            scene.play(Transform(win, new_win), Transform(out_box, new_box), run_time=run)  # boxes move: no text
        if n < detailed:
            if shown is not None:
                scene.play(FadeOut(shown), run_time=run / 2)
            scene.play(FadeIn(new_panel), run_time=run / 2 if shown is not None else run)
            shown = new_panel
            scene.play(FadeIn(value), run_time=run)
            scene.wait(0.4)
        else:
            scene.remove(shown)
            shown = new_panel
            scene.add(shown)
            scene.play(FadeIn(value), run_time=run)
    scene.play(*(FadeOut(m) for m in (win, out_box, shown, mark)), run_time=0.5)
    return filled
