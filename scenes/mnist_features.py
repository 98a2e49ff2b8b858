"""Inside the trained MNIST CNN: a real test digit, the learned kernels, feature maps layer by layer, softmax.

Render alone with ``manim -ql scenes/mnist_features.py InsideTrainedNetwork``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, GrowFromEdge, Rectangle, VGroup

from scenes.common import MONO, LectureScene, arrow, cached_text, formula, label
from scenes.mnist_maps import picture, small_grid

__all__ = ["InsideTrainedNetwork"]

STAGE_X = (-2.45, -0.35, 1.75, 3.85, 5.95)  # x of the conv1 … conv3 columns
MAP = 0.75  # side of one feature map


class InsideTrainedNetwork(LectureScene):
    """Digit → 32 kernels → 8 maps per layer → 10 probabilities."""

    scene_id = "mnist_features"

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        self.next_section("the digit")
        digit = picture(v.image_rgb, 2.6, t.input).move_to([-4.6, 0.4, 0])
        about = label(self.tr(f"test digit #{self.params.index}, label {v.label}",
                              f"测试集第 {self.params.index} 个数字，标签 {v.label}"), t, font_size=22)
        about.next_to(digit, DOWN, buff=0.2)
        self.play(FadeIn(digit), FadeIn(about), run_time=0.8)
        self.caption("A real handwritten digit from the test set: 28×28 pixels between 0 and 1.",
                     "测试集中一个真实的手写数字：28×28 个像素，取值在 0 到 1 之间。")
        self.kernels()
        self.next_section("feature maps")
        self.play(FadeOut(about), digit.animate.scale(0.5).move_to([-5.9, 0.0, 0]), run_time=0.8)
        prev = digit
        columns = Group()
        for n, stage in enumerate(v.stages):
            self.next_section(stage["name"])
            maps = Group(*(picture(px, MAP, t.output, stroke=1.5) for px in stage["pictures"]))
            maps.arrange_in_grid(rows=4, cols=2, buff=0.08).move_to([STAGE_X[n], -0.15, 0])
            head = VGroup(cached_text(stage["name"], font=MONO, font_size=22, color=t.output),
                          cached_text(stage["shape"], font=MONO, font_size=17, color=t.muted)).arrange(DOWN, buff=0.08)
            head.next_to(maps, UP, buff=0.2)
            link = arrow(prev.get_right(), maps.get_left(), t.muted, buff=0.08)
            self.play(FadeIn(link), FadeIn(head), FadeIn(maps), run_time=1.0)
            if n == 0:
                legend = label(self.tr("black = 0, white = the layer's largest value", "黑 = 0，白 = 该层最大值"), t,
                               color=t.muted, font_size=18).next_to(maps, DOWN, buff=0.2).set_x(1.75)
                self.play(FadeIn(legend), run_time=0.4)
                columns.add(legend)
            columns.add(link, head, maps)
            prev = maps
            self.caption(*self.stage_caption(stage))
        self.softmax(Group(digit, columns))

    def stage_caption(self, stage: dict) -> tuple[str, str]:
        name, shown, total = stage["name"], len(stage["channels"]), stage["total"]
        if name == "conv1":
            return (f"After conv1 + ReLU: {shown} of its {total} feature maps; white = strong response.",
                    f"conv1 + ReLU 之后：{total} 张特征图中的 {shown} 张；越白响应越强。")
        if name.startswith("pool"):
            return ("Max pooling keeps each 2×2 window's strongest response: half the size, same channels.",
                    "最大池化保留每个 2×2 窗口中最强的响应：尺寸减半，通道不变。")
        return (f"{name} combines all maps below into {total}; {shown} most active shown. Deeper maps are coarser.",
                f"{name} 把下层所有特征图组合成 {total} 张；这里是最活跃的 {shown} 张。越深的特征图越粗略。")

    def kernels(self) -> None:
        t, v = self.theme, self.values
        self.next_section("learned kernels")
        pics = Group(*(picture(px, 0.55, t.kernel, stroke=1.5) for px in v.kernel_pictures))
        pics.arrange_in_grid(rows=4, cols=8, buff=0.12).move_to([1.9, 1.05, 0])
        head = label(self.tr("conv1: 32 learned 3×3 kernels", "conv1：学到的 32 个 3×3 卷积核"), t,
                     color=t.kernel, font_size=24).next_to(pics, UP, buff=0.2)
        legend = label(self.tr("red > 0, blue < 0, dark = 0", "红 > 0，蓝 < 0，暗 = 0"), t, color=t.muted,
                       font_size=18).next_to(pics, DOWN, buff=0.15)
        self.play(FadeIn(head), FadeIn(pics), FadeIn(legend), run_time=1.0)
        self.caption("Training turned random numbers into these 32 kernels: edge and stroke detectors.",
                     "训练把随机数变成了这 32 个卷积核：小小的边缘和笔画检测器。")
        grids = Group()
        for c, k in v.numbered:
            g = small_grid(k, t, t.kernel, max_width=2.0, max_cell=0.6, digits=2)
            name = formula(rf"W_{{\text{{conv1}}}}[{c}]", t, font_size=26, color=t.kernel).next_to(g, LEFT, buff=0.2)
            grids.add(Group(name, g))
            pics[c].add(Rectangle(width=0.62, height=0.62, color=t.highlight, stroke_width=3).move_to(pics[c]))
        grids.arrange(RIGHT, buff=0.7).next_to(legend, DOWN, buff=0.25).set_x(pics.get_x())
        self.play(FadeIn(grids), run_time=0.8)
        self.caption("Two of them in numbers: the weights each slides over the digit.",
                     "其中两个的数值：它们各自在数字上滑动的权重。")
        self.play(FadeOut(Group(head, pics, legend, grids)), run_time=0.6)

    def softmax(self, network: Group) -> None:
        t, v = self.theme, self.values
        self.next_section("softmax")
        self.play(FadeOut(network), run_time=0.6)
        probs = self.values.arrays["probabilities"]
        bars, texts, classes = VGroup(), VGroup(), VGroup()
        for i, (q, s) in enumerate(zip(probs, v.prob_text)):
            x = -6.0 + i * 0.9
            color = t.output if i == v.prediction else t.muted
            bar = Rectangle(width=0.55, height=max(q * 3.2, 0.02), color=color, fill_color=color, fill_opacity=0.7,
                            stroke_width=1.5).move_to([x, -2.2, 0], aligned_edge=DOWN)
            bars.add(bar)
            texts.add(cached_text(s, font=MONO, font_size=20, color=t.text).next_to(bar, UP, buff=0.1))
            classes.add(cached_text(str(i), font=MONO, font_size=24, color=t.text).next_to([x, -2.2, 0], DOWN, buff=0.12))
        law = formula(r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}", t, font_size=34).move_to([5.0, 1.2, 0])
        self.play(FadeIn(classes), FadeIn(law), *(GrowFromEdge(b, DOWN) for b in bars), run_time=1.2)
        self.play(FadeIn(texts), run_time=0.6)
        self.caption("Dense layers, then softmax: ten probabilities that add up to 1.",
                     "全连接层之后经过 softmax：十个概率，总和为 1。")
        ok = v.prediction == v.label
        verdict = label(self.tr(f"predicted {v.prediction}, label {v.label}" + (" ✓" if ok else " ✗"),
                                f"预测 {v.prediction}，标签 {v.label}" + (" ✓" if ok else " ✗")), t,
                        color=t.output if ok else t.gradient, font_size=28).move_to([5.0, -0.1, 0])
        self.play(FadeIn(verdict), run_time=0.6)
        self.caption(f"The largest probability is the prediction: {v.prediction} with {v.prob_text[v.prediction]}.",
                     f"概率最大的类别就是预测：{v.prediction}，概率 {v.prob_text[v.prediction]}。")
        r = v.runner_up
        self.caption(f"Next most likely: {r}, with {v.prob_text[r]}.", f"其次是 {r}，概率 {v.prob_text[r]}。")
