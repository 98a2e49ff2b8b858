"""Fading a mobject that already belongs to a group in the scene in or out, without taking it out of the group.

Manim's ``FadeIn``/``FadeOut`` add or remove the mobject at the top level of the scene (which breaks the group
it belongs to into pieces) and deep-copy it twice (a number's glyphs: milliseconds each). These change only
the opacities of the mobject's members, in place, from what they are to what they were asked to be: no copy,
no change of points, so nothing glyph-morphs into another text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import Animation, Mobject, VMobject

__all__ = ["OpacityFade", "conceal", "reveal"]


def _alphas(m: VMobject) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy(), m.background_stroke_rgbas[:, 3].copy())


class OpacityFade(Animation):
    """Take every vectorised member of ``mobject`` from its opacities now to ``target`` (``(fill, stroke,
    background stroke)`` alpha arrays per member, as :meth:`opacities` gives them; ``None``: all zero).

    Examples
    --------
    >>> from manim import Square
    >>> sq = Square(fill_opacity=0.5)
    >>> shown = OpacityFade.opacities(sq)
    >>> fade = OpacityFade(sq.set_fill(opacity=0.0).set_stroke(opacity=0.0), shown)
    >>> fade.begin(); fade.finish()
    >>> float(sq.get_fill_opacity()), float(sq.get_stroke_opacity())
    (0.5, 1.0)
    """

    def __init__(self, mobject: Mobject, target: list[tuple[np.ndarray, ...]] | None = None, **kwargs: Any) -> None:
        super().__init__(mobject, **kwargs)
        self._members = self._vectorised(mobject)
        self._end = target if target is not None else [tuple(np.zeros_like(a) for a in _alphas(m))
                                                       for m in self._members]
        if len(self._end) != len(self._members):
            raise ValueError("target opacities do not match the mobject's members")

    @staticmethod
    def _vectorised(mobject: Mobject) -> list[VMobject]:
        return [m for m in mobject.family_members_with_points() if isinstance(m, VMobject)]

    @classmethod
    def opacities(cls, mobject: Mobject) -> list[tuple[np.ndarray, ...]]:
        """The fill, stroke and background-stroke alphas of each vectorised member, as they are now."""
        return [_alphas(m) for m in cls._vectorised(mobject)]

    def create_starting_mobject(self) -> Mobject:
        return self.mobject  # nothing moves: no copy (the start is read in begin)

    def begin(self) -> None:
        self._start = [_alphas(m) for m in self._members]
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        for m, start, end in zip(self._members, self._start, self._end):
            for rgbas, a, b in zip((m.fill_rgbas, m.stroke_rgbas, m.background_stroke_rgbas), start, end):
                if len(rgbas) == len(a) == len(b):
                    rgbas[:, 3] = a + (b - a) * alpha


def reveal(mobject: Mobject, **kwargs: Any) -> OpacityFade:
    """Hide ``mobject`` now and return the animation that fades it in to how it looks now.

    Examples
    --------
    >>> from manim import Square
    >>> sq = Square(fill_opacity=0.5)
    >>> anim = reveal(sq, run_time=0.5)
    >>> float(sq.get_fill_opacity())
    0.0
    >>> anim.begin(); anim.finish(); float(sq.get_fill_opacity())
    0.5
    """
    shown = OpacityFade.opacities(mobject)
    for m in OpacityFade._vectorised(mobject):  # in place: the arrays keep their shapes
        for rgbas in (m.fill_rgbas, m.stroke_rgbas, m.background_stroke_rgbas):
            rgbas[:, 3] = 0.0
    return OpacityFade(mobject, shown, **kwargs)


def conceal(mobject: Mobject, **kwargs: Any) -> OpacityFade:
    """The animation that fades ``mobject`` out (it stays where it is, invisible).

    Examples
    --------
    >>> from manim import Square
    >>> sq = Square()
    >>> anim = conceal(sq); anim.begin(); anim.finish(); float(sq.get_stroke_opacity())
    0.0
    """
    return OpacityFade(mobject, None, **kwargs)
