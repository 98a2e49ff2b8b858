"""The command line as a user meets it: help, list, and clear errors with exit code 2."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnnviz.registry import SCENES
from cnnviz.cli import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_forced_terminal(monkeypatch):
    """Output here is click's capture, no terminal; unless a variable tells rich otherwise (FORCE_COLOR, set
    in some CI, or TTY_COMPATIBLE), which these tests set themselves where they want a terminal."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_list_shows_every_scene_in_lecture_order():
    res = run("list")  # piped, as here: one plain line per scene, for scripts
    assert res.exit_code == 0
    ids = [line.split()[0] for line in res.output.splitlines()]
    assert ids == [s.id for s in SCENES]
    assert res.output.splitlines()[1].endswith(f"{SCENES[1].title_en} — {SCENES[1].summary}")


def test_list_on_a_terminal_is_a_table(monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the output as a terminal
    monkeypatch.setenv("COLUMNS", "250")
    res = run("list")
    assert res.exit_code == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", res.output)
    header = plain.splitlines()[0].split()
    assert header == ["id", "title", "summary"]
    positions = [plain.index(f"{s.id} ") for s in SCENES]
    assert positions == sorted(positions)  # lecture order
    for s in SCENES:
        assert re.search(rf"^{s.id} +{re.escape(s.title_en)} +{re.escape(s.summary)}", plain, re.M), s.id


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


def fake_pipeline(monkeypatch, tmp_path, *, fail=(), cached=()):
    """The real pipeline (threads, lock, callback) around a scene render that takes no time."""
    import cnnviz.pipeline as pipeline

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(pipeline, "REFERENCE_TIMES", tmp_path / "none.json")

    def render_one(info, lecture, config_path, opts):
        if info.id in fail:
            raise ValueError(f"{info.id} breaks [on purpose]")
        return pipeline.RenderResult(info.id, True, 1.5, opts.out_dir / f"{info.id}.mp4", cached=info.id in cached)
    monkeypatch.setattr(pipeline, "_render_one", render_one)


def test_render_reports_each_scene_then_a_summary_table_then_the_errors(tmp_path, monkeypatch):
    fake_pipeline(monkeypatch, tmp_path, fail=("pooling",), cached=("conv1d",))
    out = tmp_path / "out [x]"  # brackets: printed as they are, not taken for markup
    res = run("render", "conv1d", "conv2d", "pooling", "--out", str(out), "--jobs", "2")
    assert res.exit_code == 1, res.output
    text = res.output
    assert "\x1b" not in text and "\r" not in text  # no terminal: no bars, no control codes
    assert "rendering 3 scene(s) at -ql with 2 job(s)" in text
    # one line per finished scene, as it finishes
    for scene, state in [("conv1d", "cached"), ("conv2d", "ok"), ("pooling", "FAILED")]:
        assert re.search(rf"^\[\d/3\] {scene} +{state} +\d+\.\d s +elapsed +\d+ s, ETA +\d+ s$", text, re.M), scene
    assert sorted(re.findall(r"^\[(\d)/3\]", text, re.M)) == ["1", "2", "3"]
    # the summary table, in the order given: scene, seconds, cache, output
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["scene", "seconds", "cache", "output"])
    rows = lines[header + 2:header + 5]
    assert re.fullmatch(rf"conv1d +1\.5 +hit +{re.escape(str(out / 'conv1d.mp4'))} *", rows[0]), rows
    assert re.fullmatch(rf"conv2d +1\.5 +miss +{re.escape(str(out / 'conv2d.mp4'))} *", rows[1]), rows
    assert re.fullmatch(r"pooling +0\.0 +miss +FAILED *", rows[2]), rows
    # the errors after the table
    assert "\npooling failed:\nValueError: pooling breaks [on purpose]" in text
    assert lines.index("pooling failed:") > header + 4


