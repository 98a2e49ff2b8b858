"""A render as one task graph of chunks, on an engine (:mod:`cnnviz.engine`): the local pool or a cluster.

Each scene to render becomes a plan task (every play skipped: its JSON, its narration track and the frames
of each play, :mod:`cnnviz.chunks`); when a plan arrives its chunks (:func:`cnnviz.chunks.chunk_ranges`)
are submitted, longest first; when a scene's last chunk arrives, this process joins the chunks without
re-encoding, adds subtitles, cuts the section clips and renames everything into ``OUT`` — the same files a
whole-scene render writes, the same frames. Plans go before chunks (a plan is short and unlocks its
scene's chunks), so the workers are busy from the start.

Work already done is never done again: every task's result goes into the shared store
(:mod:`cnnviz.store`), which the client reads before submitting and each worker before rendering; a scene
whose outputs are in ``OUT`` with its cache key is not touched. Killed anywhere, a render leaves only
temporary folders behind, and a rerun reuses everything finished. A worker that disappears mid-task is
reported; the engine runs its task again elsewhere.
"""

from __future__ import annotations

import json
import queue
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chunks import CHUNK_SECONDS, Plan, chunk_ranges, cut_sections, join_chunks, read_plan
from .config import LectureConfig
from .engine import Engine, open_engine
from .paths import atomic_write, cache_dir
from .registry import SceneSpec
from .store import Store, default_store
from .tasks import SceneJob, Task, TaskResult, VersionMismatch, code_version, run_task

__all__ = ["GraphEvents", "Unit", "chunkable", "render_graph", "render_units"]

#: plans before any chunk: they are short and each unlocks its scene's chunks
_PLAN_PRIORITY = 10**9


def chunkable(opts: Any) -> bool:
    """Whether clips of these options render in chunks: MP4, not transparent (the rest render whole)."""
    return opts.format == "mp4" and not opts.transparent


@dataclass
class GraphEvents:
    """What a render in chunks tells its caller as it goes."""

    on_done: Callable[[Any, int, int], None] | None = None  # (RenderResult, scenes done, scenes)
    on_tasks: Callable[[int, int], None] | None = None  # (tasks done, tasks known so far)
    on_message: Callable[[str], None] | None = None  # a worker lost, …
    lost_workers: list[str] = field(default_factory=list)
    task_workers: dict[str, int] = field(default_factory=dict)  # tasks rendered by each worker process


@dataclass
class _Scene:
    info: SceneSpec
    key: str
    job: SceneJob
    work: Path
    opts: Any
    store: Store | None
    plan: Plan | None = None
    ranges: list[tuple[int, int]] = field(default_factory=list)
    chunks: dict[tuple[int, int], Path] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    times: list[list[float]] = field(default_factory=list)  # [first, last, frames, seconds] per fresh chunk
    plan_seconds: float | None = None

    def frames(self, span: tuple[int, int]) -> int:
        assert self.plan is not None
        return sum(p.frames for p in self.plan.plays[span[0]:span[1] + 1])


def _job(info: SceneSpec, key: str, lecture: LectureConfig, path: Path, opts: Any, store: Store | None,
         encoder: Sequence[str]) -> SceneJob:
    values = None
    if opts.values_here:
        from .pipeline import computed_values
        from .values import save_values

        params = lecture.entry(info.id).params
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "values.pkl"
            save_values(file, info.id, params, computed_values(info.id, params))
            values = file.read_bytes()
    return SceneJob(scene=info.id, key=key, version=code_version(), lecture_path=str(path.resolve()),
                    lecture_text=path.read_bytes(), values=values, quality=opts.quality, language=opts.language,
                    theme=opts.theme, voice=opts.voice, speedups=opts.speedups, encoder_args=tuple(encoder),
                    store=str(store.root.resolve()) if store is not None else None)


