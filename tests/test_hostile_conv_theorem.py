"""Hostile and careless conv_theorem entries: exit 2 and one message naming the file, the key, the value and
what is allowed, before any work (the corpus of tests/test_hostile_config.py, for this scene's keys)."""

from __future__ import annotations


import pytest

from cnnviz.cli import main
from cnnviz.paths import ASSETS

from hostile_support import assert_refused


def scene(entry: str) -> str:
    return "scenes:\n  - {scene: conv_theorem, " + entry + "}\n"


CASES: dict[str, tuple[str, list[str]]] = {
    "size too small": (scene("size: 8"), ["(conv_theorem).size", "got 8", "from 16 to 96"]),
    "size too large": (scene("size: 4096"), ["size", "got 4096", "from 16 to 96"]),
    "size 10**30": (scene("size: " + str(10**30)), ["size", "from 16 to 96"]),
    "size negative": (scene("size: -64"), ["size", "got -64", "from 16 to 96"]),
    "size as a string": (scene("size: '64'"), ["size", "'64'", "must be an integer"]),
    "size as a float": (scene("size: 64.5"), ["size", "64.5", "must be an integer"]),
    "size as a list": (scene("size: [64]"), ["size", "[64]"]),
    "unknown blur": (scene("blur: box7"), ["blur", "'box7'", "allowed: box3, box5, gaussian5"]),
    "blur as a number": (scene("blur: 5"), ["blur", "5", "allowed: box3, box5, gaussian5"]),
    "an asymmetric edge kernel": (scene("edge: sobel"), ["edge", "'sobel'", "allowed: laplacian4, laplacian8"]),
    "edge as a kernel": (scene("edge: [[0, 1], [-1, 0]]"), ["edge", "allowed: laplacian4, laplacian8"]),
    "unknown key": (scene("kernel: box5"), ["unknown key 'kernel'", "allowed: blur, edge, image, seed, size"]),
    "seed 10**30": (scene("seed: " + str(10**30)), ["seed", "from 0 to 4294967295"]),
    "image missing": (scene("image: nowhere.png"), ["image", "nowhere.png", "not found"]),
    "image not an image": (scene("image: /etc/passwd"), ["image", "/etc/passwd", "not an image"]),
    "image a folder": (scene("image: /tmp"), ["image", "/tmp"]),
    "image path too long": (scene("image: " + "x" * 600), ["image", "at most 500 characters"]),
    "image not a string": (scene("image: 12"), ["image", "12"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_conv_theorem_entry_gets_exit_2_and_a_message(name, tmp_path, capsys):
    body, fragments = CASES[name]
    assert_refused("conv_theorem", body, fragments, tmp_path, capsys)


def test_a_picture_too_large_is_refused(tmp_path, capsys):
    from PIL import Image

    big = tmp_path / "big.png"
    Image.new("L", (5000, 4000)).save(big)
    path = tmp_path / "c.yaml"
    path.write_text(scene(f"image: {big}"), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["render", "conv_theorem", "--config", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "5000x4000" in err and "Traceback" not in err


def test_the_shipped_photo_is_accepted():
    from cnnviz.config import parse_config

    params = parse_config({"scenes": [{"scene": "conv_theorem"}]}).entry("conv_theorem").params
    assert params.image_path() == ASSETS / "photo.png" and params.image_path().is_file()
