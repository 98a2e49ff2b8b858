"""cnnviz.chunks: a scene's plays cut into chunks at its sections, and chunks joined without re-encoding."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import numpy as np
import pytest

from cnnviz.chunks import Plan, Play, chunk_ranges, cut_sections, join_chunks


def plan(*sections: list[int], rate: float = 10.0) -> Plan:
    """Plays of the given frames, section by section."""
    plays = tuple(Play(f, f"s_{i:04}.mp4", f"section {i}", "default.normal")
                  for i, frames in enumerate(sections) for f in frames)
    return Plan("demo", rate, plays)


def covers(ranges, n):
    """Consecutive, non-overlapping, from play 0 to play n-1."""
    return [a for a, _ in ranges] == [0] + [b + 1 for _, b in ranges[:-1]] and ranges[-1][1] == n - 1


def test_ranges_end_only_where_a_section_ends():
    p = plan([50, 50], [30, 30, 30], [80], [20, 20], rate=10.0)  # 10 s, 9 s, 8 s, 4 s of video
    ranges = chunk_ranges(p, seconds=9.0)
    assert covers(ranges, len(p.plays))
    ends = {i for i in range(len(p.plays)) if i == len(p.plays) - 1 or p.plays[i + 1].section != p.plays[i].section}
    assert all(b in ends for _, b in ranges)
    assert ranges == [(0, 1), (2, 4), (5, 7)]  # 10 s | 9 s | 8 + 4 s: no cut inside a section


def test_a_short_tail_joins_the_chunk_before_it():
    p = plan([100], [100], [10], rate=10.0)
    assert chunk_ranges(p, seconds=10.0) == [(0, 0), (1, 2)]


def test_a_section_longer_than_twice_the_target_is_cut_between_its_plays():
    p = plan([40] * 10, rate=10.0)  # one 40 s section
    ranges = chunk_ranges(p, seconds=10.0)
    assert covers(ranges, 10) and len(ranges) > 1
    assert all(sum(x.frames for x in p.plays[a:b + 1]) <= 200 for a, b in ranges)


def test_no_target_is_one_chunk():
    p = plan([5, 5], [5])
    assert chunk_ranges(p, seconds=0) == [(0, 2)]
    assert chunk_ranges(Plan("empty", 15.0, ()), seconds=15) == []


def write_clip(path: Path, frames: list[np.ndarray], rate: int = 10) -> None:
    """An H.264 clip of ``frames``, encoded on its own (as Manim encodes each play)."""
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        for f in frames:
            for packet in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in s.encode():
            out.mux(packet)


def frame_digests(path: Path, *, times: bool = False) -> list[str]:
    with av.open(str(path)) as c:
        return [(f"{f.time:.4f} " if times else "") + hashlib.sha1(f.to_ndarray(format="rgb24").tobytes()).hexdigest()
                for f in c.decode(video=0)]


@pytest.fixture()
def clips(tmp_path):
    rng = np.random.default_rng(0)
    made = []
    for i, n in enumerate([7, 5, 9]):
        frames = [np.full((64, 96, 3), 20 * i + 3 * k, np.uint8) + rng.integers(0, 8, (64, 96, 3), dtype=np.uint8)
                  for k in range(n)]
        write_clip(tmp_path / f"c{i}.mp4", frames)
        made.append(tmp_path / f"c{i}.mp4")
    return made


def test_joined_chunks_hold_every_frame_of_each_in_order(tmp_path, clips):
    join_chunks(clips, tmp_path / "joined.mp4")
    assert frame_digests(tmp_path / "joined.mp4") == [d for c in clips for d in frame_digests(c)]
    # one frame each 1/10 s from 0: no gap where one chunk ends and the next begins
    assert [d.split()[0] for d in frame_digests(tmp_path / "joined.mp4", times=True)] == [f"{i / 10:.4f}"
                                                                                         for i in range(21)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no part file left behind


def test_sections_cut_from_the_joined_clip_hold_their_frames(tmp_path, clips):
    join_chunks(clips, tmp_path / "joined.mp4")
    # three plays of 7, 5 and 9 frames: section A is the first two, section B the third
    p = Plan("demo", 10.0, (Play(7, "demo_0000_a.mp4", "a", "default.normal"),
                            Play(5, "demo_0000_a.mp4", "a", "default.normal"),
                            Play(9, "demo_0001_b.mp4", "b", "default.normal")))
    index = cut_sections(tmp_path / "joined.mp4", p, tmp_path / "sections")
    every = frame_digests(tmp_path / "joined.mp4")
    assert [s["name"] for s in index] == ["a", "b"] and [s["nb_frames"] for s in index] == ["12", "9"]
    assert frame_digests(tmp_path / "sections" / "demo_0000_a.mp4") == every[:12]
    assert frame_digests(tmp_path / "sections" / "demo_0001_b.mp4") == every[12:]
    assert (index[1]["duration"], index[1]["avg_frame_rate"], index[1]["codec_name"]) == ("0.900000", "10/1", "h264")
    assert (tmp_path / "sections" / "sections.json").exists()


def test_a_chunk_whose_sound_outlasts_its_video_joins_without_a_gap_once_reduced_to_its_video(tmp_path, clips):
    """A chunk's own Manim render carries its plays' sounds at their times in the whole scene: its file is longer
    than its video. Joined as is, the next chunk would start after the sound; reduced to its video, at once."""
    from cnnviz.chunks import video_only

    long = tmp_path / "long.mp4"
    with av.open(str(clips[0])) as src, av.open(str(long), "w") as out:
        v = out.add_stream_from_template(template=src.streams.video[0])
        a = out.add_stream("aac", rate=48000)
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = v
                out.mux(packet)
        silence = np.zeros((1, 1024), np.float32)
        for k in range(48000 * 3 // 1024):  # 3 s of sound beside 0.7 s of video
            frame = av.AudioFrame.from_ndarray(silence, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, k * 1024
            for packet in a.encode(frame):
                out.mux(packet)
        for packet in a.encode():
            out.mux(packet)
    video_only(long, tmp_path / "short.mp4")
    join_chunks([tmp_path / "short.mp4", clips[1]], tmp_path / "joined.mp4")
    times = [float(d.split()[0]) for d in frame_digests(tmp_path / "joined.mp4", times=True)]
    assert times == pytest.approx([i / 10 for i in range(12)], abs=1e-3)
