"""Multi-channel convolution: one kernel per input channel, their sums plus a bias; C_out kernels give C_out
feature maps; the parameter count; a 1x1 convolution as channel mixing.

Render alone with ``manim -ql scenes/multichannel.py SumOverInputChannels``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ReplacementTransform, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, cells_box, formula, label, step_times
from scenes.multichannel_parts import pointwise, sub

__all__ = ["SumOverInputChannels"]


class SumOverInputChannels(LectureScene):
    """C_in input grids, a kernel under each, channel sums + b into C_out output maps; then 1x1 mixing."""

    scene_id = "multichannel"
    detailed_steps = 2

    def grids(self, arrays, key: str, color: str, width: float, height: float, most: float, **kw) -> VGroup:
        maps = arrays[key]
        cols = min(len(maps), 2) if key != "input" else len(maps)
        rows = -(-len(maps) // cols)
        gaps = (0.5, 0.85)  # room for names above and biases below each map
        cell = min(most, (width - (cols - 1) * gaps[0]) / (cols * maps.shape[2]),
                   (height - (rows - 1) * gaps[1]) / (rows * maps.shape[1]))
        group = VGroup(*(NumberGrid(m, self.theme, color, cell=cell, font_size=26 * cell / 0.6, **kw) for m in maps))
        return group.arrange_in_grid(rows=rows, cols=cols, buff=gaps)

    def named(self, group: VGroup, names: list[str], color: str, direction=UP) -> VGroup:
        return VGroup(*(label(n, self.theme, color=color, font_size=24).next_to(g, direction, buff=0.12)
                        for n, g in zip(names, group)))

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        c_out, c_in = a["kernel"].shape[:2]
        inputs = self.grids(a, "input", t.input, 7.0, 2.2, 0.5).to_edge(LEFT, buff=0.5).align_to(UP * 2.55, UP)
        in_names = self.named(inputs, [f"A{sub(c + 1)}" for c in range(c_in)], t.input)
        self.next_section("input channels")
        self.play(FadeIn(inputs), FadeIn(in_names), run_time=0.8)
        self.caption(f"The input has C_in = {c_in} channels, one grid each.",
                     f"输入有 C_in = {c_in} 个通道，每个通道一张网格。")

        # one kernel per input channel, under its channel
        def kernels(d: int) -> tuple[VGroup, VGroup]:
            cell = inputs[0].cell_size
            ks = VGroup(*(NumberGrid(a["kernel"][d, c], t, t.kernel, cell=cell, font_size=26 * cell / 0.6)
                          .next_to(inputs[c], DOWN, buff=0.6) for c in range(c_in)))
            ops = VGroup(*(label(f"⊙ W{sub(d + 1, c + 1)}", t, color=t.kernel, font_size=24)
                           .move_to((inputs[c].get_bottom() + ks[c].get_top()) / 2) for c in range(c_in)))
            return ks, ops

        outputs = self.grids(a, "output", t.output, 4.8, 3.1, 0.6, show_values=False)
        outputs.move_to(RIGHT * 4.3 + UP * 0.8)
        out_names = self.named(outputs, [f"Z{sub(d + 1)}" for d in range(c_out)], t.output)
        biases = self.named(outputs, [f"b{sub(d + 1)} = {fmt(b)}" for d, b in enumerate(a["bias"])], t.kernel,
                            DOWN)
        ks, ops = kernels(0)
        self.next_section("kernels of output channel 1")
        self.play(FadeIn(ks), FadeIn(ops), run_time=0.8)
        self.play(FadeIn(outputs), FadeIn(out_names), FadeIn(biases), run_time=0.8)
        self.caption(f"Output channel 1 has one kernel per input channel: {c_in} kernels, and one bias.",
                     f"输出通道 1 对每个输入通道各有一个卷积核：共 {c_in} 个，外加一个偏置。")

        steps, per_map = v.trace.steps, len(v.trace.steps) // c_out
        times = step_times(len(steps), slow=1.0, fast=0.2, slow_steps=self.detailed_steps)
        boxes = out_box = sums = eq = None
        values = VGroup()
        eq_head = label(self.tr("channel sums + bias:", "各通道之和 + 偏置："), t, color=t.muted, font_size=24)
        for n, (step, run) in enumerate(zip(steps, times)):
            d = step.out_channel
            if n < self.detailed_steps:
                self.next_section(f"step {n + 1}")
            elif n % per_map == 0:
                self.next_section(f"output channel {d + 1}")
                new_ks, new_ops = kernels(d)
                self.play(ReplacementTransform(ks, new_ks), ReplacementTransform(ops, new_ops), run_time=0.8)
                ks, ops = new_ks, new_ops
            elif n == self.detailed_steps:
                self.next_section("remaining steps")
            new_boxes = VGroup(*(cells_box(g, step.cells, t.kernel) for g in inputs))
            new_out = cells_box(outputs[d], [step.out_pos], t.output)
            new_sums = VGroup(*(cached_text(f"Σ = {fmt(s)}", font=MONO, font_size=22, color=t.highlight)
                                .next_to(ks[c], DOWN, buff=0.15) for c, s in enumerate(v.partials[n])))
            new_eq = VGroup(eq_head.copy(), cached_text(v.step_text[n], font=MONO, font_size=26, color=t.output))
            new_eq.arrange(RIGHT, buff=0.25).move_to(DOWN * 2.55 + LEFT * 1.0)
            value = outputs[d].number_for(*step.out_pos, step.value)
            if boxes is None:
                self.play(FadeIn(new_boxes), FadeIn(new_out), run_time=run)
                boxes, out_box = new_boxes, new_out
            else:
                self.play(Transform(boxes, new_boxes), Transform(out_box, new_out), run_time=run)
            if n < self.detailed_steps:
                self.play(*(ReplacementTransform(ks[c].copy(), new_sums[c]) for c in range(c_in)),
                          *([FadeOut(sums), FadeOut(eq)] if sums else []), run_time=run)
                self.add(new_sums)  # regroup the parts the transforms left at top level
                self.play(FadeIn(new_eq), run_time=run)
                self.play(ReplacementTransform(new_eq[1].copy(), value), run_time=run)
                if n == 0:
                    self.caption("Each channel gives a sum of products; the channel sums and the bias add up.",
                                 "每个通道得到一个乘积之和；各通道之和再加上偏置。")
            else:
                self.remove(*(m for m in (sums, eq) if m is not None))
                self.add(new_sums, new_eq)
                self.play(FadeIn(value), run_time=run)
            sums, eq = new_sums, new_eq
            values.add(value)
        self.next_section("formula")
        self.play(FadeOut(boxes), FadeOut(out_box), FadeOut(sums), FadeOut(eq), run_time=0.5)
        law = formula(r"Z_d = \sum_{c=1}^{C_{in}} A_c \otimes W_{d,c} + b_d", t, font_size=38).move_to(DOWN * 2.4)
        self.play(FadeIn(law), run_time=0.8)
        self.caption(f"{c_out} sets of kernels give {c_out} feature maps: the output has C_out = {c_out} channels.",
                     f"{c_out} 组卷积核得到 {c_out} 张特征图：输出有 C_out = {c_out} 个通道。")

        self.next_section("parameter count")
        count = VGroup(formula(r"k^2 \cdot C_{in} \cdot C_{out} + C_{out} =", t, font_size=36),
                       cached_text(v.count_text, font=MONO, font_size=28, color=t.kernel)).arrange(RIGHT, buff=0.3)
        self.play(FadeOut(law), FadeIn(count.move_to(DOWN * 2.4)), run_time=0.8)
        self.caption("Parameters: C_out × C_in kernels of k×k weights, plus one bias per output channel.",
                     "参数个数：C_out × C_in 个 k×k 卷积核的权重，加上每个输出通道一个偏置。")
        pointwise(self, inputs, VGroup(ks, ops, outputs, values, out_names, biases, count))
