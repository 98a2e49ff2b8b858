"""Backprop through pooling: up(δ) — max pooling routes δ to each window's argmax, mean pooling spreads it.

Render alone with ``manim -ql scenes/backprop_pool.py BackpropThroughPooling``.
"""

from __future__ import annotations

from manim import RIGHT, UP, FadeIn, FadeOut, VGroup

from cnnviz.values import fmt

from scenes.common import LectureScene, cached_text, formula, label, legible_formula
from scenes.kit import PieceStep, RoutingWindow, conceal, reveal

__all__ = ["BackpropThroughPooling"]

LAW_LOWEST = -2.9  # the law's lowest bottom: clear of a caption's top (one line, about -3.2)

#: the grids' top (scene units): the formulas naming them fit between it and the title
TOP_Y = 2.42
#: the largest cell: the panel of a step's working stays above a one-line caption, and a four-character
#: share ("0.25") at the kit's 0.75 of a cell still 16 px tall at 480p
CELL = 0.93
NAMES = {"max": ("max pooling", "最大池化"), "avg": ("mean pooling", "平均池化")}
# R_k: the k-th pooling window
LAWS = {"max": r"\mathrm{up}(\delta)_{ij} = \sum_{k:\ (i,j) = \arg\max_{R_k} A} \delta_k",
        "avg": r"\mathrm{up}(\delta)_{ij} = \sum_{k:\ (i,j) \in R_k} \frac{\delta_k}{|R_k|}"}


class BackpropThroughPooling(LectureScene):
    """δ of the pooled layer, upsampled to the layer below, window by window, for both modes (the kit's
    routing window, one per mode, in the same place)."""

    scene_id = "backprop_pool"
    detailed_steps = 2

    def routing(self, mv) -> RoutingWindow:
        """The mode's routing window, its grids named by formulas (the scene's) rather than texts."""
        x = self.values.arrays["input"]
        cell = min(CELL, 3.72 / max(x.shape))
        piece = RoutingWindow(mv, theme=self.theme, text=cached_text, cell=cell, labels=False, fit=False,
                              detailed=self.detailed_steps, run_time=2.2, fast_run_time=0.6)
        return piece.shift(RIGHT * -piece.body.get_x() + UP * (TOP_Y - piece.body.get_top()[1]))

    def play_scene(self) -> None:
        t, v = self.theme, self.values
        piece = self.routing(v.modes[0])
        self.names = VGroup(formula("A", t, font_size=40, color=t.input).next_to(piece.input, UP, buff=0.15),
                            formula(r"\delta", t, font_size=40, color=t.gradient).next_to(piece.delta, UP,
                                                                                           buff=0.12))
        self.next_section("setup")
        shows = {part: reveal(getattr(piece, part)) for part in ("input", "output", "delta", "grad")}  # hidden
        self.add(piece)
        self.play(PieceStep(piece, shows["input"]), FadeIn(self.names[0]), run_time=0.8)
        for mv in v.modes:
            if mv is not v.modes[0]:  # the next mode's piece: A and δ exactly as on screen, the rest hidden
                previous, piece = piece, self.routing(mv)
                shows = {part: reveal(getattr(piece, part)) for part in ("output", "grad")}
                self.remove(previous)
                self.add(piece)
            self.show_mode(mv, piece, shows)

    def show_mode(self, mv, piece: RoutingWindow, shows: dict) -> None:
        t, first = self.theme, mv is self.values.modes[0]
        name = NAMES[mv.mode][0]
        self.next_section(name)
        head = label(self.tr(*NAMES[mv.mode]), t, font_size=26).next_to(piece.output, UP, buff=0.12)
        # 42 and 38: the formulas' subscripts 16 px tall at 480p
        gname = formula(r"\partial L / \partial A = \mathrm{up}(\delta)", t, font_size=42,
                        color=t.gradient).next_to(piece.grad, UP, buff=0.15)
        self.play(PieceStep(piece, shows["output"]), FadeIn(head), run_time=0.8)
        self.say(f"forward_{mv.mode}")
        if first:
            self.play(PieceStep(piece, shows["delta"]), FadeIn(self.names[1]), run_time=0.6)
            self.say("delta")
        self.play(PieceStep(piece, shows["grad"]), FadeIn(gname), run_time=0.6)
        if not first:  # without it the forward caption would stay up over the backward steps
            self.say("delta_again")
        self.next_section(f"{name}: windows")
        for n, step in enumerate(piece.steps()):
            if 0 < n <= self.detailed_steps:
                self.next_section(f"{name}: window {n + 1}")
            self.play(step)
            if n < self.detailed_steps:
                self.wait(0.5)
            if n == 0:  # what the first window did, in its own numbers
                first = mv.steps[0]
                if mv.mode == "max":
                    self.say("window_max", delta=fmt(first.delta), value=fmt(self.values.arrays["input"][first.chosen]))
                else:
                    self.say("window_avg", delta=fmt(first.delta), cells=first.divisor,
                             share=fmt(first.shares.flat[0]))
        self.play(piece.conclude(), run_time=0.6)  # (cells no window covered get their 0)
        self.next_section(f"{name}: rule")
        law = legible_formula(LAWS[mv.mode], t, font_size=38).move_to(piece.panel_area)
        if law.get_bottom()[1] < LAW_LOWEST:  # a tall law (the mean's sum and fraction): clear of the caption
            law.shift(UP * (LAW_LOWEST - law.get_bottom()[1]))
        self.play(FadeIn(law), run_time=0.6)
        self.say(f"rule_{mv.mode}")
        if mv is not self.values.modes[-1]:
            self.play(PieceStep(piece, conceal(piece.output), conceal(piece.grad)), FadeOut(VGroup(head, gname, law)),
                      run_time=0.6)
