"""The slide deck, the gallery and the preview server: CLI behaviour, and both pages in headless Chromium.

Fast tests use a synthetic output folder: tiny H.264 clips written with PyAV, one solid colour per
section, so the browser tests can tell by colour which section is on screen. Tests marked `slow` use a
real render of conv2d (plain manim at 160x90 with --save_sections, once per session).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cnnviz.cli import cli
from cnnviz.paths import ASSETS
from cnnviz.web.deck import DeckScene, build_deck, embed_snippet, load_steps, sections_ready
from cnnviz.web.gallery import build_gallery, pretty_array
from cnnviz.web.server import LiveState, PreviewServer
from cnnviz.web.watch import Watcher, watched_files

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")

COLOURS = [(230, 40, 40), (40, 200, 60), (40, 80, 230)]  # section k is a solid COLOURS[k]
SECTION_NAMES = ["title", "step 1", "formula"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- a synthetic output folder
def write_clip(path: Path, colours: list[tuple[int, int, int]], frames_each: int = 10) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        for colour in colours:
            for _ in range(frames_each):
                frame = av.VideoFrame.from_ndarray(np.full((90, 160, 3), colour, np.uint8), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


# What the fake scene says (seconds from the clip's start; each section lasts 1 s): line 2 starts with the second
# section to the millisecond, line 3 runs on from the second section into the third.
NARRATION = [
    {"line": 1, "start": 0.2, "end": 0.9, "text": "A kernel slides over the input.", "voice": "espeak"},
    {"line": 2, "start": 0.999, "end": 1.6, "text": "Each output is a sum of products.", "voice": "espeak"},
    {"line": 3, "start": 1.7, "end": 2.4, "text": "The window moves one step.", "voice": "espeak"},
    {"line": 4, "start": 2.5, "end": 2.9, "text": "Z = A ⊗ W + b", "voice": "espeak"},
]
NOTES = [["A kernel slides over the input."], ["Each output is a sum of products.", "The window moves one step."],
         ["Z = A ⊗ W + b"]]  # the lines of each section, as the speaker notes list them
STEP_CUES = [  # each section's subtitles: (start, end, text) from the section's start
    [("00:00:00.200", "00:00:00.900", "A kernel slides over the input.")],
    [("00:00:00.000", "00:00:00.600", "Each output is a sum of products."),
     ("00:00:00.700", "00:00:01.000", "The window moves one step.")],
    [("00:00:00.000", "00:00:00.400", "The window moves one step."), ("00:00:00.500", "00:00:00.900", "Z = A ⊗ W + b")],
]


def fake_render(out: Path, scene_id: str = "conv2d", *, narration: list | None = NARRATION,
                language: str = "en") -> None:
    """What a render leaves: OUT/<id>.mp4, OUT/<id>.json (with the spoken lines, as ``narration``), OUT/<id>.vtt
    and OUT/sections/<id>/ (Manim's layout). ``narration=None``: a render from before narration (no key, no .vtt)."""
    from cnnviz.subtitles import cues_from_json, webvtt

    write_clip(out / f"{scene_id}.mp4", COLOURS)
    doc = {"scene": scene_id, "params": {"seed": 0, "size": 3, "kernel": [[1, 0], [0, -1]], "input": None},
           "arrays": {"input": [[1.0, 2.0, 0.0], [3.0, 1.0, 2.0], [0.0, 1.0, 1.0]], "output": [[0.5, 1.25],
                      [2.0, -1.0]], "bias": 0.0, "flags": [True, False], "order": ["max", "mean"]},
           "language": language, "theme": "dark", "out_of_frame": [], "formulas": [r"Z = A \otimes W + b", "a<b"]}
    if narration is not None:
        doc["narration"] = narration
        (out / f"{scene_id}.vtt").write_text(webvtt(cues_from_json(doc)), encoding="utf-8")
    (out / f"{scene_id}.json").write_text(json.dumps(doc))
    sections = out / "sections" / scene_id
    index = []
    for k, (name, colour) in enumerate(zip(SECTION_NAMES, COLOURS)):
        video = f"{scene_id}_{k:04d}_{name.replace(' ', '-')}.mp4"
        write_clip(sections / video, [colour])
        index.append({"name": name, "type": "default.normal", "video": video, "duration": "1.000000"})
    (sections / "sections.json").write_text(json.dumps(index, indent=4))


@pytest.fixture
def fake_out(tmp_path) -> Path:
    out = tmp_path / "out"
    fake_render(out, "conv2d")
    fake_render(out, "pooling")
    return out


def deck_of(out: Path, ids=("conv2d", "pooling"), **kw):
    scenes = [DeckScene(i, i.title(), load_steps(out, i)) for i in ids]
    return build_deck(out, scenes, title="Test lecture", **kw)


# ---------------------------------------------------------------- headless Chromium
PROBE_JS = r"""
(function () {
  var errors = [], events = [], log = [];
  var loads = Number(sessionStorage.getItem("cnnviz-loads") || 0) + 1;
  sessionStorage.setItem("cnnviz-loads", String(loads));
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) errors.push("failed to load <" + t.tagName.toLowerCase() + "> "
      + (t.currentSrc || t.src || t.href || t.getAttribute("data-src")));
    else errors.push("error: " + e.message);
  }, true);
  window.addEventListener("unhandledrejection", function (e) { errors.push("unhandled rejection: " + e.reason); });
  ["error", "warn"].forEach(function (level) {
    var orig = console[level];
    console[level] = function () {
      errors.push("console." + level + ": " + Array.prototype.join.call(arguments, " "));
      return orig.apply(console, arguments);
    };
  });
  ["playing", "ended"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      events.push([type, (e.target.getAttribute("src") || "").split("/").pop()]);
    }, true);
  });
  function snap(label) {
    var s = Reveal.getCurrentSlide();
    var vs = Array.prototype.slice.call(s.querySelectorAll("video"));
    var shown = vs.filter(function (v) { return getComputedStyle(v).visibility === "visible"; });
    log.push({ label: label, indices: Reveal.getIndices(), scene: s.getAttribute("data-scene"),
               step: s.getAttribute("data-cnnviz-step"), last: window.cnnvizSteps && window.cnnvizSteps.last,
               top: shown.length ? (shown[shown.length - 1].getAttribute("src") || "").split("/").pop() : null,
               label_text: (s.querySelector(".cnnviz-label") || {}).textContent || null,
               errors: vs.filter(function (v) { return v.error; }).length });
  }
  var plan = window.CNNVIZ_PLAN || [];
  function finish() {
    var pre = document.createElement("pre");
    pre.id = "cnnviz-probe";
    pre.textContent = JSON.stringify({ errors: errors, events: events, log: log, loads: loads });
    document.body.appendChild(pre);
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Reveal) { setTimeout(finish, 1500); return; }   // the gallery
    var go = function () {
      var k = 0;
      (function step() {
        if (k >= plan.length) { snap("end"); finish(); return; }
        snap("before " + plan[k]);
        Reveal[plan[k++]]();
        setTimeout(step, 700);
      })();
    };
    if (Reveal.isReady()) go(); else Reveal.on("ready", go);
  });
})();
"""


def with_probe(page: Path, plan: list[str] = ()) -> Path:
    """A copy of ``page`` beside it whose first script records errors and navigates by ``plan``."""
    text = page.read_text(encoding="utf-8")
    probe = f"<script>window.CNNVIZ_PLAN = {json.dumps(list(plan))};{PROBE_JS}</script>"
    probed = page.with_name(f"probe-{page.name}")
    probed.write_text(text.replace("<head>", "<head>\n" + probe, 1), encoding="utf-8")
    return probed


def chromium(url: str, tmp_path: Path, *args: str, budget_ms: int = 8000, timeout: float = 180) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{time.monotonic_ns()}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
           f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=1280,720",
           "--enable-logging=stderr", "--v=0", f"--virtual-time-budget={budget_ms}", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def console_lines(stderr: str) -> list[str]:
    """Console messages Chromium logged (any level: the pages log nothing when all is well)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def probe_result(done: subprocess.CompletedProcess) -> dict:
    match = re.search(r'<pre id="cnnviz-probe">(.*?)</pre>', done.stdout, re.S)
    assert match, f"the probe did not finish; chromium said:\n{done.stderr[-3000:]}"
    return json.loads(html.unescape(match.group(1)))


class Links(HTMLParser):
    """Every local file a page refers to (src, data-src, poster, href)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "data-src", "poster", "href") and value and not re.match(r"(#|data:|https?:)", value):
                self.refs.append(value.split("?")[0].split("#")[0])


