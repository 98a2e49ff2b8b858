"""AlexNet layer by layer: each layer's shape C×H×W and parameter count, from the network built in torch
(``cnnviz/classic.py``): conv1's 11×11 stride 4 to 55×55 with the slide's p = 3 and the notes' p = 2, its two
GPUs' halves (two 11×11×3×48), the convolutions, then the three fully connected layers; ReLU and dropout,
AlexNet's two additions, on real activations of fc6.

Render alone with ``manim -ql scenes/alexnet.py AlexNetWalk``. The words are in ``scenes/scripts/alexnet.yaml``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, FadeIn, FadeOut, VGroup

from scenes.classic_parts import FONT_SIZE, SAFE, TEX, Y_PANEL, Y_PANEL_LOW, NetworkWalk
from scenes.common import MONO, NumberGrid, cached_text, formula, label
from scenes.kit import TensorVolume

__all__ = ["AlexNetWalk"]

GRID_CELL = 1.12  # a cell of the ReLU/dropout rows: "-6.99" fits at font 26
Y_ROWS = (2.2, 0.95, -0.3, -1.55)  # z, max(0, z), the mask, the dropped layer
Y_PADDINGS = (2.2, 1.45)
Y_GPUS = 0.0


class AlexNetWalk(NetworkWalk):
    """Input → conv1 (its padding and its two GPUs) → … → pool5, then the dense layers, ReLU and dropout."""

    scene_id = "alexnet"

    def play_scene(self) -> None:
        a = self.values.arrays
        kinds = a["layer_kinds"]
        first_dense = kinds.index("dense")
        features = [self.column(i) for i in range(first_dense)]  # the input and the convolutional part
        self.lay_out(features, alternate="both")
        self.panel_y = Y_PANEL_LOW
        heads = self.key()

        self.next_section("intro")
        counts = a["layer_counts"]
        self.say("intro", convs=counts["conv"], dense=counts["dense"], classes=a["layer_shapes"][-1][0])
        self.next_section("input")
        self.say("input", wait=False, shape=a["layer_shape_text"][0])
        self.play(FadeIn(features[0]), FadeIn(heads), run_time=0.8)
        panel = None
        for i in range(1, first_dense):
            panel = self.feature_layer(i, features, panel)

        # the dense part: pool5 drawn again on the left, with the three fully connected layers
        dense = [self.column(i) for i in range(first_dense - 1, len(kinds))]
        self.lay_out(dense)
        self.next_section("flatten")
        self.say("flatten", wait=False, shape=a["layer_shape_text"][first_dense - 1], n=a["flat_size"])
        self.play(*(FadeOut(c) for c in features), FadeOut(panel), run_time=0.6)
        self.play(FadeIn(dense[0]), run_time=0.6)
        self.panel_y, panel = Y_PANEL, None
        for n, i in enumerate(range(first_dense, len(kinds)), start=1):
            name, shape = a["layer_names"][i], a["layer_shapes"][i]
            self.next_section(name)
            new = self.panel(i)
            if i < len(kinds) - 1:
                self.say("dense", wait=False, name=name, n_out=shape[0], n_in=a["layer_inputs"][i],
                         params=a["layer_params_text"][i])
            else:
                self.say("output", wait=False, n=shape[0], params=a["layer_params_text"][i])
            self.bring_in(dense[n], new, panel)
            panel = new
            self.wait(1.0)

        self.next_section("total")
        total = formula(a["total_split_formula"], self.theme, font_size=TEX, color=self.theme.kernel)
        total.move_to([0, Y_PANEL, 0])
        self.play(FadeOut(panel), run_time=0.3)
        self.play(FadeIn(total), run_time=0.8)
        self.say("total", total=a["total_params_text"], conv=a["conv_params_text"], dense=a["dense_params_text"])
        self.play(*(FadeOut(c) for c in dense), FadeOut(total), FadeOut(heads), run_time=0.6)
        self.relu_dropout()

    def feature_layer(self, i: int, cols: list[VGroup], panel: VGroup | None) -> VGroup:
        """Layer ``i`` of the convolutional part: said, drawn with its panel; conv1 with its detail."""
        a = self.values.arrays
        name, kind = a["layer_names"][i], a["layer_kinds"][i]
        before, shape = a["layer_shapes"][i - 1], a["layer_shapes"][i]
        layer_params = a["layer_params_text"][i]
        self.next_section(name)
        new = self.panel(i)
        if i == 1:
            self.say("conv1", wait=False, maps=shape[0], k=a["conv1_kernel"], s=a["conv1_stride"],
                     p=a["conv1_padding"], n=before[1], m=shape[1])
        elif kind == "pool":
            self.say("pool", wait=False, name=name, c=a["layer_kernel_sizes"][i], s=a["layer_strides"][i],
                     n=before[1], m=shape[1])
        else:
            self.say("grouped" if name in a["grouped_layers"] else "crossed", wait=False, name=name, maps=shape[0],
                     k=a["layer_kernel_sizes"][i], reads=a["layer_reads"][i], params=layer_params)
        self.bring_in(cols[i], new, panel)
        if i == 1:
            self.conv1_detail(cols[: i + 1], new)
        else:
            self.wait(0.8)
        return new

    def conv1_detail(self, shown: list[VGroup], panel: VGroup) -> None:
        """conv1's output size with the slide's and the notes' padding, and its 96 kernels on two GPUs."""
        t, a = self.theme, self.values.arrays
        pads = a["paddings"]
        rows = []
        for where, y in zip(("slide", "notes"), Y_PADDINGS):
            tag = label(self.tr("slide" if where == "slide" else "reading notes", "课件" if where == "slide" else "讲义"),
                        t, color=t.muted, font_size=FONT_SIZE)
            tex = formula(rf"p = {pads[where]['padding']}:\; {pads[where]['formula']}", t, font_size=TEX,
                          color=t.output)
            row = VGroup(tag, tex).arrange(RIGHT, buff=0.35).move_to([0, y, 0])
            if row.width > 2 * SAFE:
                row.scale_to_fit_width(2 * SAFE)
            rows.append(row)
        self.next_section("conv1 padding")
        self.say("paddings", wait=False, slide=pads["slide"]["padding"], notes=pads["notes"]["padding"],
                 m=pads["notes"]["size"])
        self.play(*(FadeOut(c) for c in shown), FadeOut(panel), run_time=0.5)
        self.play(FadeIn(rows[0]), run_time=0.7)
        self.play(FadeIn(rows[1]), run_time=0.7)

        self.next_section("two GPUs")
        gpus = VGroup()
        for gpu in a["gpu_names"]:
            stack = TensorVolume((6, 1, 1), theme=t, role="kernel", cell=0.8, offset=(0.08, 0.08),
                                 show_values="none", fill_opacity=0.3)
            name = label(gpu, t, font_size=FONT_SIZE)
            kernels = cached_text(a["gpu_half_text"], font=MONO, font_size=FONT_SIZE, color=t.kernel)
            gpus.add(VGroup(name, stack, kernels).arrange(DOWN, buff=0.15))
        split = formula(a["gpu_split_formula"], t, font_size=TEX, color=t.kernel)
        gpus = VGroup(gpus[0], split, gpus[1]).arrange(RIGHT, buff=0.8).move_to([0, Y_GPUS - 0.1, 0])
        count = formula(a["gpu_params_formula"], t, font_size=TEX, color=t.kernel).move_to([0, Y_PANEL, 0])
        self.say("gpus", wait=False, maps=a["layer_shapes"][1][0], half=a["gpu_kernels_per_half"][0],
                 half_text=a["gpu_half_text"])
        self.play(FadeIn(gpus), run_time=1.0)
        self.say("conv1_params", wait=False, params=a["layer_params_text"][1])
        self.play(FadeIn(count), run_time=0.7)
        self.wait(1.0)
        self.next_section("conv1 back")
        self.play(*(FadeOut(m) for m in (*rows, gpus, count)), run_time=0.5)
        self.play(*(FadeIn(c) for c in shown), FadeIn(panel), run_time=0.6)

    def relu_dropout(self) -> None:
        """fc6's first units: z, h = max(0, z), the seeded dropout mask m and h ⊙ m."""
        t, a = self.theme, self.values.arrays
        # words beside the letters: a lone lower-case letter is under 16 px at any size that fits here
        heads = [self.tr("fc6: z", "fc6：z"), "h = max(0, z)", self.tr("mask m", "掩码 m"), "h ⊙ m"]
        values = [a["fc6_z"], a["fc6_relu"], a["dropout_mask"], a["fc6_dropped"]]
        colors = [t.output, t.output, t.highlight, t.output]
        rows = []
        for head, vals, color, y in zip(heads, values, colors, Y_ROWS):
            grid = NumberGrid([vals], t, color, cell=GRID_CELL, font_size=FONT_SIZE)
            tag = label(head, t, color=color, font_size=FONT_SIZE)
            row = VGroup(tag, grid)
            grid.move_to([1.0, y, 0])
            tag.next_to(grid, LEFT, buff=0.3)
            rows.append(row)
        self.next_section("ReLU")
        self.say("relu", wait=False, units=a["units_shown"], total=a["fc6_units"])
        self.play(FadeIn(rows[0]), run_time=0.8)
        self.play(FadeIn(rows[1], shift=DOWN * 0.2), run_time=0.8)
        self.next_section("dropout")
        self.say("dropout", wait=False, p=a["dropout_p"], seed=a["dropout_seed"])
        self.play(FadeIn(rows[2], shift=DOWN * 0.2), run_time=0.8)
        self.say("dropout_scale", wait=False, scale=a["dropout_scale_text"], kept=a["fc6_kept_count"],
                 total=a["fc6_units"])
        self.play(FadeIn(rows[3], shift=DOWN * 0.2), run_time=0.8)
        self.wait(1.0)
