"""Web products built from rendered clips: the reveal.js slide deck and the HTML gallery.

Plain Python (no manim, no torch): these read what a render left in the output folder
(``OUT/<id>.mp4``, ``OUT/<id>.json``, ``OUT/sections/<id>/sections.json``) and write HTML beside it, from
the Jinja2 templates in ``templates/`` and the static files in ``static/`` (:mod:`cnnviz.web.templating`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..paths import ASSETS

__all__ = ["LANGUAGE_LABEL", "ROOT", "VENDOR_REVEAL", "clip_path", "vtt_data_url"]

ROOT = Path(__file__).resolve().parent.parent.parent
VENDOR_REVEAL = ASSETS / "vendor" / "reveal.js"
CLIP_SUFFIXES = ("mp4", "webm", "mov", "gif", "png")
#: a subtitle track's label, by the language of the render (its JSON's ``language``)
LANGUAGE_LABEL = {"en": "English", "zh": "中文"}
# What a data: URL cannot hold as it is: "%" and "#" mean something there, and a URL parser drops line breaks
# and tabs and trims spaces and controls at the ends. Everything else may stay (the parser encodes non-ASCII
# as UTF-8; the page escapes what HTML needs).
_NOT_IN_DATA_URL = re.compile(r"[\x00-\x20%#\x7f]")


def clip_path(out_dir: Path, scene_id: str) -> Path | None:
    """The clip a render left for ``scene_id`` in ``out_dir`` (any format), or None."""
    for suffix in CLIP_SUFFIXES:
        p = out_dir / f"{scene_id}.{suffix}"
        if p.is_file():
            return p
    return None


def vtt_data_url(text: str) -> str:
    """WebVTT ``text`` as a ``data:`` URL, for a ``<track src>``.

    A page opened from disk may not fetch a file for a ``<track>`` (Chromium refuses it: "'file:' URLs are treated
    as unique security origins"), so the pages carry each track's cues themselves; the ``.vtt`` file beside the
    clip holds the same text, for players, downloads and other pages.

    Examples
    --------
    >>> vtt_data_url("WEBVTT\\n\\n1\\n00:00:00.500 --> 00:00:02.000\\n#1: 100% 卷积\\n")
    'data:text/vtt;charset=utf-8,WEBVTT%0A%0A1%0A00:00:00.500%20-->%2000:00:02.000%0A%231:%20100%25%20卷积%0A'
    """
    return "data:text/vtt;charset=utf-8," + _NOT_IN_DATA_URL.sub(lambda m: f"%{ord(m.group()):02X}", text)
