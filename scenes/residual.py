"""Residual networks: a residual block y = F(x) + x with real numbers (F = convolution → ReLU → convolution,
then the shortcut's addition cell by cell); why it trains, the gradient of every layer of a deep plain stack
and of the same stack with shortcuts, measured with autograd on a real MNIST batch, on a log scale; the
forward view (the input thrown into the output along the identity path); DenseNet named as the follow-up.

Render alone with ``manim -ql scenes/residual.py ShortcutKeepsTheGradient``. The words are in
``scenes/scripts/residual.yaml``; every number comes from ``cnnviz/values/residual.py``.
"""

from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UP, Axes, Circle, Create, Dot, FadeIn, FadeOut, Rectangle, Square, VGroup, VMobject,
                   ArcBetweenPoints, config)

from scenes.common import MONO, LectureScene, NumberGrid, arrow, cached_text, cells_box, formula, label, step_times

__all__ = ["ShortcutKeepsTheGradient"]

TEX = 54  # formulas: a subscript or a bold lower-case letter 16 px tall at 480p
LONE = 58  # a formula of one bold lower-case letter: its x-height 16 px
FONT_SIZE = 26  # labels and numbers: a digit 16 px tall at 480p
ROW_Y = 0.35  # the block's grids
ROOM = config.frame_width * 0.9 - 0.3  # what a row may span, inside the 5 % margins
CHART_W, CHART_H = 7.0, 3.7
CHART_CENTER = (-2.0, 0.15)
PANEL_LEFT = 2.3  # the legend and the layer-1 readouts, right of the chart


