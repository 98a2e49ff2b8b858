"""Image filtering: a real photograph convolved by cnnviz with a box blur, a diagonal edge kernel and the
Laplacian; each result drawn from the computed array, its kernel beside it, one probe pixel in numbers.

Render alone with ``manim -ql scenes/image_filters.py FilterPhotograph``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, ImageMobject, Line, Rectangle, Square, VGroup

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, formula, label

__all__ = ["FilterPhotograph"]

SIDE = 2.5  # each picture's side on screen


class FilterPhotograph(LectureScene):
    """Photo | blur | edges | Laplacian across the top; kernels and the probe pixel's sums below."""

    scene_id = "image_filters"

    def picture(self, pixels: np.ndarray, color: str, x: float) -> tuple[ImageMobject, Rectangle]:
        img = ImageMobject(pixels)
        img.height = SIDE
        img.move_to(RIGHT * x + UP * 1.15)
        frame = Rectangle(width=SIDE, height=SIDE, color=color, stroke_width=3).move_to(img)
        return img, frame

    def marker(self, frame: Rectangle, shape: tuple[int, int], r: float, c: float) -> Square:
        """A small square at pixel (r, c) of a picture drawn in ``frame``."""
        at = frame.get_corner(UP + LEFT) + RIGHT * SIDE * c / shape[1] + DOWN * SIDE * r / shape[0]
        return Square(side_length=0.2, color=self.theme.highlight, stroke_width=3).move_to(at)

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        xs = [(n - 1.5) * (SIDE + 0.45) for n in range(4)]
        photo, photo_frame = self.picture(a["image_display"], t.input, xs[0])
        photo_name = label(self.tr(f"photo {v.size_text}", f"照片 {v.size_text}"), t, color=t.input,
                           font_size=22).next_to(photo_frame, UP, buff=0.12)
        self.next_section("photograph")
        self.play(FadeIn(photo), FadeIn(photo_frame), FadeIn(photo_name), run_time=0.8)
        self.caption("A real photograph in grey: every pixel is a number between 0 and 1.",
                     "一张真实的灰度照片：每个像素都是 0 到 1 之间的一个数。")
        r, c = a["probe"]
        size = a["image"].shape
        probe = self.marker(photo_frame, size, r + 1.5, c + 1.5)
        patch = NumberGrid(a["probe_patch"], t, t.input, cell=0.55, font_size=17)
        patch.next_to(photo_frame, DOWN, buff=0.45)
        zoom = VGroup(Line(probe.get_corner(DOWN + LEFT), patch.get_corner(UP + LEFT), color=t.highlight,
                           stroke_width=1.5),
                      Line(probe.get_corner(DOWN + RIGHT), patch.get_corner(UP + RIGHT), color=t.highlight,
                           stroke_width=1.5))
        self.play(FadeIn(probe), FadeIn(zoom), FadeIn(patch), run_time=0.8)
        self.caption("One 3×3 patch of it, in numbers: each filter below turns it into one output pixel.",
                     "其中一个 3×3 的小块：下面每个滤波器把它变成一个输出像素。")

        captions = {
            "blur": (f"Box blur ({v.shape_text}): the mean of each 3×3 neighbourhood. Smoothing, denoising.",
                     f"均值模糊：每个像素变成它 3×3 邻域的平均值（{v.shape_text}）。平滑去噪。"),
            "edge": ("Positive up-right, negative down-left: it lights up where brightness changes diagonally.",
                     "右上为正、左下为负：在亮度沿对角方向变化的地方响应。边缘提取。"),
            "laplacian": ("The Laplacian compares each pixel with its four neighbours: edges in every direction.",
                          "拉普拉斯算子把每个像素与上下左右四个邻居比较：提取各个方向的边缘。"),
        }
        legend = label(self.tr("grey = 0,  lighter > 0,  darker < 0", "灰色 = 0，更亮 > 0，更暗 < 0"), t,
                       color=t.muted, font_size=20)
        for n, (name, en, zh, _, _) in enumerate(v.filters, start=1):
            self.next_section(en)
            img, frame = self.picture(a[f"{name}_display"], t.output, xs[n])
            title = label(self.tr(en, zh), t, color=t.output, font_size=22).next_to(frame, UP, buff=0.12)
            ker = NumberGrid(a[f"{name}_kernel_shown"], t, t.kernel, cell=0.42, font_size=20)
            ker.next_to(frame, DOWN, buff=0.45)
            parts = VGroup(ker)
            if name in v.factor_text:
                parts.add(cached_text(v.factor_text[name], font=MONO, font_size=22, color=t.kernel)
                          .next_to(ker, RIGHT, buff=0.12))
            parts.move_to(ker.get_center() * UP + frame.get_center() * RIGHT)
            sums = VGroup(*(cached_text(line, font=MONO, font_size=19, color=t.highlight) for line in v.probe_text[name]))
            sums.arrange(DOWN, buff=0.08).next_to(parts, DOWN, buff=0.2).set_x(frame.get_x())
            spot = self.marker(frame, a[f"{name}_display"].shape, r + 0.5, c + 0.5)
            self.play(FadeIn(parts), FadeIn(title), run_time=0.8)
            self.play(FadeIn(img), FadeIn(frame), run_time=1.2)
            self.play(FadeIn(spot), FadeIn(sums), run_time=0.6)
            if name == "edge":
                legend.next_to(sums, DOWN, buff=0.2).set_x((xs[2] + xs[3]) / 2)
                self.play(FadeIn(legend), run_time=0.5)
            self.caption(*captions[name])
        self.next_section("summary")
        law = formula(r"Z = A \otimes W", t, font_size=36).next_to(patch, DOWN, buff=0.3)
        self.play(FadeIn(law), run_time=0.6)
        self.caption("The same operation with different kernels: the kernel decides what is found.",
                     "同样的运算，不同的卷积核：卷积核决定提取什么特征。")
