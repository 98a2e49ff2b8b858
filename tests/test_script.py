"""A scene's words as data (cnnviz.script): the file's shape, its fields, and the lines asked for."""

from __future__ import annotations

import pytest

from cnnviz.script import ScriptError, load_script


def write(tmp_path, text: str):
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    return load_script("s", tmp_path)


def test_a_line_in_both_languages_with_its_fields_filled(tmp_path):
    script = write(tmp_path, "field:\n  en: 'Each output sees a {size}×{size} patch.'\n"
                             "  zh: 每个输出看到 {size}×{size} 的一块。\n")
    line = script["field"]
    assert line.fields == {"size"}
    assert line.text("en", size=3) == "Each output sees a 3×3 patch."
    assert line.text("zh", size=3) == "每个输出看到 3×3 的一块。"


def test_missing_and_unknown_fields_are_named(tmp_path):
    line = write(tmp_path, "a:\n  en: '{n} cells'\n  zh: '{n} 个'\n")["a"]
    with pytest.raises(ScriptError, match="missing n"):
        line.text("en")
    with pytest.raises(ScriptError, match="unknown m"):
        line.text("en", n=1, m=2)


@pytest.mark.parametrize("text, words", [
    ("a:\n  en: x\n", "exactly the keys en and zh"),
    ("a:\n  en: '{n}'\n  zh: 没有\n", "both must fill the same fields"),
    ("- a\n", "a mapping of line keys"),
    ("a: [\n", "not a YAML script"),
])
def test_a_bad_script_names_the_file_and_what_is_wrong(tmp_path, text, words):
    with pytest.raises(ScriptError, match=words):
        write(tmp_path, text)


def test_an_unknown_key_lists_the_lines(tmp_path):
    with pytest.raises(ScriptError, match="no line 'b'; the lines are: a"):
        write(tmp_path, "a:\n  en: x\n  zh: y\n")["b"]


def test_a_scene_without_a_script_has_none(tmp_path):
    assert load_script("nothing", tmp_path) is None


def test_every_shipped_script_loads():
    from cnnviz.registry import scene_ids
    from cnnviz.script import SCRIPTS

    for path in sorted(SCRIPTS.glob("*.yaml")):
        assert path.stem in scene_ids(), f"{path.name} names no scene"
        assert load_script(path.stem).lines


def test_no_shipped_caption_writes_a_subscript_as_a_raw_underscore():
    # "C_in" on screen reads as code: captions write C(in), which espeak-ng says as "C in" too (Unicode
    # subscripts would be 7 px tall at 480p, and are read out letter by letter); output_padding is torch's name
    import re

    from cnnviz.script import SCRIPTS

    raw = re.compile(r"(?<![{\w])[A-Za-z]+_[A-Za-z]+(?![\w}])")
    found = [(path.stem, key, hit) for path in sorted(SCRIPTS.glob("*.yaml"))
             for key, line in load_script(path.stem).lines.items() for text in (line.en, line.zh)
             for hit in raw.findall(text) if hit != "output_padding"]
    assert found == []


def test_a_line_said_only_for_some_inputs_says_when(tmp_path):
    script = write(tmp_path, "a:\n  en: always\n  zh: 总是\nb:\n  when: the model has dropout\n  en: sometimes\n"
                             "  zh: 有时\n")
    assert script.always == ["a"] and script["b"].when == "the model has dropout" and script["a"].when is None
    with pytest.raises(ScriptError, match="when: a text saying when"):
        write(tmp_path, "a:\n  when: 3\n  en: x\n  zh: y\n")
