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
import re
import shutil
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from manim import TexTemplate
from manim.utils import tex_file_writing

from cnnviz.paths import atomic_write, cache_dir

__all__ = ["format_ahead", "format_for_preamble", "manim_compile_tex", "typeset_together"]

#: Manim's own ``compile_tex``, the fallback
manim_compile_tex = tex_file_writing.compile_tex

_BEGIN = r"\begin{document}"
_CLASS = r"\documentclass[preview]{standalone}"
#: a formula file's body: one environment (Manim's ``align*`` for MathTex) and the end of the document
_BODY = re.compile(r"\s*\\begin\{([A-Za-z]+\*?)\}(.*)\\end\{\1\}\s*\\end\{document\}\s*", re.S)
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


def _self_contained(body: str) -> bool:
    """No brace of ``body`` is left open or closes one outside it, and no comment hides the rest. MathTex balances
    a formula's braces itself; a file that does not would, among others, take in the next formula's braces and
    typeset without the error it gives alone."""
    depth, escaped = 0, False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            return False
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def typeset_together(codes: list[str], *tex_dirs: Path) -> int:
    """Typeset Manim's formula files ``codes`` (full ``.tex`` texts) in one ``latex`` and one ``dvisvgm`` run,
    and put each SVG where Manim's ``tex_to_svg_file`` looks for it first (``<tex_hash>.svg`` in each of
    ``tex_dirs``); returns how many were written.

    One run per formula costs ~0.09 s of ``latex`` and ~0.06 s of ``dvisvgm``, nearly all of it starting up:
    ``error_flow``'s 26 formulas took 2.4 + 1.6 s, together 0.13 + 0.10 s. The pages come from ``standalone``'s
    ``multi`` option on the formulas' own environment, so each is cropped as its file alone would be; Manim
    reads the same points from them (``tests/test_speedups_ahead.py``; only the SVG's glyph ids differ). Files
    not of that shape (``standalone``'s preview class, one environment) are left out; if the run fails (a wrong
    formula), nothing is written and each formula is typeset on its own as always, which reports the error; so is
    one whose braces do not balance, which could otherwise take in its neighbour without an error.
    """
    from manim.utils.tex_file_writing import tex_hash

    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for code in dict.fromkeys(codes):
        head, _, tail = code.partition(_BEGIN)
        found = _BODY.fullmatch(tail)
        if (_CLASS not in head or found is None or rf"\begin{{{found[1]}}}" in found[2]
                or r"\end{document}" in found[2] or not _self_contained(found[2])):
            continue
        groups.setdefault((head, found[1]), []).append((code, tail[: tail.rindex(r"\end{document}")]))
    written = 0
    for (head, environment), members in groups.items():
        with tempfile.TemporaryDirectory(prefix="cnnviz-together-") as work:
            source = Path(work) / "together.tex"
            source.write_text(head.replace(_CLASS, rf"\documentclass[preview,multi={environment}]{{standalone}}")
                              + _BEGIN + "".join(body for _, body in members) + "\n\\end{document}\n",
                              encoding="utf-8")
            try:
                if subprocess.run(["latex", "-interaction=batchmode", "-halt-on-error", "together.tex"], cwd=work,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120).returncode:
                    continue
                if subprocess.run(["dvisvgm", "--page=1-", "--no-fonts", "--verbosity=0", "--output=page-%p.svg",
                                   "together.dvi"], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=120).returncode:
                    continue
            except (OSError, subprocess.TimeoutExpired):
                continue
            pages = sorted(Path(work).glob("page-*.svg"), key=lambda p: int(p.stem.split("-")[1]))
            if len(pages) != len(members):  # a formula that made no page, or two: the pages cannot be matched
                continue
            for (code, _), page in zip(members, pages):
                data, name = page.read_bytes(), f"{tex_hash(code)}.svg"
                for tex_dir in tex_dirs:
                    target = Path(tex_dir) / name
                    if target.exists():
                        continue
                    try:  # whole or absent: Manim may read it at once; a .svg temp file outlives its cleaner
                        atomic_write(target, lambda f: f.write(data), suffix=".svg")
                    except OSError:
                        continue
                    written += 1
    return written
