"""An HTML gallery of rendered clips.

``build_gallery(out)`` writes ``out/gallery.html``: per clip its poster frame (``out/posters/<id>.png``,
the clip's last frame, taken with PyAV), title, parameters and every number from ``out/<id>.json``
(arrays pretty-printed in collapsible blocks), and the clip itself in a ``<video controls>``, with its
narration as subtitles (a ``<track>`` with the text of ``out/<id>.vtt``, which the card links) where the render
wrote them.

A gallery built with ``live=True`` polls ``/version`` once a second and reloads when the version changes:
``preview`` serves it with :class:`cnnviz.web.server.PreviewServer` and watches the sources with
:class:`cnnviz.web.watch.Watcher`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import atomic_write
from . import LANGUAGE_LABEL, clip_path, vtt_data_url
from .templating import render, static_markup

__all__ = ["GalleryItem", "build_gallery", "make_poster", "pretty_array", "scan"]

MAX_SHOWN = 20000  # numbers per array written into the page; larger arrays are left to <id>.json


@dataclass
class GalleryItem:
    id: str
    title: str
    summary: str
    clip: Path
    doc: dict[str, Any]
    poster: Path | None = None


def scan(out_dir: Path) -> list[GalleryItem]:
    """Every rendered clip in ``out_dir`` that has its JSON, in lecture (registry) order."""
    from ..registry import SCENES

    items = []
    for info in SCENES:
        doc_path = out_dir / f"{info.id}.json"
        clip = clip_path(out_dir, info.id)
        if clip is None or not doc_path.is_file():
            continue
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            doc = {"error": f"{doc_path.name} could not be read: {exc}"}
        items.append(GalleryItem(info.id, info.title(doc.get("language", "en")), info.summary, clip, doc))
    return items


def make_poster(clip: Path, poster: Path, *, max_width: int = 960) -> Path:
    """The clip's last frame as a PNG (kept while newer than the clip). A PNG clip is its own poster."""
    if clip.suffix == ".png":
        return clip
    if poster.is_file() and poster.stat().st_mtime >= clip.stat().st_mtime:
        return poster
    import av

    last = None
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration else \
            (container.duration or 0) / 1e6
        if duration > 2:  # decode only the last second or so, not the whole clip
            container.seek(int((duration - 1.5) / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            last = frame
        if last is None:  # the seek overshot: decode from the start
            container.seek(0, stream=stream)
            for frame in container.decode(stream):
                last = frame
    if last is None:
        raise ValueError(f"{clip}: no video frames")
    image = last.to_image()
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)))
    atomic_write(poster, lambda f: image.save(f, format="PNG"))
    return poster


