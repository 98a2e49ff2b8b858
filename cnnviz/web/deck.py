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
    OUT/slides/embed-<id>.html     the snippet that puts one scene into an existing reveal.js deck

All paths inside are relative, so the folder can be copied or zipped as it is. The pages are the
templates ``deck.html.j2`` and ``embed.html.j2`` (one ``<section>`` per scene from ``scene.html.j2``) with
``static/scene.css`` and ``static/steps.js`` inlined (:mod:`cnnviz.web.templating`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import atomic_write
from ..theme import THEMES
from . import VENDOR_REVEAL
from .templating import render, static_markup

__all__ = ["Deck", "DeckScene", "Step", "build_deck", "copy_media", "embed_snippet", "load_steps", "sections_ready"]

BACKGROUND = {name: theme.background for name, theme in THEMES.items()}  # the scenes' own (one Theme)
REVEAL_THEME = {"dark": "black", "solarized": "solarized"}

DOT = " \u00a0·\u00a0 "  # between the keys: plain text (the page escapes it), the no-break spaces of &nbsp;
TEXT = {
    "en": {"keys": f"→ or space: next step{DOT}←: back{DOT}R: replay the step{DOT}Esc: overview{DOT}F: full screen",
           "step": "step", "steps": "steps"},
    "zh": {"keys": f"→ 或空格：下一步{DOT}←：返回{DOT}R：重放本步{DOT}Esc：总览{DOT}F：全屏",
           "step": "步骤", "steps": "步"},
}


@dataclass(frozen=True)
class Step:
    name: str
    video: Path  # the section clip on disk
    duration: float


@dataclass(frozen=True)
class DeckScene:
    id: str
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Deck:
    index: Path
    embeds: dict[str, Path]


def sections_dir(out_dir: Path, scene_id: str) -> Path:
    return out_dir / "sections" / scene_id


def load_steps(out_dir: Path, scene_id: str) -> tuple[Step, ...]:
    """The steps of a rendered scene from Manim's section index; FileNotFoundError if absent or incomplete."""
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
    """The scene's section clips into ``slides/media/<id>/`` (replaced whole, so no stale steps remain)."""
    target = slides / "media" / scene.id
    fresh = target.with_name(f".{scene.id}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    for step in scene.steps:
        _link_or_copy(step.video, fresh / step.video.name)
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
                  scene_css=static_markup("scene.css"), steps_js=static_markup("steps.js"))


def _deck_html(scenes: list[DeckScene], *, title: str, language: str, theme: str) -> str:
    return render("deck.html.j2", scenes=scenes, title=title, language=language, generator="render.py slides",
                  background=_background(theme), reveal_theme=REVEAL_THEME.get(theme, "black"),
                  text=_text(language), reveal_config=REVEAL_CONFIG,
                  scene_css=static_markup("scene.css"), steps_js=static_markup("steps.js"))


def build_deck(out_dir: Path, scenes: list[DeckScene], *, title: str, language: str = "en",
               theme: str = "dark") -> Deck:
    """Write ``out_dir/slides/`` (index.html, reveal.js, media, embed snippets) for ``scenes`` in order."""
    slides = out_dir / "slides"
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
