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
CHAIN_TOP = 2.7  # the first row's y where the list is too long to start level with the panels (under the title)
CHAIN_BOTTOM = -2.4  # the lowest row's y
LEGEND_LOWEST = -3.1  # the colour legend's lowest bottom under the list (above a caption); else in the corner
LEGEND_CORNER_Y = 3.3  # ... of the frame, left of the title
GAP = 0.35  # space between two panels
MIN_GAP = 0.2  # ... where a row is too wide for that
MASK_CELL = 0.45  # the cell of a 0/1 mask where a row is too wide for the usual 0.6
PIC = 1.35  # side of a map's picture
SMALL_PIC = 1.0  # ... where a panel with the larger one is too tall for the room
#: font size of a panel's name and of the laws: a p (its descender) ≥ 16 px at 480p; a formula whose subscripts
#: would be smaller grows (legible_formula)
NAME = 41
BUFF = 0.15  # between the parts of a panel


#: the line that opens the first step below a layer of each kind, and the later ones' (ReLU below, none)
FIRST_LINE = {"conv": "conv_law", "maxpool": "pool_up", "avgpool": "avg_up", "batchnorm": "bn_law"}
AGAIN_LINE = {"conv": ("conv_again", "conv_again"), "maxpool": ("pool_again", "pool_again_linear"),
              "avgpool": ("avg_again", "avg_again_linear"), "batchnorm": ("bn_again", "bn_again")}


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
        rows = len(self.values.chain)
        top, step = TOP - 0.15, CHAIN_STEP
        if top - step * (rows - 1) < CHAIN_BOTTOM:  # a deep model: from higher up, the rows closer
            top = CHAIN_TOP
            step = min(CHAIN_STEP, (top - CHAIN_BOTTOM) / (rows - 1))
        for i, (n, s) in enumerate(self.values.chain):
            y = top - step * i
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
        # a thin outline: the block's numbers ("-114") fill its cells nearly (2.5 px clear at 480p)
        out = VGroup(SurroundingRectangle(cells, color=t.highlight, buff=0, stroke_width=2.5))
        if panel.pic is not None:
            out.add(region(panel.pic, p.box[0] + r, p.box[1] + c, s, t.highlight))
        return out

    def too_wide(self, panels: list[Group]) -> bool:
        """Whether ``panels`` side by side, at the smallest gap, are wider than the panels' zone."""
        return sum(g.width for g in panels) + MIN_GAP * (len(panels) - 1) > EDGE - self.zone_left

    def place(self, panels: list[Group]) -> list[np.ndarray]:
        """Centres that put ``panels`` side by side, tops at TOP, the row centred in the panels' zone."""
        widths = [g.width for g in panels]
        room = EDGE - self.zone_left
        gap = max(GAP, min(1.0, (room - sum(widths)) / (len(panels) + 1)))
        if sum(widths) + gap * (len(panels) - 1) > room:  # a wide row: closer together, ending at EDGE
            gap = max(MIN_GAP, (room - sum(widths)) / (len(panels) - 1))
        total = sum(widths) + gap * (len(panels) - 1)
        x = max(min(self.zone_x - total / 2, EDGE - total), self.zone_left)  # never over the list of layers
        centres = []
        for g, w in zip(panels, widths):
            centres.append(np.array([x + w / 2, TOP - g.height / 2, 0.0]))
            x += w + gap
        return centres

    def passed(self, step: Any) -> None:
        """A dropout layer δ crossed on its way down: said before the step (off at evaluation, δ unchanged)."""
        drops = [n for n in step.passed if n.startswith("dropout")]
        if drops:
            self.say("dropout_pass", layer=", ".join(drops))

    def conv_notes(self, step: Any) -> None:
        """What a conv layer's options change in its backward pass, a line each (stride, padding, dilation,
        groups)."""
        e = step.extra
        if e["stride"] > 1:
            self.say("conv_stride", s=e["stride"])
        if e["padding"] > 0:
            self.say("conv_padding", p=e["padding"])
        if e["dilation"] > 1:
            self.say("conv_dilation", d=e["dilation"])
        if e["groups"] > 1:
            self.say("conv_groups", g=e["groups"], n=e["summed"])

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

        # ---- one layer down: the row of the output's δ folds into the grid the next step takes
        step = steps[1]
        given = self.panel(step.left, None, min_cell=top.cell_size)
        n, cols = len(first.right.grid[0]), step.left.grid.shape[1]

        def fold() -> list[Any]:  # the row's cells and numbers to where the placed panel has its own
            return ([top.cell(0, k).animate.move_to(given.grid.cell(k // cols, k % cols)) for k in range(n)]
                    + [top.number(0, k).animate.move_to(given.grid.number(k // cols, k % cols)) for k in range(n)])

        if step.kind == "dense":  # a dense layer below the output: its own folding step (mask, then δ)
            self.next_section(step.key)
            mask = self.panel(step.middle, None, min_cell=MASK_CELL) if step.middle is not None else None
            centres = self.place([given, mask] if mask is not None else [given])
            given.move_to(centres[0])
            if mask is not None:
                mask.move_to(centres[1])
            new_marks = self.marks(names, step.layers)
            new_law = self.law(step.law)
            self.say("dense_back", wait=False)
            self.play(FadeOut(law), FadeOut(rows[:2]), FadeOut(classes), FadeOut(rows[2][0]), run_time=0.6)
            self.play(*fold(), ReplacementTransform(marks, new_marks), run_time=1.2)
            # the folded row is the given δ's grid now (the same cells and numbers where the panel has its own)
            given = Group(given[0], top, *given[2:])
            self.play(FadeIn(new_law), FadeIn(given[0]), *(FadeIn(m) for m in given[2:]), run_time=0.6)
            law, marks = new_law, new_marks
            self.passed(step)
            right = self.panel(step.right, None)
            if mask is not None:
                self.say("relu_mask", wait=False)
                self.play(FadeIn(mask), run_time=0.8)
                mask_to, right_at = self.place([mask, right])
                self.say("units", wait=False, unit=v.unit_text, layer=step.key)
                self.play(FadeOut(given), run_time=0.5)
                self.play(mask.animate.move_to(mask_to), run_time=0.8)
            else:
                self.say("no_relu", layer=step.key)
                given_to, right_at = self.place([given, right])
                self.say("units_linear", wait=False, unit=v.unit_text, layer=step.key)
                self.play(given.animate.move_to(given_to), run_time=0.8)
            self.play(FadeIn(right.move_to(right_at)), run_time=0.9)
            middle: Any = Group(mask) if mask is not None else given
            if mask is not None:
                self.say("zero_stopped")
                # the 0s of δ where h′(Z) = 1: the error passed there, it is just smaller than half a unit
                small = np.argwhere((np.asarray(step.middle.grid) == 1) & (np.asarray(step.right.grid) == 0))
                boxes = VGroup(*(SurroundingRectangle(g.cell(int(i), int(j)), color=t.highlight, buff=0,
                                                      stroke_width=4) for g in (mask.grid, right.grid) for i, j in small))
                self.say("zero_small", wait=False)
                if len(boxes):
                    self.play(Create(boxes), run_time=0.8)
                    self.wait(1.0)
                middle = Group(mask, boxes)
            rest = steps[2:]
        else:  # a volume right below the output: the loop's reshape step takes the folded row
            given.move_to(self.place([given])[0])
            self.play(FadeOut(law), FadeOut(rows[:2]), FadeOut(classes), FadeOut(rows[2][0]), run_time=0.6)
            self.play(*fold(), run_time=1.2)
            given = Group(given[0], top, *given[2:])
            self.play(FadeIn(given[0]), *(FadeIn(m) for m in given[2:]), run_time=0.6)
            right, middle, rest = given, Group(), steps[1:]

        # ---- one step per layer below: the δ just found moves left and gives the next one
        legend = sign_legend(t)
        if names.get_bottom()[1] - 0.2 - legend.height > LEGEND_LOWEST:  # under the list
            legend.move_to([CHAIN_X, names.get_bottom()[1] - 0.2 - legend.height / 2, 0], aligned_edge=LEFT)
        else:  # a long list: in one row, in the corner left of the title
            legend = sign_legend(t, across=True).move_to([CHAIN_X, LEGEND_CORNER_Y, 0], aligned_edge=LEFT)
        seen: set[str] = set()
        legend_shown = False
        for step in rest:
            self.next_section(step.key)
            key, kind = step.key, step.kind
            again = kind in seen
            raw = a.get(f"delta_{key}_shown") if step.right.image is not None else None
            mid = None
            if step.middle is not None:
                mid_raw = a.get(f"relu_slope_{key}_shown") if step.middle.image is not None else None
                mid = self.panel(step.middle, mid_raw)
            new_right = self.panel(step.right, raw)
            if mid is not None and step.middle.role == "output" and self.too_wide([right, mid, new_right]):
                mid = self.panel(step.middle, mid_raw, min_cell=MASK_CELL)  # 0s and 1s: legible in smaller cells
            # the δ given stays on the left while there is room for it (else the law alone says what it was)
            keep = not self.too_wide([right, *([mid] if mid is not None else []), new_right])
            row = [*([right] if keep else []), *([mid] if mid is not None else []), new_right]
            at = self.place(row)
            if mid is not None:
                mid.move_to(at[-2])
            new_right.move_to(at[-1])
            new_law = self.law(step.law)
            new_marks = self.marks(names, step.layers)
            self.passed(step)
            fields = {"layer": key, "above": step.layers[0]}
            if kind == "reshape":
                self.tell("reshape", wait=False, flat=step.extra["flat"], shape=shape_of[key], **fields)
            elif kind == "dense":
                self.tell("dense_again" if step.relu else "dense_again_linear", wait=False, **fields)
            else:
                self.tell(AGAIN_LINE[kind][not step.relu] if again else FIRST_LINE[kind], wait=False,
                          cells=step.extra.get("cells"), **fields)
            self.play(FadeOut(middle), FadeOut(law), ReplacementTransform(marks, new_marks),
                      *([] if keep else [FadeOut(right)]), run_time=0.6)
            self.play(*([right.animate.move_to(at[0])] if keep else []), FadeIn(new_law), run_time=1.0)
            law, marks = new_law, new_marks
            given = VGroup()
            if step.left.sub is not None and keep:
                given = self.sub_boxes(step.left, right)
                self.play(Create(given), run_time=0.6)
            if kind == "reshape":
                self.say("channel" if step.relu else "channel_linear", wait=False, channel=step.extra["channel"])
            elif not again and kind in ("maxpool", "avgpool"):
                line = "pool_rest" if kind == "maxpool" else "avg_rest"
                self.tell(line if step.relu else f"{line}_linear", wait=False, **fields)
            elif not again and kind == "conv":
                self.say("conv_rot", wait=False)
            elif not again and kind == "batchnorm":
                self.tell("bn_scale" if step.relu else "bn_scale_linear", wait=False, **fields)
            if mid is not None:
                self.play(FadeIn(mid), run_time=0.8)
            if kind == "conv" and not again:
                self.tell("conv_sum" if not step.relu else "conv_sum_relu", wait=False, **fields)
            self.play(FadeIn(new_right), run_time=0.9)
            if raw is not None and not legend_shown:
                self.say("signs", wait=False)
                self.play(FadeIn(legend), run_time=0.6)
                legend_shown = True
            elif kind == "maxpool" and not again:
                self.say("pool_block")
            else:
                self.wait(1.0)
            if kind == "conv":
                self.conv_notes(step)
            seen.add(kind)
            middle = Group(*([right] if keep else []), given, *([mid] if mid is not None else []))
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