@dataclass(frozen=True)
class Unit:
    """One clip to render: a scene of a lecture file, with the options (out folder, language, theme …) of its
    render. A course of several lectures, languages and themes is a list of them, one task graph."""

    info: SceneSpec
    lecture: LectureConfig
    path: Path
    opts: Any

    @property
    def label(self) -> str:
        return f"{self.opts.out_dir}/{self.info.id}"


def render_graph(infos: Sequence[SceneSpec], lecture: LectureConfig, path: Path, opts: Any, *,
                 events: GraphEvents | None = None, engine: Engine | None = None) -> list[Any]:
    """Render ``infos`` (in the order to start them) of one lecture in chunks on ``engine`` (default:
    ``--cluster`` or the local pool of ``--jobs``). Returns a :class:`~cnnviz.pipeline.RenderResult` per scene,
    in that order."""
    return render_units([Unit(i, lecture, path, opts) for i in infos], events=events, engine=engine)


def render_units(units: Sequence[Unit], *, events: GraphEvents | None = None, engine: Engine | None = None) -> list[Any]:
    """Render every unit (scene × lecture × options) in chunks as one task graph; results in the units' order."""
    from .pipeline import RenderResult, cache_key, encoder_args, is_complete, write_outputs

    if not units:
        return []
    events = events or GraphEvents()
    own_engine = engine is None
    first = units[0].opts
    engine = engine or open_engine(first.cluster, first.jobs)
    results: dict[str, RenderResult] = {}
    scenes: dict[str, _Scene] = {}
    done_queue: queue.Queue = queue.Queue()
    pending: dict[str, int] = {}  # unit -> tasks in flight
    counts = {"done": 0, "known": 0}
    workers = engine.workers()

    def finish(label: str, res: RenderResult) -> None:
        results[label] = res
        if events.on_done:
            events.on_done(res, len(results), len(units))

    def submit(label: str, scene: _Scene, task: Task, priority: float) -> None:
        counts["known"] += 1
        pending[label] = pending.get(label, 0) + 1
        found = scene.store.read(task.name) if scene.store is not None else None
        if found is not None:  # finished before, on some machine
            done_queue.put((label, task, TaskResult(task.name, found, 0.0, from_store=True), None))
            return
        future = engine.submit(run_task, task, priority=priority, key=task.name)
        future.add_done_callback(lambda f, u=label, t=task: done_queue.put((u, t, None, f)))

    def tell() -> None:
        if events.on_tasks:
            events.on_tasks(counts["done"], counts["known"])

    try:
        for unit in units:
            info, opts, out = unit.info, unit.opts, unit.opts.out_dir
            key = cache_key(info, unit.lecture, opts)
            if not opts.force and is_complete(info, opts, key):
                finish(unit.label, RenderResult(info.id, True, 0.0, out / f"{info.id}.mp4", cached=True))
                continue
            (out / ".work").mkdir(parents=True, exist_ok=True)
            store = None if opts.force else Store(opts.store or default_store())
            try:
                job = _job(info, key, unit.lecture, unit.path, opts, store, encoder_args(opts.quality, opts.format))
            except Exception as exc:  # this scene's values failed: the others go on
                finish(unit.label, RenderResult(info.id, False, 0.0, None, cached=False,
                                                error=f"{type(exc).__name__}: {exc}"))
                continue
            work = Path(tempfile.mkdtemp(prefix=f"{info.id}-", dir=out / ".work"))
            scene = scenes[unit.label] = _Scene(info, key, job, work, opts, store)
            submit(unit.label, scene, Task(job), _PLAN_PRIORITY)
        tell()

        while pending:
            try:
                label, task, result, future = done_queue.get(timeout=1.0)
            except queue.Empty:
                workers = _report_lost(engine, workers, events)
                continue
            workers = _report_lost(engine, workers, events)
            pending[label] -= 1
            if pending[label] == 0:
                del pending[label]
            scene = scenes[label]
            if label in results:  # the scene failed already; drop the rest of its tasks
                continue
            counts["done"] += 1
            try:
                result = result if result is not None else future.result()
            except Exception as exc:
                kind = "refused" if isinstance(exc, VersionMismatch) else "failed"
                finish(label, RenderResult(scene.info.id, False, time.perf_counter() - scene.started, None,
                                           cached=False, error=f"{task.name} {kind}: {type(exc).__name__}: {exc}"))
                continue
            if not result.from_store:
                events.task_workers[result.worker] = events.task_workers.get(result.worker, 0) + 1
            if task.span is None:
                for name, data in result.files.items():
                    (scene.work / name).write_bytes(data)
                scene.plan = read_plan(scene.work / "plan.json")
                scene.plan_seconds = None if result.from_store else result.seconds
                scene.ranges = chunk_ranges(scene.plan, scene.opts.chunk_seconds or CHUNK_SECONDS)
                for span in sorted(scene.ranges, key=lambda r: -scene.frames(r)):  # longest first
                    submit(label, scene, Task(scene.job, span), scene.frames(span))
            else:
                chunk = scene.work / f"chunk-{task.span[0]:05d}-{task.span[1]:05d}.mp4"
                chunk.write_bytes(result.files["chunk.mp4"])
                scene.chunks[task.span] = chunk
                if not result.from_store:
                    scene.times.append([task.span[0], task.span[1], scene.frames(task.span), round(result.seconds, 3)])
                if len(scene.chunks) == len(scene.ranges):
                    finish(label, _assemble(scene, write_outputs))
            tell()
    finally:
        if own_engine:
            engine.close()
        for scene in scenes.values():
            shutil.rmtree(scene.work, ignore_errors=True)
    _record_chunk_seconds(scenes.values())
    return [results[u.label] for u in units]


