"""Values computed in one process and read in a scene's: exactly the right ones, and without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from cnnviz.registry import SCENES
from cnnviz.config import SCENE_PARAMS
from cnnviz.values import load_values, save_values, scene_values

ROOT = Path(__file__).resolve().parents[1]


def test_stored_values_come_back_for_the_same_scene_and_parameters(tmp_path):
    params = SCENE_PARAMS["conv2d"]()
    values = scene_values("conv2d", params)
    save_values(tmp_path / "v.pkl", "conv2d", params, values)
    back = load_values(tmp_path / "v.pkl", "conv2d", SCENE_PARAMS["conv2d"]())
    assert back is not None
    np.testing.assert_array_equal(back.arrays["output"], values.arrays["output"])
    assert [s.value for s in back.trace.steps] == [s.value for s in values.trace.steps]
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically


def test_stored_values_are_refused_for_other_parameters_or_another_scene(tmp_path):
    params = SCENE_PARAMS["conv2d"]()
    save_values(tmp_path / "v.pkl", "conv2d", params, scene_values("conv2d", params))
    assert load_values(tmp_path / "v.pkl", "conv2d", params.model_copy(update={"seed": params.seed + 1})) is None
    assert load_values(tmp_path / "v.pkl", "dilated", SCENE_PARAMS["dilated"]()) is None


def test_a_missing_or_broken_values_file_reads_as_none(tmp_path):
    params = SCENE_PARAMS["conv2d"]()
    assert load_values(tmp_path / "absent.pkl", "conv2d", params) is None
    (tmp_path / "broken.pkl").write_bytes(b"not a pickle")
    assert load_values(tmp_path / "broken.pkl", "conv2d", params) is None


def test_every_scenes_values_load_without_importing_torch(tmp_path, mnist_dir):
    for info in SCENES:
        params = SCENE_PARAMS[info.id]()
        save_values(tmp_path / f"{info.id}.pkl", info.id, params, scene_values(info.id, params))
    code = ("import sys\nfrom cnnviz.config import SCENE_PARAMS\nfrom cnnviz.values import load_values\n"
            f"ids = {[s.id for s in SCENES]!r}\n"
            f"ok = [load_values(r'{tmp_path}/' + i + '.pkl', i, SCENE_PARAMS[i]()) is not None for i in ids]\n"
            "print(all(ok), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]
