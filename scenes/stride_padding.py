"""Stride and padding: narrow, wide and same convolution, then a strided, padded convolution whose output size
``⌊(n + 2p − c)/s⌋ + 1`` is evaluated live, floor included.

Render alone with ``manim -ql scenes/stride_padding.py StrideAndPadding``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, VGroup, config

from cnnviz.values import fmt

from scenes.common import SAFE_MARGIN, LectureScene, NumberGrid, cached_text, cells_box, formula, label, step_times
from scenes.kit import SlidingWindow
from scenes.kit.style import safe_size

__all__ = ["StrideAndPadding"]

SIZE_LAW = r"m = \left\lfloor (n + 2p - c)/s \right\rfloor + 1"


class StrideAndPadding(LectureScene):
    """Part 1: output sizes of narrow/wide/same convolution (s = 1). Part 2: the configured s and p in 2-D."""

    scene_id = "stride_padding"
    detailed_steps = 3
    asked_step = 1  # the step whose output the class predicts (the second: the stride's jump is seen once)

    def play_scene(self) -> None:
        self.variants()
        self.strided()

    # ------------------------------------------------------------------ part 1
    def variants(self) -> None:
        t, a, tex = self.theme, self.values.arrays, self.values.tex
        law = formula(SIZE_LAW, t, font_size=44).move_to(UP * 2.3)
        self.next_section("size formula")
        self.say("law", wait=False)
        self.play(FadeIn(law), run_time=0.8)
        names = {"narrow": (self.tr("narrow", "窄卷积"), "p = 0"), "wide": (self.tr("wide", "宽卷积"), "p = c − 1"),
                 "same": (self.tr("same", "等宽卷积"), "p = (c − 1)/2")}
        shown = VGroup()
        longest = max(len(v["padding_mask"]) for v in a["variants"].values())
        cell = min(0.42, 4.6 / longest)
        values = {kind: formula(tex[kind], t, font_size=40) for kind in a["variants"]}
        # the sizes in one column, left-aligned just right of the longest row (the wide one, padding drawn;
        # right-aligned to the frame's edge they ran into its padding cells); the rows move left if need be
        rows_x = -0.75
        value_left = rows_x + cell * longest / 2 + 0.35
        inside = config.frame_width / 2 * (1 - 2 * SAFE_MARGIN) - 0.2
        excess = value_left + max(m.width for m in values.values()) - inside
        if excess > 0:
            rows_x, value_left = rows_x - excess, value_left - excess
        for n, (kind, v) in enumerate(a["variants"].items()):
            self.next_section(kind)
            row = NumberGrid(np.zeros(len(v["padding_mask"])), t, t.input, cell=cell, show_values=False,
                             padding_mask=v["padding_mask"])
            out = NumberGrid(np.zeros(v["m"]), t, t.output, cell=cell, show_values=False)
            rows = VGroup(row, out).arrange(DOWN, buff=0.12).move_to(RIGHT * rows_x + UP * (1.0 - 1.3 * n))
            name, pad = names[kind]
            # sizes at which every glyph is at least 16 px tall at 480p
            title = VGroup(label(name, t, font_size=36), label(pad, t, color=t.muted, font_size=28))
            title.arrange(DOWN, buff=0.06).move_to(LEFT * 5.0 + UP * rows.get_y())
            value = values[kind]
            value.move_to(RIGHT * (value_left + value.width / 2) + UP * rows.get_y())
            window = cells_box(row, [(0, 0), (0, v["c"] - 1)], t.kernel, stroke_width=4)
            self.play(FadeIn(title), FadeIn(row), FadeIn(window), run_time=0.6)
            self.say(kind, wait=False, **({"m": v["m"], "n": v["n"]} if kind == "narrow" else
                                          {"m": v["m"], "p": v["p"]} if kind == "same" else
                                          {"m": v["m"], "n": v["n"], "p": v["p"]}))
            self.play(FadeIn(out), FadeIn(value), run_time=0.8)
            shown.add(title, rows, window, value)
        self.next_section("stride")
        self.play(FadeOut(shown), FadeOut(law), run_time=0.8)

    # ------------------------------------------------------------------ part 2
    def strided(self) -> None:
        a, trace = self.values.arrays, self.values.trace
        n, pad, s = a["size_terms"]["cols"]["n"], a["padding"], a["stride"]
        c = trace.kernel.shape[1]
        half = safe_size()[0] / 2
        names = (self.tr(f"input {n}×{n}, p = {pad}", f"输入 {n}×{n}，补零 p = {pad}"),
                 self.tr(f"kernel c = {c}", f"卷积核 c = {c}"), self.tr(f"output, s = {s}", f"输出，步长 s = {s}"))
        window = SlidingWindow(
            trace, theme=self.theme, text=cached_text, language=self.language, symbols=("A", "W", "Z"), names=names,
            note=False, region=(-half, -3.0, half, self.heading.get_bottom()[1] - 0.3), panel="auto", cell=1.0,
            text_size=28, number_height=0.5, detailed=self.detailed_steps, hold=0.4,
            run_times=step_times(len(trace.steps), slow=2.4, fast=0.5, slow_steps=self.detailed_steps))
        self.add(window)
        self.say("strided", wait=False, s=s, p=pad)
        self.play(window.reveal("input", "kernel", "output"), run_time=0.8)
        asked = min(self.asked_step, window.n_steps - 1)
        for k, step in enumerate(window.steps()):
            if k == asked and k > 0:
                self.ask_about_step(window, k, step, "ask", s=s)
                # the answer is said once it is on screen
                self.say("second", wait=False, value=fmt(trace.steps[k].value), s=s)
                continue
            name = window.section_name(k)
            if name is not None:
                self.next_section(name)
            if k == 0:
                self.say("first", wait=False)
            elif k == self.detailed_steps:
                self.say("rest", wait=False, s=s, m=window.output.shape[0])
            self.play(step)
        self.play(window.conclude(), run_time=0.4)
        self.evaluate(window)

    def evaluate(self, window: SlidingWindow) -> None:
        t, a = self.theme, self.values.arrays
        terms = a["size_terms"]["cols"]
        self.next_section("size evaluated")
        # the law with the numbers put in, then its value on a second line: legible in the panel's room
        put_in, *evaluated = self.values.tex["cols"].split(" = ")
        value = VGroup(formula(SIZE_LAW[: SIZE_LAW.index("=")] + "= " + put_in, t, font_size=40),
                       formula("= " + " = ".join(evaluated), t, font_size=40)).arrange(DOWN, buff=0.2)
        value[1].align_to(value[0][0], LEFT).shift(RIGHT * 0.45)
        room = window.panel_room()
        if value.width > room.width or value.height > room.height:
            value.scale(min(room.width / value.width, room.height / value.height))
        frac = f"({terms['n']} + 2×{terms['p']} − {terms['c']}) / {terms['s']} = {fmt(terms['quotient'])}"
        self.say("evaluate", wait=False, frac=frac, m=terms["m"])
        self.play(FadeIn(value.move_to(room)), run_time=1.0)
        inp = window.input
        last = inp.shape[1] - 1
        if a["dropped_cols"] or a["dropped_rows"]:
            self.next_section("dropped")
            boxes = VGroup(*(cells_box(inp, [(0, j), (last, j)], t.highlight) for j in a["dropped_cols"]),
                           *(cells_box(inp, [(i, 0), (i, last)], t.highlight) for i in a["dropped_rows"]))
            self.say("dropped", wait=False)
            self.play(FadeIn(boxes), run_time=0.6)
