"""What the command line shows while it works: rich consoles, progress bars and tables.

* :class:`SceneProgress`: ``render``'s bar (scenes done/total, elapsed, ETA, the scenes in flight) and one
  line per finished scene.
* :class:`TaskProgress`: a course's bar in chunks (tasks done/total, elapsed, ETA) and a line each tenth.
* :func:`summary_table`: ``render``'s table of results (scene, seconds, cache hit/miss, output).
* :func:`layout_warnings`: one line per clip whose frames broke the layout rules (``<id>.json``'s ``layout``).
* :func:`scene_table`: ``list`` on a terminal.
* :class:`TrainProgress`: training's bars (epochs, and the batches of the epoch with loss and accuracy)
  and its two lines per epoch.

On a terminal the bars are live (rich redraws them on a thread of its own, a few times a second) and vanish
when the work ends, leaving the lines and tables. Anywhere else (a pipe, a log file, CI, click's test
runner) rich draws no bars and writes no control codes: what is left is the plain lines, one per event,
never wrapped, so that a log stays readable and greppable.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

from rich import box
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Column, Table
from rich.text import Text

if TYPE_CHECKING:
    from .pipeline import RenderResult
    from .registry import SceneSpec

__all__ = ["SceneProgress", "TaskProgress", "TrainProgress", "err_console", "out_console", "layout_warnings", "scene_table", "summary_table"]

#: Where output is no terminal, lines and tables are laid out this wide (never wrapped at rich's default 80).
UNWRAPPED_WIDTH = 4096
#: Redraws per second of a live bar (on rich's own thread, never in the caller's loop).
REFRESH_PER_SECOND = 4

_STATE_STYLE = {"ok": "green", "cached": "dim", "FAILED": "bold red"}


def _console(**kwargs: Any) -> Console:
    """A console that shows text as given: no markup (``[1/3]``, a path with brackets), no emoji codes, no
    colouring of numbers; where there is no terminal, no wrapping at 80 columns either."""
    con = Console(markup=False, emoji=False, highlight=False, **kwargs)
    if not con.is_terminal:
        con.width = UNWRAPPED_WIDTH
    return con


def err_console(file: IO[str] | None = None) -> Console:
    """A console on ``file``, by default stderr (looked up at each write, as ``click.echo(err=True)`` does)."""
    return _console(file=file) if file is not None else _console(stderr=True)


def out_console() -> Console:
    """A console on stdout (looked up at each write, as ``click.echo`` does)."""
    return _console()


def _is_live(console: Console) -> bool:
    """Whether ``console`` shows a live display (rich's own test: a terminal, and not a dumb one)."""
    return console.is_terminal and not console.is_dumb_terminal


_D = TypeVar("_D", bound="_LiveDisplay")


class _LiveDisplay:
    """A context manager around ``self._progress``, started only where it is live: elsewhere it would draw
    nothing, yet its stop would write an empty line."""

    _progress: Progress

    def __enter__(self: _D) -> _D:
        if _is_live(self._progress.console):
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress.live.is_started:
            self._progress.stop()

    def refresh(self) -> None:
        """Redraw now (on a terminal rich's thread does it on its own, :data:`REFRESH_PER_SECOND` times a
        second; elsewhere nothing is drawn)."""
        self._progress.refresh()


def _clock(seconds: float) -> str:
    """``seconds`` as rich's elapsed column shows time: ``H:MM:SS``."""
    s = max(0, int(math.ceil(seconds)))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class _EtaColumn(ProgressColumn):
    """Counts down from the estimate made when the last scene finished (field ``eta_at``: a
    ``time.perf_counter()`` deadline, or None before there is one)."""

    def render(self, task: Task) -> Text:
        eta_at = task.fields.get("eta_at")
        if task.finished:
            left = "0:00:00"
        elif eta_at is None:
            left = "-:--:--"
        else:
            left = _clock(eta_at - time.perf_counter())
        return Text(f"ETA {left}", style="progress.remaining")


class SceneProgress(_LiveDisplay):
    """``render``'s progress on stderr: a live bar and one line per finished scene.

    The bar shows scenes done/total, the time elapsed, the estimated time left and the scenes in flight;
    the line (``[2/5] conv2d  ok  4.2 s  elapsed 9 s, ETA 12 s``) stays in the terminal and is all a
    log gets. Use as a context manager around the render; :meth:`scene_done` may be called from any thread
    (rich's progress and console take their own locks).

    Parameters
    ----------
    order
        The scene ids in the order the pipeline starts them (:func:`cnnviz.pipeline.longest_first`).
    jobs
        How many render at once; with ``order`` this tells which scenes are in flight.
    console
        Where to draw; default :func:`err_console`.
    """

    def __init__(self, order: Sequence[str], jobs: int, *, console: Console | None = None) -> None:
        self.order = list(order)
        self.jobs = max(1, jobs)  # as the pipeline's pool: at least one worker
        self.console = console if console is not None else err_console()
        self.started = time.perf_counter()
        self._finished: set[str] = set()
        self._progress = Progress(
            TextColumn("scenes"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
            _EtaColumn(), TextColumn("{task.fields[running]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
            console=self.console, transient=True, auto_refresh=_is_live(self.console),
            refresh_per_second=REFRESH_PER_SECOND)
        self._task = self._progress.add_task("scenes", total=len(self.order), running=self._running(), eta_at=None)

    @property
    def elapsed(self) -> float:
        """Seconds since the progress was made."""
        return time.perf_counter() - self.started

    def _running(self) -> str:
        # the pool's workers take the scenes in order, one as another finishes: after k finished, the first
        # k + jobs have started
        started = self.order[:len(self._finished) + self.jobs]
        running = [i for i in started if i not in self._finished]
        return f"rendering {', '.join(running)}" if running else ""

    def scene_done(self, scene: str, state: str, seconds: float, done: int, total: int, eta: float) -> None:
        """Report ``scene`` finished: ``state`` ``ok``, ``cached`` or ``FAILED`` after ``seconds``, the
        ``done``-th of ``total``, with ``eta`` seconds estimated left."""
        self._finished.add(scene)
        elapsed = self.elapsed
        line = Text.assemble(f"[{done}/{total}] {scene:<20} ", (f"{state:<7}", _STATE_STYLE.get(state, "")),
                             f" {seconds:6.1f} s   elapsed {elapsed:5.0f} s, ETA {eta:4.0f} s")
        self.console.print(line, soft_wrap=True)
        self._progress.update(self._task, completed=done, total=total, running=self._running(),
                              eta_at=time.perf_counter() + eta)

class TaskProgress(_LiveDisplay):
    """A task graph's progress on stderr (``course --cluster``): plans and chunks done of those known so far
    (a scene's chunks become known when its plan arrives), elapsed, and the time left at the rate so far; a
    plain line at each tenth of the way (all a log gets) and for each message (a worker lost)."""

    def __init__(self, *, console: Console | None = None) -> None:
        self.console = console if console is not None else err_console()
        self.started = time.perf_counter()
        self._tenth = -1
        self._progress = Progress(
            TextColumn("chunks"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
            _EtaColumn(), console=self.console, transient=True, auto_refresh=_is_live(self.console),
            refresh_per_second=REFRESH_PER_SECOND)
        self._task = self._progress.add_task("chunks", total=None, eta_at=None)

    def update(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (total - done) if done else None
        self._progress.update(self._task, completed=done, total=total,
                              eta_at=None if eta is None else time.perf_counter() + eta)
        tenth = int(10 * done / total) if total else 0
        if tenth > self._tenth:
            self._tenth = tenth
            left = "" if eta is None else f", ETA {eta:4.0f} s"
            self.console.print(f"[{done}/{total}] tasks done   elapsed {elapsed:5.0f} s{left}", soft_wrap=True,
                               highlight=False)

    def say(self, message: str) -> None:
        self.console.print(message, soft_wrap=True, highlight=False)


def summary_table(results: Iterable[RenderResult]) -> Table:
    """The results as a table: scene, seconds, cache (``hit``/``miss``), output (the clip, or ``FAILED``)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("scene", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("cache", no_wrap=True)
    table.add_column("output", overflow="fold")
    for r in results:
        output = Text(str(r.clip)) if r.ok else Text("FAILED", style=_STATE_STYLE["FAILED"])
        table.add_row(r.scene, f"{r.seconds:.1f}", Text("hit", style="dim") if r.cached else "miss", output)
    return table


#: how layout_check's kinds read in a warning
_LAYOUT_KINDS = {"outside safe area": "within 5 % of the frame's edge", "small text": "text under 16 px at 480p",
                 "small formula glyph": "a formula glyph under 16 px at 480p",
                 "number crowds its cell": "a number under 2.5 px from its cell's outline at 480p"}


def layout_warnings(results: Iterable[RenderResult]) -> list[str]:
    """One line per rendered clip whose frames broke the layout rules (the scene's layout_check, kept in
    ``<id>.json`` under ``layout``): how many problems, the first of each kind with its time, and where to read
    them all. The default lecture keeps the rules (its tests hold them); a lecture file's larger parameters can
    draw smaller, and the clip is still written: this says so rather than leaving it to be found by eye."""
    lines = []
    for r in results:
        if not r.ok or r.clip is None:
            continue
        doc_path = r.clip.parent / f"{r.scene}.json"
        try:
            problems = json.loads(doc_path.read_text(encoding="utf-8")).get("layout") or []
        except (OSError, ValueError):
            continue
        if not problems:
            continue
        first: dict[str, dict] = {}
        for p in problems:
            first.setdefault(p.get("kind", "?"), p)
        seen = "; ".join(f"{_LAYOUT_KINDS.get(k, k)} ({p.get('what', '')!r} at {p.get('t', 0):.1f} s"
                         + (f", {p['px']} px" if "px" in p else "") + ")" for k, p in first.items())
        lines.append(f"warning: {r.scene}: {len(problems)} layout problem(s): {seen}. Smaller parameters "
                         f"draw larger; all of them in {doc_path}, key \"layout\".")
    return lines


def scene_table(scenes: Iterable[SceneSpec]) -> Table:
    """The scenes as a table: id, title, summary."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("summary", style="dim")
    for s in scenes:
        table.add_row(s.id, s.title_en, s.summary)
    return table


class TrainProgress(_LiveDisplay):
    """Training's progress: an epoch bar (done/total) over a bar of the epoch's batches with the running loss
    and accuracy, and the lines a log keeps (``Epoch 2/5``, then the epoch's summary).

    The training loop asks :meth:`due` every step (one clock read) and calls :meth:`draw` only when it
    answers yes, at most every ``interval`` seconds: reading the running sums is a device sync, so the loop
    decides when to pay for it. Drawing itself is rich's, on its own thread. Where nothing is live (no
    terminal), :meth:`due` never answers yes.

    Parameters
    ----------
    epochs
        Epochs of the run (the epoch bar's total).
    steps
        Batches per epoch.
    done
        Epochs already done (a resumed run).
    file
        Where to draw; default stderr. Ignored when ``console`` is given.
    interval
        Seconds between redraws; default 1 / :data:`REFRESH_PER_SECOND` on a terminal, else never.
    console
        The console to draw on (tests force a terminal with one).
    """

    def __init__(self, epochs: int, steps: int, *, done: int = 0, file: IO[str] | None = None,
                 interval: float | None = None, console: Console | None = None) -> None:
        self.console = console if console is not None else err_console(file)
        live = _is_live(self.console)
        self.steps = steps
        self.interval = interval if interval is not None else (1 / REFRESH_PER_SECOND if live else math.inf)
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[metrics]}"),
            console=self.console, transient=True, auto_refresh=live, refresh_per_second=REFRESH_PER_SECOND)
        self._epochs = self._progress.add_task("epoch", total=epochs, completed=done, metrics="")
        self._batches = self._progress.add_task("batch", total=steps, metrics="")
        self.start = time.perf_counter()
        self._next = self.start + self.interval

    def print(self, line: str) -> None:
        """``line`` above the bars (and into a log), as written."""
        self.console.print(line, soft_wrap=True)

    def begin_epoch(self) -> None:
        """Start the batch bar (and the clock of :meth:`due`) afresh."""
        self._progress.reset(self._batches, total=self.steps, metrics="")
        self.start = time.perf_counter()
        self._next = self.start + self.interval

    def due(self) -> bool:
        """Whether a redraw is due; cheap enough to call every step."""
        return time.perf_counter() >= self._next

    def draw(self, step: int, metrics: Mapping[str, float]) -> None:
        """Show ``step`` batches done with ``metrics`` (name → value)."""
        now = time.perf_counter()
        rate = step / max(now - self.start, 1e-9)
        shown = "".join(f" - {k}: {v:.4f}" for k, v in metrics.items())
        self._progress.update(self._batches, completed=step, metrics=f"{rate:6.1f} steps/s{shown}")
        self._next = now + self.interval

    def end_epoch(self, line: str, note: str = "") -> None:
        """Print the epoch's summary ``line`` and count the epoch done; ``note`` goes on the epoch bar."""
        self.print(line)
        self._progress.update(self._batches, completed=self.steps)
        self._progress.update(self._epochs, advance=1, metrics=note)

