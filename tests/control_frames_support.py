"""Graphical tests against stored control frames (Manim's ``frames_comparison`` style), shared by the kit's tests.

A test file declares its scenes, renders them once as stills (:func:`render_stills`), compares each with its
stored frame (:func:`check_against_control`) and checks that the comparison bites (:func:`check_control_bites`).
``CNNVIZ_WRITE_CONTROL_FRAMES=1`` writes the frames anew (look at them before committing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESOLUTION = (240, 135)
#: a pixel differs when a channel moves by more than this (of 255): codec-free PNGs differ only where
#: antialiasing rounds differently
PIXEL_TOLERANCE = 24
#: how many pixels may differ (of 32,400): a glyph or an edge that moves by one pixel changes far more
MAX_DIFFERING = 12


def differing_pixels(frame: np.ndarray, control: np.ndarray) -> int:
    """Pixels where some channel differs by more than :data:`PIXEL_TOLERANCE` (every pixel, if the sizes differ)."""
    if frame.shape != control.shape:
        return int(max(frame.size, control.size))
    diff = np.abs(frame.astype(np.int16) - control.astype(np.int16)).max(axis=-1)
    return int((diff > PIXEL_TOLERANCE).sum())


def frames_match(frame: np.ndarray, control: np.ndarray) -> bool:
    return differing_pixels(frame, control) <= MAX_DIFFERING


def load_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def render_stills(test_file: str, scenes: Sequence[str], tmp: Path) -> dict[str, np.ndarray]:
    """Every scene of ``test_file`` as a still at :data:`RESOLUTION`, rendered once with plain manim."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    cmd = [sys.executable, "-m", "manim", "render", "-s", "-r", f"{RESOLUTION[0]},{RESOLUTION[1]}", "--media_dir",
           str(tmp / "media"), "--disable_caching", "-v", "WARNING", str(Path(test_file).resolve()), *scenes]
    done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    frames = {}
    for name in scenes:
        found = sorted((tmp / "media").rglob(f"{name}*.png"))
        assert len(found) == 1, (name, found)
        frames[name] = load_png(found[0])
    return frames


def check_against_control(name: str, frame: np.ndarray, control_dir: Path) -> None:
    """``frame`` equals the stored ``control_dir/<name>.npz`` within the tolerances (or is written there)."""
    assert frame.shape == (RESOLUTION[1], RESOLUTION[0], 3)
    path = control_dir / f"{name}.npz"
    if os.environ.get("CNNVIZ_WRITE_CONTROL_FRAMES") == "1" or not path.exists():
        control_dir.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, frame=frame)
        pytest.skip(f"wrote the control frame {path.relative_to(ROOT)}; check it, then run again")
    with np.load(path) as stored:
        control = stored["frame"]
    n = differing_pixels(frame, control)
    if n > MAX_DIFFERING:
        failed = Path(os.environ.get("CNNVIZ_FAILED_FRAMES_DIR", ROOT / "out" / "failed_frames"))
        failed.mkdir(parents=True, exist_ok=True)
        from PIL import Image

        Image.fromarray(frame).save(failed / f"{name}.png")
        Image.fromarray(control).save(failed / f"{name}.control.png")
        pytest.fail(f"{name}: {n} pixels differ from the control frame (at most {MAX_DIFFERING}); "
                    f"this frame and the control are in {failed}")


def check_control_bites(name: str, control_dir: Path) -> None:
    """The comparison cannot pass a moved picture: the stored frame, shifted by one pixel either way (or with a
    digit's worth of pixels painted over where it is busiest), no longer matches itself."""
    path = control_dir / f"{name}.npz"
    assert path.exists(), f"missing control frame {path}: run the slow frame tests once to write it"
    with np.load(path) as stored:
        control = stored["frame"]
    assert control.shape == (RESOLUTION[1], RESOLUTION[0], 3) and control.dtype == np.uint8
    assert path.stat().st_size < 60_000
    assert frames_match(control.copy(), control)
    for axis in (0, 1):
        for shift in (1, -1):
            assert not frames_match(np.roll(control, shift, axis=axis), control), (axis, shift)
    background = control[0, 0].astype(int)
    busy = np.abs(control.astype(int) - background).max(axis=-1) > PIXEL_TOLERANCE
    counts = {(y, x): int(busy[y:y + 8, x:x + 8].sum()) for y in range(0, control.shape[0] - 8, 4)
              for x in range(0, control.shape[1] - 8, 4)}
    y, x = max(counts, key=counts.get)
    blotted = control.copy()
    blotted[y:y + 8, x:x + 8] = control[0, 0]
    assert not frames_match(blotted, control)
