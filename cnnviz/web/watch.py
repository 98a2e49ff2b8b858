"""What ``preview --watch`` watches, and the watcher that says which scenes to render again.

:func:`watched_files` maps each file to the scenes it concerns: for every watched scene, the files its clip
depends on as the registry lists them (:func:`cnnviz.registry.source_files`: its scene file, its helper files
such as ``scenes/backprop_parts.py``, the shared scene modules, the computation core, its assets), plus the
lecture config, which concerns them all. The render cache hashes the same list, so whatever re-renders a clip
in the pipeline re-renders it in the preview.

:class:`Watcher` has the operating system report changes (``watchdog``: inotify, FSEvents, ReadDirectoryChangesW;
polling where none works) in the folders of those files, and folds a burst of events (an editor's save is
several: a temporary file, a rename, a write, a close) into one answer once the folder has been quiet for
``debounce`` seconds. An event that changes nothing (a file opened, read or its access time touched) is
dropped: each file's (mtime, size, inode) is compared with the last seen.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["Watcher", "WatchError", "watched_files"]

Stamp = tuple[int, int, int] | None


class WatchError(RuntimeError):
    """The sources cannot be watched (no ``watchdog``, or no folder to watch); the message says why."""


def watched_files(scene_ids: Iterable[str], config_path: Path | None, *, root: Path | None = None,
                  ) -> dict[Path, set[str] | None]:
    """Files whose change re-renders scenes: path → the scene ids it concerns (None: every watched one).

    ``root`` is the project root the scene files are looked up in (default: this checkout), as for
    :func:`cnnviz.registry.source_files`.
    """
    from ..config import DEFAULT_CONFIG
    from ..registry import ROOT, source_files

    files: dict[Path, set[str] | None] = {Path(config_path or DEFAULT_CONFIG).resolve(): None}
    for scene_id in scene_ids:
        for path in source_files(scene_id, ROOT if root is None else root):
            concerns = files.setdefault(Path(os.path.abspath(path)), set())
            if concerns is not None:
                concerns.add(scene_id)
    return files


def _stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class Watcher:
    """Watches ``files`` (see :func:`watched_files`); :meth:`changed` waits for the next change.

    Use it as a context manager (or :meth:`start` / :meth:`stop`)::

        with Watcher(watched_files(ids, config), ids) as watcher:
            while True:
                files, scenes = watcher.changed(timeout=1.0)
    """

    def __init__(self, files: dict[Path, set[str] | None], scene_ids: Iterable[str], *, debounce: float = 0.2,
                 settle_max: float = 2.0, polling: bool = False) -> None:
        self.files = {Path(os.path.abspath(p)): concerns for p, concerns in files.items()}
        self.scene_ids = list(scene_ids)
        self.debounce = debounce
        self.settle_max = settle_max  # a burst that never stops still gets an answer after this long
        self.polling = polling
        self._stamps: dict[Path, Stamp] = {p: _stamp(p) for p in self.files}
        self._pending: set[Path] = set()
        self._last_event = 0.0
        self._cond = threading.Condition()
        self._observer: Any = None

    # ------------------------------------------------------------------ life
    def start(self) -> Watcher:
        try:  # imported here: only `preview --watch` needs it (Manim depends on it, so it is installed)
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
            from watchdog.observers.polling import PollingObserver
        except ImportError as exc:
            raise WatchError(f"--watch needs the watchdog package ({exc}); install it with "
                             "`.venv/bin/python -m pip install watchdog`") from None
        folders = sorted({p.parent for p in self.files if p.parent.is_dir()})
        if not folders:
            raise WatchError("none of the watched files' folders exists: " + ", ".join(map(str, self.files)))
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher._on_event(event)

        for cls in ([PollingObserver] if self.polling else [Observer, PollingObserver]):
            observer = cls(timeout=0.2) if cls is PollingObserver else cls()
            try:
                for folder in folders:
                    observer.schedule(Handler(), str(folder), recursive=False)
                observer.start()
            except OSError:  # e.g. inotify's watch limit reached: polling still works
                if cls is PollingObserver:
                    raise
                continue
            self._observer = observer
            break
        return self

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def __enter__(self) -> Watcher:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ events
    def _on_event(self, event: Any) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        hits = []
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(os.path.abspath(os.fsdecode(raw)))
                if path in self.files:
                    hits.append(path)
        if hits:
            with self._cond:
                self._pending.update(hits)
                self._last_event = time.monotonic()
                self._cond.notify_all()

    def scenes_for(self, paths: Iterable[Path]) -> list[str]:
        """The watched scenes that ``paths`` concern, in the watched order."""
        scenes: set[str] = set()
        for p in paths:
            concerns = self.files.get(Path(os.path.abspath(p)))
            scenes |= set(self.scene_ids) if concerns is None else concerns
        return [i for i in self.scene_ids if i in scenes]

    def changed(self, timeout: float | None = None) -> tuple[list[Path], list[str]]:
        """Wait for a change and return (changed files, scene ids to render again); ``([], [])`` when
        ``timeout`` seconds pass without one. A burst of events counts once it has been quiet for
        ``debounce`` seconds (at most ``settle_max`` after it began)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                while not self._pending:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return [], []
                    self._cond.wait(left)
                began = time.monotonic()
                while True:  # the burst: wait until it has been quiet for `debounce`
                    quiet = self.debounce - (time.monotonic() - self._last_event)
                    if quiet <= 0 or time.monotonic() - began >= self.settle_max:
                        break
                    self._cond.wait(min(quiet, self.settle_max))
                paths, self._pending = self._pending, set()
                changed = []
                for p in sorted(paths):
                    now = _stamp(p)
                    if now != self._stamps.get(p):
                        self._stamps[p] = now
                        changed.append(p)
                if changed:
                    return changed, self.scenes_for(changed)
                # only events that changed nothing (an access time, a file opened): keep waiting
