"""Backprop through pooling: up(δ) — max pooling routes δ to each window's argmax, mean pooling spreads it.

Render alone with ``manim -ql scenes/backprop_pool.py BackpropThroughPooling``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Text, Transform, TransformFromCopy, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, cached_text, cells_box, formula, label, step_times

__all__ = ["BackpropThroughPooling"]

ROW_Y = UP * 0.3
PANEL_Y = DOWN * 2.25
NAMES = {"max": ("max pooling", "最大池化"), "avg": ("mean pooling", "平均池化")}
# R_k: the k-th pooling window
LAWS = {"max": r"\mathrm{up}(\delta)_{ij} = \sum_{k:\ (i,j) = \arg\max_{R_k} A} \delta_k",
        "avg": r"\mathrm{up}(\delta)_{ij} = \sum_{k:\ (i,j) \in R_k} \frac{\delta_k}{|R_k|}"}


class BackpropThroughPooling(LectureScene):
    """δ of the pooled layer, upsampled to the layer below, window by window, for both modes."""

    scene_id = "backprop_pool"
    detailed_steps = 2

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        x = v.arrays["input"]
        cell = min(0.8, 3.2 / x.shape[0])
        small = min(0.8, 1.8 / v.delta.shape[0])
        self.a = NumberGrid(x, t, t.input, cell=cell, font_size=42 * cell)
        self.d = NumberGrid(v.delta, t, t.gradient, cell=small, font_size=42 * small)
        self.y = NumberGrid(v.modes[0].back.trace.output, t, t.output, cell=small, font_size=42 * small)
        mid = VGroup(self.y, self.d).arrange(DOWN, buff=0.6)
        grad0 = NumberGrid(x, t, t.gradient, cell=cell, font_size=42 * cell, show_values=False)
        VGroup(self.a, mid, grad0).arrange(RIGHT, buff=1.4).move_to(ROW_Y)
        self.names = VGroup(formula("A", t, font_size=40, color=t.input).next_to(self.a, UP, buff=0.15),
                            formula(r"\delta", t, font_size=40, color=t.gradient).next_to(self.d, UP, buff=0.12))
        self.next_section("setup")
        self.play(FadeIn(self.a), FadeIn(self.names[0]), run_time=0.8)
        for mv in v.modes:
            self.show_mode(mv, grad0.copy())

    def show_mode(self, mv, grad: NumberGrid) -> None:
        t, first = self.theme, mv is self.values.modes[0]
        self.next_section(NAMES[mv.mode][0])
        y = NumberGrid(mv.back.trace.output, t, t.output, cell=self.y.cell_size,
                       font_size=self.y.font_size).move_to(self.y)
        head = label(self.tr(*NAMES[mv.mode]), t, font_size=26).next_to(y, UP, buff=0.12)
        gname = formula(r"\partial L / \partial A = \mathrm{up}(\delta)", t, font_size=38,
                        color=t.gradient).next_to(grad, UP, buff=0.15)
        self.play(FadeIn(y), FadeIn(head), run_time=0.8)
        self.caption(*(("Forward: max pooling keeps each window's largest value.", "前向：最大池化保留每个窗口的最大值。")
                       if mv.mode == "max" else
                       ("Forward: mean pooling keeps each window's average.", "前向：平均池化保留每个窗口的平均值。")))
        if first:
            self.play(FadeIn(self.d), FadeIn(self.names[1]), run_time=0.6)
            self.caption("Backward: δ of the pooled layer is given; it goes back to the layer below.",
                         "反向：已知池化层的误差项 δ，要把它传回下一层（上采样）。")
        self.play(FadeIn(grad), FadeIn(gname), run_time=0.6)
        if not first:  # without it the forward caption would stay up over the backward steps
            self.caption("Backward: the same δ goes back to the layer below.",
                         "反向：同样的误差项 δ 传回下一层（上采样）。")
        self.next_section(f"{NAMES[mv.mode][0]}: windows")
        written: dict[tuple[int, int], object] = {}
        boxes, panel = None, None
        times = step_times(len(mv.steps), slow=1.0, fast=0.3, slow_steps=self.detailed_steps)
        for n, (step, run) in enumerate(zip(mv.steps, times)):
            if 0 < n <= self.detailed_steps:
                self.next_section(f"{NAMES[mv.mode][0]}: window {n + 1}")
            new = VGroup(cells_box(self.a, step.cells, t.highlight), cells_box(y, [step.out_pos], t.highlight),
                         cells_box(self.d, [step.out_pos], t.highlight), cells_box(grad, step.cells, t.highlight))
            if step.chosen is not None:  # the cell that won the forward max
                new.add(cells_box(self.a, [step.chosen], t.output, buff=-0.06, stroke_width=4))
            new_panel = self.panel(mv.mode, step)
            self.play(Transform(boxes, new) if boxes else FadeIn(new),
                      Transform(panel, new_panel) if panel else FadeIn(new_panel), run_time=run)
            boxes, panel = boxes or new, panel or new_panel
            moves = []
            for cell, share in zip(step.cells, step.shares.flat):
                num = grad.number_for(*cell, step.running[cell],
                                      color=t.text if share != 0 else t.muted)
                src = self.d.number(*step.out_pos)
                old = written.get(cell)
                if share != 0:
                    moves.append(TransformFromCopy(src, num))
                    if old is not None:
                        moves.append(FadeOut(old))
                elif old is None:
                    moves.append(FadeIn(num))
                else:
                    continue
                written[cell] = num
            self.play(*moves, run_time=run)
            if n < self.detailed_steps:
                self.wait(0.5)
        rest = [FadeIn(grad.number_for(i, j, mv.back.grad_input[i, j], color=t.muted))
                for i, j in np.ndindex(grad.shape) if (i, j) not in written]
        self.play(FadeOut(boxes), FadeOut(panel), *rest, run_time=0.6)
        self.next_section(f"{NAMES[mv.mode][0]}: rule")
        law = formula(LAWS[mv.mode], t, font_size=34).move_to(PANEL_Y)
        self.play(FadeIn(law), run_time=0.6)
        self.caption(*(("Max pooling: each δ goes to its window's maximum; every other cell gets 0.",
                        "最大池化：δ 只传给窗口中最大值所在位置，其余位置为 0。") if mv.mode == "max" else
                       ("Mean pooling: each δ is spread evenly over its window.",
                        "平均池化：δ 平均分给窗口中的每个位置。")))
        last = mv is self.values.modes[-1]
        if not last:
            self.play(FadeOut(VGroup(y, head, grad, gname, law, *written.values())),
                      *(FadeOut(r.mobject) for r in rest), run_time=0.6)

    def panel(self, mode: str, step) -> Text:
        t = self.theme
        if mode == "max":
            r, c = step.chosen
            top = fmt(self.values.arrays["input"][r, c])
            text = self.tr(f"δ = {fmt(step.delta)}  →  the max ({top}) at ({r}, {c}); the rest get 0",
                           f"δ = {fmt(step.delta)}  →  最大值 {top} 的位置 ({r}, {c})；其余为 0")
        else:
            text = self.tr(f"δ / {step.divisor} = {fmt(step.delta)} / {step.divisor} = {fmt(step.shares.flat[0])}"
                           f"  →  each cell", f"δ / {step.divisor} = {fmt(step.delta)} / {step.divisor} = "
                           f"{fmt(step.shares.flat[0])}  →  每个位置")
        return cached_text(text, font=MONO, font_size=26, color=t.gradient).move_to(PANEL_Y)
