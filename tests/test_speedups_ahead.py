"""Texts and formulas built ahead in a helper process (``scenes/speedups/ahead.py``) are the ones the scene would
build, written whole; the reference list comes from a render's JSON, and a broken one only means nothing is built
ahead."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from manim import MathTex, Text, config

import scenes.speedups.ahead as speed_ahead
from manim.utils import tex_file_writing
from manim.utils.tex_file_writing import tex_hash

from scenes.speedups.drawing import _key, built_path
from scenes.speedups.latex import typeset_together
from scenes.speedups.ahead import build_ahead, formula_code, reference_spoken, reference_typeset, stop_building_ahead, write_reference

pytestmark = pytest.mark.usefixtures("speedups_installed")

FONT = "Noto Sans CJK SC"
TYPESET = [("text", "The kernel slides over the input.", {"font": FONT, "font_size": 26, "color": "#ECECEC"}),
           ("tex", r"Z = A \otimes W + b", {"font_size": 36, "color": "#ECECEC"}),
           ("text", "δ = 0.25", {"font": FONT, "font_size": 22.5, "color": "#FC6255"}),
           ("text", "-0.13", {"font": "Noto Sans Mono CJK SC", "font_size": 18, "color": "#ECECEC"})]
BUILDERS = {"text": Text, "tex": MathTex}


@pytest.fixture()
def text_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the helper builds its LaTeX format there
    old = config.text_dir, config.tex_dir
    config.text_dir, config.tex_dir = str(tmp_path / "texts"), str(tmp_path / "Tex")
    yield tmp_path / "texts"
    stop_building_ahead()
    config.text_dir, config.tex_dir = old


def test_the_helper_builds_what_the_scene_would_build_into_the_scenes_cache(text_dir, tmp_path):
    assert build_ahead(TYPESET) is True  # it typesets the formulas: the scene builds no LaTeX format ahead
    assert speed_ahead._helper is not None
    assert speed_ahead._helper.wait(timeout=120) == 0
    # Pango's SVGs and LaTeX's work files stayed in the helper's own folders; the formulas' SVGs, typeset together,
    # are where the scene's MathTex looks first, whole, under the names Manim gives them
    assert not list(text_dir.glob("*.svg"))
    formulas = {tex_hash(formula_code(t, o)) + ".svg" for k, t, o in TYPESET if k == "tex"}
    assert {p.name for p in (tmp_path / "Tex").iterdir()} == formulas
    for kind, text, options in TYPESET:
        path = built_path(kind, text, _key(dict(options)))
        assert path.parent == text_dir / "built"
        with open(path, "rb") as f:
            ahead = pickle.load(f)
        fresh = BUILDERS[kind](text, **options)
        for a, b in zip(ahead.family_members_with_points(), fresh.family_members_with_points(), strict=True):
            np.testing.assert_array_equal(a.points, b.points)
            np.testing.assert_array_equal(a.fill_rgbas, b.fill_rgbas)
    assert build_ahead(TYPESET) is False
    assert speed_ahead._helper is None  # all built: no helper


#: formulas as the scenes write them: a split one (MathTex's groups), a coloured one, a fraction, a matrix
FORMULAS = [(r"Z = A \otimes W + b", {"font_size": 36}),
            (r"{{ \delta^{l} }} = \mathrm{up}(\delta^{l+1}) \odot h'(Z^{l})", {"font_size": 30}),
            (r"\frac{\partial \mathcal{L}}{\partial b_l} = \sum_{i,j} \delta_{l,ij}", {"color": "#FC6255"}),
            (r"\mathrm{rot}(W) = \begin{bmatrix} 1 & -2 \\ 0.5 & 3 \end{bmatrix}", {"tex_to_color_map": {"W": "#58C4DD"}})]


def _formula(entry: tuple[str, dict]) -> MathTex:
    return MathTex(entry[0], **entry[1])


def test_formulas_typeset_together_are_the_formulas_manim_typesets_one_by_one(tmp_path, monkeypatch):
    old = config.tex_dir
    try:
        config.tex_dir = str(tmp_path / "own")
        manims = [_formula(e) for e in FORMULAS]
        codes = [formula_code(text, options) for text, options in FORMULAS]
        # the files MathTex asked LaTeX for, recorded without compiling them
        assert {tex_hash(c) + ".svg" for c in codes} == {p.name for p in (tmp_path / "own").glob("*.svg")}
        config.tex_dir = str(tmp_path / "together")
        assert typeset_together(codes, tmp_path / "together") == len(FORMULAS)
        # no formula is compiled again: each one's SVG is there
        monkeypatch.setattr(tex_file_writing, "compile_tex", lambda *a: pytest.fail(f"compiled {a[0]}"))
        for entry, manim in zip(FORMULAS, manims):
            together = _formula(entry)
            assert [len(m) for m in together.submobjects] == [len(m) for m in manim.submobjects]
            for a, b in zip(together.family_members_with_points(), manim.family_members_with_points(), strict=True):
                np.testing.assert_array_equal(a.points, b.points)
                np.testing.assert_array_equal(a.fill_rgbas, b.fill_rgbas)
    finally:
        config.tex_dir = old


def test_a_wrong_formula_among_them_leaves_every_formula_to_be_typeset_on_its_own(tmp_path):
    old = config.tex_dir
    try:
        config.tex_dir = str(tmp_path / "Tex")
        codes = [formula_code(r"x^2", {}), formula_code(r"\nosuchmacro{1}", {}), formula_code(r"y_1", {})]
        assert all(codes)
        assert typeset_together(codes, tmp_path / "Tex") == 0  # the run fails: nothing written
        assert not (tmp_path / "Tex").exists() or not list((tmp_path / "Tex").glob("*.svg"))
        assert len(MathTex("x^2")) == 1  # typeset on its own, as always
        with pytest.raises(ValueError, match="latex error"):
            MathTex(r"\nosuchmacro{1}")
    finally:
        config.tex_dir = old


def test_a_file_whose_braces_do_not_balance_is_left_out_not_merged_with_the_next(tmp_path):
    # MathTex balances a formula's braces itself; a file that does not would take in the next formula's braces
    # among others, and typeset without the error it gives alone
    unbalanced = config["tex_template"].get_texcode_for_expression_in_env(r"\frac{1}{", "align*")
    codes = [formula_code(r"x^2", {}), unbalanced, formula_code(r"y_1", {})]
    assert typeset_together(codes, tmp_path / "Tex") == 2
    assert {p.name for p in (tmp_path / "Tex").glob("*.svg")} == {tex_hash(codes[0]) + ".svg",
                                                                  tex_hash(codes[2]) + ".svg"}


def test_stopping_the_helper_leaves_only_whole_files(text_dir):
    many = [("text", f"Caption {i}: the error flows back, layer by layer.", dict(TYPESET[0][2])) for i in range(40)]
    build_ahead(many)
    helper = speed_ahead._helper
    stop_building_ahead()
    assert helper.poll() is not None and speed_ahead._helper is None
    built = text_dir / "built"
    assert not list(built.glob(".*.tmp")) if built.exists() else True
    for path in built.glob("*.pkl") if built.exists() else []:
        with open(path, "rb") as f:
            assert isinstance(pickle.load(f), Text)


def test_the_board_gives_the_scene_a_free_entry_and_the_helper_the_free_ones_past_the_scenes_next():
    board = speed_ahead._Board([["text", f"line {i}", {"font_size": 26}] for i in range(5)])
    board.ask("text", "line 0", _key({"font_size": 26}))  # the scene's now: the helper never takes it
    assert board.state[0] == board.SCENE and board.cursor.value == 1
    # past the scene's next one (line 1: the scene will likely ask for it while the helper builds), then wrap
    assert [board.take_next() for _ in range(5)] == [2, 3, 4, 1, None]
    board.done(2)
    board.ask("text", "line 2", _key({"font_size": 26}))  # built by the helper: the scene loads it
    assert board.state[2] == board.DONE and board.cursor.value == 3
    board.ask("text", "not listed", _key({}))  # not on the board: nothing changes
    assert list(board.state) == [board.SCENE, board.HELPER, board.DONE, board.HELPER, board.HELPER]


def test_the_scene_and_the_helper_share_the_work_and_the_scene_gets_what_it_would_build(text_dir):
    from scenes.speedups.drawing import cached_text

    options = dict(TYPESET[0][2])
    many = [("text", f"Caption {i}: the error flows back, layer by layer.", options) for i in range(24)]
    build_ahead(many)
    board = speed_ahead._board
    assert board is not None
    got = [cached_text(text, **options) for _, text, _ in many]  # as a scene asks: in order
    assert speed_ahead._helper.wait(timeout=120) == 0
    states = list(board.state)
    assert set(states) <= {board.SCENE, board.DONE} and states.count(board.DONE) > 0
    for (_, text, _), ahead in zip(many, got, strict=True):
        fresh = Text(text, **options)
        for a, b in zip(ahead.family_members_with_points(), fresh.family_members_with_points(), strict=True):
            np.testing.assert_array_equal(a.points, b.points)
            np.testing.assert_array_equal(a.fill_rgbas, b.fill_rgbas)


def test_the_reference_list_comes_from_a_lecture_renders_json_and_anything_unreadable_gives_none(tmp_path):
    renders = tmp_path / "out"
    renders.mkdir()
    typeset = [[kind, text, options] for kind, text, options in TYPESET]
    (renders / "conv2d.json").write_text(json.dumps({"scene": "conv2d", "typeset": typeset}), encoding="utf-8")
    (renders / "lecture.json").write_text("[]", encoding="utf-8")  # not a scene's document
    target = tmp_path / "typeset-ahead.json"
    write_reference(renders, target)
    assert reference_typeset("conv2d", target) == TYPESET
    assert reference_typeset("pooling", target) == []
    for broken in ("{not json", '{"typeset": {"conv2d": [["font", "a", {}], "x"]}}'):
        target.write_text(broken, encoding="utf-8")
        assert reference_typeset("conv2d", target) == []
    assert reference_typeset("conv2d", tmp_path / "missing.json") == []


def test_the_reference_keeps_each_scenes_spoken_lines_for_its_language_only(tmp_path):
    renders = tmp_path / "out"
    renders.mkdir()
    narration = [{"line": 1, "text": "The kernel slides."}, {"line": 2, "text": "Each output is a sum."}]
    (renders / "conv2d.json").write_text(json.dumps({"scene": "conv2d", "language": "en", "typeset": [],
                                                     "narration": narration}), encoding="utf-8")
    (renders / "pooling.json").write_text(json.dumps({"scene": "pooling", "typeset": []}), encoding="utf-8")
    target = tmp_path / "typeset-ahead.json"
    write_reference(renders, target)
    assert reference_spoken("conv2d", "en", target) == ["The kernel slides.", "Each output is a sum."]
    assert reference_spoken("conv2d", "zh", target) == []  # a Chinese render speaks other lines
    assert reference_spoken("pooling", "en", target) == [] and reference_spoken("conv2d", "en", tmp_path / "x") == []
    target.write_text('{"typeset": {}, "spoken": {"conv2d": {"language": "en", "lines": "not a list"}}}')
    assert reference_spoken("conv2d", "en", target) == []


def test_the_shipped_reference_speaks_the_default_lecture_in_english():
    # a fresh machine's first render has espeak-ng speak these ahead: they must be the lines the scenes speak
    lines = reference_spoken("conv2d", "en")
    assert len(lines) >= 5 and all(isinstance(line, str) and line for line in lines)