class ShortcutKeepsTheGradient(LectureScene):
    """The block on small integers, the gradient chart from the JSON, the forward view, DenseNet."""

    scene_id = "residual"

    def play_scene(self) -> None:
        self.block()
        self.gradients()
        self.forward_view()
        self.densenet()

    # ----------------------------------------------------------------- the block
    def grid(self, key: str, color: str, **kwargs) -> NumberGrid:
        return NumberGrid(self.values.arrays[key], self.theme, color, cell=0.5, font_size=None, **kwargs)

    def block(self) -> None:
        t, a = self.theme, self.values.arrays
        x, w1 = self.grid("input", t.input), self.grid("kernel1", t.kernel)
        h1, w2 = self.grid("relu1", t.output), self.grid("kernel2", t.kernel)
        f = self.grid("residual", t.output)
        row = VGroup(x, w1, h1, w2, f).arrange(RIGHT, buff=0.6).move_to([0, ROW_Y, 0])
        if row.width > ROOM:
            row.scale_to_fit_width(ROOM)
        names = [r"\mathbf{x}", r"\mathbf{W}_1", r"h(\mathbf{x} \otimes \mathbf{W}_1)", r"\mathbf{W}_2",
                 r"F(\mathbf{x})"]
        heads = [formula(n, t, font_size=LONE if n == names[0] else TEX).next_to(g, UP, buff=0.2)
                 for n, g in zip(names, row)]
        signs = VGroup(*(formula(s, t, font_size=TEX).move_to((row[i].get_right() + row[i + 1].get_left()) / 2)
                         for i, s in ((0, r"\otimes"), (2, r"\otimes"))))
        arrows = VGroup(*(arrow(row[i].get_right(), row[i + 1].get_left(), t.muted, buff=0.08) for i in (1, 3)))
        rule = formula(r"F(\mathbf{x}) = h(\mathbf{x} \otimes \mathbf{W}_1) \otimes \mathbf{W}_2", t,
                       font_size=TEX).next_to(row, DOWN, buff=0.45)

        self.next_section("block")
        self.say("block", wait=False)
        self.play(FadeIn(x), FadeIn(heads[0]), run_time=0.6)
        self.play(FadeIn(w1), FadeIn(heads[1]), FadeIn(signs[0]), run_time=0.6)
        self.play(FadeIn(arrows[0]), FadeIn(h1), FadeIn(heads[2]), run_time=0.8)
        self.play(FadeIn(w2), FadeIn(heads[3]), FadeIn(signs[1]), run_time=0.6)
        self.play(FadeIn(arrows[1]), FadeIn(f), FadeIn(heads[4]), FadeIn(rule), run_time=0.8)
        self.say("residual", size=a["size"])

        # the addition: F(x) + x = y, the two inputs moved into one row with the output
        self.next_section("add")
        y = self.grid("output", t.output, show_values=False)
        plus, equals = formula("+", t, font_size=TEX), formula("=", t, font_size=TEX)
        target = VGroup(f.copy(), plus, x.copy(), equals, y).arrange(RIGHT, buff=0.45).move_to([0, ROW_Y, 0])
        add_head = formula(r"\mathbf{y} = F(\mathbf{x}) + \mathbf{x}", t, font_size=TEX).next_to(target, DOWN,
                                                                                              buff=0.45)
        y_head = formula(r"\mathbf{y}", t, font_size=LONE).next_to(y, UP, buff=0.2)
        self.say("add", wait=False)
        self.play(FadeOut(w1), FadeOut(h1), FadeOut(w2), FadeOut(signs), FadeOut(arrows), FadeOut(rule),
                  *(FadeOut(heads[i]) for i in (1, 2, 3)), run_time=0.6)
        self.play(f.animate.move_to(target[0]), x.animate.move_to(target[2]),
                  heads[4].animate.next_to(target[0], UP, buff=0.2), heads[0].animate.next_to(target[2], UP, buff=0.2),
                  run_time=1.0)
        self.play(FadeIn(plus), FadeIn(equals), FadeIn(y), FadeIn(y_head), FadeIn(add_head), run_time=0.6)
        rows, cols = y.shape
        boxes, sums = None, VGroup()
        for n, run in enumerate(step_times(rows * cols, slow=1.0, fast=0.25, slow_steps=2)):
            i, j = divmod(n, cols)
            new = VGroup(*(cells_box(g, [(i, j)], t.highlight, stroke_width=4) for g in (f, x, y)))
            out = y.number_for(i, j, a["output"][i, j])
            anims = [FadeIn(new), FadeIn(out)] + ([FadeOut(boxes)] if boxes is not None else [])
            self.play(*anims, run_time=run)
            sums.add(out)
            boxes = new
            if n == 0:
                self.say("first_cell", **a["first_cell_text"])
        self.play(FadeOut(boxes), run_time=0.3)
        self.say("learns")
        self.play(*(FadeOut(m) for m in (f, x, y, sums, plus, equals, y_head, add_head, heads[0], heads[4])),
                  run_time=0.6)

    # ----------------------------------------------------------------- the gradients
    def gradients(self) -> None:
        t, a = self.theme, self.values.arrays
        lo, hi = a["log_range"]
        layers = a["layers"]
        # the axes count decades up from the chart's floor, so the layer axis lies along its bottom
        ax = Axes(x_range=[0, layers + 1, 1], y_range=[0, hi - lo, 1], x_length=CHART_W, y_length=CHART_H, tips=False,
                  axis_config={"color": t.muted, "stroke_width": 2, "include_ticks": False})
        ax.move_to([CHART_CENTER[0], CHART_CENTER[1], 0])
        deco = VGroup()
        every = 1 if hi - lo <= 10 else 2
        for k, text in zip(a["log_ticks"], a["log_tick_text"]):
            if (k - lo) % every:
                continue
            deco.add(cached_text(text, font=MONO, font_size=FONT_SIZE, color=t.muted)
                     .next_to(ax.c2p(0, k - lo), LEFT, buff=0.12))
        xs = VGroup(*(cached_text(str(n), font=MONO, font_size=FONT_SIZE, color=t.muted)
                      .next_to(ax.c2p(n, 0), DOWN, buff=0.12) for n in a["layer_ticks"]))
        deco.add(xs)
        deco.add(label(self.tr("layer l", "第 l 层"), t, color=t.muted, font_size=FONT_SIZE)
                 .next_to(xs, DOWN, buff=0.08).set_x(ax.x_axis.get_center()[0]))
        y_name = formula(r"\log_{10} \| \partial \mathcal{L} / \partial \mathbf{W}_l \|", t, font_size=TEX,
                         color=t.muted)
        y_name.next_to(ax.c2p(0, hi - lo), UP, buff=0.25).align_to(ax, LEFT)
        deco.add(y_name)

        series = (("plain_log_norms", t.muted, self.tr("plain", "无直连边")),
                  ("shortcut_log_norms", t.gradient, self.tr("with shortcuts", "有直连边")))
        legend = VGroup()
        for _, color, name in series:
            swatch = VGroup(VMobject(stroke_color=color, stroke_width=4).set_points_as_corners(
                [LEFT * 0.25, RIGHT * 0.25]), Dot(color=color, radius=0.06))
            legend.add(VGroup(swatch, label(name, t, color=color, font_size=FONT_SIZE)).arrange(RIGHT, buff=0.15))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.2).move_to([0, 1.9, 0])
        legend.shift(RIGHT * (PANEL_LEFT - legend.get_left()[0]))

        self.next_section("stacks")
        self.say("stacks", wait=False, layers=layers, channels=a["channels"])
        self.play(FadeIn(ax), FadeIn(deco), FadeIn(legend), run_time=1.0)
        self.say("batch", batch=a["batch_size"])

        # a prediction before the plain stack's line: the "?" where its layer-1 gradient will be
        spot = Square(side_length=0.7, stroke_opacity=0).move_to(ax.c2p(1, (hi - lo) / 2))
        self.ask("predict", spot, layers=layers)
        drawn = []
        for (key, color, _), line_key in zip(series, ("plain", "shortcut")):
            if line_key != "plain":  # the plain line is the answer's section
                self.next_section(line_key)
            # drawn from the last layer back to the first: the way the gradient travels
            points = [ax.c2p(n, v - lo) for n, v in zip(a["layer_numbers"], a[key])][::-1]
            line = VMobject(stroke_color=color, stroke_width=4).set_points_as_corners(points)
            dots = VGroup(*(Dot(p, color=color, radius=0.06) for p in points))
            if line_key == "plain":
                self.say("plain", wait=False, plain=a["plain_first_text"])
            else:
                self.say("shortcut", wait=False, shortcut=a["shortcut_first_text"])
            self.play(Create(line), FadeIn(dots, lag_ratio=0.1), run_time=2.0)
            drawn.append(VGroup(line, dots))

        self.next_section("layer 1")
        rings = VGroup(*(Circle(radius=0.16, color=t.highlight, stroke_width=4).move_to(g[1][-1]) for g in drawn))
        head = label(self.tr("layer 1", "第 1 层"), t, font_size=FONT_SIZE)
        plain_v = formula(a["plain_first_tex"], t, font_size=TEX, color=t.muted)
        short_v = formula(a["shortcut_first_tex"], t, font_size=TEX, color=t.gradient)
        ratio = formula(r"\times\, " + a["ratio_tex"], t, font_size=TEX, color=t.highlight)
        panel = VGroup(head, short_v, plain_v, ratio).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        panel.next_to(legend, DOWN, buff=0.5).align_to(legend, LEFT)
        self.say("ratio", wait=False, decades=a["decades_text"])
        self.play(Create(rings), FadeIn(panel), run_time=1.0)
        self.finish_line()  # the chart stays while its line is spoken
        self.play(*(FadeOut(m) for m in (ax, deco, legend, rings, panel, *drawn)), run_time=0.6)

    # ----------------------------------------------------------------- the forward view
    def forward_view(self) -> None:
        t, a = self.theme, self.values.arrays
        box = Rectangle(width=1.6, height=0.9, color=t.kernel, stroke_width=3).move_to([0, 2.3, 0])
        f_name = formula("F", t, font_size=TEX).move_to(box)
        plus = Circle(radius=0.25, color=t.text, stroke_width=3).move_to([2.4, 2.3, 0])
        plus_sign = formula("+", t, font_size=TEX).move_to(plus)
        x_in = formula(r"\mathbf{x}_l", t, font_size=LONE, color=t.input).move_to([-3.3, 2.3, 0])
        x_out = formula(r"\mathbf{x}_{l+1}", t, font_size=LONE, color=t.output).move_to([4.6, 2.3, 0])
        wires = VGroup(arrow(x_in.get_right(), box.get_left(), t.muted),
                       arrow(box.get_right(), plus.get_left(), t.muted),
                       arrow(plus.get_right(), x_out.get_left(), t.muted))
        start = x_in.get_right() + RIGHT * 0.5
        shortcut = ArcBetweenPoints(start, plus.get_bottom(), angle=1.0, color=t.highlight, stroke_width=4)
        shortcut.add_tip(tip_length=0.2)
        name = label(self.tr("identity path", "恒等路径"), t, color=t.highlight, font_size=FONT_SIZE)
        name.next_to(shortcut, DOWN, buff=0.1)
        diagram = VGroup(box, f_name, plus, plus_sign, x_in, x_out, wires, shortcut, name)
        step = formula(r"\mathbf{x}_{l+1} = \mathbf{x}_l + F(\mathbf{x}_l)", t, font_size=TEX).move_to([0, 0.15, 0])
        unrolled = formula(r"\mathbf{x}_L = \mathbf{x}_0 + \sum_{i=0}^{L-1} F(\mathbf{x}_i)", t, font_size=TEX)
        unrolled.move_to([0, -0.2, 0])
        check = formula(r"\max \big| \mathbf{x}_L - \big(\mathbf{x}_0 + \textstyle\sum_i F(\mathbf{x}_i)\big) \big| = "
                        + a["forward_error_tex"], t, font_size=TEX, color=t.muted).move_to([0, -1.75, 0])
        backward = formula(r"\frac{\partial \mathcal{L}}{\partial \mathbf{x}_0} = \frac{\partial \mathcal{L}}"
                           r"{\partial \mathbf{x}_L} \Big( 1 + \frac{\partial}{\partial \mathbf{x}_0} "
                           r"\sum_{i=0}^{L-1} F(\mathbf{x}_i) \Big)", t, font_size=TEX, color=t.gradient)
        backward.move_to([0, -0.35, 0])

        self.next_section("forward")
        self.say("forward", wait=False)
        self.play(FadeIn(diagram), run_time=1.0)
        self.play(FadeIn(step), run_time=0.6)
        self.wait(1.0)
        self.play(FadeOut(step), run_time=0.4)
        self.play(FadeIn(unrolled), run_time=0.8)
        self.say("thrown", wait=False, error=a["forward_error_text"])
        self.play(Create(shortcut), FadeIn(check), run_time=1.0)
        self.wait(1.0)
        self.next_section("backward")
        self.play(FadeOut(check), FadeOut(unrolled), run_time=0.5)
        self.say("backward", wait=False)
        self.play(FadeIn(backward), run_time=0.8)
        self.finish_line()
        self.play(FadeOut(diagram), FadeOut(backward), run_time=0.6)

    # ----------------------------------------------------------------- DenseNet
    def densenet(self) -> None:
        t = self.theme
        resnet = VGroup(label("ResNet", t, font_size=30),
                        formula(r"\mathbf{x}_l = \mathbf{x}_{l-1} + F(\mathbf{x}_{l-1})", t, font_size=TEX))
        dense = VGroup(label("DenseNet", t, font_size=30),
                       formula(r"\mathbf{x}_l = H\big([\mathbf{x}_0, \mathbf{x}_1, \dots, \mathbf{x}_{l-1}]\big)", t,
                               font_size=TEX))
        for row in (resnet, dense):
            row.arrange(RIGHT, buff=0.5)
        rows = VGroup(resnet, dense).arrange(DOWN, aligned_edge=LEFT, buff=0.6)
        resnet[1].align_to(dense[1], LEFT)  # the two formulas start together
        rows.move_to([0, 0.6, 0])
        self.next_section("densenet")
        self.say("densenet", wait=False)
        self.play(FadeIn(resnet), run_time=0.6)
        self.play(FadeIn(dense), run_time=0.8)
        self.finish_line()