def local_refs(page: Path) -> list[str]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.refs


@pytest.fixture
def served(fake_out):
    with PreviewServer(fake_out, 0) as server:
        yield server


# ---------------------------------------------------------------- the deck
def test_deck_files_are_self_contained_and_relative(fake_out):
    deck = deck_of(fake_out)
    slides = fake_out / "slides"
    assert deck.index == slides / "index.html"
    refs = local_refs(deck.index)
    assert "reveal.js/reveal.js" in refs and "reveal.js/reveal.css" in refs and "reveal.js/theme/black.css" in refs
    videos = [r for r in refs if r.endswith(".mp4")]
    assert len(videos) == 6 and all(r.startswith("media/") for r in videos)
    for ref in refs:
        assert (slides / ref).is_file(), ref
    # the vendored reveal.js travels with the deck and loads nothing from outside
    for css in (slides / "reveal.js").rglob("*.css"):
        assert "@import" not in css.read_text() and "googleapis" not in css.read_text()
    assert sorted(deck.embeds) == ["conv2d", "pooling"]


def test_vendored_reveal_is_small_and_licensed():
    vendor = ASSETS / "vendor" / "reveal.js"
    total = sum(p.stat().st_size for p in vendor.rglob("*") if p.is_file())
    assert total < 1_000_000
    assert "MIT" in (vendor / "LICENSE").read_text() and "5." in (vendor / "VERSION").read_text()


def test_deck_steps_follow_manim_sections(fake_out):
    deck_of(fake_out, ids=("conv2d",))
    page = (fake_out / "slides" / "index.html").read_text()
    steps = re.findall(r'<video class="(cnnviz-step[^"]*)"[^>]*data-name="([^"]*)"', page)
    assert [name for _, name in steps] == SECTION_NAMES
    assert steps[0][0] == "cnnviz-step" and all("fragment" in cls for cls, _ in steps[1:])


def test_deck_theme_and_language(fake_out):
    deck_of(fake_out, ids=("conv2d",), theme="solarized", language="zh")
    page = (fake_out / "slides" / "index.html").read_text()
    assert "reveal.js/theme/solarized.css" in page and "#FDF6E3" in page and '<html lang="zh">' in page
    assert "下一步" in page


def test_rebuilding_drops_scenes_no_longer_in_the_deck(fake_out):
    deck_of(fake_out)
    deck_of(fake_out, ids=("pooling",))
    assert not (fake_out / "slides" / "media" / "conv2d").exists()
    assert (fake_out / "slides" / "media" / "pooling").is_dir()


def test_missing_sections_are_reported(fake_out):
    shutil.rmtree(fake_out / "sections" / "pooling")
    assert sections_ready(fake_out, "conv2d") and not sections_ready(fake_out, "pooling")
    with pytest.raises(FileNotFoundError, match="sections.json"):
        load_steps(fake_out, "pooling")


def test_embed_snippet_is_a_pastable_section(fake_out):
    scene = DeckScene("conv2d", "2D convolution", load_steps(fake_out, "conv2d"))
    snippet = embed_snippet(scene)
    assert snippet.count("<section class=") == 1 and snippet.count("<video") == 3
    assert "media/conv2d/conv2d_0000_title.mp4" in snippet and "window.cnnvizSteps" in snippet
    assert "Copy the folder media/conv2d/" in snippet


@needs_chromium
@pytest.mark.parametrize("scheme", ["http", "file"])
def test_deck_advances_step_by_step_in_chromium(fake_out, served, tmp_path, scheme):
    deck = deck_of(fake_out)
    probed = with_probe(deck.index, ["next", "next", "next", "prev", "next", "next", "next"])
    url = served.url + "slides/" + probed.name if scheme == "http" else probed.as_uri()
    done = chromium(url, tmp_path, "--dump-dom")
    result = probe_result(done)
    assert result["errors"] == []
    assert console_lines(done.stderr) == []
    steps = [(e["indices"]["h"], e["indices"].get("f"), e["scene"], e["step"], e["top"]) for e in result["log"]]
    clip = [f"conv2d_{k:04d}_{n.replace(' ', '-')}.mp4" for k, n in enumerate(SECTION_NAMES)]
    pool = [c.replace("conv2d", "pooling") for c in clip]
    assert steps == [
        (0, None, None, None, None),       # title slide
        (1, -1, "conv2d", "0", clip[0]),   # scene opens on its first section
        (1, 0, "conv2d", "1", clip[1]),    # a key press: the next section on top
        (1, 1, "conv2d", "2", clip[2]),
        (1, 0, "conv2d", "1", clip[1]),    # back: the previous section again
        (1, 1, "conv2d", "2", clip[2]),
        (2, -1, "pooling", "0", pool[0]),  # past the last section: the next scene
        (2, 0, "pooling", "1", pool[1]),
    ]
    assert all(e["errors"] == 0 for e in result["log"])
    assert result["log"][-1]["label_text"].startswith("Pooling · step 2/3: step 1")
    # each section started playing when its step came up
    playing = [name for kind, name in result["events"] if kind == "playing"]
    for name in (clip[0], clip[1], clip[2], pool[0], pool[1]):
        assert name in playing, (name, result["events"])


@needs_chromium
def test_deck_shows_the_section_of_the_step(fake_out, served, tmp_path):
    """Opened at step 3 of the first scene, the screen shows that section's colour (held on its last frame)."""
    from PIL import Image

    deck_of(fake_out)
    shot = tmp_path / "deck.png"
    done = chromium(served.url + "slides/index.html#/1/0/1", tmp_path, f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-2000:]
    assert console_lines(done.stderr) == []
    pixel = Image.open(shot).convert("RGB").getpixel((640, 360))
    assert max(abs(a - b) for a, b in zip(pixel, COLOURS[2])) < 40, pixel