def _assemble(scene: _Scene, write_outputs: Callable[..., None]) -> Any:
    """The scene's chunks joined, with its sound, subtitles and sections, renamed into ``OUT``."""
    from .pipeline import RenderResult

    opts = scene.opts
    try:
        clip = scene.work / f"{scene.info.id}.mp4"
        sound = scene.work / "narration.aac"
        join_chunks([scene.chunks[r] for r in scene.ranges], clip, sound=sound if sound.exists() else None)
        sections = scene.work / "sections"
        cut_sections(clip, scene.plan, sections)
        write_outputs(scene.info, opts, scene.key, work=scene.work, movie=clip, sections=sections)
    except Exception as exc:
        return RenderResult(scene.info.id, False, time.perf_counter() - scene.started, None, cached=False,
                            error=f"joining the chunks: {type(exc).__name__}: {exc}")
    return RenderResult(scene.info.id, True, time.perf_counter() - scene.started, opts.out_dir / f"{scene.info.id}.mp4",
                        cached=False)


def _report_lost(engine: Engine, before: set[str], events: GraphEvents) -> set[str]:
    try:
        now = engine.workers()
    except Exception:  # the scheduler is busy or gone; the futures will say
        return before
    for worker in sorted(before - now):
        events.lost_workers.append(worker)
        if events.on_message:
            events.on_message(f"worker {worker} was lost; its task runs again on another worker")
    return now


def chunk_times_file() -> Path:
    return cache_dir() / "chunk-seconds.json"


def _record_chunk_seconds(scenes: Any) -> None:
    """Each fresh plan's and chunk's seconds, for the benchmark's simulation of larger clusters."""
    by_slot: dict[str, dict] = {}
    for s in scenes:
        if s.times or s.plan_seconds is not None:
            slot = f"-q{s.opts.quality} {s.opts.chunk_seconds or CHUNK_SECONDS:g}s"
            by_slot.setdefault(slot, {})[s.info.id] = {"plan": s.plan_seconds, "chunks": sorted(s.times)}
    if not by_slot:
        return
    path = chunk_times_file()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc = doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        doc = {}
    for slot, fresh in by_slot.items():
        doc[slot] = {**(doc.get(slot) if isinstance(doc.get(slot), dict) else {}), **fresh}
    try:
        atomic_write(path, lambda f: f.write(json.dumps(doc, indent=1, sort_keys=True).encode()))
    except OSError:
        pass
