"""A reveal.js slide deck from rendered scenes: one slide per scene, one step per Manim section.

A render with ``--save_sections`` leaves ``OUT/sections/<id>/sections.json`` (Manim's index: a list
of ``{"name", "video", "duration", ...}``) and one clip per section. The deck shows a scene as a
stack of those clips: the first plays when the slide opens, every further one is a reveal.js
fragment, so each key press (→, space, page down) plays the next section, which then holds on its
last frame. Going back shows the previous section's last frame.

``build_deck`` writes a folder that plays offline on its own::

    OUT/slides/index.html          the deck (styles and the step controller inline)
    OUT/slides/reveal.js/          reveal.js, copied from assets/vendor/reveal.js
    OUT/slides/media/<id>/*.mp4    the section clips (hard links where possible, else copies)
    OUT/slides/media/<id>/*.vtt    per clip, its subtitles: the narration heard during that step
    OUT/slides/embed-<id>.html     the snippet that puts one scene into an existing reveal.js deck

Narration: a render records each spoken line in ``OUT/<id>.json`` (``narration``: ``{"start", "end", "text"}``
in seconds from the clip's start; ``language``). Laid over the sections by their durations, a line belongs to
the step in which it starts: each scene slide gets reveal.js speaker notes (``<aside class="notes">``, one
list item per step with its lines; S opens the speaker view of the vendored notes plugin), and each step's
video a ``<track kind="subtitles">`` with the cues heard during that step, shifted to its start and clipped to
it (written to ``media/<id>/<clip>.vtt``; the track carries the same text as a ``data:`` URL, since a browser
may not fetch a file for a ``<track>`` in a page opened from disk). A render that recorded no narration (an
older one) gives a deck without notes and tracks.

All paths inside are relative, so the folder can be copied or zipped as it is. The pages are the
templates ``deck.html.j2`` and ``embed.html.j2`` (one ``<section>`` per scene from ``scene.html.j2``) with
``static/scene.css`` and ``static/steps.js`` inlined (:mod:`cnnviz.web.templating`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..paths import atomic_write
from ..subtitles import Cue, cues_from_json, webvtt
from ..theme import THEMES
from . import LANGUAGE_LABEL, VENDOR_REVEAL, vtt_data_url
from .templating import render, static_markup

__all__ = ["Deck", "DeckScene", "Step", "StepNarration", "build_deck", "copy_media", "embed_snippet",
           "load_narration", "load_steps", "sections_ready", "split_narration"]

BACKGROUND = {name: theme.background for name, theme in THEMES.items()}  # the scenes' own (one Theme)
REVEAL_THEME = {"dark": "black", "solarized": "solarized"}

DOT = " \u00a0·\u00a0 "  # between the keys: plain text (the page escapes it), the no-break spaces of &nbsp;
TEXT = {
    "en": {"keys": f"→ or space: next step{DOT}←: back{DOT}R: replay the step{DOT}Esc: overview{DOT}F: full screen",
           "step": "step", "steps": "steps",
           "ask": "Ask the class, let them answer, then press → to show it."},
    "zh": {"keys": f"→ 或空格：下一步{DOT}←：返回{DOT}R：重放本步{DOT}Esc：总览{DOT}F：全屏",
           "step": "步骤", "steps": "步",
           "ask": "先请学生预测，听完回答后再按 → 揭晓。"},
}


#: seconds: the sections' starts are sums of durations rounded to microseconds, the lines' times are rounded to
#: milliseconds, so a line that starts with its section can seem to start a hair before it (less than a frame)
TOLERANCE = 0.01


@dataclass(frozen=True)
class StepNarration:
    """What is spoken during one step: its speaker notes and its clip's subtitles."""

    language: str  # the render's (a BCP 47 tag: "en", "zh")
    lines: tuple[str, ...]  # the lines that start during the step, in order
    cues: tuple[Cue, ...]  # every line heard during the step, in seconds from its start, clipped to it

    @property
    def label(self) -> str:
        return LANGUAGE_LABEL.get(self.language, self.language)

    @property
    def vtt(self) -> str:
        return webvtt(self.cues)

    @property
    def vtt_url(self) -> str:
        return vtt_data_url(self.vtt)


