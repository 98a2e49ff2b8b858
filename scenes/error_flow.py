"""Error flow through the trained MNIST CNN: the real δ of one test digit, layer by layer, output to input.

Render alone with ``manim -ql scenes/error_flow.py ErrorFlowThroughCNN``. The words are in
``scenes/scripts/error_flow.yaml``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Group, ReplacementTransform, SurroundingRectangle,
                   VGroup)

from scenes.common import MONO, LectureScene, cached_text, label, legible_formula
from scenes.mnist_maps import (DIGIT_FONT, digit_opening, map_picture, picture, region, role_color, sign_legend,
                               small_grid)

__all__ = ["ErrorFlowThroughCNN"]

TOP = 2.14  # top of the panels
ROOM = 5.1  # height the panels may take (their bottom stays above a caption of one line)
CHAIN_X = -6.3  # left edge of the layer list (the 5 % margin is at -6.40)
EDGE = 6.35  # right edge of the panels
CHAIN_STEP = 0.5  # between two rows of the layer list
GAP = 0.35  # space between two panels
MIN_GAP = 0.2  # ... where a row is too wide for that
PIC = 1.35  # side of a map's picture
SMALL_PIC = 1.0  # ... where a panel with the larger one is too tall for the room
#: font size of a panel's name and of the laws: a p (its descender) ≥ 16 px at 480p; a formula whose subscripts
#: would be smaller grows (legible_formula)
NAME = 41
BUFF = 0.15  # between the parts of a panel


def rot(tex: str) -> str:
    """The course writes the kernel turned by 180° as rot(W)."""
    return tex.replace(r"\mathrm{rot180}", r"\mathrm{rot}")


class ErrorFlowThroughCNN(LectureScene):
    """δ = p − y at the output, then one step per layer down to conv1: pictures and numbers of real δ."""

    scene_id = "error_flow"

    # ------------------------------------------------------------------ pieces
    def chain(self) -> tuple[VGroup, VGroup]:
        """The layers, input at the top, one name a row; and their shapes C×H×W beside them."""
        t = self.theme
        names, shapes = VGroup(), VGroup()
        for i, (n, s) in enumerate(self.values.chain):
            y = TOP - 0.15 - CHAIN_STEP * i
            names.add(label(n, t, color=t.muted, font_size=DIGIT_FONT).move_to([CHAIN_X, y, 0], aligned_edge=LEFT))
            shapes.add(cached_text(s, font=MONO, font_size=DIGIT_FONT, color=t.muted))
        x = names.get_right()[0] + 0.35
        for name, shape in zip(names, shapes):
            shape.move_to([x, name.get_y(), 0], aligned_edge=LEFT)
        return names, shapes

    def marks(self, names: VGroup, layers: tuple[str, str]) -> VGroup:
        """Boxes on the list: the layer whose δ is given (muted) and the one whose δ is computed."""
        order = [n for n, _ in self.values.chain]
        t, out = self.theme, VGroup()
        for name, color in zip(layers, (t.muted, t.gradient)):
            if name in order:
                out.add(SurroundingRectangle(names[order.index(name)], color=color, buff=0.05, stroke_width=3))
        return out

    def law(self, tex: str) -> Any:
        # midway between the title and the panels' tops, whatever its height
        return legible_formula(rot(tex), self.theme, font_size=NAME).move_to(
            [self.zone_x, (self.heading.get_bottom()[1] + TOP) / 2, 0])

    def unit_tag(self) -> Any:
        # the exponent at full size, as legible as the numbers it scales
        return legible_formula(rf"\times 10^{{\textstyle {self.values.unit_exponent}}}", self.theme, font_size=NAME,
                       color=self.theme.gradient)

    def panel(self, p: Any, raw: np.ndarray | None, *, min_cell: float = 0.6) -> Group:
        """One Panel of the values: its name, its numbers and, when it has one, the picture of its whole map
        (δ on the diverging palette, a 0/1 mask in its role's colour) with the numbers' crop boxed. The parts
        are laid out as narrow as the room allows; ``panel.pic`` and ``panel.grid`` are kept for boxes."""
        t = self.theme
        color = role_color(t, p.role)
        unit = p.role == "gradient" and p.digits == 0

        def build(pic_above: bool, unit_below: bool, head_beside: bool = False, side: float = PIC) -> Group:
            head = Group(legible_formula(rot(p.tex), t, font_size=NAME, color=color))
            if unit and head_beside:  # a tall grid: its name and unit in a column on its left
                head.add(self.unit_tag()).arrange(DOWN, buff=BUFF, aligned_edge=RIGHT)
            elif unit and not unit_below:
                head.add(self.unit_tag()).arrange(RIGHT, buff=0.15)
            grid = small_grid(p.grid, t, color, digits=p.digits, min_cell=min_cell)
            pic = None if raw is None else map_picture(raw, side, t, signed=p.role == "gradient", role=p.role)
            if pic is None:
                body = Group(grid)
            elif pic_above:
                body = Group(pic, grid).arrange(DOWN, buff=BUFF)
            else:
                body = Group(pic, grid).arrange(RIGHT, buff=0.2, aligned_edge=UP)
            parts = [Group(head, body).arrange(RIGHT, buff=BUFF, aligned_edge=UP)] if head_beside else [head, body]
            if unit and unit_below and not head_beside:
                parts.append(self.unit_tag())
            if p.note[0]:
                parts.append(label(self.tr(*p.note), t, color=t.muted, font_size=DIGIT_FONT))
            g = Group(*parts).arrange(DOWN, buff=BUFF)
            g.grid, g.pic = grid, pic
            return g

        # the narrowest that fits the room, its picture as large as that allows; a grid too tall for its name
        # above it has the name beside it
        options = [build(above, below, side=side) for side in ((PIC, SMALL_PIC) if raw is not None else (PIC,))
                   for above in ((True, False) if raw is not None else (True,)) for below in (False, True)]
        if all(g.height > ROOM for g in options):
            options.append(build(True, False, head_beside=True))
        fits = [g for g in options if g.height <= ROOM] or [min(options, key=lambda g: g.height)]
        g = min(fits, key=lambda g: (round(g.width, 2), -(g.pic.width if g.pic is not None else 0), g.height))
        if g.pic is not None and p.box is not None and p.box[2] < max(g.pic.pixels):
            g.add(region(g.pic, p.box[0], p.box[1], p.box[2], t.highlight))
        return g

    def sub_boxes(self, p: Any, panel: Group) -> VGroup:
        """The block of a given δ that pooling sends down: boxed on its numbers and on its picture."""
        t = self.theme
        r, c, s = p.sub
        cells = VGroup(*(panel.grid.cell(r + i, c + j) for i in range(s) for j in range(s)))
        out = VGroup(SurroundingRectangle(cells, color=t.highlight, buff=0, stroke_width=4))
        if panel.pic is not None:
            out.add(region(panel.pic, p.box[0] + r, p.box[1] + c, s, t.highlight))
        return out

    def place(self, panels: list[Group]) -> list[np.ndarray]:
        """Centres that put ``panels`` side by side, tops at TOP, the row centred in the panels' zone."""
        widths = [g.width for g in panels]
        room = EDGE - self.zone_left
        gap = max(GAP, min(1.0, (room - sum(widths)) / (len(panels) + 1)))
        if sum(widths) + gap * (len(panels) - 1) > room:  # a wide row: closer together, ending at EDGE
            gap = max(MIN_GAP, (room - sum(widths)) / (len(panels) - 1))
        total = sum(widths) + gap * (len(panels) - 1)
        x = min(self.zone_x - total / 2, EDGE - total)
        centres = []
        for g, w in zip(panels, widths):
            centres.append(np.array([x + w / 2, TOP - g.height / 2, 0.0]))
            x += w + gap
        return centres

    # ------------------------------------------------------------------ the scene
    def play_scene(self) -> None:
        t, v = self.theme, self.values
        a = v.arrays
        steps = v.steps
        shape_of = dict(v.chain)
        names, shapes = self.chain()
        self.zone_left = names.get_right()[0] + 0.3
        self.zone_x = (self.zone_left + EDGE) / 2

        digit_opening(self)
        self.next_section("forward: the digit")
        digit = picture(v.image, 2.6, t.input).move_to([2.2, 0.5, 0])
        # an own digit's label is the one the config gives (the picture has none of its own)
        verdict = label(self.tr(f"label {v.label}, predicted {v.prediction}",
                                f"标签 {v.label}，预测 {v.prediction}"), t, font_size=DIGIT_FONT).next_to(digit, DOWN, buff=0.25)
        self.say("digit", wait=False, label=v.label, prediction=v.prediction)
        self.play(FadeIn(digit), FadeIn(verdict), run_time=1.0)
        self.play(FadeIn(names), FadeIn(shapes), run_time=1.0)
        self.say("stored")

        # ---- the output: p, y and δ = p − y as rows of ten
        first = steps[0]
        self.next_section("output")
        law = self.law(first.law)
        top = small_grid(first.right.grid, t, t.gradient, digits=first.right.digits)
        grids = [small_grid(p.grid, t, role_color(t, p.role), digits=p.digits, min_cell=top.cell_size)
                 for p in (first.left, first.middle)] + [top]
        rows = Group()
        for p, grid, tex in zip((first.left, first.middle, first.right), grids, ("p", "y", r"\delta")):
            name = legible_formula(tex, t, font_size=NAME, color=role_color(t, p.role)).next_to(grid, LEFT, buff=0.3)
            rows.add(Group(name, grid))
        rows.arrange(DOWN, buff=0.3, aligned_edge=RIGHT)
        classes = VGroup(*(cached_text(str(i), font=MONO, font_size=DIGIT_FONT, color=t.muted)
                           .next_to(rows[0][1].cell(0, i), UP, buff=0.12) for i in range(10)))
        block = Group(classes, rows)
        block.move_to([self.zone_x, TOP - 0.1 - block.height / 2, 0])
        marks = self.marks(names, first.layers)
        self.say("output_law", wait=False)
        self.play(FadeOut(digit), FadeOut(verdict), FadeOut(shapes), run_time=0.6)
        self.play(FadeIn(law), FadeIn(rows[:2]), FadeIn(classes), FadeIn(marks), run_time=1.0)
        self.play(FadeIn(rows[2]), run_time=0.8)
        self.wait(0.5)
        self.say("true_class", label=v.label, **v.true_class_text)
        self.say("others")

        # ---- dense1: the row of ten folds into δ_dense2 (2 × 5); h′ mask; then the product
        step = steps[1]
        self.next_section(step.key)
        given = self.panel(step.left, None, min_cell=top.cell_size)
        mask = self.panel(step.middle, None, min_cell=0.45)
        centres = self.place([given, mask])
        given.move_to(centres[0])
        mask.move_to(centres[1])
        new_marks = self.marks(names, step.layers)
        new_law = self.law(step.law)
        fold = [top.cell(0, k).animate.move_to(given.grid.cell(k // 5, k % 5)) for k in range(10)]
        fold += [top.number(0, k).animate.move_to(given.grid.number(k // 5, k % 5)) for k in range(10)]
        self.say("dense_back", wait=False)
        self.play(FadeOut(law), FadeOut(rows[:2]), FadeOut(classes), FadeOut(rows[2][0]), run_time=0.6)
        self.play(*fold, ReplacementTransform(marks, new_marks), run_time=1.2)
        # the folded row is δ_dense2's grid now (the same cells and numbers where the panel has its own)
        given = Group(given[0], top, *given[2:])
        self.play(FadeIn(new_law), FadeIn(given[0]), *(FadeIn(m) for m in given[2:]), run_time=0.6)
        law, marks = new_law, new_marks
        self.say("relu_mask", wait=False)
        self.play(FadeIn(mask), run_time=0.8)
        right = self.panel(step.right, None)
        mask_to, right_at = self.place([mask, right])
        self.say("units", wait=False, unit=v.unit_text)
        self.play(FadeOut(given), run_time=0.5)
        self.play(mask.animate.move_to(mask_to), run_time=0.8)
        self.play(FadeIn(right.move_to(right_at)), run_time=0.9)
        self.say("zero_stopped")
        # the 0s of δ where h′(Z) = 1: the error passed there, it is just smaller than half a unit
        small = np.argwhere((np.asarray(step.middle.grid) == 1) & (np.asarray(step.right.grid) == 0))
        boxes = VGroup(*(SurroundingRectangle(g.cell(int(i), int(j)), color=t.highlight, buff=0, stroke_width=4)
                         for g in (mask.grid, right.grid) for i, j in small))
        self.say("zero_small", wait=False)
        if len(boxes):
            self.play(Create(boxes), run_time=0.8)
            self.wait(1.0)
        middle = Group(mask, boxes)

        # ---- one step per layer below: the δ just found moves left and gives the next one
        legend = sign_legend(t).move_to([CHAIN_X, -2.8, 0], aligned_edge=LEFT)
        conv_seen = pool_seen = False
        for step in steps[2:]:
            self.next_section(step.key)
            key, pooling = step.key, step.left.sub is not None
            conv = not pooling and key != "conv3"  # below a conv layer (conv3 itself is below the dense layers)
            raw = a.get(f"delta_{key}_shown") if step.right.image is not None else None
            mid_raw = a.get(f"relu_slope_{key}_shown") if step.middle.image is not None else None
            mid = self.panel(step.middle, mid_raw)
            new_right = self.panel(step.right, raw)
            at = self.place([right, mid, new_right])
            mid.move_to(at[1])
            new_right.move_to(at[2])
            new_law = self.law(step.law)
            new_marks = self.marks(names, step.layers)
            if key == "conv3":
                self.say("reshape", wait=False, flat=shape_of["flatten"], shape=shape_of["conv3"])
            elif pooling:
                self.say("pool_again", wait=False, layer=key) if pool_seen else self.say("pool_up", wait=False)
            else:
                self.say("conv_again", wait=False, layer=key) if conv_seen else self.say("conv_law", wait=False)
            self.play(FadeOut(middle), FadeOut(law), ReplacementTransform(marks, new_marks), run_time=0.6)
            self.play(right.animate.move_to(at[0]), FadeIn(new_law), run_time=1.0)
            law, marks = new_law, new_marks
            given = VGroup()
            if pooling:
                given = self.sub_boxes(step.left, right)
                self.play(Create(given), run_time=0.6)
            if key == "conv3":
                self.say("channel", wait=False, channel=a["delta_conv3_channel"])
            elif pooling and not pool_seen:
                self.say("pool_rest", wait=False, layer=key)
            elif conv and not conv_seen:
                self.say("conv_rot", wait=False)
            self.play(FadeIn(mid), run_time=0.8)
            if conv and not conv_seen:
                self.say("conv_sum", wait=False, layer=key)
            self.play(FadeIn(new_right), run_time=0.9)
            if key == "conv3":
                self.say("signs", wait=False)
                self.play(FadeIn(legend), run_time=0.6)
            elif pooling and not pool_seen:
                self.say("pool_block")
            else:
                self.wait(1.0)
            pool_seen = pool_seen or pooling
            conv_seen = conv_seen or conv
            middle = Group(right, given, mid)
            right = new_right
        self.say("reached", shape=shape_of[steps[-1].key])

        self.next_section("summary")
        grads = VGroup(*(legible_formula(tex, t, font_size=NAME) for tex in (
            r"\frac{\partial \mathcal{L}}{\partial W_l} = A_{l-1} \otimes \delta_l",
            r"\frac{\partial \mathcal{L}}{\partial b_l} = \sum_{i,j} \delta_{l,ij}"))).arrange(DOWN, buff=0.5)
        self.say("gradients", wait=False)
        self.play(FadeOut(middle), FadeOut(law), FadeOut(marks), run_time=0.6)
        self.play(right.animate.move_to([EDGE - right.width / 2, TOP - right.height / 2, 0]), run_time=0.8)
        grads.move_to([(self.zone_left + right.get_left()[0]) / 2, 0.0, 0])
        self.play(FadeIn(grads), run_time=0.8)
        self.say("autograd")
