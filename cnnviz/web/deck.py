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

All paths inside are relative, so the folder can be copied or zipped as it is.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..paths import atomic_write
from ..theme import THEMES
from . import VENDOR_REVEAL, page_head

__all__ = ["Deck", "DeckScene", "Step", "build_deck", "copy_media", "embed_snippet", "load_steps", "sections_ready"]

BACKGROUND = {name: theme.background for name, theme in THEMES.items()}  # the scenes' own (one Theme)
REVEAL_THEME = {"dark": "black", "solarized": "solarized"}

TEXT = {
    "en": {"keys": "→ or space: next step &nbsp;·&nbsp; ←: back &nbsp;·&nbsp; R: replay the step "
                   "&nbsp;·&nbsp; Esc: overview &nbsp;·&nbsp; F: full screen",
           "step": "step", "steps": "steps"},
    "zh": {"keys": "→ 或空格：下一步 &nbsp;·&nbsp; ←：返回 &nbsp;·&nbsp; R：重放本步 &nbsp;·&nbsp; "
                   "Esc：总览 &nbsp;·&nbsp; F：全屏",
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


def _media_src(scene: DeckScene, step: Step) -> str:
    return f"media/{scene.id}/{step.video.name}"


# ---------------------------------------------------------------- HTML pieces
STYLE = """
.reveal .slides section.cnnviz-scene { padding: 0; }
.reveal .cnnviz-stage { position: relative; width: 100%; aspect-ratio: 16 / 9; margin: 0 auto; }
.reveal .cnnviz-stage video.cnnviz-step { position: absolute; left: 0; top: 0; width: 100%; height: 100%;
  max-width: none; max-height: none; margin: 0; object-fit: contain; background: transparent; }
.reveal .slides section .fragment.cnnviz-step { transition: none; }
.reveal .cnnviz-label { position: absolute; left: 12px; bottom: 6px; margin: 0; font-size: 13px;
  line-height: 1; opacity: .5; letter-spacing: 0; text-align: left; pointer-events: none; }
.reveal .cnnviz-label .cnnviz-count { font-variant-numeric: tabular-nums; }
"""

DECK_STYLE = """
:root { --r-main-font: "Noto Sans", "Noto Sans CJK SC", "Source Sans Pro", "Helvetica Neue", Helvetica, Arial,
  sans-serif; --r-heading-font: var(--r-main-font); --r-main-font-size: 32px; --r-heading-text-transform: none;
  --r-background-color: %(bg)s; }
.reveal-viewport { background: %(bg)s; }
.reveal .cnnviz-title h1 { font-size: 64px; margin-bottom: 28px; }
.reveal .cnnviz-title ol { columns: 2; column-gap: 56px; font-size: 24px; line-height: 1.5; margin: 0 auto;
  width: 1040px; text-align: left; }
.reveal .cnnviz-title ol a { color: inherit; }
.reveal .cnnviz-title .cnnviz-keys { font-size: 18px; opacity: .6; margin-top: 36px; }
"""

# The step controller. The same code serves the deck and the embed snippet: it needs reveal.js's
# global `Reveal` (dist/reveal.js) and waits for it, so it may sit anywhere in the page.
STEPS_JS = r"""
(function () {
  "use strict";
  if (window.cnnvizSteps) return;
  var api = window.cnnvizSteps = { last: null };
  function steps(slide) {
    return slide ? Array.prototype.slice.call(slide.querySelectorAll("video.cnnviz-step")) : [];
  }
  function isStep(el) { return !!(el && el.classList && el.classList.contains("cnnviz-step")); }
  // the step on show: the last step fragment made visible, or the first step
  function currentStep(slide) {
    var vs = steps(slide), i = 0;
    for (var k = 1; k < vs.length; k++) if (vs[k].classList.contains("visible")) i = k;
    return i;
  }
  function load(v) {
    if (!v.getAttribute("src") && v.getAttribute("data-src")) v.setAttribute("src", v.getAttribute("data-src"));
  }
  function play(v) {
    load(v);
    v._cnnviz = "play";
    v.currentTime = 0;
    var p = v.play();
    if (p && p.catch) p.catch(function (err) {
      if (err && err.name !== "AbortError") console.warn("cnnviz: cannot play " + v.currentSrc + ": " + err);
    });
  }
  // pause on the last frame (at once if the clip is loaded, else when it is)
  function hold(v) {
    load(v);
    v._cnnviz = "hold";
    v.pause();
    var end = function () { if (v._cnnviz === "hold" && isFinite(v.duration)) v.currentTime = v.duration; };
    if (v.readyState >= 1) end(); else v.addEventListener("loadedmetadata", end, { once: true });
  }
  function rewind(v) {
    v._cnnviz = "wait";
    v.pause();
    if (v.readyState >= 1 && v.currentTime !== 0) v.currentTime = 0;
  }
  function show(slide, start) {
    var vs = steps(slide);
    if (!vs.length) return;
    var i = currentStep(slide);
    vs.forEach(function (v, k) {
      if (k === i - 1) hold(v);        // lies right under the step on show
      else if (k < i) v.pause();
      else if (k > i) rewind(v);       // shows its first frame when it appears
    });
    if (start) play(vs[i]); else hold(vs[i]);
    slide.setAttribute("data-cnnviz-step", String(i));
    var count = slide.querySelector(".cnnviz-count");
    if (count) count.textContent = (i + 1) + "/" + vs.length;
    var name = slide.querySelector(".cnnviz-name");
    if (name) name.textContent = vs[i].getAttribute("data-name") || "";
    api.last = { scene: slide.getAttribute("data-scene"), step: i, steps: vs.length,
                 src: vs[i].getAttribute("src") || vs[i].getAttribute("data-src"), playing: !!start };
  }
  api.show = show;
  function boot() {
    var R = window.Reveal;
    if (!R || !R.on) { console.error("cnnviz: reveal.js is not loaded (the deck needs its global Reveal)"); return; }
    var keyed = false;
    function bindKeys() {
      if (keyed || !R.addKeyBinding) return;
      keyed = true;
      R.addKeyBinding({ keyCode: 82, key: "R", description: "Replay this step" }, function () {
        var s = R.getCurrentSlide(), vs = steps(s);
        if (vs.length) play(vs[currentStep(s)]);
      });
    }
    function enter(e) {
      bindKeys();
      if (e.previousSlide) steps(e.previousSlide).forEach(function (v) { v.pause(); });
      var s = e.currentSlide || R.getCurrentSlide();
      show(s, currentStep(s) === 0);   // coming back from the next slide: hold the last step
    }
    function fragments(e) { return e.fragments || (e.fragment ? [e.fragment] : []); }
    R.on("ready", enter);
    R.on("slidechanged", enter);
    R.on("fragmentshown", function (e) { if (fragments(e).some(isStep)) show(R.getCurrentSlide(), true); });
    R.on("fragmenthidden", function (e) { if (fragments(e).some(isStep)) show(R.getCurrentSlide(), false); });
    if (R.isReady && R.isReady()) enter({ currentSlide: R.getCurrentSlide() });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
"""


def _scene_section(scene: DeckScene, background: str, language: str) -> str:
    """The ``<section>`` of one scene: its steps stacked, all but the first as fragments."""
    esc = html.escape
    videos = []
    for k, step in enumerate(scene.steps):
        cls = "cnnviz-step" if k == 0 else "cnnviz-step fragment"
        frag = f' data-fragment-index="{k - 1}"' if k else ""
        videos.append(
            f'      <video class="{cls}"{frag} data-step="{k}" data-name="{esc(step.name)}" '
            f'data-src="{esc(_media_src(scene, step))}" muted playsinline preload="auto"></video>')
    word = TEXT.get(language, TEXT["en"])["step"]
    return "\n".join([
        f'  <section class="cnnviz-scene" data-scene="{esc(scene.id)}" data-background-color="{background}">',
        '    <div class="cnnviz-stage">',
        *videos,
        "    </div>",
        f'    <p class="cnnviz-label">{esc(scene.title)} · {word} <span class="cnnviz-count">1/{len(scene.steps)}'
        f'</span>: <span class="cnnviz-name">{esc(scene.steps[0].name)}</span></p>',
        "  </section>",
    ])


def embed_snippet(scene: DeckScene, *, theme: str = "dark", language: str = "en") -> str:
    """What a teacher pastes into an existing reveal.js deck to show one scene with its steps."""
    n = len(scene.steps)
    return f"""<!-- cnnviz: "{html.escape(scene.title)}" ({scene.id}), {n} step{"s" if n != 1 else ""}.
  1. Copy the folder media/{scene.id}/ (beside this file) next to your deck's HTML file.
  2. Paste the <section> below into your deck's <div class="slides">, where the scene belongs.
  3. Paste the <style> and the <script> once per deck (they serve every cnnviz scene); anywhere in the
     page works. They need reveal.js's global Reveal (dist/reveal.js, as its demo deck loads it).
  Presenting: the first step plays when the slide opens; each key press (→, space) plays the next
  step, which then holds on its last frame; R replays the step. -->
<style>{STYLE}</style>
{_scene_section(scene, BACKGROUND.get(theme, BACKGROUND["dark"]), language)}
<script>{STEPS_JS}</script>
"""


def _deck_html(scenes: list[DeckScene], *, title: str, language: str, theme: str) -> str:
    esc = html.escape
    bg = BACKGROUND.get(theme, BACKGROUND["dark"])
    text = TEXT.get(language, TEXT["en"])
    items = "\n".join(f'      <li><a href="#/{n + 1}">{esc(s.title)}</a></li>' for n, s in enumerate(scenes))
    sections = "\n".join(_scene_section(s, bg, language) for s in scenes)
    head = page_head(title, language=language, generator="render.py slides", head=f"""\
<link rel="stylesheet" href="reveal.js/reveal.css">
<link rel="stylesheet" href="reveal.js/theme/{REVEAL_THEME.get(theme, "black")}.css">
<style>{DECK_STYLE % {"bg": bg}}{STYLE}</style>""")
    return f"""{head}<body>
<div class="reveal">
 <div class="slides">
  <section class="cnnviz-title" data-background-color="{bg}">
    <h1>{esc(title)}</h1>
    <ol>
{items}
    </ol>
    <p class="cnnviz-keys">{text["keys"]}</p>
  </section>
{sections}
 </div>
</div>
<script src="reveal.js/reveal.js"></script>
<script>{STEPS_JS}</script>
<script>
Reveal.initialize({{
  width: 1280, height: 720, margin: 0, center: true, hash: true,
  controls: true, controlsTutorial: false, progress: true, slideNumber: "c/t",
  transition: "fade", transitionSpeed: "fast", backgroundTransition: "none",
  autoPlayMedia: null, viewDistance: 2
}});
</script>
</body>
</html>
"""


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