@dataclass(frozen=True)
class Step:
    name: str
    video: Path  # the section clip on disk
    duration: float
    narration: StepNarration | None = None  # None: the render recorded no narration

    @property
    def asks(self) -> bool:
        """A prediction step (``LectureScene.ask``): it ends on a question; the next step shows the answer."""
        return self.name.startswith("predict ")

    @property
    def subtitles(self) -> str:
        """The file name of the step's WebVTT subtitles, beside its clip in the deck's media folder."""
        return self.video.with_suffix(".vtt").name


@dataclass(frozen=True)
class DeckScene:
    id: str
    title: str
    steps: tuple[Step, ...]

    @property
    def narrated(self) -> bool:
        return any(step.narration is not None for step in self.steps)


@dataclass(frozen=True)
class Deck:
    index: Path
    embeds: dict[str, Path]


def sections_dir(out_dir: Path, scene_id: str) -> Path:
    return out_dir / "sections" / scene_id


def load_narration(out_dir: Path, scene_id: str) -> tuple[str, list[Cue]] | None:
    """The language and spoken lines a render recorded in ``OUT/<id>.json``, or None if it recorded none.

    None also for a JSON that cannot be read or whose ``narration`` is not a list of ``{start, end, text}``:
    the deck is then built without notes and subtitles rather than not at all.
    """
    path = out_dir / f"{scene_id}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("narration"), list):
        return None
    try:
        cues = cues_from_json(doc)
    except (KeyError, TypeError, ValueError):
        return None
    language = doc.get("language")
    return (language if isinstance(language, str) and language else "en"), cues


def split_narration(cues: list[Cue], durations: list[float], language: str) -> list[StepNarration]:
    """The narration of each step, for steps of ``durations`` seconds played one after the other.

    A line is a note of the step in which it starts (one that starts past the last step, of the last step);
    a step's cues are the parts of the lines heard during it, in seconds from the step's start.

    Examples
    --------
    >>> steps = split_narration([Cue(0.5, 2.5, "one"), Cue(2.995, 3.5, "two")], [2.0, 1.0, 1.0], "en")
    >>> [step.lines for step in steps]  # "two" starts with the third step, to the millisecond
    [('one',), (), ('two',)]
    >>> for step in steps:  # "one" runs on into the second step
    ...     print(step.cues)
    (Cue(start=0.5, end=2.0, text='one'),)
    (Cue(start=0.0, end=0.5, text='one'),)
    (Cue(start=0.0, end=0.5, text='two'),)
    """
    starts, t = [], 0.0
    for d in durations:
        starts.append(t)
        t += d
    lines: list[list[str]] = [[] for _ in durations]
    for cue in sorted(cues, key=lambda c: c.start):
        k = max((i for i, s in enumerate(starts) if s - TOLERANCE <= cue.start), default=0)
        lines[k].append(cue.text)
    steps = []
    for k, (t0, d) in enumerate(zip(starts, durations)):
        clipped = []
        for cue in cues:
            start, end = max(cue.start, t0), min(cue.end, t0 + d)
            if end - start >= TOLERANCE:
                clipped.append(Cue(round(start - t0, 3), round(end - t0, 3), cue.text))
        steps.append(StepNarration(language, tuple(lines[k]), tuple(sorted(clipped, key=lambda c: c.start))))
    return steps


def load_steps(out_dir: Path, scene_id: str) -> tuple[Step, ...]:
    """The steps of a rendered scene from Manim's section index; FileNotFoundError if absent or incomplete.

    Each step carries the narration spoken during it (:func:`split_narration`) if the render recorded any.
    """
    folder = sections_dir(out_dir, scene_id)
    index = folder / "sections.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"{index}: no readable section index ({exc})") from None
    steps = []
    for entry in entries:
        video = folder / entry["video"]
        if not video.is_file():
            raise FileNotFoundError(f"{video}: listed in {index} but missing")
        steps.append(Step(str(entry.get("name", "")), video, float(entry.get("duration") or 0.0)))
    if not steps:
        raise FileNotFoundError(f"{index}: lists no sections")
    narration = load_narration(out_dir, scene_id)
    if narration is not None:
        language, cues = narration
        parts = split_narration(cues, [step.duration for step in steps], language)
        steps = [replace(step, narration=part) for step, part in zip(steps, parts)]
    return tuple(steps)


