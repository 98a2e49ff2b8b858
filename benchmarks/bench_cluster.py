"""Cluster benchmark: whole scenes vs chunks, on the local pool and on a Dask cluster; then larger clusters
simulated from the recorded task times.

    .venv/bin/python benchmarks/bench_cluster.py [--quality h] [--repeat N] [--chunk-seconds 15] [--voice none] [SCENE ...]
    .venv/bin/python benchmarks/bench_cluster.py --simulate-only

Measured here (default: the default lecture's scenes), each configuration in the same run, interleaved and
repeated (``--repeat``; the best of each is kept, the machine being shared and noisy):

* ``whole, pool N``: today's render, one Manim process per scene, ``--jobs N`` (N = 1, 2);
* ``chunks, pool N``: the same scenes in chunks on the local pool (``--chunk-seconds``);
* ``chunks, dask N``: the same chunks on a Dask scheduler with N single-threaded workers on 127.0.0.1.

Every run renders from scratch (``--force``, an empty store). Printed: wall seconds, the ratio to ``whole,
pool 1``, and how busy both cores were (CPU seconds of all render processes / (wall × cores)).

Then, from the task times the chunked runs recorded (``~/.cache/cnnviz/chunk-seconds.json``: each plan's
and chunk's seconds) and the whole-scene times (``~/.cache/cnnviz/render-seconds.json``), the makespan of
the same work on 4 … 64 workers is simulated: list scheduling, longest first, a scene's chunks released
when its plan is done (as :mod:`cnnviz.graph` submits them), against the bound max(total work / N, longest
task). Goal: chunked makespan <= 1.2 x total / N + the longest chunk.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cnnviz.config import load_config  # noqa: E402
from cnnviz.graph import chunk_times_file  # noqa: E402
from cnnviz.paths import cache_dir  # noqa: E402
from cnnviz.pipeline import RenderOptions, render_scenes  # noqa: E402

WORKERS = (4, 8, 16, 32, 64)


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a process and its waited-for children (utime + stime + cutime + cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run(config: str, n: int, scenes: list[str], quality: str, chunk: float, tmp: Path,
        voice: str = "espeak") -> tuple[float, float]:
    """One render from scratch; returns (wall seconds, CPU seconds of everything that rendered)."""
    out, store = Path(tempfile.mkdtemp(dir=tmp)), Path(tempfile.mkdtemp(dir=tmp))
    lecture = load_config(None)
    opts = RenderOptions(quality=quality, out_dir=out, jobs=n, force=True, store=store, voice=voice,
                         chunk_seconds=0 if config == "whole" else chunk)
    if config == "dask":
        from cluster_support import local_cluster

        with local_cluster(n, tmp / "logs") as cluster:
            before = {name: _proc_cpu(p.pid) for name, p in cluster.workers.items()}
            start = time.perf_counter()
            results = render_scenes(scenes, lecture, RenderOptions(**{**opts.__dict__, "cluster": cluster.address}))
            wall = time.perf_counter() - start
            cpu = sum(_proc_cpu(p.pid) - before[name] for name, p in cluster.workers.items())
    else:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        results = render_scenes(scenes, lecture, opts)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    bad = [r for r in results if not r.ok]
    if bad:
        raise SystemExit(f"{config} x{n}: {bad[0].scene} failed: {bad[0].error}")
    return wall, cpu


def simulate(tasks: list[tuple[float, list[float]]], n: int) -> float:
    """Makespan on ``n`` workers of ``tasks``, each (plan seconds, [chunk seconds]); a whole scene is (seconds,
    []). As cnnviz.graph: plans first; a scene's chunks become ready when its plan ends; a free worker takes
    the longest ready task, or waits for the next plan to end."""
    ready = [(-float("inf"), i, tasks[i][0], i, True) for i in range(len(tasks))]  # (priority, order, s, scene, plan)
    heapq.heapify(ready)
    workers = [(0.0, w) for w in range(n)]  # (free at, worker)
    releases: list[tuple[float, int]] = []  # (when a plan ends, its scene)
    order, end = len(tasks), 0.0
    while ready or releases:
        t, w = heapq.heappop(workers)
        while releases and releases[0][0] <= t:
            _, i = heapq.heappop(releases)
            for s in tasks[i][1]:
                order += 1
                heapq.heappush(ready, (-s, order, s, i, False))
        if not ready:  # idle until the next plan ends
            heapq.heappush(workers, (releases[0][0], w))
            continue
        _, _, seconds, i, is_plan = heapq.heappop(ready)
        done = t + seconds
        end = max(end, done)
        if is_plan and tasks[i][1]:
            heapq.heappush(releases, (done, i))
        heapq.heappush(workers, (done, w))
    return end


def simulation(quality: str, chunk: float) -> list[str]:
    slot = f"-q{quality} {chunk:g}s"
    try:
        chunks = json.loads(chunk_times_file().read_text())[slot]
        whole = json.loads((cache_dir() / "render-seconds.json").read_text())[f"-q{quality} mp4"]
    except (OSError, ValueError, KeyError) as exc:
        return [f"(no recorded times for {slot}: {exc}; run the measured part first)"]
    scenes = sorted(set(chunks) & set(whole))
    chunked = [(chunks[s]["plan"] or 0.0, [c[3] for c in chunks[s]["chunks"]]) for s in scenes]
    wholes = [(whole[s], []) for s in scenes]
    total = sum(p + sum(c) for p, c in chunked)
    total_whole = sum(w for w, _ in wholes)
    longest_chunk = max(max(c) for _, c in chunked)
    lines = [f"simulated from {len(scenes)} scenes at -q{quality}: whole-scene work {total_whole:.0f} s (longest "
             f"{max(w for w, _ in wholes):.0f} s), chunked work {total:.0f} s in "
             f"{sum(len(c) + 1 for _, c in chunked)} tasks (longest chunk {longest_chunk:.0f} s)",
             "| workers | whole-scene makespan | chunked makespan | bound max(total/N, longest) | goal 1.2·total/N + longest chunk | met |",
             "|---|---|---|---|---|---|"]
    for n in WORKERS:
        mw, mc = simulate(wholes, n), simulate(chunked, n)
        bound = max(total / n, longest_chunk)
        goal = 1.2 * total / n + longest_chunk
        lines.append(f"| {n} | {mw:.0f} s | {mc:.0f} s | {bound:.0f} s | {goal:.0f} s | {'yes' if mc <= goal else 'no'} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenes", nargs="*")
    ap.add_argument("--quality", default="h", choices=["l", "m", "h", "k"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--chunk-seconds", type=float, default=15.0)
    ap.add_argument("--configs", default="whole:1,whole:2,chunks:1,chunks:2,dask:1,dask:2")
    ap.add_argument("--voice", default="espeak", help="narration, as render.py's --voice (none: silent, reading-speed timing)")
    ap.add_argument("--simulate-only", action="store_true")
    args = ap.parse_args()
    if not args.simulate_only:
        scenes = args.scenes or [e.scene for e in load_config(None).scenes]
        configs = [(c.split(":")[0], int(c.split(":")[1])) for c in args.configs.split(",")]
        best: dict[tuple[str, int], tuple[float, float]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat):
                for config, n in configs:
                    wall, cpu = run(config, n, scenes, args.quality, args.chunk_seconds, Path(tmp), args.voice)
                    print(f"  {config:6} x{n}: {wall:7.1f} s wall, {cpu:7.1f} s CPU", flush=True)
                    if (config, n) not in best or wall < best[(config, n)][0]:
                        best[(config, n)] = (wall, cpu)
        base = best.get(("whole", 1), next(iter(best.values())))[0]
        cores = os.cpu_count() or 1
        print(f"\n{len(scenes)} scenes at -q{args.quality}, best of {args.repeat}:")
        print("| configuration | wall | vs whole, pool 1 | cores busy |\n|---|---|---|---|")
        names = {"whole": "whole scenes, pool", "chunks": "chunks, pool", "dask": "chunks, Dask"}
        for (config, n), (wall, cpu) in best.items():
            print(f"| {names[config]} {n} | {wall:.0f} s | {base / wall:.2f}× | {100 * cpu / (wall * min(n, cores)):.0f} % |")
    print()
    print("\n".join(simulation(args.quality, args.chunk_seconds)))


if __name__ == "__main__":
    main()
