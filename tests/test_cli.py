"""The command line as a user meets it: help, list, and clear errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnnviz.registry import SCENES
from cnnviz.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_list_shows_every_scene_in_lecture_order():
    res = run("list")
    assert res.exit_code == 0
    ids = [line.split()[0] for line in res.output.splitlines()]
    assert ids == [s.id for s in SCENES]


@pytest.mark.parametrize("command", ["render", "list", "train"])
def test_every_command_has_help_with_an_example(command):
    res = run(command, "--help")
    assert res.exit_code == 0
    assert "python render.py" in res.output


def test_unknown_scene_id_is_a_clear_error():
    res = run("render", "conv3d")
    assert res.exit_code == 2
    assert "unknown scene id(s): conv3d" in res.output and "conv2d" in res.output
    assert "Traceback" not in res.output


def test_invalid_config_names_file_key_and_value(tmp_path):
    bad = tmp_path / "lecture.yaml"
    bad.write_text("scenes:\n  - scene: conv2d\n    stride: zero\n")
    res = run("render", "conv2d", "--config", str(bad))
    assert res.exit_code == 2
    assert str(bad) in res.output and "stride" in res.output and "'zero'" in res.output


def test_bad_yaml_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("scenes: [\n")
    res = run("render", "conv2d", "--config", str(bad))
    assert res.exit_code == 2 and "not valid YAML" in res.output


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = run("render", "conv2d", "--out", str(blocker / "sub"))
    assert res.exit_code == 2 and "cannot write there" in res.output


def test_list_and_help_import_neither_torch_nor_manim():
    code = ("import sys; from cnnviz.cli import main\n"
            "try: main(['list'])\nexcept SystemExit: pass\n"
            "print('torch' in sys.modules, 'manim' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"


@pytest.mark.slow
def test_render_writes_clip_and_json_then_hits_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    out = tmp_path / "out"
    first = run("render", "conv2d", "--out", str(out), "--jobs", "1")
    assert first.exit_code == 0, first.output
    assert (out / "conv2d.mp4").stat().st_size > 10_000 and (out / "conv2d.json").exists()
    assert "miss" in first.output
    second = run("render", "conv2d", "--out", str(out))
    assert second.exit_code == 0 and "hit" in second.output
    # a forced render draws everything again but reuses the LaTeX output of the first
    formulas = {p: p.stat().st_mtime_ns for p in (tmp_path / "xdg" / "cnnviz" / "manim" / "conv2d").rglob("*.svg")}
    assert formulas
    third = run("render", "conv2d", "--out", str(out), "--force")
    assert third.exit_code == 0 and "miss" in third.output
    assert {p: p.stat().st_mtime_ns for p in formulas} == formulas


@pytest.mark.slow
def test_lecture_joins_clips_with_chapters_at_clip_boundaries(tmp_path):
    from cnnviz.assemble import clip_seconds

    import av

    cfg = tmp_path / "two.yaml"
    cfg.write_text("language: zh\nscenes:\n  - scene: conv2d\n    size: 4\n  - scene: conv2d_placeholder\n")
    res = run("lecture", "--config", str(cfg), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "conv2d_placeholder" in res.output  # unknown id refused before rendering
    cfg.write_text("language: zh\nscenes:\n  - scene: conv2d\n    size: 4\n")
    res = run("lecture", "--config", str(cfg), "--out", str(tmp_path / "out"), "--jobs", "1")
    assert res.exit_code == 0, res.output
    lecture, clip = tmp_path / "out" / "lecture.mp4", tmp_path / "out" / "conv2d.mp4"
    assert abs(clip_seconds(lecture) - clip_seconds(clip)) < 1e-6
    with av.open(str(lecture)) as c:
        chapters = c.chapters()
    assert [ch["metadata"]["title"] for ch in chapters] == ["二维卷积"]
    assert chapters[0]["start"] == 0
    assert abs(float(chapters[0]["end"] * chapters[0]["time_base"]) - clip_seconds(clip)) < 1e-3
    assert "二维卷积" in (tmp_path / "out" / "lecture.chapters.vtt").read_text(encoding="utf-8")
    assert "卷积核" in (tmp_path / "out" / "lecture.vtt").read_text(encoding="utf-8")  # the narration's subtitles
    deck = (tmp_path / "out" / "slides" / "index.html").read_text(encoding="utf-8")
    assert "media/conv2d/" in deck and "二维卷积" in deck
    assert "conv2d.mp4" in (tmp_path / "out" / "gallery.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_ctrl_c_during_a_render_exits_130_with_one_line_and_leaves_no_clip(tmp_path):
    import os
    import signal
    import time

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, str(ROOT / "render.py"), "render", "error_flow", "--out", str(out),
                            "--jobs", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / ".work").exists() or not list((out / ".work").iterdir()):  # the scene is rendering
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(run.pid, signal.SIGINT)  # as the terminal does on Ctrl-C: the whole process group
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert not (out / "error_flow.mp4").exists() and not (out / "error_flow.json").exists()
    assert not list((out / ".work").iterdir())  # the work folder went with the render
