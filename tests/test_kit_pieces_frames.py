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

from pathlib import Path

import numpy as np
import pytest
from manim import FadeIn, Scene

from cnnviz import conv2d_backward_trace, conv_transpose2d_trace
from cnnviz.config import BackpropPoolParams, MultichannelParams
from cnnviz.values import scene_values
from scenes.kit import ChannelSum, RoutingWindow, ScatterWindow, SlidingWindow, Theme, as_padding, recast
from tests.control_frames_support import check_against_control, check_control_bites, render_stills

ROOT = Path(__file__).resolve().parents[1]
CONTROL = ROOT / "tests" / "control_frames" / "kit_pieces"

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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, np.ndarray]:
    """Every scene above as a still, rendered once with plain manim in a folder of its own."""
    return render_stills(__file__, SCENES, tmp_path_factory.mktemp("kit-piece-frames"))


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_kit_piece_frame_matches_its_control_frame(name, rendered):
    check_against_control(name, rendered[name], CONTROL)


@pytest.mark.parametrize("name", SCENES)
def test_piece_control_frames_are_stored_and_a_one_pixel_shift_fails_the_comparison(name):
    check_control_bites(name, CONTROL)
