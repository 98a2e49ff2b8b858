"""Fused transform interpolation (``scenes/speedups/interpolate.py``) gives Manim's values, frame by frame."""

from __future__ import annotations

import numpy as np
import pytest
from manim import (LEFT, RED, UP, Circle, FadeIn, FadeOut, Group, ImageMobject, ReplacementTransform, Square, Text,
                   Transform, VGroup, VMobject, there_and_back)

from scenes.speedups.drawing import cached_text
from scenes.speedups.interpolate import (_PLAN, _fused_interpolate_mobject, allow_fused_interpolation,
                                     manim_interpolate_mobject)

pytestmark = pytest.mark.usefixtures("speedups_installed")

ALPHAS = [0.13, 0.5, 0.87, 0.97]  # in-between frames; begin() shows 0, finish() 1, as in a play
ARRAYS = ("points", "fill_rgbas", "stroke_rgbas", "background_stroke_rgbas", "sheen_direction")
NUMBERS = ("stroke_width", "background_stroke_width", "sheen_factor")


def shapes():
    return VGroup(cached_text("δ 0.25", font_size=30), Square().set_fill(RED, 0.4), Circle().set_stroke(width=7))


def picture():
    pixels = np.arange(4 * 6 * 4, dtype=np.uint8).reshape(4, 6, 4)
    return ImageMobject(pixels).move_to(LEFT * 3)


CASES = {
    "fade in, shifted": lambda: FadeIn(shapes(), shift=UP * 0.5),
    "fade out to a point": lambda: FadeOut(shapes(), target_position=LEFT * 2),
    "replacement of texts": lambda: ReplacementTransform(Text("ab"), Text("xyz").shift(UP)),
    "animate, there and back": lambda: Square().animate(rate_func=there_and_back).scale(2).set_color(RED),
    # .animate applies its methods to the members in finish(), just before the last frame
    "animate a group": lambda: Group(picture(), shapes()).animate.scale(0.9).move_to(LEFT).set_color(RED),
    "with a picture": lambda: FadeIn(Group(picture(), shapes())),
}


def state(mobject):
    """Every value an interpolation writes, for each member with points."""
    out = []
    for m in mobject.family_members_with_points():
        if isinstance(m, VMobject):
            out.append([getattr(m, a).copy() for a in ARRAYS] + [getattr(m, n) for n in NUMBERS])
        else:
            out.append([m.pixel_array.copy()])
    return out


def played(make, method, monkeypatch, *, allow=True):
    """The states of the animation's mobject after begin, at each of ALPHAS, after finish, with ``method``."""
    monkeypatch.setattr(Transform, "interpolate_mobject", method)
    animation = make()
    if not isinstance(animation, Transform):  # .animate builds its animation when played
        animation = animation.build()
    if allow:
        allow_fused_interpolation([animation])
    mobject = animation.mobject
    animation.begin()
    states = [state(mobject)]
    for alpha in ALPHAS:
        animation.interpolate(alpha)
        states.append(state(mobject))
    animation.finish()
    states.append(state(mobject))
    return animation, mobject, states


@pytest.mark.parametrize("case", list(CASES))
def test_fused_interpolation_gives_manims_values_at_every_alpha(case, monkeypatch):
    _, _, manims = played(CASES[case], manim_interpolate_mobject, monkeypatch)
    animation, mobject, ours = played(CASES[case], _fused_interpolate_mobject, monkeypatch)
    plan = animation.__dict__[_PLAN]
    assert plan is not None and plan.members  # the fused path ran
    for frame_ours, frame_manims in zip(ours, manims, strict=True):
        for a, b in zip(frame_ours, frame_manims, strict=True):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_array_equal(x, y)
    # after the last frame every member owns its arrays again, as after Manim's interpolation
    assert plan.done
    for m in mobject.family_members_with_points():
        for a in ARRAYS if isinstance(m, VMobject) else ():
            assert not np.shares_memory(getattr(m, a), plan.buffer)


def test_a_transform_the_scene_did_not_allow_keeps_manims_code(monkeypatch):
    animation, _, _ = played(CASES["fade in, shifted"], _fused_interpolate_mobject, monkeypatch, allow=False)
    assert animation.__dict__[_PLAN] is None


def test_pictures_are_interpolated_by_manims_code_beside_the_fused_members(monkeypatch):
    animation, _, _ = played(CASES["with a picture"], _fused_interpolate_mobject, monkeypatch)
    plan = animation.__dict__[_PLAN]
    assert [type(sub).__name__ for sub, _, _ in plan.others] == ["ImageMobject"]


@pytest.mark.parametrize("make", [
    lambda: FadeIn(shapes(), lag_ratio=0.3),
    lambda: Transform(Square(), Circle(), path_arc=1.0),
    lambda: FadeIn(Square().add_updater(lambda m, dt: m.shift(UP * dt))),
], ids=["lag ratio", "arc path", "updater"])
def test_transforms_fusing_would_change_keep_manims_code(make, monkeypatch):
    _, _, manims = played(make, manim_interpolate_mobject, monkeypatch)
    animation, _, ours = played(make, _fused_interpolate_mobject, monkeypatch)
    assert animation.__dict__[_PLAN] is None
    for frame_ours, frame_manims in zip(ours, manims, strict=True):
        for a, b in zip(frame_ours, frame_manims, strict=True):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_array_equal(x, y)
