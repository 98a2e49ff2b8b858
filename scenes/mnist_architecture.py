"""The course's MNIST CNN layer by layer: proportional slabs with their shapes C×H×W (from the shape arithmetic)
and parameter counts (from the real model), then the same network as the PyTorch code that builds it.

Render alone with ``manim -ql scenes/mnist_architecture.py MnistArchitecture``. The words are in
``scenes/scripts/mnist_architecture.yaml``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Polygon, VGroup, config

from scenes.common import MONO, LectureScene, cached_text, formula, label, step_times

__all__ = ["MnistArchitecture"]

Y_BLOCKS, Y_NAME, Y_PARAMS, Y_PANEL = 0.8, 2.52, -1.7, -2.55
#: the shapes alternate between two rows: at 16 px a digit, nine shapes side by side are wider than the frame
Y_SHAPES = (-0.9, -1.28)
OBLIQUE = np.array([0.3, 0.3, 0.0])  # a map's depth (its width W) drawn up and to the right
FONT_SIZE = 26  # every label and number: a digit 16 px tall at 480p
TEX = 38  # the formulas: a full-size glyph 16 px tall
SAFE = config.frame_width / 2 * 0.9  # the columns keep 5 % of the frame free on each side


def chw(shape: list[int]) -> str:
    """A shape as the course writes it: C×H×W for a map (the values list it H, W, C), n for a vector."""
    return "×".join(str(n) for n in ([shape[2], shape[0], shape[1]] if len(shape) == 3 else shape))


class MnistArchitecture(LectureScene):
    """Input → conv/pool slabs → vectors, one layer at a time with its arithmetic; then the code."""

    scene_id = "mnist_architecture"

    def slab(self, height: float, thick: float, depth: float, color: str, opacity: float) -> VGroup:
        """A box: front face thick × height (C × H), its H×W face seen obliquely (``depth`` along OBLIQUE)."""
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
            nm = label(self.tr(name, "输入") if kind == "input" else name, t,
                       color=t.muted if kind in ("maxpool", "flatten") else t.text, font_size=FONT_SIZE)
            shape = cached_text(chw(a["shapes"][i]), font=MONO, font_size=FONT_SIZE, color=color)
            par = cached_text(a["params_text"][i] if kind != "input" else " ", font=MONO, font_size=FONT_SIZE,
                              color=t.kernel)
            x = block.get_center()[0]
            nm.move_to([x, Y_NAME, 0])
            shape.move_to([x, Y_SHAPES[i % 2], 0])
            par.move_to([x, Y_PARAMS, 0])
            cols.append(VGroup(nm, block, shape, par))
        return cols

    def lay_out(self, cols: list[VGroup]) -> None:
        """The columns side by side, as far apart as the safe width allows, centred (a column's width is that of
        its name, block and count: its shape shares the width with its neighbours' in the other row)."""
        cores = [cols[0]] + [VGroup(c[0], c[1], c[3]) for c in cols[1:]]  # the first: its shape has no neighbour
        width = [m.width for m in cores]
        room = 2 * SAFE - sum(width)
        gap = min(0.6, room / (len(cols) - 1))
        cursor = -SAFE + max(0.0, room - gap * (len(cols) - 1)) / 2
        for m, core, w in zip(cols, cores, width):
            m.shift(RIGHT * (cursor - core.get_left()[0]))
            cursor += w + gap

    def key(self) -> VGroup:
        """What the two rows under the blocks are, in the top right corner beside the title (there is no room for
        heads beside the rows)."""
        t = self.theme
        key = VGroup(label(self.tr("shape C×H×W", "形状 C×H×W"), t, color=t.output, font_size=FONT_SIZE),
                     label(self.tr("parameters", "参数个数"), t, color=t.kernel, font_size=FONT_SIZE))
        key.arrange(DOWN, aligned_edge=RIGHT, buff=0.08)
        return key.move_to([SAFE, config.frame_height / 2 * 0.9, 0], aligned_edge=UP + RIGHT)

    def panel(self, i: int) -> VGroup:
        """The arithmetic of layer ``i``: its shape (the course's c, s, p) and its parameter count."""
        t, a = self.theme, self.values.arrays
        kind = a["kinds"][i]
        if kind == "flatten":
            h, w, c = a["shapes"][i - 1]
            shape_tex = rf"C\times H\times W = {c}\times {h}\times {w} = {a['shapes'][i][0]}"
        else:
            general = {"conv": r"n - c + 1", "maxpool": r"\lfloor n / s \rfloor", "dense": r"n_{out}"}[kind]
            shape_tex = rf"{general} = {a['shape_formulas'][i]}"
        lines = [formula(shape_tex, t, font_size=TEX, color=t.output)]
        if a["param_formulas"][i]:
            general = {"conv": r"c\cdot c\cdot C_{in}\cdot C_{out} + C_{out}",
                       "dense": r"n_{in}\cdot n_{out} + n_{out}"}[kind]
            lines.append(formula(rf"{general} = {a['param_formulas'][i]}", t, font_size=TEX, color=t.kernel))
        else:
            lines.append(label(self.tr("no parameters", "没有参数"), t, color=t.kernel, font_size=FONT_SIZE))
        new = VGroup(*lines).arrange(DOWN, buff=0.2)
        tag = label(f"{a['names'][i]}:", t, font_size=FONT_SIZE).next_to(new, LEFT, buff=0.35)
        return VGroup(tag, new).move_to([0, Y_PANEL, 0])

    def play_scene(self) -> None:
        t, a = self.theme, self.values.arrays
        k, p = a["kernel_size"], a["pool_size"]
        cols = self.columns()
        heads = self.key()
        self.lay_out(cols)
        self.next_section("input")
        self.say("input", wait=False, shape=chw(a["shapes"][0]))
        self.play(FadeIn(cols[0]), FadeIn(heads), run_time=0.8)

        seen: set[str] = set()
        panel = None
        for i, run in zip(range(1, len(cols)), step_times(len(cols) - 1, slow=0.9, fast=0.6, slow_steps=8)):
            name, kind, shape, n_par = a["names"][i], a["kinds"][i], a["shapes"][i], a["params_text"][i]
            before = a["shapes"][i - 1]
            self.next_section(name)
            first = kind not in seen
            seen.add(kind)
            # what is said while the layer comes in, then what is said about the result on screen
            if kind == "conv" and first:
                self.say("conv", wait=False, k=k, n=before[0], m=shape[0])
            elif kind == "conv":
                self.say("conv_again", wait=False, name=name, k=k, n=before[0], m=shape[0])
            elif kind == "maxpool" and first:
                self.say("pool", wait=False, p=p, n=before[0], m=shape[0])
            elif kind == "maxpool":
                self.say("pool_again", wait=False, name=name, n=before[0], m=shape[0])
            elif kind == "flatten":
                self.say("flatten", wait=False, shape=chw(before), n=shape[0])
            elif i < len(cols) - 1:
                self.say("dense", wait=False, n_in=before[0], n_out=shape[0])
            else:
                self.say("output", wait=False, n=shape[0])
            new = self.panel(i)
            if panel is not None:  # one formula goes before the next comes: no two texts on one spot
                self.play(FadeOut(panel), run_time=0.3)
            self.play(FadeIn(cols[i], shift=RIGHT * 0.3), FadeIn(new), run_time=run)
            panel = new
            if kind == "conv" and first:
                self.say("conv_maps", c_out=shape[2])
                self.say("conv_count", k=k, c_in=before[2], params=n_par)
            elif kind == "conv":
                self.say("conv_params", name=name, shape=chw(shape), params=n_par)
            elif kind == "maxpool" and first:
                self.say("pool_params")
            elif kind == "dense" and i < len(cols) - 1:
                self.say("dense_params", params=n_par)
            elif i == len(cols) - 1:
                self.say("softmax", params=n_par)
            else:
                self.wait(1.0)

        self.next_section("total")
        total = formula(a["total_formula"], t, font_size=TEX, color=t.kernel).move_to([0, Y_PANEL, 0])
        self.play(FadeOut(panel), run_time=0.3)
        self.play(FadeIn(total), run_time=0.8)
        self.say("total", total=a["total_params_text"])
        self.code_view(cols, heads, total)

    def code_view(self, cols: list[VGroup], heads: VGroup, total) -> None:
        """The PyTorch listing, each layer's shape and parameter count on its line (the row under the blocks fades
        out first: moved all at once, nine pairs of numbers would cross one another on the way)."""
        t, a = self.theme, self.values.arrays
        self.next_section("code")
        code = VGroup(*(cached_text(line, font=MONO, font_size=FONT_SIZE, color=t.text if 0 < n < len(a["code"]) - 1
                                    else t.muted) for n, line in enumerate(a["code"])))
        code.arrange(DOWN, aligned_edge=LEFT, buff=0.14).to_edge(LEFT, buff=0.8).set_y(0.1)
        indent = cached_text("m", font=MONO, font_size=FONT_SIZE).width  # Text drops leading spaces: indent by hand
        for line, mob in zip(a["code"], code):
            mob.shift(RIGHT * indent * (len(line) - len(line.lstrip())))
        wide = max(c[2].width for c in cols)
        x_shape = code.get_right()[0] + 0.5 + wide
        x_par = x_shape + 0.5 + max(c[3].width for c in cols)
        targets = VGroup()
        for row, col in zip(self.values.code_rows, cols[1:]):
            y = code[row].get_center()[1]
            for mob, x in ((col[2], x_shape), (col[3], x_par)):
                targets.add(mob.copy().move_to([x, y, 0], aligned_edge=RIGHT))
        heads_new = VGroup(label(self.tr("output", "输出"), t, color=t.muted, font_size=FONT_SIZE)
                           .move_to([x_shape, code[0].get_center()[1], 0], aligned_edge=RIGHT),
                           label(self.tr("params", "参数"), t, color=t.muted, font_size=FONT_SIZE)
                           .move_to([x_par, code[0].get_center()[1], 0], aligned_edge=RIGHT))
        total_new = cached_text(a["total_params_text"], font=MONO, font_size=FONT_SIZE, color=t.kernel, weight="BOLD")
        total_new.move_to([x_par, code[-1].get_center()[1], 0], aligned_edge=RIGHT)
        block = VGroup(code, targets, heads_new, total_new)
        shift = -block.get_center()[0]
        block.shift(RIGHT * shift)
        self.say("code", wait=False)
        self.play(*(FadeOut(c) for c in cols), FadeOut(heads), FadeOut(total), run_time=0.7)
        self.play(FadeIn(code), FadeIn(targets), FadeIn(heads_new), FadeIn(total_new), run_time=1.2)
        self.say("runs")
