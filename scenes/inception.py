"""The Inception module: four branches (1x1, 3x3, 5x5 convolutions and 3x3 max pooling) on the same input,
concatenated along channels; what the 1x1 bottleneck saves (parameters and multiply-adds of real modules, with
and without it); GoogLeNet as nine such modules in 22 layers; Inception v3's two 3x3 convolutions in place of
one 5x5 (same receptive field, 18 weights instead of 25 per pair of channels).

Render alone with ``manim -ql scenes/inception.py BranchesJoinAlongChannels``.

Volumes are the kit's :class:`~scenes.kit.TensorVolume` with channels as stacked squares, as in the classic
networks' walk; their numbers of squares come from the values (``drawn_layers``), in proportion to the channels.
"""

from __future__ import annotations

from typing import Any

from manim import (DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Line, Rectangle, ReplacementTransform, RoundedRectangle,
                   SurroundingRectangle, VGroup)

from scenes.common import FONT, MONO, LectureScene, NumberGrid, arrow, cached_text, label, text_table
from scenes.kit import TensorVolume

__all__ = ["BranchesJoinAlongChannels"]

SMALL = 26  # every label and number: a digit 16 px tall at 480 lines
SIDE = 0.62  # a volume's square (H×W is in its label)
STEP = 0.08  # a channel square's offset from the one in front of it
ROWS = (2.15, 0.9, -0.35, -1.6)  # the four branches' centre lines
X_SPLIT, X_BOXES = -4.25, -3.75  # where the input's line splits into four, where the branches begin
LEFT_EDGE, RIGHT_EDGE = -6.3, 6.3  # inside the 5 % margin
Y_OUTPUT, Y_FREE = 0.28, (-0.7, -1.05)  # the output volume; two lines in the band between the lower rows
SIDE_SMALL, STEP_SMALL = 0.45, 0.06  # the bottleneck's two rows: smaller squares
CELL = 0.62  # the v3 grids' cells: their digits 16 px tall


