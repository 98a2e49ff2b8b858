"""A real Dask cluster for the tests: a scheduler and worker processes on 127.0.0.1, stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cnnviz.registry import ROOT

__all__ = ["Cluster", "local_cluster"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Path | None = None

    def start_worker(self, name: str, *, env: Mapping[str, str] | None = None, cwd: Path = ROOT) -> None:
        log = open(self.logs / f"{name}.log", "w") if self.logs else subprocess.DEVNULL
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--name", name, "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60"],
            cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)

    def wait_for_workers(self, n: int, timeout: float = 90.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill(self, name: str) -> None:
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait(timeout=30)


@contextlib.contextmanager
def local_cluster(n_workers: int, logs: Path, *, env: Mapping[str, str] | None = None) -> Iterator[Cluster]:
    """A scheduler on 127.0.0.1 and ``n_workers`` single-threaded worker processes (no nanny: a killed worker
    stays dead), all stopped on exit."""
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], cwd=ROOT, stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)
    cluster = Cluster(f"tcp://127.0.0.1:{port}", scheduler, logs=logs)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        for i in range(n_workers):
            cluster.start_worker(f"w{i}", env=env)
        cluster.wait_for_workers(n_workers)
        yield cluster
    finally:
        for proc in [*cluster.workers.values(), scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*cluster.workers.values(), scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
