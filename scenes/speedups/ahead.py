"""A scene's first render on a machine: its texts and formulas built ahead in a helper process.

On a machine's first render of a scene, every distinct text is laid out by Pango into an SVG, parsed and
turned into glyphs (a number ~10 ms, a caption ~75 ms), every formula typeset by ``latex`` and
``dvisvgm`` (~0.2 s) and parsed (~50 ms); ``error_flow`` shows about 140 texts and 24 formulas. Later
renders load them from the disk cache (:func:`scenes.speedups.drawing.cached_text`, ``cached_formula``). What a scene
shows is only known once its code runs, so a first render used to pay these one after the other, on the
scene's one core.

``cnnviz/assets/typeset-ahead.json`` lists, per scene, the texts and formulas (with their options) the default
lecture shows, in order of first use, gathered from the ``<id>.json`` of a render
(``python -m scenes.speedups.ahead OUT_DIR``; ``LectureScene`` writes the list there as ``typeset``). It is
only a hint: where something is not listed or differs (another language, theme or config), the scene
builds it as always.

:func:`build_ahead` forks a helper process (the other core; Manim already imported, so it starts at once;
its own interpreter from then on, so no lock is shared but the board's) that builds the listed ones not on disk
yet, each into the cache the scene reads (``built/<key>.pkl``, written whole). The two share a board (shared
memory, one lock): who builds which entry, and how far the scene has come. The helper takes the first free
entry past the one after the scene's latest (so during a burst of new texts the two build alternate ones, and
while the scene draws the helper gets ahead of it); the scene builds a free entry itself, loads a built one
and waits for one the helper is building (less than building it again). Pango's SVGs and LaTeX's files go to
folders of the helper's own: Manim would read an SVG the helper is still writing, and deletes LaTeX's other
files after each formula. First of all the helper typesets every listed formula in one LaTeX run
(:func:`scenes.speedups.latex.typeset_together`: error_flow's 26 in 0.2 s rather than 4 s of one run each) and
puts each SVG, whole, where the scene's MathTex and its own look first.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from manim import config

from cnnviz import registry
from cnnviz.paths import ASSETS, atomic_write
from scenes.speedups import drawing
from scenes.speedups.drawing import _key, _stored, built_path
from scenes.speedups.latex import typeset_together

__all__ = ["REFERENCE", "build_ahead", "reference_spoken", "reference_typeset", "stop_building_ahead", "write_reference"]

ROOT = registry.ROOT
REFERENCE = ASSETS / "typeset-ahead.json"
KINDS = ("text", "tex")

_helper: _Helper | None = None
_board: _Board | None = None


def reference_typeset(scene_id: str, path: Path = REFERENCE) -> list[tuple[str, str, dict[str, Any]]]:
    """``(kind, text, options)`` of what ``scene_id`` showed in the reference render, in order of first use
    (kind ``"text"`` or ``"tex"``); ``[]`` if unknown or unreadable."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))["typeset"].get(scene_id, [])
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return []
    if not isinstance(found, list):
        return []
    return [(e[0], e[1], e[2]) for e in found if isinstance(e, list) and len(e) == 3 and e[0] in KINDS
            and isinstance(e[1], str) and isinstance(e[2], dict)]


def reference_spoken(scene_id: str, language: str, path: Path = REFERENCE) -> list[str]:
    """The lines ``scene_id`` spoke in the reference render, in order, if it was rendered in ``language``
    (``[]`` otherwise, or if unknown or unreadable): what :func:`cnnviz.narration.speak_ahead` is given."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))["spoken"].get(scene_id, {})
        lines = found["lines"] if found.get("language") == language else []
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return []
    return [line for line in lines if isinstance(line, str)] if isinstance(lines, list) else []


def write_reference(json_dir: Path, path: Path = REFERENCE) -> None:
    """Gather the ``typeset`` list and the spoken lines of every scene's ``<id>.json`` in ``json_dir`` into
    ``path``."""
    typeset, spoken = {}, {}
    for doc in sorted(json_dir.glob("*.json")):
        data = json.loads(doc.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("scene"), str) and isinstance(data.get("typeset"), list):
            typeset[data["scene"]] = data["typeset"]
            if isinstance(data.get("narration"), list) and isinstance(data.get("language"), str):
                spoken[data["scene"]] = {"language": data["language"],
                                         "lines": [line["text"] for line in data["narration"]]}
    about = ("What each scene of the default lecture typesets, in order of first use: texts and formulas (LaTeX), "
             "with their options, and the lines it speaks, gathered from the <id>.json of a render "
             "(python -m scenes.speedups.ahead OUT_DIR). Only a hint: a scene's first render on a machine builds "
             "these texts and formulas ahead on the other core and has espeak-ng speak its lines on a thread; "
             "anything not listed is made when needed, as always.")
    text = json.dumps({"about": about, "typeset": typeset, "spoken": spoken}, indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def _option_key(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return _key(dict(options))  # the scene's own key (on a copy: _key normalises the colour in place)


class _Helper:
    """A forked child building ahead; ``poll()`` and ``wait()`` as a ``Popen`` has them."""

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float = 10.0) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.returncode


class _Board:
    """Who builds which entry, shared by the scene and its forked helper (made before the fork).

    An entry is free, the helper's, the scene's, or done (built by the helper, or failed there: the scene then
    builds it, and reports what is wrong). ``cursor`` is one past the entry the scene asked for last.
    """

    FREE, HELPER, SCENE, DONE = 0, 1, 2, 3

    def __init__(self, entries: list[list[Any]]) -> None:
        self.entries = entries
        self.index = {(k, t, _option_key(o)): i for i, (k, t, o) in reversed(list(enumerate(entries)))}
        self.lock = multiprocessing.Lock()
        self.state = multiprocessing.RawArray("b", len(entries))
        self.cursor = multiprocessing.RawValue("i", 0)

    def take_next(self) -> int | None:
        """The helper's next entry: the first free one past the scene's next, else the first free one."""
        with self.lock:
            state, start = self.state, min(self.cursor.value + 1, len(self.entries))
            for i in (*range(start, len(self.entries)), *range(start)):
                if state[i] == self.FREE:
                    state[i] = self.HELPER
                    return i
        return None

    def done(self, i: int) -> None:
        self.state[i] = self.DONE  # one byte, written by its one owner: no lock needed

    def ask(self, kind: str, text: str, key: tuple[tuple[str, Any], ...]) -> None:
        """The scene asks for an entry: it is the scene's if free; if the helper is building it, wait."""
        i = self.index.get((kind, text, key))
        if i is None:
            return
        if not self.lock.acquire(timeout=1.0):  # the helper died holding it: build alone
            drawing.ask_ahead_first(None)
            return
        try:
            self.cursor.value = max(self.cursor.value, i + 1)
            if self.state[i] == self.FREE:
                self.state[i] = self.SCENE
                return
        finally:
            self.lock.release()
        while self.state[i] == self.HELPER and _helper is not None and _helper.poll() is None:
            time.sleep(0.002)


