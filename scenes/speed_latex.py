"""LaTeX with the formula preamble loaded once per machine, not once per formula.

Manim runs ``latex`` once for every formula it has not seen, and about half of that run loads the same
preamble (``standalone``, ``babel``, ``amsmath``, ``amssymb``). :func:`preloaded_latex_format` dumps that
preamble into a LaTeX format file (``mylatexformat``, from ``texlive-latex-extra``) the first time it is
needed, keeps it in ``~/.cache/cnnviz/latex/``, and runs ``latex -fmt=...`` with it: about 0.2 s → 0.1 s
per formula on a fresh machine. The DVI, hence the SVG and every pixel, is the same (checked by
``tests/test_scene_speed.py``). Anything unusual falls back to Manim's own call: another TeX compiler or
output format, a preamble the format was not made from, a format that fails to build or to load
(say, after a TeX Live upgrade; it is then rebuilt on the next render).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from manim import MathTex
from manim.mobject.text import tex_mobject
from manim.utils import tex_file_writing

from cnnviz.paths import atomic_write, cache_dir

__all__ = ["format_for_preamble", "manim_compile_tex", "preloaded_latex_format"]

#: Manim's own ``compile_tex``, the fallback
manim_compile_tex = tex_file_writing.compile_tex

_BEGIN = r"\begin{document}"
_formats: dict[str, Path | None] = {}  # preamble hash -> format (None: cannot be had in this process)


@lru_cache(maxsize=1)
def _engine_signature() -> str:
    """Changes when the TeX installation does: a format only loads in the engine that dumped it."""
    latex = shutil.which("latex")
    if latex is None:
        return "none"
    found = subprocess.run(["kpsewhich", "-engine=pdftex", "latex.fmt"], capture_output=True, text=True)
    parts = [latex, found.stdout.strip()]
    return "|".join(f"{p}:{os.stat(p).st_mtime_ns}:{os.stat(p).st_size}" for p in parts if p and os.path.exists(p))


def format_for_preamble(preamble: str) -> Path | None:
    """The format file with ``preamble`` dumped into it, built on first use; ``None`` if it cannot be built."""
    try:
        key = hashlib.sha256(f"{preamble}\n{_engine_signature()}".encode()).hexdigest()[:20]
        if key in _formats:
            return _formats[key]
        target = cache_dir() / "latex" / f"{key}.fmt"
        if not target.exists():
            _build_format(preamble, target)
    except OSError:  # no kpsewhich or latex, an unwritable cache: Manim's own call, which reports its errors
        return None
    _formats[key] = target if target.exists() else None
    return _formats[key]


def _build_format(preamble: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        (Path(work) / "preamble.tex").write_text(preamble + _BEGIN + r"\end{document}" + "\n", encoding="utf-8")
        done = subprocess.run(["latex", "-ini", "-interaction=batchmode", "-jobname=preamble", "&latex",
                               "mylatexformat.ltx", "preamble.tex"], cwd=work, capture_output=True)
        built = Path(work) / "preamble.fmt"
        if done.returncode == 0 and built.exists():
            os.replace(built, target)  # whole or absent: parallel renders may race, the last one wins


def _latex_with_format(tex_file: Path, out_dir: Path) -> tuple[Path | None, Path | None]:
    """``latex -fmt=<preloaded format>`` on ``tex_file``, into ``out_dir``, as Manim runs it otherwise:
    (the format, the DVI); the format is ``None`` where none can be had, the DVI where the run failed."""
    text = tex_file.read_text(encoding="utf-8")
    fmt = format_for_preamble(text[: text.index(_BEGIN)]) if _BEGIN in text else None
    if fmt is None:
        return None, None
    result = out_dir / tex_file.with_suffix(".dvi").name
    command = tex_file_writing.make_tex_compilation_command("latex", ".dvi", tex_file, out_dir)
    done = subprocess.run([command[0], f"-fmt={fmt}", *command[1:]], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    if done.returncode == 0 and result.exists():
        return fmt, result
    result.unlink(missing_ok=True)
    return fmt, None


def _compile_tex(tex_file: Path, tex_compiler: str | list[str], output_format: str) -> Path:
    result = tex_file.with_suffix(output_format)
    if result.exists() or tex_compiler != "latex" or output_format != ".dvi":
        return manim_compile_tex(tex_file, tex_compiler, output_format)
    fmt, dvi = _latex_with_format(tex_file, tex_file_writing.config.get_dir("tex_dir"))
    if dvi is not None:
        return dvi
    compiled = manim_compile_tex(tex_file, tex_compiler, output_format)  # raises if the formula is wrong
    if fmt is not None:
        # the formula is fine, so the format is stale or broken: Manim's call for now, rebuilt next render
        fmt.unlink(missing_ok=True)
        _formats.update({k: None for k, v in _formats.items() if v == fmt})
    return compiled


def preloaded_latex_format() -> None:
    """Compile every formula with the preamble preloaded (same DVI as Manim's own call)."""
    tex_file_writing.compile_tex = _compile_tex


# ----------------------------------------------------------------- typesetting ahead
def _texcode(expression: str, environment: str | None, template: Any) -> str:
    # what tex_file_writing.generate_tex_file writes, whose hash names the SVG
    if environment is not None:
        return template.get_texcode_for_expression_in_env(expression, environment)
    return template.get_texcode_for_expression(expression)


class _Ahead:
    """A worker thread that typesets formulas, in order, into the scene's LaTeX cache."""

    def __init__(self, formulas: list[tuple[str, str]], tex_dir: Path) -> None:
        self.tex_dir = tex_dir
        self.lock = threading.Lock()
        self.pending: deque[tuple[str, str]] = deque(formulas)  # (name, tex code), not started
        self.current: tuple[str, threading.Event] | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._work, name="cnnviz-formulas-ahead", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            with self.lock:
                if self.stopped or not self.pending:
                    self.current = None
                    return
                name, code = self.pending.popleft()
                self.current = (name, threading.Event())
                done = self.current[1]
            try:
                _typeset_into(self.tex_dir, name, code)
            except Exception:  # noqa: BLE001 - the scene typesets it itself when it needs it, and reports errors
                pass
            finally:
                done.set()

    def claim(self, name: str) -> None:
        """The scene is about to typeset ``name``: wait if it is being typeset, else take it off the list."""
        with self.lock:
            current = self.current
            if current is None or current[0] != name:
                self.pending = deque(p for p in self.pending if p[0] != name)
                return
        current[1].wait()

    def stop(self) -> None:
        """Start no more; wait for the one being typeset (its files are whole or absent, never half)."""
        with self.lock:
            self.stopped = True
            self.pending.clear()
            current = self.current
        if current is not None:
            current[1].wait()


def _typeset_into(tex_dir: Path, name: str, code: str) -> None:
    """Manim's tex_to_svg_file for one formula, in a folder of its own beside ``tex_dir`` (Manim deletes every
    file but .tex and .svg from ``tex_dir`` after each formula), the SVG moved in whole."""
    target = tex_dir / f"{name}.svg"
    if target.exists():
        return
    with tempfile.TemporaryDirectory(prefix="ahead-", dir=tex_dir.parent) as work:
        tex_file = Path(work) / f"{name}.tex"
        tex_file.write_text(code, encoding="utf-8")
        _, dvi = _latex_with_format(tex_file, Path(work))
        if dvi is not None:
            os.replace(tex_file_writing.convert_to_svg(dvi, ".dvi"), target)


_ahead: _Ahead | None = None
#: Manim's own ``tex_to_svg_file``, the one every formula goes through
manim_tex_to_svg_file = tex_file_writing.tex_to_svg_file


def _tex_to_svg_file(expression: str, environment: str | None = None, tex_template: Any = None) -> Path:
    if _ahead is not None:
        template = tex_template if tex_template is not None else tex_file_writing.config["tex_template"]
        _ahead.claim(tex_file_writing.tex_hash(_texcode(expression, environment, template)))
    return manim_tex_to_svg_file(expression, environment, tex_template)


def mathtex_expression(tex: str) -> str:
    """What ``MathTex(tex)`` hands to ``tex_to_svg_file``: its parts wrapped in dvisvgm groups."""
    probe = MathTex.__new__(MathTex)
    probe.arg_separator, probe.matched_strings_and_ids, probe.brace_notation_split_occurred = " ", [], False
    return probe._join_tex_strings_with_unique_deliminters(probe._prepare_tex_strings((tex,)), [])


def typeset_ahead(formulas: Iterable[str], *, environment: str = "align*") -> None:
    """Typeset ``MathTex(f)`` for each of ``formulas`` (in ``environment``, with Manim's current template, into
    its current ``tex_dir``) on a worker thread, in order, while the scene renders; those in the cache
    already are skipped.

    On a machine's first render of a scene, each formula costs a ``latex`` and a ``dvisvgm`` run (~0.2 s)
    that would otherwise wait on the scene's thread. The worker uses the other core, and a formula the scene
    needs before the worker got to it is typeset by the scene as before; the SVG is the same either way.
    :func:`stop_typesetting_ahead` ends it (the render does at its end).
    """
    global _ahead
    stop_typesetting_ahead()
    config = tex_file_writing.config
    if config["tex_template"].tex_compiler != "latex" or config["tex_template"].output_format != ".dvi":
        return
    tex_dir = config.get_dir("tex_dir")
    tex_dir.mkdir(parents=True, exist_ok=True)
    named = []
    for tex in dict.fromkeys(formulas):
        code = _texcode(mathtex_expression(tex), environment, config["tex_template"])
        name = tex_file_writing.tex_hash(code)
        if not (tex_dir / f"{name}.svg").exists():
            named.append((name, code))
    if named:
        tex_file_writing.tex_to_svg_file = tex_mobject.tex_to_svg_file = _tex_to_svg_file
        _ahead = _Ahead(named, tex_dir)


@atexit.register
def stop_typesetting_ahead() -> None:
    """Stop the worker, if any, after the formula it is typesetting (a render ends with this)."""
    global _ahead
    if _ahead is not None:
        _ahead.stop()
        _ahead = None


REFERENCE_FORMULAS = Path(__file__).resolve().parents[1] / "assets" / "formulas.json"


def reference_formulas(scene_id: str, path: Path = REFERENCE_FORMULAS) -> list[str]:
    """The formulas ``scene_id`` typeset in the reference render of the default lecture (its JSON's
    ``formulas``), in order of first use; ``[]`` if not known. Only a hint of what to typeset ahead."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))["formulas"].get(scene_id, [])
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return []
    return [f for f in found if isinstance(f, str)] if isinstance(found, list) else []


def write_reference_formulas(json_dir: Path, path: Path = REFERENCE_FORMULAS) -> None:
    """Gather the ``formulas`` of every ``<id>.json`` in ``json_dir`` (a lecture render) into ``path``."""
    formulas = {}
    for doc in sorted(json_dir.glob("*.json")):
        data = json.loads(doc.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("formulas"), list) and "scene" in data:
            formulas[data["scene"]] = data["formulas"]
    about = ("Formulas each scene typesets in the default lecture, in order of first use, gathered from a render "
             "(python -m scenes.speed_latex OUT_DIR). Only a hint: a scene's first render on a machine typesets "
             "these ahead on a second thread; a formula not listed is typeset when needed, as always.")
    text = json.dumps({"about": about, "formulas": formulas}, indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


if __name__ == "__main__":
    import sys

    write_reference_formulas(Path(sys.argv[1]))
