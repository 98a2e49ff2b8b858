"""Join scene clips into one lecture video with chapters, without re-encoding.

Manim writes every clip of one quality with the same codec, size and frame rate, so the packets
can be copied one after another with shifted timestamps (a remux: seconds, not minutes). Chapters,
one per clip, go into the MP4 and beside it as WebVTT.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

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


def _vtt_time(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def webvtt(chapters: Sequence[Chapter]) -> str:
    """Chapters as a WebVTT file (what HTML5 ``<track kind="chapters">`` reads)."""
    cues = [f"{n}\n{_vtt_time(c.start)} --> {_vtt_time(c.end)}\n{c.title}\n" for n, c in enumerate(chapters, 1)]
    return "WEBVTT\n\n" + "\n".join(cues)


def join_clips(clips: Sequence[tuple[Path, str]], out_path: Path) -> list[Chapter]:
    """Concatenate ``(clip, chapter title)`` pairs into ``out_path`` (MP4 with chapters) and
    ``out_path.with_suffix('.vtt')``; both appear atomically. Returns the chapters."""
    if not clips:
        raise ValueError("no clips to join")
    tmp = out_path.with_name(f".{out_path.name}.tmp.mp4")
    try:
        chapters = _remux(clips, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)  # never leave a half-written lecture behind
        raise
    vtt = out_path.with_suffix(".vtt")
    vtt_tmp = vtt.with_name(f".{vtt.name}.tmp")
    vtt_tmp.write_text(webvtt(chapters), encoding="utf-8")
    os.replace(tmp, out_path)
    os.replace(vtt_tmp, vtt)
    return chapters


def _format(stream) -> tuple:
    # the nominal frame rate: average_rate is measured from the clip's duration and may be off a hair
    cc = stream.codec_context
    return (cc.width, cc.height, stream.base_rate, f"{cc.name} {cc.pix_fmt}")


def _remux(clips: Sequence[tuple[Path, str]], tmp: Path) -> list[Chapter]:
    import av

    chapters: list[Chapter] = []
    offset = 0  # in the output stream's time base
    with av.open(str(clips[0][0])) as first:
        template = first.streams.video[0]
        time_base: Fraction = template.time_base
        size = _format(template)
        with av.open(str(tmp), "w") as out:
            stream = out.add_stream_from_template(template)
            for path, title in clips:
                with av.open(str(path)) as src:
                    s = src.streams.video[0]
                    got = _format(s)
                    if got != size or s.time_base != time_base:
                        raise ValueError(f"{path}: {got[0]}x{got[1]} at {got[2]} fps ({got[3]}) does not match the "
                                         f"first clip ({size[0]}x{size[1]} at {size[2]} fps ({size[3]})); render "
                                         f"all at one quality")
                    end = offset
                    for packet in src.demux(s):
                        if packet.dts is None:  # the demuxer's flush packet
                            continue
                        packet.pts += offset
                        packet.dts += offset
                        end = max(end, packet.pts + (packet.duration or 0))
                        packet.stream = stream
                        out.mux(packet)
                chapters.append(Chapter(title, float(offset * time_base), float(end * time_base)))
                offset = end
            out.set_chapters([
                {"id": n + 1, "start": round(c.start / time_base), "end": round(c.end / time_base),
                 "time_base": time_base, "metadata": {"title": c.title}}
                for n, c in enumerate(chapters)
            ])
    return chapters
