"""Transforms that interpolate all their glyphs in one NumPy operation, with Manim's arithmetic.

On every frame of a ``Transform`` (and of ``FadeIn``, ``FadeOut``, ``ReplacementTransform``, ``.animate``,
which are transforms), Manim walks the family of the animated mobject and, for each member, calls
``Mobject.interpolate``: the points, then ``VMobject.interpolate_color``, seven more attributes, each one
``(1 - alpha) * start + alpha * end`` on a tiny array or a number, with a ``getattr``, a ``setattr`` and
fresh arrays each time. A caption has about 60 glyphs, a panel of numbers a few hundred; in
``error_flow`` this was about a sixth of the render.

:func:`fused_transform_interpolation` makes such a transform compute the same expression once over all
members: when it begins, the start and end values of every member are laid end to end in two flat
arrays, and each member's arrays become views into one result buffer; each frame then runs
``(1 - alpha) * start + alpha * end`` on the flat arrays, into that buffer, and sets the three numbers of
the members where they are not all 0 (where they are, Manim's result is 0.0 on every frame). Element by
element this is the same IEEE arithmetic as Manim's, so every value, hence every pixel, is the same
(checked by ``tests/test_speedups_interpolate.py`` against Manim's interpolation value by value, and
by the frame hashes of ``tests/test_speedups.py``).

Views stay right only while nothing else touches the members between frames, so a transform is fused
only when the scene allows it before it begins (:func:`allow_fused_interpolation`; ``LectureScene`` does
for plays with no updater in them), and the last frame (``finish``) is Manim's own: ``.animate`` applies
its methods to the members just before it, and afterwards each member owns its arrays again. Manim's
code also runs where fusing would not be the same computation: another path than a straight one, a
``lag_ratio``, a subclass with its own interpolation, updaters, another renderer. Members that are not
plain ``VMobject`` s (pictures, for instance), or whose start and end differ in shape or type, are
interpolated by Manim's code, each frame, beside the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from manim import Animation, Mobject, Transform, VMobject, config
from manim.constants import RendererType
from manim.utils.bezier import interpolate as straight_path

from scenes.speedups.drawing import leaf_animations

__all__ = ["allow_fused_interpolation", "manim_interpolate_mobject"]

#: Manim's own ``Transform.interpolate_mobject`` (``Animation.interpolate_mobject``)
manim_interpolate_mobject = Transform.interpolate_mobject

#: what ``Mobject.interpolate`` and ``VMobject.interpolate_color`` interpolate: arrays, then numbers
_ARRAYS = ("points", "fill_rgbas", "stroke_rgbas", "background_stroke_rgbas", "sheen_direction")
_NUMBERS = ("stroke_width", "background_stroke_width", "sheen_factor")
_NUMBER_TYPES = (int, float, np.float64)
_PLAN = "_cnnviz_fused_plan"
_ALLOWED = "_cnnviz_fused_allowed"


class _Plan:
    """Flat start and end values of the fusable members, the buffer their attributes view, the rest."""

    def __init__(self, families: list[tuple[Mobject, Mobject, Mobject]]) -> None:
        self.others: list[tuple[Mobject, Mobject, Mobject]] = []
        self.members: list[Mobject] = []
        self.views: list[list[tuple[str, slice, tuple[int, ...]]]] = []  # per member: attribute, place, shape
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        # the numbers, only of members where one is not 0: (1 - alpha) * 0 + alpha * 0 is 0.0 on every frame
        self.numbered: list[Mobject] = []
        self.zeroed: list[Mobject] = []
        number_starts: list[float] = []
        number_ends: list[float] = []
        offset = 0
        for sub, start, end in families:
            if not _fusable(sub, start, end):
                self.others.append((sub, start, end))
                continue
            views = []
            for name in _ARRAYS:
                a, b = getattr(start, name), getattr(end, name)
                views.append((name, slice(offset, offset + a.size), a.shape))
                starts.append(a.ravel())
                ends.append(b.ravel())
                offset += a.size
            self.members.append(sub)
            self.views.append(views)
            numbers = [getattr(start, n) for n in _NUMBERS], [getattr(end, n) for n in _NUMBERS]
            if any(numbers[0]) or any(numbers[1]):
                self.numbered.append(sub)
                number_starts.extend(numbers[0])
                number_ends.extend(numbers[1])
            else:
                self.zeroed.append(sub)
        self.start = np.concatenate(starts) if starts else np.zeros(0)
        self.end = np.concatenate(ends) if ends else np.zeros(0)
        self.number_start = np.array(number_starts, dtype=np.float64)
        self.number_end = np.array(number_ends, dtype=np.float64)
        self.buffer = np.empty_like(self.start)
        self.scratch = np.empty_like(self.start)
        self.attached = False
        self.done = False  # finished: Manim's code from then on (FadeOut's clean-up interpolates once more)

    def attach(self) -> None:
        """Make each member's arrays views into the buffer (again, if Manim's code replaced them)."""
        buffer = self.buffer
        for sub, views in zip(self.members, self.views, strict=True):
            for name, place, shape in views:
                setattr(sub, name, buffer[place].reshape(shape))
        for sub in self.zeroed:
            sub.stroke_width = sub.background_stroke_width = sub.sheen_factor = 0.0
        self.attached = True

    def interpolate(self, alpha: float, path_func: Any) -> None:
        if not self.attached:
            self.attach()
        # (1 - alpha) * start + alpha * end, as bezier.interpolate writes it, in place
        np.multiply(1 - alpha, self.start, out=self.buffer)
        np.multiply(alpha, self.end, out=self.scratch)
        np.add(self.buffer, self.scratch, out=self.buffer)
        numbers = ((1 - alpha) * self.number_start + alpha * self.number_end).tolist()
        k = 0
        for sub in self.numbered:
            sub.stroke_width, sub.background_stroke_width, sub.sheen_factor = numbers[k:k + 3]
            k += 3
        for sub, start, end in self.others:
            sub.interpolate(start, end, alpha, path_func)


def _plain_vmobject(m: Mobject) -> bool:
    cls = type(m)
    return (isinstance(m, VMobject) and cls.interpolate is Mobject.interpolate
            and cls.interpolate_color is VMobject.interpolate_color)


def _fusable(sub: Mobject, start: Mobject, end: Mobject) -> bool:
    if not (_plain_vmobject(sub) and _plain_vmobject(start) and _plain_vmobject(end)):
        return False
    for name in _ARRAYS:
        a, b = getattr(start, name, None), getattr(end, name, None)
        if not (type(a) is np.ndarray and type(b) is np.ndarray and a.shape == b.shape
                and a.dtype == np.float64 and b.dtype == np.float64):
            return False
    for name in _NUMBERS:
        if not (type(getattr(start, name, None)) in _NUMBER_TYPES and type(getattr(end, name, None)) in _NUMBER_TYPES):
            return False
    return True


def _plan_for(anim: Transform) -> _Plan | None:
    """The plan of ``anim``, made on its first frame; ``None`` where Manim's code must run."""
    plan = anim.__dict__.get(_PLAN, False)
    if plan is not False:
        return plan
    plan = None
    cls = type(anim)
    if (anim.__dict__.get(_ALLOWED) and config.renderer == RendererType.CAIRO and anim.path_func is straight_path
            and anim.lag_ratio == 0 and cls.interpolate_submobject is Transform.interpolate_submobject
            and cls.get_all_families_zipped is Transform.get_all_families_zipped
            and cls.get_sub_alpha is Animation.get_sub_alpha):
        mobjects = (anim.mobject, anim.starting_mobject, anim.target_copy)
        if not any(m.get_family_updaters() for m in mobjects):
            plan = _Plan(list(anim.get_all_families_zipped()))
    anim.__dict__[_PLAN] = plan
    return plan


def _fused_interpolate_mobject(self: Transform, alpha: float) -> None:
    plan = _plan_for(self)
    if plan is None or plan.done or alpha == 1:
        # the last frame is Manim's: each member gets its own arrays again (and _MethodAnimation.finish
        # has just applied its methods to the members, which may have replaced some of them)
        if plan is not None and alpha == 1:
            plan.done = True
        manim_interpolate_mobject(self, alpha)
        return
    # with lag_ratio 0 every member has the same sub-alpha: rate_func(alpha)
    plan.interpolate(self.get_sub_alpha(alpha, 0, 1), self.path_func)


def allow_fused_interpolation(animations: Iterable[Animation]) -> None:
    """Let these animations (and those inside groups) interpolate fused, from their first frame.

    For the animations of a play in which nothing else can change their members between frames: no
    updater anywhere and no animation that runs a scene's code (``scenes.speedups.drawing.updaters_in_play``). Call
    it before they begin.
    """
    for anim in leaf_animations(animations):
        if isinstance(anim, Transform):
            anim.__dict__[_ALLOWED] = True
