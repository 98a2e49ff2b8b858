"""The render pipeline's unit of work: one task renders a scene's plan or one chunk of it.

A task is pure: what it reads is in it (the scene id, the lecture file's text with the scene's validated
parameters, the values the client computed, the render options, the chunk's range) and what it makes is
returned as bytes, which the client writes into place atomically (:mod:`cnnviz.pipeline`). So a task runs
the same in a thread of this process (the local pool) or on a worker of a distributed engine
(:mod:`cnnviz.engine`), and a task that dies half-way leaves nothing behind but its temporary folder.
Finished work also goes into the shared :class:`~cnnviz.store.Store`, where any machine finds it.

A worker must run the client's version of the project: :func:`code_version` hashes its sources (and the
Manim and Python versions), and a task from a client with another version is refused.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .chunks import video_only
from .paths import cache_dir
from .pipeline import manim_command
from .registry import ROOT, scene_spec
from .scene_env import SceneEnv
from .sound import encode_narration
from .store import Store

__all__ = ["SceneJob", "Task", "TaskError", "TaskResult", "VersionMismatch", "code_version", "run_task"]

#: skip every play: a plan render (Manim's -n takes FIRST[,LAST]; no scene has this many plays)
_PLAN_FROM = 10**9
_HASHED_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".cfg", ".j2", ".tex"}


class TaskError(RuntimeError):
    """A scene's Manim process failed; the message ends with its last lines of output."""


class VersionMismatch(RuntimeError):
    """The worker runs another version of the project than the client that sent the task."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of this installation's project sources (``cnnviz/``, ``scenes/``, ``render.py``) and of its Manim
    and Python versions: two machines with the same value render the same frames."""
    from importlib.metadata import version  # not `import manim`: the core never imports it

    h = hashlib.sha256(f"manim {version('manim')} python {platform.python_version()}".encode())
    files = [ROOT / "render.py"] + sorted(p for d in ("cnnviz", "scenes") for p in (ROOT / d).rglob("*")
                                          if p.suffix in _HASHED_SUFFIXES and "__pycache__" not in p.parts)
    for path in files:
        if path.is_file():
            h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class SceneJob:
    """What every task of one scene needs (see the module's docstring)."""

    scene: str
    key: str  # cnnviz.pipeline.cache_key: the scene's code, config entry and options
    version: str  # the client's code_version()
    lecture_path: str
    lecture_text: bytes
    values: bytes | None
    quality: str = "l"
    language: str | None = None
    theme: str | None = None
    voice: str = "espeak"
    speedups: bool = True
    encoder_args: tuple[str, ...] = ()
    store: str | None = None


@dataclass(frozen=True)
class Task:
    """A scene's plan (``span=None``) or the chunk of its plays ``span = (first, last)``."""

    job: SceneJob
    span: tuple[int, int] | None = None

    @property
    def name(self) -> str:
        what = "plan" if self.span is None else f"{self.span[0]}-{self.span[1]}"
        return f"{self.job.scene}-{self.job.key}-{what}"


@dataclass
class TaskResult:
    task: str
    files: dict[str, bytes]
    seconds: float
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    from_store: bool = False


def _lecture_file(job: SceneJob, work: Path) -> Path:
    """The lecture file itself where this machine has it unchanged (so paths it names relative to itself
    resolve), else a copy of its text in ``work``."""
    original = Path(job.lecture_path)
    try:
        if original.is_file() and original.read_bytes() == job.lecture_text:
            return original
    except OSError:
        pass
    copy = work / original.name
    copy.write_bytes(job.lecture_text)
    return copy


def run_task(task: Task) -> TaskResult:
    """Render ``task`` (in a ``manim render`` process of its own) and return its files by name.

    A plan returns ``plan.json``, ``<id>.json`` and, when narrated, ``narration.aac``; a chunk returns
    ``chunk.mp4``. Raises :class:`VersionMismatch` or :class:`TaskError`.
    """
    start = time.perf_counter()
    job = task.job
    mine = code_version()
    if job.version != mine:
        raise VersionMismatch(f"worker {socket.gethostname()} (pid {os.getpid()}) runs cnnviz code {mine}, the client "
                              f"{job.version}: start the worker from the client's version of the project")
    store = Store(job.store) if job.store else None
    if store is not None and (found := store.read(task.name)) is not None:
        return TaskResult(task.name, found, time.perf_counter() - start, from_store=True)
    info = scene_spec(job.scene)
    with tempfile.TemporaryDirectory(prefix=f"{task.name}-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        values = None
        if job.values is not None:
            values = work / "values.pkl"
            values.write_bytes(job.values)
        plan_dir = work / "plan"
        env = SceneEnv(config=_lecture_file(job, work), language=job.language, theme=job.theme, json_dir=work,
                       values=values, manim_cache=cache_dir() / "manim" / job.scene, build_ahead=False,
                       exit_after_render=True, speedups=job.speedups, voice=job.voice,
                       plan=plan_dir if task.span is None else None)
        media = work / "media"
        cmd = [*manim_command(job.quality, media, job.scene), "--format", "mp4", *job.encoder_args]
        if task.span is None:
            cmd += ["--save_sections", "-n", str(_PLAN_FROM)]
        else:
            cmd += ["-n", f"{task.span[0]},{task.span[1]}"]
        done = subprocess.run(cmd + [str(ROOT / info.path), info.scene_class], cwd=ROOT, capture_output=True, text=True,
                              env=SceneEnv.child_environ(os.environ, env))
        files: dict[str, bytes] = {}
        if task.span is None:
            if (work / "narration.wav").exists() and done.returncode == 0:
                encode_narration(work / "narration.wav", work / "narration.aac")
            wanted = {"plan.json": plan_dir / "plan.json", f"{job.scene}.json": work / f"{job.scene}.json",
                      "narration.aac": work / "narration.aac"}
            files = {name: p.read_bytes() for name, p in wanted.items() if p.exists()}
            complete = "plan.json" in files and f"{job.scene}.json" in files
        else:
            made = sorted(p for p in media.rglob(f"{job.scene}.mp4") if "partial" not in str(p))
            if made and done.returncode == 0:
                video_only(made[0], work / "chunk.mp4")  # the joined clip gets the plan's whole sound track
                files = {"chunk.mp4": (work / "chunk.mp4").read_bytes()}
            complete = bool(files)
        if done.returncode != 0 or not complete:
            tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
            raise TaskError(f"{task.name}: " + ("\n".join(tail) or f"manim exited with {done.returncode}"))
    if store is not None:
        store.put(task.name, files)
    return TaskResult(task.name, files, time.perf_counter() - start)
