"""Faster Cairo paths: the same path Manim hands to Cairo, built with less overhead per glyph.

Every frame of an animation redraws its mobjects, and a caption is about 60 of them (one per glyph), each
a handful of Bézier curves. Manim's ``Camera.set_cairo_context_path`` finds where the subpaths split with
about ten NumPy calls on arrays of a few dozen points (NumPy's per-call overhead dominates at that size)
and passes NumPy scalars to Cairo one at a time. :func:`fast_cairo_paths` builds the same path from one
``tolist()`` of the points, with the split test written out in Python floats: the same IEEE operations in
the same order as Manim's vectorised ``isclose`` (``|end - start| <= atol + rtol * |start|``), so Cairo
receives exactly the same coordinates and draws exactly the same pixels (frame hashes in
``tests/test_speedups.py``). A mobject class that overrides how it splits subpaths keeps Manim's path.

Most draws repeat a path: a glyph that fades, a grid that stays while something above it moves, the still
background every play redraws. So the path Cairo was given is kept per mobject (``Context.copy_path``)
with the points it came from, and handed back (``append_path``) while the mobject's points, tolerance and
the context's matrix are byte for byte the same. Cairo keeps a path in fixed point (1/256 px); the copy
maps those back through the matrix and the replay maps them forth again, which lands on the same fixed
values, so the same pixels are drawn (frame hashes in ``tests/test_speedups.py``).
"""

from __future__ import annotations

import math
from typing import Any

from manim import VMobject
from manim.camera.camera import Camera

__all__ = ["manim_cairo_path"]

#: Manim's own method, kept for tests that compare with it
manim_cairo_path = Camera.set_cairo_context_path

_RTOL = 1.0e-5  # np.isclose's default, as Manim uses it
_INF = math.inf
#: per mobject (by id): (points as bytes, tolerance, points per curve, context matrix, Cairo's path). An id
#: reused by a new mobject is harmless: a hit needs the same points, hence builds the same path
_kept_paths: dict[int, tuple[bytes, float, int, Any, Any]] = {}
_KEEP_AT_MOST = 20_000  # then start again (a few tens of MB at most): the dead mobjects' entries go


def _close(a: float, b: float, atol: float) -> bool:
    """Manim's vectorised anchor test for one coordinate (``b`` is the later anchor)."""
    d = abs(a - b)
    if math.isfinite(d):
        return d <= atol + _RTOL * abs(b)
    return a == b  # what NumPy's non-finite branch leaves: equal infinities only


def _fast_set_path(self: Camera, ctx, vmobject: VMobject) -> Camera:
    cls = type(vmobject)
    if (cls.get_subpath_split_indices_from_points is not VMobject.get_subpath_split_indices_from_points
            or cls.consider_points_equals_2d is not VMobject.consider_points_equals_2d):
        return manim_cairo_path(self, ctx, vmobject)
    raw = vmobject.points
    key = raw.tobytes()
    atol, nppcc, matrix = vmobject.tolerance_for_point_equality, vmobject.n_points_per_cubic_curve, ctx.get_matrix()
    kept = _kept_paths.get(id(vmobject))
    if kept is not None and kept[:4] == (key, atol, nppcc, matrix):
        ctx.new_path()
        ctx.append_path(kept[4])
        return self
    points = self.transform_points_pre_display(vmobject, raw)
    if len(points) == 0:
        return self  # Manim leaves the context's path as it is
    _build_path(ctx, points, nppcc, atol, vmobject)
    if len(_kept_paths) >= _KEEP_AT_MOST:
        _kept_paths.clear()
    _kept_paths[id(vmobject)] = (key, atol, nppcc, matrix, ctx.copy_path())
    return self


def _build_path(ctx, points, nppcc: int, atol: float, vmobject: VMobject) -> None:
    """Manim's ``set_cairo_context_path`` from ``ctx.new_path()`` on, for at least one finite point."""
    n = len(points)
    ctx.new_path()
    if n < nppcc:
        return
    xy = points[:, :2].tolist()
    # subpath boundaries: where a curve's end anchor is not close to the next curve's start
    starts = [0]
    for b in range(nppcc, n, nppcc):
        (ex, ey), (sx, sy) = xy[b - 1], xy[b]
        # _close written out for the usual case (a finite bound that holds, hence a finite difference)
        if abs(ex - sx) <= atol + _RTOL * abs(sx) < _INF and abs(ey - sy) <= atol + _RTOL * abs(sy) < _INF:
            continue
        if not (_close(ex, sx, atol) and _close(ey, sy, atol)):
            starts.append(b)
    starts.append(n)
    move_to, curve_to, new_sub_path, close_path = ctx.move_to, ctx.curve_to, ctx.new_sub_path, ctx.close_path
    for start, end in zip(starts, starts[1:]):
        if end - start < nppcc:
            continue
        new_sub_path()
        move_to(*xy[start])
        for i in range(start, end - nppcc + 1, nppcc):
            (x1, y1), (x2, y2), (x3, y3) = xy[i + 1], xy[i + 2], xy[i + 3]
            curve_to(x1, y1, x2, y2, x3, y3)
        if vmobject.consider_points_equals_2d(xy[start], xy[end - 1]):
            close_path()
