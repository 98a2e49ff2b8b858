"""The course's MNIST CNN layer by layer: proportional slabs with their shapes (from the shape arithmetic)
and parameter counts (from the real model), then the same network as the PyTorch code that builds it.

Render alone with ``manim -ql scenes/mnist_architecture.py MnistArchitecture``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, FadeIn, FadeOut, Polygon, ReplacementTransform, VGroup

from scenes.common import MONO, LectureScene, cached_text, formula, label, step_times

__all__ = ["MnistArchitecture"]

Y_BLOCKS, Y_NAME, Y_SHAPE, Y_PARAMS = 0.75, 2.6, -1.0, -1.45
OBLIQUE = np.array([0.36, 0.32, 0.0])  # a map's depth (its width W) drawn up and to the right


class MnistArchitecture(LectureScene):
    """Input → conv/pool slabs → vectors, one layer at a time with its arithmetic; then the code."""

    scene_id = "mnist_architecture"

    def slab(self, height: float, thick: float, depth: float, color: str, opacity: float) -> VGroup:
        """A box: front face thick × height, its H×W face seen obliquely (``depth`` along OBLIQUE)."""
        o = OBLIQUE * depth
        a, b = np.array([0, 0, 0.0]), np.array([thick, 0, 0.0])
        c, d = b + UP * height, a + UP * height
        kw = {"color": color, "stroke_width": 2, "fill_color": color}
        faces = VGroup(Polygon(a, b, c, d, fill_opacity=opacity, **kw))
        if depth:
            faces.add(Polygon(d, c, c + o, d + o, fill_opacity=opacity * 0.6, **kw),
                      Polygon(b, b + o, c + o, c, fill_opacity=opacity * 1.6, **kw))
        return faces.move_to(UP * Y_BLOCKS)

    def columns(self) -> list[VGroup]:
        t, a = self.theme, self.values.arrays
        cols = []
        for i, (name, kind) in enumerate(zip(a["names"], a["kinds"])):
            color = t.input if kind == "input" else t.output
            block = self.slab(*self.values.boxes[i], color, 0.18 if kind == "maxpool" else 0.32)
            nm = label(self.tr(name, "输入") if kind == "input" else name, t, color=t.muted if kind in ("maxpool", "flatten") else t.text, font_size=22)
            shape = cached_text(a["shape_text"][i], font=MONO, font_size=20, color=color)
            par = cached_text(a["params_text"][i] if kind != "input" else " ", font=MONO, font_size=20, color=t.kernel)
            x = block.get_center()[0]
            nm.move_to([x, Y_NAME, 0])
            shape.move_to([x, Y_SHAPE, 0])
            par.move_to([x, Y_PARAMS, 0])
            cols.append(VGroup(nm, block, shape, par))
        cursor = 0.0
        for col in cols:
            col.shift(RIGHT * (cursor - col.get_left()[0]))
            cursor = col.get_right()[0] + 0.3
        return cols

    def play_scene(self) -> None:
        t, a = self.theme, self.values.arrays
        k, p = a["kernel_size"], a["pool_size"]
        cols = self.columns()
        heads = VGroup(label(self.tr("shape", "形状"), t, color=t.muted, font_size=20).move_to([0, Y_SHAPE, 0]),
                       label(self.tr("params", "参数"), t, color=t.muted, font_size=20).move_to([0, Y_PARAMS, 0]))
        heads.next_to(cols[0], LEFT, buff=0.25, coor_mask=[1, 0, 0])
        VGroup(heads, *cols).move_to(ORIGIN, coor_mask=[1, 0, 0])
        self.next_section("input")
        self.play(FadeIn(cols[0]), FadeIn(heads), run_time=0.8)
        self.caption(f"The input: one grey digit, {a['shape_text'][0]} (height × width × channels).",
                     f"输入：一张灰度数字图像，{a['shape_text'][0]}（高 × 宽 × 通道）。")

        general = {"conv": (r"n - k + 1", r"k\cdot k\cdot C_{in}\cdot C_{out} + C_{out}"),
                   "maxpool": (r"\lfloor n / s \rfloor", ""), "flatten": (r"H\times W\times C", ""),
                   "dense": (r"n_{out}", r"n_{in}\cdot n_{out} + n_{out}")}
        seen: set[str] = set()
        panel = VGroup()
        for i, run in zip(range(1, len(cols)), step_times(len(cols) - 1, slow=0.9, fast=0.6, slow_steps=8)):
            name, kind, shape, n_par = a["names"][i], a["kinds"][i], a["shape_text"][i], a["params_text"][i]
            self.next_section(name)
            g_shape, g_par = general[kind]
            lines = [formula(rf"{g_shape} = {a['shape_formulas'][i]}", t, font_size=32, color=t.output)]
            if a["param_formulas"][i]:
                lines.append(formula(rf"{g_par} = {a['param_formulas'][i]}", t, font_size=32, color=t.kernel))
            else:
                lines.append(label(self.tr("no parameters", "没有参数"), t, color=t.kernel, font_size=24))
            new = VGroup(*lines).arrange(DOWN, buff=0.22).move_to(DOWN * 2.35)
            tag = label(f"{name}:", t, font_size=26).next_to(new, LEFT, buff=0.35)
            new = VGroup(tag, new)
            self.play(FadeIn(cols[i], shift=RIGHT * 0.3), FadeOut(panel), FadeIn(new), run_time=run)
            panel = new
            first = kind not in seen
            seen.add(kind)
            if kind == "conv" and first:
                self.caption(f"Convolution: {k}×{k} kernels, no padding, each side loses {k - 1}; "
                             f"one feature map per kernel.",
                             f"卷积层：{k}×{k} 卷积核，不补零，边长减 {k - 1}；每个卷积核输出一张特征图。")
            elif kind == "maxpool" and first:
                self.caption(f"Pooling: {p}×{p} max pooling halves each side, rounding down; "
                             "no parameters.",
                             f"池化层：{p}×{p} 最大池化把边长减半（向下取整），没有参数。")
            elif kind == "flatten":
                self.caption(f"Flatten lines the {a['shape_text'][i - 1]} numbers up into one vector of {shape}.",
                             f"展平：把 {a['shape_text'][i - 1]} 个数排成一个长度为 {shape} 的向量。")
            elif kind == "dense" and first:
                self.caption("Fully connected layer: every input to every unit, plus one bias per unit.",
                             "全连接层：每个输入连到每个神经元，每个神经元再加一个偏置。")
            elif i == len(cols) - 1:
                self.caption(f"The output: {shape} scores, one per digit; softmax makes them probabilities.",
                             f"输出：{shape} 个分数，每个数字一个；softmax 把它们变成概率。")
            else:
                self.caption(f"{name}: {shape}, {n_par} parameters.", f"{name}：{shape}，{n_par} 个参数。")

        self.next_section("total")
        total = formula(a["total_formula"], t, font_size=36, color=t.kernel).move_to(DOWN * 2.35)
        self.play(FadeOut(panel), FadeIn(total), run_time=0.8)
        self.caption(f"{a['total_params_text']} parameters in all, every one of them learned in training.",
                     f"共 {a['total_params_text']} 个参数，全部在训练中学习得到。")
        self.code_view(cols, heads, total)

    def code_view(self, cols: list[VGroup], heads: VGroup, total) -> None:
        """The PyTorch listing; each layer's shape and parameter count slide to its line."""
        t, a = self.theme, self.values.arrays
        self.next_section("code")
        code = VGroup(*(cached_text(line, font=MONO, font_size=23, color=t.text if 0 < n < len(a["code"]) - 1
                             else t.muted) for n, line in enumerate(a["code"])))
        code.arrange(DOWN, aligned_edge=LEFT, buff=0.16).to_edge(LEFT, buff=0.6).shift(UP * 0.25)
        indent = cached_text("m", font=MONO, font_size=23).width  # Text drops leading spaces: indent by hand
        for line, mob in zip(a["code"], code):
            mob.shift(RIGHT * indent * (len(line) - len(line.lstrip())))
        wide = max(c[2].width for c in cols) * 23 / 20
        x_shape = code.get_right()[0] + 0.5 + wide
        x_par = x_shape + 1.8
        moves, targets = [], VGroup()
        for row, col in zip(self.values.code_rows, cols[1:]):
            y = code[row].get_center()[1]
            for mob, x in ((col[2], x_shape), (col[3], x_par)):
                target = mob.copy().scale(23 / 20).move_to([x, y, 0], aligned_edge=RIGHT)
                targets.add(target)
                moves.append(ReplacementTransform(mob, target))
        heads_new = VGroup(label(self.tr("output", "输出"), t, color=t.muted, font_size=20)
                           .move_to([x_shape, code[0].get_center()[1], 0], aligned_edge=RIGHT),
                           label(self.tr("params", "参数"), t, color=t.muted, font_size=20)
                           .move_to([x_par, code[0].get_center()[1], 0], aligned_edge=RIGHT))
        total_new = cached_text(a["total_params_text"], font=MONO, font_size=23, color=t.kernel, weight="BOLD")
        total_new.move_to([x_par, code[-1].get_center()[1], 0], aligned_edge=RIGHT)
        VGroup(code, targets, heads_new, total_new).move_to(ORIGIN, coor_mask=[1, 0, 0])
        gone = [FadeOut(VGroup(c[0], c[1])) for c in cols] + [FadeOut(cols[0][2:]), FadeOut(heads)]
        self.play(*gone, run_time=0.7)
        self.play(*moves, FadeIn(code), FadeIn(heads_new), ReplacementTransform(total, total_new), run_time=1.5)
        self.caption("The same network in PyTorch, one line per layer; this code runs as the trained model.",
                     "同一个网络的 PyTorch 代码，每层一行：这段代码可以运行，输出与训练好的模型相同。")
