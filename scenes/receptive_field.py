"""Receptive field: stacked convolutions; one output depends on a region of the input that grows with depth,
stride and dilation.

Render alone with ``manim -ql scenes/receptive_field.py GrowReceptiveField``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import (MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, indexed, label,
                           step_times, taps_box, text_table)

__all__ = ["GrowReceptiveField"]


class GrowReceptiveField(LectureScene):
    """Build the stack, trace one output back to its field map by map, then the law and a table."""

    scene_id = "receptive_field"
    paths_up_to = 9  # show path counts in the input when it has at most this many cells a side

    def conv_name(self, sep: str = ", ") -> str:
        a = self.values.arrays
        parts = [f"{a['kernel_size']}×{a['kernel_size']}"]
        if a["stride"] > 1:
            parts.append(self.tr(f"stride {a['stride']}", f"步长 {a['stride']}"))
        if a["dilation"] > 1:
            parts.append(self.tr(f"dilation {a['dilation']}", f"膨胀率 {a['dilation']}"))
        return sep.join(parts)

    def play_scene(self) -> None:
        t, a = self.theme, self.values.arrays
        sizes = a["map_sizes"]
        link_names = [label(self.conv_name("\n"), t, color=t.kernel, font_size=20) for _ in sizes[1:]]
        gap = max(1.5, link_names[0].width + 0.4)
        cell = min(0.6, 3.4 / sizes[0], (12.8 - gap * len(link_names)) / sum(sizes))
        maps = [NumberGrid(np.zeros((n, n)), t, t.input if i == 0 else t.output, cell=cell, show_values=False)
                for i, n in enumerate(sizes)]
        VGroup(*maps).arrange(RIGHT, buff=gap).move_to(UP * 0.35)
        names = [label((self.tr("input", "输入") if i == 0 else self.tr(f"layer {i}", f"第 {i} 层")) + f"  {n}×{n}",
                       t, color=t.input if i == 0 else t.output, font_size=24).next_to(m, UP, buff=0.15)
                 for i, (m, n) in enumerate(zip(maps, sizes))]
        self.next_section("stack")
        self.play(FadeIn(maps[0]), FadeIn(names[0]), run_time=0.8)
        for i in range(1, len(maps)):
            link = arrow(maps[i - 1].get_right(), maps[i].get_left(), t.kernel)
            link_name = link_names[i - 1].next_to(link, UP, buff=0.08)
            self.play(FadeIn(link), FadeIn(link_name), FadeIn(maps[i]), FadeIn(names[i]), run_time=0.8)
        chain = " → ".join(f"{n}×{n}" for n in sizes)
        self.caption(f"{len(sizes) - 1} stacked {self.conv_name()} convolutions: {chain}.",
                     f"{len(sizes) - 1} 层 {self.conv_name()} 卷积叠加：{chain}。")

        self.next_section("trace back")
        top = len(maps) - 1
        target = maps[top].cell(*a["target"])
        self.play(target.animate.set_fill(t.highlight, opacity=0.5), run_time=0.6)
        self.caption("Follow one output back through the layers.", "从一个输出出发，逐层往回看。")
        for lower in range(top - 1, -1, -1):
            self.next_section(f"field in map {lower}")
            self.sweep(maps[lower], a["windows"][lower])
            r0, c0, size = a["regions"][lower]
            box = cells_box(maps[lower], [(r0, c0), (r0 + size - 1, c0 + size - 1)], t.highlight)
            note = label(self.tr(f"receptive field {size}×{size}", f"感受野 {size}×{size}") if lower == 0
                         else f"{size}×{size}", t, color=t.highlight, font_size=24).next_to(maps[lower], DOWN, buff=0.2)
            self.play(FadeIn(box), FadeIn(note), run_time=0.6)
            where = self.tr("the input", "输入") if lower == 0 else self.tr(f"layer {lower}", f"第 {lower} 层")
            self.caption(f"In {where}, the output depends on a {size}×{size} region.",
                         f"在{where}中，这个输出取决于一个 {size}×{size} 的区域。")
        if sizes[0] <= self.paths_up_to:
            self.next_section("paths")
            paths = a["paths"][0]
            counts = VGroup(*(maps[0].number_for(i, j, paths[i][j], color=t.text)
                              for i in range(sizes[0]) for j in range(sizes[0]) if paths[i][j] > 0))
            self.play(FadeIn(counts), run_time=0.8)
            self.caption(f"Paths to the output: {fmt(a['paths_max'])} from the centre, {fmt(a['paths_min'])} "
                         f"from a corner.",
                         f"到达输出的路径数：中心 {fmt(a['paths_max'])} 条，角上 {fmt(a['paths_min'])} 条。")
        self.law()

    def sweep(self, grid: NumberGrid, windows: list) -> None:
        """Each field cell of the map above reads a window here; their union is the field in this map."""
        t = self.theme
        box = None
        for n, (taps, run) in enumerate(zip(windows, step_times(len(windows), slow=0.7, fast=0.15, slow_steps=2))):
            new = taps_box(grid, [tuple(c) for c in taps], t.kernel)
            fills = [grid.cell(*c).animate.set_fill(t.highlight, opacity=0.35) for c in taps]
            self.play(FadeIn(new) if box is None else Transform(box, new), *fills, run_time=run)
            box = new if box is None else box
        self.play(FadeOut(box), run_time=0.3)

    def law(self) -> None:
        t, a = self.theme, self.values.arrays
        self.next_section("law")
        self.play(*(FadeOut(m) for m in self.mobjects if m not in (self.heading, self._caption)), run_time=0.6)
        law = formula(r"r_l = r_{l-1} + d\,(k-1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s", t, font_size=46)
        lines = VGroup(*(VGroup(indexed("r", str(n + 1), t, color=t.highlight, font_size=34),
                                cached_text(f"= {fmt(prev)} + {fmt(inc)} × {fmt(jump)} = {fmt(size)}", font=MONO,
                                     font_size=32, color=t.text)).arrange(RIGHT, buff=0.15)
                         for n, (prev, inc, jump, size) in enumerate(a["growth"])))
        lines.arrange(DOWN, buff=0.2)
        VGroup(law, lines).arrange(DOWN, buff=0.5).move_to(UP * 0.4)
        self.play(FadeIn(law), run_time=0.8)
        self.play(FadeIn(lines), run_time=0.8)
        self.caption("Each layer adds d(k − 1) times the jump j; the stride multiplies j.",
                     "每一层增加 d(k − 1) 乘以间隔 j；步长使 j 成倍增长。")

        self.next_section("table")
        tab, k = a["table"], a["kernel_size"]
        rows = [[self.tr("depth", "层数")] + [str(n) for n in tab["depths"]],
                [f"{k}×{k}" + self.tr(", stride 1", "，步长 1")] + [fmt(v) for v in tab["plain"]],
                [f"{k}×{k}" + self.tr(f", stride {a['table_stride']}", f"，步长 {a['table_stride']}")]
                + [fmt(v) for v in tab["strided"]],
                [f"{k}×{k}" + self.tr(f", dilation {a['table_dilation']}", f"，膨胀率 {a['table_dilation']}")]
                + [fmt(v) for v in tab["dilated"]]]
        table = text_table(rows, t, font_size=30, col_buff=0.55, colors=[None] + [t.highlight] * len(tab["depths"]))
        head = label(self.tr("receptive field size", "感受野大小"), t, color=t.highlight, font_size=26)
        VGroup(head, table).arrange(DOWN, buff=0.3).move_to(UP * 0.2)
        self.play(FadeOut(law), FadeOut(lines), run_time=0.5)
        self.play(FadeIn(head), FadeIn(table), run_time=0.8)
        self.caption("The field grows with depth; strides make it grow much faster.",
                     "感受野随层数增大；步长让它增长得更快。")
        self.caption("Dilation widens it too, without adding any weights.", "空洞卷积同样扩大感受野，而不增加参数。")