# ---------------------------------------------------------------- speaker notes and subtitles
def notes_of(page: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Per scene slide, its speaker notes: (step name, [lines]) per list item, in order."""
    notes = {}
    for scene, body in re.findall(r'<section class="cnnviz-scene" data-scene="([^"]+)".*?>(.*?)</section>', page, re.S):
        aside = re.findall(r'<aside class="notes">(.*?)</aside>', body, re.S)
        if aside:
            assert len(aside) == 1
            notes[scene] = [(html.unescape(name), [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", lines)])
                            for name, lines in re.findall(r"<li><strong>(.*?)</strong>(.*?)</li>", aside[0])]
    return notes


def tracks_of(page: str) -> list[dict[str, str]]:
    """The attributes of every <track> in the page."""
    parser = Page(page)
    return [dict(attrs) for tag, attrs in parser.elements if tag == "track"]


def vtt_cues(text: str) -> list[tuple[str, str, str]]:
    assert text.startswith("WEBVTT\n\n")
    return re.findall(r"^\d+\n(\S+) --> (\S+)\n(.*)\n", text, re.M)


def data_url_text(url: str) -> str:
    from urllib.parse import unquote

    head, _, body = url.partition(",")
    assert head == "data:text/vtt;charset=utf-8"
    return unquote(body)


def test_speaker_notes_hold_each_steps_lines_in_order(fake_out):
    deck = deck_of(fake_out)
    notes = notes_of(deck.index.read_text(encoding="utf-8"))
    expected = [(name, lines) for name, lines in zip(SECTION_NAMES, NOTES)]
    assert notes == {"conv2d": expected, "pooling": expected}
    assert notes_of(deck.embeds["conv2d"].read_text(encoding="utf-8")) == {"conv2d": expected}
    steps = load_steps(fake_out, "conv2d")
    assert [list(s.narration.lines) for s in steps] == NOTES and {s.narration.language for s in steps} == {"en"}


def test_a_prediction_step_is_marked_and_its_notes_ask_the_class(fake_out):
    # LectureScene.ask ends a section "predict N" on the question; the deck holds there until the next key press
    index = fake_out / "sections" / "pooling" / "sections.json"
    entries = json.loads(index.read_text())
    entries[1]["name"] = "predict 1"
    index.write_text(json.dumps(entries))
    for language, prompt in (("en", "Ask the class"), ("zh", "先请学生预测")):
        deck = deck_of(fake_out, language=language)
        page = deck.index.read_text(encoding="utf-8")
        pooling = re.search(r'<section class="cnnviz-scene" data-scene="pooling".*?</section>', page, re.S).group(0)
        asks = re.findall(r'<video [^>]*data-name="([^"]+)"[^>]*data-asks="1"', pooling)
        assert asks == ["predict 1"]
        assert 'data-asks' not in re.search(r'<section class="cnnviz-scene" data-scene="conv2d".*?</section>',
                                            page, re.S).group(0)
        item = re.search(r"<li><strong>predict 1</strong>(.*?)</li>", pooling).group(1)
        assert prompt in item and "Each output is a sum of products." in item


def test_split_narration_assigns_a_line_to_the_step_it_starts_in():
    from cnnviz.subtitles import Cue
    from cnnviz.web.deck import split_narration

    # conv1d at -q l: the line of the section "weight sharing" starts at 25.333 s, the section (a sum of six
    # durations rounded to microseconds) at 25.333334 s
    durations = [0.8, 7.2, 9.8, 3.8, 2.066667, 1.666667, 7.066667]
    cues = [Cue(2.2, 7.77, "one"), Cue(11.0, 17.571, "two"), Cue(25.333, 31.662, "three"), Cue(40.0, 41.0, "late")]
    steps = split_narration(cues, durations, "zh")
    assert [s.lines for s in steps] == [(), ("one",), ("two",), (), (), (), ("three", "late")]
    assert steps[5].cues == ()  # not the 0.3 ms of "three" before the section's start
    assert steps[6].cues == (Cue(0.0, 6.329, "three"),)  # "late" starts past the last step: a note, no cue
    assert steps[1].cues == (Cue(1.4, 6.97, "one"),) and steps[2].cues == (Cue(3.0, 9.571, "two"),)
    assert all(s.language == "zh" and s.label == "中文" for s in steps)
    assert split_narration([], [1.0, 2.0], "en") == [split_narration([], [1.0], "en")[0]] * 2


def test_step_subtitles_are_shifted_and_clipped(fake_out):
    deck = deck_of(fake_out)
    media = deck.index.parent / "media" / "conv2d"
    files = sorted(media.glob("*.vtt"))
    assert [f.stem for f in files] == [f.stem for f in sorted(media.glob("*.mp4"))]
    assert [vtt_cues(f.read_text(encoding="utf-8")) for f in files] == STEP_CUES


def test_step_videos_carry_subtitle_tracks(fake_out):
    fake_render(fake_out, "pooling", language="zh")
    deck = deck_of(fake_out)
    page = deck.index.read_text(encoding="utf-8")
    tracks = tracks_of(page)
    assert len(tracks) == 6 and page.count("<video") == 6
    assert [(t["kind"], t["srclang"], t["label"]) for t in tracks] == [("subtitles", "en", "English")] * 3 + \
        [("subtitles", "zh", "中文")] * 3
    # not shown by default: the captions are drawn in the video; the track is for the CC button and search
    assert not any("default" in t for t in tracks)
    for track in tracks:  # the track's cues are its step's .vtt file, which lies beside the step's clip
        file = deck.index.parent / track["data-file"]
        assert file.suffix == ".vtt" and file.with_suffix(".mp4").is_file()
        assert data_url_text(track["src"]) == file.read_text(encoding="utf-8")
    # each <track> sits inside the <video> of its step
    assert re.findall(r'data-src="media/conv2d/([^"]+)\.mp4"[^>]*><track [^>]*data-file="media/conv2d/([^"]+)\.vtt"',
                      page) == [(f"conv2d_{k:04d}_{n.replace(' ', '-')}",) * 2 for k, n in enumerate(SECTION_NAMES)]
    assert len(tracks_of(deck.embeds["pooling"].read_text(encoding="utf-8"))) == 3


def test_gallery_clips_carry_their_subtitles(fake_out):
    fake_render(fake_out, "pooling", language="zh")
    page = build_gallery(fake_out)
    text = page.read_text(encoding="utf-8")
    tracks = tracks_of(text)
    assert [(t["kind"], t["srclang"], t["label"], t["data-file"]) for t in tracks] == [
        ("subtitles", "en", "English", "conv2d.vtt"), ("subtitles", "zh", "中文", "pooling.vtt")]
    for track in tracks:
        assert "default" not in track
        assert data_url_text(track["src"]) == (fake_out / track["data-file"]).read_text(encoding="utf-8")
    assert '<a href="conv2d.vtt" download>conv2d.vtt</a>' in text
    assert re.search(r'<video [^>]*src="conv2d.mp4"><track [^>]*></video>', text)


@pytest.mark.parametrize("how", ["no narration key", "unreadable JSON", "malformed narration"])
def test_a_render_without_narration_gives_no_notes_and_no_tracks(fake_out, how):
    for scene_id in ("conv2d", "pooling"):
        doc_path = fake_out / f"{scene_id}.json"
        if how == "unreadable JSON":
            doc_path.write_text("{not json")
        else:
            doc = json.loads(doc_path.read_text())
            if how == "no narration key":
                del doc["narration"]
            else:
                doc["narration"] = [{"line": 1, "text": "no times"}]
            doc_path.write_text(json.dumps(doc))
        (fake_out / f"{scene_id}.vtt").unlink()
    deck = deck_of(fake_out)
    page = deck.index.read_text(encoding="utf-8")
    assert "<aside" not in page and "<track" not in page and page.count("<video") == 6
    assert not list((deck.index.parent / "media").rglob("*.vtt"))
    assert all(s.narration is None for s in load_steps(fake_out, "conv2d"))
    assert "speaker notes" not in deck.embeds["conv2d"].read_text(encoding="utf-8")
    assert "reveal.js/plugin/notes/notes.js" in page  # the speaker view still opens (timer, next slide)
    if how != "unreadable JSON":  # the gallery shows nothing of a clip without its JSON
        gallery = build_gallery(fake_out).read_text(encoding="utf-8")
        assert "<track" not in gallery and ".vtt" not in gallery


def test_the_notes_plugin_is_vendored_copied_and_registered(fake_out):
    import fnmatch
    import hashlib

    vendored = ASSETS / "vendor" / "reveal.js" / "plugin" / "notes" / "notes.js"
    digest = hashlib.sha256(vendored.read_bytes()).hexdigest()
    version = (ASSETS / "vendor" / "reveal.js" / "VERSION").read_text()
    assert f"{digest}  plugin/notes/notes.js" in version  # the file as the 5.2.1 tarball has it
    code = vendored.read_text(encoding="utf-8")
    assert "sourceMappingURL" not in code and "RevealNotes" in code
    # it loads nothing: no script, style sheet or font from anywhere (its speaker view is inlined)
    assert not re.search(r"(src|href)=[\\\"']*https?:|@import|\.woff|fonts\.googleapis", code)
    tomllib = pytest.importorskip("tomllib")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["cnnviz"]
    rel = vendored.relative_to(ASSETS.parent).as_posix()
    assert any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs), rel

    deck = deck_of(fake_out)
    copied = deck.index.parent / "reveal.js" / "plugin" / "notes" / "notes.js"
    assert copied.read_bytes() == vendored.read_bytes()
    page = deck.index.read_text(encoding="utf-8")
    scripts = re.findall(r"<script( src=\"[^\"]+\")?>", page)
    assert scripts == [' src="reveal.js/reveal.js"', ' src="reveal.js/plugin/notes/notes.js"', "", ""]
    assert re.search(r"Reveal\.initialize\(Object\.assign\(\{.*\}, \{ plugins: \[RevealNotes\] \}\)\);", page)


NOTES_PROBE_JS = r"""
(function () {
  var errors = [], popup = null, out = {};
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) errors.push("failed to load <" + t.tagName.toLowerCase() + "> "
      + (t.currentSrc || t.src || "").slice(0, 60));
    else errors.push("error: " + e.message);
  }, true);
  ["error", "warn"].forEach(function (level) {
    var orig = console[level];
    console[level] = function () {
      errors.push("console." + level + ": " + Array.prototype.join.call(arguments, " "));
      return orig.apply(console, arguments);
    };
  });
  var open = window.open;
  window.open = function () { popup = open.apply(window, arguments); return popup; };
  function tracks() {
    return Array.prototype.map.call(Reveal.getCurrentSlide().querySelectorAll("video track"), function (t) {
      return { ready: t.readyState, mode: t.track.mode, language: t.track.language,
               cues: Array.prototype.map.call(t.track.cues || [], function (c) { return [c.startTime, c.endTime, c.text]; }) };
    });
  }
  function speaker() {
    if (!popup) return null;
    var d = popup.document, box = d.querySelector(".speaker-controls-notes");
    return { title: d.title, connected: d.querySelector("#connection-status").style.display === "none",
             shown: !!box && !box.classList.contains("hidden"),
             notes: box ? Array.prototype.map.call(box.querySelectorAll(".value li"), function (li) {
               return [li.querySelector("strong").textContent,
                       Array.prototype.map.call(li.querySelectorAll("p"), function (p) { return p.textContent; })];
             }) : null,
             frames: d.querySelectorAll("iframe").length };
  }
  function finish() {
    out.errors = errors;
    var pre = document.createElement("pre");
    pre.id = "cnnviz-probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var go = function () {
      Reveal.slide(1);
      // the CC button: the tracks are not shown by default (the captions are in the video)
      Reveal.getCurrentSlide().querySelectorAll("video track").forEach(function (t) { t.track.mode = "showing"; });
      setTimeout(function () {
        out.plugin = !!Reveal.getPlugin("notes");
        out.tracks = tracks();
        Reveal.triggerKey(83);  // S
        setTimeout(function () {
          out.first = speaker();
          Reveal.slide(2);
          setTimeout(function () { out.second = speaker(); finish(); }, 2500);
        }, 4000);
      }, 1000);
    };
    if (Reveal.isReady()) go(); else Reveal.on("ready", go);
  });
})();
"""


@needs_chromium
@pytest.mark.parametrize("scheme", ["http", "file"])
def test_speaker_view_shows_the_notes_in_chromium(fake_out, served, tmp_path, scheme):
    """S opens reveal.js's speaker view, from disk as from the preview server: it connects to the deck (whose
    copies it loads in its iframes), shows the notes of the slide on show and follows the deck to the next slide;
    the steps' subtitle tracks load (from disk too), and nothing logs an error."""
    fake_render(fake_out, "pooling", language="zh")
    deck = deck_of(fake_out)
    text = deck.index.read_text(encoding="utf-8")
    probed = deck.index.with_name("probe-notes.html")
    probed.write_text(text.replace("<head>", f"<head>\n<script>{NOTES_PROBE_JS}</script>", 1), encoding="utf-8")
    url = served.url + "slides/" + probed.name if scheme == "http" else probed.as_uri()
    try:
        done = chromium(url, tmp_path, "--dump-dom", "--disable-popup-blocking", budget_ms=12000, timeout=90)
    except subprocess.TimeoutExpired:
        # seen with the Chromium of a fresh Debian 12 (chroot): headless --dump-dom never returns once the page
        # opens the speaker view's window; the notes and the plugin are checked without a browser above
        pytest.skip("headless Chromium hung opening the speaker view's window (a popup); not a deck failure")
    result = probe_result(done)
    assert result["errors"] == [] and console_lines(done.stderr) == []
    assert result["plugin"] is True
    expected = [[name, lines] for name, lines in zip(SECTION_NAMES, NOTES)]
    for seen in (result["first"], result["second"]):
        assert seen["title"] == "reveal.js - Speaker View" and seen["connected"] and seen["shown"]
        assert seen["frames"] == 2 and seen["notes"] == expected
    tracks = result["tracks"]
    assert [(t["ready"], t["mode"], t["language"]) for t in tracks] == [(2, "showing", "en")] * 3  # 2: loaded
    assert [[tuple(c) for c in t["cues"]] for t in tracks] == [
        [(float(a[6:]), float(b[6:]), text) for a, b, text in cues] for cues in STEP_CUES]


