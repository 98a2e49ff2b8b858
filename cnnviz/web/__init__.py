"""Web products built from rendered clips: the reveal.js slide deck and the HTML gallery.

Plain Python (no manim, no torch): these read what a render left in the output folder
(``OUT/<id>.mp4``, ``OUT/<id>.json``, ``OUT/sections/<id>/sections.json``) and write HTML beside it.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..paths import ASSETS

__all__ = ["ROOT", "VENDOR_REVEAL", "clip_path", "page_head"]

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


def page_head(title: str, *, language: str, generator: str, head: str) -> str:
    """The start of a page, through ``</head>``: what the deck and the gallery share, then ``head``
    (their stylesheets). ``<link rel="icon" href="data:,">`` spares the browser a favicon request
    (an error in the console of a page opened from disk)."""
    return f"""<!doctype html>
<html lang="{html.escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cnnviz ({generator})">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
{head}
</head>
"""
