"""Image filtering: a real photograph convolved by cnnviz with a box blur, a diagonal edge kernel and the
Laplacian (first derived from second differences); each result drawn from the computed array, its kernel
beside it, one probe pixel in numbers.

Render alone with ``manim -ql scenes/image_filters.py FilterPhotograph``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ImageMobject, Line, Rectangle, Square, SurroundingRectangle, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, formula, label

__all__ = ["FilterPhotograph"]

SIDE = 2.2  # each picture's side on screen
PICTURE_Y = 1.4  # the pictures' centre line


class FilterPhotograph(LectureScene):
    """Photo | blur | edges | Laplacian across the top; kernels and the probe pixel's sums below; where the
    Laplacian kernel comes from (finite differences) before it is applied."""

    scene_id = "image_filters"

    def picture(self, pixels: np.ndarray, color: str, x: float) -> tuple[ImageMobject, Rectangle]:
        img = ImageMobject(pixels)
        img.height = SIDE
        img.move_to(RIGHT * x + UP * PICTURE_Y)
        frame = Rectangle(width=SIDE, height=SIDE, color=color, stroke_width=3).move_to(img)
        return img, frame

    def marker(self, frame: Rectangle, shape: tuple[int, int], r: float, c: float) -> Square:
        """A small square at pixel (r, c) of a picture drawn in ``frame``."""
        at = frame.get_corner(UP + LEFT) + RIGHT * SIDE * c / shape[1] + DOWN * SIDE * r / shape[0]
        return Square(side_length=0.2, color=self.theme.highlight, stroke_width=3).move_to(at)

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        xs = [(n - 1.5) * (SIDE + 0.6) for n in range(4)]
        photo, photo_frame = self.picture(a["image_display"], t.input, xs[0])
        photo_name = label(self.tr(f"photo {v.size_text}", f"照片 {v.size_text}"), t, color=t.input
                           ).next_to(photo_frame, UP, buff=0.12)
        self.next_section("photograph")
        self.say("photo", wait=False, size=v.size_text)
        self.play(FadeIn(photo), FadeIn(photo_frame), FadeIn(photo_name), run_time=0.8)
        r, c = a["probe"]
        size = a["image"].shape
        probe = self.marker(photo_frame, size, r + 1.5, c + 1.5)
        patch = NumberGrid(a["probe_patch"], t, t.input, cell=0.9, font_size=26)  # "0.52" at 0.75 of it
        patch.next_to(photo_frame, DOWN, buff=0.22)
        self.patch = patch
        zoom = VGroup(Line(probe.get_corner(DOWN + LEFT), patch.get_corner(UP + LEFT), color=t.highlight,
                           stroke_width=1.5),
                      Line(probe.get_corner(DOWN + RIGHT), patch.get_corner(UP + RIGHT), color=t.highlight,
                           stroke_width=1.5))
        self.say("patch", wait=False)
        self.play(FadeIn(probe), FadeIn(zoom), FadeIn(patch), run_time=0.8)
        self.say("filters")

        before = {"blur": "blur_kernel", "edge": "edge_kernel", "laplacian": "laplacian_apply"}
        after = {"blur": "blur_result", "edge": "edge_result", "laplacian": "laplacian_result"}
        legend = label(self.tr("grey = 0,  lighter > 0,  darker < 0", "灰色 = 0，更亮 > 0，更暗 < 0"), t,
                       color=t.muted)
        worked = VGroup()  # each filter's worked sum, and the legend: they make room for the summary's law
        for n, (name, en, zh, _, _) in enumerate(v.filters, start=1):
            if name == "laplacian":
                self.laplacian_from_differences()
            self.next_section(en)
            img, frame = self.picture(a[f"{name}_display"], t.output, xs[n])
            title = label(self.tr(en, zh), t, color=t.output).next_to(frame, UP, buff=0.12)
            ker = NumberGrid(a[f"{name}_kernel_shown"], t, t.kernel, cell=0.5, font_size=26)
            ker.next_to(frame, DOWN, buff=0.22)
            parts = VGroup(ker)
            if name in v.factor_text:
                parts.add(cached_text(v.factor_text[name], font=MONO, font_size=26, color=t.kernel)
                          .next_to(ker, RIGHT, buff=0.12))
            parts.move_to(ker.get_center() * UP + frame.get_center() * RIGHT)
            sums = VGroup(*(cached_text(line, font=MONO, font_size=26, color=t.highlight) for line in v.probe_text[name]))
            sums.arrange(DOWN, buff=0.08).next_to(parts, DOWN, buff=0.12).set_x(frame.get_x())
            spot = self.marker(frame, a[f"{name}_display"].shape, r + 0.5, c + 0.5)
            self.say(before[name], wait=False)
            self.play(FadeIn(parts), FadeIn(title), run_time=0.8)
            self.play(FadeIn(img), FadeIn(frame), run_time=1.2)
            self.play(FadeIn(spot), FadeIn(sums), run_time=0.6)
            worked.add(sums)
            self.say(after[name])
            if name == "blur":
                out_h, out_w = np.shape(a["blur_output"])
                self.say("blur_size", size=v.size_text, out=f"{out_h}×{out_w}")
            if name == "edge":
                legend.next_to(sums, DOWN, buff=0.12).set_x((xs[2] + xs[3]) / 2)
                self.play(FadeIn(legend), run_time=0.5)
                worked.add(legend)
                self.say("legend")
        self.next_section("summary")
        # in the worked sums' place, not under the patch: there the recap's second line ran over it
        law = formula(r"\mathbf{Z} = \mathbf{A} \otimes \mathbf{W}", t, font_size=40).move_to(worked)
        self.play(FadeOut(worked), FadeIn(law), run_time=0.6)
        self.say("summary")

    def laplacian_from_differences(self) -> None:
        """Second differences in x and in y, added: the Laplacian kernel of the values, in one short step.

        The differences are the definition (formulas); the kernel drawn is the one the values convolve with.
        """
        t, a = self.theme, self.values.arrays
        kernel = a["laplacian_kernel_shown"]
        self.next_section("Laplacian from finite differences")
        shown = [m for m in self.mobjects if m not in (self.heading, self._caption)]
        self.play(*(FadeOut(m) for m in shown), run_time=0.6)
        grid = NumberGrid(kernel, t, t.kernel, cell=0.62, font_size=30)
        grid_name = label(self.tr("Laplacian kernel", "拉普拉斯算子"), t, color=t.kernel).next_to(grid, UP, buff=0.12)
        VGroup(grid_name, grid).move_to(DOWN * 1.45)
        meaning = label(self.tr("f(x, y): the pixel value in column x, row y", "f(x, y)：第 x 列、第 y 行的像素值"), t,
                        color=t.muted).move_to(UP * 2.55)
        rows = [(self.tr("second difference in x", "x 方向二阶差分"),
                 r"f_{xx} \approx f(x{+}1,\,y) - 2f(x,\,y) + f(x{-}1,\,y)"),
                (self.tr("second difference in y", "y 方向二阶差分"),
                 r"f_{yy} \approx f(x,\,y{+}1) - 2f(x,\,y) + f(x,\,y{-}1)")]
        names = [label(n, t, color=t.muted) for n, _ in rows]
        diffs = [formula(tex, t, font_size=40) for _, tex in rows]
        # two rows: each name right-aligned before its formula; the formulas start at one x
        width = max(n.width for n in names)
        left = -(width + 0.4 + max(d.width for d in diffs)) / 2
        for k, (name, diff) in enumerate(zip(names, diffs)):
            y = 1.85 - 0.7 * k
            diff.move_to([left + width + 0.4 + diff.width / 2, y, 0])
            name.move_to([left + width - name.width / 2, y, 0])
        lines = VGroup(*(VGroup(name, diff) for name, diff in zip(names, diffs)))
        added = formula(r"f_{xx} + f_{yy} \approx f(x{+}1,y) + f(x{-}1,y) + f(x,y{+}1) + f(x,y{-}1) - 4f(x,y)", t,
                        font_size=38).move_to(UP * 0.3)
        self.say("laplacian_from", wait=False)
        self.play(FadeIn(grid), FadeIn(grid_name), run_time=0.8)
        self.say("laplacian_f", wait=False)
        self.play(FadeIn(meaning), run_time=0.6)
        self.say("laplacian_x", wait=False)
        self.play(FadeIn(lines[0]), run_time=0.8)
        self.say("laplacian_y", wait=False)
        self.play(FadeIn(lines[1]), run_time=0.8)
        self.say("laplacian_sum", wait=False, neighbour=fmt(kernel[0][1]), centre=fmt(kernel[1][1]))
        self.play(FadeIn(added), run_time=0.8)
        box = SurroundingRectangle(grid, color=t.highlight, buff=0.06)
        self.say("laplacian_kernel", wait=False)
        self.play(FadeIn(box), run_time=0.6)
        self.finish_line()
        self.play(*(FadeOut(m) for m in (meaning, lines, added, grid, grid_name, box)), run_time=0.6)
        self.play(*(FadeIn(m) for m in shown), run_time=0.6)
