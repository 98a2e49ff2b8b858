"""Join scene clips into one lecture video with chapters, narration and subtitles, without re-encoding.

Manim writes every clip of one quality with the same codec, size and frame rate, so the packets
can be copied one after another with shifted timestamps (a remux: seconds, not minutes); so are the
narration's audio packets. Chapters, one per clip, go into the MP4 and beside it as WebVTT
(``lecture.chapters.vtt``); the clips' subtitles, shifted to their clip's start, go into the MP4 as a
subtitle track and beside it as ``lecture.srt`` and ``lecture.vtt``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .subtitles import Cue, shifted, srt
from .subtitles import webvtt as subtitles_vtt

__all__ = ["Chapter", "clip_seconds", "join_clips", "webvtt"]


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float  # seconds
    end: float


def clip_seconds(path: str | os.PathLike[str]) -> float:
    """Duration of a clip's video stream in seconds (last frame's end)."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        end = 0
        for p in c.demux(s):
            if p.pts is not None:
                end = max(end, p.pts + (p.duration or 0))
        return float(end * s.time_base)


def webvtt(chapters: Sequence[Chapter]) -> str:
    """Chapters as a WebVTT file (what HTML5 ``<track kind="chapters">`` reads): one cue per chapter."""
    return subtitles_vtt([Cue(c.start, c.end, c.title) for c in chapters])


def join_clips(clips: Sequence[tuple[Path, str]], out_path: Path, *, cues: Sequence[Sequence[Cue]] | None = None,
               language: str = "en") -> list[Chapter]:
    """Concatenate ``(clip, chapter title)`` pairs into ``out_path`` (MP4 with chapters, the clips' audio
    when every clip has some) and ``out_path.with_suffix('.chapters.vtt')``. With ``cues`` (one list per
    clip, times from the clip's start) the subtitles go into the MP4 as a track tagged ``language`` and
    beside it as ``.srt`` and ``.vtt``. Every file appears atomically. Returns the chapters."""
    if not clips:
        raise ValueError("no clips to join")
    if cues is not None and len(cues) != len(clips):
        raise ValueError(f"{len(cues)} subtitle lists for {len(clips)} clips")
    tmp = out_path.with_name(f".{out_path.name}.tmp.mp4")
    texts = {out_path.with_suffix(".chapters.vtt"): ""}
    try:
        chapters, lecture_cues = _remux(clips, tmp, cues, language)
        texts[out_path.with_suffix(".chapters.vtt")] = webvtt(chapters)
        if cues is not None:
            texts[out_path.with_suffix(".srt")] = srt(lecture_cues)
            texts[out_path.with_suffix(".vtt")] = subtitles_vtt(lecture_cues)
        for path, text in texts.items():
            path.with_name(f".{path.name}.tmp").write_text(text, encoding="utf-8")
    except BaseException:
        tmp.unlink(missing_ok=True)  # never leave a half-written lecture behind
        for path in texts:
            path.with_name(f".{path.name}.tmp").unlink(missing_ok=True)
        raise
    os.replace(tmp, out_path)
    for path in texts:
        os.replace(path.with_name(f".{path.name}.tmp"), path)
    return chapters


def _format(stream) -> tuple:
    # the nominal frame rate: average_rate is measured from the clip's duration and may be off a hair
    cc = stream.codec_context
    return (cc.width, cc.height, stream.base_rate, f"{cc.name} {cc.pix_fmt}")


def _remux(clips: Sequence[tuple[Path, str]], tmp: Path, cues: Sequence[Sequence[Cue]] | None,
           language: str) -> tuple[list[Chapter], list[Cue]]:
    import av

    from .subtitles import add_subtitle_track, mux_cues

    chapters: list[Chapter] = []
    lecture_cues: list[Cue] = []
    offset = 0  # in the output stream's time base
    heard_until = -(2**62)  # the last audio packet's dts, in the audio's time base
    with av.open(str(clips[0][0])) as first:
        template = first.streams.video[0]
        time_base: Fraction = template.time_base
        size = _format(template)
        with_audio = all(_has_audio(path) for path, _ in clips)
        with av.open(str(tmp), "w") as out:
            stream = out.add_stream_from_template(template)
            sound = out.add_stream_from_template(first.streams.audio[0]) if with_audio else None
            text = add_subtitle_track(out, language) if cues is not None and any(cues) else None
            for n, (path, title) in enumerate(clips):
                with av.open(str(path)) as src:
                    s = src.streams.video[0]
                    got = _format(s)
                    if got != size or s.time_base != time_base:
                        raise ValueError(f"{path}: {got[0]}x{got[1]} at {got[2]} fps ({got[3]}) does not match the "
                                         f"first clip ({size[0]}x{size[1]} at {size[2]} fps ({size[3]})); render "
                                         f"all at one quality")
                    end = offset
                    audio = src.streams.audio[0] if sound is not None else None
                    heard = []  # the clip's audio packets: placed once the clip's end is known
                    for packet in src.demux(*[x for x in (s, audio) if x is not None]):
                        if packet.dts is None:  # the demuxer's flush packet
                            continue
                        if packet.stream.type == "audio":
                            heard.append(packet)
                            continue
                        packet.pts += offset
                        packet.dts += offset
                        end = max(end, packet.pts + (packet.duration or 0))
                        packet.stream = stream
                        out.mux(packet)
                    start_s, end_s = float(offset * time_base), float(end * time_base)
                    if audio is not None:
                        shift = round(start_s / audio.time_base)
                        last = round((end_s - start_s) / audio.time_base)
                        for packet in heard:
                            if packet.pts + (packet.duration or 0) > last:
                                break  # the clip's audio never runs into the next clip
                            if packet.dts + shift <= heard_until:
                                continue  # an encoder's priming packet (before 0) would overlap the previous clip
                            packet.pts += shift
                            packet.dts += shift
                            heard_until = packet.dts
                            packet.stream = sound
                            out.mux(packet)
                if cues is not None:
                    lecture_cues += [Cue(c.start, min(c.end, end_s), c.text)
                                     for c in shifted(cues[n], start_s) if c.start < end_s]
                chapters.append(Chapter(title, start_s, end_s))
                offset = end
            if text is not None:
                mux_cues(out, text, lecture_cues)
            out.set_chapters([
                {"id": n + 1, "start": round(c.start / time_base), "end": round(c.end / time_base),
                 "time_base": time_base, "metadata": {"title": c.title}}
                for n, c in enumerate(chapters)
            ])
    return chapters, lecture_cues


def _has_audio(path: Path) -> bool:
    import av

    with av.open(str(path)) as c:
        return bool(c.streams.audio)
