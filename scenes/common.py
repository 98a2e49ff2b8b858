"""The lecture's one visual language: colours by role, number grids, sliding windows, padding cells,
arrows, formula panels, captions, and the base class every scene derives from.

Scenes draw; they never compute. Every number comes from :func:`cnnviz.values.scene_values`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from manim import (
    DOWN,
    ORIGIN,
    UL,
    RIGHT,
    UP,
    Arrow,
    FadeIn,
    FadeOut,
    MathTex,
    Rectangle,
    Scene,
    Text,
    VGroup,
    Write,
    config,
)

from cnnviz.config import scene_entry
from cnnviz.narration import Speech, Voice, VoiceError, check_voice, parse_voice, speak, speak_ahead, stop_speaking_ahead
from cnnviz.script import Script, load_script
from cnnviz.paths import atomic_write
from cnnviz.registry import scene_spec
from cnnviz.scene_env import SceneEnv
from cnnviz.sound import NarrationEncoder, encode_narration, replace_sound
from cnnviz.theme import THEMES, Theme
from cnnviz.values import SceneValues, load_values, scene_json, scene_values

from scenes import speedups
from scenes.kit import NumberGrid as KitNumberGrid
from scenes.kit import cells_box, conceal, taps_box
from scenes.speedups.ahead import build_ahead, reference_spoken, reference_typeset, stop_building_ahead
from scenes.speedups.drawing import (cached_formula, cached_text, forget_display_lists, formulas_built, frame_extent,
                                     keep_display_lists, raise_moving, typeset_built, updaters_in_play)
from scenes.speedups.interpolate import allow_fused_interpolation
from scenes.speedups.latex import format_ahead

__all__ = [
    "FONT",
    "MONO",
    "THEMES",
    "LectureScene",
    "NumberGrid",
    "Theme",
    "arrow",
    "cached_text",
    "cells_box",
    "taps_box",
    "formula",
    "formula_glyph_px",
    "label",
    "legible_formula",
    "paced_steps",
    "step_times",
]

#: the layout rules every frame keeps (checked where a section ends and at the scene's end; see layout_check):
#: nothing within 5 % of an edge, no glyph of a text or formula under 16 px tall in a 480-line frame
SAFE_MARGIN = 0.05
MIN_GLYPH_PX = 16.0
#: the title's and caption's distance from the top and bottom edge: the safe margin and a little (scene units)
SAFE_EDGE = 0.45
#: a glyph's outline may be this much shorter and still cover 16 pixel rows once antialiased: a font-26 "1"
#: measures 15.4 px of outline and is drawn 16 rows tall
_ANTIALIAS_PX = 0.6
#: a formula's glyph taller than this many scene units per font point is a big operator or a stretched
#: delimiter (a display Σ is 1/69, a parenthesis 1/96): it sets no measure for the glyphs beside it, else the
#: subscripts under a tall Σ would pass as signs
_BIG_GLYPH_PER_POINT = 1 / 80
#: a number in a cell keeps this many pixels (at 480 lines) clear between its ink and the inner edge of each
#: outline around it (its cell's border, a window's): less reads as touching it
MIN_CELL_PAD_PX = 2.5
_NUMBER = re.compile(r"[-−+]?\d+(?:[.,]\d+)?%?")
FONT = "Noto Sans CJK SC"  # covers Latin and Chinese alike, installed by the set-up
MONO = "Noto Sans Mono CJK SC"  # numbers: equal widths keep grids tidy


def step_times(n: int, *, slow: float = 1.0, fast: float = 0.25, slow_steps: int = 3) -> list[float]:
    """Run times for ``n`` identical steps: the first few at a pace a student can follow, then faster."""
    return [slow if i < slow_steps else max(fast, slow * 0.6 ** (i - slow_steps + 1)) for i in range(n)]


def paced_steps(scene: Scene, steps: Sequence[Any], *, detailed: int, slow: float, fast: float,
                last_own_section: bool = False) -> Iterator[tuple[int, Any, float]]:
    """``(n, step, run_time)`` for a sliding window's steps, opening the sections slides advance through:
    one per detailed step, then one for the remaining steps (and, if asked, one more for the last)."""
    for n, (step, run) in enumerate(zip(steps, step_times(len(steps), slow=slow, fast=fast, slow_steps=detailed))):
        if n < detailed or (last_own_section and n == len(steps) - 1):
            scene.next_section(f"step {n + 1}")
        elif n == detailed:
            scene.next_section("remaining steps")
        yield n, step, run


class NumberGrid(KitNumberGrid):
    """The kit's :class:`scenes.kit.NumberGrid` as the lecture's scenes call it: ``(values, theme, color)``
    positionally, font size 26 unless given, and its numbers built by the lecture's text cache (same pixels
    as ``manim.Text``, built once per process)."""

    def __init__(self, values: Any, theme: Theme, color: str, *, cell: float = 0.6, font_size: float = 26,
                 **kwargs: Any) -> None:
        super().__init__(values, theme=theme, color=color, cell=cell, font_size=font_size, text=cached_text,
                         **kwargs)


def label(text: str, theme: Theme, *, color: str | None = None, font_size: float = 26) -> Text:
    """A short label in the lecture font."""
    return cached_text(text, font=FONT, font_size=font_size, color=color or theme.text)


def formula(tex: str, theme: Theme, *, font_size: float = 36, color: str | None = None, **kwargs: Any) -> MathTex:
    """A formula in LaTeX (kept apart from Chinese text, which LaTeX here would misalign)."""
    return cached_formula(tex, font_size=font_size, color=color or theme.text, **kwargs)


def formula_glyph_px(tex: Any) -> float | None:
    """The height in pixels at 480 lines of the smallest glyph of ``tex`` (a ``SingleStringMathTex``) that must
    be read, or ``None`` when it has none. Bars, signs and dots (wider than twice their height, or under half
    the tallest glyph that is not a big operator or a stretched delimiter) need not be read; big operators
    (:data:`_BIG_GLYPH_PER_POINT`) are read but set no measure."""
    glyphs = [g for g in tex.family_members_with_points() if g.height > 0]
    big = _BIG_GLYPH_PER_POINT * tex.font_size if getattr(tex, "initial_height", 0) else math.inf
    top = max((g.height for g in glyphs if g.height <= big), default=0)
    read = [g.height for g in glyphs if g.width <= 2 * g.height and g.height >= top / 2]
    return min(read) * 480 / config.frame_height if read else None


def legible_formula(tex: str, theme: Theme, *, font_size: float = 36, color: str | None = None,
                    **kwargs: Any) -> MathTex:
    """:func:`formula` at ``font_size``, or larger where that is needed for every glyph that must be read
    (:func:`formula_glyph_px`: subscripts and superscripts too) to be :data:`MIN_GLYPH_PX` tall at 480 lines."""
    from manim import SingleStringMathTex

    mob = formula(tex, theme, font_size=font_size, color=color, **kwargs)
    sizes = [formula_glyph_px(part) for part in mob.get_family() if isinstance(part, SingleStringMathTex)]
    smallest = min((s for s in sizes if s is not None), default=None)
    if smallest is not None and smallest < MIN_GLYPH_PX:
        mob.scale(MIN_GLYPH_PX / smallest)
    return mob


def arrow(start: Any, end: Any, color: str, *, buff: float = 0.1) -> Arrow:
    return Arrow(start, end, color=color, buff=buff, stroke_width=4, max_tip_length_to_length_ratio=0.15)


class LectureScene(Scene):
    """Base of every lecture scene.

    Reads its parameters from the lecture config (``$CNNVIZ_CONFIG``, default ``cnnviz/assets/lecture.yaml``),
    its values from :mod:`cnnviz.values`, sets the theme and language, and writes ``<id>.json`` beside
    its video. Subclasses set ``scene_id`` and implement :meth:`play_scene`; variants override class
    attributes or small hooks.
    """

    scene_id: ClassVar[str] = ""
    #: seconds a caption takes to fade in or out (the old one is gone before the new one comes)
    caption_fade: ClassVar[float] = 0.25

    def setup(self) -> None:
        self.env = env = SceneEnv.from_environ()  # what the render pipeline says (cnnviz.scene_env)
        self.lecture, entry = scene_entry(self.scene_id)
        self.params = entry.params
        self.theme = THEMES[self.lecture.theme]
        self.language = self.lecture.language
        # the render speed-ups (same pixels), on the Manim versions they were verified on, unless switched off
        self.fast = speedups.install(enabled=env.speedups)
        if env.manim_cache:  # the render pipeline's media folder lasts one render: keep LaTeX and Pango output
            config.tex_dir, config.text_dir = str(env.manim_cache / "Tex"), str(env.manim_cache / "texts")
        if self.fast:
            # a first render on this machine builds the scene's texts and formulas on the other core while it
            # draws (the render pipeline says whether a core is free; a plain `manim render` has one)
            typeset_ahead = env.build_ahead and build_ahead(reference_typeset(self.scene_id))
            if not typeset_ahead:  # the helper typesets the listed formulas; the format is for the rest
                format_ahead()  # on a fresh machine the LaTeX format, on a thread, before the scene's first formula
        # the render pipeline computes values in its own process and passes them in a file ($CNNVIZ_VALUES),
        # so this process need not import torch; a plain `manim` run computes them here
        values = load_values(env.values, self.scene_id, self.params) if env.values else None
        self.values: SceneValues = values if values is not None else scene_values(self.scene_id, self.params)
        self.camera.background_color = self.theme.background
        self._caption: Text | None = None
        self._speech_end = 0.0  # when the line being spoken ends (scene time, seconds)
        self._settling = False  # a caption's own fade is playing (play() must not retire captions then)
        self.narration: list[dict[str, Any]] = []  # each spoken line: number, start, end, text (into the JSON)
        self.predictions: list[dict[str, Any]] = []  # each prediction step (ask): key, section, start, text
        self.voice = self._voice()
        if self.fast and self.voice.kind == "espeak":  # after build_ahead's fork: a thread is not forked
            # a first render on this machine has espeak-ng speak the reference's lines beside the scene
            speak_ahead(reference_spoken(self.scene_id, self.language), self.language)
        self.out_of_frame: list[str] = []
        self.layout_problems: list[dict[str, Any]] = []  # layout_check's findings (into the JSON)
        self.plays: list[dict[str, Any]] = []  # each play's frames and section (a render in chunks plans by them)

    def _voice(self) -> Voice:
        """The pipeline's voice; a plain ``manim`` run speaks with espeak-ng where it is installed."""
        try:
            voice = parse_voice(self.env.voice)
            check_voice(voice)
        except VoiceError as exc:
            if self.env.voice is not None:  # the pipeline checked it; a folder may have gone since
                raise
            logging.getLogger("cnnviz").warning("%s; rendering silent", exc)
            voice = Voice("none")
        return voice

    def render(self, preview: bool = False) -> Any:
        self._narration_wav: Path | None = None
        self._sound_stream: NarrationEncoder | None | bool = None  # False: not streamed (see _stream_sound)
        try:
            result = super().render(preview)
            movie = Path(getattr(self.renderer.file_writer, "movie_file_path", None) or "")
            if self._narration_wav is not None and movie.is_file():  # the sound tear_down took from Manim's writer
                aac = self._narration_wav.with_suffix(".aac")
                stream = self._sound_stream
                if not (isinstance(stream, NarrationEncoder) and stream.finish()):
                    encode_narration(self._narration_wav, aac)
                replace_sound(movie, aac)
                aac.unlink()
        finally:
            if isinstance(self._sound_stream, NarrationEncoder):
                self._sound_stream.abandon()  # a no-op once finished
        if self.env.exit_after_render:
            # set by the render pipeline, whose scene process has written everything by now: freeing the
            # scene's objects one by one as Python exits took about 1 s (~12 % of a render), so skip it
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        return result

    # ----------------------------------------------------------------- language
    def tr(self, en: str, zh: str) -> str:
        """The caption text in the lecture's language."""
        return zh if self.language == "zh" else en

    def title(self) -> Text:
        info = scene_spec(self.scene_id)
        return cached_text(info.title(self.language), font=FONT, font_size=40, color=self.theme.text,
                           weight="BOLD").to_edge(UP, buff=SAFE_EDGE)

    def caption(self, en: str, zh: str, *, wait: bool = True, key: str | None = None) -> Text:
        """Speak a line and show it as the bottom caption while it is spoken.

        The previous line is finished first (the scene waits for its end) and its caption fades out before
        this one fades in: captions never overlap. ``wait=True`` holds the scene until the line is spoken,
        then takes the caption away (the line describes what is on screen); ``wait=False`` lets the
        following animations play under it (place it before the animations it describes): the caption goes
        when the line ends, and the next line, section or the scene's end waits for it.
        """
        self.finish_line()
        text = self.tr(en, zh)
        number = len(self.narration) + 1
        speech: Speech = speak(text, self.language, self.voice, scene_id=self.scene_id, number=number)
        # No ∂ in captions: the CJK font draws it wide ("∂ L/∂ Z"); partial derivatives go in MathTex on screen.
        room = config.frame_width * (1 - 2 * SAFE_MARGIN) - 0.1
        new = cached_text(text, font=FONT, font_size=26, color=self.theme.text)
        if new.width > room:  # two lines rather than smaller letters
            new = cached_text(two_lines(text), font=FONT, font_size=26, color=self.theme.text, line_spacing=0.8)
        if new.width > room:
            new.scale_to_fit_width(room)
        new.to_edge(DOWN, buff=SAFE_EDGE)
        start = self.time
        if speech.audio is not None:
            self.add_sound(str(speech.audio))
        self.add_subcaption(text, duration=speech.seconds)  # Manim's own .srt beside a plain render's video
        self.narration.append({"line": number, "key": key, "start": round(start, 3),
                               "end": round(start + speech.seconds, 3), "text": text,
                               "voice": "silent" if speech.audio is None else self.voice.kind})
        self._speech_end = start + speech.seconds
        self._caption = new
        self._settle(FadeIn(new))
        if wait:
            self.finish_line()
        return new

    @property
    def script(self) -> Script:
        """The scene's words (``scenes/scripts/<id>.yaml``, :mod:`cnnviz.script`)."""
        script = load_script(self.scene_id)
        if script is None:
            raise FileNotFoundError(f"scene {self.scene_id!r} has no script scenes/scripts/{self.scene_id}.yaml")
        return script

    def say(self, key: str, *, wait: bool = True, **values: Any) -> Text:
        """Speak the script's line ``key`` (its ``{fields}`` filled from ``values``, numbers the scene read from
        its values) as :meth:`caption` does; the line's key goes into the JSON's narration."""
        line = self.script[key]
        new = self.caption(line.text("en", **values), line.text("zh", **values), wait=wait, key=key)
        return new

    def tell(self, key: str, *, wait: bool = True, **values: Any) -> Text:
        """:meth:`say` given more fields than line ``key`` has: those it has are filled, the others left (a
        scene that picks one of several lines, whose fields differ, offers them all)."""
        fields = self.script[key].fields
        return self.say(key, wait=wait, **{k: v for k, v in values.items() if k in fields})

    def finish_line(self) -> None:
        """Wait until the line being spoken has ended, then fade its caption out (nothing if none)."""
        if self._caption is None:
            return
        rest = self._speech_end - self.time
        if rest > 1e-6:
            self._settling = True
            try:
                super().wait(rest)
            finally:
                self._settling = False
        self._settle(FadeOut(self._caption))
        self._caption = None

    def _settle(self, animation: Any) -> None:
        self._settling = True
        try:
            self.play(animation, run_time=self.caption_fade)
        finally:
            self._settling = False

    def _retire_spoken(self) -> None:
        """Before an animation: a caption whose line has ended goes first (it is on screen only while spoken)."""
        if not self._settling and self._caption is not None and self.time >= self._speech_end - 1e-6:
            self.finish_line()

    def ask(self, key: str, target: Any, *, pause: float = 2.0, **values: Any) -> None:
        """A prediction step: ask the class what comes next before showing it.

        ``target`` (the output cell about to be filled, say) is marked with a "?", the script's line ``key``
        (the question) is spoken and stays on screen for ``pause`` seconds after it ends; the step ends there
        (a section of its own, ``predict N``), so the slide deck holds on the question until the next key
        press. The following section, ``answer N``, begins by taking the question and the mark away; the
        scene then plays the answer. Each question goes into the JSON's ``predictions``.

        Parameters
        ----------
        key
            The script line that asks (``scenes/scripts/<id>.yaml``); ``values`` fill its fields.
        target
            The mobject the question is about; the "?" is drawn on it, sized to it.
        pause
            Seconds the question stays after it is spoken, in the video (the deck waits for a key).
        """
        number = len(self.predictions) + 1
        self.next_section(f"predict {number}")
        mark = cached_text("?", font=FONT, font_size=40, color=self.theme.highlight, weight="BOLD")
        room = min(target.width, target.height) * 0.8
        if mark.height > room > 0:
            mark.scale_to_fit_height(room)
        mark.move_to(target)
        self.play(FadeIn(mark, scale=1.3), run_time=0.4)
        start = self.time
        question = self.say(key, wait=False, **values)
        rest = self._speech_end - self.time
        if rest > 1e-6:
            super().wait(rest)
        # the question outlives its line: not a caption any more, so nothing fades it before the step ends
        self._caption = None
        super().wait(pause)
        self.predictions.append({"key": key, "section": f"predict {number}", "start": round(start, 3),
                                 "text": self.narration[-1]["text"]})
        self.next_section(f"answer {number}")
        self.play(FadeOut(question), FadeOut(mark), run_time=0.3)

    def ask_about_step(self, window: Any, n: int, step: Any, key: str, *, clear: bool = True, taps: bool = False,
                       **values: Any) -> None:
        """A prediction step on a sliding window (:meth:`ask`): step ``n``'s window outlined on the input
        (``taps``: each cell it reads, for a kernel with holes), the last step's working taken away first
        (``clear``: the question stands on the next window alone), the question ``key`` asked about the step's
        output cell, then ``step`` (the window's animation of step ``n``) played as the outline goes. The scene
        says the answer once it is on screen."""
        ahead = window.outline(n, taps=taps)
        self.play(FadeIn(ahead), *([conceal(window.transients)] if clear else []), run_time=0.4)
        self.ask(key, window.output.cell(*window.view.steps[n].out_pos), **values)
        self.play(step, FadeOut(ahead, run_time=0.4))

    def next_section(self, *args: Any, **kwargs: Any) -> None:
        # a section (a step of the slide deck) holds its lines whole
        if hasattr(self, "narration"):
            self.layout_check()  # the section's last frame, before its caption goes
            self.finish_line()
        super().next_section(*args, **kwargs)

    def layout_check(self) -> None:
        """Record what breaks the layout rules in the frame on screen now: a mobject within
        :data:`SAFE_MARGIN` of an edge, a text or formula glyph under :data:`MIN_GLYPH_PX` tall at 480 lines
        (a formula's bars, signs and dots, wider than twice their height or under half its tallest glyph that is
        not a big operator, and texts of signs alone, are not glyphs that must be read: :func:`formula_glyph_px`).
        Each problem is recorded once, with the first time it was seen."""
        from manim import SingleStringMathTex

        fw, fh = config.frame_width, config.frame_height
        x_in, y_in = fw / 2 * (1 - 2 * SAFE_MARGIN) + 1e-3, fh / 2 * (1 - 2 * SAFE_MARGIN) + 1e-3
        px = 480 / fh
        seen = {(p["kind"], p["what"]) for p in self.layout_problems}

        def note(kind: str, what: str, **detail: Any) -> None:
            if (kind, what) not in seen and len(self.layout_problems) < 200:
                seen.add((kind, what))
                self.layout_problems.append({"kind": kind, "what": what, "t": round(self.time, 2), **detail})

        for text, pad in crowded_numbers(self.mobjects, px):
            note("number crowds its cell", text, px=round(pad, 1))
        for mob in self.mobjects:
            extent = frame_extent(mob)
            if extent is None or getattr(mob, "fill_opacity", 1) == 0 and getattr(mob, "stroke_opacity", 1) == 0:
                continue
            x0, y0, x1, y1 = extent
            if x0 < -x_in or x1 > x_in or y0 < -y_in or y1 > y_in:
                note("outside safe area", _describe(mob), extent=[round(v, 2) for v in extent])
            for part in mob.get_family():
                if isinstance(part, Text) and part.submobjects and any(ch.isalnum() for ch in part.text):
                    tallest = max(g.height for g in part.submobjects) * px
                    if 0 < tallest < MIN_GLYPH_PX - _ANTIALIAS_PX:
                        note("small text", part.text[:40], px=round(tallest, 1))
                elif isinstance(part, SingleStringMathTex) and part.submobjects:
                    smallest = formula_glyph_px(part)
                    if smallest is not None and smallest < MIN_GLYPH_PX - _ANTIALIAS_PX:
                        note("small formula glyph", part.tex_string[:40], px=round(smallest, 1))

    def wait(self, *args: Any, **kwargs: Any) -> None:
        self._retire_spoken()
        super().wait(*args, **kwargs)

    # ----------------------------------------------------------------- flow
    def construct(self) -> None:
        place = self.lecture.place(self.scene_id)
        if place["agenda"]:
            self.next_section("agenda")
            self.agenda(place["title"], place["agenda"])
        self.next_section("title")
        heading = self.title()
        self.play(Write(heading), run_time=0.8)
        self.heading = heading
        self.play_scene()
        self.layout_check()
        self.finish_line()
        script = load_script(self.scene_id)
        if script is not None and "recap" in script.lines:
            self.next_section("recap")
            self.say("recap")
        if place["next"] is not None:
            self.next_section("next")
            self.next_card(place["next"])
        self.wait(1.0)

    def agenda(self, title: str, scene_ids: Sequence[str]) -> None:
        """The lecture's opening: its title and its chapters, numbered, in one or two columns."""
        t = self.theme
        head = cached_text(title, font=FONT, font_size=44, color=t.text, weight="BOLD")
        items = [cached_text(f"{n}. {scene_spec(i).title(self.language)}", font=FONT, font_size=26, color=t.text)
                 for n, i in enumerate(scene_ids, 1)]
        half = (len(items) + 1) // 2 if len(items) > 8 else len(items)
        step = max(i.height for i in items) + 0.2  # one row height for both columns: their lines level
        columns = VGroup()
        for part in (items[:half], items[half:]):
            if part:
                for row, item in enumerate(part):
                    item.move_to(ORIGIN, aligned_edge=UL).shift(DOWN * row * step)
                columns.add(VGroup(*part))
        columns.arrange(RIGHT, buff=0.5, aligned_edge=UP)
        page = VGroup(head, columns).arrange(DOWN, buff=0.5)
        room_w, room_h = config.frame_width * 0.9, config.frame_height * 0.9 - 1.0  # the caption band below
        if page.width > room_w or page.height > room_h:
            page.scale(min(room_w / page.width, room_h / page.height))
        page.move_to(UP * 0.45)
        self.play(Write(head), run_time=0.8)
        self.play(*(FadeIn(c) for c in columns), run_time=0.8)
        self.caption(f"{title}: {len(items)} chapters.", f"{title}：共 {len(items)} 章。")
        self.play(FadeOut(page), run_time=0.5)

    def next_card(self, scene_id: str) -> None:
        """The transition to the next chapter: the screen clears to its title."""
        t = self.theme
        word = cached_text(self.tr("Next", "下一章"), font=FONT, font_size=28, color=t.muted)
        name = cached_text(scene_spec(scene_id).title(self.language), font=FONT, font_size=40, color=t.text)
        card = VGroup(word, name).arrange(DOWN, buff=0.3)
        if card.width > config.frame_width * 0.9:
            card.scale_to_fit_width(config.frame_width * 0.9)
        self.play(*(FadeOut(m) for m in self.mobjects), run_time=0.6)
        self.play(FadeIn(card), run_time=0.6)
        self.wait(1.2)
        if self.voice.kind != "none":
            # a narrated clip's sound lasts as long as its video (silence where no line is spoken, even with no
            # recorded line at all): the joined lecture's narration then has no gaps between clips
            from pydub import AudioSegment

            self.renderer.file_writer.add_audio_segment(AudioSegment.silent(duration=math.ceil(self.time * 1000)),
                                                        time=0)

    def play_scene(self) -> None:  # pragma: no cover - every scene overrides it
        raise NotImplementedError

    # The speed-ups' hooks in a scene's play loop (scenes.speedups); each is Manim's own where they are off.
    def play(self, *args: Any, **kwargs: Any) -> None:
        self._retire_spoken()
        start = self.renderer.time
        try:
            super().play(*args, **kwargs)
        finally:
            if self.fast:
                forget_display_lists(self.camera)
        frames = self._frames_of_last_play()
        if self.renderer.skip_animations:
            self._advance_as_drawn(start, frames)
        self.plays.append({"frames": frames, **self._section_now()})
        self._check_frame()

    def _frames_of_last_play(self) -> int:
        """How many frames the play just made draws (or would have drawn, had it not been skipped)."""
        duration = self.duration
        if self.is_current_animation_frozen_frame():  # Manim's freeze_current_frame
            return int(duration / (1 / self.camera.frame_rate))
        return len(np.arange(0, duration, 1 / config["frame_rate"]))  # Manim's get_time_progression

    def _advance_as_drawn(self, start: float, frames: int) -> None:
        """Set the clock as drawing the skipped play would have. Manim adds a skipped play's run time but a
        drawn one's frames (0.5 s at 15 fps draws 8 frames: 0.533 s), so after ``-n`` (a render in chunks)
        captions, waits and sounds would start at other times than in the whole scene; with the same clock
        every chunk draws the frames the whole render draws."""
        dt = 1 / self.camera.frame_rate
        if self.is_current_animation_frozen_frame():
            self.renderer.time = start + frames * dt  # one add_frame(num_frames=frames)
            return
        time = start
        for _ in range(frames):  # one add_frame per frame, added one by one as Manim does
            time += dt
        self.renderer.time = time

    def _section_now(self) -> dict[str, Any]:
        section = self.renderer.file_writer.sections[-1]
        return {"section": section.video, "name": section.name, "type": section.type_}

    def add_sound(self, sound_file: str, time_offset: float = 0, gain: float | None = None, **kwargs: Any) -> None:
        if self.env.plan is not None:  # the whole narration, also under the animations a plan render skips
            self.renderer.file_writer.add_sound(sound_file, self.time + time_offset, gain, **kwargs)
            return
        super().add_sound(sound_file, time_offset, gain, **kwargs)
        self._stream_sound(self.time + time_offset)

    def _stream_sound(self, upto: float) -> None:
        """Hand the narration's encoder (:class:`cnnviz.sound.NarrationEncoder`) the mix's samples before ``upto``
        seconds, the start of the line just added: a line is added at the scene's time, so no later one changes
        them (tear_down checks that they are still the mix's, else the finished WAV is encoded as before). The
        encoding, 0.6 s for multichannel's two minutes at the end of a render, then runs on the other core while
        the scene draws."""
        stream = getattr(self, "_sound_stream", False)
        if stream is False:
            return
        if stream is None and (self.env.plan is not None or self._partial_render() or not self._sound_our_own()):
            self._sound_stream = False  # a chunk (-n) skips the sounds before its frames: the writer has no mix yet
            return
        mix = getattr(self.renderer.file_writer, "audio_segment", None)
        if mix is None:  # Manim adds no sound while it skips animations
            return
        if stream is None:
            stream = self._sound_stream = NarrationEncoder(self._narration_path().with_suffix(".aac"),
                                                           rate=mix.frame_rate, channels=mix.channels,
                                                           sample_width=mix.sample_width)
        if stream.format != (mix.frame_rate, mix.channels, mix.sample_width):  # resampled by a later line's rate
            stream.abandon()
            self._sound_stream = False
            return
        end = mix._parse_position(min(int(1000 * upto), len(mix))) * mix.frame_width
        if end > stream.fed:
            stream.feed(mix.raw_data[stream.fed:end])

    def _end_sound_stream(self) -> None:
        """The mix is final: give the encoder the rest, if what it has is still the mix's start (else stop it)."""
        stream = getattr(self, "_sound_stream", None)
        if not isinstance(stream, NarrationEncoder):
            return
        mix = self.renderer.file_writer.audio_segment
        data = mix.raw_data
        if (stream.format == (mix.frame_rate, mix.channels, mix.sample_width)
                and hashlib.blake2b(data[:stream.fed]).digest() == stream.digest()):
            stream.feed(data[stream.fed:])
        else:
            stream.abandon()
            self._sound_stream = False

    def _narration_path(self) -> Path:
        """Where the scene's mix is written for the encoding (``narration.wav`` beside the JSON or the video)."""
        return (self.env.json_dir or Path(self.renderer.file_writer.movie_file_path).parent) / "narration.wav"

    def get_moving_and_static_mobjects(self, animations: Any) -> tuple[list[Any], list[Any]]:
        if self.fast:
            raise_moving(self.mobjects, list(animations))  # draws fewer mobjects per frame; same pixels
        return super().get_moving_and_static_mobjects(animations)

    def begin_animations(self) -> None:
        if not self.fast:
            super().begin_animations()
            return
        # with no updater in play nothing but the animations changes a mobject between frames, so Manim's
        # per-frame walks (updaters, flattening families, per-glyph interpolation) can be skipped or fused
        self._updaters_in_play = updaters_in_play(self)
        if not self._updaters_in_play:
            allow_fused_interpolation(self.animations)
        super().begin_animations()
        keep_display_lists(self.camera, self.animations, updaters=self._updaters_in_play)

    def update_to_time(self, t: float) -> None:
        if not self.fast or getattr(self, "_updaters_in_play", True):
            super().update_to_time(t)
            return
        # Manim's update_to_time, less the update() calls on every family member, which have nothing to run
        self.last_t = t
        for animation in self.animations:
            animation.interpolate(t / animation.run_time)

    def _check_frame(self) -> None:
        """Record any mobject that leaves the frame (checked by the tests on sampled frames)."""
        half_w, half_h = config.frame_width / 2 + 1e-3, config.frame_height / 2 + 1e-3
        for mob in self.mobjects:
            extent = frame_extent(mob)  # get_corner(LEFT + DOWN), get_corner(RIGHT + UP), faster
            if extent is None:
                continue
            x0, y0, x1, y1 = extent
            if x0 < -half_w or x1 > half_w or y0 < -half_h or y1 > half_h:
                self.out_of_frame.append(f"{type(mob).__name__} at t={self.time:.2f}s spans "
                                         f"x [{x0:.2f}, {x1:.2f}], y [{y0:.2f}, {y1:.2f}]")

    def tear_down(self) -> None:
        if self.fast:
            stop_building_ahead()
        stop_speaking_ahead()
        doc = scene_json(self.scene_id, self.params, self.values)
        doc["language"], doc["theme"] = self.language, self.lecture.theme
        # the formulas for readers; everything typeset for cnnviz/assets/typeset-ahead.json (scenes/speedups/ahead.py)
        doc["formulas"], doc["typeset"] = formulas_built(), typeset_built()
        doc["out_of_frame"] = self.out_of_frame
        doc["layout"] = self.layout_problems  # layout_check: outside the safe area, glyphs too small to read
        doc["narration"] = self.narration  # the spoken lines: the pipeline writes <id>.srt/.vtt from them
        doc["predictions"] = self.predictions  # the questions asked before an answer is shown (ask)
        self._write_json(doc)
        writer = self.renderer.file_writer
        if self.env.json_dir is not None and writer.includes_sound:
            self._write_narration(self.env.json_dir / "narration.wav")
        if writer.includes_sound and self.env.plan is None and self._sound_our_own():
            # the sound encoded once, our way (cnnviz.sound), not first as Manim's stereo AAC (2.4 s a minute of
            # narration at -ql, then replaced): Manim writes the video alone; render() adds the track
            wav = self._narration_path()
            if self.env.json_dir is None:  # else written just above
                self._write_narration(wav)
            writer.includes_sound = False
            self._narration_wav = None if self._partial_render() else wav  # a chunk's sound is the plan's
            self._end_sound_stream()
        if self.env.plan is not None:
            self._write_plan(self.env.plan)
            # a plan render ends here: it drew nothing, and Manim would go on to combine sections of no frames
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    def _sound_our_own(self) -> bool:
        """Whether :mod:`cnnviz.sound` encodes this render's sound: an MP4 movie (WebM, GIF and MOV keep Manim's
        own handling)."""
        spec = getattr(self.renderer.file_writer, "output_spec", None)
        return spec is not None and spec.format.value == "mp4" and not spec.transparent

    def _partial_render(self) -> bool:
        """A render of some of the scene's animations (Manim's ``-n``: a chunk, :mod:`cnnviz.chunks`)."""
        return config.from_animation_number > 0 or math.isfinite(config.upto_animation_number)

    def _write_narration(self, wav: Path) -> None:
        """The scene's whole sound track as Manim mixed it (``combine_to_movie``'s steps), for the pipeline to encode
        the same way every time (:mod:`cnnviz.sound`; Manim's stereo AAC differs from run to run)."""
        from pydub import AudioSegment

        writer = self.renderer.file_writer
        writer.add_audio_segment(AudioSegment.silent(0))  # as combine_to_movie: the track's length settled
        writer.audio_segment.export(wav, format="wav", bitrate="312k")

    def _write_plan(self, folder: Path) -> None:
        """For a render in chunks (:mod:`cnnviz.chunks`): ``plan.json``, each play's frames and section, and the
        frame rate (the narration is ``narration.wav`` beside the JSON, :meth:`_write_narration`)."""
        folder.mkdir(parents=True, exist_ok=True)
        plan = {"scene": self.scene_id, "frame_rate": self.camera.frame_rate, "plays": self.plays}
        atomic_write(folder / "plan.json", lambda f: f.write(json.dumps(plan, indent=1).encode("utf-8")))

    def _write_json(self, doc: dict[str, Any]) -> None:
        """Atomically write ``<id>.json`` beside the video (or into ``$CNNVIZ_JSON_DIR``)."""
        target_dir = str(self.env.json_dir) if self.env.json_dir else None
        if not target_dir:
            movie = getattr(self.renderer.file_writer, "movie_file_path", None)
            target_dir = str(Path(movie).parent) if movie else str(Path(config.media_dir))
        text = json.dumps(doc, indent=1, ensure_ascii=False)
        atomic_write(Path(target_dir) / f"{self.scene_id}.json", lambda f: f.write(text.encode("utf-8")))