# ---------------------------------------------------------------- numbers
def _fmt_number(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def pretty_array(value: Any) -> tuple[str, str]:
    """(shape label, text) for a JSON value: numeric arrays laid out as numpy does, the rest as JSON."""
    import numpy as np

    if isinstance(value, list):
        try:
            arr = np.asarray(value)
        except ValueError:  # ragged
            arr = None
        if arr is not None and arr.dtype.kind in "biuf" and arr.size:
            shape = "×".join(str(n) for n in arr.shape)
            if arr.size > MAX_SHOWN:
                return shape, f"({arr.size} numbers; see the JSON file)"
            one = (lambda b: "1" if b else "0") if arr.dtype.kind == "b" else (lambda x: _fmt_number(float(x)))
            width = max(len(one(x)) for x in arr.flat)  # columns line up
            return shape, np.array2string(arr, separator=" ", max_line_width=110, threshold=MAX_SHOWN + 1,
                                          formatter={"all": lambda x: one(x).rjust(width)})
        return f"{len(value)} items", json.dumps(value, indent=1, ensure_ascii=False)
    if isinstance(value, dict):
        return f"{len(value)} keys", json.dumps(value, indent=1, ensure_ascii=False)
    return "", _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _fmt_number(value)
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


# ---------------------------------------------------------------- what a card shows
@dataclass(frozen=True)
class _Block:
    """An array (or list, or dict) as a collapsible block: its name, shape label and text."""

    name: str
    shape: str
    text: str
    open: bool


@dataclass(frozen=True)
class _Values:
    """A dict of values as the page lays it out: scalars as table rows, the rest as blocks."""

    rows: list[tuple[str, str]]
    blocks: list[_Block]


@dataclass(frozen=True)
class _Subtitles:
    """A clip's subtitle track: the ``<id>.vtt`` file (as the page links it), its language, and its text as a
    ``data:`` URL (:func:`cnnviz.web.vtt_data_url`: a page opened from disk may not fetch the file)."""

    href: str
    language: str
    label: str
    url: str


@dataclass(frozen=True)
class _Card:
    """What ``gallery.html.j2`` needs of one clip; every string is escaped there."""

    item: GalleryItem
    clip_src: str
    poster_src: str | None
    still: bool  # a PNG or GIF: an <img>, not a <video>
    error: str | None
    params: _Values | None
    arrays: _Values | None
    formulas: list[str]
    out_of_frame: str | None  # as JSON
    meta: list[tuple[str, str]]
    steps: int | None  # how many sections a --save_sections render left
    subtitles: _Subtitles | None  # None: no <id>.vtt (a render from before narration), or a still


def _values(values: dict[str, Any], *, open_small: bool = False) -> _Values:
    """Scalars as a table; arrays as collapsible blocks (small ones open when ``open_small``)."""
    rows = [(str(k), _scalar(v)) for k, v in values.items() if _is_scalar(v)]
    blocks = []
    for k, v in values.items():
        if _is_scalar(v):
            continue
        shape, text = pretty_array(v)
        blocks.append(_Block(str(k), shape, text, open_small and text.count("\n") < 6 and len(text) < 200))
    return _Values(rows, blocks)


def _steps(out_dir: Path, scene_id: str) -> int | None:
    sections = out_dir / "sections" / scene_id / "sections.json"
    if not sections.is_file():
        return None
    try:
        return len(json.loads(sections.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # unreadable, or not a list
        return None


def _subtitles(item: GalleryItem, rel: Callable[[Path], str]) -> _Subtitles | None:
    vtt = item.clip.with_suffix(".vtt")
    if item.clip.suffix in (".png", ".gif") or not vtt.is_file():
        return None
    try:
        text = vtt.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    language = item.doc.get("language")
    language = language if isinstance(language, str) and language else "en"
    return _Subtitles(rel(vtt), language, LANGUAGE_LABEL.get(language, language), vtt_data_url(text))


def _card(item: GalleryItem, out_dir: Path, bust: Callable[[Path], str]) -> _Card:
    rel = lambda p: p.relative_to(out_dir).as_posix() + bust(p)  # noqa: E731
    doc = item.doc
    formulas = doc.get("formulas")
    extra = {k: v for k, v in doc.items()
             if k not in ("scene", "params", "arrays", "formulas", "typeset", "out_of_frame", "error",
                          "narration")}  # the narration is the clip's subtitle track
    return _Card(
        item=item,
        clip_src=rel(item.clip),
        poster_src=rel(item.poster) if item.poster else None,
        still=item.clip.suffix in (".png", ".gif"),
        error=str(doc["error"]) if "error" in doc else None,
        params=_values(doc["params"], open_small=True) if isinstance(doc.get("params"), dict) else None,
        arrays=_values(doc["arrays"]) if isinstance(doc.get("arrays"), dict) else None,
        formulas=[str(f) for f in formulas] if isinstance(formulas, list) else [],
        out_of_frame=json.dumps(doc["out_of_frame"]) if doc.get("out_of_frame") else None,
        meta=[(str(k), _scalar(v) if _is_scalar(v) else json.dumps(v)) for k, v in extra.items()],
        steps=_steps(out_dir, item.id),
        subtitles=_subtitles(item, rel),
    )


def build_gallery(out_dir: Path, *, live: bool = False, title: str = "cnnviz gallery") -> Path:
    """Write ``out_dir/gallery.html`` (and its posters); FileNotFoundError if there is nothing to show."""
    if not out_dir.is_dir():
        raise FileNotFoundError(f"{out_dir}: no such folder")
    items = scan(out_dir)
    if not items:
        raise FileNotFoundError(f"{out_dir}: no rendered clips (<id>.mp4 with <id>.json)")
    for item in items:
        try:
            item.poster = make_poster(item.clip, out_dir / "posters" / f"{item.id}.png")
        except Exception:  # a clip PyAV cannot read still gets its card, without a poster
            item.poster = None

    def bust(p: Path) -> str:  # the live page must not show a cached clip after a re-render
        return f"?v={p.stat().st_mtime_ns}" if live else ""

    nav = []
    if (out_dir / "index.html").is_file():  # render.py course: its index of lectures
        nav.append(("index.html", "course"))
    if (out_dir / "slides" / "index.html").is_file():
        nav.append(("slides/index.html", "slide deck"))
    for deck in sorted(out_dir.glob("slides-*/index.html")):  # a course's deck per lecture
        nav.append((deck.relative_to(out_dir).as_posix(), deck.parent.name.removeprefix("slides-") + " slides"))
    if (out_dir / "lecture.mp4").is_file():
        nav.append(("lecture.mp4", "lecture.mp4"))
    page = render("gallery.html.j2", title=title, language="en", generator="render.py gallery", nav=nav,
                  where=str(out_dir.resolve()), cards=[_card(i, out_dir, bust) for i in items], live=live,
                  css=static_markup("gallery.css"), live_js=static_markup("live.js"))
    target = out_dir / "gallery.html"
    atomic_write(target, lambda f: f.write(page.encode("utf-8")))
    return target
