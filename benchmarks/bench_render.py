"""Render benchmark: seconds of render per second of video, for each scene, against a floor.

    .venv/bin/python benchmarks/bench_render.py [--quality l h] [SCENE ...]

For each scene and quality it renders the scene cold (``--disable_caching``), then a static scene of
the same length, resolution and frame rate (what encoding alone costs), in the same run, and prints
their ratio. Goals: <= 3x the floor at -ql and <= 1.5x at -qh.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz.assemble import clip_seconds  # noqa: E402
from cnnviz.catalog import SCENES  # noqa: E402


def render(path: Path, cls: str, quality: str, media: Path, env: dict[str, str]) -> tuple[float, Path]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "manim", "render", f"-q{quality}", "--disable_caching", "--progress_bar", "none", "--media_dir",
                    str(media), "-v", "WARNING", str(path), cls], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, next(media.rglob(f"{cls}.mp4"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenes", nargs="*", help="scene ids (default: every scene with a file)")
    parser.add_argument("--quality", nargs="+", default=["l", "h"], choices=["l", "m", "h", "k"])
    args = parser.parse_args()
    infos = [s for s in SCENES if (ROOT / s.path).exists() and (not args.scenes or s.id in args.scenes)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    print(f"{'scene':<20} {'q':>2} {'video s':>8} {'render s':>9} {'floor s':>8} {'ratio':>6}")
    for q in args.quality:
        for info in infos:
            with tempfile.TemporaryDirectory() as tmp:
                took, clip = render(ROOT / info.path, info.cls, q, Path(tmp) / "scene", env)
                length = clip_seconds(clip)
                floor, _ = render(ROOT / "benchmarks" / "floor_scene.py", "StaticFloor", q, Path(tmp) / "floor",
                                  {**env, "CNNVIZ_FLOOR_SECONDS": f"{length:.3f}"})
            print(f"{info.id:<20} {q:>2} {length:8.1f} {took:9.1f} {floor:8.1f} {took / floor:6.2f}", flush=True)


if __name__ == "__main__":
    main()