def sections_ready(out_dir: Path, scene_id: str) -> bool:
    try:
        load_steps(out_dir, scene_id)
    except FileNotFoundError:
        return False
    return True


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def copy_media(scene: DeckScene, slides: Path) -> None:
    """The scene's section clips into ``slides/media/<id>/`` (replaced whole, so no stale steps remain), each
    with its subtitles (``<clip>.vtt``) if the scene is narrated."""
    target = slides / "media" / scene.id
    fresh = target.with_name(f".{scene.id}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    for step in scene.steps:
        _link_or_copy(step.video, fresh / step.video.name)
        if step.narration is not None:
            (fresh / step.subtitles).write_bytes(step.narration.vtt.encode("utf-8"))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(fresh, target)


# ---------------------------------------------------------------- the pages (templates/, static/)
# reveal.js's settings, written into the deck's <script> as JSON (tojson: safe inside a script)
REVEAL_CONFIG: dict[str, Any] = {
    "width": 1280, "height": 720, "margin": 0, "center": True, "hash": True,
    "controls": True, "controlsTutorial": False, "progress": True, "slideNumber": "c/t",
    "transition": "fade", "transitionSpeed": "fast", "backgroundTransition": "none",
    "autoPlayMedia": None, "viewDistance": 2,
}
# A background goes into the deck's <style> too, where HTML escaping means nothing: only a plain colour may.
_CSS_COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}")


def _background(theme: str) -> str:
    colour = BACKGROUND.get(theme, BACKGROUND["dark"])
    if not _CSS_COLOUR.fullmatch(colour):
        raise ValueError(f"theme {theme!r}: background {colour!r} is not a #rrggbb colour")
    return colour


def _text(language: str) -> dict[str, str]:
    return TEXT.get(language, TEXT["en"])


def embed_snippet(scene: DeckScene, *, theme: str = "dark", language: str = "en") -> str:
    """What a teacher pastes into an existing reveal.js deck to show one scene with its steps."""
    return render("embed.html.j2", scene=scene, background=_background(theme), step_word=_text(language)["step"],
                  ask_word=_text(language)["ask"],
                  scene_css=static_markup("scene.css"), steps_js=static_markup("steps.js"))


def _deck_html(scenes: list[DeckScene], *, title: str, language: str, theme: str) -> str:
    return render("deck.html.j2", scenes=scenes, title=title, language=language, generator="render.py slides",
                  background=_background(theme), reveal_theme=REVEAL_THEME.get(theme, "black"),
                  text=_text(language), reveal_config=REVEAL_CONFIG,
                  scene_css=static_markup("scene.css"), steps_js=static_markup("steps.js"))


def build_deck(out_dir: Path, scenes: list[DeckScene], *, title: str, language: str = "en",
               theme: str = "dark", folder: str = "slides") -> Deck:
    """Write ``out_dir/<folder>/`` (index.html, reveal.js, media, embed snippets) for ``scenes`` in order (a
    course writes one deck per lecture, each in a folder of its own)."""
    slides = out_dir / folder
    slides.mkdir(parents=True, exist_ok=True)
    shutil.copytree(VENDOR_REVEAL, slides / "reveal.js", dirs_exist_ok=True)
    wanted = {s.id for s in scenes}
    if (slides / "media").is_dir():  # scenes no longer in the deck
        for old in (slides / "media").iterdir():
            if old.is_dir() and old.name not in wanted:
                shutil.rmtree(old, ignore_errors=True)
    embeds = {}
    for scene in scenes:
        copy_media(scene, slides)
        embeds[scene.id] = slides / f"embed-{scene.id}.html"
        embeds[scene.id].write_text(embed_snippet(scene, theme=theme, language=language), encoding="utf-8")
    index = slides / "index.html"
    page = _deck_html(scenes, title=title, language=language, theme=theme)
    atomic_write(index, lambda f: f.write(page.encode("utf-8")))
    return Deck(index, embeds)
