"""Backprop through a conv layer: ∂L/∂b = Σδ, ∂L/∂W = A ⊗ δ, ∂L/∂A = rot180(W) ⊗̃ δ, with values.

Render alone with ``manim -ql scenes/backprop_conv.py BackpropThroughConv``.
"""

from __future__ import annotations

import numpy as np
from manim import (DOWN, PI, RIGHT, UP, Animation, FadeIn, FadeOut, ReplacementTransform, Rotate,
                   SurroundingRectangle, Transform, VGroup)

from cnnviz.values import fmt

from scenes.backprop_parts import gradient_window, slide_window
from scenes.common import MONO, LectureScene, NumberGrid, cached_text, formula
from scenes.kit import NumberGrid as KitGrid
from scenes.kit import OpacityFade, PieceStep, SlidingWindow, reveal

__all__ = ["BackpropThroughConv"]

ROW_Y = UP * 0.55
PANEL_Y = DOWN * 2.2


class BackpropThroughConv(LectureScene):
    """Given δ = ∂L/∂Z: the bias, kernel and input gradients, each a convolution shown step by step."""

    scene_id = "backprop_conv"

    def grid(self, values, color, *, mask=None, empty=False, rows=None) -> NumberGrid:
        cell = min(0.62, 3.6 / (rows or np.shape(values)[0]))
        return NumberGrid(values, self.theme, color, cell=cell, font_size=42 * cell, padding_mask=mask,
                          show_values=not empty)

    def named(self, grid, tex: str, color: str):
        return formula(tex, self.theme, font_size=38, color=color).next_to(grid, UP, buff=0.15)

    def row(self, *items) -> VGroup:
        return VGroup(*items).arrange(RIGHT, buff=0.4).move_to(ROW_Y)

    def window(self, trace, rows: int, **kw) -> SlidingWindow:
        """A gradient's sliding window, its grids' middle at ROW_Y; a cell large enough for 16 px digits in its
        working at 480p."""
        window = gradient_window(self, trace, cell=min(0.75, 3.75 / rows), **kw)
        return window.shift(ROW_Y - window.body.get_center())

    @staticmethod
    def onto(grid: NumberGrid, target: KitGrid) -> tuple[list[Animation], KitGrid]:
        """``grid`` goes to ``target``'s place: moving, when both show the same numbers in the same order (no
        digit changes on the way), else fading out while a copy of ``target`` fades in; the copy is returned,
        to be taken away when ``target`` itself is shown."""
        ghost = target.copy()
        if [n.text for n in grid.numbers] == [n.text for n in target.numbers] and grid.shape == target.shape:
            return [Transform(grid, ghost)], ghost
        return [FadeOut(grid), FadeIn(ghost)], ghost

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        tr, rows = v.trace, max(v.trace.grad_kernel.padded_input.shape[0], v.trace.grad_input.direct_input.shape[0])
        # ---- forward and the given error term
        self.next_section("forward and δ")
        a, w = self.grid(v.arrays["input"], t.input, rows=rows), self.grid(v.arrays["kernel"], t.kernel, rows=rows)
        z, d = self.grid(v.arrays["output"], t.output, rows=rows), self.grid(v.delta, t.gradient, rows=rows)
        plus_b = cached_text(f"+ {fmt(v.arrays['bias'])}", font=MONO, font_size=34, color=t.text)
        sym = [formula(s, t, font_size=44) for s in (r"\otimes", "=")]
        top = self.row(a, sym[0], w, plus_b, sym[1], z, d)
        d.shift(RIGHT * 0.5)
        names = VGroup(self.named(a, "A", t.input), self.named(w, "W", t.kernel), self.named(z, "Z", t.output),
                       self.named(d, r"\delta = \partial L / \partial Z", t.gradient))
        law = formula(r"Z = A \otimes W + b", t, font_size=40).move_to(PANEL_Y)
        self.play(FadeIn(top[:6]), FadeIn(names[:3]), FadeIn(law), run_time=1.0)
        self.caption("Forward pass: Z = A ⊗ W + b.", "前向计算：Z = A ⊗ W + b。")
        self.play(FadeIn(d), FadeIn(names[3]), run_time=0.8)
        self.caption("Backward: the error term δ is given, one value per output of Z.",
                     "反向：误差项 δ 已知，Z 的每个输出对应一个值。")
        # ---- ∂L/∂b
        self.next_section("bias")
        box = SurroundingRectangle(d, color=t.highlight, buff=0.06)
        db = VGroup(formula(r"\frac{\partial L}{\partial b} = \sum_{i,j} \delta_{ij} =", t, font_size=36),
                    cached_text(fmt(v.arrays["grad_bias"]), font=MONO, font_size=34, color=t.gradient)
                    ).arrange(RIGHT, buff=0.2).move_to(PANEL_Y)
        self.play(FadeIn(box), FadeOut(law), run_time=0.5)  # one formula out, then the next in: no morph
        self.play(FadeIn(db), run_time=0.5)
        self.caption("b is added to every output, so its gradient is the sum of all of δ.",
                     "b 加到了每个输出上，所以 b 的梯度等于 δ 的所有元素之和。")
        self.play(FadeOut(box), FadeOut(db), run_time=0.5)
        # ---- ∂L/∂W = A ⊗ δ
        self.next_section("kernel gradient")
        gk = tr.grad_kernel
        win = self.window(gk, rows, roles=dict(kernel="gradient", output="gradient"), names=("A", "δ"))
        a2, d2, gw = win.input, win.kernel, win.output
        names2 = VGroup(self.named(a2, "A", t.input), self.named(d2, r"\delta", t.gradient),
                        self.named(gw, r"\partial L / \partial W", t.gradient))
        # A and δ move to their places in the window (δ's long name gives way to its short one)
        moves_a, ghost_a = self.onto(a, a2)
        moves_d, ghost_d = self.onto(d, d2)
        self.play(FadeOut(VGroup(w, plus_b, z, names[1:3], *sym)), *moves_a, *moves_d,
                  ReplacementTransform(names[0], names2[0]), FadeOut(names[3]), FadeIn(names2[1]), run_time=1.0)
        rest = reveal(VGroup(win.ops, win.output))
        self.remove(a, d, ghost_a, ghost_d)
        self.add(win)
        self.play(PieceStep(win, rest), FadeIn(names2[2]), run_time=0.6)
        law = formula(r"\frac{\partial L}{\partial W} = A \otimes \delta", t, font_size=40).move_to(PANEL_Y)
        self.play(FadeIn(law), run_time=0.6)
        st = self.params.stride
        self.caption("Each weight met many inputs: δ slides over A like a kernel."
                     + (f" With stride {st}, δ's values sit {st} cells apart." if st > 1 else ""),
                     "每个权重都作用于多个输入：δ 像卷积核一样在 A 上滑动。"
                     + (f"步长为 {st}，δ 的值间隔 {st} 格。" if st > 1 else ""))
        self.play(FadeOut(law), run_time=0.4)
        slide_window(self, win)
        self.play(FadeIn(law), run_time=0.6)
        self.wait(1.0)
        self.play(FadeOut(VGroup(win, names2, law)), run_time=0.6)
        self.grad_input_part(rows)

    def grad_input_part(self, rows: int) -> None:
        t, v = self.theme, self.values
        gi = v.trace.grad_input
        self.next_section("input gradient: rot180(W)")
        zeros = gi.padding_mask | gi.inserted_mask
        win = self.window(gi.direct, rows, roles=dict(input="gradient", output="gradient"), names=("δ", "rot180(W)"),
                          zeros=zeros)
        dp, wr, ga = win.input, win.kernel, win.output
        # δ's values, in order, and the cells of the padded δ they go to (the others are its zeros)
        real = [tuple(int(x) for x in c) for c in np.argwhere(~zeros)]
        d = self.grid(v.delta, t.gradient, rows=rows).move_to(dp)
        arriving = VGroup(*(dp.number(*c) for c in real)) if len(real) == len(d.numbers) else VGroup()
        arrived = OpacityFade.opacities(arriving)
        wide = formula(r"\tilde{\otimes}", t, font_size=44).move_to(win.ops[0])  # the window writes ⊗
        win.ops[0].set_opacity(0.0)
        shows = {"kernel": reveal(wr), "rest": reveal(VGroup(win.ops, ga)),
                 "zeros": reveal(VGroup(dp.cells, *(n for n in dp.numbers if n not in arriving)))}
        hidden = reveal(arriving)  # shown at once when δ's own numbers have moved onto them
        self.add(win)
        w = self.grid(v.arrays["kernel"], t.kernel, rows=rows).move_to(wr)
        nw = self.named(wr, "W", t.kernel)
        self.play(FadeIn(w), FadeIn(nw), run_time=0.6)
        nwr = self.named(wr, r"\mathrm{rot180}(W)", t.kernel)
        self.play(Rotate(w, PI), FadeOut(nw), FadeIn(nwr), run_time=1.2)
        # the rotated grid's numbers stand on their heads: it gives way to rot180(W) written upright
        self.play(FadeOut(w), run_time=0.25)
        self.play(PieceStep(win, shows["kernel"]), run_time=0.25)
        self.caption("For the gradient of A, first rotate W by 180°.", "求 A 的梯度：先把 W 旋转 180°，得到 rot180(W)。")
        self.next_section("input gradient: pad δ")
        nd = self.named(dp, r"\delta", t.gradient)
        self.play(FadeIn(d), FadeIn(nd), run_time=0.6)
        if len(arriving):  # δ's values move apart to their cells, the zeros come in around and between them
            self.play(FadeOut(d.cells), *(n.animate.move_to(m.get_center()) for n, m in zip(d.numbers, arriving)),
                      run_time=0.8)
            self.play(PieceStep(win, shows["zeros"]), run_time=0.5)
            hidden.begin()
            hidden.finish()
            self.remove(*d.get_family())  # (the fade above took its cells out: d's numbers stand alone now)
        else:
            self.play(FadeOut(d), run_time=0.5)
            self.play(PieceStep(win, shows["zeros"], OpacityFade(arriving, arrived)), run_time=0.5)
        s = self.params.stride
        self.caption("Then pad δ with zeros (wide convolution ⊗̃)"
                     + (f", {s - 1} zero(s) between its values for stride {s}." if s > 1 else "."),
                     "再给 δ 补零（宽卷积 ⊗̃）" + (f"，步长为 {s} 时值之间插入 {s - 1} 个零。" if s > 1 else "。"))
        self.play(PieceStep(win, shows["rest"]), FadeIn(wide),
                  FadeIn(self.named(ga, r"\partial L / \partial A", t.gradient)), run_time=0.6)
        law = formula(r"\frac{\partial L}{\partial A} = \mathrm{rot180}(W) \,\tilde{\otimes}\, \delta", t,
                      font_size=40).move_to(PANEL_Y)
        self.play(FadeIn(law), run_time=0.6)
        self.caption("rot180(W) slides over the padded δ; each sum is one value of A's gradient.",
                     "rot180(W) 在补零后的 δ 上滑动；每个和就是 A 的梯度的一个值。")
        self.play(FadeOut(law), run_time=0.4)
        slide_window(self, win)
        self.next_section("summary")
        summary = VGroup(*(formula(tex, t, font_size=34) for tex in (
            r"\frac{\partial L}{\partial b} = \sum_{i,j} \delta_{ij}",
            r"\frac{\partial L}{\partial W} = A \otimes \delta",
            r"\frac{\partial L}{\partial A} = \mathrm{rot180}(W) \,\tilde{\otimes}\, \delta"))
        ).arrange(RIGHT, buff=0.9).move_to(PANEL_Y)
        self.play(FadeIn(summary), run_time=0.8)
        self.caption("Every gradient of a conv layer is itself a convolution.",
                     "卷积层的每个梯度本身也是一次卷积。")
