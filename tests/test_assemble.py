"""Joining clips: the lecture lasts the sum of its clips and its chapters sit at the clip boundaries."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from cnnviz.assemble import clip_seconds, join_clips, webvtt


def make_clip(path, frames: int, shade: int, fps: int = 15) -> None:
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for _ in range(frames):
            img = np.full((48, 64, 3), shade, np.uint8)
            for packet in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in s.encode():
            out.mux(packet)


def test_join_sums_durations_and_places_chapters(tmp_path):
    lengths = [15, 30, 8]
    clips = []
    for n, frames in enumerate(lengths):
        make_clip(tmp_path / f"c{n}.mp4", frames, 40 * n)
        clips.append((tmp_path / f"c{n}.mp4", f"part {n}"))
    out = tmp_path / "lecture.mp4"
    chapters = join_clips(clips, out)
    durations = [clip_seconds(c) for c, _ in clips]
    assert clip_seconds(out) == pytest.approx(sum(durations), abs=1e-6)
    assert [c.start for c in chapters] == pytest.approx(np.cumsum([0] + durations[:-1]).tolist(), abs=1e-3)
    with av.open(str(out)) as c:
        stored = c.chapters()
        assert sum(1 for _ in c.decode(video=0)) == sum(lengths)
    assert [ch["metadata"]["title"] for ch in stored] == ["part 0", "part 1", "part 2"]
    assert float(stored[1]["start"] * Fraction(stored[1]["time_base"])) == pytest.approx(durations[0], abs=1e-3)
    vtt = (tmp_path / "lecture.chapters.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "00:00:01.000 --> 00:00:03.000\npart 1" in vtt
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file may be left behind"


def test_join_refuses_clips_of_different_sizes(tmp_path):
    make_clip(tmp_path / "a.mp4", 5, 0)
    with av.open(str(tmp_path / "b.mp4"), "w") as out:
        s = out.add_stream("libx264", rate=15)
        s.width, s.height, s.pix_fmt = 32, 32, "yuv420p"
        for packet in s.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")):
            out.mux(packet)
        for packet in s.encode():
            out.mux(packet)
    with pytest.raises(ValueError, match="does not match the first clip"):
        join_clips([(tmp_path / "a.mp4", "a"), (tmp_path / "b.mp4", "b")], tmp_path / "l.mp4")
    assert not (tmp_path / "l.mp4").exists() and not list(tmp_path.glob(".*tmp*"))


def test_webvtt_times():
    from cnnviz.assemble import Chapter

    assert "01:02:03.500 --> 01:02:04.000\nx" in webvtt([Chapter("x", 3723.5, 3724.0)])
