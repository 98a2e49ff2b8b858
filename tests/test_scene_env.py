"""The pipeline-to-scene protocol: written and read by one structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnviz.scene_env import PROTOCOL_VARIABLES, SceneEnv, SceneEnvError


def test_what_the_pipeline_writes_the_scene_reads_back(tmp_path):
    sent = SceneEnv(config=tmp_path / "l.yaml", language="zh", theme="solarized", json_dir=tmp_path,
                    values=tmp_path / "v.pkl", manim_cache=tmp_path / "c", build_ahead=False,
                    exit_after_render=True, speedups=False)
    got = SceneEnv.from_environ(sent.to_environ())
    assert got == SceneEnv(config=(tmp_path / "l.yaml").resolve(), language="zh", theme="solarized",
                           json_dir=tmp_path.resolve(), values=(tmp_path / "v.pkl").resolve(),
                           manim_cache=(tmp_path / "c").resolve(), build_ahead=False, exit_after_render=True,
                           speedups=False)
    assert set(sent.to_environ()) <= PROTOCOL_VARIABLES


def test_nothing_set_means_a_plain_manim_run():
    assert SceneEnv.from_environ({}) == SceneEnv()
    assert SceneEnv.from_environ({"CNNVIZ_LANGUAGE": "", "CNNVIZ_CONFIG": ""}) == SceneEnv()
    assert SceneEnv().speedups and SceneEnv().build_ahead and not SceneEnv().exit_after_render


@pytest.mark.parametrize("var, value, allowed", [("CNNVIZ_LANGUAGE", "fr", "en, zh"),
                                                 ("CNNVIZ_THEME", "neon", "dark, solarized"),
                                                 ("CNNVIZ_SPEEDUPS", "yes", "0, 1")])
def test_a_bad_value_names_the_variable_and_what_is_allowed(var, value, allowed):
    with pytest.raises(SceneEnvError, match=f"{var}: got '{value}'; allowed: {allowed}"):
        SceneEnv.from_environ({var: value})


def test_a_child_gets_the_pipelines_values_and_none_the_shell_exported():
    base = {"PATH": "/bin", "CNNVIZ_VALUES": "/stale.pkl", "CNNVIZ_THEME": "neon", "CNNVIZ_DATA_DIR": "/mnist"}
    env = SceneEnv.child_environ(base, SceneEnv(language="en"))
    assert env["PATH"] == "/bin" and env["CNNVIZ_DATA_DIR"] == "/mnist" and env["CNNVIZ_LANGUAGE"] == "en"
    assert "CNNVIZ_VALUES" not in env and "CNNVIZ_THEME" not in env


def test_the_protocol_is_written_and_read_in_one_module_only():
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*root.glob("cnnviz/**/*.py"), *root.glob("scenes/**/*.py")]:
        if path.name == "scene_env.py":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(root)}: {v}" for v in sorted(PROTOCOL_VARIABLES)
                      if f'"{v}"' in text or f"'{v}'" in text]
    assert not offenders
