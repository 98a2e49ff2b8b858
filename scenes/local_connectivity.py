"""Local connectivity and weight sharing: 10,000 weights for a fully connected neuron, 9 for a shared 3×3 kernel.

Render alone with ``manim -ql scenes/local_connectivity.py CountWeightsOfLocalWindow``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, ITALIC, LEFT, RIGHT, UP, Circle, DashedLine, FadeIn, FadeOut, Line, Square, Succession, Text, Transform, VGroup

from scenes.common import FONT, MONO, LectureScene, NumberGrid, cached_text, indexed, label, step_times, text_table

__all__ = ["CountWeightsOfLocalWindow"]


class CountWeightsOfLocalWindow(LectureScene):
    """Count the weights: fully connected, local window, local without sharing, local with sharing."""

    scene_id = "local_connectivity"
    image_side = 3.4  # scene units the image square takes

    def play_scene(self) -> None:
        t, a, txt = self.theme, self.values.arrays, self.values.text
        n, k = a["image_size"], a["window"]
        image = self.image_square(n).move_to(LEFT * 3.3 + UP * 0.5)
        image_name = label(self.tr(f"input image {n}×{n}", f"输入图像 {n}×{n}"), t, color=t.input)
        image_name.next_to(image, UP, buff=0.15)
        self.next_section("image")
        self.say("image", wait=False, n=txt["image_size"])
        self.play(FadeIn(image), FadeIn(image_name), run_time=0.8)
        self.counter = VGroup()
        self.say("pixels", wait=False, pixels=txt["pixels"])
        self.count(self.tr("pixels", "像素"), f"{n} × {n} = {txt['pixels']}", t.input)

        self.next_section("fully connected")
        neuron = Circle(radius=0.3, color=t.output, fill_opacity=0.3).move_to(RIGHT * 2.7 + UP * 0.5)
        g = np.linspace(-0.47, 0.47, 10) * self.image_side
        fan = VGroup(*(Line(image.get_center() + [x, y, 0], neuron.get_left(), color=t.input, stroke_width=1,
                            stroke_opacity=0.45) for x in g for y in g))
        neuron_name = label(self.tr("neuron", "神经元"), t, color=t.output, font_size=34).next_to(neuron, DOWN, buff=0.15)
        self.say("fully_connected", wait=False)
        self.play(FadeIn(neuron), FadeIn(neuron_name), FadeIn(fan), run_time=1.0)
        self.say("fully_connected_count", wait=False, fc_neuron=txt["fc_neuron"])
        self.count(self.tr("weights of one fully connected neuron", "全连接神经元的权重"),
                   f"{n} × {n} = {txt['fc_neuron']}", t.kernel)

        self.next_section("local window")
        window = self.window = self.window_at(image, 0, 0, n, k)
        zoom = NumberGrid(np.zeros((k, k)), t, t.kernel, cell=min(0.42, 1.5 / k), show_values=False)
        zoom.move_to(RIGHT * 0.45 + UP * 0.5)
        callout = VGroup(DashedLine(window.get_corner(UP + RIGHT), zoom.get_corner(UP + LEFT), color=t.muted),
                         DashedLine(window.get_corner(DOWN + RIGHT), zoom.get_corner(DOWN + LEFT), color=t.muted))
        links = VGroup(*(Line(c.get_center(), neuron.get_left(), color=t.kernel, stroke_width=2.5) for c in zoom.cells))
        self.say("local", wait=False, k=txt["window"])
        self.play(FadeOut(fan), FadeIn(window), run_time=0.6)
        self.play(FadeIn(callout), FadeIn(zoom), FadeIn(links), run_time=0.8)
        self.say("local_count", wait=False, local_neuron=txt["local_neuron"])
        self.count(self.tr("weights of one local neuron", "局部连接神经元的权重"),
                   f"{k} × {k} = {txt['local_neuron']}", t.kernel)

        fmap, dot, name = self.feature_map(neuron, a["output_size"])
        self.wname = self.weight_name(zoom, self.values.tour_text[0])
        self.next_section("no sharing")
        self.say("positions", wait=False, positions=txt["positions"], side=txt["output_size"])
        # the neuron (a circle) becomes the first cell of the feature map: shapes, not text, change here
        self.play(Transform(neuron, dot), FadeOut(neuron_name), FadeIn(fmap), FadeIn(name), FadeOut(links),
                  run_time=0.8)
        self.say("own_weights", wait=False)
        self.play(FadeIn(self.wname), run_time=0.5)
        self.tour(image, zoom, fmap, neuron, callout, shared=False)
        self.say("no_sharing_count", wait=False, positions=txt["positions"], local_neuron=txt["local_neuron"],
                 local_no_sharing=txt["local_no_sharing"])
        self.count(self.tr("no sharing: positions × weights", "不共享：位置数 × 权重"),
                   f"{txt['positions']} × {txt['local_neuron']} = {txt['local_no_sharing']}", t.kernel)

        self.next_section("weight sharing")
        shared = self.weight_name(zoom, None)
        self.say("sharing", wait=False)
        self.play(Succession(FadeOut(self.wname), FadeIn(shared)), run_time=0.8)
        self.wname = shared
        self.tour(image, zoom, fmap, neuron, callout, shared=True)
        self.say("shared_count", wait=False, local_shared=txt["local_shared"])
        self.count(self.tr("weight sharing: one kernel W", "权重共享：同一个卷积核 W"),
                   f"{txt['local_shared']}", t.kernel)
        self.summary()

    # ------------------------------------------------------------------ pieces
    def image_square(self, n: int) -> VGroup:
        """The image as a square with a faint pixel grid (every pixel up to 25 per side, else every few)."""
        t, side = self.theme, self.image_side
        box = Square(side_length=side, color=t.input, fill_color=t.input, fill_opacity=0.12, stroke_width=3)
        lines = VGroup()
        for f in np.linspace(0, 1, min(n, 25) + 1)[1:-1]:
            x = (f - 0.5) * side
            lines.add(Line([x, -side / 2, 0], [x, side / 2, 0]), Line([-side / 2, x, 0], [side / 2, x, 0]))
        lines.set_stroke(t.input, width=0.8, opacity=0.35)
        return VGroup(box, lines)

    def window_at(self, image: VGroup, i: int, j: int, n: int, k: int) -> Square:
        px = self.image_side / n
        corner = image.get_corner(UP + LEFT) + np.array([j * px, -i * px, 0])
        return Square(side_length=k * px, color=self.theme.kernel, stroke_width=4).move_to(
            corner + np.array([k * px / 2, -k * px / 2, 0]))

    def feature_map(self, neuron: Circle, side: int) -> tuple[Square, Square, Text]:
        t = self.theme
        fmap = Square(side_length=2.2, color=t.output, fill_color=t.output, fill_opacity=0.1).move_to(neuron)
        fmap.shift(RIGHT * 0.5)
        name = label(self.tr(f"feature map {side}×{side}", f"特征图 {side}×{side}"), t,
                     color=t.output).next_to(fmap, UP, buff=0.15)
        return fmap, self.neuron_in(fmap, 0, 0), name

    def neuron_in(self, fmap: Square, i: int, j: int) -> Square:
        px = fmap.width / self.values.arrays["output_size"]
        size = max(px, 0.1)
        corner = fmap.get_corner(UP + LEFT) + np.array([j * px + px / 2, -i * px - px / 2, 0])
        return Square(side_length=size, color=self.theme.output, fill_opacity=0.9).move_to(corner)

    def weight_name(self, zoom: NumberGrid, index: str | None) -> VGroup:
        """W with the neuron's number (its own weights) or plain W (the shared kernel), above the window; the
        number is a subscript of font size 26 (legible at 480p)."""
        t = self.theme
        name = (cached_text("W", font=FONT, font_size=42, color=t.kernel, slant=ITALIC) if index is None
                else indexed("W", index, t, color=t.kernel, font_size=42))
        return name.next_to(zoom, UP, buff=0.15)

    def tour(self, image, zoom, fmap, neuron, callout, *, shared: bool) -> None:
        """The window visits a few positions; without sharing, each neuron's own weights W with its number
        (the old name fades out, the new one in: text never morphs)."""
        a = self.values.arrays
        stops = a["tour"]
        for n_, ((i, j, _), run) in enumerate(zip(stops, step_times(len(stops), slow=0.8, fast=0.35, slow_steps=2))):
            window = self.window_at(image, i, j, a["image_size"], a["window"])
            anims = [Transform(self.window, window),
                     Transform(neuron, self.neuron_in(fmap, i, j)),
                     Transform(callout[0], DashedLine(window.get_corner(UP + RIGHT), zoom.get_corner(UP + LEFT),
                                                      color=self.theme.muted)),
                     Transform(callout[1], DashedLine(window.get_corner(DOWN + RIGHT), zoom.get_corner(DOWN + LEFT),
                                                      color=self.theme.muted))]
            if not shared and n_ > 0:
                new = self.weight_name(zoom, self.values.tour_text[n_])
                anims.append(Succession(FadeOut(self.wname), FadeIn(new)))  # one out, then the other in
                self.wname = new
            self.play(*anims, run_time=run)
            self.wait(0.3 if n_ < 2 else 0.1)

    def count(self, what: str, equation: str, color: str) -> None:
        """The running count at the right: what is counted, and the count."""
        t = self.theme
        new = VGroup(label(what + ":", t, font_size=28, color=t.muted),
                     cached_text(equation, font=MONO, font_size=34, color=color)).arrange(RIGHT, buff=0.3)
        new.move_to(DOWN * 2.25)
        self.play(Succession(FadeOut(self.counter), FadeIn(new)), run_time=0.8)  # the old count goes, then the new
        self.counter = new

    def summary(self) -> None:
        t, a, txt = self.theme, self.values.arrays, self.values.text
        k, pos = a["window"], txt["positions"]
        rows = [["", self.tr("weights", "权重数")],
                [self.tr("fully connected, one neuron", "全连接，一个神经元"), txt["fc_neuron"]],
                [self.tr(f"fully connected, {pos} neurons", f"全连接，{pos} 个神经元"), txt["fc_layer"]],
                [self.tr(f"local {k}×{k}, one neuron", f"局部连接 {k}×{k}，一个神经元"), txt["local_neuron"]],
                [self.tr(f"local, {pos} neurons, no sharing", f"局部连接，{pos} 个神经元，不共享"), txt["local_no_sharing"]],
                [self.tr(f"local, {pos} neurons, shared kernel", f"局部连接，{pos} 个神经元，权重共享"), txt["local_shared"]]]
        table = text_table(rows, t, font_size=26, colors=[None, t.kernel]).move_to(UP * 0.2)
        self.next_section("summary")
        self.play(*(FadeOut(m) for m in self.mobjects if m not in (self.heading, self._caption)), run_time=0.6)
        self.play(FadeIn(table), run_time=0.8)
        self.say("summary", fc_layer=txt["fc_layer"], local_shared=txt["local_shared"])
