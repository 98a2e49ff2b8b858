"""Pooling: max and mean pooling window by window (the max's cell marked), the output size, and a one-cell
shift of the input that leaves most of the max-pooled output as it was.

Render alone with ``manim -ql scenes/pooling.py PoolWindows``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ReplacementTransform, Square, Transform, \
    TransformFromCopy, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, label, step_times

__all__ = ["PoolWindows"]

NAMES = {"max": ("max pooling", "最大池化"), "avg": ("mean pooling", "平均池化")}


class PoolWindows(LectureScene):
    """Input grid, one output grid per pooling mode; then the shifted input against the original."""

    scene_id = "pooling"
    detailed_steps = 2

    def grid(self, values, color: str, most: float, span: float, fit=None, **kw) -> NumberGrid:
        """A grid at most ``span`` wide; one font size for its numbers, the longest of ``fit`` (default: its
        own values) fitting a cell."""
        cell = min(most, span / max(np.shape(values)))
        longest = max(len(fmt(x)) for x in np.ravel(values if fit is None else fit))
        font = min(26 * cell / 0.6, 26 * 0.84 * cell / (0.175 * longest))
        return NumberGrid(values, self.theme, color, cell=cell, font_size=font, **kw)

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        inp = self.grid(a["input"], t.input, 0.58, 3.6).move_to(LEFT * 3.3 + UP * 0.45)
        both = [a["outputs"]["max"], a["outputs"]["avg"]]  # one font size for both outputs
        outs = {m: self.grid(a["outputs"][m], t.output, 0.75, 2.4, fit=both, show_values=False) for m in v.order}
        outs[v.order[0]].move_to(RIGHT * 1.5 + UP * 0.45)
        outs[v.order[1]].move_to(RIGHT * 4.7 + UP * 0.45)
        names = {m: label(self.tr(*NAMES[m]), t, color=t.output, font_size=24).next_to(g, UP, buff=0.12)
                 for m, g in outs.items()}
        in_name = label(self.tr("input", "输入"), t, color=t.input).next_to(inp, UP, buff=0.15)
        self.next_section("setup")
        self.play(FadeIn(inp), FadeIn(in_name), run_time=0.8)
        self.caption(f"Pooling summarises each {a['kernel_size']}×{a['kernel_size']} window by one number; "
                     f"stride {a['stride']}.",
                     f"池化用一个数概括每个 {a['kernel_size']}×{a['kernel_size']} 窗口；步长 {a['stride']}。")
        for n, mode in enumerate(v.order):
            self.next_section(NAMES[mode][0])
            self.play(FadeIn(outs[mode]), FadeIn(names[mode]), run_time=0.8)
            self.pool_walk(mode, inp, outs[mode], slow=1.0 if n == 0 else 0.6)
            if n == 0:
                self.output_size(inp)
        self.next_section("compare")
        self.caption("Max pooling keeps the strongest value of each window; mean pooling averages it.",
                     "最大池化保留每个窗口中最强的值；平均池化取窗口的平均值。")
        self.play(FadeOut(Group(*(m for m in self.mobjects if m not in (self.heading, self._caption)))), run_time=0.6)
        self.shift_invariance()

    def pool_walk(self, mode: str, inp: NumberGrid, out: NumberGrid, slow: float) -> None:
        t, v = self.theme, self.values
        steps, texts = v.traces[mode].steps, v.step_text[mode]
        window = text = out_box = None
        marks, values = VGroup(), VGroup()
        for n, (step, run) in enumerate(zip(steps, step_times(len(steps), slow=slow, fast=0.2,
                                                               slow_steps=self.detailed_steps))):
            if 0 < n < self.detailed_steps:
                self.next_section(f"{NAMES[mode][0]} step {n + 1}")
            elif n == self.detailed_steps:
                self.next_section(f"{NAMES[mode][0]} remaining steps")
            box = cells_box(inp, step.cells, t.kernel)
            new_text = cached_text(texts[n], font=MONO, font_size=26, color=t.output).move_to(DOWN * 2.45)
            value = out.number_for(*step.out_pos, step.value)
            new_out = cells_box(out, [step.out_pos], t.output)
            anims = [Transform(window, box), Transform(out_box, new_out)] if window else [FadeIn(box), FadeIn(new_out)]
            window, out_box = window or box, out_box or new_out
            anims += [FadeOut(text), FadeIn(new_text)] if text else [FadeIn(new_text)]
            self.play(*anims, run_time=run)
            text = new_text
            if mode == "max":
                mark = Square(side_length=inp.cell_size * 0.8, color=t.highlight, stroke_width=4)
                marks.add(mark.move_to(inp.cell(*step.argmax).get_center()))
                self.play(FadeIn(mark), run_time=run * 0.6)
            if n < self.detailed_steps:
                self.play(ReplacementTransform(new_text.copy(), value), run_time=run)
                self.wait(0.3)
            else:
                self.play(FadeIn(value), run_time=run * 0.6)
            values.add(value)
            if n == 0:
                self.caption(*(("The max is marked: only that cell passes on.", "标出最大值：只有这个格子的值传下去。")
                               if mode == "max" else ("Mean: the sum of the window over its size.",
                                                      "平均：窗口内之和除以窗口大小。")))
        self.add(values)
        self.play(FadeOut(window), FadeOut(out_box), FadeOut(text), FadeOut(marks), run_time=0.5)

    def output_size(self, inp: NumberGrid) -> None:
        t, v = self.theme, self.values
        self.next_section("output size")
        law = formula(r"n_{out} = \left\lfloor \frac{n - k}{s} \right\rfloor + 1", t, font_size=36)
        nums = cached_text(f"{v.size_text}    ({v.shape_text})", font=MONO, font_size=24, color=t.output)
        group = VGroup(law, nums).arrange(RIGHT, buff=0.5).move_to(DOWN * 2.45)
        self.play(FadeIn(group), run_time=0.8)
        self.caption("Output size per axis, with window k and stride s.", "每个方向的输出大小：窗口 k，步长 s。")
        self.play(FadeOut(group), run_time=0.5)

    def same_marks(self, grid: NumberGrid, unchanged) -> VGroup:
        """Cells tinted from behind: highlight where a pooled value stayed the same, grey where it changed.

        Grey, not red: red means gradient in this lecture, and this scene has none."""
        t = self.theme
        return VGroup(*(Square(side_length=grid.cell_size, stroke_width=0, fill_opacity=0.45,
                               fill_color=t.highlight if same else t.padding).move_to(grid.cell(i, j))
                        for (i, j), same in np.ndenumerate(unchanged))).set_z_index(-1)

    def shift_invariance(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        self.next_section("shift the input")
        x = self.grid(a["input"], t.input, 0.45, 2.7)
        both = [a["outputs"]["max"], a["outputs"]["avg"], a["shifted_max_output"], a["shifted_avg_output"]]
        px = self.grid(a["outputs"]["max"], t.output, 0.62, 1.9, fit=both)
        xs = self.grid(a["shifted_input"], t.input, 0.45, 2.7, padding_mask=v.entered)
        pxs = self.grid(a["shifted_max_output"], t.output, 0.62, 1.9, fit=both)
        arrows = [arrow(LEFT * 0.35, RIGHT * 0.35, t.muted) for _ in range(2)]
        row = VGroup(x, arrows[0], px, xs, arrows[1], pxs).arrange(RIGHT, buff=0.3).move_to(UP * 0.75)
        xs.shift(RIGHT * 0.5), arrows[1].shift(RIGHT * 0.5), pxs.shift(RIGHT * 0.5)
        names = VGroup(*(label(s, t, color=c, font_size=22).next_to(g, UP, buff=0.15) for s, c, g in (
            (self.tr("input", "输入"), t.input, x), (self.tr("max pooled", "最大池化"), t.output, px),
            (self.tr("shifted 1 cell →", "右移一格"), t.input, xs), (self.tr("max pooled", "最大池化"), t.output, pxs))))
        self.play(FadeIn(VGroup(x, arrows[0], px, names[0], names[1])), run_time=0.8)
        self.play(TransformFromCopy(x, xs), FadeIn(names[2]), run_time=1.2)
        self.play(FadeIn(arrows[1]), FadeIn(pxs), FadeIn(names[3]), run_time=0.8)
        self.caption("Move the whole input one cell to the right, and pool again.",
                     "把整个输入向右平移一格，再做一次池化。")
        self.next_section("compare the pooled outputs")
        n_in, n_all = v.counts["input"]
        m_same, m_all = v.counts["max"]
        marks = self.same_marks(pxs, a["max_unchanged"])
        note = cached_text(self.tr(f"input: {n_in} of {n_all} cells changed;  max pooled: {m_same} of {m_all} unchanged",
                            f"输入：{n_all} 格中 {n_in} 格改变；最大池化：{m_all} 格中 {m_same} 格不变"),
                    font=MONO, font_size=22, color=t.highlight).move_to(DOWN * 1.55)
        self.play(FadeIn(marks), FadeIn(note), run_time=0.8)
        self.caption(f"Translation invariance, measured: {m_same} of {m_all} max-pooled values stay the same.",
                     f"平移不变性的实测：{m_all} 个最大池化值中有 {m_same} 个不变。")
        self.next_section("mean pooling for comparison")
        qx = self.grid(a["outputs"]["avg"], t.output, 0.62, 1.9, fit=both).move_to(px)
        qxs = self.grid(a["shifted_avg_output"], t.output, 0.62, 1.9, fit=both).move_to(pxs)
        q_same, q_all = v.counts["avg"]
        qmarks = self.same_marks(qxs, a["avg_unchanged"])
        qnote = cached_text(self.tr(f"mean pooled: {q_same} of {q_all} unchanged", f"平均池化：{q_all} 格中 {q_same} 格不变"),
                     font=MONO, font_size=22, color=t.highlight).next_to(note, DOWN, buff=0.25)
        qnames = VGroup(*(label(self.tr("mean pooled", "平均池化"), t, color=t.output, font_size=22)
                          .move_to(names[k]) for k in (1, 3)))
        self.play(ReplacementTransform(px, qx), ReplacementTransform(pxs, qxs), FadeOut(marks),
                  ReplacementTransform(VGroup(names[1], names[3]), qnames), run_time=1.0)
        self.play(FadeIn(qmarks), FadeIn(qnote), run_time=0.8)
        self.caption(f"Mean pooling, for comparison: {q_same} of {q_all} values stay the same.",
                     f"作为对比，平均池化：{q_all} 个值中 {q_same} 个不变。")