def two_lines(text: str) -> str:
    """``text`` broken into two lines near its middle: after a punctuation mark where there is one close to
    it (Chinese too), else at the space nearest to it."""
    mid = len(text) / 2
    marks = [i + 1 for i, ch in enumerate(text[:-1]) if ch in "，；：。,;:" and abs(i + 1 - mid) < len(text) / 4]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(marks or spaces or [round(mid)], key=lambda i: abs(i - mid))
    return text[:cut].rstrip() + "\n" + text[cut:].lstrip()


def crowded_numbers(mobjects: Sequence[Any], px_per_unit: float,
                    min_pad_px: float = MIN_CELL_PAD_PX) -> list[tuple[str, float]]:
    """The numbers among ``mobjects`` drawn in a cell or a window (a visible rectangle's outline around a
    number's centre, taller than the number) with less than ``min_pad_px`` pixels between their ink and the
    inner edge of an outline on some side: ``(text, pixels)``, the tightest of each, sorted by text."""
    family = [p for m in mobjects for p in m.get_family()]
    cells = [p for p in family if isinstance(p, Rectangle) and p.get_stroke_opacity() > 0 and p.get_stroke_width() > 0]
    numbers = [p for p in family if isinstance(p, Text) and p.submobjects and _NUMBER.fullmatch(p.text)
               and max(g.get_fill_opacity() for g in p.submobjects) > 0]  # faded out: its glyphs' opacity 0
    if not cells or not numbers:
        return []
    boxes = np.array([frame_extent(c) or (0, 0, 0, 0) for c in cells])
    inset = np.array([c.get_stroke_width() * 0.01 / 2 for c in cells])  # half a border lies inside the cell
    found: dict[str, float] = {}
    for n in numbers:
        extent = frame_extent(n)
        if extent is None:
            continue
        x0, y0, x1, y1 = extent
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        around = np.flatnonzero((boxes[:, 0] < cx) & (cx < boxes[:, 2]) & (boxes[:, 1] < cy) & (cy < boxes[:, 3])
                                & (boxes[:, 3] - boxes[:, 1] > y1 - y0))
        if not len(around):
            continue
        b = boxes[around]
        pad = float(np.min(np.minimum.reduce([x0 - b[:, 0], b[:, 2] - x1, y0 - b[:, 1], b[:, 3] - y1])
                           - inset[around])) * px_per_unit
        if pad < min_pad_px:
            found[n.text] = min(pad, found.get(n.text, pad))
    return sorted(found.items())


