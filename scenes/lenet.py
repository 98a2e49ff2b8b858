"""LeNet-5 layer by layer: each layer's shape C×H×W and parameter count, from the network built in torch
(``cnnviz/classic.py``), with C3's connection table (LeCun 1998, Table I: the course's 60 kernels) and C5's
16×120 = 1920 kernels.

Render alone with ``manim -ql scenes/lenet.py LeNetWalk``. The words are in ``scenes/scripts/lenet.yaml``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Square, VGroup

from scenes.classic_parts import FONT_SIZE, SAFE, TEX, Y_PANEL, NetworkWalk
from scenes.common import MONO, cached_text, formula, label

__all__ = ["LeNetWalk"]

CELL = 0.42  # a cell of the connection table: a two-digit label fits above it at font 26
Y_TABLE = 0.8


class LeNetWalk(NetworkWalk):
    """Input → C1 → S2 → C3 (its connection table) → S4 → C5 → F6 → output, then the total."""

    scene_id = "lenet"

    def table_view(self) -> VGroup:
        """LeCun's table: a row per S2 map, a column per C3 map, a filled cell where the C3 map reads the S2
        map; under each column how many it reads."""
        t, a = self.theme, self.values.arrays
        table = a["c3_table"]
        rows, cols = len(table), len(table[0])
        cells = VGroup()
        for r in range(rows):
            for c in range(cols):
                on = bool(table[r][c])
                sq = Square(CELL, stroke_width=1.5, color=t.kernel if on else t.muted,
                            fill_color=t.kernel, fill_opacity=0.75 if on else 0.0)
                cells.add(sq.move_to([(c - (cols - 1) / 2) * CELL, Y_TABLE - (r - (rows - 1) / 2) * CELL, 0]))
        col_nums = VGroup(*(cached_text(str(c), font=MONO, font_size=FONT_SIZE, color=t.output) for c in range(cols)))
        for c, num in enumerate(col_nums):
            num.next_to(cells[c], UP, buff=0.08)
        row_nums = VGroup(*(cached_text(str(r), font=MONO, font_size=FONT_SIZE, color=t.input) for r in range(rows)))
        for r, num in enumerate(row_nums):
            num.next_to(cells[r * cols], LEFT, buff=0.12)
        reads = VGroup(*(cached_text(str(n), font=MONO, font_size=FONT_SIZE, color=t.kernel)
                         for n in a["c3_reads"]))
        for c, num in enumerate(reads):
            num.next_to(cells[(rows - 1) * cols + c], DOWN, buff=0.1)
        head_c3 = label(self.tr("C3 maps", "C3 特征图"), t, color=t.output, font_size=FONT_SIZE)
        head_c3.next_to(col_nums, UP, buff=0.1)
        head_s2 = label(self.tr("S2 maps", "S2 特征图"), t, color=t.input, font_size=FONT_SIZE)
        head_s2.next_to(row_nums, LEFT, buff=0.15)
        return VGroup(cells, col_nums, row_nums, reads, head_c3, head_s2)

    def table_panel(self) -> tuple[VGroup, VGroup]:
        """Under the table: its connected pairs summed, then C3's parameters against a full connection's."""
        t, a = self.theme, self.values.arrays
        pairs = formula(a["c3_pairs_formula"], t, font_size=TEX, color=t.kernel)
        full = VGroup(label(self.tr("full connection:", "全连接："), t, color=t.muted, font_size=FONT_SIZE),
                      formula(a["c3_full_formula"], t, font_size=TEX, color=t.muted)).arrange(RIGHT, buff=0.2)
        counts = VGroup(formula(a["c3_params_formula"], t, font_size=TEX, color=t.kernel), full)
        counts.arrange(RIGHT, buff=0.6)
        VGroup(pairs, counts).arrange(DOWN, buff=0.12).move_to([0, Y_PANEL, 0])
        for line in (pairs, counts):
            if line.width > 2 * SAFE:
                line.scale_to_fit_width(2 * SAFE)
        return pairs, counts

    def play_scene(self) -> None:
        a = self.values.arrays
        names, shapes, params = a["layer_names"], a["layer_shapes"], a["layer_params_text"]
        k = a["kernel_size"]
        cols = [self.column(i) for i in range(len(names))]
        self.lay_out(cols, alternate="shapes")
        heads = self.key()

        self.next_section("intro")
        self.say("intro")
        self.next_section("input")
        self.say("input", wait=False, shape=a["layer_shape_text"][0])
        self.play(FadeIn(cols[0]), FadeIn(heads), run_time=0.8)
        panel = None
        for i in range(1, len(names)):
            name, before, shape = names[i], shapes[i - 1], shapes[i]
            self.next_section(name)
            new = self.panel(i)
            if name == "C1":
                self.say("c1", wait=False, maps=shape[0], k=k, p=a["layer_paddings"][i], s=a["layer_strides"][i],
                         n=before[1], m=shape[1])
            elif name in ("S2", "S4"):
                fields = {"c": a["layer_kernel_sizes"][i], "s": a["layer_strides"][i]} if name == "S2" else {}
                self.say(name.lower(), wait=False, n=before[1], m=shape[1], **fields)
            elif name == "C3":
                self.say("c3", wait=False, maps=shape[0], k=k, n=before[1], m=shape[1], inputs=before[0])
            elif name == "C5":
                self.say("c5", wait=False, maps=shape[0], k=k, inputs=before[0])
            elif name == "F6":
                self.say("f6", wait=False, n_out=shape[0], n_in=a["layer_inputs"][i])
            else:
                self.say("output", wait=False, n=shape[0], params=params[i])
            self.bring_in(cols[i], new, panel)
            panel = new
            if name == "C1":
                self.say("c1_params", k=k, params=params[i])
            elif name == "S2":
                self.say("s2_params")
            elif name == "C3":
                self.connection_table(cols[: i + 1], panel, before[0])
            elif name == "C5":
                self.say("c5_params", inputs=a["c5_in"], maps=a["c5_out"], kernels=a["c5_kernels"], k=k,
                         params=params[i])
            elif name == "F6":
                self.say("f6_params", params=params[i])
            else:
                self.wait(1.0)

        self.next_section("total")
        total = formula(a["total_formula"], self.theme, font_size=TEX, color=self.theme.kernel)
        total.move_to([0, Y_PANEL, 0])
        self.play(FadeOut(panel), run_time=0.3)
        self.play(FadeIn(total), run_time=0.8)
        self.say("total", total=a["total_params_text"])

    def connection_table(self, shown: list[VGroup], panel: VGroup, inputs: int) -> None:
        """C3's connection table and its counts in place of the columns and the layer's panel, then those again."""
        a = self.values.arrays
        table = self.table_view()
        pairs, counts = self.table_panel()
        few, more = a["c3_read_counts"][0], a["c3_read_counts"][1]
        self.next_section("C3 table")
        self.say("c3_table", wait=False, few=few, more=more, inputs=inputs)
        self.play(*(FadeOut(c) for c in shown), FadeOut(panel), run_time=0.5)
        self.play(FadeIn(table), run_time=1.0)
        self.wait(0.5)
        self.next_section("C3 pairs")
        self.say("c3_pairs", wait=False, pairs=a["c3_pairs"], all=a["c3_all_pairs"], k=a["kernel_size"])
        self.play(FadeIn(pairs, shift=UP * 0.1), run_time=0.8)
        self.say("c3_params", wait=False, params=a["c3_params_text"], full=a["c3_full_params_text"])
        self.play(FadeIn(counts), run_time=0.8)
        self.wait(1.0)
        self.next_section("C3 back")
        self.play(FadeOut(table), FadeOut(pairs), FadeOut(counts), run_time=0.5)
        self.play(*(FadeIn(c) for c in shown), FadeIn(panel), run_time=0.6)
