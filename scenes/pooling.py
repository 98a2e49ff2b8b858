"""Pooling: max and mean pooling window by window (the max's cell marked), the output size, and a one-cell
shift of the input that leaves most of the max-pooled output as it was.

Render alone with ``manim -ql scenes/pooling.py PoolWindows``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Square, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, arrow, cached_text, formula, label
from scenes.kit import PieceStep, SlidingWindow, conceal, reveal, worded

__all__ = ["PoolWindows"]

NAMES = {"max": ("max pooling", "最大池化"), "avg": ("mean pooling", "平均池化")}
#: the band between the title and the caption that the windows share (scene units)
BAND = (-3.05, 3.05)
#: between the two outputs, in cells (their names are wider than they are)
GAP = 1.6
#: the widest the two windows (the input, the arrow, this mode's output and the other's beside it) may be
ROW_WIDTH = 12.4


class PoolWindows(LectureScene):
    """Input grid, one output grid per pooling mode (the kit's sliding window, one per mode, sharing the
    input); then the shifted input against the original."""

    scene_id = "pooling"
    detailed_steps = 2

    def grid(self, values, color: str, most: float, span: float, fit=None, **kw) -> NumberGrid:
        """A grid at most ``span`` wide; one font size for its numbers (at least 26 where they fit), the longest
        of ``fit`` (default: its own values) fitting a cell."""
        cell = min(most, span / max(np.shape(values)))
        longest = max(len(fmt(x)) for x in np.ravel(values if fit is None else fit))
        font = min(max(26, 26 * cell / 0.6), 26 * 0.84 * cell / (0.175 * longest))
        return NumberGrid(values, self.theme, color, cell=cell, font_size=font, **kw)

    def windows(self) -> dict[str, SlidingWindow]:
        """One sliding window per mode, the same size, sized so that both outputs fit side by side; the second
        reads the input the first one shows (its own is not drawn)."""
        v = self.values
        a = v.arrays
        k, s = a["kernel_size"], a["stride"]
        text = worded({"window": self.tr("window", "窗口"), f"max {k}×{k}": self.tr(f"max {k}×{k}", f"最大 {k}×{k}"),
                       f"mean {k}×{k}": self.tr(f"mean {k}×{k}", f"平均 {k}×{k}"),
                       f"stride {s}": self.tr(f"stride {s}", f"步长 {s}")}, cached_text)

        def build(mode: str, cell: float) -> SlidingWindow:
            return SlidingWindow(v.traces[mode], theme=self.theme, text=text, cell=cell, fit=False,
                                 detailed=self.detailed_steps, names=(self.tr("input", "输入"), "",
                                                                      self.tr(*NAMES[mode])),
                                 run_time=2.4 if mode == v.order[0] else 1.8,
                                 fast_run_time=0.5 if mode == v.order[0] else 0.4)

        probe = [build(m, 1.0) for m in v.order]  # measured at cell 1, then built to fit the band
        width = max(w.body.width + GAP + w.output.width for w in probe)
        height = max(w.height for w in probe)
        cell = min(0.75, ROW_WIDTH / width, (BAND[1] - BAND[0]) / height)
        wins = {m: build(m, cell) for m in v.order}
        first, second = (wins[m] for m in v.order)
        first.shift(RIGHT * (-(first.body.width + GAP * cell + first.output.width) / 2 - first.body.get_left()[0])
                    + UP * (BAND[1] - first.get_top()[1]))
        second.shift(first.input.get_center() - second.input.get_center())
        for part in (second.input, second.name_labels[0]):
            part.set_opacity(0.0)  # the second window reads the input already on screen
        self.slot = RIGHT * (first.output.get_right()[0] + GAP * cell + first.output.width / 2 - first.output.get_x())
        return wins

    def play_scene(self) -> None:
        v = self.values
        a = v.arrays
        wins = self.windows()
        first = wins[v.order[0]]
        later = {m: reveal(VGroup(w.ops, w.output, w.name_labels[-1])) for m, w in wins.items()}  # hidden till then
        self.next_section("setup")
        self.add(first)
        self.play(PieceStep(first, reveal(VGroup(first.input, first.name_labels[0]))), run_time=0.8)
        self.caption(f"Pooling summarises each {a['kernel_size']}×{a['kernel_size']} window by one number; "
                     f"stride {a['stride']}.",
                     f"池化用一个数概括每个 {a['kernel_size']}×{a['kernel_size']} 窗口；步长 {a['stride']}。")
        for n, mode in enumerate(v.order):
            self.next_section(NAMES[mode][0])
            win = wins[mode]
            if n == 0:
                self.play(PieceStep(win, later[mode]), run_time=0.8)
            else:  # the first output moves aside, then this mode's arrow and output come in its place
                moved = VGroup(first.output, first.name_labels[-1])
                self.play(PieceStep(first, Transform(moved, moved.copy().shift(self.slot)), conceal(first.ops)),
                          run_time=0.7)
                self.add(win)
                self.play(PieceStep(win, later[mode]), run_time=0.7)
            self.pool_walk(mode, win)
            if n == 0:
                self.output_size(win)
        self.next_section("compare")
        self.caption("Max pooling keeps the strongest value of each window; mean pooling averages it.",
                     "最大池化保留每个窗口中最强的值；平均池化取窗口的平均值。")
        self.play(FadeOut(Group(*(m for m in self.mobjects if m not in (self.heading, self._caption)))), run_time=0.6)
        self.shift_invariance()

    def pool_walk(self, mode: str, win: SlidingWindow) -> None:
        """The window's steps, one play each; the first steps in detail, each with a section of its own."""
        for n, step in enumerate(win.steps()):
            if 0 < n < self.detailed_steps:
                self.next_section(f"{NAMES[mode][0]} step {n + 1}")
            elif n == self.detailed_steps:
                self.next_section(f"{NAMES[mode][0]} remaining steps")
            self.play(step)
            if n < self.detailed_steps:
                self.wait(0.3)
            if n == 0:
                self.caption(*(("The max is marked: only that cell passes on.", "标出最大值：只有这个格子的值传下去。")
                               if mode == "max" else ("Mean: the sum of the window over its size.",
                                                      "平均：窗口内之和除以窗口大小。")))
        self.play(win.conclude(), run_time=0.5)

    def output_size(self, win: SlidingWindow) -> None:
        t, v = self.theme, self.values
        self.next_section("output size")
        law = formula(r"n_{out} = \left\lfloor \frac{n - k}{s} \right\rfloor + 1", t, font_size=36)
        nums = cached_text(f"{v.size_text}    ({v.shape_text})", font=MONO, font_size=26, color=t.output)
        group = VGroup(law, nums).arrange(RIGHT, buff=0.5).move_to([0, win.panel_area.get_y(), 0])
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
        VGroup(x, arrows[0], px, xs, arrows[1], pxs).arrange(RIGHT, buff=0.3).move_to(UP * 0.75)
        xs.shift(RIGHT * 0.5), arrows[1].shift(RIGHT * 0.5), pxs.shift(RIGHT * 0.5)
        names = VGroup(*(label(s, t, color=c, font_size=22).next_to(g, UP, buff=0.15) for s, c, g in (
            (self.tr("input", "输入"), t.input, x), (self.tr("max pooled", "最大池化"), t.output, px),
            (self.tr("shifted 1 cell →", "右移一格"), t.input, xs), (self.tr("max pooled", "最大池化"), t.output, pxs))))
        self.play(FadeIn(VGroup(x, arrows[0], px, names[0], names[1])), run_time=0.8)
        self.play(FadeIn(xs, shift=RIGHT * xs.cell_size), FadeIn(names[2]), run_time=1.2)
        self.play(FadeIn(arrows[1]), FadeIn(pxs), FadeIn(names[3]), run_time=0.8)
        self.caption("Move the whole input one cell to the right, and pool again.",
                     "把整个输入向右平移一格，再做一次池化。")
        self.next_section("compare the pooled outputs")
        n_in, n_all = v.counts["input"]
        m_same, m_all = v.counts["max"]
        marks = self.same_marks(pxs, a["max_unchanged"])
        note = cached_text(self.tr(f"input: {n_in} of {n_all} cells changed;  max pooled: {m_same} of {m_all} unchanged",
                            f"输入：{n_all} 格中 {n_in} 格改变；最大池化：{m_all} 格中 {m_same} 格不变"),
                    font=MONO, font_size=26, color=t.highlight).move_to(DOWN * 1.55)
        self.play(FadeIn(marks), FadeIn(note), run_time=0.8)
        self.caption(f"Translation invariance, measured: {m_same} of {m_all} max-pooled values stay the same.",
                     f"平移不变性的实测：{m_all} 个最大池化值中有 {m_same} 个不变。")
        self.next_section("mean pooling for comparison")
        qx = self.grid(a["outputs"]["avg"], t.output, 0.62, 1.9, fit=both).move_to(px)
        qxs = self.grid(a["shifted_avg_output"], t.output, 0.62, 1.9, fit=both).move_to(pxs)
        q_same, q_all = v.counts["avg"]
        qmarks = self.same_marks(qxs, a["avg_unchanged"])
        qnote = cached_text(self.tr(f"mean pooled: {q_same} of {q_all} unchanged", f"平均池化：{q_all} 格中 {q_same} 格不变"),
                     font=MONO, font_size=26, color=t.highlight).next_to(note, DOWN, buff=0.25)
        qnames = VGroup(*(label(self.tr("mean pooled", "平均池化"), t, color=t.output, font_size=22)
                          .move_to(names[k]) for k in (1, 3)))
        # the numbers swap by fading, out then in: a morph (or a cross-fade) of one number into another garbles
        # its digits midway
        self.play(FadeOut(px), FadeOut(pxs), FadeOut(marks), FadeOut(names[1]), FadeOut(names[3]), run_time=0.5)
        self.play(FadeIn(qx), FadeIn(qxs), FadeIn(qnames), run_time=0.5)
        self.play(FadeIn(qmarks), FadeIn(qnote), run_time=0.8)
        self.caption(f"Mean pooling, for comparison: {q_same} of {q_all} values stay the same.",
                     f"作为对比，平均池化：{q_all} 个值中 {q_same} 个不变。")