def _describe(mob: Any) -> str:
    """A mobject in words, for a layout problem: its type and the first text inside it."""
    texts = [m.text for m in mob.get_family() if isinstance(m, Text)]
    return f"{type(mob).__name__}" + (f" {texts[0][:30]!r}" if texts else "")


def row_of(*mobjects: Any, buff: float = 0.4) -> VGroup:
    """Mobjects side by side, centred vertically."""
    return VGroup(*mobjects).arrange(RIGHT, buff=buff)


def stack_of(mobjects: Sequence[Any], buff: float = 0.25) -> VGroup:
    return VGroup(*mobjects).arrange(DOWN, buff=buff)


# ----------------------------------------------------------------- helpers appended for the group-A scenes
def indexed(base: str, index: str, theme: Theme, *, color: str | None = None, font_size: float = 28) -> VGroup:
    """``base`` with a subscript ``index`` (x₁, a₃, w₂) in plain Text: no LaTeX run per index."""
    from manim import ITALIC

    b = cached_text(base, font=FONT, font_size=font_size, color=color or theme.text, slant=ITALIC)
    i = cached_text(index, font=FONT, font_size=font_size * 0.62, color=color or theme.text)
    i.next_to(b, RIGHT, buff=0.03).align_to(b, DOWN).shift(DOWN * font_size * 0.0035)
    return VGroup(b, i)


