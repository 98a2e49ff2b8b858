"""Render benchmark: seconds of render per second of video, for each scene, against a floor.

    .venv/bin/python benchmarks/bench_render.py [--quality l h] [--repeat N] [SCENE ...]

For each scene and quality it renders the scene cold (``--disable_caching``), then a static scene of
the same length, resolution and frame rate (what encoding alone costs), in the same run, and prints
their ratio. Goals: <= 3x the floor at -ql and <= 1.5x at -qh.

As the render pipeline does for one scene (``render.py render ID``), the scene's values are computed in
this process (torch is imported once) and handed to the Manim process in a file; their time is printed in
its own column. The scene builds its texts and formulas ahead on the free core, as the pipeline lets it
when it renders fewer scenes than jobs (``scenes/speedups/ahead.py``). Both Manim processes run from the
repository root, so both read its ``manim.cfg``, and both are encoded with the pipeline's settings
(``cnnviz.pipeline.ENCODER_OPTIONS``).

Each scene renders twice: ``cold`` (empty LaTeX and Pango caches and an empty ``XDG_CACHE_HOME``,
so the preloaded LaTeX format is built too, as on a fresh machine) and ``warm`` (those caches filled
by the cold render, as for any later render through the pipeline, which keeps them per scene; every
frame is still drawn and encoded).

``--repeat N`` measures each of the three N times, interleaved (cold, warm, floor, cold, ...; every cold
one with fresh caches), and keeps the best of each: on a shared machine whose speed drifts, the fastest
run is the one least disturbed, and interleaving lets the scene and its floor see the same machine.
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
from cnnviz.registry import SCENES  # noqa: E402
from cnnviz.config import load_config  # noqa: E402
from cnnviz.pipeline import MANIM_CONFIG, encoder_args  # noqa: E402
from cnnviz.values import save_values, scene_values  # noqa: E402


def render(path: Path, cls: str, quality: str, media: Path, env: dict[str, str]) -> tuple[float, Path]:
    start = time.perf_counter()
    # the pipeline's encoder settings, for the scene and its floor alike
    subprocess.run([sys.executable, "-m", "manim", "render", f"-q{quality}", "--disable_caching", "--progress_bar",
                    "none", "--config_file", str(MANIM_CONFIG), "--media_dir", str(media), "-v", "WARNING", *encoder_args(quality), str(path), cls],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, next(media.rglob(f"{cls}.mp4"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenes", nargs="*", help="scene ids (default: every scene with a file)")
    parser.add_argument("--quality", nargs="+", default=["l", "h"], choices=["l", "m", "h", "k"])
    parser.add_argument("--warm", action=argparse.BooleanOptionalAction, default=True,
                        help="also render each scene again with its caches filled (--no-warm: cold only)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="measure each render N times, interleaved, and keep the best (default: 1)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    infos = [s for s in SCENES if (ROOT / s.path).exists() and (not args.scenes or s.id in args.scenes)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    lecture = load_config(None)  # the default lecture's parameters, as the scenes read them
    print(f"{'scene':<20} {'q':>2} {'video s':>8} {'values s':>9} {'cold s':>7} {'warm s':>7} {'floor s':>8} "
          f"{'cold x':>7} {'warm x':>7}")
    for q in args.quality:
        for info in infos:
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                params = lecture.entry(info.id).params
                save_values(Path(tmp) / "values.pkl", info.id, params, scene_values(info.id, params))
                values = time.perf_counter() - start
                cold = warm = floor = float("inf")
                for run in range(args.repeat):
                    media = Path(tmp) / f"scene{run}"  # a fresh Manim media folder and cache home: cold
                    scene_env = {**env, "CNNVIZ_VALUES": str(Path(tmp) / "values.pkl"),
                                 "CNNVIZ_EXIT_AFTER_RENDER": "1",  # as the pipeline renders a scene
                                 "XDG_CACHE_HOME": str(Path(tmp) / f"xdg{run}")}
                    seconds, clip = render(ROOT / info.path, info.cls, q, media, scene_env)
                    cold, length = min(cold, seconds), clip_seconds(clip)
                    warm = (min(warm, render(ROOT / info.path, info.cls, q, media, scene_env)[0]) if args.warm
                            else float("nan"))
                    floor = min(floor, render(ROOT / "benchmarks" / "floor_scene.py", "StaticFloor", q,
                                              Path(tmp) / f"floor{run}",
                                              {**env, "CNNVIZ_FLOOR_SECONDS": f"{length:.3f}"})[0])
            print(f"{info.id:<20} {q:>2} {length:8.1f} {values:9.2f} {cold:7.1f} {warm:7.1f} {floor:8.1f} "
                  f"{cold / floor:7.2f} {warm / floor:7.2f}", flush=True)

if __name__ == "__main__":
    main()
