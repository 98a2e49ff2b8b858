"""A scene's words as data: ``scenes/scripts/<id>.yaml``, one entry per spoken line, English and Chinese.

A scene says a line by its key (``LectureScene.say("slides", size=3)``); the text is the entry's, in the
lecture's language, with ``{name}`` fields filled from the values the scene passes (numbers it read from
``cnnviz``, never computed in the script). Keeping the words in one file per scene lets a teacher reword or
translate a lecture without reading Python, and a test checks every line is spoken and every field filled.

The file::

    # conv2d: what the narrator says, in speaking order
    slides:
      en: The kernel slides over the input; each output is a sum of products.
      zh: 卷积核在输入上滑动；每个输出是对应元素乘积之和。
    field:
      en: "Each output sees a {size}×{size} patch of the input: its receptive field."
      zh: 每个输出看到输入中 {size}×{size} 的一块：它的感受野。
    dropout:
      when: the model has a dropout layer
      en: "Dropout, p = {p}: random zeros in training, none at evaluation."
      zh: Dropout，p = {p}：训练时随机置零，测试时不置零。
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .registry import ROOT

__all__ = ["SCRIPTS", "Script", "ScriptError", "ScriptLine", "load_script", "script_path"]

#: where the scripts live (package data of ``scenes``)
SCRIPTS = ROOT / "scenes" / "scripts"
LANGUAGES = ("en", "zh")
MAX_SCRIPT_BYTES = 256 * 1024


class ScriptError(ValueError):
    """A script file that cannot be used, or a line asked for with missing or unknown fields."""


@dataclass(frozen=True)
class ScriptLine:
    """One line: its key, its English and Chinese text, and the ``{fields}`` both must fill; ``when`` says in
    words when a line is said only for some inputs (e.g. a layer kind a teacher's model may not have): every
    other line is said in every render."""

    key: str
    en: str
    zh: str
    when: str | None = None

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for text in (self.en, self.zh)
                         for _, name, _, _ in string.Formatter().parse(text) if name)

    def text(self, language: str, **values: Any) -> str:
        """The line in ``language`` with its fields filled; every field given, no other."""
        missing = sorted(self.fields - values.keys())
        extra = sorted(values.keys() - self.fields)
        if missing or extra:
            raise ScriptError(f"line {self.key!r}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(extra)}"] if extra
                                                                           else [])))
        return (self.zh if language == "zh" else self.en).format(**values)


@dataclass(frozen=True)
class Script:
    """A scene's lines by key, in file order."""

    scene_id: str
    path: Path
    lines: dict[str, ScriptLine]

    @property
    def always(self) -> list[str]:
        """The keys of the lines said in every render (those without ``when``)."""
        return [key for key, line in self.lines.items() if line.when is None]

    def __getitem__(self, key: str) -> ScriptLine:
        try:
            return self.lines[key]
        except KeyError:
            raise ScriptError(f"{self.path}: no line {key!r}; the lines are: {', '.join(self.lines)}") from None


def script_path(scene_id: str, folder: Path = SCRIPTS) -> Path:
    return folder / f"{scene_id}.yaml"


@lru_cache(maxsize=64)
def _load(path: Path, stamp: tuple[int, int], scene_id: str) -> Script:
    import yaml

    if stamp[1] > MAX_SCRIPT_BYTES:
        raise ScriptError(f"{path}: {stamp[1]} bytes; a script holds at most {MAX_SCRIPT_BYTES}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScriptError(f"{path}: not a YAML script ({exc})") from None
    if not isinstance(data, dict) or not data:
        raise ScriptError(f"{path}: a script is a mapping of line keys to {{en: ..., zh: ...}}")
    lines: dict[str, ScriptLine] = {}
    for key, entry in data.items():
        if not isinstance(key, str) or not isinstance(entry, dict) or set(entry) - {"when"} != set(LANGUAGES) \
                or not all(isinstance(entry[lang], str) and entry[lang].strip() for lang in LANGUAGES) \
                or not isinstance(entry.get("when", ""), str):
            raise ScriptError(f"{path}: line {key!r} must have exactly the keys en and zh, each a non-empty text "
                              "(and, for a line said only for some inputs, when: a text saying when)")
        line = ScriptLine(key, " ".join(entry["en"].split()), " ".join(entry["zh"].split()), entry.get("when"))
        en_fields = {n for _, n, _, _ in string.Formatter().parse(line.en) if n}
        zh_fields = {n for _, n, _, _ in string.Formatter().parse(line.zh) if n}
        if en_fields != zh_fields:
            raise ScriptError(f"{path}: line {key!r}: the English fills {sorted(en_fields)}, the Chinese "
                              f"{sorted(zh_fields)}; both must fill the same fields")
        lines[key] = line
    return Script(scene_id, path, lines)


def load_script(scene_id: str, folder: Path = SCRIPTS) -> Script | None:
    """The script of ``scene_id``, or ``None`` when the scene has none (it speaks literal captions)."""
    path = script_path(scene_id, folder)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return _load(path, (st.st_mtime_ns, st.st_size), scene_id)
