"""Receptive field: stacked convolutions; one output depends on a region of the input that grows with depth,
stride and dilation.

Render alone with ``manim -ql scenes/receptive_field.py GrowReceptiveField``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Transform, VGroup

from cnnviz.values import fmt

from scenes.common import (MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, label, step_times,
                           taps_box, text_table)

__all__ = ["GrowReceptiveField"]


class GrowReceptiveField(LectureScene):
    """Build the stack, trace one output back to its field map by map, then the jump j, the law and a table."""

    scene_id = "receptive_field"
    paths_up_to = 9  # show path counts in the input when it has at most this many cells a side

    def conv_name(self, sep: str = ", ") -> str:
        a = self.values.arrays
        parts = [f"{a['kernel_size']}×{a['kernel_size']}"]
        if a["stride"] > 1:
            parts.append(self.tr(f"stride {a['stride']}", f"步长 {a['stride']}"))
        if a["dilation"] > 1:
            parts.append(self.tr(f"dilation rate {a['dilation']}", f"膨胀率 {a['dilation']}"))
        return sep.join(parts)

    def play_scene(self) -> None:
        t, a = self.theme, self.values.arrays
        sizes = a["map_sizes"]
        link_names = [label(self.conv_name("\n"), t, color=t.kernel) for _ in sizes[1:]]
        names = [label((self.tr("input", "输入") if i == 0 else self.tr(f"layer {i}", f"第 {i} 层")) + f"  {n}×{n}",
                       t, color=t.input if i == 0 else t.output) for i, n in enumerate(sizes)]
        # the gap between maps holds the link's label and the names wider than their maps
        gap = max(1.5, link_names[0].width + 0.4)
        for _ in range(2):
            cell = min(0.6, 3.4 / sizes[0], (12.8 - gap * len(link_names)) / sum(sizes))
            over = [max(0.0, (name.width - n * cell) / 2) for name, n in zip(names, sizes)]
            gap = max(gap, max(o1 + o2 for o1, o2 in zip(over, over[1:])) + 0.3)
        cell = min(0.6, 3.4 / sizes[0], (12.8 - gap * len(link_names)) / sum(sizes))
        maps = [NumberGrid(np.zeros((n, n)), t, t.input if i == 0 else t.output, cell=cell, show_values=False)
                for i, n in enumerate(sizes)]
        VGroup(*maps).arrange(RIGHT, buff=gap).move_to(UP * 0.35)
        for name, m in zip(names, maps):
            name.next_to(m, UP, buff=0.15)
        # the symbols of the law, named once: kernel size c, stride s, dilation rate d
        symbols = cached_text(f"c = {a['kernel_size']},   s = {a['stride']},   d = {a['dilation']}", font=MONO,
                              font_size=28, color=t.kernel).move_to(DOWN * 2.55)
        self.next_section("stack")
        self.say("stack", wait=False, layers=len(sizes) - 1, c=a["kernel_size"], s=a["stride"], d=a["dilation"])
        self.play(FadeIn(maps[0]), FadeIn(names[0]), run_time=0.8)
        for i in range(1, len(maps)):
            link = arrow(maps[i - 1].get_right(), maps[i].get_left(), t.kernel)
            link_name = link_names[i - 1].next_to(link, DOWN, buff=0.08)  # below: clear of the maps' names
            self.play(FadeIn(link), FadeIn(link_name), FadeIn(maps[i]), FadeIn(names[i]), run_time=0.8)
        self.play(FadeIn(symbols), run_time=0.6)
        self.say("shrink", first=sizes[0], last=sizes[-1])

        self.next_section("trace back")
        top = len(maps) - 1
        target = maps[top].cell(*a["target"])
        self.say("trace", wait=False)
        self.play(target.animate.set_fill(t.highlight, opacity=0.5), run_time=0.6)
        for lower in range(top - 1, -1, -1):
            self.next_section(f"field in map {lower}")
            if lower == top - 1:
                self.say("sweep_output", wait=False, c=a["kernel_size"])
            else:
                self.say("sweep_region", wait=False, c=a["kernel_size"])
            self.sweep(maps[lower], a["windows"][lower])
            r0, c0, size = a["regions"][lower]
            box = cells_box(maps[lower], [(r0, c0), (r0 + size - 1, c0 + size - 1)], t.highlight)
            note = label(self.tr(f"receptive field {size}×{size}", f"感受野 {size}×{size}") if lower == 0
                         else f"{size}×{size}", t, color=t.highlight).next_to(maps[lower], DOWN, buff=0.2)
            self.play(FadeIn(box), FadeIn(note), run_time=0.6)
            if lower == 0:
                self.say("region_input", size=size)
            else:
                self.say("region_layer", layer=lower, size=size)
        if sizes[0] <= self.paths_up_to:
            self.next_section("paths")
            paths = a["paths"][0]
            counts = VGroup(*(maps[0].number_for(i, j, paths[i][j], color=t.text)
                              for i in range(sizes[0]) for j in range(sizes[0]) if paths[i][j] > 0))
            self.say("paths_intro", wait=False)
            self.play(FadeIn(counts), run_time=0.8)
            self.say("paths", most=fmt(a["paths_max"]), fewest=fmt(a["paths_min"]))
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
        """The jump j defined, the law r ← r + d(c − 1)·j, j ← j·s, and each layer's numbers in it."""
        t, a = self.theme, self.values.arrays
        self.next_section("law")
        self.play(*(FadeOut(m) for m in self.mobjects if m not in (self.heading, self._caption)), run_time=0.6)
        jump = VGroup(label(self.tr("j: the jump, in input pixels, between neighbouring cells of a map",
                                    "j：间隔，即一张图中相邻两个单元在输入上相隔的像素数"), t, font_size=28),
                      label(self.tr("j = the product of the strides below   (at the input, j = 1)",
                                    "j = 下面各层步长的乘积   （输入处 j = 1）"), t, font_size=28)
                      ).arrange(DOWN, buff=0.2)
        law = formula(r"r \leftarrow r + d\,(c-1)\,j, \qquad j \leftarrow j\, s", t, font_size=48)
        legend = label(self.tr("c: kernel size,   s: stride,   d: dilation rate,   r: receptive field",
                               "c：卷积核大小，s：步长，d：膨胀率，r：感受野"), t, color=t.muted)
        lines = VGroup(*(VGroup(label(self.tr(f"layer {n + 1}:", f"第 {n + 1} 层："), t, color=t.muted, font_size=30),
                                cached_text(f"r = {fmt(prev)} + {fmt(inc)} × {fmt(jump_)} = {fmt(size)}", font=MONO,
                                            font_size=32, color=t.highlight)).arrange(RIGHT, buff=0.3)
                         for n, (prev, inc, jump_, size) in enumerate(a["growth"])))
        lines.arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        VGroup(jump, law, legend, lines).arrange(DOWN, buff=0.4).move_to(UP * 0.05)
        self.say("jump", wait=False)
        self.play(FadeIn(jump[0]), run_time=0.8)
        self.say("jump_product", wait=False)
        self.play(FadeIn(jump[1]), run_time=0.8)
        self.say("law", wait=False)
        self.play(FadeIn(law), FadeIn(legend), run_time=0.8)
        self.say("law_stride")
        self.play(FadeIn(lines), run_time=0.8)
        self.say("growth", size=fmt(a["field_sizes"][-1]))

        self.next_section("table")
        tab, k = a["table"], a["kernel_size"]
        rows = [[self.tr("depth", "层数")] + [str(n) for n in tab["depths"]],
                [f"{k}×{k}" + self.tr(", stride 1", "，步长 1")] + [fmt(v) for v in tab["plain"]],
                [f"{k}×{k}" + self.tr(f", stride {a['table_stride']}", f"，步长 {a['table_stride']}")]
                + [fmt(v) for v in tab["strided"]],
                [f"{k}×{k}" + self.tr(f", dilation rate {a['table_dilation']}", f"，膨胀率 {a['table_dilation']}")]
                + [fmt(v) for v in tab["dilated"]]]
        table = text_table(rows, t, font_size=30, col_buff=0.55, colors=[None] + [t.highlight] * len(tab["depths"]))
        head = label(self.tr("receptive field size r", "感受野大小 r"), t, color=t.highlight, font_size=28)
        VGroup(head, table).arrange(DOWN, buff=0.3).move_to(UP * 0.2)
        self.play(FadeOut(jump), FadeOut(law), FadeOut(legend), FadeOut(lines), run_time=0.5)
        self.play(FadeIn(head), FadeIn(table), run_time=0.8)
        self.say("table_depth", stride=a["table_stride"])
        self.say("table_dilation", dilation=a["table_dilation"])