def test_hostile_narration_comes_out_as_text(fake_out):
    """Spoken lines reach the notes as text and the subtitle tracks as data: URLs that stay inside their attribute:
    none opens a tag, ends a <script> early, or breaks the page."""
    hostile = [{**line, "text": HOSTILE} for line in NARRATION]
    fake_render(fake_out, "conv2d", narration=hostile)
    deck = deck_of(fake_out, ids=("conv2d",))
    for text in (deck.index.read_text(encoding="utf-8"), deck.embeds["conv2d"].read_text(encoding="utf-8")):
        page = Page(text)
        assert "img" not in page.tags and all(not name.startswith("on") for name, _ in page.attrs)
        assert page.tags.count("script") == (4 if "<!doctype" in text else 1)
        assert page.texts["p"].count(HOSTILE) == 4  # one per line, in the notes
        assert notes_of(text)["conv2d"] == [(name, [HOSTILE] * len(lines)) for name, lines in zip(SECTION_NAMES, NOTES)]
        for track in tracks_of(text):
            escaped = HOSTILE.replace("-->", "→").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in data_url_text(track["src"])  # WebVTT cue text is markup: escaped
    gallery = build_gallery(fake_out)
    page = Page(gallery.read_text(encoding="utf-8"))
    assert "img" not in page.tags and page.tags.count("script") == 0
    (track,) = [dict(attrs) for tag, attrs in page.elements if tag == "track" and ("data-file", "conv2d.vtt") in attrs]
    assert data_url_text(track["src"]) == (fake_out / "conv2d.vtt").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the gallery
def test_gallery_lists_clips_posters_and_numbers(fake_out):
    page = build_gallery(fake_out)
    text = page.read_text()
    for scene_id in ("conv2d", "pooling"):
        poster = fake_out / "posters" / f"{scene_id}.png"
        assert poster.is_file() and poster.stat().st_size > 100
        assert f'src="{scene_id}.mp4"' in text and f'poster="posters/{scene_id}.png"' in text
    assert "2D convolution" in text and "Pooling" in text  # registry titles
    assert "<details" in text and "[[1 2 0]\n [3 1 2]\n [0 1 1]]" in text  # arrays pretty-printed
    assert "1.25" in text and "3 steps" in text
    assert r"<li><code>Z = A \otimes W + b</code></li>" in text and "<code>a&lt;b</code>" in text  # escaped
    for ref in local_refs(page):
        assert (fake_out / ref).is_file(), ref
    assert "/version" not in text  # the static page polls nothing


