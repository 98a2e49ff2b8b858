"""Web products built from rendered clips: the reveal.js slide deck and the HTML gallery.

Plain Python (no manim, no torch): these read what a render left in the output folder
(``OUT/<id>.mp4``, ``OUT/<id>.json``, ``OUT/sections/<id>/sections.json``) and write HTML beside it, from
the Jinja2 templates in ``templates/`` and the static files in ``static/`` (:mod:`cnnviz.web.templating`).
"""

from __future__ import annotations

from pathlib import Path

from ..paths import ASSETS

__all__ = ["ROOT", "VENDOR_REVEAL", "clip_path"]

ROOT = Path(__file__).resolve().parent.parent.parent
VENDOR_REVEAL = ASSETS / "vendor" / "reveal.js"
CLIP_SUFFIXES = ("mp4", "webm", "mov", "gif", "png")


def clip_path(out_dir: Path, scene_id: str) -> Path | None:
    """The clip a render left for ``scene_id`` in ``out_dir`` (any format), or None."""
    for suffix in CLIP_SUFFIXES:
        p = out_dir / f"{scene_id}.{suffix}"
        if p.is_file():
            return p
    return None

