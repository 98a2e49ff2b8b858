"""Graphical tests of scenes.kit, in the manner of Manim's ``frames_comparison``: each scene below is rendered
as a still (the last frame, 240×135) with plain ``manim`` and compared with its stored control frame,
``tests/control_frames/kit/<Scene>.npz``.

A missing control frame is written (and its test skipped, saying so); ``CNNVIZ_WRITE_CONTROL_FRAMES=1`` rewrites
them all. Control frames depend on the fonts (Noto Sans CJK, installed by ``make setup``) and Cairo/Pango of the
machine that wrote them.

This file is also the scene file the test renders: ``manim -s -r 240,135 tests/test_kit_frames.py KitConvTwoSteps``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from manim import DOWN, FadeIn, Scene

from cnnviz import conv1d_trace, conv2d_trace, max_pool2d_trace
from scenes.kit import FeatureMap, NumberGrid, SlidingWindow, TensorVolume, Theme

ROOT = Path(__file__).resolve().parents[1]
CONTROL = ROOT / "tests" / "control_frames" / "kit"
RESOLUTION = (240, 135)

#: a pixel differs when a channel moves by more than this (of 255): codec-free PNGs differ only where
#: antialiasing rounds differently
PIXEL_TOLERANCE = 24
#: how many pixels may differ (of 32,400): a glyph or an edge that moves by one pixel changes far more
MAX_DIFFERING = 12


# ----------------------------------------------------------------- the scenes
class KitScene(Scene):
    theme = Theme.dark()

    def setup(self) -> None:
        self.camera.background_color = self.theme.background

    def slide(self, trace, steps: int, **options) -> SlidingWindow:
        window = SlidingWindow(trace, theme=self.theme, **options)
        self.play(FadeIn(window))
        for n, step in enumerate(window.steps()):
            if n == steps:
                break
            self.play(step)
        return window


class KitGridPadding(KitScene):
    def construct(self) -> None:
        trace = conv2d_trace(np.arange(9.0).reshape(3, 3) - 4, np.ones((2, 2)), padding=1)
        self.add(NumberGrid(trace.padded_input, theme=self.theme, padding_mask=trace.padding_mask, cell=1.1))


class KitVolume(KitScene):
    def construct(self) -> None:
        self.add(TensorVolume(np.arange(48.0).reshape(3, 4, 4), theme=self.theme, role="output", cell=0.9,
                              shape_label=True).move_to(DOWN * 0.2))


class KitFeatureMapSigned(KitScene):
    def construct(self) -> None:
        x = np.linspace(-1, 1, 8)
        self.add(FeatureMap(np.outer(x, np.sin(3 * x)), theme=self.theme, signed=True, height=6.0))


class KitConvTwoSteps(KitScene):
    def construct(self) -> None:
        self.slide(conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), stride=2, padding=1), 2)


class KitMaxPoolTwoSteps(KitScene):
    def construct(self) -> None:
        x = np.array([[1.0, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 3, 4, 6]])
        self.slide(max_pool2d_trace(x, 2), 2)


class KitConv1d(KitScene):
    def construct(self) -> None:
        self.slide(conv1d_trace(np.array([1.0, 2, -1, 3, 0, 2, 1, -2]), np.array([1.0, 0, -1]), padding=1), 2)


class KitDilatedSolarized(KitScene):
    theme = Theme.solarized()

    def construct(self) -> None:
        x = (np.arange(36.0).reshape(6, 6) % 7) - 3
        self.slide(conv2d_trace(x, np.array([[1.0, 0], [-1, 2]]), dilation=2, bias=1), 1)


class KitConvAsideInRegion(KitScene):
    """As the lecture's scenes draw a window: between a title and a caption band, named, the panel aside."""

    def construct(self) -> None:
        x = np.arange(25.0).reshape(5, 5) % 4
        self.slide(conv2d_trace(x, np.array([[1.0, 0, -1]] * 3)), 2, symbols=("A", "W", "Z"), field=3,
                   panel="aside", region=(-6.4, -3.0, 6.4, 2.9), cell=1.0, text_size=28)


class KitStackedConv1dChinese(KitScene):
    theme = Theme.solarized()

    def construct(self) -> None:
        self.slide(conv1d_trace(np.array([1.0, 2, 0, 3, 1, 2]), np.array([1.0, 0, -1])), 2, symbols=("x", "w", "a"),
                   indices=True, layout="stacked", working="sum", language="zh")


SCENES = ["KitGridPadding", "KitVolume", "KitFeatureMapSigned", "KitConvTwoSteps", "KitMaxPoolTwoSteps", "KitConv1d",
          "KitDilatedSolarized", "KitConvAsideInRegion", "KitStackedConv1dChinese"]


# ----------------------------------------------------------------- comparing
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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, np.ndarray]:
    """Every scene above as a still, rendered once with plain manim in a folder of its own."""
    tmp = tmp_path_factory.mktemp("kit-frames")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    cmd = [sys.executable, "-m", "manim", "render", "-s", "-r", f"{RESOLUTION[0]},{RESOLUTION[1]}", "--media_dir",
           str(tmp / "media"), "--disable_caching", "-v", "WARNING", str(Path(__file__).resolve()), *SCENES]
    done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    frames = {}
    for name in SCENES:
        found = sorted((tmp / "media").rglob(f"{name}*.png"))
        assert len(found) == 1, (name, found)
        frames[name] = load_png(found[0])
    return frames


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_kit_frame_matches_its_control_frame(name, rendered):
    frame = rendered[name]
    assert frame.shape == (RESOLUTION[1], RESOLUTION[0], 3)
    path = CONTROL / f"{name}.npz"
    if os.environ.get("CNNVIZ_WRITE_CONTROL_FRAMES") == "1" or not path.exists():
        CONTROL.mkdir(parents=True, exist_ok=True)
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


@pytest.mark.parametrize("name", SCENES)
def test_control_frames_are_stored_and_a_one_pixel_shift_fails_the_comparison(name):
    """The comparison cannot pass a moved picture: every stored frame, shifted by one pixel either way (or
    with one number's worth of pixels changed), no longer matches itself."""
    path = CONTROL / f"{name}.npz"
    assert path.exists(), f"missing control frame {path}: run the slow frame tests once to write it"
    with np.load(path) as stored:
        control = stored["frame"]
    assert control.shape == (RESOLUTION[1], RESOLUTION[0], 3) and control.dtype == np.uint8
    assert path.stat().st_size < 60_000
    assert frames_match(control.copy(), control)
    for axis in (0, 1):
        for shift in (1, -1):
            assert not frames_match(np.roll(control, shift, axis=axis), control), (axis, shift)
    # an 8x8 patch (a digit's size here) painted over with the background, where the frame is busiest
    background = control[0, 0].astype(int)
    busy = np.abs(control.astype(int) - background).max(axis=-1) > PIXEL_TOLERANCE
    counts = {(y, x): int(busy[y:y + 8, x:x + 8].sum()) for y in range(0, control.shape[0] - 8, 4)
              for x in range(0, control.shape[1] - 8, 4)}
    y, x = max(counts, key=counts.get)
    blotted = control.copy()
    blotted[y:y + 8, x:x + 8] = control[0, 0]
    assert not frames_match(blotted, control)