def test_poster_is_the_last_frame(fake_out):
    from PIL import Image

    build_gallery(fake_out)
    pixel = Image.open(fake_out / "posters" / "conv2d.png").convert("RGB").getpixel((80, 45))
    assert max(abs(a - b) for a, b in zip(pixel, COLOURS[-1])) < 40, pixel


def test_pretty_array():
    assert pretty_array([[1.0, -2.0], [0.5, 3.0]]) == ("2×2", "[[  1  -2]\n [0.5   3]]")
    assert pretty_array([[1.0, 2.0], [3.0]])[0] == "2 items"  # ragged: as JSON
    assert pretty_array(3.0) == ("", "3")
    assert pretty_array([True, False]) == ("2", "[1 0]")


@needs_chromium
def test_gallery_loads_and_plays_in_chromium(fake_out, served, tmp_path):
    page = build_gallery(fake_out, live=True)
    probed = with_probe(page)
    text = probed.read_text()
    probed.write_text(text.replace("</body>", "<script>var v = document.querySelector('video'); v.muted = true; v.play();</script></body>"))
    done = chromium(served.url + probed.name, tmp_path, "--dump-dom")
    result = probe_result(done)
    assert result["errors"] == [] and console_lines(done.stderr) == []
    assert any(kind == "playing" and name.startswith("conv2d.mp4") for kind, name in result["events"])
    shot = tmp_path / "gallery.png"
    chromium(served.url + page.name, tmp_path, f"--screenshot={shot}", budget_ms=3000)
    assert shot.is_file()


@needs_chromium
def test_live_gallery_reloads_when_the_version_changes(fake_out, tmp_path):
    """The page served by preview polls /version once a second and reloads when it changes."""

    class BumpOnSecondPoll(LiveState):
        polls = 0

        def as_json(self) -> bytes:
            self.polls += 1
            if self.polls == 2:
                self.set(bump=True)
            return super().as_json()

    live = BumpOnSecondPoll()
    page = with_probe(build_gallery(fake_out, live=True))
    with PreviewServer(fake_out, 0, live=live) as server:
        done = chromium(server.url + page.name, tmp_path, "--dump-dom", budget_ms=6000)
    result = probe_result(done)
    assert result["loads"] == 2 and live.polls >= 3
    assert result["errors"] == [] and console_lines(done.stderr) == []


# ---------------------------------------------------------------- the templates: package data, reproducible, escaped
def test_templates_and_static_files_are_package_data():
    """The pages' templates and static files are found through importlib.resources, as an installed package has
    them, not through the checkout's folders."""
    from importlib.resources import files

    from cnnviz.web.templating import environment, static_markup

    web = files("cnnviz.web")
    templates = {p.name for p in (web / "templates").iterdir() if p.is_file()}
    assert {"page.html.j2", "scene.html.j2", "deck.html.j2", "embed.html.j2", "gallery.html.j2"} <= templates
    assert set(environment().list_templates()) == templates
    static = {p.name for p in (web / "static").iterdir() if p.is_file()}
    assert {"scene.css", "steps.js", "gallery.css", "live.js"} <= static
    for name in static:  # each may be inlined: none closes the <style> or <script> it goes into
        assert static_markup(name) == (web / "static" / name).read_text(encoding="utf-8")


def test_pyproject_ships_every_template_and_static_file():
    """``[tool.setuptools.package-data]`` names every file in templates/ and static/ (a file in a subfolder, or
    one the globs miss, would be left out of a non-editable install)."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["cnnviz.web"]
    web = ROOT / "cnnviz" / "web"
    shipped = [p for folder in ("templates", "static") for p in (web / folder).rglob("*") if p.is_file()]
    assert shipped
    for path in shipped:
        rel = path.relative_to(web).as_posix()
        assert any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs), rel


def test_a_static_file_that_would_close_its_element_is_refused(tmp_path, monkeypatch):
    import cnnviz.web.templating as templating

    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "bad.js").write_text('var s = "</SCRIPT><script>alert(1)</script>";\n')
    monkeypatch.setattr(templating, "files", lambda package: tmp_path)
    with pytest.raises(ValueError, match="bad.js"):
        templating.static_markup.__wrapped__("bad.js")  # past the cache, which holds the package's own files


BUILD_PAGES = """
import sys
from pathlib import Path

from cnnviz.web.deck import DeckScene, build_deck, load_steps
from cnnviz.web.gallery import build_gallery

out = Path(sys.argv[1])
build_deck(out, [DeckScene(i, i.title(), load_steps(out, i)) for i in ("conv2d", "pooling")], title="Lecture")
build_gallery(out)
"""


def test_pages_are_reproducible(fake_out):
    """Built twice from the same render, the deck, its embed snippets, the gallery and its posters are the same
    bytes: no time stamps, no random ids, no order that depends on the process (each build runs in a process of
    its own, with another string hash seed)."""
    def build(seed: str) -> dict[str, bytes]:
        for made in (fake_out / "slides", fake_out / "posters"):
            shutil.rmtree(made, ignore_errors=True)
        (fake_out / "gallery.html").unlink(missing_ok=True)
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run([sys.executable, "-c", BUILD_PAGES, str(fake_out)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        pages = [fake_out / "gallery.html", *(fake_out / "slides").glob("*.html"), *(fake_out / "posters").iterdir(),
                 *(fake_out / "slides" / "media").glob("*/*.vtt")]
        return {p.relative_to(fake_out).as_posix(): p.read_bytes() for p in pages}

    first, second = build("1"), build("2")
    subtitles = [f"slides/media/{i}/{i}_{k:04d}_{n.replace(' ', '-')}.vtt" for i in ("conv2d", "pooling")
                 for k, n in enumerate(SECTION_NAMES)]
    assert sorted(first) == sorted(["gallery.html", "posters/conv2d.png", "posters/pooling.png",
                                    "slides/embed-conv2d.html", "slides/embed-pooling.html", "slides/index.html",
                                    *subtitles])
    assert b"<aside class=\"notes\">" in first["slides/index.html"] and b"<track " in first["gallery.html"]
    assert [name for name in first if first[name] != second[name]] == []


HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>\"'--><!--"


class Page(HTMLParser):
    """A page as a browser's parser sees it: its tags, comments, and the text inside each kind of element."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        self.elements.append((tag, attrs))
        if tag not in ("meta", "link", "img", "br", "source", "track"):
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data):
        if data.strip() and self._open:
            self.texts.setdefault(self._open[-1], []).append(data.strip())

    def handle_comment(self, data):
        self.comments.append(data)


