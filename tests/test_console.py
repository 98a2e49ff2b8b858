"""cnnviz.console.layout_warnings: a clip whose frames broke the layout rules is named after a render."""

import json

from cnnviz.console import layout_warnings
from cnnviz.pipeline import RenderResult


def test_a_clip_that_broke_the_layout_rules_is_named_with_its_first_problem_of_each_kind(tmp_path):
    problems = [{"kind": "outside safe area", "what": "SlidingWindow '3'", "t": 8.8, "extent": [-6.5, -3.7, 3.6, 3.0]},
                {"kind": "small text", "what": "9", "t": 94.53, "px": 10.4},
                {"kind": "small text", "what": "8", "t": 95.0, "px": 10.2}]
    (tmp_path / "pooling.json").write_text(json.dumps({"scene": "pooling", "layout": problems}), encoding="utf-8")
    (tmp_path / "conv2d.json").write_text(json.dumps({"scene": "conv2d", "layout": []}), encoding="utf-8")
    results = [RenderResult("pooling", True, 20.0, tmp_path / "pooling.mp4", False),
               RenderResult("conv2d", True, 8.0, tmp_path / "conv2d.mp4", False),
               RenderResult("dilated", False, 1.0, None, False, error="boom")]  # failed: reported elsewhere
    lines = layout_warnings(results)
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("warning: pooling: 3 layout problem(s)")
    assert "within 5 % of the frame's edge (" in line and "'3'\" at 8.8 s)" in line
    assert "text under 16 px at 480p ('9' at 94.5 s, 10.4 px)" in line and "'8'" not in line
    assert str(tmp_path / "pooling.json") in line


def test_a_clip_whose_json_is_missing_or_unreadable_gives_no_warning(tmp_path):
    (tmp_path / "conv1d.json").write_text("{not json", encoding="utf-8")
    results = [RenderResult("conv1d", True, 5.0, tmp_path / "conv1d.mp4", False),
               RenderResult("conv2d", True, 5.0, tmp_path / "conv2d.mp4", False)]
    assert layout_warnings(results) == []