def text_table(rows: Sequence[Sequence[str]], theme: Theme, *, font_size: float = 24,
               colors: Sequence[str | None] | None = None, col_buff: float = 0.45, row_buff: float = 0.2,
               header: bool = True) -> VGroup:
    """A small table of Text (header row and first column in the lecture font, numbers in MONO, right-aligned).

    ``colors`` gives one colour per column (``None``: the text colour). The header row, when there is
    one, is muted and underlined. ``table.entries[i][j]`` is the cell text of row ``i``, column ``j``.
    """
    from manim import Line

    n_cols = max(len(r) for r in rows)
    colors = list(colors) if colors is not None else [None] * n_cols
    entries = [[cached_text(s, font=FONT if j == 0 or (header and i == 0) else MONO, font_size=font_size,
                            color=theme.muted if header and i == 0 else (colors[j] or theme.text))
                for j, s in enumerate(r)] for i, r in enumerate(rows)]
    widths = [max(r[j].width for r in entries if j < len(r)) for j in range(n_cols)]
    height = max(t.height for r in entries for t in r)
    cap = cached_text("0", font=MONO, font_size=font_size).height  # digits and capitals share this top
    x, xs = 0.0, []
    for w in widths:
        xs.append(x)
        x += w + col_buff
    table = VGroup()
    for i, r in enumerate(entries):
        y = -i * (height + row_buff) - (row_buff * 0.6 if header and i > 0 else 0.0)
        for j, t in enumerate(r):
            left = xs[j] if j == 0 else xs[j] + widths[j] - t.width
            t.move_to([left + t.width / 2, 0, 0]).shift(UP * (y + cap / 2 - t.get_top()[1]))  # tops level
            table.add(t)
    if header:
        y = -(height + row_buff) / 2 - row_buff * 0.3
        table.add(Line([-0.1, y, 0], [x - col_buff + 0.1, y, 0], color=theme.muted, stroke_width=1.5))
    table.entries = entries
    return table.center()
