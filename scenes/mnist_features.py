"""Inside the trained MNIST CNN: a real test digit, the learned kernels, feature maps layer by layer, softmax.

Render alone with ``manim -ql scenes/mnist_features.py InsideTrainedNetwork``. The words are in
``scenes/scripts/mnist_features.yaml``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, GrowFromEdge, Rectangle, VGroup

from scenes.common import MONO, LectureScene, arrow, cached_text, formula, label, legible_formula
from scenes.mnist_maps import DIGIT_FONT, digit_opening, map_picture, picture, sign_legend, small_grid

__all__ = ["InsideTrainedNetwork"]

DIGIT_SMALL = (-5.65, 0.0)  # where the digit waits, small, while the layers are shown
SMALL = 1.3  # its side there
STAGE_X0, STAGE_STEP = -3.66, 2.3  # x of the first column of maps, and between two (5 columns: 5 % kept free)
MAP = 0.78  # side of one feature map
MAP_BUFF = 0.08  # between two maps of a column
MAPS_TOP = -0.05 + (4 * MAP + 3 * MAP_BUFF) / 2  # the columns' top (a column of 4 rows centred at y = -0.05)
NUMBERS_LOWEST = -3.15  # the kernels' numbers stay above a caption (its top, one line: about -3.2)
RIGHT_BUFF = 0.75  # a right edge's distance from the frame's (5 % of its width inside)
KERNEL = 0.5  # side of one kernel's picture
BAR_X0, BAR_STEP = -5.7, 1.0  # the softmax bars: first centre, distance between two


class InsideTrainedNetwork(LectureScene):
    """Digit → 32 kernels → 8 maps per layer → 10 probabilities."""

    scene_id = "mnist_features"

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        digit_opening(self)
        self.next_section("the digit")
        digit = picture(v.image_rgb, 2.6, t.input).move_to([-4.3, 0.4, 0])
        if v.sample_of is not None:  # the lecture's own data
            about = self.tr(f"{v.sample_of}: test sample #{v.index}, label {v.label}",
                            f"{v.sample_of}：测试集第 {v.index} 个样本，标签 {v.label}")
        elif not v.own:
            about = self.tr(f"test digit #{v.index}, label {v.label}", f"测试集第 {v.index} 个数字，标签 {v.label}")
        elif v.label is not None:  # the class the config gives for the picture
            about = self.tr(f"{v.name}, label {v.label}", f"{v.name}，标签 {v.label}")
        else:  # no label: nothing claims a true class
            about = self.tr(f"{v.name}, label not given", f"{v.name}，未给出标签")
        about = label(about, t, font_size=DIGIT_FONT)
        about.next_to(digit, DOWN, buff=0.2)
        if about.get_left()[0] < -6.3:  # a long file name: its left end 5 % inside the frame
            about.shift(RIGHT * (-6.3 - about.get_left()[0]))
        self.say("digit", wait=False)
        self.play(FadeIn(digit), FadeIn(about), run_time=0.8)
        shown = self.kernels(digit, about)
        self.next_section("feature maps")
        self.play(FadeOut(shown), run_time=0.6)
        prev = digit
        columns = Group()
        seen_pool = False
        coarser = False
        for n, stage in enumerate(v.stages):
            self.next_section(stage["name"])
            name, kind = stage["name"], stage["kind"]
            maps = Group(*(picture(px, MAP, t.output, stroke=1.5) for px in stage["pictures"]))
            # every column's top level with a full one's (4 rows of 2), whatever its number of maps
            maps.arrange_in_grid(cols=2, buff=MAP_BUFF).move_to([STAGE_X0 + STAGE_STEP * n, MAPS_TOP, 0],
                                                                  aligned_edge=UP)
            head = VGroup(cached_text(name, font=MONO, font_size=DIGIT_FONT, color=t.output),
                          cached_text(stage["shape"], font=MONO, font_size=DIGIT_FONT, color=t.muted)
                          ).arrange(DOWN, buff=0.08)
            head.next_to(maps, UP, buff=0.18)
            link = arrow(prev.get_right(), maps.get_left(), t.muted, buff=0.08)
            fields = {"name": name, "total": stage["total"], "shown": len(stage["channels"]),
                      "n": stage["side_in"], "m": stage["side_out"]}
            # what comes in is said as it comes
            if n == 0:
                line = "conv1" if stage["relu"] else "conv1_linear"
                self.tell(line if fields["shown"] < fields["total"] else f"{line}_all", wait=False, **fields)
            elif kind.endswith("pool"):
                line = ("pool_again" if seen_pool else "pool") if kind == "maxpool" else "pool_avg"
                self.tell(line if stage["halves"] else f"{line}_general", wait=False, **fields)
                seen_pool = True
            elif kind == "batchnorm":
                self.tell("bn", wait=False, **fields)
            else:
                self.tell("deeper" if fields["shown"] < fields["total"] else "deeper_all", wait=False, **fields)
            self.play(FadeIn(link), FadeIn(head), FadeIn(maps), run_time=1.0)
            if n == 0:
                legend = label(self.tr("black = 0, white = the layer's largest value", "黑 = 0，白 = 该层最大值"),
                               t, color=t.muted, font_size=DIGIT_FONT)
                legend.move_to([0.3, MAPS_TOP - 4 * MAP - 3 * MAP_BUFF - 0.22, 0], aligned_edge=UP)  # under 4 rows
                self.say("white", wait=False)
                self.play(FadeIn(legend), run_time=0.4)
                columns.add(legend)
            elif not coarser and not kind.endswith("pool") and stage["side_out"] < v.stages[0]["side_out"]:
                self.say("coarser")  # at the first conv layer whose maps are smaller than the first ones
                coarser = True
            columns.add(link, head, maps)
            prev = maps
        self.softmax(Group(digit, columns))

    def kernels(self, digit: Group, about) -> Group:
        """The first conv layer's learned kernels as pictures (up to 32), two (one, from 5×5) also in numbers;
        returns what is on screen for them."""
        t, v, a = self.theme, self.values, self.values.arrays
        self.next_section("learned kernels")
        pics = Group(*(map_picture(k, KERNEL, t, signed=True, role="kernel", limit=a["kernel_scale"])
                       for k in a["kernels"]))
        count, k, layer = v.kernel_count, v.kernel_size, v.kernel_layer
        pics.arrange_in_grid(cols=min(8, len(pics)), buff=0.1).move_to([-0.4, 1.3, 0])
        if count > len(pics):  # a wide first layer: the first ones
            head = self.tr(f"{layer}: {len(pics)} of its {count} learned {k}×{k} kernels",
                           f"{layer}：学到的 {count} 个 {k}×{k} 卷积核中的 {len(pics)} 个")
        else:
            head = self.tr(f"{layer}: {count} learned {k}×{k} kernels", f"{layer}：学到的 {count} 个 {k}×{k} 卷积核")
        head = label(head, t, color=t.kernel, font_size=DIGIT_FONT).next_to(pics, UP, buff=0.18)
        legend = sign_legend(t).next_to(pics, RIGHT, buff=0.35).align_to(pics, UP)
        grids = Group()
        for c, w in v.numbered:
            g = small_grid(w, t, t.kernel, digits=2)
            name = formula(rf"W_{{\text{{{layer}}}}}[{c}]", t, font_size=38, color=t.kernel).next_to(g, LEFT, buff=0.2)
            grids.add(Group(name, g))
        grids.arrange(RIGHT, buff=0.6).next_to(pics, DOWN, buff=0.3).set_x(0.75)
        if grids.get_bottom()[1] < NUMBERS_LOWEST:  # a large kernel's numbers: at the right, from the top; the
            grids.to_edge(RIGHT, buff=RIGHT_BUFF).align_to(head, UP)  # pictures move left of them
            shown = Group(head, pics, legend)
            shown.shift(RIGHT * (grids.get_left()[0] - 0.4 - shown.get_right()[0]))
        marks = VGroup(*(Rectangle(width=KERNEL + 0.08, height=KERNEL + 0.08, color=t.highlight, stroke_width=3)
                         .move_to(pics[c]) for c, _ in v.numbered))
        self.say("kernels", wait=False, count=count)
        self.play(FadeOut(about), digit.animate.scale(SMALL / digit.height).move_to([*DIGIT_SMALL, 0]), run_time=0.8)
        self.play(FadeIn(head), FadeIn(pics), FadeIn(legend), run_time=1.0)
        self.say("detectors")
        self.say("numbers" if len(v.numbered) == 2 else "numbers_one", wait=False)
        self.play(FadeIn(marks), FadeIn(grids), run_time=0.8)
        self.say("weights")
        return Group(head, pics, legend, grids, marks)

    def softmax(self, network: Group) -> None:
        t, v = self.theme, self.values
        self.next_section("softmax")
        probs = self.values.arrays["probabilities"]
        bars, texts, classes = VGroup(), VGroup(), VGroup()
        for i, (q, s) in enumerate(zip(probs, v.prob_text)):
            x = BAR_X0 + i * BAR_STEP
            color = t.output if i == v.prediction else t.muted
            bar = Rectangle(width=0.55, height=max(q * 3.2, 0.02), color=color, fill_color=color, fill_opacity=0.7,
                            stroke_width=1.5).move_to([x, -2.2, 0], aligned_edge=DOWN)
            bars.add(bar)
            texts.add(cached_text(s, font=MONO, font_size=DIGIT_FONT, color=t.text).next_to(bar, UP, buff=0.1))
            classes.add(cached_text(str(i), font=MONO, font_size=DIGIT_FONT, color=t.text)
                        .next_to([x, -2.2, 0], DOWN, buff=0.12))
        law = legible_formula(r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}", t, font_size=40)
        law.move_to([5.0, 1.3, 0]).to_edge(RIGHT, buff=0.9)  # its right edge 5 % inside the frame
        self.say("softmax", wait=False)
        self.play(FadeOut(network), run_time=0.6)
        self.play(FadeIn(classes), FadeIn(law), *(GrowFromEdge(b, DOWN) for b in bars), run_time=1.2)
        self.play(FadeIn(texts), run_time=0.6)
        self.wait(0.5)
        if v.label is None:  # an own digit without a label: the prediction only, neither ✓ nor ✗
            verdict = VGroup(label(self.tr(f"predicted {v.prediction}", f"预测 {v.prediction}"), t,
                                   color=t.output, font_size=30))
        else:
            ok = v.prediction == v.label
            lines = VGroup(label(self.tr(f"predicted {v.prediction}", f"预测 {v.prediction}"), t,
                                 color=t.output if ok else t.gradient, font_size=30),
                           label(self.tr(f"label {v.label}", f"标签 {v.label}"), t, font_size=30)
                           ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
            mark = label("✓" if ok else "✗", t, color=t.output if ok else t.gradient, font_size=44)
            verdict = VGroup(lines, mark.next_to(lines, RIGHT, buff=0.3))
        verdict.move_to([5.0, -0.3, 0]).to_edge(RIGHT, buff=0.9)
        self.say("prediction", wait=False, prediction=v.prediction, p=v.spoken_p[v.prediction])
        self.play(FadeIn(verdict), run_time=0.6)
        r = v.runner_up
        self.say("runner_up", r=r, p=v.spoken_p[r])
