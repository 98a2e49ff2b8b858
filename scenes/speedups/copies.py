"""Faster copies of mobjects: the same copy ``copy.deepcopy`` makes, with less work per attribute.

Animations copy their mobjects when they begin (``FadeIn`` and ``FadeOut`` make a faded copy,
``Transform`` copies its target), and every glyph of a caption is a mobject with about 35 attributes.
``Mobject.__deepcopy__`` sends each attribute through ``copy.deepcopy``: a memo lookup, a type dispatch
and, for a colour, a ``__reduce_ex__`` round trip. In ``error_flow`` that was about a quarter of the
render. :func:`fast_mobject_copies` replaces ``Mobject.__deepcopy__`` with one that handles the common
attribute types inline, with ``copy.deepcopy``'s rules:

- immutable values (``None``, numbers, strings, enums) are shared, as ``deepcopy`` shares them;
- a numeric ``ndarray`` is copied with its memory layout (``ndarray.__deepcopy__``), lists and dicts
  element by element; each is recorded in the memo, so an array or list that two mobjects share is still
  shared by their copies;
- a ``ManimColor`` gets a new colour with a copy of its value array (what its ``__reduce_ex__`` rebuilds);
- anything else goes to ``copy.deepcopy`` as before.

:func:`fade_out_with_one_copy_less`: a ``Transform`` copies its target when it begins, so that aligning
the copy with the animated mobject leaves the target as it was. ``FadeOut``'s target is the faded copy
it has just made itself and that nothing else sees, so the second copy is dropped.

``tests/test_speedups.py`` checks a copy attribute by attribute against Manim's own, and frame hashes
of whole scenes.
"""

from __future__ import annotations

import copy
import enum
from typing import Any

import numpy as np
from manim import Animation, FadeOut, ManimColor, Mobject, config
from manim.constants import RendererType

__all__ = ["manim_deepcopy", "manim_fade_out_begin"]

#: Manim's own ``Mobject.__deepcopy__``, kept for tests that compare with it
manim_deepcopy = Mobject.__deepcopy__
#: Manim's own ``FadeOut.begin`` (``Transform.begin``)
manim_fade_out_begin = FadeOut.begin

_SHARED = {type(None), int, float, bool, str, complex, bytes}
_MISSING = object()


def _keep_alive(x: Any, memo: dict[int, Any]) -> None:
    # as copy._keep_alive: the memo holds the originals, so their ids cannot be reused during the copy
    try:
        memo[id(memo)].append(x)
    except KeyError:
        memo[id(memo)] = [x]


def _copy_value(v: Any, memo: dict[int, Any]) -> Any:
    t = type(v)
    if t in _SHARED:
        return v
    y = memo.get(id(v), _MISSING)
    if y is not _MISSING:
        return y
    if t is np.ndarray and not v.dtype.hasobject:
        y = v.copy(order="K")
    elif t is list:
        y = []
        memo[id(v)] = y  # before the elements, as copy._deepcopy_list: a list may contain itself
        y.extend([_copy_value(x, memo) for x in v])
    elif t is dict:
        y = {}
        memo[id(v)] = y
        for key, value in v.items():
            y[_copy_value(key, memo)] = _copy_value(value, memo)
    elif t is ManimColor:
        y = ManimColor.__new__(ManimColor)
        memo[id(v)] = y
        y.__dict__.update({k: _copy_value(a, memo) for k, a in v.__dict__.items()})
    else:  # mobjects (their own __deepcopy__), enums, paths...: as before
        if isinstance(v, enum.Enum):
            _SHARED.add(t)  # Enum.__deepcopy__ returns the member itself
        return copy.deepcopy(v, memo)
    memo[id(v)] = y
    _keep_alive(v, memo)
    return y


def _fast_deepcopy(self: Mobject, memo: dict[int, Any]) -> Mobject:
    cls = self.__class__
    result = cls.__new__(cls)
    memo[id(self)] = result
    # one C-level copy of the attributes, then only the ones deepcopy would not share are replaced
    # (Manim's mobjects define no __setattr__, so this is what setattr per attribute did)
    attributes = self.__dict__.copy()
    for k, v in attributes.items():
        if type(v) not in _SHARED:
            attributes[k] = _copy_value(v, memo)
    result.__dict__.update(attributes)
    result.original_id = str(id(self))
    return result


def _fade_out_begin(self: FadeOut) -> None:
    # Transform.begin, less `target_copy = target_mobject.copy()`; with updaters in play (they would run
    # on the one target twice) or another renderer, Manim's own
    if config.renderer != RendererType.CAIRO or self.mobject.get_family_updaters():
        manim_fade_out_begin(self)
        return
    self.target_mobject = self.create_target()
    self.target_copy = self.target_mobject
    self.mobject.align_data(self.target_copy)
    Animation.begin(self)