def test_a_hostile_title_comes_out_as_text(fake_out):
    """Titles, step names and every value of a render's JSON reach the pages as text: none opens a tag, ends a
    <script> early or ends the embed snippet's comment."""
    import dataclasses

    steps = load_steps(fake_out, "conv2d")
    steps = (dataclasses.replace(steps[0], name=HOSTILE), *steps[1:])
    scene = DeckScene("conv2d", HOSTILE, steps)
    deck = build_deck(fake_out, [scene], title=HOSTILE)
    for text, scripts in ((deck.index.read_text(encoding="utf-8"), 4), (embed_snippet(scene), 1)):
        page = Page(text)
        assert "img" not in page.tags and page.tags.count("script") == scripts
        assert all(not name.startswith("on") for name, _ in page.attrs)
        assert ("data-name", HOSTILE) in page.attrs
        assert page.texts["span"][-1] == HOSTILE and HOSTILE + " · step" in page.texts["p"]
    deck_page = Page(deck.index.read_text(encoding="utf-8"))
    assert deck_page.texts["title"] == [HOSTILE] and deck_page.texts["h1"] == [HOSTILE]
    assert deck_page.texts["a"] == [HOSTILE] and deck_page.comments == []
    snippet = Page(embed_snippet(scene))
    assert len(snippet.comments) == 1 and snippet.comments[0].startswith(" cnnviz: ")
    assert "-->" not in snippet.comments[0] and "--!>" not in snippet.comments[0]

    doc = json.loads((fake_out / "conv2d.json").read_text())
    doc["params"][HOSTILE] = HOSTILE
    doc["arrays"][HOSTILE] = [HOSTILE, 1]
    doc.update(formulas=[HOSTILE], out_of_frame=[HOSTILE], error=HOSTILE, note=HOSTILE)
    (fake_out / "conv2d.json").write_text(json.dumps(doc))
    for live, scripts in ((False, 0), (True, 1)):
        page = Page(build_gallery(fake_out, live=live, title=HOSTILE).read_text(encoding="utf-8"))
        assert "img" not in page.tags and page.tags.count("script") == scripts
        assert all(not name.startswith("on") for name, _ in page.attrs)
        assert page.texts["title"] == [HOSTILE] and page.texts["h1"] == [HOSTILE]
        for tag in ("th", "td", "code", "summary"):  # parameter name and value, formula, array name
            assert HOSTILE in page.texts[tag], tag
        assert HOSTILE in page.texts["p"] and "out of frame: " + json.dumps([HOSTILE]) in page.texts["p"]
        assert json.dumps([HOSTILE, 1], indent=1) in page.texts["pre"]
        assert any(HOSTILE in t for t in page.texts["p"] if t.startswith("language "))  # the meta line


# ---------------------------------------------------------------- the preview server and watcher
def test_preview_server_version_ranges_and_index(fake_out):
    live = LiveState()
    build_gallery(fake_out, live=True)
    with PreviewServer(fake_out, 0, live=live) as server:
        get = lambda path, **h: urllib.request.urlopen(urllib.request.Request(server.url + path, headers=h))  # noqa
        assert json.load(get("version"))["version"] == 0
        live.set(status="rendering conv2d", state="rendering", bump=True)
        assert json.load(get("version")) == {"version": 1, "status": "rendering conv2d", "state": "rendering"}
        with get("") as r:  # / leads to the gallery
            assert r.url.endswith("/gallery.html") and b"fetch(\"/version\"" in r.read()
        with get("conv2d.mp4", Range="bytes=10-19") as r:
            assert r.status == 206 and len(r.read()) == 10
            assert r.headers["Content-Range"].endswith(f"/{(fake_out / 'conv2d.mp4').stat().st_size}")


def test_watcher_maps_changes_to_scenes(tmp_path):
    config = tmp_path / "lecture.yaml"
    config.write_text("scenes: []\n")
    files = watched_files(["conv2d", "pooling"], config)
    assert ROOT / "scenes" / "conv2d.py" in files and ROOT / "scenes" / "common.py" in files
    assert files[ROOT / "scenes" / "pooling.py"] == {"pooling"} and files[config.resolve()] is None
    assert files[ROOT / "scenes" / "common.py"] == {"conv2d", "pooling"}
    assert any(p.is_relative_to(ROOT / "cnnviz") for p in files)
    fake = {config: None, tmp_path / "pooling.py": {"pooling"}}
    (tmp_path / "pooling.py").write_text("")
    with Watcher(fake, ["conv2d", "pooling"], debounce=0.1) as watcher:
        assert watcher.changed(timeout=0.3) == ([], [])
        os.utime(tmp_path / "pooling.py", ns=(1, 1))
        assert watcher.changed(timeout=10) == ([tmp_path / "pooling.py"], ["pooling"])
        os.utime(config, ns=(2, 2))
        assert watcher.changed(timeout=10)[1] == ["conv2d", "pooling"]


def test_watched_files_are_the_registrys_source_files(tmp_path):
    """Every file a clip depends on (cnnviz.registry.source_files) is watched for that scene, helpers included."""
    from cnnviz.registry import scene_ids, source_files

    config = tmp_path / "lecture.yaml"
    config.write_text("scenes: []\n")
    ids = scene_ids()
    files = watched_files(ids, config)
    for scene_id in ids:
        for f in source_files(scene_id):
            assert scene_id in files[f], (scene_id, f)
    assert files[ROOT / "scenes" / "backprop_parts.py"] == {"backprop_conv"}
    assert files[ROOT / "scenes" / "mnist_maps.py"] == {"error_flow", "mnist_features"}
    assert files[config.resolve()] is None


