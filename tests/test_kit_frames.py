"""Graphical tests of scenes.kit, in the manner of Manim's ``frames_comparison``: each scene below is rendered
as a still (the last frame, 240×135) with plain ``manim`` and compared with its stored control frame,
``tests/control_frames/kit/<Scene>.npz``.

A missing control frame is written (and its test skipped, saying so); ``CNNVIZ_WRITE_CONTROL_FRAMES=1`` rewrites
them all. Control frames depend on the fonts (Noto Sans CJK, installed by ``make setup``) and Cairo/Pango of the
machine that wrote them.

This file is also the scene file the test renders: ``manim -s -r 240,135 tests/test_kit_frames.py KitConvTwoSteps``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from manim import DOWN, FadeIn, Scene

from cnnviz import conv1d_trace, conv2d_trace, max_pool2d_trace
from scenes.kit import FeatureMap, NumberGrid, SlidingWindow, TensorVolume, Theme
from tests.control_frames_support import check_against_control, check_control_bites, render_stills

ROOT = Path(__file__).resolve().parents[1]
CONTROL = ROOT / "tests" / "control_frames" / "kit"



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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, np.ndarray]:
    """Every scene above as a still, rendered once with plain manim in a folder of its own."""
    return render_stills(__file__, SCENES, tmp_path_factory.mktemp("kit-frames"))


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_kit_frame_matches_its_control_frame(name, rendered):
    check_against_control(name, rendered[name], CONTROL)


@pytest.mark.parametrize("name", SCENES)
def test_control_frames_are_stored_and_a_one_pixel_shift_fails_the_comparison(name):
    check_control_bites(name, CONTROL)
