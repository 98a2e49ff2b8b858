"""Pooling: max and mean pooling window by window (the max's cell marked), the output size, and a one-cell
shift of the input that leaves most of the max-pooled output as it was.

Render alone with ``manim -ql scenes/pooling.py PoolWindows``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Square, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, label
from scenes.kit import PieceStep, SlidingWindow, conceal, number_font_size, reveal

__all__ = ["PoolWindows"]

NAMES = {"max": ("max pooling", "最大池化"), "avg": ("mean pooling", "平均池化")}
#: the band between the title and the caption that the windows share (scene units): above a caption of two
#: lines, so a long line never covers a step's working
BAND = (-2.6, 3.0)
#: between the two outputs side by side (or their names, where wider than their grids), in cells
GAP = 0.6
#: the widest the two windows (the input, the arrow, this mode's output and the other's beside it) may be
ROW_WIDTH = 12.4
#: the windows' labels ("max 2×2", "stride 2", the grids' names): fixed, 16 px tall at 480p whatever the cell
TEXT_SIZE = 28
#: the shift comparison's cells: a digit 16 px tall at 480p (the kit's numbers are 0.43 of a cell), and a
#: four-character mean ("3.25") as tall in the pooled grids
SHIFT_CELL, POOLED_CELL = 0.62, 0.92
#: the windows' digits, as a fraction of their cells (the kit's 0.43 would be under 16 px in the band's cells)
NUMBER_HEIGHT = 0.5


class PoolWindows(LectureScene):
    """Input grid, one output grid per pooling mode (the kit's sliding window, one per mode, sharing the
    input); then the shifted input against the original."""

    scene_id = "pooling"
    detailed_steps = 2

    def windows(self) -> dict[str, SlidingWindow]:
        """One sliding window per mode, the same size, sized so that both outputs fit side by side; the second
        reads the input the first one shows (its own is not drawn)."""
        v = self.values

        def build(mode: str, cell: float) -> SlidingWindow:
            # the window's own words ("window", "max 2×2", "max = 7", "stride 2") in the lecture's language
            return SlidingWindow(v.traces[mode], theme=self.theme, text=cached_text, language=self.language,
                                 cell=cell, fit=False,
                                 detailed=self.detailed_steps, names=(self.tr("input", "输入"), "",
                                                                      self.tr(*NAMES[mode])),
                                 run_time=2.4 if mode == v.order[0] else 1.8, text_size=TEXT_SIZE,
                                 number_height=NUMBER_HEIGHT,
                                 fast_run_time=0.5 if mode == v.order[0] else 0.4)

        def placed(cell: float) -> tuple[dict[str, SlidingWindow], float, float, float]:
            """Both windows at ``cell``, the second's input on the first's; the final row's left edge and width
            (the input, the second mode's arrow and output, a gap, the first output moved beside it, the grids'
            names counted: they are wider than their grids) and how far right the first output moves."""
            wins = {m: build(m, cell) for m in v.order}
            first, second = (wins[m] for m in v.order)
            second.shift(first.input.get_center() - second.input.get_center())
            moved = VGroup(first.output, first.name_labels[-1])
            beside = VGroup(second.output, second.name_labels[-1])
            slot = beside.get_right()[0] + GAP * cell - moved.get_left()[0]
            left = min(first.get_left()[0], second.get_left()[0])
            return wins, left, moved.get_right()[0] + slot - left, slot

        wins, _, width, _ = placed(1.0)  # measured at cell 1, then built to fit the band
        height = max(w.height for w in wins.values())
        cell = min(0.75, ROW_WIDTH / width, (BAND[1] - BAND[0]) / height)
        wins, left, width, slot = placed(cell)
        # the kit widens cells for numbers like 3.25 (legible at 480p), so not every part scales with `cell`:
        # measured again, and built once more to the room if the first fit came out too wide
        if width > ROW_WIDTH:
            cell *= ROW_WIDTH / width
            wins, left, width, slot = placed(cell)
        first, second = (wins[m] for m in v.order)
        # the final row (both outputs side by side) centred; the first mode's walk sits where that row begins
        offset = RIGHT * (-width / 2 - left) + UP * (BAND[1] - first.get_top()[1])
        for w in (first, second):
            w.shift(offset)
        for part in (second.input, second.name_labels[0]):
            part.set_opacity(0.0)  # the second window reads the input already on screen
        self.slot = RIGHT * slot
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
        self.say("intro", c=a["kernel_size"], s=a["stride"])
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
        self.say("compare")
        self.play(FadeOut(Group(*(m for m in self.mobjects if m not in (self.heading, self._caption)))), run_time=0.6)
        self.shift_invariance()

    def pool_walk(self, mode: str, win: SlidingWindow) -> None:
        """The window's steps, one play each; the first steps in detail, each with a section of its own. In each
        mode the second output cell is asked before it is filled (its window outlined): a prediction."""
        t, v = self.theme, self.values
        steps = v.traces[mode].steps
        for n, step in enumerate(win.steps()):
            asks = n == 1
            if asks:
                window = cells_box(win.input, list(steps[n].cells), t.highlight)
                self.play(FadeIn(window), run_time=0.5)
                self.ask("predict", win.output.cell(*steps[n].out_pos))
                self.play(FadeOut(window), run_time=0.3)
            elif 0 < n < self.detailed_steps:
                self.next_section(f"{NAMES[mode][0]} step {n + 1}")
            elif n == self.detailed_steps:
                self.next_section(f"{NAMES[mode][0]} remaining steps")
            self.play(step)
            if n < self.detailed_steps:
                self.wait(0.3)
            if asks:
                self.say(f"answer_{mode}", value=fmt(steps[n].value))
            if n == 0:
                if mode == "max":
                    self.say("max_first")
                else:
                    self.say("avg_first", cells=steps[0].divisor)
        self.play(win.conclude(), run_time=0.5)

    def output_size(self, win: SlidingWindow) -> None:
        t, v = self.theme, self.values
        self.next_section("output size")
        # written as the course and the other scenes write it: ⌊(n − c)/s⌋ + 1
        law = formula(r"n_{out} = \left\lfloor (n - c)/s \right\rfloor + 1", t, font_size=36)
        nums = cached_text(f"{v.size_text}    ({v.shape_text})", font=MONO, font_size=26, color=t.output)
        group = VGroup(law, nums).arrange(RIGHT, buff=0.5).move_to([0, win.panel_area.get_y(), 0])
        self.play(FadeIn(group), run_time=0.8)
        self.say("size", shape=v.shape_text)
        self.play(FadeOut(group), run_time=0.5)

    def same_marks(self, grid: NumberGrid, unchanged) -> VGroup:
        """Cells tinted from behind: highlight where a pooled value stayed the same, grey where it changed.

        Grey, not red: red means gradient in this lecture, and this scene has none."""
        t = self.theme
        return VGroup(*(Square(side_length=grid.cell_size, stroke_width=0, fill_opacity=0.45,
                               fill_color=t.highlight if same else t.padding).move_to(grid.cell(i, j))
                        for (i, j), same in np.ndenumerate(unchanged))).set_z_index(-1)

    def shift_invariance(self) -> None:
        """The input slides one cell right in place (a column of zeros enters); the max-pooled output of the
        original and of the shifted input side by side, the unchanged cells marked; then mean pooling's."""
        t, v = self.theme, self.values
        a = v.arrays
        self.next_section("shift the input")
        cell = min(SHIFT_CELL, 3.8 / max(np.shape(a["input"])))
        both = [a["outputs"]["max"], a["outputs"]["avg"], a["shifted_max_output"], a["shifted_avg_output"]]
        pcell = min(POOLED_CELL, 2.8 / max(np.shape(a["outputs"]["max"])))
        # one font size for the four pooled grids, the widest of their numbers fitting a cell
        pooled_font = number_font_size(pcell, [fmt(x) for b in both for x in np.ravel(b)], text=cached_text)

        def pooled(values) -> NumberGrid:
            return NumberGrid(values, t, t.output, cell=pcell, font_size=pooled_font)

        x = NumberGrid(a["input"], t, t.input, cell=cell)
        xs = NumberGrid(a["shifted_input"], t, t.input, cell=cell, padding_mask=v.entered)
        px, pxs = pooled(a["outputs"]["max"]), pooled(a["shifted_max_output"])
        link = arrow(LEFT * 0.35, RIGHT * 0.35, t.muted)
        VGroup(x, link, px, pxs).arrange(RIGHT, buff=0.35).move_to(UP * 0.55)
        pxs.shift(RIGHT * 0.3)
        xs.move_to(x)
        names = VGroup(*(label(s, t, color=c).next_to(g, UP, buff=0.15) for s, c, g in (
            (self.tr("input", "输入"), t.input, x), (self.tr("max, before", "最大池化（平移前）"), t.output, px),
            (self.tr("max, after", "最大池化（平移后）"), t.output, pxs))))
        shifted_name = label(self.tr("shifted 1 cell →", "右移一格"), t, color=t.input).move_to(names[0])
        self.play(FadeIn(VGroup(x, link, px, names[0], names[1])), run_time=0.8)
        self.say("shift", wait=False)
        # the input slides right as a whole: the old one fades out moving, the shifted one fades in (no morph)
        self.play(FadeOut(x, shift=RIGHT * cell), FadeIn(xs, shift=RIGHT * cell), FadeOut(names[0]),
                  FadeIn(shifted_name), run_time=1.2)
        self.play(FadeIn(pxs), FadeIn(names[2]), run_time=0.8)
        self.next_section("compare the pooled outputs")
        n_in, n_all = v.counts["input"]
        m_same, m_all = v.counts["max"]
        marks = self.same_marks(pxs, a["max_unchanged"])
        note = cached_text(self.tr(f"input: {n_in} of {n_all} cells changed;  max pooled: {m_same} of {m_all} unchanged",
                                   f"输入：{n_all} 格中 {n_in} 格改变；最大池化：{m_all} 格中 {m_same} 格不变"),
                           font=MONO, font_size=26, color=t.highlight).next_to(xs, DOWN, buff=0.35).set_x(0)
        self.play(FadeIn(marks), FadeIn(note), run_time=0.8)
        self.say("shift_max", same=m_same, total=m_all, changed=n_in, cells=n_all)
        self.next_section("mean pooling for comparison")
        qx, qxs = pooled(a["outputs"]["avg"]).move_to(px), pooled(a["shifted_avg_output"]).move_to(pxs)
        q_same, q_all = v.counts["avg"]
        qmarks = self.same_marks(qxs, a["avg_unchanged"])
        qnote = cached_text(self.tr(f"mean pooled: {q_same} of {q_all} unchanged", f"平均池化：{q_all} 格中 {q_same} 格不变"),
                            font=MONO, font_size=26, color=t.highlight).next_to(note, DOWN, buff=0.2)
        qnames = VGroup(*(label(self.tr(f"mean, {when}", f"平均池化（{zh}）"), t, color=t.output).move_to(names[k])
                          for k, when, zh in ((1, "before", "平移前"), (2, "after", "平移后"))))
        # the numbers swap by fading, out then in: a morph (or a cross-fade) of one number into another garbles
        # its digits midway
        self.play(FadeOut(px), FadeOut(pxs), FadeOut(marks), FadeOut(names[1]), FadeOut(names[2]), run_time=0.5)
        self.play(FadeIn(qx), FadeIn(qxs), FadeIn(qnames), run_time=0.5)
        self.play(FadeIn(qmarks), FadeIn(qnote), run_time=0.8)
        self.say("shift_avg", same=q_same, total=q_all)
