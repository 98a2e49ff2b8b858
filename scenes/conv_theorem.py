"""The convolution theorem: the photo and the blur kernel through numpy's FFT, multiplied, transformed back and
equal to torch's direct convolution; why the product is circular and how zero-padding makes it linear; the
blur's frequency response as a low-pass filter, the Laplacian's as a high-pass one.

Render alone with ``manim -ql scenes/conv_theorem.py MultiplyInFrequency``.

Built here rather than in the kit: a grey photo picture (the kit's ``FeatureMap`` ramps from the background to
a role colour; a photo is drawn grey, as in ``image_filters``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Circle, DashedVMobject, FadeIn, FadeOut, Group, ImageMobject, Rectangle,
                   VGroup)
from manim.constants import RESAMPLING_ALGORITHMS

from scenes.common import MONO, LectureScene, NumberGrid, arrow, cached_text, formula, label
from scenes.kit import FeatureMap

__all__ = ["MultiplyInFrequency"]

SIDE = 1.6  # a picture's side in the theorem's two rows
ROW_SPACE, ROW_FREQ = 1.45, -1.2  # the rows' centre lines: space domain above, frequency domain below
COLUMNS = (-5.0, -2.2, 1.1, 4.5)  # A / F(A); W / H; F^-1 / product; direct / the difference
BIG = 2.2  # a picture's side in the later steps
F_A = r"\mathcal{F}(\mathbf{A})"
F_W = r"\mathcal{F}(\mathbf{W})"
F_INV = r"\mathcal{F}^{\textstyle -1}"  # the exponent full size: a script "-1" is under 16 px at 480p
FONT_TEX = 40  # formulas: their smallest glyphs 16 px tall at 480p


class MultiplyInFrequency(LectureScene):
    """Space row (A ⊗ W) above the frequency row (F(A) ⊙ F(W)); circular against linear; low- and high-pass."""

    scene_id = "conv_theorem"

    # ------------------------------------------------------------------ pictures
    def grey(self, pixels: Any, color: str, side: float) -> Group:
        """A grey picture (the photo or a blurred photo, 8-bit values from the values module) in a frame."""
        img = ImageMobject(np.asarray(pixels, dtype=np.uint8))
        img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        img.height = side
        return Group(img, Rectangle(width=side, height=side, color=color, stroke_width=2.5).move_to(img))

    def magnitude(self, values: Any, role: str, side: float, high: float | None = None) -> FeatureMap:
        """A magnitude on the sequential ramp: background at 0, the role's colour at ``high``."""
        return FeatureMap(values, theme=self.theme, role=role, height=side, low=0.0, high=high)

    def signed(self, values: Any, side: float, limit: float | None = None) -> FeatureMap:
        return FeatureMap(values, theme=self.theme, signed=True, role="output", height=side, limit=limit)

    def named(self, mob: Any, tex: str | None = None, text: str | None = None, color: str | None = None,
              font_size: float = FONT_TEX) -> Any:
        """A name above ``mob``: a formula, or a text."""
        name = formula(tex, self.theme, font_size=font_size, color=color) if tex else label(text, self.theme, color=color)
        return name.next_to(mob, UP, buff=0.12)

    def down_arrow(self, start: Any, end: Any) -> Arrow:
        """A short arrow between the rows (the lecture's ``arrow`` keeps its tip to 15 % of the length, which
        leaves none on an arrow this short)."""
        return Arrow(start, end, color=self.theme.muted, buff=0.04, stroke_width=4, tip_length=0.16,
                     max_tip_length_to_length_ratio=0.5)

    def clear(self) -> None:
        shown = [m for m in self.mobjects if m not in (self.heading, self._caption)]
        if shown:
            self.play(*(FadeOut(m) for m in shown), run_time=0.6)

    # ------------------------------------------------------------------ the scene
    def play_scene(self) -> None:
        self.theorem()
        self.circular_and_linear()
        self.pass_filters()

    def theorem(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        c0, c1, c2, c3 = COLUMNS
        self.next_section("space and frequency")
        photo = self.grey(a["image_display"], t.input, SIDE).move_to([c0, ROW_SPACE, 0])
        photo_name = self.named(photo, r"\mathbf{A}", color=t.input)
        size = label(v.size_text, t, color=t.muted).next_to(photo_name, RIGHT, buff=0.25)
        self.say("photo", wait=False, size=v.size_text)
        self.play(FadeIn(photo), FadeIn(photo_name), FadeIn(size), run_time=0.8)
        spectrum = self.magnitude(a["image_spectrum_log"], "input", SIDE, a["spectrum_log_high"])
        spectrum.move_to([c0, ROW_FREQ, 0])
        spectrum_name = self.named(spectrum, rf"|{F_A}|", color=t.input)
        log_note = label(self.tr("log scale", "对数刻度"), t, color=t.muted).next_to(spectrum, DOWN, buff=0.1)
        down_a = self.down_arrow(photo.get_bottom(), spectrum_name.get_top())
        f_a = formula(r"\mathcal{F}", t, font_size=FONT_TEX, color=t.muted).next_to(down_a, RIGHT, buff=0.08)
        self.say("spectrum", wait=False)
        self.play(FadeIn(down_a), FadeIn(f_a), run_time=0.5)
        self.play(FadeIn(spectrum), FadeIn(spectrum_name), FadeIn(log_note), run_time=0.9)

        blur = v.blur
        # cells of 0.38 or more: a digit keeps 2.5 px clear of its cell's border at 480p; two-digit weights (the
        # Gaussian's) 0.4 to keep font 26. The grid sits a little high: its bottom level with the photo's, so the
        # arrows under both are alike. The name goes beside the grid, where a 5x5 grid of them leaves room
        cell = 0.38 if np.max(np.abs(a["blur_kernel_shown"])) < 10 else 0.4
        kernel = NumberGrid(a["blur_kernel_shown"], t, t.kernel, cell=cell, font_size=26)
        kernel.move_to([c1, photo.get_bottom()[1] + kernel.height / 2, 0])
        kernel_name = formula(r"\mathbf{W}", t, font_size=FONT_TEX, color=t.kernel)
        factor = label(blur["factor_text"], t, color=t.kernel)
        VGroup(kernel_name, factor).arrange(DOWN, buff=0.1).next_to(kernel, RIGHT, buff=0.15)
        otimes = formula(r"\otimes", t, font_size=40).move_to([(c0 + c1) / 2 - 0.05, ROW_SPACE, 0])
        response = self.magnitude(a["blur_magnitude"], "kernel", SIDE).move_to([c1, ROW_FREQ, 0])
        response_name = self.named(response, r"|H|", color=t.kernel)
        down_w = self.down_arrow(kernel.get_bottom(), response_name.get_top())
        f_w = formula(r"\mathcal{F}", t, font_size=FONT_TEX, color=t.muted).next_to(down_w, RIGHT, buff=0.08)
        self.say("kernel", wait=False)
        self.play(FadeIn(kernel), FadeIn(factor), FadeIn(kernel_name), FadeIn(otimes), run_time=0.8)
        self.play(FadeIn(down_w), FadeIn(f_w), FadeIn(response), FadeIn(response_name), run_time=0.9)

        self.next_section("multiply")
        odot = formula(r"\odot", t, font_size=40).move_to([(c0 + c1) / 2 - 0.05, ROW_FREQ, 0])
        product = self.magnitude(a["product_log"], "output", SIDE, a["spectrum_log_high"]).move_to([c2, ROW_FREQ, 0])
        product_name = self.named(product, rf"|{F_A} \odot {F_W}|", color=t.output)
        equals_f = formula("=", t, font_size=40).move_to([(c1 + c2) / 2 + 0.1, ROW_FREQ, 0])
        self.say("multiply", wait=False)
        self.play(FadeIn(odot), run_time=0.4)
        self.play(FadeIn(equals_f), FadeIn(product), FadeIn(product_name), run_time=0.9)
        back = self.grey(a["blur_fft_output_display"], t.output, SIDE).move_to([c2, ROW_SPACE, 0])
        back_name = self.named(back, rf"{F_INV}(\,\cdot\,)", color=t.output)
        up = self.down_arrow(product_name.get_top(), back.get_bottom())
        f_inv = formula(F_INV, t, font_size=FONT_TEX, color=t.muted).next_to(up, RIGHT, buff=0.08)
        self.say("inverse", wait=False)
        self.play(FadeIn(up), FadeIn(f_inv), run_time=0.5)
        self.play(FadeIn(back), FadeIn(back_name), run_time=0.9)

        self.next_section("compare")
        direct = self.grey(a["blur_direct_output_display"], t.output, SIDE)
        direct.move_to([c3, ROW_SPACE, 0])
        direct_name = self.named(direct, r"\mathbf{A} \otimes \mathbf{W}", color=t.output)
        torch_note = label(self.tr("direct, torch", "直接计算，torch"), t, color=t.muted).next_to(direct, DOWN, buff=0.1)
        equals = formula("=", t, font_size=40).move_to([(c2 + c3) / 2, ROW_SPACE, 0])
        self.say("direct", wait=False)
        self.play(FadeIn(direct), FadeIn(direct_name), FadeIn(torch_note), run_time=0.9)
        diff = cached_text(self.tr(f"max |Δ| = {blur['diff_text']}", f"最大差 = {blur['diff_text']}"),
                           font=MONO, font_size=26, color=t.highlight).move_to([c3, ROW_FREQ + 0.2, 0])
        self.play(FadeIn(equals), FadeIn(diff), run_time=0.6)
        self.say("equal", diff=blur["diff_text"])
        law = formula(rf"\mathcal{{F}}(\mathbf{{A}} \otimes \mathbf{{W}}) = {F_A} \odot {F_W}", t, font_size=FONT_TEX)
        law.move_to([c3 - 1.0, -2.55, 0])
        self.play(FadeIn(law), run_time=0.6)
        self.say("theorem")

    def circular_and_linear(self) -> None:
        """The FFT's product is circular; zero padding to N = n + c − 1 makes it the linear convolution."""
        t, v = self.theme, self.values
        a = v.arrays
        self.next_section("circular")
        self.clear()
        xs = (-4.6, -0.6, 3.9)
        y = 0.7
        circular = self.grey(a["blur_fft_output_display"], t.output, BIG).move_to([xs[0], y, 0])
        circular_name = self.named(circular, text=self.tr("FFT: circular", "FFT：循环卷积"), color=t.output)
        linear = self.grey(a["linear_same_display"], t.output, BIG).move_to([xs[1], y, 0])
        linear_name = self.named(linear, text=self.tr(f"zero padding p = {v.radius}", f"补零 p = {v.radius}"),
                                 color=t.output)
        torch_note = label(self.tr("direct, torch", "直接计算，torch"), t, color=t.muted).next_to(linear, DOWN, buff=0.1)
        minus = formula("-", t, font_size=40).move_to([(xs[0] + xs[1]) / 2, y, 0])
        self.say("circular", wait=False)
        self.play(FadeIn(circular), FadeIn(circular_name), run_time=0.8)
        self.play(FadeIn(minus), FadeIn(linear), FadeIn(linear_name), FadeIn(torch_note), run_time=0.8)
        wrap = self.signed(a["wrap_difference"], BIG, limit=a["wrap_max_abs"]).move_to([xs[2], y, 0])
        equals = formula("=", t, font_size=40).move_to([(xs[1] + xs[2]) / 2 + 0.25, y, 0])
        wrap_name = self.named(wrap, text=self.tr("difference", "差"), color=t.text)
        legend = label(self.tr("background = 0", "背景色 = 0"), t, color=t.muted).next_to(wrap, DOWN, buff=0.1)
        band = label(self.tr(f"only within {v.band} px of the border", f"只在离边界 {v.band} 像素以内"), t,
                     color=t.highlight).next_to(legend, DOWN, buff=0.12)
        self.play(FadeIn(equals), FadeIn(wrap), FadeIn(wrap_name), FadeIn(legend), run_time=0.8)
        self.play(FadeIn(band), run_time=0.5)
        # the band is a few pixels of the picture: its top-left corner magnified, on the same colour scale
        share = a["wrap_corner_size"] / len(a["wrap_difference"])
        spot = Rectangle(width=BIG * share, height=BIG * share, color=t.highlight, stroke_width=2)
        spot.move_to(wrap.get_corner(UP + LEFT), aligned_edge=UP + LEFT)
        # below the texts; both outlined in the highlight colour (lines joining them would cross the texts)
        corner = self.signed(a["wrap_corner"], 0.9, limit=a["wrap_max_abs"]).next_to(band, DOWN, buff=0.15)
        corner.border.set_color(t.highlight)
        self.say("wrap", wait=False, band=v.band)
        self.play(FadeIn(spot), FadeIn(corner), run_time=0.8)
        self.finish_line()

        self.next_section("zero padding")
        self.clear()
        padded = self.grey(a["padded_image_display"], t.input, BIG).move_to([xs[0], y, 0])
        padded_name = self.named(padded, text=self.tr("A padded to N×N", "A 补零到 N×N"),
                                 color=t.input)
        size_sum = label(v.padded_sum, t, color=t.muted).next_to(padded, DOWN, buff=0.12)
        self.say("padded", wait=False, padded=v.padded_text)
        self.play(FadeIn(padded), FadeIn(padded_name), FadeIn(size_sum), run_time=0.8)
        through = self.grey(a["padded_fft_output_display"], t.output, BIG).move_to([xs[1], y, 0])
        through_name = self.named(through, rf"{F_INV}({F_A} \odot {F_W})", color=t.output)
        into = arrow(padded.get_right(), through.get_left(), t.muted, buff=0.12)
        full = self.grey(a["linear_full_display"], t.output, BIG).move_to([xs[2], y, 0])
        full_name = self.named(full, r"\mathbf{A} \otimes \mathbf{W}", color=t.output)
        full_note = label(self.tr(f"linear, torch, p = c − 1 = {v.full_padding}",
                                  f"线性卷积，torch，p = c − 1 = {v.full_padding}"), t, color=t.muted).next_to(full, DOWN, buff=0.1)
        equals = formula("=", t, font_size=40).move_to([(xs[1] + xs[2]) / 2 + 0.25, y, 0])
        self.play(FadeIn(into), FadeIn(through), FadeIn(through_name), run_time=0.8)
        self.play(FadeIn(equals), FadeIn(full), FadeIn(full_name), FadeIn(full_note), run_time=0.8)
        diff = cached_text(self.tr(f"max |Δ| = {v.padded_diff_text}", f"最大差 = {v.padded_diff_text}"),
                           font=MONO, font_size=26, color=t.highlight).next_to(full_note, DOWN, buff=0.12)
        self.play(FadeIn(diff), run_time=0.5)
        self.say("linear", diff=v.padded_diff_text)

    def pass_filters(self) -> None:
        """|H| of the blur (low-pass) and of the Laplacian (high-pass), each beside what it lets through."""
        t, v = self.theme, self.values
        a = v.arrays
        self.next_section("low-pass")
        self.clear()
        xs, y = (-4.7, -2.0, 2.0, 4.7), 0.6
        halves = []
        for role, response_x, output_x in (("blur", xs[0], xs[1]), ("edge", xs[2], xs[3])):
            info = v.data[role]
            response = self.magnitude(a[f"{role}_magnitude"], "kernel", BIG).move_to([response_x, y, 0])
            # the frequency HIGH_FREQUENCY (0.25 cycles per pixel) is a quarter of the picture's side from its centre
            ring = DashedVMobject(Circle(radius=BIG * v.high_frequency, color=t.muted, stroke_width=2),
                                  num_dashes=28).move_to(response)
            name = VGroup(label(self.tr(*info["name"]), t, color=t.kernel),
                          formula("|H|", t, font_size=40, color=t.kernel))
            name.arrange(DOWN, buff=0.1).next_to(response, UP, buff=0.12)
            numbers = VGroup(cached_text(f"H(0, 0) = {info['dc_text']}", font=MONO, font_size=26, color=t.highlight),
                             cached_text(self.tr(f"mean |H|: low {info['low_text']}, high {info['high_text']}",
                                                 f"|H| 平均：低频 {info['low_text']}，高频 {info['high_text']}"),
                                         font=MONO, font_size=26, color=t.highlight))
            numbers.arrange(DOWN, buff=0.1).next_to(response, DOWN, buff=0.15).set_x((response_x + output_x) / 2)
            if role == "blur":
                output = self.grey(a["blur_fft_output_display"], t.output, BIG)
            else:
                output = self.signed(a["edge_fft_output"], BIG, limit=a["edge_output_limit"])
            output.move_to([output_x, y, 0])
            output_name = self.named(output, r"\mathbf{A} \otimes \mathbf{W}", color=t.output)
            into = arrow(response.get_right(), output.get_left(), t.muted, buff=0.1)
            halves.append((response, ring, name, numbers, into, output, output_name))
        legend = label(self.tr("inside the dashed circle: low frequencies; centre: frequency 0",
                               "虚线圆内：低频；中心：零频率"), t, color=t.muted).move_to([0, y - BIG / 2 - 1.35, 0])
        response, ring, name, numbers, into, output, output_name = halves[0]
        self.say("lowpass", wait=False)
        self.play(FadeIn(response), FadeIn(name), run_time=0.8)
        self.play(FadeIn(ring), FadeIn(legend), run_time=0.6)
        self.finish_line()
        self.play(FadeIn(numbers), run_time=0.5)
        blur = v.blur
        self.say("lowpass_numbers", dc=blur["dc_text"], low=blur["low_text"], high=blur["high_text"])
        self.say("blurred", wait=False)
        self.play(FadeIn(into), FadeIn(output), FadeIn(output_name), run_time=0.8)

        self.next_section("high-pass")
        response, ring, name, numbers, into, output, output_name = halves[1]
        self.say("highpass", wait=False)
        self.play(FadeIn(response), FadeIn(name), FadeIn(ring), run_time=0.8)
        self.play(FadeIn(numbers), run_time=0.5)
        edge = v.edge
        self.say("highpass_numbers", low=edge["low_text"], high=edge["high_text"])
        self.say("edges", wait=False)
        self.play(FadeIn(into), FadeIn(output), FadeIn(output_name), run_time=0.8)
        self.finish_line()