def _tmp_root(tmp_path: Path) -> Path:
    """A project root of a few real files: what source_files(root=...) looks for."""
    root = tmp_path / "root"
    for rel in ("scenes/backprop_conv.py", "scenes/backprop_parts.py", "scenes/common.py", "scenes/conv2d.py",
                "cnnviz/ops.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    return root


def _save_like_an_editor(path: Path, text: str) -> None:
    """What an editor's save does: a temporary file, written in pieces, renamed over the original."""
    tmp = path.with_name(f".{path.name}.swp")
    with open(tmp, "w") as fh:
        for piece in (text[: len(text) // 2], text[len(text) // 2:]):
            fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    os.utime(path)


def test_editing_a_helper_file_renders_its_scene_again(tmp_path):
    root = _tmp_root(tmp_path)
    config = tmp_path / "lecture.yaml"
    config.write_text("scenes: []\n")
    files = watched_files(["backprop_conv", "conv2d"], config, root=root)
    parts = root / "scenes" / "backprop_parts.py"
    assert files[parts] == {"backprop_conv"} and files[root / "cnnviz" / "ops.py"] == {"backprop_conv", "conv2d"}
    with Watcher(files, ["backprop_conv", "conv2d"], debounce=0.2) as watcher:
        _save_like_an_editor(parts, parts.read_text() + "\n# edited\n")
        assert watcher.changed(timeout=10) == ([parts], ["backprop_conv"])
        (root / "cnnviz" / "ops.py").write_text("# core changed\n")
        assert watcher.changed(timeout=10) == ([root / "cnnviz" / "ops.py"], ["backprop_conv", "conv2d"])
        assert watcher.changed(timeout=0.5) == ([], [])


def test_a_burst_of_saves_is_one_change(tmp_path):
    root = _tmp_root(tmp_path)
    parts = root / "scenes" / "backprop_parts.py"
    scene = root / "scenes" / "backprop_conv.py"
    with Watcher(watched_files(["backprop_conv"], None, root=root), ["backprop_conv"], debounce=0.3) as watcher:
        for k in range(5):  # five saves of two files, 50 ms apart: one burst
            _save_like_an_editor(parts, f"# version {k}\n")
            scene.write_text(scene.read_text() + "\n")
            time.sleep(0.05)
        assert watcher.changed(timeout=10) == (sorted([parts, scene]), ["backprop_conv"])
        assert watcher.changed(timeout=0.8) == ([], [])  # nothing left over from the burst


def test_reading_a_file_is_no_change(tmp_path):
    root = _tmp_root(tmp_path)
    scene = root / "scenes" / "backprop_conv.py"
    with Watcher(watched_files(["backprop_conv"], None, root=root), ["backprop_conv"], debounce=0.1) as watcher:
        scene.read_text()  # a render opens and reads it
        st = scene.stat()
        os.utime(scene, ns=(st.st_atime_ns + 10**9, st.st_mtime_ns))  # only the access time
        (root / "scenes" / "unrelated.py").write_text("x = 1\n")  # a file no clip depends on
        assert watcher.changed(timeout=0.8) == ([], [])


def test_preview_watch_renders_again_on_a_change(fake_out, tmp_path, monkeypatch):
    """The command's loop: a change to a watched file calls rerender with its scenes, then Ctrl-C stops it."""
    import threading

    import cnnviz.cli.preview as preview
    import cnnviz.web.watch as watch

    source = tmp_path / "conv2d_helper.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(watch, "watched_files", lambda ids, config: {source: {"conv2d"}})
    calls = []

    def rerender(scene_ids, *args):
        calls.append(scene_ids)
        raise KeyboardInterrupt

    monkeypatch.setattr(preview, "rerender", rerender)
    timer = threading.Timer(1.5, lambda: source.write_text("x = 2\n"))
    timer.start()
    try:
        res = run("preview", "--out", str(fake_out), "--port", "0", "--watch", "--no-warm")
    finally:
        timer.cancel()
    assert res.exit_code == 0, res.output
    assert calls == [["conv2d"]] and "changed: " + str(source) in res.output and "stopped" in res.output


PROBE_SCENE = """
import sys
FRESH = "cnnviz.cli.preview" not in sys.modules  # the worker had it imported; a render imports it afresh
import cnnviz
from manim import Scene


class Probe(Scene):
    def construct(self):
        print("PROBE", FRESH, cnnviz.__file__, flush=True)
        print("to stderr", file=sys.stderr, flush=True)
"""


def test_warm_worker_runs_manim_with_fresh_cnnviz(tmp_path):
    from cnnviz.cli.preview import WarmRenderer

    scene = tmp_path / "probe.py"
    scene.write_text(PROBE_SCENE)
    warm = WarmRenderer().start()
    try:
        assert warm.ready.wait(60), "the warm worker did not start"
        cmd = [sys.executable, "-m", "manim", "render", "--dry_run", "-v", "WARNING", "--media_dir",
               str(tmp_path / "media"), str(scene), "Probe"]
        env = {**os.environ, "CNNVIZ_PROBE": "1"}
        done = warm.run(cmd, cwd=ROOT, env=env)
        assert done is not None and done.returncode == 0, done
        assert f"PROBE True {ROOT / 'cnnviz' / '__init__.py'}" in done.stdout and "to stderr" in done.stderr
        fails = tmp_path / "fails.py"
        fails.write_text("from manim import Scene\n\nclass Fails(Scene):\n    def construct(self):\n"
                         "        raise RuntimeError('fails on purpose')\n")
        failed = warm.run([sys.executable, "-m", "manim", "render", "--dry_run", "--media_dir",
                           str(tmp_path / "media"), str(fails), "Fails"], cwd=ROOT, env=env)
        assert failed is not None and failed.returncode != 0  # reported like a failed process
        assert "fails on purpose" in failed.stdout + failed.stderr
        again = warm.run(cmd, cwd=ROOT, env=env)  # the worker survives its children
        assert again is not None and again.returncode == 0 and "PROBE True" in again.stdout
    finally:
        warm.close()
    assert warm.run(["x"]) is None  # closed: the caller runs the command itself


def test_the_warm_runner_takes_only_manim_renders():
    import subprocess as real_subprocess

    from cnnviz.cli.preview import WarmRenderer, warm_runner

    class Fake(WarmRenderer):
        def __init__(self):
            super().__init__()
            self.calls = []

        def run(self, cmd, *, cwd=None, env=None, wait=30.0):
            self.calls.append((cmd, cwd))
            return real_subprocess.CompletedProcess(cmd, 0, "warm", "")

    fake = Fake()
    run = warm_runner(fake)
    manim = [sys.executable, "-m", "manim", "render", "scene.py", "Cls"]
    done = run(manim, cwd=ROOT, env={}, capture_output=True, text=True)
    assert done.stdout == "warm" and fake.calls == [(manim, ROOT)]
    other = run([sys.executable, "-c", "print('cold')"], capture_output=True, text=True)
    assert other.stdout == "cold\n" and len(fake.calls) == 1
    assert warm_runner(None) is None  # the pipeline then uses subprocess.run


def test_the_pipeline_starts_manim_through_its_run_manim_hook(tmp_path, monkeypatch):
    """A render with ``run_manim`` set hands it the whole Manim command (the warm worker's way in)."""
    import subprocess as real_subprocess

    from cnnviz import pipeline
    from cnnviz.config import load_config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append((cmd, kwargs))
        return real_subprocess.CompletedProcess(cmd, 1, "", "no render here")

    [res] = pipeline.render_scenes(["conv2d"], load_config(None),
                                   pipeline.RenderOptions(out_dir=tmp_path / "out", values_here=False,
                                                          run_manim=fake_run))
    assert not res.ok and "no render here" in res.error
    [(cmd, kwargs)] = calls
    assert cmd[1:4] == ["-m", "manim", "render"] and cmd[-1] == "SlideKernelOverImage"
    assert kwargs["capture_output"] and kwargs["env"]["CNNVIZ_JSON_DIR"]


@pytest.mark.slow
def test_preview_watch_renders_an_edit_in_the_warm_worker(tmp_path):
    """The real command: an edit of the config renders conv2d again (in a fork of the warm worker) and moves
    /version on; Ctrl-C then stops it cleanly."""
    import signal

    config, out = tmp_path / "lecture.yaml", tmp_path / "out"
    config.write_text("scenes:\n  - scene: conv2d\n    seed: 0\n")
    proc = subprocess.Popen([sys.executable, str(ROOT / "render.py"), "preview", "conv2d", "--watch", "--port", "0",
                             "--config", str(config), "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stdout:
            if m := re.search(r"http://127\.0\.0\.1:\d+/", line):
                url = m.group(0)
                break
        assert url, proc.stderr.read()
        version = lambda: json.load(urllib.request.urlopen(url + "version"))["version"]  # noqa: E731
        assert version() == 0
        time.sleep(4)  # the warm worker's imports
        config.write_text("scenes:\n  - scene: conv2d\n    seed: 1\n")
        deadline = time.time() + 120
        while version() == 0 and time.time() < deadline:
            time.sleep(0.1)
        assert version() == 1
        assert json.load(urllib.request.urlopen(url + "version"))["state"] == "idle"  # not "error"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err and "stopped" in err, err
    assert "conv2d: FAILED" not in err and re.search(r"conv2d: \d+\.\d s", err), err


# ---------------------------------------------------------------- the commands
@pytest.mark.parametrize("command", ["slides", "gallery", "preview"])
def test_help_shows_an_example(command):
    res = run(command, "--help")
    assert res.exit_code == 0 and f"python render.py {command}" in res.output


def test_gallery_command(fake_out):
    res = run("gallery", "--out", str(fake_out))
    assert res.exit_code == 0 and (fake_out / "gallery.html").is_file()


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_gallery_of_nothing_is_a_clear_error(tmp_path, make):
    out = tmp_path / "out"
    if make == "empty":
        out.mkdir()
    res = run("gallery", "--out", str(out))
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert str(out) in res.output and "cnnviz render conv2d" in res.output


def test_preview_interactive_without_display_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    res = run("preview", "conv2d", "--interactive")
    assert res.exit_code == 2 and "no display" in res.output


def test_preview_interactive_runs_manim_opengl(monkeypatch):
    import cnnviz.cli.preview as preview

    seen = {}
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(preview.subprocess, "run",
                        lambda cmd, **kw: seen.update(cmd=cmd, env=kw["env"]) or subprocess.CompletedProcess(cmd, 0))
    res = run("preview", "conv2d", "--interactive", "--language", "zh")
    assert res.exit_code == 0
    assert seen["cmd"][1:4] == ["-m", "manim", "render"] and "--renderer=opengl" in seen["cmd"]
    assert seen["cmd"][-2:] == [str(ROOT / "scenes" / "conv2d.py"), "SlideKernelOverImage"]
    assert seen["env"]["CNNVIZ_LANGUAGE"] == "zh"


@pytest.mark.parametrize("args, message", [
    (["conv2d", "pooling", "--interactive"], "exactly one id"),
    (["conv3d"], "unknown scene id(s): conv3d"),
])
def test_preview_argument_errors(args, message):
    res = run("preview", *args)
    assert res.exit_code == 2 and message in res.output


def test_preview_port_in_use_is_a_clear_error(fake_out):
    with PreviewServer(fake_out, 0) as busy:
        port = busy.httpd.server_address[1]
        res = run("preview", "--out", str(fake_out), "--port", str(port))
    assert res.exit_code == 2 and f"--port {port}" in res.output


def test_preview_serves_until_interrupted(fake_out, monkeypatch):
    """The command serves the live gallery; Ctrl-C (here: the first sleep) stops it cleanly."""
    import cnnviz.cli.preview as preview

    seen = {}

    def interrupt(seconds):
        url = re.search(r"http://\S+", seen["echo"]).group(0)
        seen["page"] = urllib.request.urlopen(url).read().decode()
        raise KeyboardInterrupt

    monkeypatch.setattr(preview.time, "sleep", interrupt)  # without --watch
    monkeypatch.setattr(Watcher, "changed", lambda self, timeout=None: interrupt(timeout))  # with --watch
    real_echo = preview.click.echo
    monkeypatch.setattr(preview.click, "echo", lambda msg="", **kw: seen.setdefault("echo", str(msg)) and
                        real_echo(msg, **kw))
    for watch in ([], ["--watch"]):
        seen.clear()
        res = run("preview", "--out", str(fake_out), "--port", "0", *watch)
        assert res.exit_code == 0, res.output
        assert 'fetch("/version"' in seen["page"] and "conv2d.mp4?v=" in seen["page"]


def test_slides_renders_first_then_builds(fake_out, monkeypatch):
    import cnnviz.cli.slides as slides

    calls = []
    monkeypatch.setattr(slides, "run_render", lambda ids, config, **opts: calls.append((ids, opts["force"])))
    res = run("slides", "conv2d", "pooling", "--out", str(fake_out))
    assert res.exit_code == 0, res.output
    assert calls == [(["conv2d", "pooling"], False)]
    assert (fake_out / "slides" / "index.html").is_file()
    assert (fake_out / "slides" / "embed-pooling.html").is_file()


def test_slides_renders_again_when_sections_are_missing(fake_out, monkeypatch):
    import cnnviz.cli.slides as slides

    shutil.rmtree(fake_out / "sections" / "pooling")
    calls = []

    def render(ids, config, **opts):
        calls.append((ids, opts["force"]))
        if opts["force"]:
            fake_render(fake_out, "pooling")

    monkeypatch.setattr(slides, "run_render", render)
    res = run("slides", "conv2d", "pooling", "--out", str(fake_out))
    assert res.exit_code == 0, res.output
    assert calls == [(["conv2d", "pooling"], False), (["pooling"], True)]


def test_slides_embed_prints_the_snippet(fake_out, monkeypatch):
    import cnnviz.cli.slides as slides

    monkeypatch.setattr(slides, "run_render", lambda ids, config, **opts: None)
    res = CliRunner().invoke(cli, ["slides", "--embed", "conv2d", "--out", str(fake_out)])
    assert res.exit_code == 0
    assert res.stdout.lstrip().startswith("<!-- cnnviz:") and res.stdout.count("<section class=") == 1
    assert (fake_out / "slides" / "embed-conv2d.html").is_file()
    assert (fake_out / "slides" / "media" / "conv2d" / "conv2d_0000_title.mp4").is_file()


@pytest.mark.parametrize("args, message", [
    (["--format", "png"], "--format png"),
    (["--transparent"], "--transparent"),
    (["conv3d"], "unknown scene id(s): conv3d"),
])
def test_slides_argument_errors(tmp_path, args, message):
    res = run("slides", *args, "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


# ---------------------------------------------------------------- with a real render
@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    """conv2d rendered once by plain manim at 160x90 with --save_sections, laid out as a render leaves it (its
    <id>.srt and <id>.vtt too: the pipeline takes a clip as cached only with them)."""
    from cnnviz.registry import scene_spec as scene_info

    info = scene_info("conv2d")
    work = tmp_path_factory.mktemp("render")
    out = work / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    env["CNNVIZ_JSON_DIR"] = str(out)
    cmd = [sys.executable, "-m", "manim", "render", "-r", "160,90", "--frame_rate", "5", "--media_dir",
           str(work / "media"), "-o", info.id, "--save_sections", "--disable_caching", "-v", "WARNING",
           "--progress_bar", "none", str(ROOT / info.path), info.cls]
    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    clip = next(p for p in (work / "media").rglob(f"{info.id}.mp4") if "sections" not in p.parts)
    shutil.move(clip, out / f"{info.id}.mp4")
    sections = next(p for p in (work / "media").rglob("sections") if p.is_dir())
    for index in sections.glob("*.json"):
        index.rename(sections / "sections.json")
    shutil.move(sections, out / "sections" / info.id)
    # and the subtitles the pipeline writes beside the clip, from the spoken lines in the JSON
    from cnnviz.subtitles import cues_from_json, srt, webvtt

    cues = cues_from_json(json.loads((out / f"{info.id}.json").read_text(encoding="utf-8")))
    (out / f"{info.id}.srt").write_text(srt(cues), encoding="utf-8")
    (out / f"{info.id}.vtt").write_text(webvtt(cues), encoding="utf-8")
    return out


@pytest.mark.slow
@needs_chromium
def test_real_scene_in_deck_and_gallery(rendered, tmp_path):
    out = shutil.copytree(rendered, tmp_path / "out")
    steps = load_steps(out, "conv2d")
    assert len(steps) >= 3 and steps[0].name == "title"
    deck = build_deck(out, [DeckScene("conv2d", "2D convolution", steps)], title="CNN")
    page = build_gallery(out)
    with PreviewServer(out, 0) as server:
        done = chromium(server.url + "slides/" + with_probe(deck.index, ["next", "next", "next"]).name, tmp_path,
                        "--dump-dom")
        result = probe_result(done)
        assert result["errors"] == [] and console_lines(done.stderr) == []
        assert [e["step"] for e in result["log"]] == [None, "0", "1", "2"]
        assert result["log"][-1]["top"] == steps[2].video.name
        done = chromium(server.url + with_probe(page).name, tmp_path, "--dump-dom")
        assert probe_result(done)["errors"] == [] and console_lines(done.stderr) == []
    for ref in local_refs(deck.index):
        assert (deck.index.parent / ref).is_file()
    for ref in local_refs(page):
        assert (out / ref).is_file()
    doc = json.loads((out / "conv2d.json").read_text(encoding="utf-8"))
    if "narration" in doc:  # the scene's spoken lines: each once, in order, in the notes; a track per step
        deck_page = deck.index.read_text(encoding="utf-8")
        notes = [line for _, lines in notes_of(deck_page)["conv2d"] for line in lines]
        assert notes == [line["text"] for line in doc["narration"]] and notes
        assert len(tracks_of(deck_page)) == len(steps)
        (track,) = tracks_of(page.read_text(encoding="utf-8"))
        assert data_url_text(track["src"]) == (out / "conv2d.vtt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_slides_command_on_a_cached_render(rendered, tmp_path):
    """`slides` takes a clip the cache knows as rendered, and builds the deck without rendering again."""
    from cnnviz.registry import scene_spec as scene_info
    from cnnviz.config import load_config
    from cnnviz.pipeline import RenderOptions, cache_key

    out = shutil.copytree(rendered, tmp_path / "out")
    key = cache_key(scene_info("conv2d"), load_config(), RenderOptions(out_dir=out))
    (out / ".cache").mkdir()
    (out / ".cache" / "conv2d.key").write_text(key)
    started = time.perf_counter()
    res = run("slides", "conv2d", "--out", str(out), "-j", "1")
    assert res.exit_code == 0, res.output
    assert "cached" in res.output or "hit" in res.output
    assert time.perf_counter() - started < 20
    assert (out / "slides" / "index.html").is_file() and (out / "slides" / "embed-conv2d.html").is_file()
