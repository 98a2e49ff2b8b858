"""A corpus of hostile and careless lecture configs: each gets exit 2 and one message naming the file, the key
and the value and what is allowed; no traceback, no hang, bounded memory (they are refused before any work)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnviz.cli import main
from cnnviz.paths import ASSETS

ROOT = Path(__file__).resolve().parents[1]
BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def scene(entry: str) -> str:
    return f"scenes:\n  - {entry}\n"


def bomb_in(where: str) -> str:
    """The "billion laughs" anchors, then ``where`` referring to ``*i`` (9**9 strings when expanded)."""
    anchors = "\n".join("x" + line for line in BOMB.splitlines())  # keys xa..xi: unknown keys, never reached
    return anchors.replace("xa:", "xa:", 1) + "\n" + where + "\n"


# name: (file bytes or text, fragments the message must contain besides the file name)
CASES: dict[str, tuple[str | bytes, list[str]]] = {
    "conv2d size 20": (scene("{scene: conv2d, size: 20}"), ["conv2d", "size", "got 20", "from 1 to 16"]),
    "conv2d size 100": (scene("{scene: conv2d, size: 100}"), ["size", "got 100", "from 1 to 16"]),
    "conv2d size 10000": (scene("{scene: conv2d, size: 10000}"), ["size", "got 10000", "from 1 to 16"]),
    "conv2d size 12": (scene("{scene: conv2d, size: 12}"), ["conv2d", "at most 8 cells", "legible"]),
    "conv2d 30x30 input": (scene("{scene: conv2d, input: " + str([[1] * 30] * 30) + "}"),
                           ["conv2d", "input + 2*padding (30", "at most 8"]),
    "conv2d 40x40 input": (scene("{scene: conv2d, input: " + str([[1] * 40] * 40) + "}"),
                             ["(conv2d).input", "<a list of 40 items>", "at most 1024 numbers"]),
    "conv2d padding 1000": (scene("{scene: conv2d, padding: 1000}"), ["padding", "got 1000", "from 0 to 16"]),
    "stride 10**30": (scene("{scene: conv2d, stride: " + str(10**30) + "}"), ["stride", "from 1 to 16"]),
    "image_size 1e9": (scene("{scene: local_connectivity, image_size: 1000000000}"),
                       ["image_size", "got 1000000000", "from 1 to 1000"]),
    "image_size written 1e9": (scene("{scene: local_connectivity, image_size: 1e9}"),
                               ["image_size", "'1e9'", "must be an integer"]),
    "seed 10**30": (scene("{scene: conv2d, seed: " + str(10**30) + "}"), ["seed", "from 0 to 4294967295"]),
    "table_stride 10**30": (scene("{scene: receptive_field, table_stride: " + str(10**30) + "}"),
                            ["table_stride", "from 1 to 4"]),
    "receptive_field layers 10**12": (scene("{scene: receptive_field, layers: 1000000000000}"),
                                      ["layers", "got 1000000000000", "from 1 to 6"]),
    "bias beyond float checks": (scene("{scene: conv2d, bias: 1000000000000000000000000000000}"),
                                 ["bias", "must be between -1e+06 and 1e+06"]),
    "integer of 400 digits in input": (scene("{scene: conv2d, input: [[1, " + "9" * 400 + "], [1, 2]]}"),
                                       ["input", "finite numbers from -1e+06 to 1e+06"]),
    "5000-deep nested list": (scene("{scene: conv2d, input: " + "[" * 5000 + "1" + "]" * 5000 + "}"),
                              ["nested more than 12 levels"]),
    "scene as a list": (scene("{scene: [conv2d]}"), ["scenes[0].scene", "['conv2d']", "must be a scene id"]),
    "scene as a mapping": (scene("{scene: {a: 1}}"), ["scenes[0].scene", "{'a': 1}", "must be a scene id"]),
    "language as a list": ("language: [en]\n", ["language", "['en']", "allowed: en, zh"]),
    "error_flow index 10000": (scene("{scene: error_flow, index: 10000}"), ["index", "got 10000", "0 to 9999"]),
    "image not an image": (scene("{scene: image_filters, image: /etc/passwd}"),
                           ["image", "/etc/passwd", "not an image"]),
    "image missing": (scene("{scene: image_filters, image: nowhere.png}"), ["image", "nowhere.png", "not found"]),
    "checkpoint missing": (scene("{scene: mnist_training, checkpoint: /nowhere/mnist_cnn.pt}"),
                           ["checkpoint", "/nowhere/mnist_cnn.pt", "no such file"]),
    "checkpoint a directory": (scene("{scene: mnist_training, checkpoint: /tmp}"), ["checkpoint", "/tmp", "folder"]),
    "checkpoint not a checkpoint": (scene("{scene: error_flow, checkpoint: " + str(ASSETS / "photo.png") + "}"),
                                    ["checkpoint", "photo.png"]),
    "integer of 5000 digits": ("seed: " + "9" * 5000 + "\n", ["thousands of digits", "at most"]),
    "title too long": ("title: " + "x" * 2000 + "\n", ["title", "at most 500 characters"]),
    "latin-1 text": ("title: Réseaux\n".encode("latin-1"), ["not UTF-8", "save the config as UTF-8"]),
    "UTF-16 text": ("title: CNN\n".encode("utf-16"), ["not UTF-8"]),
    "GBK text": ("title: 卷积神经网络\n".encode("gbk"), ["not UTF-8"]),
    "PNG bytes": ((ASSETS / "photo.png").read_bytes()[:4096], ["not UTF-8"]),
    "NUL bytes": ("title: a\x00b\n", ["NUL"]),
    "alias bomb in title": (bomb_in("title: *i"), ["expands to more than 100000 values", "aliases"]),
    "alias bomb in language": (bomb_in("language: *i"), ["expands to more than 100000 values"]),
    "alias bomb as a scene entry": (bomb_in("scenes: [*i]"), ["expands to more than 100000 values"]),
    "alias bomb in seed": (bomb_in("scenes: [{scene: conv2d, seed: *i}]"), ["expands to more than 100000 values"]),
    "alias bomb in input": (bomb_in("scenes: [{scene: conv2d, input: *i}]"), ["expands to more than 100000"]),
    "recursive alias": ("scenes: &s [*s]\n", ["refers to itself"]),
    "config over 256 KiB": ("# " + "x" * (300 * 1024) + "\n", ["larger than 256 KiB"]),
}


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    return info.value.code, capsys.readouterr().err


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_config_gets_exit_2_and_a_message_naming_file_key_and_value(name, tmp_path, capsys):
    body, fragments = CASES[name]
    path = tmp_path / "hostile.yaml"
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    start = time.perf_counter()
    code, err = run_cli(["render", "conv2d", "--config", str(path), "--out", str(tmp_path / "out")], capsys)
    assert time.perf_counter() - start < 5  # refused before any work (a bomb used to take 30 s)
    assert code == 2, err
    assert str(path) in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} missing from: {err}"
    assert len(err) < 1500  # one message, never the whole expanded value
    assert not (tmp_path / "out" / "conv2d.mp4").exists()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_config_is_refused_without_reading_it_all(device, tmp_path, capsys):
    code, err = run_cli(["render", "conv2d", "--config", device, "--out", str(tmp_path)], capsys)
    assert code == 2 and device in err and "Traceback" not in err
    assert "larger than 256 KiB" in err or "not UTF-8" in err


@pytest.mark.parametrize("var, value, allowed", [("CNNVIZ_LANGUAGE", "fr", "en, zh"),
                                                 ("CNNVIZ_THEME", "neon", "dark, solarized")])
def test_a_bad_exported_variable_is_refused_before_any_render(var, value, allowed, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(var, value)
    code, err = run_cli(["render", "conv2d", "--out", str(tmp_path)], capsys)
    assert code == 2 and f"{var}: got '{value}'; allowed: {allowed}" in err and "Traceback" not in err


def test_a_bomb_is_refused_in_a_real_process_quickly_and_without_a_traceback(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb_in("title: *i"), encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "render", "conv2d", "--config", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "aliases" in done.stderr
    assert time.perf_counter() - start < 10  # the process start included


def test_an_id_named_twice_is_rendered_once(monkeypatch, tmp_path):
    import cnnviz.cli.render as render_cli

    seen = []
    monkeypatch.setattr("cnnviz.pipeline.render_scenes", lambda ids, *a, **k: seen.append(list(ids)) or [])
    render_cli.run_render(["conv2d", "conv2d", "pooling", "conv2d"], None, quality="l", out_dir=tmp_path,
                          language=None, theme=None, jobs=1, force=False, format="mp4", transparent=False)
    assert seen == [["conv2d", "pooling"]]
