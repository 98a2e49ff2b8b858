"""What the kit's stepping pieces share: one animation per step, texts that swap by fading, fitting the frame.

:class:`~scenes.kit.SlidingWindow` set the pattern; :class:`~scenes.kit.ScatterWindow`,
:class:`~scenes.kit.RoutingWindow` and :class:`~scenes.kit.ChannelSum` follow it through :class:`StepPiece`:
built from a trace of :mod:`cnnviz`, keyword options with defaults, :meth:`StepPiece.steps` yielding one
:class:`PieceStep` per step (a ``Succession`` whose mobject is the whole piece), and the working of a step
(its panel) fading in, then out at the next step. Nothing here computes a number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manim import ORIGIN, Animation, AnimationGroup, Mobject, Succession, Text, VGroup, VMobject

from cnnviz.theme import Theme

from .fades import conceal, reveal
from .grid import NumberGrid
from .style import FONT, TextBuilder, safe_size

__all__ = ["PieceStep", "StepPiece"]

#: kept free inside the safe area on each side, for the strokes' half width and antialiasing (scene units)
STROKE_ROOM = 0.05


class PieceStep(Succession):
    """One step of a kit piece: a ``Succession`` whose mobject is the whole piece, which the scene already
    holds (an ``AnimationGroup``'s mobject would be a new group, and adding it would take the piece apart).

    Examples
    --------
    >>> from manim import Square, VGroup
    >>> from scenes.kit import reveal
    >>> piece = VGroup(Square())
    >>> step = PieceStep(piece, reveal(piece[0], run_time=0.5))
    >>> step.mobject is piece, float(step.run_time)
    (True, 0.5)
    """

    def __init__(self, piece: Mobject, *animations: Animation, **kwargs: Any) -> None:
        super().__init__(*animations, **kwargs)
        self.mobject = piece


class StepPiece(VGroup):
    """Base of a piece that plays a trace step by step (subclasses draw; this paces and fades).

    A subclass builds its mobjects, sets :attr:`reference` (a grid whose cells tell how much the piece was
    scaled since it was built) and implements :attr:`n_steps` and :meth:`step`. What a step shows only
    until the next one goes into :attr:`transients` through :meth:`show`.

    Parameters
    ----------
    theme
        Colours by role (``None``: :meth:`Theme.dark`).
    text
        The builder of every text (``None``: ``manim.Text``).
    detailed
        How many steps show their working (``None``: every step); the later ones only move and fill in.
    run_time, fast_run_time
        Seconds of a detailed step and of a later one.
    digits
        Decimals numbers are rounded to.
    """

    def __init__(self, *, theme: Theme | None = None, text: TextBuilder | None = None, detailed: int | None = None,
                 run_time: float = 2.0, fast_run_time: float = 0.6, digits: int = 2) -> None:
        super().__init__()
        if detailed is not None and detailed < 0:
            raise ValueError(f"detailed must be None or >= 0, got {detailed}")
        self.theme = theme or Theme.dark()
        self.text_builder: TextBuilder = text or Text
        self.detailed, self.run_time, self.fast_run_time, self.digits = detailed, run_time, fast_run_time, digits
        self.transients = VGroup()
        self._concealed: list[VMobject] = []
        self._retired: list[tuple[VGroup, VMobject]] = []  # (group, member) to take out at the next step
        self._done = False
        self.reference: NumberGrid | None = None

    # ----------------------------------------------------------------- for subclasses
    def _t(self, s: str, size: float, color: str, *, font: str = FONT) -> Text:
        return self.text_builder(s, font=font, font_size=size, color=color)

    def is_detailed(self, n: int) -> bool:
        """Whether step ``n`` shows its working."""
        return self.detailed is None or n < self.detailed

    def _scale_now(self) -> float:
        """How much the piece was scaled since it was built (a teacher may scale it)."""
        ref = self.reference
        return 1.0 if ref is None else float(ref.cell(0, 0).width / ref.cell_size)

    def _fit(self, fit: bool) -> None:
        """Scale down to the frame less 5 % on each side (and the strokes' room) if ``fit``; centre."""
        if fit:
            sw, sh = safe_size()
            s = min(1.0, (sw - 2 * STROKE_ROOM) / self.width, (sh - 2 * STROKE_ROOM) / self.height)
            if s < 1:
                self.scale(s)
        self.move_to(ORIGIN)

    def show(self, mobject: VMobject, **kwargs: Any) -> Animation:
        """Add ``mobject`` to the transients (faded out at the next step) and return its fade-in."""
        self.transients.add(mobject)
        return reveal(mobject, **kwargs)

    def retire(self, group: VGroup, member: VMobject, **kwargs: Any) -> Animation:
        """The fade-out of ``member`` of ``group``; it is taken out of the group at the next step."""
        self._retired.append((group, member))
        return conceal(member, **kwargs)

    def conceal_transients(self, **kwargs: Any) -> list[Animation]:
        """Fade-outs of the transients still visible (each concealed once)."""
        out = []
        for old in list(self.transients):
            if old not in self._concealed:
                out.append(conceal(old, **kwargs))
                self._concealed.append(old)
        return out

    def _tidy(self) -> None:
        for mob in self._concealed:
            self.transients.remove(mob)
        self._concealed = []
        for group, member in self._retired:
            group.remove(member)
        self._retired = []

    def group_step(self, *phases: list[Animation] | Animation | None, times: list[float]) -> PieceStep:
        """A :class:`PieceStep` of ``phases`` one after the other, phase ``k`` taking ``times[k]`` seconds
        (a phase: an animation or a list played together; empty ones are left out)."""
        parts = []
        for phase, seconds in zip(phases, times):
            anims = [a for a in (phase if isinstance(phase, list) else [phase]) if a is not None]
            if anims:
                parts.append(AnimationGroup(*anims, run_time=seconds))
        if not parts:  # nothing to show: still one animation, of the step's length
            parts.append(AnimationGroup(conceal(VGroup()), run_time=sum(times)))
        return PieceStep(self, *parts)

    # ----------------------------------------------------------------- the steps
    @property
    def n_steps(self) -> int:  # pragma: no cover - every piece overrides it
        raise NotImplementedError

    def step(self, n: int) -> PieceStep:  # pragma: no cover - every piece overrides it
        raise NotImplementedError

    def steps(self) -> Iterator[PieceStep]:
        """One animation per step, in the trace's order; play each before taking the next. A second call
        yields nothing."""
        if self._done:
            return
        self._done = True
        for n in range(self.n_steps):
            self._tidy()
            yield self.step(n)
        self._tidy()

    def finish_extras(self) -> list[Animation]:
        """What :meth:`conclude` adds besides fading out the step's marks (e.g. cells no step filled)."""
        return []

    def marks(self) -> list[VMobject]:
        """The outlines that follow the steps (faded out by :meth:`conclude`)."""
        return []

    def conclude(self, **kwargs: Any) -> PieceStep:
        """The animation that fades out the outlines and the last step's working, leaving the results."""
        anims: list[Animation] = [conceal(m) for m in self.marks()]
        anims += self.conceal_transients()
        anims += self.finish_extras()
        return PieceStep(self, AnimationGroup(*anims), **kwargs)
