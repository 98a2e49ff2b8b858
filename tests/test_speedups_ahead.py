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
from scenes.speedups.drawing import _key, built_path
from scenes.speedups.ahead import build_ahead, reference_spoken, reference_typeset, stop_building_ahead, write_reference

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
    build_ahead(TYPESET)
    assert speed_ahead._helper is not None
    assert speed_ahead._helper.wait(timeout=120) == 0
    # Pango's SVGs and LaTeX's files stayed in the helper's own folders
    assert not list(text_dir.glob("*.svg")) and not (tmp_path / "Tex").exists()
    for kind, text, options in TYPESET:
        path = built_path(kind, text, _key(dict(options)))
        assert path.parent == text_dir / "built"
        with open(path, "rb") as f:
            ahead = pickle.load(f)
        fresh = BUILDERS[kind](text, **options)
        for a, b in zip(ahead.family_members_with_points(), fresh.family_members_with_points(), strict=True):
            np.testing.assert_array_equal(a.points, b.points)
            np.testing.assert_array_equal(a.fill_rgbas, b.fill_rgbas)
    build_ahead(TYPESET)
    assert speed_ahead._helper is None  # all built: no helper


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
