"""Render speed-ups for the lecture's scenes: opt-in, isolated, tied to the Manim versions they were verified on.

None of them changes a pixel (``tests/test_speedups.py`` renders scenes with and without them and compares
every frame's hash). They replace a few Manim internals with faster equivalents, which is why they are
tied to Manim's version: on a Manim not in :data:`VERIFIED_MANIM` they are skipped, with one warning line,
and every scene still renders (more slowly).

Importing this package (or ``scenes.kit``, or ``scenes.common``) changes nothing in Manim. The lecture's
scene base (:class:`scenes.common.LectureScene`) calls :func:`install` when a scene sets up;
``CNNVIZ_SPEEDUPS=0`` (:mod:`cnnviz.scene_env`) keeps them off. :func:`uninstall` restores Manim's own code.

What they are (each module says more):

- ``drawing``: copies share glyphs' parsed SVG paths; pictures composited in their own box; per-play
  display lists; texts and formulas built once and kept on disk (:func:`~scenes.speedups.drawing.cached_text`);
  animated mobjects raised in the drawing order where no pixel can change; a faster frame-extent check.
- ``copies``: mobject copies with deepcopy's rules inlined; ``FadeOut`` with one copy less.
- ``paths``: Cairo paths built from one ``tolist()``.
- ``interpolate``: a transform's members interpolated in one NumPy operation.
- ``latex``: formulas compiled with a preloaded preamble format.
- ``encode``: frames reach the encoder as views, a ``wait``'s still converted once.
- ``ahead``: a first render builds its texts ahead on the free core.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["PATCHES", "VERIFIED_MANIM", "Patch", "active", "install", "uninstall"]

#: Manim versions every speed-up was verified on (frames bit-identical with and without them)
VERIFIED_MANIM = ("0.22.0",)

log = logging.getLogger("cnnviz.speedups")


@dataclass(frozen=True)
class Patch:
    """``owner.attribute = replacement()`` while installed; Manim's own value is kept to restore it."""

    name: str
    owner: Callable[[], Any]
    attribute: str
    replacement: Callable[[], Any]


def _module(name: str) -> Callable[[], Any]:
    """A getter of module ``name`` (imported on first use: nothing of Manim's is touched at import time)."""
    return lambda: importlib.import_module(name)


def _attribute(module: str, name: str) -> Callable[[], Any]:
    """A getter of ``module.name``, imported on first use."""
    return lambda: getattr(importlib.import_module(module), name)


_camera = _attribute("manim.camera.camera", "Camera")


def _ours(module: str, name: str) -> Callable[[], Any]:
    """A getter of the replacement ``scenes.speedups.<module>.<name>``."""
    return _attribute(f"{__name__}.{module}", name)


#: every global change the speed-ups make, in the order they are installed
PATCHES: tuple[Patch, ...] = (
    Patch("shared parsed SVG paths", _attribute("svgelements", "Path"), "__deepcopy__", _ours("drawing", "_shared")),
    Patch("pictures composited in their box", _camera, "overlay_PIL_image", _ours("drawing", "_overlay_in_box")),
    Patch("per-play display lists", _camera, "get_mobjects_to_display",
          _ours("drawing", "_kept_mobjects_to_display")),
    Patch("fast mobject copies", _attribute("manim", "Mobject"), "__deepcopy__", _ours("copies", "_fast_deepcopy")),
    Patch("FadeOut with one copy less", _attribute("manim", "FadeOut"), "begin", _ours("copies", "_fade_out_begin")),
    Patch("fast Cairo paths", _camera, "set_cairo_context_path", _ours("paths", "_fast_set_path")),
    Patch("fused transform interpolation", _attribute("manim", "Transform"), "interpolate_mobject",
          _ours("interpolate", "_fused_interpolate_mobject")),
    Patch("preloaded LaTeX format", _module("manim.utils.tex_file_writing"), "compile_tex",
          _ours("latex", "_compile_tex")),
    Patch("frames encoded in place", _attribute("manim.scene.video_segment_encoder", "VideoSegmentEncoder"),
          "write_frame", _ours("encode", "_write_frame_in_place")),
)

_originals: dict[str, Any] = {}
_warned = False


def manim_version() -> str:
    import manim

    return manim.__version__


def active() -> bool:
    """Whether the speed-ups are installed in this process."""
    return bool(_originals)


def install(*, enabled: bool = True) -> bool:
    """Install every speed-up (once per process) if ``enabled`` and this Manim is one they were verified on.

    Returns whether they are active. On another Manim, logs one warning line (once per process) and
    leaves Manim untouched: scenes render as they would with plain Manim.
    """
    global _warned
    if not enabled:
        uninstall()
        return False
    if _originals:
        return True
    version = manim_version()
    if version not in VERIFIED_MANIM:
        if not _warned:
            log.warning("cnnviz: render speed-ups skipped: verified on Manim %s, this is Manim %s (scenes render "
                        "the same, more slowly)", ", ".join(VERIFIED_MANIM), version)
            _warned = True
        return False
    for patch in PATCHES:
        owner = patch.owner()
        _originals[patch.name] = owner.__dict__.get(patch.attribute, _INHERITED)
        setattr(owner, patch.attribute, patch.replacement())
    return True


_INHERITED = object()  # the attribute was inherited, not the owner's own: uninstall deletes it


def uninstall() -> None:
    """Restore Manim's own code wherever :func:`install` replaced it."""
    for patch in reversed(PATCHES):
        if patch.name not in _originals:
            continue
        owner, original = patch.owner(), _originals.pop(patch.name)
        if original is _INHERITED:
            delattr(owner, patch.attribute)
        else:
            setattr(owner, patch.attribute, original)