def build_ahead(typeset: list[tuple[str, str, dict[str, Any]]]) -> bool:
    """Start the helper on the entries of ``typeset`` not built on disk yet (none: no helper); ``True`` if it
    started and will typeset formulas (then no LaTeX format need be built ahead for them).

    The helper is a fork of the scene's process: Manim is imported already, so it starts at once.
    """
    stop_building_ahead()
    missing = [[k, t, o] for k, t, o in typeset if not built_path(k, t, _option_key(o)).exists()]
    if not missing:
        return False
    global _helper, _board
    built_dir = config.get_dir("text_dir") / "built"
    try:
        board = _Board(missing)
        pid = os.fork()
    except OSError:  # no helper: the scene builds everything itself, as always
        return False
    if pid == 0:  # the helper; it never returns into the scene's code
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            drawing.ask_ahead_first(None)
            _build(built_dir, board)
        finally:
            os._exit(0)
    _helper, _board = _Helper(pid), board
    drawing.ask_ahead_first(board.ask)
    return any(kind == "tex" for kind, _, _ in missing)


def stop_building_ahead() -> None:
    """Stop the helper after the file it is writing (every file it leaves is whole)."""
    global _helper, _board
    drawing.ask_ahead_first(None)
    _board = None
    if _helper is None:
        return
    if _helper.poll() is None:
        os.kill(_helper.pid, signal.SIGTERM)
        if _helper.wait(timeout=10) is None:
            os.kill(_helper.pid, signal.SIGKILL)
            os.waitpid(_helper.pid, 0)
    _helper = None


class _Recorded(Exception):
    """Raised by :func:`formula_code`'s stand-in for ``tex_to_svg_file``, with the file MathTex asked for."""


def formula_code(text: str, options: dict[str, Any]) -> str | None:
    """The ``.tex`` file ``MathTex(text, **options)`` would have LaTeX compile (``None`` if it cannot be had:
    the options are wrong, which the scene reports when it builds it)."""
    from manim.mobject.text import tex_mobject

    def record(expression: str, environment: str | None = None, tex_template: Any = None) -> Any:
        template = tex_template or config["tex_template"]
        raise _Recorded(template.get_texcode_for_expression_in_env(expression, environment) if environment
                        else template.get_texcode_for_expression(expression))

    manim_tex_to_svg_file, tex_mobject.tex_to_svg_file = tex_mobject.tex_to_svg_file, record
    try:
        tex_mobject.MathTex(text, **options)
    except _Recorded as recorded:
        return str(recorded.args[0])
    except Exception:  # noqa: BLE001 - wrong options: the scene builds it and reports them
        return None
    finally:
        tex_mobject.tex_to_svg_file = manim_tex_to_svg_file
    return None


def _build(built_dir: Path, board: _Board) -> None:
    """The helper: build the board's entries into ``built_dir``; Pango's and LaTeX's files in a folder of its
    own."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # an exception: a file being written is removed
    from scenes import speedups

    speedups.install()  # the preloaded LaTeX format among them (a no-op in a scene's fork: installed there)
    scene_tex_dir = config.get_dir("tex_dir")
    with tempfile.TemporaryDirectory(prefix="cnnviz-ahead-") as own:
        config.text_dir, config.tex_dir = str(Path(own) / "texts"), str(Path(own) / "Tex")
        # every listed formula first, in one latex run: the scene's own MathTex then finds its SVG too
        codes = [c for kind, text, options in board.entries if kind == "tex"
                 and (c := formula_code(text, options)) is not None]
        if codes:
            typeset_together(codes, scene_tex_dir, config.get_dir("tex_dir"))
        while (i := board.take_next()) is not None:
            kind, text, options = board.entries[i]
            key = _option_key(options)
            try:
                if not built_path(kind, text, key, built_dir).exists():
                    _stored(kind, text, key, built_dir)
            except Exception:  # noqa: BLE001 - the scene builds it itself, and reports what is wrong
                pass
            board.done(i)


if __name__ == "__main__":
    write_reference(Path(sys.argv[1]))
