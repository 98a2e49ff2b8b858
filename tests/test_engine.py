"""cnnviz.engine: the local pool by priority; a real Dask cluster on 127.0.0.1 and its workers' versions."""

from __future__ import annotations

import io
import shutil
import threading

import av

import pytest

from cnnviz.config import DEFAULT_CONFIG
from cnnviz.engine import DaskEngine, EngineError, LocalEngine, open_engine
from cnnviz.registry import ROOT
from cnnviz.tasks import SceneJob, Task, VersionMismatch, code_version, run_task

from cluster_support import local_cluster


def test_the_local_pool_runs_the_highest_priority_first():
    engine = LocalEngine(jobs=1)
    gate, order = threading.Event(), []
    try:
        blocker = engine.submit(lambda _: gate.wait(10), None)  # holds the one thread while the rest queue up
        futures = [engine.submit(order.append, name, priority=p) for name, p in [("low", 1), ("high", 9), ("mid", 5)]]
        gate.set()
        blocker.result(timeout=10)
        for f in futures:
            f.result(timeout=10)
        assert order == ["high", "mid", "low"]
    finally:
        engine.close()


def test_a_failing_task_fails_its_future_not_the_pool():
    engine = LocalEngine(jobs=1)
    try:
        bad = engine.submit(lambda _: 1 / 0, None)
        with pytest.raises(ZeroDivisionError):
            bad.result(timeout=10)
        assert engine.submit(lambda x: x + 1, 1).result(timeout=10) == 2
    finally:
        engine.close()


def test_a_task_from_another_version_is_refused_where_it_runs():
    job = SceneJob(scene="conv2d", key="k", version="0" * 16, lecture_path="/nowhere.yaml", lecture_text=b"",
                   values=None)
    with pytest.raises(VersionMismatch, match="another|client"):
        run_task(Task(job))


def test_a_narrated_chunk_task_renders_its_plays():
    # a chunk (Manim's -n) skips the sounds before its first play: the narration's encoder must not ask the
    # writer for a mix it has not made (the whole lecture on a cluster failed so, AttributeError audio_segment)
    job = SceneJob(scene="backprop_pool", key="k", version=code_version(), lecture_path=str(DEFAULT_CONFIG),
                   lecture_text=DEFAULT_CONFIG.read_bytes(), values=None, voice="espeak")
    result = run_task(Task(job, span=(3, 4)))
    with av.open(io.BytesIO(result.files["chunk.mp4"])) as clip:
        assert [st.type for st in clip.streams] == ["video"]  # the joined clip gets the plan's whole track
        assert sum(1 for _ in clip.decode(video=0)) > 0


def test_a_cluster_address_is_checked():
    with pytest.raises(EngineError, match="tcp://HOST:8786"):
        open_engine("127.0.0.1:8786", 1)
    with pytest.raises(EngineError, match="no Dask scheduler answered"):
        DaskEngine("tcp://127.0.0.1:9", timeout=2)


def test_workers_of_the_same_version_are_used_and_another_version_is_refused(tmp_path):
    # a copy of the project with one source line changed: a worker started from it runs another version
    other = tmp_path / "other"
    for name in ("cnnviz", "scenes"):
        shutil.copytree(ROOT / name, other / name, ignore=shutil.ignore_patterns("__pycache__", "*.mp4", "mnist"))
    shutil.copy(ROOT / "render.py", other / "render.py")
    with open(other / "cnnviz" / "ops.py", "a") as f:
        f.write("\n# a change on the worker's machine\n")
    with local_cluster(1, tmp_path / "logs") as cluster:
        engine = DaskEngine(cluster.address)
        assert set(engine.versions().values()) == {code_version()}
        assert engine.submit(lambda x: x * 2, 21).result(timeout=30) == 42
        engine.close()
        cluster.start_worker("stranger", env={"PYTHONPATH": str(other)}, cwd=other)
        cluster.wait_for_workers(2)
        with pytest.raises(EngineError, match="another version of cnnviz") as refused:
            DaskEngine(cluster.address)
        assert "stranger" in str(refused.value) or "127.0.0.1" in str(refused.value)


def test_the_workers_of_a_cluster_are_read_fresh_not_from_the_clients_cache(tmp_path):
    # the client refreshes a cache of the scheduler's identity every few seconds without the workers in it;
    # reading the workers from that cache reported every worker lost now and then (a CI run saw both "lost")
    import dask

    with local_cluster(2, tmp_path / "logs") as cluster, \
            dask.config.set({"distributed.client.scheduler-info-interval": "2ms"}):
        engine = DaskEngine(cluster.address)
        try:
            seen = [engine.workers() for _ in range(300)]
        finally:
            engine.close()
    assert all(len(s) == 2 for s in seen), sorted({len(s) for s in seen})
