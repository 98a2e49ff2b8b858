"""The render pipeline: scenes start longest first, by the times recorded on this machine, else by the
reference machine's (``assets/render-seconds.json``); one scene failing does not stop the others; clips are
encoded with the pipeline's x264 settings."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from cnnviz import pipeline
from cnnviz.config import load_config
from cnnviz.registry import SCENES
from cnnviz.pipeline import (ENCODER_OPTIONS, REFERENCE_TIMES, RenderOptions, RenderResult, cache_key,
                             encoder_args, expected_seconds, longest_first, recorded_seconds, render_scenes)


def fake_renders(monkeypatch, seconds: dict[str, float], started: list[str], cached: tuple[str, ...] = ()):
    def render_one(info, lecture, config_path, opts):
        started.append(info.id)
        return RenderResult(info.id, True, seconds[info.id], Path(f"{info.id}.mp4"), cached=info.id in cached)

    monkeypatch.setattr(pipeline, "_render_one", render_one)


def test_scenes_start_longest_first_once_their_times_are_known(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(pipeline, "REFERENCE_TIMES", tmp_path / "none.json")
    opts = RenderOptions(out_dir=tmp_path / "out", jobs=1)
    ids = ["conv1d", "conv2d", "pooling", "error_flow"]
    seconds = {"conv1d": 5.0, "conv2d": 9.0, "pooling": 7.0, "error_flow": 20.0}
    started: list[str] = []
    fake_renders(monkeypatch, seconds, started)
    results = render_scenes(ids, load_config(None), opts)
    assert started == ids  # nothing recorded yet: the order given
    assert [r.scene for r in results] == ids
    assert recorded_seconds(opts) == seconds
    assert recorded_seconds(RenderOptions(quality="h")) == {}  # per quality (and format)

    started.clear()
    seconds["dilated"] = 3.0
    results = render_scenes(ids + ["dilated"], load_config(None), opts)
    assert started == ["dilated", "error_flow", "conv2d", "pooling", "conv1d"]  # new one first, then longest
    assert [r.scene for r in results] == ids + ["dilated"]  # results stay in the order asked for


def test_cached_scenes_do_not_overwrite_recorded_times(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(pipeline, "REFERENCE_TIMES", tmp_path / "none.json")
    opts = RenderOptions(out_dir=tmp_path / "out")
    started: list[str] = []
    fake_renders(monkeypatch, {"conv1d": 6.0, "conv2d": 9.0}, started)
    render_scenes(["conv1d", "conv2d"], load_config(None), opts)
    fake_renders(monkeypatch, {"conv1d": 0.01, "conv2d": 0.01}, started, cached=("conv1d", "conv2d"))
    render_scenes(["conv1d", "conv2d"], load_config(None), opts)
    assert recorded_seconds(opts) == {"conv1d": 6.0, "conv2d": 9.0}
    assert longest_first(["conv1d", "conv2d"], opts) == ["conv2d", "conv1d"]


def test_a_first_run_follows_the_reference_times_and_this_machines_record_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    reference = expected_seconds(RenderOptions())
    assert set(reference) == {s.id for s in SCENES}  # the shipped file covers every scene
    order = longest_first([s.id for s in SCENES], RenderOptions())
    assert [reference[i] for i in order] == sorted(reference.values(), reverse=True)
    started: list[str] = []
    fake_renders(monkeypatch, {"conv1d": 100.0}, started)
    render_scenes(["conv1d"], load_config(None), RenderOptions(out_dir=tmp_path / "out"))
    assert longest_first([s.id for s in SCENES], RenderOptions())[0] == "conv1d"
    assert REFERENCE_TIMES.is_file()


def test_an_unreadable_record_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(pipeline, "REFERENCE_TIMES", tmp_path / "none.json")
    record = tmp_path / "xdg" / "cnnviz" / "render-seconds.json"
    record.parent.mkdir(parents=True)
    for text in ("{not json", json.dumps(["a list"]), json.dumps({"-ql mp4": {"conv2d": "slow"}})):
        record.write_text(text)
        assert longest_first(["conv1d", "conv2d"], RenderOptions()) == ["conv1d", "conv2d"]


def test_eta_weighs_scenes_by_their_recorded_times():
    from cnnviz.cli.render import eta_seconds

    ids = ["error_flow", "conv1d", "conv2d"]
    expected = {"error_flow": 30.0, "conv1d": 10.0, "conv2d": 10.0}
    assert eta_seconds(30.0, ["error_flow"], ids, expected) == 20.0  # the long one done: 20 s of 50 left
    assert eta_seconds(30.0, ["error_flow"], ids, {"error_flow": 30.0}) == 60.0  # not all known: by count
    assert eta_seconds(0.0, [], ids, expected) == 0.0


def test_scenes_build_ahead_only_where_a_core_would_idle(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    seen: dict[str, bool] = {}

    def render_one(info, lecture, config_path, opts):
        seen[info.id] = opts.build_ahead
        return RenderResult(info.id, True, 1.0, Path(f"{info.id}.mp4"), cached=False)

    monkeypatch.setattr(pipeline, "_render_one", render_one)
    for ids, jobs, ahead in ((["conv2d"], 2, True), (["conv2d", "pooling"], 2, False), (["conv2d"], 1, False)):
        seen.clear()
        render_scenes(ids, load_config(None), RenderOptions(out_dir=tmp_path / "out", jobs=jobs))
        assert seen == dict.fromkeys(ids, ahead), (ids, jobs)


@pytest.mark.slow
def test_one_failing_scene_does_not_stop_the_others(tmp_path, monkeypatch, clean_cnnviz_env,
                                                      short_and_failing_scenes):
    """A scene whose render raises is reported with its error; the scene after it still renders."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    registry_entry = pipeline.scene_spec

    def scene_spec(scene_id):
        if scene_id == "fails":  # not in the registry: the tests' own scene file
            return SimpleNamespace(id="fails", path=str(short_and_failing_scenes), scene_class="Fails")
        return registry_entry(scene_id)

    monkeypatch.setattr(pipeline, "scene_spec", scene_spec)
    monkeypatch.setattr(pipeline, "cache_key", lambda info, lecture, opts: info.id)
    out = tmp_path / "out"
    failed, rendered = render_scenes(["fails", "mnist_training"], load_config(None),
                                     RenderOptions(out_dir=out, jobs=1, values_here=False))
    assert not failed.ok and "this scene fails on purpose" in failed.error
    assert not (out / "fails.mp4").exists() and not (out / "fails.json").exists()
    assert rendered.ok and not rendered.cached and rendered.clip == out / "mnist_training.mp4"
    assert rendered.clip.stat().st_size > 10_000 and (out / "mnist_training.json").exists()