class BranchesJoinAlongChannels(LectureScene):
    """Input volume, four branches of boxes, four output volumes sliding together into one; the bottleneck's
    costs; GoogLeNet's stages; two 3x3 against one 5x5."""

    scene_id = "inception"

    # ------------------------------------------------------------------ pieces
    def volume(self, layers: int, role: str, side: float = SIDE, step: float = STEP) -> TensorVolume:
        return TensorVolume((layers, 1, 1), theme=self.theme, role=role, cell=side, offset=(step, step),
                            show_values="none", fill_opacity=0.3)

    def box(self, words: dict[str, str], kind: str, short: bool = True) -> VGroup:
        """One step of a branch: its words in a rounded box (a convolution in the kernel's colour: its kernel
        size and output channels; ``short=False``: with the word "conv")."""
        color = self.theme.kernel if kind == "conv" else self.theme.muted
        key = "short_" if short else ""
        text = label(self.tr(words[key + "en"], words[key + "zh"]), self.theme, color=color, font_size=SMALL)
        frame = RoundedRectangle(width=text.width + 0.3, height=text.height + 0.28, corner_radius=0.08,
                                 color=color, stroke_width=2.5)
        return VGroup(frame.move_to(text), text)

    def chain(self, items: list[Any], buff: float = 0.3) -> VGroup:
        """Items in a row joined by arrows; a volume with its shape below is joined at the volume itself, and
        the boxes stand level with it."""
        row = VGroup(*items).arrange(RIGHT, buff=buff + 0.25)
        ends = [m[0] if isinstance(m[0], TensorVolume) else m for m in items]
        for item, end in zip(items, ends):
            if end is item:
                item.set_y(ends[0].get_y())
        arrows = VGroup(*(arrow(a.get_right(), b.get_left(), self.theme.muted, buff=0.08)
                          for a, b in zip(ends[:-1], ends[1:])))
        return VGroup(row, arrows)

    def shape_label(self, text: str, role: str) -> Any:
        return cached_text(text, font=MONO, font_size=SMALL, color=self.theme.role(role))

    def clear(self) -> None:
        shown = [m for m in self.mobjects if m not in (self.heading, self._caption)]
        if shown:
            self.play(*(FadeOut(m) for m in shown), run_time=0.6)

    # ------------------------------------------------------------------ the scene
    def play_scene(self) -> None:
        self.module()
        self.bottleneck()
        self.googlenet()
        self.factorised()

    def module(self) -> None:
        t, a, txt = self.theme, self.values.arrays, self.values.text
        drawn = a["drawn_layers"]
        self.next_section("input")
        source = self.volume(drawn["input"], "input")
        source.move_to([LEFT_EDGE + 0.1 + source.width / 2, 0.1, 0])
        source_shape = self.shape_label(txt["input_shape"], "input").next_to(source, DOWN, buff=0.25)
        source_shape.set_x(LEFT_EDGE + source_shape.width / 2)
        self.say("input", wait=False, shape=txt["input_shape"], c_in=txt["c_in"], size=txt["size"])
        self.play(FadeIn(source), FadeIn(source_shape), run_time=0.8)
        self.finish_line()

        self.next_section("branches")
        # one line from the input to a split point right of its shape, the four arrows from there
        split = [X_SPLIT, source.get_y(), 0]
        trunk = Line(source.get_right() + RIGHT * 0.08, split, color=t.muted, stroke_width=4)
        rows, fans, outs, out_shapes, links = [], [], [], [], []
        for y, branch, layers in zip(ROWS, txt["branches"], drawn["branches"]):
            steps = a["module"]["branches"][branch["name"]]["steps"]
            row = self.chain([self.box(words, s["kind"]) for words, s in zip(branch["steps"], steps)])
            row.move_to([X_BOXES + row.width / 2, y, 0])
            rows.append(row)
            fans.append(arrow(split, row[0][0].get_left(), t.muted, buff=0.08))
            outs.append(self.volume(layers, "output").move_to([0, y, 0]))
        # the branches' outputs in one column right of the widest row, their shapes left-aligned beside them
        x_out = max(r.get_right()[0] for r in rows) + 0.55 + max(o.width for o in outs) / 2
        for row, out, branch in zip(rows, outs, txt["branches"]):
            out.set_x(x_out)
            links.append(arrow(row[0][-1].get_right(), out.get_left(), t.muted, buff=0.08))
            out_shapes.append(self.shape_label(branch["shape"], "output"))
        x_shapes = max(o.get_right()[0] for o in outs) + 0.2
        for out, shape in zip(outs, out_shapes):
            shape.move_to([x_shapes + shape.width / 2, out.get_y(), 0])
        self.say("branches", wait=False)
        self.play(FadeIn(trunk), run_time=0.3)
        for fan, row in zip(fans, rows):
            self.play(FadeIn(fan), FadeIn(row), run_time=0.6)
        self.finish_line()
        self.say("outputs", wait=False, size=txt["size"])
        self.play(*(FadeIn(m) for m in (*links, *outs, *out_shapes)), run_time=1.0)
        self.finish_line()
        reductions = VGroup(*(SurroundingRectangle(row[0][0], color=t.highlight, buff=0.06, corner_radius=0.08)
                              for row, branch in zip(rows, txt["branches"]) if branch["name"] in ("3x3", "5x5")),
                            SurroundingRectangle(rows[3][0][-1], color=t.highlight, buff=0.06, corner_radius=0.08))
        self.say("bottlenecks", wait=False)
        self.play(FadeIn(reductions), run_time=0.6)
        self.finish_line()
        self.play(FadeOut(reductions), run_time=0.4)

        # the concatenation: each branch's squares slide into their place in one volume
        target = self.volume(drawn["output"], "output")
        target.move_to([RIGHT_EDGE - 0.1 - target.width / 2, Y_OUTPUT, 0])
        slot = Rectangle(width=target.width + 0.2, height=target.height + 0.2, color=t.muted, stroke_width=2)
        slot.move_to(target)
        self.play(FadeIn(slot), run_time=0.4)
        self.ask("ask_channels", slot)
        moves, start = [], 0
        for out, layers in zip(outs, drawn["branches"]):
            for ch in range(layers):
                moves.append(ReplacementTransform(out.layer(ch).copy(), target.layer(start + ch)))
            start += layers
        # its shape and the sum in the band between the two lower rows, where no row's text is
        target_shape = self.shape_label(txt["output_shape"], "output")
        target_shape.move_to([min(target.get_x(), RIGHT_EDGE - target_shape.width / 2), Y_FREE[0], 0])
        total = label(txt["concat_sum"], t, color=t.output, font_size=SMALL)  # proportional: narrower
        total.move_to([RIGHT_EDGE - total.width / 2, Y_FREE[1], 0])
        self.play(*moves, FadeOut(slot), run_time=1.4)
        self.remove(*[m for m in self.mobjects if m is not self.heading and m in target.get_family()])
        self.add(target)
        self.play(FadeIn(target_shape), FadeIn(total), run_time=0.6)
        self.say("concat", sum=txt["concat_sum"], shape=txt["output_shape"])

    def bottleneck(self) -> None:
        """The 5x5 branch with and without its 1x1 bottleneck, then the whole module's table."""
        t, a, txt = self.theme, self.values.arrays, self.values.text
        layers_in = a["drawn_layers"]["input"]
        self.next_section("without the bottleneck")
        self.clear()

        def vol_with_shape(layers: int, role: str, text: str) -> VGroup:
            v = self.volume(layers, role, SIDE_SMALL, STEP_SMALL)
            return VGroup(v, self.shape_label(text, role).next_to(v, DOWN, buff=0.15))

        squares = a["drawn_layers"]["five_steps"]
        top = self.chain([vol_with_shape(layers_in, "input", txt["input_shape"]),
                          self.box(txt["branches"][2]["steps"][1], "conv", short=False),
                          vol_with_shape(squares[1], "output", txt["branches"][2]["shape"])], buff=0.4)
        top_name = label(self.tr("without the 1×1", "没有 1×1 卷积"), t, color=t.muted, font_size=SMALL)
        top_name.next_to(top, UP, buff=0.1).align_to(top, LEFT)
        top_line = cached_text(txt["five_naive_formula"], font=MONO, font_size=SMALL, color=t.highlight)
        top_line.next_to(top, DOWN, buff=0.12)
        upper = VGroup(top_name, top, top_line)
        upper.move_to([0, 2.5 - upper.height / 2, 0])
        self.say("naive", wait=False, c_in=txt["c_in"], macs=txt["five_naive_macs"])
        self.play(FadeIn(top_name), FadeIn(top), run_time=0.8)
        self.play(FadeIn(top_line), run_time=0.6)
        self.finish_line()

        self.next_section("with the bottleneck")
        def with_bottleneck(short: bool) -> VGroup:
            return self.chain([vol_with_shape(layers_in, "input", txt["input_shape"]),
                               self.box(txt["branches"][2]["steps"][0], "conv", short=short),
                               vol_with_shape(squares[0], "output", txt["five_reduced_shape"]),
                               self.box(txt["branches"][2]["steps"][1], "conv", short=short),
                               vol_with_shape(squares[1], "output", txt["branches"][2]["shape"])], buff=0.1)

        bottom = with_bottleneck(short=False)
        if bottom.width > RIGHT_EDGE - LEFT_EDGE:  # wide shapes: the boxes without the word "conv"
            bottom = with_bottleneck(short=True)
        bottom_name = label(self.tr("with the 1×1 first", "先做 1×1 卷积"), t, color=t.muted, font_size=SMALL)
        bottom_name.next_to(bottom, UP, buff=0.1).align_to(bottom, LEFT)
        lines = VGroup(cached_text(txt["five_reduce_formula"], font=MONO, font_size=SMALL, color=t.highlight),
                       cached_text(txt["five_conv_formula"], font=MONO, font_size=SMALL, color=t.highlight))
        lines.arrange(DOWN, buff=0.1, aligned_edge=RIGHT).next_to(bottom, DOWN, buff=0.12)
        lower = VGroup(bottom_name, bottom, lines)
        lower.next_to(upper, DOWN, buff=0.4).set_x(0)
        self.say("bottleneck", wait=False, reduced=txt["five_reduced"], macs=txt["five_macs"], share=txt["five_share"])
        self.play(FadeIn(bottom_name), FadeIn(bottom), run_time=0.8)
        self.play(FadeIn(lines), run_time=0.8)
        self.finish_line()

        self.next_section("the module's costs")
        self.clear()
        rows = [["", self.tr("no 1×1", "无 1×1"), self.tr("with 1×1", "有 1×1"), self.tr("no 1×1", "无 1×1"),
                 self.tr("with 1×1", "有 1×1")]]
        names = {"1x1": "1×1", "3x3": "3×3", "5x5": "5×5", "pool": self.tr("pool", "池化")}
        for b in txt["branches"]:
            rows.append([names[b["name"]], b["naive_params"], b["params"], b["naive_macs"], b["macs"]])
        rows.append([self.tr("module", "整个模块"), txt["naive_params"], txt["params"], txt["naive_macs"], txt["macs"]])
        table = text_table(rows, t, font_size=SMALL, colors=[None, t.muted, t.kernel, t.muted, t.kernel])
        table.move_to([0, 0.2, 0])
        entries = table.entries
        heads = VGroup(label(self.tr("parameters", "参数个数"), t, font_size=SMALL),
                       label(self.tr("multiply-adds", "乘加次数"), t, font_size=SMALL))
        for head, (i, j) in zip(heads, ((1, 2), (3, 4))):
            head.move_to(VGroup(entries[0][i], entries[0][j])).shift(UP * 0.5)
        total_mark = SurroundingRectangle(VGroup(*entries[-1]), color=t.highlight, buff=0.14)
        self.play(FadeIn(heads), FadeIn(table), run_time=1.0)
        self.say("table", params=txt["params"], naive_params=txt["naive_params"], macs=txt["macs"],
                 naive_macs=txt["naive_macs"])
        shapes = cached_text(self.tr(f"output: {txt['naive_output_shape']} without, {txt['output_shape']} with",
                                     f"输出：无 1×1 时 {txt['naive_output_shape']}，有 1×1 时 {txt['output_shape']}"),
                             font=FONT, font_size=SMALL, color=t.output).next_to(table, DOWN, buff=0.4)
        self.say("naive_grows", wait=False, naive_c_out=txt["naive_c_out"], naive_shape=txt["naive_output_shape"])
        self.play(FadeIn(total_mark), FadeIn(shapes), run_time=0.6)
        self.finish_line()

    def googlenet(self) -> None:
        """GoogLeNet's stages in a row: the stem's convolutions, the nine modules, the pools, the classifier."""
        t, txt, stages = self.theme, self.values.text, self.values.stages_text
        a = self.values.arrays["googlenet"]["stages"]
        self.next_section("GoogLeNet")
        self.clear()
        shown = [(s, d) for s, d in zip(stages, a) if s["kind"] not in ("Dropout", "Flatten")]
        blocks, depths, channels = VGroup(), VGroup(), VGroup()
        for s, d in shown:
            if s["kind"] in ("MaxPool2d", "AvgPool2d"):
                block = Rectangle(width=0.14, height=1.1, color=t.muted, fill_color=t.muted, fill_opacity=0.5,
                                  stroke_width=1.5)
            else:
                color = t.output if s["kind"] == "inception" else t.kernel
                # a module by its name; the stem by its kernels, one a line; the classifier as FC
                words = s["name"] if s["kind"] == "inception" else "\n".join(s["kernels"]) or "FC"
                word = label(words, t, color=color, font_size=SMALL)
                frame = RoundedRectangle(width=max(0.72, word.width + 0.2), height=1.1, corner_radius=0.08,
                                         color=color, stroke_width=2.5)
                block = VGroup(frame, word.move_to(frame))
            blocks.add(block)
        blocks.arrange(RIGHT, buff=0.1).move_to([0, 1.0, 0])
        for block, (s, d) in zip(blocks, shown):
            if d["depth"]:
                depths.add(cached_text(str(d["depth"]), font=MONO, font_size=SMALL, color=t.highlight)
                           .next_to(block, UP, buff=0.15))
            if s["kind"] not in ("MaxPool2d", "AvgPool2d"):
                channels.add(cached_text(s["channels"], font=MONO, font_size=SMALL, color=t.output)
                             .next_to(block, DOWN, buff=0.15))
        channels.set_y(min(c.get_y() for c in channels))
        # the modules' spatial sizes, under each group that shares one
        sizes, group = VGroup(), []
        for block, (s, d) in zip(blocks, shown):
            if s["kind"] == "inception":
                group.append((block, s["size"]))
            elif group:
                sizes.add(self.shape_label(group[0][1], "muted").move_to(VGroup(*(b for b, _ in group)))
                          .set_y(channels.get_y() - 0.5))
                group = []
        self.say("googlenet", wait=False, modules=txt["net_modules"])
        self.play(FadeIn(blocks, lag_ratio=0.05), run_time=1.2)
        self.play(FadeIn(channels), FadeIn(sizes), run_time=0.8)
        self.finish_line()

        self.next_section("22 layers")
        depth_line = cached_text(self.tr(f"layers with weights: {txt['net_depth_sum']}",
                                         f"有参数的层：{txt['net_depth_sum']}"), font=MONO, font_size=SMALL,
                                 color=t.highlight).move_to([0, -1.45, 0])
        self.say("depth", wait=False, sum=txt["net_depth_sum"])
        self.play(FadeIn(depths), run_time=0.8)
        self.play(FadeIn(depth_line), run_time=0.6)
        self.finish_line()
        pool_line = cached_text(self.tr(f"with pooling: {txt['net_depth_pool_sum']}; parameters: {txt['net_params']}",
                                        f"加上池化层：{txt['net_depth_pool_sum']}；参数：{txt['net_params']}"),
                                font=MONO, font_size=SMALL, color=t.text).next_to(depth_line, DOWN, buff=0.25)
        pools = VGroup(*(SurroundingRectangle(b, color=t.highlight, buff=0.05) for b, (s, _) in zip(blocks, shown)
                         if s["kind"] in ("MaxPool2d", "AvgPool2d")))
        self.say("pooling", wait=False, pools=txt["net_pooling"], with_pools=txt["net_depth_pool_sum"],
                 params=txt["net_params"])
        self.play(FadeIn(pools), FadeIn(pool_line), run_time=0.8)
        self.finish_line()

    def factorised(self) -> None:
        """Two 3x3 layers and one 5x5: the same receptive field, fewer weights."""
        t, txt = self.theme, self.values.text
        v3 = self.values.arrays["v3"]
        self.next_section("Inception v3")
        self.clear()
        paths, middle = v3["paths"], v3["middle_paths"]
        field = NumberGrid(paths, t, t.input, cell=CELL)
        mid = NumberGrid(middle, t, t.output, cell=CELL)
        top = NumberGrid([[1.0]], t, t.output, cell=CELL, show_values=False)
        stacked = self.chain([field, mid, top], buff=0.35)
        single_in = NumberGrid(paths, t, t.input, cell=0.45, show_values=False)
        single_out = NumberGrid([[1.0]], t, t.output, cell=0.45, show_values=False)
        single = self.chain([single_in, single_out], buff=0.45)
        VGroup(stacked, single).arrange(RIGHT, buff=1.2).move_to([0, 0.55, 0])
        single.align_to(stacked, UP)
        k = v3["stacked_kernels"][0]
        stacked_name = label(self.tr(f"two {k}×{k} layers", f"两层 {k}×{k} 卷积"), t, color=t.kernel,
                             font_size=SMALL).next_to(stacked, UP, buff=0.25)
        kk = v3["single_kernel"]
        single_name = label(self.tr(f"one {kk}×{kk} layer", f"一层 {kk}×{kk} 卷积"), t, color=t.kernel,
                            font_size=SMALL).next_to(single, UP, buff=0.25).align_to(stacked_name, DOWN)
        self.say("v3", wait=False)
        self.play(FadeIn(stacked_name), FadeIn(single_name), run_time=0.5)
        self.play(FadeIn(stacked), FadeIn(single), run_time=1.0)
        self.finish_line()

        self.next_section("receptive field")
        r1, r2 = txt["v3_fields"]
        fields = VGroup(cached_text(f"r: {r1} → {r2}", font=MONO, font_size=SMALL, color=t.highlight)
                        .next_to(stacked, DOWN, buff=0.2),
                        cached_text(f"r: {txt['v3_field']}", font=MONO, font_size=SMALL, color=t.highlight)
                        .next_to(single, DOWN, buff=0.2))
        fields[1].align_to(fields[0], UP)
        seen = VGroup(SurroundingRectangle(field, color=t.highlight, buff=0.04),
                      SurroundingRectangle(single_in, color=t.highlight, buff=0.04))
        self.say("v3_field", wait=False, r1=r1, r2=r2, field=txt["v3_field"])
        self.play(FadeIn(seen), FadeIn(fields), run_time=0.8)
        self.finish_line()

        self.next_section("weights")
        word = self.tr("weights", "权重")
        weights = VGroup(cached_text(f"{word}: {txt['v3_stacked_weights']}", font=MONO, font_size=SMALL, color=t.kernel)
                         .next_to(fields[0], DOWN, buff=0.12),
                         cached_text(f"{word}: {txt['v3_single_weights']}", font=MONO, font_size=SMALL, color=t.kernel)
                         .next_to(fields[1], DOWN, buff=0.12))
        ratio = cached_text(txt["v3_ratio"], font=MONO, font_size=SMALL, color=t.text)
        ratio.move_to([0, weights[0].get_y() - 0.42, 0])
        self.say("v3_weights", wait=False, stacked=v3["stacked_weights"], single=v3["single_weights"],
                 saving=txt["v3_saving"])
        self.play(FadeIn(weights), run_time=0.8)
        self.play(FadeIn(ratio), run_time=0.5)
        self.finish_line()
