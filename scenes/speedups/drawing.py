"""Render-speed measures shared by every scene; none of them changes a pixel.

(Three more live beside this module: ``speedups/copies.py`` (faster mobject copies), ``speedups/paths.py``
(faster Cairo paths) and ``speedups/latex.py`` (LaTeX with the preamble preloaded); :func:`scenes.speedups.install`
switches all of them on, and the lecture's scene base calls it.)

Each was found with a profile of a lecture scene and is checked by frame hashes (tests/test_speedups.py:
every frame of a scene drawn with and without them is bit-identical). They rely on Manim 0.22's
internals, which is why they are installed only on the Manim versions in ``scenes.speedups.VERIFIED_MANIM``.

- :func:`share_parsed_svg_paths`: Manim keeps, on every glyph of a ``Text`` or ``MathTex``, the parsed
  SVG path (an ``svgelements.Path``) its points were built from, and every copy deep-copies it again,
  though nothing reads it once the points exist. Animations copy their mobjects when they begin
  (``FadeIn``, ``Transform``...). Copies now share the parsed path: a number's copy went from 2.3 to
  0.4 ms, a caption's from 37 to 10 ms.
- :func:`cached_text`: a number such as ``0.25`` appears many times in a scene (grids, product panels);
  each ``Text`` is built once per scene process (~11 ms) and copied after that. Built texts are also
  kept on disk beside Manim's own text cache, so a later render (the pipeline keeps that cache per
  scene) loads a 60-glyph caption in a few ms instead of parsing its SVG again (~75 ms).
  :func:`cached_formula` does the same for ``MathTex`` (~40 ms to parse a formula's SVG).
- :func:`raise_moving`: Manim's Cairo renderer draws everything *above* the lowest animated mobject on
  every frame of an animation (the rest once, as a still background). A caption or a grid that was
  added early and animates later makes much of the scene redraw. Animated mobjects now move to the top
  of the drawing order where that cannot change a pixel: mobjects drawn during the animations of
  ``local_connectivity`` went from 49.5k to 37.6k, of ``error_flow`` from 78.7k to 62.7k.
- :func:`composite_images_in_their_box`: to draw an ``ImageMobject`` Manim pastes it into a transparent
  frame-sized image and alpha-composites the whole frame, on every frame (at 1080p, several ms per
  picture; ``mnist_features`` shows dozens). Compositing only the box the picture covers gives the
  same pixels, since compositing a transparent pixel leaves the one below unchanged.
- :func:`frame_extent`: the scenes check after every play that nothing left the frame. Manim's
  ``get_corner`` gathers a group's boundary points into one array through a Python tuple of rows (twice,
  once per corner); taking each member's minimum and maximum in NumPy gives the same corners, exactly
  (``error_flow``: 0.65 s of checks down to about 0.25 s).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import manim
import numpy as np
import svgelements
from manim import (AnimationGroup, DrawBorderThenFill, MathTex, Mobject, ShowPartial, Text, Transform, VMobject,
                   Wait, config)
from manim.camera.camera import Camera
from manim.utils.bezier import interpolate

from PIL import Image

from cnnviz.paths import atomic_write
from scenes.kit.fades import OpacityFade

from . import active as speedups_active

__all__ = ["ask_ahead_first", "built_path", "cached_formula", "cached_text", "forget_display_lists",
           "formulas_built", "frame_extent", "keep_display_lists", "leaf_animations",
           "raise_moving", "typeset_built", "updaters_in_play"]

#: scene units added around every box, on each side: half of a stroke of width 10 (Cairo draws width w as
#: 0.01 w units); no stroke in the lecture is wider
MARGIN = 0.05


def _shared(path: svgelements.Path, memo: dict[int, Any]) -> svgelements.Path:
    return path


def _overlay_in_box(camera: Camera, pixel_array: np.ndarray, image: Image.Image) -> None:
    box = image.getbbox(alpha_only=False)  # where any channel is non-zero
    if box is None:
        return
    x0, y0, x1, y1 = box
    below = Image.fromarray(np.ascontiguousarray(pixel_array[y0:y1, x0:x1]), mode=camera.image_mode)
    pixel_array[y0:y1, x0:x1] = np.array(Image.alpha_composite(below, image.crop(box)), dtype="uint8")


_BUILDERS = {"text": Text, "tex": MathTex}


def _stored(kind: str, text: str, kwargs: tuple[tuple[str, Any], ...], built_dir: Path | None = None) -> Text | MathTex:
    """``Text(text, **kwargs)`` (kind ``"text"``) or ``MathTex`` (``"tex"``), from the disk cache (``built_dir``,
    see :func:`built_path`) when an earlier render built it."""
    cls = _BUILDERS[kind]
    path = built_path(kind, text, kwargs, built_dir)
    if _ahead is not None:
        _ahead(kind, text, kwargs)  # waits while the helper builds this one (then it is on disk)
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    built = cls(text, **dict(kwargs))
    for glyph in built.get_family():
        glyph.__dict__.pop("path_obj", None)  # only read while the points are built; heavy to store
    atomic_write(path, lambda f: pickle.dump(built, f, protocol=pickle.HIGHEST_PROTOCOL))  # races: last wins, whole
    return built


def built_path(kind: str, text: str, kwargs: tuple[tuple[str, Any], ...], built_dir: Path | None = None) -> Path:
    """Where the built ``Text``/``MathTex`` is kept: ``built_dir``, by default ``built/`` in Manim's text_dir
    (beside its text cache; not in its tex_dir, where Manim deletes all but .tex and .svg files)."""
    key = hashlib.sha256(repr((manim.__version__, kind, text, kwargs)).encode()).hexdigest()[:32]
    return (built_dir or config.get_dir("text_dir") / "built") / f"{key}.pkl"


#: Set by :mod:`scenes.speedups.ahead` while its helper builds ahead: told of each text and formula the scene
#: asks for before it is looked up on disk; returns once the helper is not building that one.
_ahead: Callable[[str, str, tuple[tuple[str, Any], ...]], None] | None = None


def ask_ahead_first(ask: Callable[[str, str, tuple[tuple[str, Any], ...]], None] | None) -> None:
    """Have :func:`cached_text` and :func:`cached_formula` call ``ask(kind, text, options)`` before they look
    for a built one on disk (``None``: stop)."""
    global _ahead
    _ahead = ask


@lru_cache(maxsize=4096)
def _prototype(kind: str, text: str, kwargs: tuple[tuple[str, Any], ...]) -> Text | MathTex:
    built = _stored(kind, text, kwargs)
    if kind == "text":
        # the SVG's groups, kept by SVGMobject while it builds; a Text never reads them again (MathTex does:
        # set_color_by_tex), yet every copy copied them: a caption's 160 groups made its copy 4x slower
        built.__dict__.pop("id_to_vgroup_dict", None)
    return built


def _key(kwargs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    if "color" in kwargs:
        kwargs["color"] = str(kwargs["color"])
    return tuple(sorted(kwargs.items()))


_built: dict[tuple[str, str, tuple[tuple[str, Any], ...]], None] = {}  # (kind, text, options), first use first


def _copy_of(kind: str, text: str, kwargs: dict[str, Any]) -> Text | MathTex:
    key = _key(kwargs)
    _built.setdefault((kind, text, key))
    if not speedups_active():  # speed-ups off: Manim's own object, built as Manim builds it
        return _BUILDERS[kind](text, **dict(key))
    return _prototype(kind, text, key).copy()


def cached_text(text: str, **kwargs: Any) -> Text:
    """A new ``Text`` equal to ``Text(text, **kwargs)``, built once per process and kept on disk."""
    return _copy_of("text", text, kwargs)


def cached_formula(tex: str, **kwargs: Any) -> MathTex:
    """A new ``MathTex`` equal to ``MathTex(tex, **kwargs)``, built once per process and kept on disk."""
    return _copy_of("tex", tex, kwargs)


def typeset_built() -> list[list[Any]]:
    """``[kind, text, options]`` ("text" or "tex") of every text and formula :func:`cached_text` and
    :func:`cached_formula` gave in this process, in order of first use."""
    return [[kind, text, dict(options)] for kind, text, options in _built]


def formulas_built() -> list[str]:
    """The LaTeX of every formula :func:`cached_formula` gave in this process, in order of first use."""
    return list(dict.fromkeys(text for kind, text, _ in _built if kind == "tex"))


def _box(mobjects: Iterable[Mobject | None]) -> np.ndarray | None:
    """``[xmin, ymin, xmax, ymax]`` around the points of ``mobjects`` and their families, or ``None``."""
    points = [m.get_all_points() for m in mobjects if m is not None]
    points = [p for p in points if len(p)]
    if not points:
        return None
    p = np.concatenate(points)
    return np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0] - MARGIN < b[2] + MARGIN and b[0] - MARGIN < a[2] + MARGIN
                and a[1] - MARGIN < b[3] + MARGIN and b[1] - MARGIN < a[3] + MARGIN)


def _leaves(animations: Iterable[Any]) -> Iterable[Any]:
    for anim in animations:
        if isinstance(anim, AnimationGroup):
            yield from _leaves(anim.animations)
        yield anim


def leaf_animations(animations: Iterable[Any]) -> list[Any]:
    """The animations of a play that are not groups, those inside groups included."""
    return [a for a in _leaves(animations) if not isinstance(a, AnimationGroup)]


#: animations that run no code of the scene's while they play (Create and Write are ShowPartial and
#: DrawBorderThenFill; the kit's OpacityFade writes alphas only); an UpdateFromFunc, for one, could add an
#: updater mid-play
_QUIET = (Transform, ShowPartial, DrawBorderThenFill, Wait, OpacityFade)


def updaters_in_play(scene: Any) -> bool:
    """Whether a frame of the scene's current play may run an updater.

    Manim calls ``update`` on every member of every mobject of the scene, and of the animations' start and
    target copies, on every frame; with no updater anywhere each call does nothing. ``False`` only when
    nothing in the scene or its animations has an updater and every animation is one that cannot add one.
    """
    if scene.updaters or getattr(scene, "meshes", None):
        return True
    leaves = leaf_animations(scene.animations)
    if not all(isinstance(a, _QUIET) for a in leaves):
        return True
    # before or after the animations begin: the copies they make carry their originals' updaters
    parts = ("mobject", "target_mobject", "starting_mobject", "target_copy")
    owners = list(scene.mobjects) + [m for a in leaves for m in (getattr(a, p, None) for p in parts) if m is not None]
    return any(m.updaters for top in owners for m in top.get_family())


#: Manim's own ``Camera.get_mobjects_to_display``
manim_mobjects_to_display = Camera.get_mobjects_to_display
_DISPLAY = "_cnnviz_display_lists"


def _kept_mobjects_to_display(self: Camera, mobjects: Iterable[Mobject], include_submobjects: bool = True,
                              excluded_mobjects: list | None = None) -> list[Mobject]:
    kept = self.__dict__.get(_DISPLAY)
    mobjects = list(mobjects)
    if kept is None:
        return manim_mobjects_to_display(self, mobjects, include_submobjects, excluded_mobjects)
    key = (tuple(map(id, mobjects)), include_submobjects, tuple(map(id, excluded_mobjects or ())))
    found = kept.get(key)
    if found is None:
        found = kept[key] = manim_mobjects_to_display(self, mobjects, include_submobjects, excluded_mobjects)
    return list(found)


def keep_display_lists(camera: Camera, animations: Iterable[Any], *, updaters: bool) -> None:
    """For the current play, let ``camera`` flatten the same mobjects into their members once, not per frame
    (``Camera.get_mobjects_to_display``, which the renderer calls on every frame).

    Only where no member can appear, leave or gain or lose its points while the play runs: transforms and
    waits (their families are aligned when they begin), opacity fades (they change colours only) and no
    updater anywhere (``updaters``: what :func:`updaters_in_play` said); otherwise Manim's call runs on
    every frame, as before.
    :func:`forget_display_lists` ends it.
    """
    frozen = not updaters and all(isinstance(a, (Transform, Wait, OpacityFade)) for a in leaf_animations(animations))
    camera.__dict__[_DISPLAY] = {} if frozen else None


def forget_display_lists(camera: Camera) -> None:
    camera.__dict__[_DISPLAY] = None


def _reach(anim: Any) -> list[Mobject] | None:
    """The mobjects whose boxes cover everything ``anim`` draws while it runs, or ``None`` if unknown."""
    if isinstance(anim, Transform):  # FadeIn/FadeOut, .animate and the Transform family
        if anim.path_func is not interpolate:  # along an arc: points may leave both boxes
            return None
        return [anim.mobject, getattr(anim, "starting_mobject", None), getattr(anim, "target_copy", None)]
    # Create/Write draw parts of their mobject; an OpacityFade changes only its colours
    if isinstance(anim, (ShowPartial, DrawBorderThenFill, Wait, AnimationGroup, OpacityFade)):
        return [anim.mobject]
    return None


def raise_moving(mobjects: list[Mobject], animations: Sequence[Any]) -> None:
    """Reorder ``mobjects`` (a scene's drawing order, in place) so that animated ones come last, where no
    pixel can change: an animated mobject is raised only above mobjects its whole reach does not touch.

    Leaves the order alone when any animation's reach is unknown, or z-indices or updaters are in play.
    """
    leaves = list(_leaves(animations))
    reaches = [_reach(a) for a in leaves]
    if any(r is None for r in reaches) or any(m.z_index or m.updaters for top in mobjects for m in top.get_family()):
        return
    families = [{id(m) for m in top.get_family()} for top in mobjects]
    reach_of: dict[int, list[Mobject]] = {}
    for anim, reach in zip(leaves, reaches):
        animated = {id(m) for m in anim.mobject.get_family()}
        for i, family in enumerate(families):
            if family & animated:
                reach_of.setdefault(i, [mobjects[i]]).extend(reach)
    first = min(reach_of, default=len(mobjects))
    if all(i in reach_of for i in range(first, len(mobjects))):
        return  # the animated ones are on top already
    # from the top down: raise i if it touches nothing above it that stays where it is
    boxes = [_box(reach_of.get(i, [m])) for i, m in enumerate(mobjects)]
    raised: list[int] = []
    for i in sorted(reach_of, reverse=True):
        staying = (j for j in range(i + 1, len(mobjects)) if j not in raised and boxes[j] is not None)
        if boxes[i] is not None and not any(_overlap(boxes[i], boxes[j]) for j in staying):
            raised.append(i)
    mobjects[:] = [m for i, m in enumerate(mobjects) if i not in raised] + [mobjects[i] for i in sorted(raised)]


def _anchor_runs(mobject: Mobject) -> list[np.ndarray] | None:
    """The arrays ``VMobject.get_points_defining_boundary`` would join (each member's start and end
    anchors), or ``None`` where Manim's own call should decide (a member that is not a plain VMobject
    in this respect, or curves cut short, on which Manim's strict zip raises)."""
    runs = []
    for member in mobject.get_family():
        if not isinstance(member, VMobject) or type(member).get_anchors is not VMobject.get_anchors:
            return None
        points = member.points
        if len(points) == 1:
            runs.append(points)
        elif len(points):
            n = member.n_points_per_cubic_curve
            starts, ends = points[::n], points[n - 1 :: n]
            if len(starts) != len(ends):
                return None
            runs += [starts, ends]
    return runs


def frame_extent(mobject: Mobject) -> tuple[float, float, float, float] | None:
    """``(x0, y0, x1, y1)``: the x and y of ``mobject.get_corner(LEFT + DOWN)`` and of
    ``get_corner(RIGHT + UP)``, or ``None`` when its boundary has no points (where those are the origin).

    The same numbers as Manim's, minimum and maximum being exact; faster for groups of many glyphs.
    """
    runs = None
    if type(mobject).get_points_defining_boundary is VMobject.get_points_defining_boundary:
        runs = _anchor_runs(mobject)
    if runs is None:
        runs = [np.asarray(mobject.get_points_defining_boundary())]
    runs = [r for r in runs if len(r)]
    if not runs:
        return None
    points = np.concatenate(runs)[:, :2]
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
