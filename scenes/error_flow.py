"""Error flow through the trained MNIST CNN: the real δ of one test digit, layer by layer, output to input.

Render alone with ``manim -ql scenes/error_flow.py ErrorFlowThroughCNN``.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ReplacementTransform, SurroundingRectangle, VGroup

from scenes.common import MONO, LectureScene, cached_text, formula, label
from scenes.mnist_maps import picture, region, role_color, small_grid

__all__ = ["ErrorFlowThroughCNN"]

COLUMNS = (-2.55, 1.2, 4.95)  # x of the given δ, the ingredient, the new δ
TOP = 1.95  # top of each panel's name
LAW_Y = 2.5


class ErrorFlowThroughCNN(LectureScene):
    """δ = p − y at the output, then one step per layer down to conv1: pictures and numbers of real δ."""

    scene_id = "error_flow"

    def panel(self, p, x: float) -> Group:
        """Name, picture (if any) and numbers of one Panel, its top at TOP, centred on ``x``."""
        t = self.theme
        color = role_color(t, p.role)
        unit = p.role == "gradient" and p.digits == 0
        tex = p.tex + (rf"\;(\times 10^{{{self.values.unit_exponent}}})" if unit else "")
        name = formula(tex, t, font_size=30, color=color)
        parts = [name]
        pic = None
        if p.image is not None:
            pic = picture(p.image, 1.35, color)
            parts.append(pic)
        grid = small_grid(p.grid, t, color, max_width=3.4, max_cell=0.75 if p.digits else 0.56, digits=p.digits)
        parts.append(grid)
        if p.note[0]:
            parts.append(label(self.tr(*p.note), t, color=t.muted, font_size=18))
        g = Group(*parts).arrange(DOWN, buff=0.18).move_to([x, 0, 0], aligned_edge=UP).set_y(TOP, UP)
        if pic is not None and p.box is not None and p.box[2] < max(pic.pixels):
            g.add(region(pic, p.box[0], p.box[1], p.box[2], t.highlight))
        if p.sub is not None:
            r, c, s = p.sub
            cells = VGroup(*(grid.cell(r + i, c + j) for i in range(s) for j in range(s)))
            g.add(SurroundingRectangle(cells, color=t.highlight, buff=0, stroke_width=4))
            if pic is not None:
                g.add(region(pic, p.box[0] + r, p.box[1] + c, s, t.highlight))
        return g

    def chain(self) -> VGroup:
        t = self.theme
        rows = VGroup(*(cached_text(f"{n:<8}{s}", font=MONO, font_size=19, color=t.muted) for n, s in self.values.chain))
        for i, r in enumerate(rows):
            r.move_to([-6.95, 1.6 - 0.46 * i, 0], aligned_edge=LEFT)
        return rows

    def marks(self, chain: VGroup, layers: tuple[str, str]) -> VGroup:
        names = [n for n, _ in self.values.chain]
        t, out = self.theme, VGroup()
        for name, color in zip(layers, (t.muted, t.gradient)):
            if name in names:
                out.add(SurroundingRectangle(chain[names.index(name)], color=color, buff=0.06, stroke_width=3))
        return out

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        steps = v.steps
        chain = self.chain()
        self.next_section("forward: the digit")
        digit = picture(v.image, 1.9, t.input).move_to([-2.6, 0.6, 0])
        verdict = label(self.tr(f"label {v.label}, predicted {v.prediction}", f"标签 {v.label}，预测 {v.prediction}"),
                        t, font_size=22).next_to(digit, DOWN, buff=0.2)
        self.play(FadeIn(chain), FadeIn(digit), FadeIn(verdict), run_time=0.8)
        self.caption("A real test digit through the trained network: the forward pass stored every Z and A.",
                     "一个真实的测试数字经过训练好的网络：前向计算保存了每一层的 Z 和 A。")
        # ---- the output: p, y and δ = p − y as rows of ten
        first = steps[0]
        self.next_section("output")
        law = formula(first.law, t, font_size=32).move_to(UP * LAW_Y + RIGHT * 1.2)
        rows = Group()
        for p in (first.left, first.middle, first.right):
            grid = small_grid(p.grid, t, role_color(t, p.role), max_width=6.4, max_cell=0.64, digits=p.digits)
            name = formula(p.tex, t, font_size=28, color=role_color(t, p.role)).next_to(grid, LEFT, buff=0.25)
            rows.add(Group(name, grid))
        rows.arrange(DOWN, buff=0.35, aligned_edge=RIGHT).move_to([3.0, 0.2, 0])
        classes = VGroup(*(cached_text(str(i), font=MONO, font_size=18, color=t.muted).next_to(rows[0][1].cell(0, i), UP,
                                                                                        buff=0.1) for i in range(10)))
        marks = self.marks(chain, first.layers)
        self.play(FadeIn(law), FadeIn(rows[:2]), FadeIn(classes), FadeIn(marks), run_time=0.8)
        self.play(FadeIn(rows[2]), run_time=0.8)
        for cap in first.captions:
            self.caption(*cap)
        right: Group = rows[2]
        middle: Group = Group(digit, verdict, rows[:2], classes)
        # ---- one step per layer, each δ moving left to give the next one
        for n, step in enumerate(steps[1:]):
            self.next_section(step.key)
            new_law = formula(step.law, t, font_size=32).move_to(UP * LAW_Y + RIGHT * 1.2)
            left, mid, new_right = (self.panel(p, x) for p, x in zip((step.left, step.middle, step.right), COLUMNS))
            new_marks = self.marks(chain, step.layers)
            self.play(FadeOut(middle), ReplacementTransform(law, new_law), ReplacementTransform(marks, new_marks),
                      FadeOut(right, target_position=left), FadeIn(left, target_position=right), run_time=1.0)
            law, marks = new_law, new_marks
            self.play(FadeIn(mid), run_time=0.8)
            self.play(FadeIn(new_right), run_time=0.9)
            for cap in step.captions:
                self.caption(*cap)
            if n == 0:
                self.caption(f"From here on, δ is written in units of {v.unit_text}, rounded to whole numbers.",
                             f"从这里开始，δ 以 {v.unit_text} 为单位，取整显示。")
                self.caption("A 0 means ReLU or pooling stopped the error there.",
                             "0 表示误差在那里被 ReLU 或池化挡住了。")
            right, middle = new_right, Group(left, mid)
        self.next_section("summary")
        grads = formula(r"\frac{\partial L}{\partial W_l} = A_{l-1} \otimes \delta_l \qquad "
                        r"\frac{\partial L}{\partial b_l} = \sum_{i,j} \delta_{l,ij}", t, font_size=34)
        self.play(FadeOut(middle), right.animate.scale(0.9).move_to([4.6, -0.5, 0]),
                  FadeIn(grads.move_to([-0.6, -0.3, 0])), run_time=0.8)
        self.caption("With δ of every layer, every weight gradient follows.", "有了每一层的 δ，每个权重的梯度随之可得。")
        self.caption("Every δ here was computed layer by layer and equals torch.autograd's.",
                     "这里的每个 δ 都是逐层算出的，与 torch.autograd 的结果一致。")
