"""The floor of the render benchmark: a static scene whose cost is encoding alone.

Its length comes from ``$CNNVIZ_FLOOR_SECONDS``; it is rendered at the same quality as the scene it
is compared with.
"""

from __future__ import annotations

import os

from manim import Scene, Text


class StaticFloor(Scene):
    def construct(self) -> None:
        self.add(Text("floor", font_size=48))
        self.wait(float(os.environ.get("CNNVIZ_FLOOR_SECONDS", "10")))
