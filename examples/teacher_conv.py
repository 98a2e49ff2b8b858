"""A teacher's own Manim file built on the lecture's scene kit (``scenes.kit``).

Render it from any folder with plain Manim::

    manim -ql teacher_conv.py MyConv        # a 3x3 kernel, stride 2, padding 1, over a 4x4 input
    manim -ql teacher_conv.py MyPool        # 2x2 max pooling
    manim -ql teacher_conv.py MyConvLight MyPoolLight   # the same on the light (Solarized) theme

Every number on screen comes from the trace that ``cnnviz`` computed (and checked against PyTorch).
"""

import numpy as np
from manim import FadeIn, Scene

from cnnviz import conv2d_trace, max_pool2d_trace
from scenes.kit import SlidingWindow, Theme


class MyConv(Scene):
    theme = Theme.dark()

    def construct(self):
        trace = conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), stride=2, padding=1)
        window = SlidingWindow(trace, theme=self.theme)
        self.play(FadeIn(window))
        for step in window.steps():
            self.play(step)
        self.wait()


class MyPool(Scene):
    theme = Theme.dark()

    def construct(self):
        trace = max_pool2d_trace(np.array([[1.0, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 3, 4, 6]]), 2)
        window = SlidingWindow(trace, theme=self.theme)
        self.play(FadeIn(window))
        for step in window.steps():
            self.play(step)
        self.wait()


class MyConvLight(MyConv):
    theme = Theme.solarized()

    def setup(self):
        self.camera.background_color = self.theme.background


class MyPoolLight(MyPool):
    theme = Theme.solarized()

    def setup(self):
        self.camera.background_color = self.theme.background
