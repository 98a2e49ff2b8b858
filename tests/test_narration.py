"""Narration: voices, line lengths, the recordings folder, and a scene re-timed to a teacher's recordings."""

from __future__ import annotations

import json
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest

from cnnviz import narration
from cnnviz.narration import Voice, VoiceError, parse_voice, reading_seconds, speak

ROOT = Path(__file__).resolve().parents[1]
HAS_ESPEAK = shutil.which("espeak-ng") is not None


def tone(path: Path, seconds: float, rate: int = 22050, hz: float = 440.0) -> None:
    """A sine tone standing in for a teacher's recorded line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * n / rate)))
                      for n in range(round(seconds * rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


def test_parse_voice_takes_the_three_kinds_and_names_what_is_allowed(tmp_path):
    assert parse_voice(None) == parse_voice("espeak") == Voice("espeak")
    assert parse_voice("none") == Voice("none")
    assert parse_voice(tmp_path) == Voice("recordings", tmp_path.resolve())
    with pytest.raises(VoiceError, match="no such folder; allowed: espeak .* none .* recordings"):
        parse_voice(tmp_path / "missing")


def test_reading_time_grows_with_words_and_characters():
    assert reading_seconds("one two three four") == pytest.approx(1.0 + 4 * 0.35)
    assert reading_seconds("卷积核在输入上滑动") == pytest.approx(1.0 + 9 * 0.25)
    assert reading_seconds("3×3 卷积核") == pytest.approx(1.0 + 3 * 0.25 + 2 * 0.35)
    assert reading_seconds("word " * 10_000) == narration.MAX_LINE_SECONDS


def test_silent_voice_times_lines_by_reading_speed():
    speech = speak("Each output is a sum of products.", "en", Voice("none"), scene_id="conv2d", number=1)
    assert speech.audio is None and speech.seconds == reading_seconds("Each output is a sum of products.")


def test_recordings_are_found_by_scene_and_line_and_timed_by_their_length(tmp_path):
    tone(tmp_path / "conv2d" / "002.wav", 1.5)
    voice = parse_voice(tmp_path)
    got = speak("second line", "en", voice, scene_id="conv2d", number=2)
    assert got.audio == tmp_path / "conv2d" / "002.wav" and got.seconds == pytest.approx(1.5, abs=1e-3)
    missing = speak("first line here", "en", voice, scene_id="conv2d", number=1)
    assert missing.audio is None and missing.seconds == reading_seconds("first line here")


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed")
@pytest.mark.parametrize("language, text", [("en", "The kernel slides over the input."), ("zh", "卷积核在输入上滑动")])
def test_espeak_speaks_both_languages_reproducibly(language, text, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = speak(text, language, Voice("espeak"), scene_id="x", number=1)
    assert first.audio is not None and first.audio.is_relative_to(tmp_path) and 0.5 < first.seconds < 15
    data = first.audio.read_bytes()
    first.audio.unlink()
    again = speak(text, language, Voice("espeak"), scene_id="x", number=1)
    assert again.audio.read_bytes() == data, "the same line must give the same bytes (reproducible clips)"
    with wave.open(str(again.audio)) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(first.seconds, abs=1e-3)


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed")
def test_lines_spoken_ahead_are_the_lines_speak_gives_and_are_not_made_twice(tmp_path, monkeypatch):
    lines = [f"Line {i}: the kernel slides one step to the right." for i in range(4)]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "direct"))
    direct = [speak(t, "en", Voice("espeak"), scene_id="x", number=i + 1).audio.read_bytes() for i, t in enumerate(lines)]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "ahead"))
    made = []
    real = narration._make_espeak
    monkeypatch.setattr(narration, "_make_espeak", lambda *a: (made.append(a[0]), real(*a))[1])
    try:
        assert narration.speak_ahead(lines + lines[:1], "en") == 4  # a line listed twice is spoken once
        ahead = [speak(t, "en", Voice("espeak"), scene_id="x", number=i + 1) for i, t in enumerate(lines)]
    finally:
        narration.stop_speaking_ahead()
    assert [s.audio.read_bytes() for s in ahead] == direct
    assert sorted(made) == sorted(lines)  # speak() waited for the thread's file instead of making it again
    assert narration.speak_ahead(lines, "en") == 0  # all in the cache: nothing to do
    assert not list((tmp_path / "ahead").rglob("*.tmp"))


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng not installed")
def test_stopping_the_lines_spoken_ahead_leaves_only_whole_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    narration.speak_ahead([f"Caption {i}: the error flows back, layer by layer." for i in range(40)], "en")
    narration.stop_speaking_ahead()
    made = list((tmp_path / "cnnviz" / "voice").glob("*")) if (tmp_path / "cnnviz" / "voice").exists() else []
    assert len(made) < 40 and all(p.suffix == ".wav" and p.stat().st_size > 44 for p in made)
    later = speak("Caption 39: the error flows back, layer by layer.", "en", Voice("espeak"), scene_id="x", number=1)
    assert later.audio.is_file()  # a line dropped from the queue is made when it is spoken


def test_a_missing_espeak_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setattr(narration.shutil, "which", lambda name: None)
    with pytest.raises(VoiceError, match="apt-get install espeak-ng.*--voice none"):
        narration.check_voice(Voice("espeak"))
    narration.check_voice(Voice("none"))  # needs nothing


@pytest.mark.slow
def test_a_scene_re_times_itself_to_recordings(tmp_path):
    """Generated tones stand in for a teacher's voice: each line lasts its file, the clip grows with them,
    and the subtitles follow the files."""
    from tests.test_scenes import manim_tiny

    from cnnviz.registry import scene_spec

    from cnnviz.script import load_script

    info = scene_spec("conv2d")
    count = len(load_script("conv2d").lines)  # every line of the script is said once
    runs = {}
    for name, seconds in (("short", 1.0), ("long", 3.0)):
        folder = tmp_path / name / "voice"
        for n in range(1, count + 1):
            tone(folder / "conv2d" / f"{n:03d}.wav", seconds + n / 10)
        work = tmp_path / name
        done = manim_tiny(ROOT / info.path, info.cls, work, CNNVIZ_VOICE=str(folder))
        assert done.returncode == 0, done.stderr[-3000:]
        clip = next((work / "media").rglob(f"{info.cls}.mp4"))
        doc = json.loads((clip.parent / "conv2d.json").read_text(encoding="utf-8"))
        runs[name] = (clip, doc)
        lines = doc["narration"]
        assert [ln["line"] for ln in lines] == list(range(1, count + 1))
        for ln in lines:
            assert ln["end"] - ln["start"] == pytest.approx(seconds + ln["line"] / 10, abs=2e-3)
            assert ln["voice"] == "recordings"
        assert all(a["end"] <= b["start"] for a, b in zip(lines, lines[1:])), "lines never overlap"
    import av

    def seconds_of(clip):
        with av.open(str(clip)) as c:
            s = c.streams.video[0]
            return float(s.duration * s.time_base)

    # every line 2 s longer: the clip grows by up to 2 s a line (less where animations under a line already
    # outlast it; they do not shrink), and by most of it, since most lines hold the scene until they end
    grown = seconds_of(runs["long"][0]) - seconds_of(runs["short"][0])
    assert 0.5 * 2.0 * count <= grown <= 2.0 * count + 1.5, (grown, count)


@pytest.mark.parametrize("how", ["flag", "shell"])
def test_render_refuses_a_voice_folder_that_is_not_there_before_any_work(how, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cnnviz.cli import cli

    missing = str(tmp_path / "my-recordings")
    args = ["render", "conv2d", "--out", str(tmp_path / "out")]
    if how == "flag":
        args += ["--voice", missing]
    else:
        monkeypatch.setenv("CNNVIZ_VOICE", missing)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert missing in res.output and "allowed: espeak" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out" / "conv2d.mp4").exists()


def test_render_without_espeak_says_how_to_get_it(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cnnviz.cli import cli

    monkeypatch.setattr(narration.shutil, "which", lambda name: None)
    res = CliRunner().invoke(cli, ["render", "conv2d", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "espeak-ng is not installed" in res.output and "--voice none" in res.output
