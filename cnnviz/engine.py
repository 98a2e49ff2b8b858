"""Where the render pipeline's tasks run: one small interface, two engines.

:class:`LocalEngine` (the default, no server) runs tasks on ``jobs`` threads of this process, highest
priority first; each task runs its own Manim process. :class:`DaskEngine` (``--cluster tcp://HOST:8786``)
hands the same tasks to a Dask distributed scheduler, which runs them on its workers, reruns the task of
a worker that dies on another one, and returns the task's bytes to this client.

Why Dask rather than Ray: a task here is a Python function returning bytes, which is Dask's ``submit``
exactly; Dask is pure Python (``pip install distributed``, no native daemon), a scheduler and workers are
two commands (``dask scheduler``, ``dask worker``), and tests start both as plain processes on
127.0.0.1 within seconds. Ray would serve as well but brings a large native runtime and its own object
store for what is, for us, a few megabytes per task.

Both return :class:`concurrent.futures.Future`-like objects (``add_done_callback``, ``result``).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

__all__ = ["DaskEngine", "Engine", "EngineError", "LocalEngine", "open_engine"]


class EngineError(RuntimeError):
    """The engine cannot be used (no scheduler at the address, a worker of another version …); the message
    says what and how to fix it."""


class Engine(Protocol):
    """What the pipeline asks of an engine."""

    def submit(self, fn: Callable[[Any], Any], arg: Any, *, priority: float = 0, key: str | None = None) -> Any:
        """Run ``fn(arg)`` somewhere; higher ``priority`` first. Returns a future."""

    def workers(self) -> set[str]:
        """The workers there are now (for reporting lost ones)."""

    def versions(self) -> dict[str, str]:
        """Each worker's :func:`cnnviz.tasks.code_version`."""

    def close(self) -> None:
        """Stop using the engine (a cluster's scheduler and workers keep running)."""


class LocalEngine:
    """``jobs`` threads of this process taking tasks by priority (the longest first, as the pipeline asks)."""

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, int(jobs))
        self._heap: list[tuple[float, int, Callable[[Any], Any], Any, Future]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"cnnviz-local-{i}", daemon=True)
                         for i in range(self.jobs)]
        for t in self._threads:
            t.start()

    def __repr__(self) -> str:
        return f"LocalEngine(jobs={self.jobs})"

    def submit(self, fn: Callable[[Any], Any], arg: Any, *, priority: float = 0, key: str | None = None) -> Future:
        future: Future = Future()
        with self._ready:
            if self._closed:
                raise EngineError("the local engine is closed")
            heapq.heappush(self._heap, (-priority, next(self._order), fn, arg, future))
            self._ready.notify()
        return future

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._heap and not self._closed:
                    self._ready.wait()
                if not self._heap:
                    return
                _, _, fn, arg, future = heapq.heappop(self._heap)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(arg))
            except BaseException as exc:  # the task's failure is the future's, never the thread's
                future.set_exception(exc)

    def workers(self) -> set[str]:
        return {t.name for t in self._threads}

    def versions(self) -> dict[str, str]:
        from .tasks import code_version

        return dict.fromkeys(self.workers(), code_version())

    def close(self) -> None:
        with self._ready:
            self._closed = True
            for *_, future in self._heap:
                future.cancel()
            self._heap.clear()
            self._ready.notify_all()
        for t in self._threads:
            t.join()


class DaskEngine:
    """A Dask distributed scheduler at ``address`` (``tcp://HOST:8786``) and its workers.

    On connecting, every worker's project version is compared with this client's: a worker of another
    version is refused (:class:`EngineError`) rather than silently used; a task also checks it where it runs.
    """

    def __init__(self, address: str, *, timeout: float = 10.0, check_versions: bool = True) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EngineError(f"--cluster needs Dask distributed ({exc}); pip install distributed") from None
        self.address = address
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(f"--cluster {address}: no Dask scheduler answered ({exc}); start one with "
                              f"`dask scheduler` and workers with `dask worker {address}` "
                              f"(README, \"Rendering on a cluster\")") from None
        if check_versions:
            self.check_versions()

    def __repr__(self) -> str:
        return f"DaskEngine({self.address!r})"

    def check_versions(self) -> None:
        from .tasks import code_version

        mine = code_version()
        other = {w: v for w, v in self.versions().items() if v != mine}
        if other:
            listed = ", ".join(f"{w} ({v})" for w, v in sorted(other.items()))
            self.close()
            raise EngineError(f"--cluster {self.address}: worker(s) {listed} run another version of cnnviz than this "
                              f"client ({mine}); start them from the same version of the project (README, "
                              f"\"Rendering on a cluster\")")

    def submit(self, fn: Callable[[Any], Any], arg: Any, *, priority: float = 0, key: str | None = None) -> Any:
        return self.client.submit(fn, arg, priority=int(priority), key=key, pure=False)

    def workers(self) -> set[str]:
        # asked of the scheduler each time: Client.scheduler_info() returns a cache that the client's own
        # periodic refresh overwrites (without the workers) at any moment, which read as "every worker lost"
        info = self.client.sync(self.client.scheduler.identity, n_workers=-1)
        return set(info.get("workers", {}))

    def versions(self) -> dict[str, str]:
        from .tasks import code_version

        return self.client.run(code_version)

    def close(self) -> None:
        self.client.close()


def open_engine(cluster: str | None, jobs: int) -> Engine:
    """The engine for ``--cluster`` (a Dask scheduler's address) or, with none, the local pool of ``jobs``."""
    if cluster:
        if not cluster.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
            raise EngineError(f"--cluster {cluster}: expected a Dask scheduler address such as tcp://HOST:8786")
        return DaskEngine(cluster)
    return LocalEngine(jobs)
