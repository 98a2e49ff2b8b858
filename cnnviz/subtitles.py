"""Subtitles from a scene's narration: SubRip (``.srt``), WebVTT (``.vtt``) and a track in the MP4.

The scene records each spoken line with its start and end in ``<id>.json`` (``narration``); these
functions turn that list into files, byte for byte the same for the same lines, and remux a clip with a
``mov_text`` subtitle track (players show it; nothing is re-encoded).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["Cue", "ISO639_2", "add_subtitle_track", "cues_from_json", "mux_cues", "mux_subtitles", "shifted", "srt",
           "webvtt"]

#: the language tag of the MP4 subtitle track (ISO 639-2, as MP4 stores it)
ISO639_2 = {"en": "eng", "zh": "chi"}
#: mov_text's time base: milliseconds, as the cues are written
_TIME_BASE = Fraction(1, 1000)
#: the minimal ASS header FFmpeg's mov_text encoder needs to open (one default style; the cues carry no styling)
_ASS_HEADER = (b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
               b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
               b"Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
               b"Alignment, MarginL, MarginR, MarginV, Encoding\n"
               b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
               b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")


@dataclass(frozen=True)
class Cue:
    """One subtitle: seconds from the clip's start, and the text."""

    start: float
    end: float
    text: str


def cues_from_json(doc: dict[str, Any]) -> list[Cue]:
    """The cues of a scene's JSON (``narration``: a list of ``{start, end, text, ...}``), in order."""
    return [Cue(float(n["start"]), float(n["end"]), str(n["text"])) for n in doc.get("narration", [])]


def shifted(cues: Iterable[Cue], seconds: float) -> list[Cue]:
    """``cues`` moved later by ``seconds`` (a clip's start in the joined lecture)."""
    return [Cue(c.start + seconds, c.end + seconds, c.text) for c in cues]


def _ms(t: float) -> int:
    return max(0, round(t * 1000))


def _clock(t: float, sep: str) -> str:
    ms = _ms(t)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def _one_line(text: str) -> str:
    # a blank line ends a cue in both formats, and "-->" starts a timing line in WebVTT
    return " ".join(text.split()).replace("-->", "→")


def srt(cues: Sequence[Cue]) -> str:
    """SubRip text (numbered cues, ``HH:MM:SS,mmm``).

    Examples
    --------
    >>> print(srt([Cue(0.5, 2.25, "Each output is a sum of products.")]), end="")
    1
    00:00:00,500 --> 00:00:02,250
    Each output is a sum of products.
    """
    return "\n".join(f"{n}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{_one_line(c.text)}\n"
                     for n, c in enumerate(cues, 1))


def webvtt(cues: Sequence[Cue]) -> str:
    """WebVTT text (what HTML5 ``<track kind="subtitles">`` reads); ``&`` and ``<`` escaped (cue text is markup)."""
    def text(c: Cue) -> str:
        return _one_line(c.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    return "WEBVTT\n\n" + "\n".join(f"{n}\n{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{text(c)}\n"
                                    for n, c in enumerate(cues, 1))


def add_subtitle_track(out: Any, language: str) -> Any:
    """A ``mov_text`` stream in the open output container ``out``, tagged ``language``."""
    text = out.add_stream("mov_text")
    text.time_base = _TIME_BASE
    text.codec_context.time_base = _TIME_BASE
    text.codec_context.subtitle_header = _ASS_HEADER  # FFmpeg's encoder opens only with a style header
    text.metadata["language"] = ISO639_2.get(language, "und")
    return text


def mux_cues(out: Any, text: Any, cues: Sequence[Cue]) -> None:
    """Write ``cues`` as packets of the ``mov_text`` stream ``text`` of ``out`` (tx3g: 16-bit length, UTF-8)."""
    import av

    for cue in cues:
        body = _one_line(cue.text).encode("utf-8")
        packet = av.Packet(len(body).to_bytes(2, "big") + body)
        packet.stream = text
        packet.time_base = _TIME_BASE
        packet.pts = packet.dts = _ms(cue.start)
        packet.duration = max(1, _ms(cue.end) - _ms(cue.start))
        out.mux(packet)


def mux_subtitles(src: Path, cues: Sequence[Cue], language: str, dst: Path) -> None:
    """Copy ``src`` (an MP4: its video and audio packets, not re-encoded) to ``dst`` with ``cues`` as a
    ``mov_text`` subtitle track tagged ``language``. ``dst`` appears whole (temp file, then rename)."""
    import av

    tmp = dst.with_name(f".{dst.name}.subs.tmp.mp4")
    try:
        with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
            copies = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")}
            text = add_subtitle_track(out, language) if cues else None
            for packet in inp.demux(*[s for s in inp.streams if s.index in copies]):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
            if text is not None:
                mux_cues(out, text, cues)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
