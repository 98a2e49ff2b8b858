"""What narration costs: espeak-ng synthesis and the subtitle remux, against the scene's whole render.

For each scene: render it at -ql through the pipeline (``--voice espeak``, forced, a cold voice cache), then
synthesise every line it spoke again into another cold cache and remux its clip with its subtitles, timing
both. Rounds are interleaved across scenes and repeated; the figure is the median of
(synthesis + remux) / render. Goal: at most 5 %.

    .venv/bin/python benchmarks/bench_narration.py [--repeat 3] [--quality l] [ID ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz.config import load_config  # noqa: E402
from cnnviz.narration import Voice, speak  # noqa: E402
from cnnviz.pipeline import RenderOptions, render_scenes  # noqa: E402
from cnnviz.subtitles import cues_from_json, mux_subtitles  # noqa: E402


def one_round(scene_id: str, quality: str, work: Path) -> tuple[float, float, float]:
    os.environ["XDG_CACHE_HOME"] = str(work / "cache-render")  # the render's own lines: synthesised cold
    lecture = load_config()
    out = work / "out"
    [res] = render_scenes([scene_id], lecture, RenderOptions(quality=quality, out_dir=out, force=True, voice="espeak"))
    assert res.ok, res.error
    doc = json.loads((out / f"{scene_id}.json").read_text(encoding="utf-8"))
    os.environ["XDG_CACHE_HOME"] = str(work / f"cache-{time.monotonic_ns()}")  # cold again
    start = time.perf_counter()
    for line in doc["narration"]:
        speak(line["text"], doc["language"], Voice("espeak"), scene_id=scene_id, number=line["line"])
    synth = time.perf_counter() - start
    start = time.perf_counter()
    mux_subtitles(out / f"{scene_id}.mp4", cues_from_json(doc), doc["language"], work / "muxed.mp4")
    mux = time.perf_counter() - start
    return res.seconds, synth, mux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ids", nargs="*", default=["conv1d", "conv2d", "pooling"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quality", default="l")
    args = ap.parse_args()
    ratios: dict[str, list[float]] = {i: [] for i in args.ids}
    rows: dict[str, list[tuple[float, float, float]]] = {i: [] for i in args.ids}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for scene_id in args.ids:  # interleaved: a slow moment of the machine hits every scene alike
                render, synth, mux = one_round(scene_id, args.quality, Path(tmp) / scene_id)
                rows[scene_id].append((render, synth, mux))
                ratios[scene_id].append((synth + mux) / render)
    print(f"{'scene':<14} {'render s':>9} {'espeak s':>9} {'remux s':>8} {'share':>7}")
    for scene_id in args.ids:
        render, synth, mux = (statistics.median(x) for x in zip(*rows[scene_id]))
        print(f"{scene_id:<14} {render:9.2f} {synth:9.3f} {mux:8.3f} {100 * statistics.median(ratios[scene_id]):6.2f}%")


if __name__ == "__main__":
    main()
