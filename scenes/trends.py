"""The course's trends of CNN design: a stack of small kernels against one large kernel of the same receptive
field (fewer parameters, more ReLUs); the classic networks' depths; a stride-2 convolution in place of
convolution + pooling (the same output size, a quarter of the multiplications) and a dense layer as a
convolution, toward fully convolutional networks.

Render alone with ``manim -ql scenes/trends.py SmallerDeeperAllConvolutional``. The words are in
``scenes/scripts/trends.yaml``; every number comes from ``cnnviz/values/trends.py``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Rectangle, Square, VGroup

from scenes.common import (MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, label,
                           text_table)

__all__ = ["SmallerDeeperAllConvolutional"]

FONT_SIZE = 26  # labels and numbers: a digit 16 px tall at 480p
TEX = 48  # formulas: a superscript 16 px tall at 480p
CELL, FIELD_SIDE = 0.3, 1.5  # a cell of the receptive-field grids, at most; the input's side, at most
BAR_LEFT, BAR_ROOM = -3.3, 5.0  # the depth chart's bars: where they start, the longest one's length


class SmallerDeeperAllConvolutional(LectureScene):
    """Small kernels stacked (grids and a table), the depth chart, strided convolution and the dense layer as a
    convolution."""

    scene_id = "trends"

    def play_scene(self) -> None:
        self.smaller_kernels()
        self.deeper()
        self.strided()
        self.fully_convolutional()

    # ------------------------------------------------------------------ helpers
    def mono(self, text: str, color: str | None = None, font_size: float = FONT_SIZE):
        return cached_text(text, font=MONO, font_size=font_size, color=color or self.theme.text)

    def clear(self) -> None:
        shown = [m for m in self.mobjects if m not in (self.heading, self._caption)]
        if shown:
            self.play(*(FadeOut(m) for m in shown), run_time=0.6)

    def volume(self, side: float, color: str, depth: int = 3) -> VGroup:
        """A C×H×W tensor drawn as ``depth`` offset squares of side ``side`` (its height H, not its channels)."""
        step = 0.1
        squares = [Square(side_length=side, color=color, stroke_width=2.5, fill_color=color, fill_opacity=0.15)
                   .shift(RIGHT * step * k + UP * step * k) for k in reversed(range(depth))]
        return VGroup(*squares)

    def grids(self, sizes: list[int], color_in: str, color_out: str) -> list[NumberGrid]:
        cell = min(CELL, FIELD_SIDE / sizes[0])  # a larger field (5×5 kernels) in the same room
        return [NumberGrid(np.zeros((n, n)), self.theme, color_in if i == 0 else color_out, cell=cell,
                           show_values=False) for i, n in enumerate(sizes)]

    def chain(self, maps: list, kernel_text: str, y: float, left: float, gap: float = 1.2) -> VGroup:
        """Maps left to right at height ``y`` with an arrow between each two, the kernel's size above it."""
        row = VGroup(*maps).arrange(RIGHT, buff=gap)
        row.move_to([left + row.width / 2, y, 0])
        links = VGroup()
        for a, b in zip(maps, maps[1:]):
            link = arrow(a.get_right(), b.get_left(), self.theme.kernel, buff=0.1)
            links.add(link, label(kernel_text, self.theme, color=self.theme.kernel).next_to(link, UP, buff=0.08))
        return links

    # ------------------------------------------------------------------ 1. smaller kernels
    def smaller_kernels(self) -> None:
        t, a = self.theme, self.values.arrays
        first, c = a["stacks"][0], a["small_kernel"]
        self.next_section("trends")
        self.say("intro")

        self.next_section("stack")
        stack = self.grids(a["stack_sizes"], t.input, t.output)
        stack_links = self.chain(stack, f"{c}×{c}", 1.45, -6.3, gap=1.0)
        # the large kernel below: its input under the stack's input, its output under the stack's output
        big = self.grids(a["big_sizes"], t.input, t.output)
        big[0].move_to([stack[0].get_x(), -1.25, 0])
        big[1].move_to([stack[-1].get_x(), -1.25, 0])
        big_link = arrow(big[0].get_right(), big[1].get_left(), t.kernel, buff=0.1)
        big_links = VGroup(big_link, label(first["big_name"], t, color=t.kernel).next_to(big_link, UP, buff=0.08))
        stack_r = self.mono(f"r = {first['r']}", t.highlight).next_to(stack[-1], RIGHT, buff=0.3)
        big_r = self.mono(f"r = {first['r']}", t.highlight).next_to(big[-1], RIGHT, buff=0.3)
        self.say("stack", wait=False, n=first["n"], c=c, r=first["r"])
        self.play(FadeIn(stack[0]), run_time=0.5)
        for k in range(1, len(stack)):
            self.play(FadeIn(stack_links[2 * k - 2]), FadeIn(stack_links[2 * k - 1]), FadeIn(stack[k]), run_time=0.6)
        # the field traced back from the output: all of each map, since no padding is added
        boxes = [cells_box(g, [(0, 0), (g.shape[0] - 1, g.shape[1] - 1)], t.highlight) for g in stack]
        for box in reversed(boxes):
            self.play(FadeIn(box), run_time=0.4)
        self.play(FadeIn(stack_r), run_time=0.4)
        self.finish_line()
        self.say("big", wait=False, r=first["r"])
        self.play(FadeIn(big[0]), FadeIn(big_links), FadeIn(big[1]), run_time=0.8)
        big_boxes = [cells_box(g, [(0, 0), (g.shape[0] - 1, g.shape[1] - 1)], t.highlight) for g in big]
        self.play(*(FadeIn(b) for b in big_boxes), FadeIn(big_r), run_time=0.6)
        self.finish_line()

        self.next_section("parameters")
        # the channels in the header's first cell: the counts below are for this C
        rows = [[f"C = {a['channels']}", self.tr("field r", "感受野 r"), self.tr("parameters", "参数"), "ReLU"]]
        for s in a["stacks"]:
            rows.append([s["stack_name"], str(s["r"]), s["stack_text"], str(s["nonlinear_stack"])])
            rows.append([s["big_name"], str(s["r"]), s["big_text"], str(s["nonlinear_big"])])
        table = text_table(rows, t, font_size=FONT_SIZE, colors=[t.kernel, t.highlight, t.text, t.text], col_buff=0.35)
        table.move_to([min(3.1, 6.3 - table.width / 2), 0.5, 0])
        e = table.entries
        law = formula(rf"{first['stack_formula']} \;<\; {first['big_formula']}", t, font_size=TEX)
        law.next_to(table, DOWN, buff=0.35)
        head = [*e[0], table[-1]]
        self.play(*(FadeIn(m) for m in head[:3] + [head[4]]), run_time=0.6)
        self.play(*(FadeIn(m) for m in (e[1][0], e[1][1], e[2][0], e[2][1])), run_time=0.6)
        self.play(FadeIn(e[2][2]), run_time=0.4)
        self.ask("predict", e[1][2], C=a["channels"], n=first["n"])
        self.play(FadeIn(e[1][2]), FadeIn(law), run_time=0.6)
        self.say("answer", stack=first["stack_text"], big=first["big_text"], r=first["r"], ratio=first["ratio_text"])
        if len(a["stacks"]) > 1:
            self.next_section("deeper stacks")
            more = [m for i in range(3, len(e)) for m in e[i][:3]]
            self.say("stack_more", wait=False, **{k: v for k, v in (("n", a["stacks"][-1]["n"]), ("c", c),
                                                                    ("r", a["stacks"][-1]["r"]),
                                                                    ("ratio", a["stacks"][-1]["ratio_text"]))})
            self.play(*(FadeIn(m) for m in more), run_time=0.8)
            self.finish_line()
        self.next_section("nonlinearity")
        self.say("relu", wait=False)
        self.play(FadeIn(e[0][3]), *(FadeIn(row[3]) for row in e[1:]), run_time=0.8)
        self.finish_line()

    # ------------------------------------------------------------------ 2. deeper networks
    def deeper(self) -> None:
        t, a = self.theme, self.values.arrays
        nets = a["networks"]
        self.next_section("deeper")
        self.clear()
        longest = max(n["depth"] for n in nets)
        ys = [1.55 - 0.7 * i for i in range(len(nets))]
        heads = VGroup(label(self.tr("layers with weights", "带权重的层数"), t, color=t.muted),
                       label(self.tr("kernel sizes c", "卷积核大小 c"), t, color=t.muted))
        heads[0].move_to([BAR_LEFT + heads[0].width / 2, 2.3, 0])
        kernels_x = BAR_LEFT + BAR_ROOM + 1.15
        heads[1].move_to([kernels_x + heads[1].width / 2, 2.3, 0])
        rows = []
        for net, y in zip(nets, ys):
            name = label(net["name"], t).move_to([-6.3, y, 0], aligned_edge=LEFT)
            bar = Rectangle(width=max(BAR_ROOM * net["depth"] / longest, 0.04), height=0.38, color=t.output,
                            fill_color=t.output, fill_opacity=0.6, stroke_width=1.5)
            bar.move_to([BAR_LEFT, y, 0], aligned_edge=LEFT)
            number = self.mono(net["depth_text"], t.highlight).next_to(bar, RIGHT, buff=0.15)
            kernels = self.mono(net["kernels_text"], t.kernel).move_to([kernels_x, y, 0],
                                                                                      aligned_edge=LEFT)
            rows.append(VGroup(name, bar, number, kernels))
        note = label(self.tr("parallel paths count as their deepest", "并行的路径只计最深的一条"), t,
                     color=t.muted).move_to([0, ys[-1] - 0.8, 0])
        self.say("deeper", wait=False)
        self.play(FadeIn(heads), FadeIn(note), run_time=0.6)
        self.finish_line()
        vgg = nets[2]
        self.say("early", wait=False, lenet=nets[0]["depth_text"], alexnet=nets[1]["depth_text"],
                 vgg_name=vgg["name"], vgg=vgg["depth_text"], vgg_kernel=vgg["kernel_sizes_text"])
        for row in rows[:3]:
            self.play(FadeIn(row), run_time=0.6)
        self.finish_line()
        self.next_section("branches")
        self.say("late", wait=False, googlenet=nets[3]["depth_text"], resnet_name=nets[4]["name"],
                 resnet=nets[4]["depth_text"])
        for row in rows[3:]:
            self.play(FadeIn(row), run_time=0.7)
        self.finish_line()

    # ------------------------------------------------------------------ 3. strided convolution
    def op_label(self, lines: list[str], link) -> VGroup:
        group = VGroup(*(label(line, self.theme, color=self.theme.kernel) for line in lines)).arrange(DOWN, buff=0.08)
        return group.next_to(link, UP, buff=0.1)

    def strided(self) -> None:
        t, a = self.theme, self.values.arrays
        s = a["strided"]
        c, p, w, st = s["c"], s["padding"], s["window"], s["stride"]
        self.next_section("pooling")
        self.clear()
        side_in = 1.3
        half = side_in * s["pool_shape"][1] / s["input_shape"][1]
        top, bottom = 1.35, -1.2
        xs = (-5.0, -0.9, 3.9)  # room on the left for a long C×H×W
        vol_in = self.volume(side_in, t.input).move_to([xs[0], top, 0])
        vol_conv = self.volume(side_in * s["conv_shape"][1] / s["input_shape"][1], t.output).move_to([xs[1], top, 0])
        vol_pool = self.volume(half, t.output).move_to([xs[2], top, 0])
        vol_in2 = self.volume(side_in, t.input).move_to([xs[0], bottom, 0])
        vol_strided = self.volume(side_in * s["strided_shape"][1] / s["input_shape"][1], t.output)
        vol_strided.move_to([xs[2], bottom, 0])
        names = [self.mono(s[k], t.input if k == "input_text" else t.output).next_to(v, DOWN, buff=0.15)
                 for k, v in (("input_text", vol_in), ("conv_text", vol_conv), ("pool_text", vol_pool),
                              ("input_text", vol_in2), ("strided_text", vol_strided))]
        # the two outputs' names on one line: the same size reads as the same text
        names[4].set_y(vol_strided.get_bottom()[1] - 0.15 - names[4].height / 2)
        link_conv = arrow(vol_in.get_right(), vol_conv.get_left(), t.kernel, buff=0.25)
        link_pool = arrow(vol_conv.get_right(), vol_pool.get_left(), t.kernel, buff=0.25)
        link_strided = arrow(vol_in2.get_right(), vol_strided.get_left(), t.kernel, buff=0.25)
        conv_name = self.op_label([self.tr(f"conv {c}×{c}", f"卷积 {c}×{c}"), f"s = 1, p = {p}"], link_conv)
        pool_word = {"max": ("max pool", "最大池化"), "avg": ("mean pool", "平均池化")}[s["pool"]]
        pool_name = self.op_label([self.tr(f"{pool_word[0]} {w}×{w}", f"{pool_word[1]} {w}×{w}"), f"s = {st}"],
                                  link_pool)
        strided_name = self.op_label([self.tr(f"conv {c}×{c}", f"卷积 {c}×{c}"), f"s = {st}, p = {p}"],
                                     link_strided)
        self.say("pooling", wait=False, c=c, p=p, conv=s["conv_text"], w=w, s=st, pool=s["pool_text"])
        self.play(FadeIn(vol_in), FadeIn(names[0]), run_time=0.5)
        self.play(FadeIn(link_conv), FadeIn(conv_name), FadeIn(vol_conv), FadeIn(names[1]), run_time=0.7)
        self.play(FadeIn(link_pool), FadeIn(pool_name), FadeIn(vol_pool), FadeIn(names[2]), run_time=0.7)
        self.finish_line()
        self.next_section("strided")
        self.say("strided", wait=False, c=c, s=st, strided=s["strided_text"])
        self.play(FadeIn(vol_in2), FadeIn(names[3]), run_time=0.5)
        self.play(FadeIn(link_strided), FadeIn(strided_name), FadeIn(vol_strided), FadeIn(names[4]), run_time=0.8)
        same = label(self.tr("the same size", "大小相同"), t, color=t.highlight)
        same.move_to([xs[2], (names[2].get_bottom()[1] + vol_strided.get_top()[1]) / 2 + 0.1, 0])
        self.play(FadeIn(same), run_time=0.4)
        self.finish_line()

        self.next_section("cost")
        self.clear()
        rows = [["", self.tr("parameters", "参数"), self.tr("multiplications", "乘法次数")],
                [self.tr(f"conv + {pool_word[0]}", f"卷积 + {pool_word[1]}"), s["conv_params_text"],
                 s["conv_mults_text"]],
                [self.tr(f"conv, s = {st}", f"卷积，s = {st}"), s["strided_params_text"], s["strided_mults_text"]]]
        table = text_table(rows, t, font_size=FONT_SIZE, colors=[t.kernel, t.text, t.text]).move_to([0, 0.6, 0])
        fewer = label(self.tr(f"1/{s['mults_ratio_text']} of the multiplications",
                              f"乘法次数只有 1/{s['mults_ratio_text']}"), t, color=t.highlight)
        fewer.next_to(table, DOWN, buff=0.45)
        self.say("cost", wait=False, params=s["strided_params_text"], ratio=s["mults_ratio_text"])
        self.play(FadeIn(table), run_time=0.8)
        self.play(FadeIn(fewer), run_time=0.5)
        self.finish_line()
        self.say("learns")

    # ------------------------------------------------------------------ 4. toward fully convolutional networks
    def fully_convolutional(self) -> None:
        t, a = self.theme, self.values.arrays
        f, vgg = a["fully_convolutional"], a["networks"][2]
        self.next_section("dense as convolution")
        self.clear()
        top, middle = 1.95, 0.35
        rows, kernel = [], f["fc6_kernel_text"]
        for y, op, out_text, color in ((top, self.tr("dense", "全连接"), str(f["fc6_units"]), t.output),
                                       (middle, self.tr(f"conv {kernel}", f"卷积 {kernel}"), f["fc6_conv_out_text"],
                                        t.output)):
            vol = self.volume(0.8, t.input).move_to([-4.6, y, 0])
            vol_name = self.mono(f["fc6_in_text"], t.input).next_to(vol, DOWN, buff=0.12)
            out = self.mono(out_text, color)
            out.move_to([3.0 + out.width / 2, y, 0])
            link = arrow(vol.get_right() + RIGHT * 0.1, out.get_left(), t.kernel, buff=0.2)
            op_name = label(op, t, color=t.kernel).next_to(link, UP, buff=0.1)
            params = self.mono(self.tr(f"{f['fc6_params_text']} parameters", f"{f['fc6_params_text']} 个参数"),
                               t.highlight).next_to(link, DOWN, buff=0.1)
            rows.append(VGroup(vol, vol_name, link, op_name, out, params))
        fc6 = label("fc6", t, color=t.muted).next_to(rows[0][0], LEFT, buff=0.35)
        self.say("dense", wait=False, vgg_name=vgg["name"], fc6_in=f["fc6_in_text"], units=f["fc6_units"],
                 k=f["fc6_kernel_text"], params=f["fc6_params_text"])
        self.play(FadeIn(fc6), FadeIn(rows[0]), run_time=0.8)
        self.play(FadeIn(rows[1]), run_time=0.8)
        self.finish_line()

        self.next_section("fully convolutional")
        chain = VGroup(self.mono(f["large_input_text"], t.input), self.mono(f["large_last_text"], t.output),
                       self.mono(f["score_text"], t.output)).arrange(RIGHT, buff=2.9).move_to([0, -1.5, 0])
        links = VGroup(*(arrow(x.get_right(), y.get_left(), t.kernel, buff=0.15) for x, y in zip(chain, chain[1:])))
        head = f["head_kernels_text"]  # fc6, fc7, fc8 as convolutions
        steps = (self.tr("conv, pool", "卷积、池化"), self.tr(f"conv {head}", f"卷积 {head}"))
        names = [label(text, t, color=t.kernel).next_to(link, UP, buff=0.1) for text, link in zip(steps, links)]
        scores = label(self.tr("class scores", "类别得分"), t, color=t.muted).next_to(chain[2], DOWN, buff=0.12)
        self.say("fcn", wait=False, large=f["large_input_text"], scores=f["score_text"])
        self.play(FadeIn(chain[0]), run_time=0.5)
        for link, name, item in zip(links, names, chain[1:]):
            self.play(FadeIn(link), FadeIn(name), FadeIn(item), run_time=0.6)
        self.play(FadeIn(scores), run_time=0.4)
        self.finish_line()