def test_render_with_every_scene_ok_exits_0(tmp_path, monkeypatch):
    fake_pipeline(monkeypatch, tmp_path)
    res = run("render", "conv1d", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert "failed" not in res.output and re.search(r"^conv1d +1\.5 +miss ", res.output, re.M)


def test_the_render_bar_shows_done_total_eta_and_the_scenes_in_flight(monkeypatch):
    from rich.console import Console

    from cnnviz.console import SceneProgress

    monkeypatch.setenv("TERM", "xterm")  # a dumb terminal shows no live bar
    s = io.StringIO()
    terminal = Console(file=s, force_terminal=True, color_system=None, width=150)
    with SceneProgress(["a", "b", "c"], 2, console=terminal) as bar:
        bar.refresh()
        assert "0/3" in s.getvalue() and "rendering a, b" in s.getvalue() and "ETA -:--:--" in s.getvalue()
        bar.scene_done("b", "ok", 2.0, 1, 3, 600.0)  # b done first: c takes its place
        bar.refresh()
        after = s.getvalue()
        assert re.search(r"\[1/3\] b +ok +2\.0 s +elapsed +0 s, ETA +600 s", after)
        assert "1/3" in after and "rendering a, c" in after and re.search(r"ETA 0:(10:00|09:5\d)", after)


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
def test_a_course_joins_each_lecture_and_links_them_from_one_index(tmp_path):
    first, second = tmp_path / "01-ops.yaml", tmp_path / "02-nets.yaml"
    first.write_text("title: Ops\nscenes:\n  - scene: conv1d\n")
    second.write_text("title: Nets\nscenes:\n  - scene: conv1d\n")
    res = run("course", str(first), str(second), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "'conv1d' is also in" in res.output  # one clip per id: refused before any work
    second.write_text("title: Nets\nscenes:\n  - scene: local_connectivity\n    image_size: 10\n")
    assert run("course", "--config", str(first)).exit_code == 2  # lecture files are the arguments
    res = run("course", str(first), str(second), "--out", str(tmp_path / "out"), "--jobs", "1", "--voice", "none")
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    for name, scene in (("01-ops", "conv1d"), ("02-nets", "local_connectivity")):
        assert (out / f"{name}.mp4").is_file() and (out / f"{name}.chapters.vtt").is_file()
        assert f"media/{scene}/" in (out / f"slides-{name}" / "index.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("01-ops.mp4") < index.index("02-nets.mp4") and "slides-02-nets/index.html" in index
    assert "Ops" in index and "Nets" in index and 'href="gallery.html"' in index
    gallery = (out / "gallery.html").read_text(encoding="utf-8")
    assert "conv1d.mp4" in gallery and "local_connectivity.mp4" in gallery  # one gallery of every clip


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


def test_a_course_takes_lists_of_languages_and_themes_and_refuses_an_unknown_one(tmp_path, monkeypatch):
    from cnnviz.cli import course

    seen = []
    monkeypatch.setattr(course, "make_course", lambda paths, lectures, opts, named: seen.append(
        (opts["language"], opts["theme"], opts["out_dir"])))
    result = CliRunner().invoke(cli, ["course", "--language", "en,zh", "--theme", "solarized", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen == [("en", "solarized", tmp_path / "en-solarized"), ("zh", "solarized", tmp_path / "zh-solarized")]
    bad = CliRunner().invoke(cli, ["course", "--language", "en,fr", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "fr" in bad.output and "en, zh" in bad.output


def test_a_course_folder_is_named_for_the_lectures_own_theme_when_none_is_given(tmp_path, monkeypatch):
    from cnnviz.cli import course

    seen = []
    monkeypatch.setattr(course, "make_course", lambda paths, lectures, opts, named: seen.append(opts["out_dir"]))
    dark = tmp_path / "dark.yaml"
    dark.write_text("title: T\ntheme: dark\nscenes:\n  - scene: conv2d\n", encoding="utf-8")
    light = tmp_path / "light.yaml"
    light.write_text("title: U\ntheme: solarized\nscenes:\n  - scene: pooling\n", encoding="utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["course", str(dark), "--language", "en,zh", "--out", str(out)]).exit_code == 0
    assert seen == [out / "en-dark", out / "zh-dark"]  # what the one lecture renders in, not "config"
    seen.clear()
    assert CliRunner().invoke(cli, ["course", str(dark), str(light), "--language", "en,zh",
                                    "--out", str(out)]).exit_code == 0
    assert seen == [out / "en-config", out / "zh-config"]  # two themes: each lecture keeps its own


def test_one_language_and_theme_keep_the_course_in_out_itself(tmp_path, monkeypatch):
    from cnnviz.cli import course

    seen = []
    monkeypatch.setattr(course, "make_course", lambda paths, lectures, opts, named: seen.append(opts["out_dir"]))
    assert CliRunner().invoke(cli, ["course", "--language", "zh", "--out", str(tmp_path)]).exit_code == 0
    assert seen == [tmp_path]
