"""What the ``lenet`` and ``alexnet`` scenes share: a network drawn as a left-to-right walk of layers, each a
column of its name, a volume (the kit's :class:`~scenes.kit.TensorVolume`, channels as stacked squares) or a
vector bar, its shape C×H×W and its parameter count, with the formulas of the layer under the columns.

Everything drawn comes from the scene's values (``cnnviz/values/lenet.py``, ``alexnet.py``); the columns'
sizes too (``values.blocks``).
"""

from __future__ import annotations

from collections.abc import Sequence

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Rectangle, VGroup, config

from scenes.common import MONO, LectureScene, cached_text, formula, label
from scenes.kit import TensorVolume

__all__ = ["FONT_SIZE", "SAFE", "TEX", "Y_PANEL", "Y_PANEL_LOW", "NetworkWalk"]

Y_BLOCKS, Y_NAME, Y_PARAMS, Y_PANEL = 0.95, 2.3, -1.0, -1.9
Y_SHAPES = (-0.22, -0.6)  # the shapes alternate between two rows where the columns are narrow
Y_PARAMS_BOTH = (-0.98, -1.36)  # and the counts too, where even those are wider than the columns
Y_PANEL_LOW = -2.08  # the panel under four rows
FONT_SIZE = 26  # every label and number: a digit 16 px tall at 480p
TEX = 40  # the formulas: a lower-case letter 16 px tall
SAFE = config.frame_width / 2 * 0.9 - 0.05  # the columns keep 5 % of the frame free on each side
STACK_STEP = 0.07  # a channel square's offset from the one in front of it


class NetworkWalk(LectureScene):
    """Base of the classic-network scenes: columns, their layout, a key and the panel of a layer's formulas."""

    panel_y = Y_PANEL  # where the panel of a layer's formulas is centred (lower under four rows of texts)

    def block(self, i: int, color: str) -> VGroup:
        """Layer ``i``'s shape drawn: a stack of squares (C×H×W, the side growing with H) or a bar (N)."""
        kind, size, squares = self.values.blocks[i]
        if kind == "volume":
            vol = TensorVolume((squares, 1, 1), theme=self.theme, color=color, cell=size,
                               offset=(STACK_STEP, STACK_STEP), show_values="none", fill_opacity=0.3)
            return vol.move_to(UP * Y_BLOCKS)
        return VGroup(Rectangle(width=0.16, height=size, color=color, fill_color=color, fill_opacity=0.45,
                                stroke_width=2)).move_to(UP * Y_BLOCKS)

    def column(self, i: int) -> VGroup:
        t, a = self.theme, self.values.arrays
        kind = a["layer_kinds"][i]
        color = t.input if kind == "input" else t.output
        block = self.block(i, color)
        name = self.tr("input", "输入") if kind == "input" else a["layer_names"][i]
        name = self.tr("output", "输出") if name == "output" else name
        nm = label(name, t, color=t.muted if kind == "pool" else t.text, font_size=FONT_SIZE)
        shape = cached_text(a["layer_shape_text"][i], font=MONO, font_size=FONT_SIZE, color=color)
        par = cached_text(a["layer_params_text"][i] or " ", font=MONO, font_size=FONT_SIZE, color=t.kernel)
        x = block.get_center()[0]
        nm.move_to([x, Y_NAME, 0])
        shape.move_to([x, Y_SHAPES[0], 0])
        par.move_to([x, Y_PARAMS, 0])
        return VGroup(nm, block, shape, par)

    def lay_out(self, cols: Sequence[VGroup], *, alternate: str = "") -> None:
        """The columns side by side, spread over the safe width, centred. ``alternate="shapes"`` puts every
        other shape in the second row, ``"both"`` every other shape and count (four rows): the alternated texts
        share their width with the neighbours', and a column is as wide as what stays in it."""
        alternated = {"": (), "shapes": (2,), "both": (2, 3)}[alternate]
        for n, col in enumerate(cols):
            if 2 in alternated:
                col[2].set_y(Y_SHAPES[n % 2])
            if 3 in alternated and col[3].submobjects:  # the input's count is blank: nothing to move
                col[3].set_y(Y_PARAMS_BOTH[n % 2])
        cores = [VGroup(*(m for j, m in enumerate(c) if j not in alternated)) if 0 < n < len(cols) - 1 else c
                 for n, c in enumerate(cols)]
        width = [m.width for m in cores]
        room = 2 * SAFE - sum(width)
        gap = min(1.0, room / max(1, len(cols) - 1))
        cursor = -SAFE + max(0.0, room - gap * (len(cols) - 1)) / 2
        for col, core, w in zip(cols, cores, width):
            col.shift(RIGHT * (cursor - core.get_left()[0]))
            cursor += w + gap

    def key(self) -> VGroup:
        """What the rows under the blocks are, in the top right corner beside the title."""
        t = self.theme
        key = VGroup(label(self.tr("shape C×H×W", "形状 C×H×W"), t, color=t.output, font_size=FONT_SIZE),
                     label(self.tr("parameters", "参数个数"), t, color=t.kernel, font_size=FONT_SIZE))
        key.arrange(DOWN, aligned_edge=RIGHT, buff=0.08)
        return key.move_to([SAFE, config.frame_height / 2 * 0.9 - 0.05, 0], aligned_edge=UP + RIGHT)

    def panel(self, i: int) -> VGroup:
        """Layer ``i``'s arithmetic: its output size ⌊(n + 2p − c)/s⌋ + 1 (or its inputs and units) and its
        parameter count, each with the layer's numbers."""
        t, a = self.theme, self.values.arrays
        kind = a["layer_kinds"][i]
        general = {"conv": r"\lfloor (n + 2p - c)/s \rfloor + 1", "pool": r"\lfloor (n + 2p - c)/s \rfloor + 1"}
        if kind in general:
            lines = [formula(rf"{general[kind]} = {a['shape_formulas'][i]}", t, font_size=TEX, color=t.output)]
        else:  # a dense layer: what it reads and its units
            n_in, units = a["layer_inputs_text"][i], a["layer_shape_text"][i]
            lines = [label(self.tr(f"{n_in} inputs → {units} units", f"{n_in} 个输入 → {units} 个神经元"), t,
                           color=t.output, font_size=FONT_SIZE)]
        if a["param_formulas"][i]:
            lines.append(formula(a["param_formulas"][i], t, font_size=TEX, color=t.kernel))
        else:
            lines.append(label(self.tr("no parameters", "没有参数"), t, color=t.kernel, font_size=FONT_SIZE))
        body = VGroup(*lines).arrange(DOWN, buff=0.12)
        name = self.tr("output", "输出") if a["layer_names"][i] == "output" else a["layer_names"][i]
        tag = label(f"{name}:", t, font_size=FONT_SIZE).next_to(body, LEFT, buff=0.3)
        whole = VGroup(tag, body).move_to([0, self.panel_y, 0])
        if whole.width > 2 * SAFE:
            whole.scale_to_fit_width(2 * SAFE)
        return whole

    def bring_in(self, col: VGroup, panel: VGroup | None, old_panel: VGroup | None, *, run_time: float = 0.8) -> None:
        """A column comes in from the left with its panel; the previous panel goes first (no two texts on one
        spot)."""
        if old_panel is not None:
            self.play(FadeOut(old_panel), run_time=0.3)
        anims = [FadeIn(col, shift=RIGHT * 0.3)]
        if panel is not None:
            anims.append(FadeIn(panel))
        self.play(*anims, run_time=run_time)
