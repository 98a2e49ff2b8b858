"""Backprop through a conv layer: ∂ℒ/∂b = Σδ, ∂ℒ/∂𝐖 = 𝐀 ⊗ δ, ∂ℒ/∂𝐀 = rot(𝐖) ⊗̃ δ, with values; why rot(𝐖)
appears is shown on one input cell first (it collects the δ's of the outputs it fed, each times the weight
that connected them: the kernel read back to front). Both gradients slide as the kit's sliding window, recast
to the gradient's roles (:mod:`scenes.backprop_parts`).

Render alone with ``manim -ql scenes/backprop_conv.py BackpropThroughConv``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, PI, RIGHT, UP, FadeIn, FadeOut, SurroundingRectangle, VGroup

from cnnviz.values import fmt

from scenes.backprop_parts import gradient_window, slide_window
from scenes.common import MONO, FONT, LectureScene, NumberGrid, cached_text, cells_box, formula, label, legible_formula
from scenes.kit import PieceStep, SlidingWindow, legible_cell, reveal

__all__ = ["BackpropThroughConv"]

ROW_Y = UP * 0.55
PANEL_Y = DOWN * 2.2
# the summary stays up while the recap is said: above a caption of two lines
SUMMARY_Y = DOWN * 1.85
# the course's notation (glossary): bold A, W, Z; δ; ℒ; rot(W); wide convolution ⊗̃
A_, W_, Z_, D_, L_ = r"\mathbf{A}", r"\mathbf{W}", r"\mathbf{Z}", r"\boldsymbol{\delta}", r"\mathcal{L}"
ROT_W = r"\mathrm{rot}(\mathbf{W})"


def grad(of: str) -> str:
    return rf"\frac{{\partial {L_}}}{{\partial {of}}}"


class BackpropThroughConv(LectureScene):
    """Given δ = ∂ℒ/∂𝐙: the bias, kernel and input gradients, each a convolution shown step by step."""

    scene_id = "backprop_conv"

    def cell_side(self, rows: int) -> float:
        """One cell side for every grid of the scene, its own and the windows': 3.6 units over the most rows,
        at most 0.62, at least what the widest number needs to be legible (the kit's rule), so a grid of the
        scene and a window's grid of the same numbers are alike."""
        v, tr = self.values, self.values.trace
        shown = [v.arrays[k] for k in ("input", "kernel", "output", "grad_kernel", "grad_input")]
        shown += [v.delta, tr.grad_kernel.padded_input, tr.grad_input.direct_input]
        shown += [s.products for s in (*tr.grad_kernel.steps, *tr.grad_input.direct.steps)]
        strings = [fmt(x) for a in shown for x in np.ravel(a) if np.isfinite(x)]
        return max(min(0.62, 3.6 / rows), legible_cell(strings, text=cached_text))

    def grid(self, values, color, *, mask=None, empty=False) -> NumberGrid:
        """A grid at the scene's cell, its numbers sized to its widest one as the kit's windows size theirs."""
        return NumberGrid(values, self.theme, color, cell=self.cell, font_size=None, padding_mask=mask,
                          show_values=not empty)

    def window(self, trace, **kw) -> SlidingWindow:
        """A gradient's sliding window at the scene's cell, its grids' middle at ROW_Y."""
        window = gradient_window(self, trace, cell=self.cell, **kw)
        return window.shift(ROW_Y - window.body.get_center())

    def named(self, grid, tex: str, color: str):
        return formula(tex, self.theme, font_size=40, color=color).next_to(grid, UP, buff=0.15)

    def row(self, *items) -> VGroup:
        return VGroup(*items).arrange(RIGHT, buff=0.4).move_to(ROW_Y)

    def carry(self, moves, *others, run_time: float = 1.0) -> None:
        """Move each ``old`` whole onto ``new``'s place (other animations alongside), then put ``new`` there.

        ``old`` and ``new`` look alike where they overlap (the same grid, or a padded copy of it centred on
        it): nothing morphs glyph into glyph; a padded grid's extra cells fade in afterwards."""
        self.play(*(old.animate.move_to(new) for old, new in moves), *others, run_time=run_time)
        grown = [(old, new) for old, new in moves if abs(old.width - new.width) > 1e-6 or abs(old.height - new.height) > 1e-6]
        for old, new in moves:
            if (old, new) not in grown:
                self.remove(old)
                self.add(new)
        if grown:
            self.play(*(FadeOut(old) for old, _ in grown), *(FadeIn(new) for _, new in grown), run_time=0.6)

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        tr, rows = v.trace, max(v.trace.grad_kernel.padded_input.shape[0], v.trace.grad_input.direct_input.shape[0])
        self.cell = self.cell_side(rows)
        # ---- forward and the given error term
        self.next_section("forward and δ")
        a, w = self.grid(v.arrays["input"], t.input), self.grid(v.arrays["kernel"], t.kernel)
        z, d = self.grid(v.arrays["output"], t.output), self.grid(v.delta, t.gradient)
        plus_b = cached_text(f"+ {fmt(v.arrays['bias'])}", font=MONO, font_size=34, color=t.text)
        sym = [formula(s, t, font_size=44) for s in (r"\otimes", "=")]
        top = self.row(a, sym[0], w, plus_b, sym[1], z, d)
        d.shift(RIGHT * 0.5)
        names = VGroup(self.named(a, A_, t.input), self.named(w, W_, t.kernel), self.named(z, Z_, t.output),
                       self.named(d, rf"{D_} = \partial {L_} / \partial {Z_}", t.gradient))
        law = formula(rf"{Z_} = {A_} \otimes {W_} + b", t, font_size=40).move_to(PANEL_Y)
        self.say("forward", wait=False)
        self.play(FadeIn(top[:6]), FadeIn(names[:3]), FadeIn(law), run_time=1.0)
        self.say("delta", wait=False)
        self.play(FadeIn(d), FadeIn(names[3]), run_time=0.8)
        # ---- ∂ℒ/∂b
        self.next_section("bias")
        box = SurroundingRectangle(d, color=t.highlight, buff=0.06)
        db = VGroup(legible_formula(grad("b") + r" = {\textstyle\sum_{i,j}}\, \delta_{ij} =", t, font_size=40),
                    cached_text(fmt(v.arrays["grad_bias"]), font=MONO, font_size=34, color=t.gradient)
                    ).arrange(RIGHT, buff=0.2).move_to(PANEL_Y)
        self.say("bias", wait=False)
        self.play(FadeIn(box), FadeOut(law), run_time=0.6)
        self.play(FadeIn(db), run_time=0.8)
        self.say("bias_total", grad_bias=fmt(v.arrays["grad_bias"]))
        self.play(FadeOut(box), FadeOut(db), run_time=0.5)
        # ---- ∂ℒ/∂W = A ⊗ δ
        self.next_section("kernel gradient")
        gk = tr.grad_kernel
        # δ slides over A as the window's kernel; W's gradient is its output
        win = self.window(gk, roles=dict(kernel="gradient", output="gradient"), names=("A", "δ"))
        a2, d2, gw = win.input, win.kernel, win.output
        names2 = VGroup(self.named(a2, A_, t.input), self.named(d2, D_, t.gradient),
                        self.named(gw, rf"\partial {L_} / \partial {W_}", t.gradient))
        # A and δ move whole onto the window's A and δ (alike: same numbers, cell and font), then the window
        # stands in for them; its ⊗ comes in for the forward one, its = and W's gradient after
        ghosts = [g.copy() for g in (a2, d2)]
        rest = reveal(VGroup(win.ops, gw))
        self.say("kernel", wait=False)
        self.carry([(a, ghosts[0]), (d, ghosts[1]), (names[0], names2[0])],
                   FadeOut(VGroup(w, plus_b, z, names[1:], *sym)))
        self.remove(*ghosts)
        self.add(win)
        self.play(PieceStep(win, rest), FadeIn(names2[1]), FadeIn(names2[2]), run_time=0.6)
        law = formula(grad(W_) + rf" = {A_} \otimes {D_}", t, font_size=40).move_to(PANEL_Y)
        self.say("kernel_law", wait=False)
        self.play(FadeIn(law), run_time=0.6)
        self.finish_line()
        self.play(FadeOut(law), run_time=0.4)
        self.say("kernel_slide", wait=False, s=self.params.stride)
        slide_window(self, win)
        self.play(FadeIn(law), run_time=0.6)
        self.say("kernel_done")
        # A stays for the derivation: it leaves the window, the rest of the window goes
        done = VGroup(win.ops, d2, gw)
        self.remove(win)
        self.add(a2, done)
        self.play(FadeOut(VGroup(done, names2[1:], law)), run_time=0.6)
        self.why_rot(a2, names2[0])
        self.grad_input_part()

    # ------------------------------------------------------------------ why rot(W)
    def why_rot(self, a2: NumberGrid, a_name) -> None:
        """One input cell a: the outputs it fed, the δ of each times the weight that connected them, added up;
        those weights, placed where their δ's are, read W back to front.

        Everything shown is read from the values: the forward windows, the scatter steps of ∂ℒ/∂A (which say
        which δ reached which cell through which weight), the kernel, δ and ∂ℒ/∂A itself."""
        t, v = self.theme, self.values
        gi, fwd = v.trace.grad_input, v.forward
        self.next_section("input gradient: why rot(W)")
        # the cell that fed the most outputs (first in reading order): its links, in the order of the δ's
        links = {}
        for step in gi.scatter:
            for m, (cell, inside) in enumerate(zip(step.cells, step.inside)):
                if inside:
                    links.setdefault(tuple(cell), []).append((step, m))
        most = max(len(found) for found in links.values())
        cell = min(c for c, found in links.items() if len(found) == most)
        fed = links[cell]
        windows = {tuple(s.out_pos): s.cells for s in fwd.steps}
        p = self.params.padding
        value = v.arrays["grad_input"][cell[0] - p][cell[1] - p]

        w = self.grid(v.arrays["kernel"], t.kernel)
        d = self.grid(v.delta, t.gradient)
        met = self.grid(np.full(np.shape(v.delta), np.nan), t.kernel, empty=True)
        place = a2.copy()
        VGroup(place, w, d, met).arrange(RIGHT, buff=0.75).move_to(ROW_Y)
        names = VGroup(self.named(w, W_, t.kernel), self.named(d, D_, t.gradient),
                       label(self.tr("the weight each δ met", "每个 δ 遇到的权重"), t, color=t.kernel
                             ).next_to(met, UP, buff=0.2))
        self.say("why_rot", wait=False)
        self.carry([(a2, place), (a_name, self.named(place, A_, t.input))])
        a2 = place
        mark = cells_box(a2, [cell], t.highlight, stroke_width=6)
        a_label = cached_text("a", font=FONT, font_size=34, color=t.highlight).next_to(a2, LEFT, buff=0.2)
        a_label.set_y(a2.cell(*cell).get_y())
        self.play(FadeIn(w), FadeIn(d), FadeIn(met), FadeIn(names), FadeIn(mark), FadeIn(a_label),
                  a2.cell(*cell).animate.set_fill(t.highlight, opacity=0.5), run_time=0.8)

        head = formula(grad("a") + " =", t, font_size=40)
        terms = []
        for n, (step, m) in enumerate(fed):
            wv = float(np.asarray(v.arrays["kernel"]).flat[m])
            term = VGroup(*([cached_text("+", font=MONO, font_size=30, color=t.text)] if n else []),
                          cached_text(fmt(step.value), font=MONO, font_size=30, color=t.gradient),
                          cached_text("×", font=MONO, font_size=30, color=t.text),
                          cached_text(f"({fmt(wv)})" if wv < 0 else fmt(wv), font=MONO, font_size=30,
                                      color=t.kernel)).arrange(RIGHT, buff=0.12)
            terms.append(term)
        result = cached_text(f"= {fmt(value)}", font=MONO, font_size=30, color=t.gradient)
        VGroup(head, *terms, result).arrange(RIGHT, buff=0.2).move_to(PANEL_Y)
        self.say("fed", wait=False)
        self.play(FadeIn(head), run_time=0.5)
        boxes = None
        for n, (step, m) in enumerate(fed):
            if n == 1:
                self.say("collect", wait=False)
            run = 0.8 if n < 2 else 0.5
            i, j = divmod(m, np.shape(v.arrays["kernel"])[1])
            new = VGroup(cells_box(a2, windows[tuple(step.in_pos)], t.highlight, stroke_width=3),
                         cells_box(w, [(i, j)], t.highlight), cells_box(d, [tuple(step.in_pos)], t.highlight))
            if boxes is None:
                self.play(FadeIn(new), run_time=run)
            else:
                self.play(FadeOut(boxes), FadeIn(new), run_time=run)
            boxes = new
            moved = w.number(i, j).copy()
            self.play(FadeIn(terms[n]), moved.animate.move_to(met.cell(*step.in_pos)), run_time=run)
            self.wait(0.3 if n < 2 else 0.1)
        self.play(FadeOut(boxes), FadeIn(result), run_time=0.6)
        self.say("total", value=fmt(value))
        cells = [tuple(s.in_pos) for s, _ in fed]
        patch = cells_box(met, cells, t.highlight)
        # with stride 1 the weights a met fill rot(W); with a larger stride they are some of its entries
        rot = formula(("= " if self.params.stride == 1 else r"\subset ") + ROT_W, t, font_size=40,
                      color=t.kernel).next_to(met, DOWN, buff=0.25)
        self.say("back_to_front", wait=False)
        self.play(FadeIn(patch), run_time=0.6)
        self.play(FadeIn(rot), run_time=0.6)
        self.say("rot")
        self.play(*(FadeOut(m) for m in self.mobjects if m not in (self.heading, self._caption)), run_time=0.6)
        self.a_cell = cell

    # ------------------------------------------------------------------ ∂ℒ/∂A = rot(W) ⊗̃ δ
    def grad_input_part(self) -> None:
        t, v = self.theme, self.values
        gi = v.trace.grad_input
        self.next_section("input gradient: rot(W)")
        # rot(W) slides over the padded δ as the window's kernel; A's gradient is its output
        win = self.window(gi.direct, roles=dict(input="gradient", output="gradient"), names=("δ", "rot(W)"),
                          zeros=gi.padding_mask | gi.inserted_mask)
        dp, wr, ga = win.input, win.kernel, win.output
        # the wide convolution's sign in place of the window's ⊗, as wide as it
        wide = formula(r"\tilde{\otimes}", t, font_size=44).scale_to_fit_width(win.ops[0].width).move_to(win.ops[0])
        win.ops[0].set_opacity(0.0)
        shows = {"kernel": reveal(wr), "input": reveal(dp), "rest": reveal(VGroup(win.ops[1], ga))}
        self.add(win)
        w = self.grid(v.arrays["kernel"], t.kernel).move_to(wr)
        d = self.grid(v.delta, t.gradient).move_to(dp)
        nw = self.named(wr, W_, t.kernel)
        self.say("rotate", wait=False)
        self.play(FadeIn(w), FadeIn(nw), run_time=0.6)
        # turned by 180°: each weight travels half a circle round the kernel's centre to the opposite place,
        # upright (whole numbers move; none morphs); the grid then shows rot(W) exactly
        centre = w.get_center()
        self.play(*(num.animate(path_arc=PI).move_to(2 * centre - num.get_center()) for num in w.numbers),
                  run_time=1.5)
        self.remove(w)
        shows["kernel"].begin()  # the window's rot(W), alike, in its place at once
        shows["kernel"].finish()
        nwr = self.named(wr, ROT_W, t.kernel)
        self.play(FadeOut(nw), run_time=0.3)
        self.play(FadeIn(nwr), run_time=0.5)
        self.next_section("input gradient: pad δ")
        nd = self.named(dp, D_, t.gradient)
        self.say("pad", wait=False)
        self.play(FadeIn(d), FadeIn(nd), run_time=0.6)
        if self.params.stride == 1:  # δ sits on the padded grid's inner cells: the zeros fade in around it
            self.play(FadeOut(d), PieceStep(win, shows["input"]), run_time=1.0)
        else:  # zeros go between δ's values too: one grid out, the other in
            self.play(FadeOut(d), run_time=0.5)
            self.play(PieceStep(win, shows["input"]), run_time=0.8)
        self.say("pad_stride", s=self.params.stride)
        name_ga = self.named(ga, rf"\partial {L_} / \partial {A_}", t.gradient)
        self.play(PieceStep(win, shows["rest"]), FadeIn(wide), FadeIn(name_ga), run_time=0.6)
        law = formula(grad(A_) + rf" = {ROT_W} \,\tilde{{\otimes}}\, {D_}", t, font_size=40).move_to(PANEL_Y)
        self.say("slide", wait=False)
        self.play(FadeIn(law), run_time=0.6)
        self.finish_line()
        self.play(FadeOut(law), run_time=0.4)
        slide_window(self, win)
        p = self.params.padding
        cell = (self.a_cell[0] - p, self.a_cell[1] - p)
        check = cells_box(ga, [cell], t.highlight, stroke_width=6)
        self.play(FadeIn(check), run_time=0.6)
        self.say("check", value=fmt(v.arrays["grad_input"][cell[0]][cell[1]]))
        self.play(FadeOut(check), run_time=0.4)
        self.next_section("summary")
        summary = VGroup(*(legible_formula(tex, t, font_size=41) for tex in (  # a fraction's parts 16 px at 480p
            grad("b") + r" = {\textstyle\sum_{i,j}}\, \delta_{ij}",  # (a Σ of text size: as tall as its neighbours)
            grad(W_) + rf" = {A_} \otimes {D_}",
            grad(A_) + rf" = {ROT_W} \,\tilde{{\otimes}}\, {D_}"))
        ).arrange(RIGHT, buff=0.8).move_to(SUMMARY_Y)
        self.play(FadeIn(summary), run_time=0.8)
        self.say("summary")