@pytest.mark.slow
def test_two_renders_into_one_folder_both_succeed(tmp_path, clean_cnnviz_env):
    """Two processes rendering the same scene into the same --out take turns (a lock per scene and a work
    folder per render): both exit 0, and the second finds the first's clip in the cache."""
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    cmd = [sys.executable, str(pipeline.ROOT / "render.py"), "render", "conv2d", "--out", str(tmp_path / "out"),
           "--jobs", "1"]
    runs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    states = sorted("hit" if " hit " in out else "miss" for out, _ in outputs)
    assert states == ["hit", "miss"], outputs
    assert (tmp_path / "out" / "conv2d.mp4").stat().st_size > 10_000
    assert not list((tmp_path / "out" / ".work").iterdir())  # nothing left behind


@pytest.mark.slow
def test_the_same_config_renders_to_byte_identical_files(tmp_path, clean_cnnviz_env, monkeypatch):
    """Clip (video, narration, subtitles), JSON, subtitle files and section clips of two renders of one config
    are the same bytes (x264 at -ql kept off its AVX-512 code, whose row-end overrun mixed uninitialised memory
    into the rate control; espeak-ng and the AAC encoder are deterministic)."""
    import hashlib

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    def digests(out: Path) -> dict[str, str]:
        [result] = render_scenes(["pooling"], load_config(None), RenderOptions(out_dir=out, jobs=1, force=True))
        assert result.ok, result.error
        files = [out / "pooling.mp4", out / "pooling.json", out / "pooling.srt", out / "pooling.vtt",
                 *sorted((out / "sections" / "pooling").iterdir())]
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    # the JSON, the subtitle files and the section clips are the same bytes; the joined clip, which carries the
    # narration (espeak-ng) and its subtitle track, the same decoded frames and cues
    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert len(first) > 5
    assert {k: v for k, v in first.items() if k != "pooling.mp4"} == {k: v for k, v in second.items()
                                                                       if k != "pooling.mp4"}
    one, two = decoded(tmp_path / "a" / "pooling.mp4"), decoded(tmp_path / "b" / "pooling.mp4")
    # the same frames, cues and sound samples (Manim's stereo AAC differed from run to run; the narration is
    # encoded by cnnviz.sound, mono, the same each time)
    assert one == two and len(one) == 3
    assert samples(tmp_path / "a" / "pooling.mp4") > 0
    import av

    with av.open(str(tmp_path / "a" / "pooling.mp4")) as clip:
        assert [s.type for s in clip.streams] == ["video", "audio", "subtitle"]


def samples(path: Path) -> int:
    """How many sound samples ``path`` holds (per channel)."""
    import av

    with av.open(str(path)) as c:
        return sum(frame.samples for frame in c.decode(audio=0))


