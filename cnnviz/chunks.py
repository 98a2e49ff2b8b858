"""A scene rendered in chunks: consecutive ranges of its animations, each its own task, joined into one clip.

A scene's plan (``plan.json``, written by a render with ``$CNNVIZ_PLAN``: every animation skipped, nothing
drawn) lists each of its plays — Manim's unit, an animation or a wait — with the frames it draws and the
section it belongs to. :func:`chunk_ranges` cuts the plays into ranges of about ``seconds`` of video at
section starts, so that a slide's step stays within one chunk. Each range is rendered with Manim's own
``-n FIRST,LAST`` (the plays before it are replayed without drawing; ``LectureScene`` keeps the clock as a
drawn play would, so every chunk draws exactly the frames of the whole render). :func:`join_chunks`
concatenates the chunks' packets without re-encoding (each play is its own encoded segment in Manim, so
every play starts on a key frame) and adds the plan render's narration track (:mod:`cnnviz.sound`); :func:`cut_sections` cuts
the section clips and Manim's ``sections.json`` out of the joined clip the same way.

Only the video clips are chunked (MP4; WebM, GIF, transparent and still renders are rendered whole).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import av

from .paths import replace_folder
from .sound import replace_sound

__all__ = ["Play", "chunk_ranges", "cut_sections", "join_chunks", "read_plan", "video_only"]

#: about this many seconds of video a chunk (issue #19: finer work units than a whole scene)
CHUNK_SECONDS = 15.0


@dataclass(frozen=True)
class Play:
    """One of a scene's plays (Manim's ``num_plays`` order): the frames it draws, its section's clip file
    name (Manim's ``<id>_<index>_<name>.mp4``), the section's name and type."""

    frames: int
    section: str | None
    name: str
    type: str


@dataclass(frozen=True)
class Plan:
    scene: str
    frame_rate: float
    plays: tuple[Play, ...]

    @property
    def frames(self) -> int:
        return sum(p.frames for p in self.plays)


def read_plan(path: Path) -> Plan:
    """The plan a ``$CNNVIZ_PLAN`` render wrote (``plan.json``)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    plays = tuple(Play(int(p["frames"]), p.get("section"), str(p["name"]), str(p["type"])) for p in doc["plays"])
    return Plan(str(doc["scene"]), float(doc["frame_rate"]), plays)


def chunk_ranges(plan: Plan, seconds: float = CHUNK_SECONDS) -> list[tuple[int, int]]:
    """The plays cut into consecutive inclusive ranges ``(first, last)`` of about ``seconds`` of video each.

    A range ends only where a section ends, unless one section alone runs past twice ``seconds``: then it is
    cut between its plays (the section clips are cut from the joined clip, so they stay whole either way).
    Plays that draw no frame go with their neighbours. ``seconds <= 0`` gives one range, the whole scene.
    """
    n = len(plan.plays)
    if n == 0:
        return []
    if seconds <= 0:
        return [(0, n - 1)]
    target = seconds * plan.frame_rate
    ranges: list[tuple[int, int]] = []
    first, frames = 0, 0
    for i, play in enumerate(plan.plays):
        frames += play.frames
        last = i == n - 1
        section_ends = last or plan.plays[i + 1].section != play.section
        if last or (frames >= target and section_ends) or frames >= 2 * target:
            ranges.append((first, i))
            first, frames = i + 1, 0
    # a short tail joins the chunk before it (a chunk replays every play before it: fewer, longer chunks)
    if len(ranges) > 1 and _frames(plan, ranges[-1]) < target / 3:
        (a, _), (_, b) = ranges[-2], ranges[-1]
        ranges[-2:] = [(a, b)]
    return ranges


def _frames(plan: Plan, span: tuple[int, int]) -> int:
    return sum(p.frames for p in plan.plays[span[0]:span[1] + 1])


def _concat(inputs: Sequence[Path], output: Path) -> None:
    """Manim's ``combine_files``: the inputs' video packets, one after another, in one file; no re-encoding."""
    manifest = "ffconcat version 1.0\n" + "".join(f"file '{Path(p).resolve().as_posix()}'\n" for p in inputs)
    with av.open(BytesIO(manifest.encode()), format="concat", options={"safe": "0", "an": "1"}) as source:
        stream = source.streams.video[0]
        with av.open(str(output), mode="w") as target:
            out = target.add_stream_from_template(template=stream)
            for packet in source.demux(stream):
                if packet.dts is None:  # the demuxer's flushing packets
                    continue
                packet.dts = None  # consecutive files' dts need not increase: let libav compute them
                packet.stream = out
                target.mux(packet)


def video_only(source: Path, output: Path) -> None:
    """``source``'s video stream alone in ``output``, remuxed. A chunk's own Manim render carries the sounds of
    its plays at their times in the whole scene (after silence), which makes its file longer than its video;
    joined as they are, each next chunk would start after that length, leaving a gap in the timestamps."""
    _concat([source], output)


def join_chunks(chunks: Sequence[Path], output: Path, *, sound: Path | None = None) -> None:
    """``chunks`` (MP4, in order) joined into ``output`` without re-encoding, with ``sound`` (the plan render's
    narration, :func:`cnnviz.sound.encode_narration`) as its sound track. ``output`` appears complete or not at all."""
    output = Path(output)
    part = output.with_name(f".{output.name}.part.mp4")
    try:
        _concat(chunks, part)
        if sound is not None and Path(sound).exists():
            replace_sound(part, Path(sound))
        os.replace(part, output)
    finally:
        part.unlink(missing_ok=True)


def _metadata(path: Path) -> dict[str, object]:
    """The fields Manim's ``get_video_metadata`` writes into ``sections.json``, read the same way."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx, rate = stream.codec_context, stream.average_rate
        if stream.duration is not None:
            duration, frames = float(stream.duration * stream.time_base), stream.frames
        else:
            frames = sum(1 for _ in container.decode(video=0))
            duration = float(frames / stream.base_rate)
        rate = Fraction(rate) if rate is not None else Fraction(0)
        return {"width": ctx.width, "height": ctx.height, "nb_frames": str(frames), "duration": f"{duration:.6f}",
                "avg_frame_rate": f"{rate.numerator}/{rate.denominator}", "codec_name": ctx.name,
                "pix_fmt": ctx.pix_fmt}


def cut_sections(clip: Path, plan: Plan, target: Path) -> list[dict[str, object]]:
    """The section clips of a joined ``clip`` (each section's packets, in decode order, remuxed) and Manim's
    index of them, ``sections.json``, into the folder ``target`` (replaced whole). Returns the index."""
    sections: list[tuple[Play, int]] = []  # a section's first play and its frames
    for play in plan.plays:
        if play.section is None:
            continue
        if sections and sections[-1][0].section == play.section:
            sections[-1] = (sections[-1][0], sections[-1][1] + play.frames)
        else:
            sections.append((play, play.frames))
    target = Path(target)
    work = target.with_name(f".{target.name}.new")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    index: list[dict[str, object]] = []
    with av.open(str(clip)) as source:
        stream = source.streams.video[0]
        packets = (p for p in source.demux(stream) if p.dts is not None)
        skip = sum(p.frames for p in plan.plays if p.section is None)  # frames outside any saved section
        for _ in range(skip):
            next(packets)
        for first, frames in sections:
            path = work / str(first.section)
            with av.open(str(path), mode="w") as out:
                ostream = out.add_stream_from_template(template=stream)
                base = None
                for _ in range(frames):
                    packet = next(packets)
                    base = packet.pts if base is None else base  # a section's first packet: its key frame
                    packet.pts -= base  # the section's clip starts at 0, as Manim's do
                    packet.dts = None
                    packet.stream = ostream
                    out.mux(packet)
            index.append({"name": first.name, "type": first.type, "video": first.section, **_metadata(path)})
    (work / "sections.json").write_text(json.dumps(index, indent=4), encoding="utf-8")
    replace_folder(work, target)
    return index
