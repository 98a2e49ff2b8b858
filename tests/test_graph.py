"""cnnviz.graph: a render in chunks, on the local pool and on a real Dask cluster, equals a whole render."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import pytest

from cnnviz import graph
from cnnviz.config import DEFAULT_CONFIG, load_config
from cnnviz.engine import DaskEngine
from cnnviz.graph import GraphEvents
from cnnviz.pipeline import RenderOptions, render_scenes
from cnnviz.registry import ROOT, scene_spec

from cluster_support import local_cluster

#: two short scenes: a lecture of two, narrated (espeak-ng), several chunks each at 5 s a chunk
SCENES = ["conv2d", "backprop_pool"]
pytestmark = pytest.mark.slow


def frames(path: Path) -> list[str]:
    """Each decoded frame's pixels."""
    with av.open(str(path)) as c:
        return [hashlib.sha1(f.to_ndarray(format="rgb24").tobytes()).hexdigest() for f in c.decode(video=0)]


def times(path: Path) -> list[float]:
    """Each decoded frame's time: a gap in the timestamps would freeze a player."""
    with av.open(str(path)) as c:
        return [f.time for f in c.decode(video=0)]


def sound(path: Path) -> str:
    with av.open(str(path)) as c:
        return hashlib.sha1(b"".join(f.to_ndarray().tobytes() for f in c.decode(audio=0))).hexdigest()


def assert_same_render(a: Path, b: Path, scenes: list[str]) -> None:
    """The same drawn frames, sound, JSON, subtitles and section clips (Manim's section index: the same entries;
    its durations are read from container timestamps, equal to the millisecond)."""
    for s in scenes:
        assert frames(a / f"{s}.mp4") == frames(b / f"{s}.mp4"), s
        # shown at the same times (to the millisecond: the containers' time bases round differently)
        assert times(b / f"{s}.mp4") == pytest.approx(times(a / f"{s}.mp4"), abs=1e-3), s
        assert sound(a / f"{s}.mp4") == sound(b / f"{s}.mp4"), s
        for suffix in ("json", "srt", "vtt"):
            assert (a / f"{s}.{suffix}").read_bytes() == (b / f"{s}.{suffix}").read_bytes(), (s, suffix)
        ia, ib = (json.loads((d / "sections" / s / "sections.json").read_text()) for d in (a, b))
        assert [{k: v for k, v in x.items() if k != "duration"} for x in ia] == \
               [{k: v for k, v in x.items() if k != "duration"} for x in ib]
        assert all(abs(float(x["duration"]) - float(y["duration"])) < 1e-3 for x, y in zip(ia, ib))
        for entry in ia:
            one, two = a / "sections" / s / entry["video"], b / "sections" / s / entry["video"]
            assert frames(one) == frames(two)
            assert times(two) == pytest.approx(times(one), abs=1e-3)
        with av.open(str(b / f"{s}.mp4")) as clip:
            assert [st.type for st in clip.streams] == ["video", "audio", "subtitle"]


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The two scenes rendered whole, as today (one Manim process a scene)."""
    out = tmp_path_factory.mktemp("whole")
    results = render_scenes(SCENES, load_config(None), RenderOptions(out_dir=out, jobs=2, force=True))
    assert all(r.ok for r in results), [r.error for r in results]
    return out


@pytest.fixture(autouse=True)
def own_chunk_times(tmp_path, monkeypatch, clean_cnnviz_env):
    monkeypatch.setattr(graph, "chunk_times_file", lambda: tmp_path / "chunk-seconds.json")


def test_a_render_in_chunks_on_the_local_pool_equals_the_whole_render(whole, tmp_path):
    opts = RenderOptions(out_dir=tmp_path / "out", jobs=2, chunk_seconds=5, store=tmp_path / "store")
    results = render_scenes(SCENES, load_config(None), opts)
    assert all(r.ok and not r.cached for r in results), [r.error for r in results]
    assert_same_render(whole, tmp_path / "out", SCENES)
    times = json.loads((tmp_path / "chunk-seconds.json").read_text())["-ql 5s"]
    assert all(len(times[s]["chunks"]) >= 3 for s in SCENES)  # really in chunks
    assert not list((tmp_path / "out" / ".work").iterdir())  # nothing left behind

    # a rerun into another folder finds every plan and chunk in the store: no task renders again
    calls = []
    real = graph.run_task
    try:
        graph.run_task = lambda task: calls.append(task) or real(task)
        again = render_scenes(SCENES, load_config(None), RenderOptions(out_dir=tmp_path / "again", jobs=2, chunk_seconds=5,
                                                                       store=tmp_path / "store"))
    finally:
        graph.run_task = real
    assert all(r.ok for r in again) and calls == []
    assert_same_render(whole, tmp_path / "again", SCENES)


def test_a_lecture_rendered_on_a_dask_cluster_equals_a_local_render(whole, tmp_path):
    with local_cluster(2, tmp_path / "logs") as cluster:
        opts = RenderOptions(out_dir=tmp_path / "out", jobs=2, chunk_seconds=5, cluster=cluster.address,
                             store=tmp_path / "store")
        events = GraphEvents()
        engine = DaskEngine(cluster.address)
        try:
            results = graph.render_graph([scene_spec(s) for s in SCENES], load_config(None), DEFAULT_CONFIG, opts,
                                         events=events, engine=engine)
        finally:
            engine.close()
        assert all(r.ok for r in results), [r.error for r in results]
        assert len(events.task_workers) == 2  # both workers rendered: their processes, not this one
        assert not events.lost_workers
    assert_same_render(whole, tmp_path / "out", SCENES)


def test_a_worker_killed_during_a_task_is_reported_and_its_task_runs_elsewhere(whole, tmp_path):
    scene = ["backprop_pool"]
    with local_cluster(2, tmp_path / "logs") as cluster:
        engine = DaskEngine(cluster.address)
        killed: list[str] = []

        def kill_one_busy_worker():
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and not killed:
                processing = engine.client.processing()
                info = engine.client.sync(engine.client.scheduler.identity, n_workers=-1)  # fresh, as engine.workers()
                names = {a: w["name"] for a, w in info["workers"].items()}
                busy = [names[a] for a, tasks in processing.items() if any("-plan" not in str(t) for t in tasks)]
                if busy:
                    time.sleep(1.0)  # well into the chunk's Manim process
                    cluster.kill(busy[0])
                    killed.append(busy[0])
                time.sleep(0.2)

        killer = threading.Thread(target=kill_one_busy_worker)
        killer.start()
        events = GraphEvents()
        opts = RenderOptions(out_dir=tmp_path / "out", jobs=2, chunk_seconds=5, cluster=cluster.address,
                             store=tmp_path / "store")
        try:
            results = graph.render_graph([scene_spec(s) for s in scene], load_config(None), DEFAULT_CONFIG, opts,
                                         events=events, engine=engine)
        finally:
            killer.join()
            engine.close()
    assert killed, "no worker was seen running a chunk"
    assert results[0].ok, results[0].error
    assert events.lost_workers  # reported
    assert_same_render(whole, tmp_path / "out", scene)
    # nothing half-written: every store entry is whole (plan or chunk), no temporary folder left
    entries = list((tmp_path / "store").iterdir())
    assert entries and all(not e.name.startswith(".") for e in entries)


def test_an_unreachable_cluster_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "render", "conv2d", "--out", str(tmp_path / "o"),
                           "--cluster", "tcp://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "no Dask scheduler answered" in done.stderr and "Traceback" not in done.stderr
