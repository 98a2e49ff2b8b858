"""Pieces shared by the MNIST scenes: arrays drawn as pictures (pixels kept sharp), signed maps on the theme's
diverging palette, a region marked on a picture, a small grid whose numbers stay legible, a legend of signs,
and the digit's before/after opening of ``error_flow`` and ``mnist_features``. The arrays come from the values; nothing here computes a number that is shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Group, ImageMobject, Line, Rectangle, Square, VGroup
from manim.constants import RESAMPLING_ALGORITHMS

from cnnviz.values import fmt

from scenes.common import FONT, MONO, LectureScene, NumberGrid, Theme, arrow, cached_text, label
from scenes.kit import FeatureMap

__all__ = ["DIGIT_FONT", "digit_opening", "map_picture", "picture", "region", "role_color", "sign_legend",
           "small_grid"]

#: the smallest font size of a number on screen: a digit 16 px tall at 480p (0.267 scene units)
DIGIT_FONT = 26
#: the widest number of a grid takes at most this fraction of its cell: 2.5 px clear of the border at 480p in
#: error_flow's cells of "-114" (the kit's 0.75 would make its 8×8 δ grids reach the caption)
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
    arr = np.atleast_2d(np.asarray(values, float))
    shown = [fmt(x, digits) for x in arr.ravel() if np.isfinite(x)]  # NaN: an empty cell
    longest = max(shown, key=len)
    widest = max(cached_text(s, font=MONO, font_size=font_size).width
                 for s in sorted(set(shown)) if len(s) >= len(longest) - 1)
    cell = max(min_cell, widest / FILL)
    return NumberGrid(values, theme, color, cell=cell, font_size=font_size, digits=digits)


def sign_legend(theme: Theme, *, font_size: float = DIGIT_FONT, across: bool = False) -> VGroup:
    """Two swatches of the diverging palette with "< 0" and "> 0", one above the other (``across``: side by
    side)."""
    rows = VGroup()
    for color, text in ((theme.negative, "< 0"), (theme.positive, "> 0")):
        swatch = Square(side_length=0.26, stroke_width=1.5, stroke_color=theme.muted, fill_color=color,
                        fill_opacity=1.0)
        rows.add(VGroup(swatch, cached_text(text, font=FONT, font_size=font_size, color=theme.muted))
                 .arrange(RIGHT, buff=0.1))
    return rows.arrange(RIGHT, buff=0.35) if across else rows.arrange(DOWN, buff=0.14, aligned_edge=LEFT)


OPENING_SIDE = 2.8  # height of the pictures of the digit's before/after opening
OPENING_Y = 0.45  # their centre's y


def _box_on(pic: Group, box: tuple[float, float, float, float], color: str) -> Rectangle:
    """A box on a :func:`picture` at ``(top, left, bottom, right)`` given as fractions of its height and width."""
    frame = pic[1]
    top, left, bottom, right = box
    rect = Rectangle(width=(right - left) * frame.width, height=(bottom - top) * frame.height, color=color,
                     stroke_width=3)
    return rect.move_to(frame.get_corner(UP + LEFT), aligned_edge=UP + LEFT).shift(
        RIGHT * left * frame.width + DOWN * top * frame.height)


def _cross_at(pic: Group, where: tuple[float, float], color: str) -> VGroup:
    """A small + at ``(row, col)`` of a 28×28 :func:`picture` (pixel centres at i + 0.5)."""
    frame = pic[1]
    h, w = pic.pixels
    at = frame.get_corner(UP + LEFT) + RIGHT * where[1] / w * frame.width + DOWN * where[0] / h * frame.height
    arm = 0.16
    return VGroup(Line(at + LEFT * arm, at + RIGHT * arm, color=color, stroke_width=4),
                  Line(at + UP * arm, at + DOWN * arm, color=color, stroke_width=4))


def digit_opening(scene: LectureScene) -> None:
    """Where the network's 28×28 comes from, before a scene's walk (``error_flow``, ``mnist_features``).

    An own ``input_image``: the picture as given with its ink's box, an arrow, and the 28×28 with the resized
    box and the centre of mass marked. A test digit: its 28×28 as MNIST prepared it, with the same marks. The
    lines ``source`` and ``prepare`` describe MNIST's preparation, which holds for both; everything is faded
    out at the end. A sample of the lecture's own ``data:`` has no opening."""
    t, v = scene.theme, scene.values
    o: dict[str, Any] | None = v.opening
    if o is None:  # a test sample of the lecture's own data: nothing of MNIST's preparation holds for it
        return
    scene.next_section("the digit's preparation")
    prepared = picture(o["prepared_rgb"], OPENING_SIDE, t.input)
    top, left, bottom, right = o["box"]
    row, col = o["centre_of_mass"]
    after = VGroup(label(scene.tr(f"28×28: ink {bottom - top}×{right - left}", f"28×28：笔迹 {bottom - top}×{right - left}"),
                             t, font_size=DIGIT_FONT),
                   label(scene.tr(f"centre of mass ({fmt(row, 1)}, {fmt(col, 1)})", f"质心 ({fmt(row, 1)}, {fmt(col, 1)})"),
                         t, color=t.highlight, font_size=DIGIT_FONT)).arrange(DOWN, buff=0.12)
    if o["own"]:
        original = picture(o["original_rgb"], OPENING_SIDE, t.muted).move_to([-3.6, OPENING_Y, 0])
        if original.width > 4.6:  # a wide picture: as wide as its half of the frame allows
            original.scale(4.6 / original.width).move_to([-3.6, OPENING_Y, 0])
        prepared.move_to([3.6, OPENING_Y, 0])
        w, h = o["size"]
        before = label(scene.tr(f"{v.name}: {w}×{h}", f"{v.name}：{w}×{h}"), t, font_size=DIGIT_FONT)
        before.next_to(original, DOWN, buff=0.25)
        link = arrow(original.get_right(), prepared.get_left(), t.muted, buff=0.3)
        steps = VGroup(label(scene.tr(f"× {fmt(o['scale'], 3)}", f"× {fmt(o['scale'], 3)}"), t, font_size=DIGIT_FONT)
                       .next_to(link, UP, buff=0.2))
        if o["inverted"]:
            steps.add(label(scene.tr("inverted", "反相"), t, color=t.muted, font_size=DIGIT_FONT)
                      .next_to(link, DOWN, buff=0.2))
        first = Group(original, before)
        between = Group(_box_on(original, o["original_box"], t.highlight), link, steps)
    else:
        prepared.move_to([0.0, OPENING_Y, 0])
        first = Group(label(scene.tr(f"test digit #{v.index}, as MNIST prepared it",
                                     f"测试集第 {v.index} 个数字，由 MNIST 预处理"), t, font_size=DIGIT_FONT)
                      .next_to(prepared, UP, buff=0.25), prepared)
        between = Group()
    after.next_to(prepared, DOWN, buff=0.25)
    n = prepared.pixels[0]  # the marks go where the 28×28 is now
    marks = VGroup(_box_on(prepared, (top / n, left / n, bottom / n, right / n), t.highlight),
                   _cross_at(prepared, (row, col), t.highlight))
    scene.say("source", wait=False)
    scene.play(FadeIn(first), run_time=0.8)
    scene.wait(0.8)
    scene.say("prepare", wait=False)
    if o["own"]:
        scene.play(FadeIn(between), run_time=0.8)
        scene.play(FadeIn(prepared), run_time=0.8)
    scene.play(Create(marks), FadeIn(after), run_time=0.8)
    scene.finish_line()
    scene.play(FadeOut(Group(first, between, prepared, marks, after)), run_time=0.6)
