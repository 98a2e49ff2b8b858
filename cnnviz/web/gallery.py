"""An HTML gallery of rendered clips.

``build_gallery(out)`` writes ``out/gallery.html``: per clip its poster frame (``out/posters/<id>.png``,
the clip's last frame, taken with PyAV), title, parameters and every number from ``out/<id>.json``
(arrays pretty-printed in collapsible blocks), and the clip itself in a ``<video controls>``.

A gallery built with ``live=True`` polls ``/version`` once a second and reloads when the version changes:
``preview`` serves it with :class:`cnnviz.web.server.PreviewServer` and watches the sources with
:class:`cnnviz.web.watch.Watcher`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import atomic_write
from . import clip_path, page_head

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


def _values_html(values: dict[str, Any], *, open_small: bool = False) -> str:
    """Scalars as a table; arrays as collapsible blocks."""
    esc = html.escape
    rows = [f"<tr><th>{esc(k)}</th><td>{esc(_scalar(v))}</td></tr>" for k, v in values.items() if _is_scalar(v)]
    blocks = []
    for k, v in values.items():
        if _is_scalar(v):
            continue
        shape, text = pretty_array(v)
        small = open_small and text.count("\n") < 6 and len(text) < 200
        blocks.append(f'<details{" open" if small else ""}><summary>{esc(k)} <span class="shape">{esc(shape)}'
                      f"</span></summary><pre>{esc(text)}</pre></details>")
    table = f'<table class="values">{"".join(rows)}</table>' if rows else ""
    return table + "".join(blocks)


# ---------------------------------------------------------------- the page
STYLE = """
:root { color-scheme: light dark; --bg: #f6f6f4; --fg: #1d1f23; --muted: #666a70; --card: #fff; --line: #ddd;
  --accent: #268bd2; }
@media (prefers-color-scheme: dark) { :root { --bg: #16181d; --fg: #ececec; --muted: #9aa0a6; --card: #20232a;
  --line: #353943; --accent: #58c4dd; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; background: var(--bg); color: var(--fg);
  font: 15px/1.45 "Noto Sans", "Noto Sans CJK SC", system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 24px; margin-bottom: 20px; }
header h1 { margin: 0; font-size: 26px; }
header nav a { margin-right: 16px; color: var(--accent); }
header .where { color: var(--muted); font-size: 13px; }
#status { flex-basis: 100%; margin: 0; padding: 6px 10px; border-radius: 6px; font-size: 14px; }
#status:empty { display: none; }
#status.rendering { background: rgba(38, 139, 210, .18); }
#status.error { background: rgba(220, 50, 47, .2); white-space: pre-wrap; font-family: monospace; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 24px; }
article { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px;
  min-width: 0; }
article h2 { margin: 0 0 2px; font-size: 19px; }
article h2 .id { color: var(--muted); font-weight: normal; font-size: 14px; margin-left: 8px;
  font-family: monospace; }
article .summary { margin: 0 0 10px; color: var(--muted); font-size: 14px; }
video, img.still { display: block; width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 6px; }
h3 { font-size: 14px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
table.values { border-collapse: collapse; font-size: 14px; margin-bottom: 6px; }
table.values th { text-align: left; font-weight: normal; color: var(--muted); padding: 1px 14px 1px 0;
  font-family: monospace; }
table.values td { font-family: monospace; padding: 1px 0; }
details { margin: 2px 0; }
summary { cursor: pointer; font-family: monospace; font-size: 14px; }
summary .shape { color: var(--muted); margin-left: 6px; }
pre { margin: 4px 0 8px 16px; padding: 8px 10px; overflow-x: auto; background: rgba(127, 127, 127, .1);
  border-radius: 6px; font-size: 13px; line-height: 1.35; }
.meta { font-size: 13px; color: var(--muted); margin-top: 10px; }
.meta a { color: var(--accent); }
.warn { color: #dc322f; }
"""

LIVE_JS = """
(function () {
  var seen = null, status = document.getElementById("status");
  function poll() {
    fetch("/version", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (d) {
      if (seen === null) seen = d.version;
      else if (d.version !== seen) { location.reload(); return; }
      status.textContent = d.status || "";
      status.className = d.state || "";
      setTimeout(poll, 1000);
    }).catch(function () { status.textContent = "preview server stopped"; status.className = "error"; });
  }
  poll();
})();
"""


def _card(item: GalleryItem, out_dir: Path, bust: str) -> str:
    esc = html.escape
    rel = lambda p: esc(p.relative_to(out_dir).as_posix() + bust(p))  # noqa: E731
    doc = item.doc
    if item.clip.suffix in (".png", ".gif"):
        media = f'<img class="still" src="{rel(item.clip)}" alt="{esc(item.title)}">'
    else:
        poster = f' poster="{rel(item.poster)}"' if item.poster else ""
        media = f'<video controls preload="none"{poster} src="{rel(item.clip)}"></video>'
    parts = [f'<article id="{esc(item.id)}">',
             f'<h2>{esc(item.title)}<span class="id">{esc(item.id)}</span></h2>',
             f'<p class="summary">{esc(item.summary)}</p>', media]
    if "error" in doc:
        parts.append(f'<p class="warn">{esc(str(doc["error"]))}</p>')
    if isinstance(doc.get("params"), dict):
        parts += ["<h3>Parameters</h3>", _values_html(doc["params"], open_small=True)]
    if isinstance(doc.get("arrays"), dict):
        parts += ["<h3>Numbers</h3>", _values_html(doc["arrays"])]
    if isinstance(doc.get("formulas"), list) and doc["formulas"]:
        items = "".join(f"<li><code>{esc(str(f))}</code></li>" for f in doc["formulas"])
        parts += ["<h3>Formulas</h3>", f'<details><summary>LaTeX <span class="shape">{len(doc["formulas"])}</span>'
                  f'</summary><ul class="formulas">{items}</ul></details>']
    if doc.get("out_of_frame"):
        parts.append(f'<p class="warn">out of frame: {esc(json.dumps(doc["out_of_frame"]))}</p>')
    sections = out_dir / "sections" / item.id / "sections.json"
    steps = ""
    if sections.is_file():
        try:
            steps = f" · {len(json.loads(sections.read_text(encoding='utf-8')))} steps"
        except (OSError, ValueError):
            pass
    extra = {k: v for k, v in doc.items()
             if k not in ("scene", "params", "arrays", "formulas", "typeset", "out_of_frame", "error")}
    meta = " · ".join(f"{esc(k)} {esc(_scalar(v) if _is_scalar(v) else json.dumps(v))}" for k, v in extra.items())
    parts.append(f'<p class="meta">{meta}{steps} · <a href="{esc(item.id)}.json">{esc(item.id)}.json</a> · '
                 f'<a href="{rel(item.clip)}" download>{esc(item.clip.name)}</a></p>')
    parts.append("</article>")
    return "\n".join(parts)


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

    esc = html.escape
    nav = []
    if (out_dir / "slides" / "index.html").is_file():
        nav.append('<a href="slides/index.html">slide deck</a>')
    if (out_dir / "lecture.mp4").is_file():
        nav.append('<a href="lecture.mp4">lecture.mp4</a>')
    head = page_head(title, language="en", generator="render.py gallery", head=f"<style>{STYLE}</style>")
    page = f"""{head}<body>
<header>
<h1>{esc(title)}</h1>
<nav>{"".join(nav)}</nav>
<span class="where">{len(items)} clip{"s" if len(items) != 1 else ""} in {esc(str(out_dir.resolve()))}</span>
<p id="status"></p>
</header>
<main>
{chr(10).join(_card(i, out_dir, bust) for i in items)}
</main>
{f"<script>{LIVE_JS}</script>" if live else ""}
</body>
</html>
"""
    target = out_dir / "gallery.html"
    atomic_write(target, lambda f: f.write(page.encode("utf-8")))
    return target
