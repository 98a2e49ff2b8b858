"""Graphical tests of the kit's stepping pieces (ScatterWindow, RoutingWindow, ChannelSum, and a SlidingWindow
recast for backprop), in the manner of ``tests/test_kit_frames.py``: each scene below is rendered as a still
(the last frame, 240×135) with plain ``manim`` and compared with its stored control frame,
``tests/control_frames/kit_pieces/<Scene>.npz``.

A missing control frame is written (and its test skipped, saying so); ``CNNVIZ_WRITE_CONTROL_FRAMES=1`` rewrites
them all. Control frames depend on the fonts (Noto Sans CJK) and Cairo/Pango of the machine that wrote them.

This file is also the scene file the test renders:
``manim -s -r 240,135 tests/test_kit_pieces_frames.py KitScatterTwoSteps``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from manim import FadeIn, Scene

from cnnviz import conv2d_backward_trace, conv_transpose2d_trace
from cnnviz.config import BackpropPoolParams, MultichannelParams
from cnnviz.values import scene_values
from scenes.kit import ChannelSum, RoutingWindow, ScatterWindow, SlidingWindow, Theme, as_padding, recast

ROOT = Path(__file__).resolve().parents[1]
CONTROL = ROOT / "tests" / "control_frames" / "kit_pieces"
RESOLUTION = (240, 135)
PIXEL_TOLERANCE = 24  # as tests/test_kit_frames.py
MAX_DIFFERING = 12

POOL_PARAMS = BackpropPoolParams(input=[[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]],
                                 delta=[[1, -2], [3, 4]])


def scatter_trace(**kw):
    return conv_transpose2d_trace(np.array([[1.0, 2], [3, 1]]), np.array([[1.0, 0, -1], [2, 1, 0], [0, 1, 1]]),
                                  stride=2, **kw)


# ----------------------------------------------------------------- the scenes
class PieceScene(Scene):
    theme = Theme.dark()

    def setup(self) -> None:
        self.camera.background_color = self.theme.background

    def run(self, piece, steps: int | None = None, conclude: bool = False):
        self.play(FadeIn(piece))
        for n, step in enumerate(piece.steps()):
            if n == steps:
                break
            self.play(step)
        if conclude:
            self.play(piece.conclude())
        return piece


class KitScatterTwoSteps(PieceScene):
    def construct(self) -> None:
        self.run(ScatterWindow(scatter_trace(), theme=self.theme), 2)


class KitScatterCroppedSolarized(PieceScene):
    theme = Theme.solarized()

    def construct(self) -> None:
        piece = self.run(ScatterWindow(scatter_trace(padding=1), theme=self.theme, detailed=1), conclude=True)
        self.add(piece.crop_box())


class KitRoutingMaxTwoSteps(PieceScene):
    def construct(self) -> None:
        self.run(RoutingWindow(scene_values("backprop_pool", POOL_PARAMS).data["modes"][0], theme=self.theme), 2)


class KitRoutingMeanSolarized(PieceScene):
    theme = Theme.solarized()

    def construct(self) -> None:
        modes = scene_values("backprop_pool", POOL_PARAMS).data["modes"]
        self.run(RoutingWindow(modes[1], theme=self.theme, detailed=2), 3)


class KitChannelSumTwoSteps(PieceScene):
    def construct(self) -> None:
        v = scene_values("multichannel", MultichannelParams())
        self.run(ChannelSum(v.data["trace"], channel_sums=v.arrays["channel_sums"], theme=self.theme), 2)


class KitChannelSumNextChannelSolarized(PieceScene):
    theme = Theme.solarized()

    def construct(self) -> None:
        v = scene_values("multichannel", MultichannelParams())
        self.run(ChannelSum(v.data["trace"], channel_sums=v.arrays["channel_sums"], theme=self.theme, detailed=1,
                            output_columns=1), 6)


class KitGradientWindow(PieceScene):
    """∂L/∂A as the direct view of a transposed convolution: δ padded (its zeros grey), rot180(W) over it."""

    def construct(self) -> None:
        a = np.array([[1.0, 2, 0, 1], [0, 1, 3, 2], [2, 1, 0, 1], [1, 0, 2, 3]])
        gi = conv2d_backward_trace(a, np.array([[1.0, -1], [0, 2]]), np.array([[1.0, 0, -1], [2, 1, 0], [0, -1, 1]]),
                                   stride=1).grad_input
        window = SlidingWindow(gi.direct, theme=recast(self.theme, input="gradient", output="gradient"),
                               names=("δ", "rot180(W)", "∂L/∂A"))
        as_padding(window.input, gi.padding_mask | gi.inserted_mask)
        self.run(window, 1)


SCENES = ["KitScatterTwoSteps", "KitScatterCroppedSolarized", "KitRoutingMaxTwoSteps", "KitRoutingMeanSolarized",
          "KitChannelSumTwoSteps", "KitChannelSumNextChannelSolarized", "KitGradientWindow"]


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
    tmp = tmp_path_factory.mktemp("kit-piece-frames")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
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
def test_kit_piece_frame_matches_its_control_frame(name, rendered):
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
def test_piece_control_frames_are_stored_and_a_one_pixel_shift_fails_the_comparison(name):
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
    background = control[0, 0].astype(int)
    busy = np.abs(control.astype(int) - background).max(axis=-1) > PIXEL_TOLERANCE
    counts = {(y, x): int(busy[y:y + 8, x:x + 8].sum()) for y in range(0, control.shape[0] - 8, 4)
              for x in range(0, control.shape[1] - 8, 4)}
    y, x = max(counts, key=counts.get)
    blotted = control.copy()
    blotted[y:y + 8, x:x + 8] = control[0, 0]
    assert not frames_match(blotted, control)
