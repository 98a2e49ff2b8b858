"""LaTeX with the formula preamble loaded once per machine, not once per formula.

Manim runs ``latex`` once for every formula it has not seen, and about half of that run loads the same
preamble (``standalone``, ``babel``, ``amsmath``, ``amssymb``). :func:`preloaded_latex_format` dumps that
preamble into a LaTeX format file (``mylatexformat``, from ``texlive-latex-extra``) the first time it is
needed, keeps it in ``~/.cache/cnnviz/latex/``, and runs ``latex -fmt=...`` with it: about 0.2 s → 0.1 s
per formula on a fresh machine. The DVI, hence the SVG and every pixel, is the same (checked by
``tests/test_speedups.py``). Anything unusual falls back to Manim's own call: another TeX compiler or
output format, a preamble the format was not made from, a format that fails to build or to load
(say, after a TeX Live upgrade; it is then rebuilt on the next render).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from manim import TexTemplate
from manim.utils import tex_file_writing

from cnnviz.paths import cache_dir

__all__ = ["format_ahead", "format_for_preamble", "manim_compile_tex"]

#: Manim's own ``compile_tex``, the fallback
manim_compile_tex = tex_file_writing.compile_tex

_BEGIN = r"\begin{document}"
_formats: dict[str, Path | None] = {}  # preamble hash -> format (None: cannot be had in this process)
_building = threading.Lock()


@lru_cache(maxsize=1)
def _engine_signature() -> str:
    """Changes when the TeX installation does: a format only loads in the engine that dumped it."""
    latex = shutil.which("latex")
    if latex is None:
        return "none"
    found = subprocess.run(["kpsewhich", "-engine=pdftex", "latex.fmt"], capture_output=True, text=True)
    parts = [latex, found.stdout.strip()]
    return "|".join(f"{p}:{os.stat(p).st_mtime_ns}:{os.stat(p).st_size}" for p in parts if p and os.path.exists(p))


def format_for_preamble(preamble: str, *, wait: bool = True) -> Path | None:
    """The format file with ``preamble`` dumped into it, built on first use; ``None`` if it cannot be built,
    or (``wait=False``) while another thread is building one."""
    if not _building.acquire(blocking=wait):  # one build at a time
        return None
    try:
        return _format_for_preamble(preamble)
    finally:
        _building.release()


def _format_for_preamble(preamble: str) -> Path | None:
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


def _compile_tex(tex_file: Path, tex_compiler: str | list[str], output_format: str) -> Path:
    result = tex_file.with_suffix(output_format)
    if result.exists() or tex_compiler != "latex" or output_format != ".dvi":
        return manim_compile_tex(tex_file, tex_compiler, output_format)
    text = tex_file.read_text(encoding="utf-8")
    # while format_ahead's thread builds the format (~0.4 s), Manim's own call (~0.2 s) rather than wait for it
    fmt = format_for_preamble(text[: text.index(_BEGIN)], wait=False) if _BEGIN in text else None
    if fmt is None:
        return manim_compile_tex(tex_file, tex_compiler, output_format)
    command = tex_file_writing.make_tex_compilation_command(
        "latex", output_format, tex_file, tex_file_writing.config.get_dir("tex_dir"))
    done = subprocess.run([command[0], f"-fmt={fmt}", *command[1:]], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    if done.returncode == 0 and result.exists():
        return result
    result.unlink(missing_ok=True)
    compiled = manim_compile_tex(tex_file, tex_compiler, output_format)  # raises if the formula is wrong
    # the formula is fine, so the format is stale or broken: Manim's call for now, rebuilt next render
    fmt.unlink(missing_ok=True)
    _formats.update({k: None for k, v in _formats.items() if v == fmt})
    return compiled


def format_ahead(template: TexTemplate | None = None) -> None:
    """Build the format for ``template`` (Manim's default) on a thread now, if it is not built yet.

    On a fresh machine the first formula would build it (``latex -ini``, ~0.4 s) on the scene's thread;
    started when the scene sets up, it runs on the other core while the scene builds its first mobjects, and
    a formula needed before it is done is compiled as Manim compiles it (the same DVI) rather than wait.
    """
    code = (template or tex_file_writing.config["tex_template"]).get_texcode_for_expression_in_env("x", "align*")
    if _BEGIN in code:
        threading.Thread(target=format_for_preamble, args=(code[: code.index(_BEGIN)],), daemon=True).start()
