"""Subtitles from the narration: SubRip and WebVTT text, the MP4 track, and the lecture's joined narration."""

from __future__ import annotations

import av
import numpy as np
import pytest

from cnnviz.assemble import join_clips
from cnnviz.subtitles import Cue, cues_from_json, mux_subtitles, shifted, srt, webvtt

CUES = [Cue(0.5, 2.25, "Each output is a sum of products."), Cue(2.5, 4.0, "卷积核 --> 滑动\n\n第二行")]


def make_clip(path, seconds: float, *, audio: bool, fps: int = 15) -> None:
    """A tiny MP4 with a video stream and, if asked, a 440 Hz AAC narration stand-in."""
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=48000) if audio else None
        for n in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), n % 250, np.uint8), format="rgb24")
            for packet in v.encode(frame):
                out.mux(packet)
        if a is not None:
            samples = round(seconds * 48000)
            t = np.arange(samples) / 48000
            wave = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
            for start in range(0, samples, 1024):
                frame = av.AudioFrame.from_ndarray(wave[:, start:start + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 48000, start
                for packet in a.encode(frame):
                    out.mux(packet)
            for packet in a.encode():
                out.mux(packet)
        for packet in v.encode():
            out.mux(packet)


def subtitle_packets(path):
    with av.open(str(path)) as c:
        s = c.streams.subtitles[0]
        language = s.metadata.get("language")
        got = [(float(p.pts * p.time_base), float((p.pts + p.duration) * p.time_base), bytes(p)[2:].decode())
               for p in c.demux(s) if p.dts is not None]
    got = [g for g in got if g[2]]  # MP4 fills the time between cues with empty samples
    return language, got


def test_srt_and_vtt_number_and_time_cues_and_keep_each_cue_one_line():
    text = srt(CUES)
    assert text.startswith("1\n00:00:00,500 --> 00:00:02,250\nEach output is a sum of products.\n\n2\n")
    assert "卷积核 → 滑动 第二行" in text  # no blank line (ends a cue) and no "-->" (a timing line) inside
    vtt = webvtt(CUES)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.250\n")
    assert srt([]) == "" and webvtt([]) == "WEBVTT\n\n"
    assert "a &lt; b &amp; c" in webvtt([Cue(0, 1, "a < b & c")])  # WebVTT cue text is markup


def test_cues_come_from_the_scene_json_and_shift():
    doc = {"narration": [{"line": 1, "start": 0.5, "end": 2.25, "text": "a", "voice": "espeak"}]}
    assert cues_from_json(doc) == [Cue(0.5, 2.25, "a")] and cues_from_json({}) == []
    assert shifted([Cue(0.5, 1.0, "a")], 10) == [Cue(10.5, 11.0, "a")]


def test_mux_adds_a_tagged_track_keeps_video_and_audio_and_is_reproducible(tmp_path):
    make_clip(tmp_path / "c.mp4", 4.0, audio=True)
    mux_subtitles(tmp_path / "c.mp4", CUES, "zh", tmp_path / "a.mp4")
    mux_subtitles(tmp_path / "c.mp4", CUES, "zh", tmp_path / "b.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    language, got = subtitle_packets(tmp_path / "a.mp4")
    assert language == "chi"
    assert got == [(0.5, 2.25, "Each output is a sum of products."), (2.5, 4.0, "卷积核 → 滑动 第二行")]
    with av.open(str(tmp_path / "a.mp4")) as c, av.open(str(tmp_path / "c.mp4")) as src:
        assert [s.type for s in c.streams] == ["video", "audio", "subtitle"]
        assert sum(1 for _ in c.decode(video=0)) == sum(1 for _ in src.decode(video=0))
    mux_subtitles(tmp_path / "c.mp4", CUES, "en", tmp_path / "c.mp4")  # in place, as the pipeline does
    assert subtitle_packets(tmp_path / "c.mp4")[0] == "eng"
    assert not list(tmp_path.glob(".*tmp*"))


def test_the_lecture_joins_narration_without_gaps_and_shifts_each_clips_subtitles(tmp_path):
    for name, seconds in (("a", 3.0), ("b", 2.0)):
        make_clip(tmp_path / f"{name}.mp4", seconds, audio=True)
    out = tmp_path / "lecture.mp4"
    chapters = join_clips([(tmp_path / "a.mp4", "A"), (tmp_path / "b.mp4", "B")], out,
                          cues=[[Cue(0.5, 1.5, "one")], [Cue(0.25, 9.0, "two")]], language="en")
    start_b = chapters[1].start
    assert start_b == pytest.approx(3.0, abs=0.1)
    language, got = subtitle_packets(out)
    assert language == "eng"
    assert got[0] == (0.5, 1.5, "one")
    # the second clip's line starts at its clip's start and is cut at the lecture's end
    assert got[1][0] == pytest.approx(start_b + 0.25, abs=1e-3) and got[1][1] == pytest.approx(chapters[1].end, abs=1e-3)
    assert "00:00:00,500 --> 00:00:01,500\none" in (tmp_path / "lecture.srt").read_text(encoding="utf-8")
    assert (tmp_path / "lecture.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert "A" in (tmp_path / "lecture.chapters.vtt").read_text(encoding="utf-8")
    with av.open(str(out)) as c:
        previous_end, heard = None, 0.0
        for frame in c.decode(audio=0):
            if previous_end is not None:
                assert frame.time == pytest.approx(previous_end, abs=0.03), "no gap and no overlap in the audio"
            previous_end = frame.time + frame.samples / frame.sample_rate
            heard += frame.samples / frame.sample_rate
    assert heard == pytest.approx(chapters[-1].end, abs=0.1)


def test_silent_clips_join_without_an_audio_track(tmp_path):
    make_clip(tmp_path / "a.mp4", 1.0, audio=False)
    join_clips([(tmp_path / "a.mp4", "A")], tmp_path / "l.mp4", cues=[[]])
    with av.open(str(tmp_path / "l.mp4")) as c:
        assert not c.streams.audio and not c.streams.subtitles