def decoded(path: Path) -> dict[str, str]:
    """A digest per stream of what a player gets from ``path``: the frames' pixels, the sound's samples, the
    subtitle packets' text, with their timestamps."""
    import hashlib

    import av

    out = {}
    with av.open(str(path)) as c:
        for stream in c.streams:
            h = hashlib.sha256()
            if stream.type == "subtitle":
                for packet in c.demux(stream):
                    if packet.size:
                        h.update(f"{packet.pts}:{packet.duration}:".encode() + bytes(packet))
            else:
                for frame in c.decode(stream):
                    h.update(f"{frame.pts}:".encode() + frame.to_ndarray().tobytes())
            out[f"{stream.index}:{stream.type}"] = h.hexdigest()
            c.seek(0)
    return out


#: x264 settings that follow the machine (thread counts), not the options asked for
THREAD_SETTINGS = {"threads", "lookahead_threads", "sliced_threads", "slices"}


def x264_settings(path: Path) -> dict[str, str]:
    """The settings x264 records in the stream it wrote (its ``options:`` line), thread counts left out."""
    found = re.search(rb"x264 - core \d+.*? options: ([^\x00\x80]*)", path.read_bytes())
    assert found, f"{path}: no x264 settings in the stream"
    pairs = (kv.split("=", 1) for kv in found.group(1).decode().split())
    return {k: v for k, v in pairs if k not in THREAD_SETTINGS}


def x264_reference(path: Path, options: dict[str, str], rate: int) -> dict[str, str]:
    """The settings of two black frames encoded by PyAV with ``options`` at ``rate`` fps (x264 derives some
    settings from the frame rate)."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(2):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
        out.mux(stream.encode())
    return x264_settings(path)


def test_encoder_options_reach_only_x264_clips_and_key_the_cache(tmp_path, monkeypatch):
    assert encoder_args("l") == [a for k, v in sorted(ENCODER_OPTIONS["l"].items())
                                 for a in ("--encoder-option", f"{k}={v}")]
    assert encoder_args("l", "gif") == encoder_args("l")  # GIF segments are x264 too
    for fmt, transparent in (("webm", False), ("png", False), ("mp4", True)):  # VP9, a still, qtrle
        assert encoder_args("l", fmt, transparent) == []
    assert encoder_args("h") == []  # the final qualities keep Manim's settings
    opts, lecture = RenderOptions(out_dir=tmp_path), load_config(None)
    key = cache_key(pipeline.scene_spec("conv2d"), lecture, opts)
    monkeypatch.setitem(pipeline.ENCODER_OPTIONS, "l", {"preset": "slow"})
    assert cache_key(pipeline.scene_spec("conv2d"), lecture, opts) != key  # other settings, other video


@pytest.mark.slow
def test_clips_are_encoded_with_the_pipelines_x264_settings(tmp_path, monkeypatch, clean_cnnviz_env,
                                                             short_and_failing_scenes):
    """-ql clips use ENCODER_OPTIONS (cheaper encoding, same picture quality); -qm keeps Manim's own
    (crf 23, preset medium)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    short = SimpleNamespace(id="conv2d", path=str(short_and_failing_scenes), scene_class="Short")  # conv2d.json
    monkeypatch.setattr(pipeline, "scene_spec", lambda scene_id: short)
    monkeypatch.setattr(pipeline, "cache_key", lambda info, lecture, opts: opts.quality)
    ours = x264_reference(tmp_path / "ours.mp4", {"crf": "23", **ENCODER_OPTIONS["l"]}, rate=15)
    manims = x264_reference(tmp_path / "manim.mp4", {"crf": "23"}, rate=30)
    assert ours != x264_reference(tmp_path / "manim15.mp4", {"crf": "23"}, rate=15)  # the options change x264
    for quality, expected in (("l", ours), ("m", manims)):  # 480p15, 720p30
        out = tmp_path / quality
        [result] = render_scenes(["conv2d"], load_config(None),
                                 RenderOptions(quality=quality, out_dir=out, jobs=1, values_here=False))
        assert result.ok, result.error
        assert x264_settings(result.clip) == expected, quality


def test_values_computed_on_parallel_render_threads_are_those_of_a_sequential_run():
    """A render's pool computes each scene's values on its own thread; alexnet's seeded weights and dropout mask
    draw from torch's global generator, so two at once used to give other numbers than one alone."""
    import threading

    import numpy as np

    from cnnviz.config import COURSE
    from cnnviz.values import scene_json

    lecture = load_config(COURSE[1])
    params = lecture.entry("alexnet").params
    alone = scene_json("alexnet", params, pipeline.computed_values("alexnet", params))["arrays"]["fc6_z"]
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(scene_json(
        "alexnet", params, pipeline.computed_values("alexnet", params))["arrays"]["fc6_z"])) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 3 and all(np.array_equal(g, alone) for g in got)
