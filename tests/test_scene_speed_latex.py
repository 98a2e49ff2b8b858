"""Formulas typeset ahead on a worker thread (``scenes/speed_latex.py``): the same SVG files Manim makes, used by
the scene without a second ``latex`` run; the worker and the scene never typeset one formula twice."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from manim import MathTex, config
from manim.utils import tex_file_writing

import scenes.speed_latex as speed_latex
from scenes.speed_latex import (mathtex_expression, reference_formulas, stop_typesetting_ahead, typeset_ahead,
                                write_reference_formulas)

FORMULAS = [r"Z = A \otimes W + b", r"\frac{\partial L}{\partial W} = A \otimes \delta"]


@pytest.fixture()
def tex_dirs(tmp_path, monkeypatch):
    """A fresh LaTeX cache and format folder; gives a function that points Manim at a tex_dir."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    old = config.tex_dir

    def use(name: str) -> Path:
        config.tex_dir = str(tmp_path / name / "Tex")
        return Path(config.tex_dir)

    yield use
    stop_typesetting_ahead()
    config.tex_dir = old


def compiles(monkeypatch) -> list[Path]:
    seen: list[Path] = []
    manims = tex_file_writing.compile_tex

    def counted(tex_file, *args):
        seen.append(tex_file)
        return manims(tex_file, *args)

    monkeypatch.setattr(tex_file_writing, "compile_tex", counted)
    return seen


def test_formulas_typeset_ahead_are_manims_svgs_and_the_scene_typesets_none_again(tex_dirs, monkeypatch):
    speed_latex.preloaded_latex_format()
    manims_dir = tex_dirs("manim")
    manims = {f: MathTex(f) for f in FORMULAS}  # Manim's own way, one formula at a time
    ahead_dir = tex_dirs("ahead")
    typeset_ahead(FORMULAS)
    speed_latex._ahead.thread.join(timeout=60)
    seen = compiles(monkeypatch)
    for f in FORMULAS:
        ours = MathTex(f)
        assert [m.points.tolist() for m in ours.get_family()] == [m.points.tolist() for m in manims[f].get_family()]
    assert seen == []  # every SVG was there already
    svgs = sorted(p.name for p in ahead_dir.glob("*.svg"))
    assert svgs == sorted(p.name for p in manims_dir.glob("*.svg")) and len(svgs) == 2
    for name in svgs:
        assert (ahead_dir / name).read_bytes() == (manims_dir / name).read_bytes()
    assert not list(ahead_dir.parent.glob("ahead-*"))  # the worker's own folders are gone


def test_the_scene_takes_a_waiting_formula_itself_and_waits_for_the_one_being_typeset(tex_dirs, monkeypatch):
    tex_dirs("ahead")
    release, started, typeset = threading.Event(), threading.Event(), []

    def slow(tex_dir, name, code):
        started.set()
        release.wait(timeout=30)
        typeset.append(name)

    monkeypatch.setattr(speed_latex, "_typeset_into", slow)
    ahead = speed_latex._Ahead([("first", "a"), ("second", "b"), ("third", "c")], Path(config.tex_dir))
    assert started.wait(timeout=30)
    ahead.claim("second")  # not started: the scene does it; returns at once
    waiter = threading.Thread(target=ahead.claim, args=("first",))
    waiter.start()
    waiter.join(timeout=0.3)
    assert waiter.is_alive()  # "first" is being typeset: the scene waits for it
    release.set()
    waiter.join(timeout=30)
    ahead.thread.join(timeout=30)
    assert typeset == ["first", "third"]


def test_stopping_waits_for_the_formula_being_typeset_and_starts_no_other(tex_dirs, monkeypatch):
    tex_dirs("ahead")
    started, typeset = threading.Event(), []

    def slow(tex_dir, name, code):
        started.set()
        threading.Event().wait(0.3)
        typeset.append(name)

    monkeypatch.setattr(speed_latex, "_typeset_into", slow)
    ahead = speed_latex._Ahead([("first", "a"), ("second", "b")], Path(config.tex_dir))
    assert started.wait(timeout=30)
    ahead.stop()
    assert typeset == ["first"]


def test_mathtex_expression_is_what_mathtex_typesets(monkeypatch):
    asked = []
    monkeypatch.setattr("manim.mobject.text.tex_mobject.tex_to_svg_file",
                        lambda expression, environment=None, tex_template=None: asked.append(expression) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        MathTex(FORMULAS[1])
    assert asked == [mathtex_expression(FORMULAS[1])]


def test_reference_formulas_come_from_a_lecture_renders_json_and_anything_unreadable_gives_none(tmp_path):
    renders = tmp_path / "out"
    renders.mkdir()
    (renders / "conv2d.json").write_text(json.dumps({"scene": "conv2d", "formulas": FORMULAS}), encoding="utf-8")
    (renders / "lecture.json").write_text("[]", encoding="utf-8")  # not a scene's document
    target = tmp_path / "formulas.json"
    write_reference_formulas(renders, target)
    assert reference_formulas("conv2d", target) == FORMULAS
    assert reference_formulas("pooling", target) == []
    target.write_text("{not json", encoding="utf-8")
    assert reference_formulas("conv2d", target) == []
    assert reference_formulas("conv2d", tmp_path / "missing.json") == []
