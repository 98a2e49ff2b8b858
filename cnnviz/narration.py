"""Narration: the spoken line behind each caption — which voice speaks it, how long it lasts, its audio file.

No Manim here: :class:`scenes.common.LectureScene` asks :func:`speak` for each caption line and times the
scene by the answer (a line's segment lasts at least as long as the line); the pipeline turns the scene's
subtitles into ``<id>.srt``/``<id>.vtt`` and a track in the MP4 (:mod:`cnnviz.subtitles`).

Three voices (``--voice``):

``espeak`` (default)
    Offline text-to-speech with ``espeak-ng`` (a Debian package the set-up installs), English ``en-us`` and
    Mandarin ``cmn``. Its output is the same bytes for the same text, so clips stay reproducible; each line's
    WAV is kept in the cache folder (``~/.cache/cnnviz/voice``). A scene's first render can have its lines
    spoken ahead on a thread (:func:`speak_ahead`: espeak-ng then runs on the free core while the scene draws).
``none``
    Silent. Each line lasts its reading time (:func:`reading_seconds`).
a folder
    A teacher's own recordings: ``FOLDER/<scene id>/<line>.wav`` (also ``.mp3``, ``.ogg``, ``.flac``,
    ``.m4a``), lines numbered from ``001`` in the order the scene speaks them (a render with any voice
    numbers them the same in ``OUT/<id>.srt``). The scene re-times itself to each file's length; a line with
    no file is silent and lasts its reading time.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .paths import cache_dir

__all__ = ["ESPEAK_VOICES", "RECORDING_SUFFIXES", "Speech", "Voice", "VoiceError", "check_voice", "line_file", "parse_voice",
           "reading_seconds", "speak", "speak_ahead", "stop_speaking_ahead"]

#: espeak-ng's voice and speed (words per minute) per lecture language: a measured teaching pace
ESPEAK_VOICES = {"en": ("en-us", 160), "zh": ("cmn", 240)}
RECORDING_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac", ".m4a")
#: a line's reading time with no voice: about 170 English words or 240 Chinese characters a minute, half a
#: typical silent-reading speed (the eyes also follow the animation), plus a second to notice the new caption
SECONDS_PER_WORD, SECONDS_PER_HAN, NOTICE_SECONDS = 0.35, 0.25, 1.0
#: the longest line a scene may speak (a typo pasting a page into a caption must not make a 10-minute clip)
MAX_LINE_SECONDS = 60.0

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'’\-][A-Za-z0-9]+)*|[^\sA-Za-z0-9\u3400-\u9fff\uf900-\ufaff]{2,}")


class VoiceError(ValueError):
    """A voice that cannot be used here (e.g. espeak-ng missing, a recordings folder that is not one)."""


@dataclass(frozen=True)
class Voice:
    """Who speaks: ``kind`` is ``"espeak"``, ``"none"`` or ``"recordings"`` (then ``folder`` holds them)."""

    kind: str = "espeak"
    folder: Path | None = None

    def __str__(self) -> str:
        return str(self.folder) if self.kind == "recordings" else self.kind


@dataclass(frozen=True)
class Speech:
    """One spoken line: its audio file (``None``: silent) and how long it lasts, in seconds."""

    audio: Path | None
    seconds: float


def parse_voice(value: str | os.PathLike[str] | None) -> Voice:
    """``"espeak"``, ``"none"`` or a folder of recordings, as :class:`Voice`.

    Raises
    ------
    VoiceError
        A folder that does not exist (the message says what is allowed).
    """
    if value is None or str(value) in ("", "espeak"):
        return Voice("espeak")
    if str(value) == "none":
        return Voice("none")
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise VoiceError(f"--voice {value}: no such folder; allowed: espeak (offline text-to-speech), none "
                         f"(silent, reading-speed timing) or a folder of recordings FOLDER/<scene id>/001.wav …")
    return Voice("recordings", folder.resolve())


def check_voice(voice: Voice) -> None:
    """Refuse a voice that cannot speak on this machine, before any work (espeak-ng not installed)."""
    if voice.kind == "espeak" and shutil.which("espeak-ng") is None:
        raise VoiceError("--voice espeak: espeak-ng is not installed (the set-up installs it: "
                         "`sudo apt-get install espeak-ng`); or use --voice none (silent) or a folder of recordings")


def reading_seconds(text: str) -> float:
    """How long a line stays with no voice: 0.35 s per word and 0.25 s per Chinese character, plus a second.

    Examples
    --------
    >>> reading_seconds("Each output is a sum of products.")
    3.45
    >>> reading_seconds("卷积核在输入上滑动")
    3.25
    """
    han = len(_HAN.findall(text))
    words = len(_WORD.findall(_HAN.sub(" ", text)))
    return round(min(MAX_LINE_SECONDS, NOTICE_SECONDS + han * SECONDS_PER_HAN + words * SECONDS_PER_WORD), 3)


def line_file(folder: Path, scene_id: str, number: int) -> Path | None:
    """The recording of line ``number`` (1-based) of ``scene_id`` in ``folder``, or ``None``."""
    for suffix in RECORDING_SUFFIXES:
        path = folder / scene_id / f"{number:03d}{suffix}"
        if path.is_file():
            return path
    return None


def _audio_seconds(path: Path) -> float:
    """The length of an audio file: the WAV header, else its decoded stream (PyAV)."""
    try:
        with wave.open(str(path)) as w:
            return w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError):
        import av

        with av.open(str(path)) as c:
            s = c.streams.audio[0]
            if s.duration is not None:
                return float(s.duration * s.time_base)
            return float(c.duration or 0) / 1_000_000


@lru_cache(maxsize=1)
def _espeak_version() -> str:
    done = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=30)
    return done.stdout.split("Data at")[0].strip()


def _espeak_path(text: str, language: str) -> Path:
    """Where the WAV of ``text`` is kept (the key holds the text, voice, speed and espeak-ng's version)."""
    name, rate = ESPEAK_VOICES[language]
    key = hashlib.sha256(f"{_espeak_version()}|{name}|{rate}|{text}".encode()).hexdigest()[:24]
    return cache_dir() / "voice" / f"espeak-{name}-{key}.wav"


def _espeak(text: str, language: str) -> Path:
    """The WAV espeak-ng makes of ``text`` (made once; a line being spoken ahead is waited for, not made again)."""
    path = _espeak_path(text, language)
    with _ahead_lock:
        pending = _ahead.get(path)
    if pending is not None:
        try:
            pending.result()
        except Exception:  # noqa: BLE001 - made here instead, where its error reaches the scene
            pass
    if not path.is_file():
        _make_espeak(text, language, path)
    return path


def _make_espeak(text: str, language: str, path: Path) -> None:
    name, rate = ESPEAK_VOICES[language]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # the text on stdin: a line starting with "-" is never read as an option
        done = subprocess.run(["espeak-ng", "-v", name, "-s", str(rate), "-w", tmp], input=text.encode(),
                              capture_output=True, timeout=120)
        if done.returncode != 0 or os.path.getsize(tmp) < 44:
            raise VoiceError(f"espeak-ng failed on {text[:60]!r}: "
                             f"{done.stderr.decode(errors='replace')[-300:]}")
        os.replace(tmp, path)  # whole or not at all: parallel renders may make the same line
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


#: lines being spoken ahead (:func:`speak_ahead`), by the file each will be; one thread speaks them in order
_ahead: dict[Path, Future[None]] = {}
_ahead_lock = threading.Lock()
_ahead_pool: ThreadPoolExecutor | None = None


def speak_ahead(texts: list[str], language: str) -> int:
    """Have espeak-ng speak ``texts`` (in ``language``) on a thread, in order, into the cache :func:`speak` reads.

    A scene's first render on a machine spoke each line when it reached it: one espeak-ng process at a time,
    30–50 ms each, on the scene's own time. Given the lines it will speak (the reference render's, as its texts
    are typeset ahead), the processes run beside the scene instead, on the free core; :func:`speak` waits for a
    line still being made rather than making it twice, and makes any line not listed itself, as always. Lines
    already in the cache are skipped. Returns how many were started.
    """
    global _ahead_pool
    if language not in ESPEAK_VOICES or shutil.which("espeak-ng") is None:
        return 0
    todo = [(text, path) for text, path in ((t, _espeak_path(t, language)) for t in dict.fromkeys(texts))
            if not path.is_file()]
    if not todo:
        return 0
    with _ahead_lock:
        if _ahead_pool is None:
            _ahead_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnviz-speak-ahead")
        for text, path in todo:
            if path not in _ahead:
                _ahead[path] = _ahead_pool.submit(_make_espeak, text, language, path)
    return len(todo)


def stop_speaking_ahead() -> None:
    """Drop the lines not started yet and wait for the one being made (its file is whole or absent)."""
    global _ahead_pool
    with _ahead_lock:
        pool, _ahead_pool = _ahead_pool, None
        _ahead.clear()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def speak(text: str, language: str, voice: Voice, *, scene_id: str, number: int) -> Speech:
    """Line ``number`` (1-based, in speaking order) of ``scene_id``, spoken by ``voice``.

    Parameters
    ----------
    text
        The caption, in ``language``.
    language
        ``"en"`` or ``"zh"``.
    voice
        :func:`parse_voice`'s answer.
    scene_id, number
        Which line this is: a recordings folder names its files by them.

    Returns
    -------
    Speech
        The audio to play from the line's start (``None``: silent) and the line's length in seconds.
    """
    if voice.kind == "none":
        return Speech(None, reading_seconds(text))
    if voice.kind == "recordings":
        assert voice.folder is not None
        path = line_file(voice.folder, scene_id, number)
        if path is None:
            return Speech(None, reading_seconds(text))
        return Speech(path, round(min(MAX_LINE_SECONDS, _audio_seconds(path)), 3))
    path = _espeak(text, language)
    return Speech(path, round(min(MAX_LINE_SECONDS, _audio_seconds(path)), 3))
