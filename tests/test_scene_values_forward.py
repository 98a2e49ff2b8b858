"""The numbers a forward scene shows (its JSON arrays) equal what torch computes for its params."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS, load_config
from cnnviz.values import scene_json, scene_values


def arrays(scene_id, **params):
    p = SCENE_PARAMS[scene_id](**params)
    return scene_json(scene_id, p, scene_values(scene_id, p))["arrays"]


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def test_conv2d_json_equals_torch():
    a = arrays("conv2d", size=6, stride=2, padding=1, bias=0.5)
    want = F.conv2d(t(a["input"])[None, None], t(a["kernel"])[None, None], t([a["bias"]]), stride=2, padding=1)
    np.testing.assert_allclose(a["output"], want[0, 0].numpy())
    assert len(a["products"]) == np.size(a["output"])
    assert np.allclose([np.sum(p) for p in a["products"]], a["sums"])


def test_default_lecture_conv2d_json_equals_torch():
    entry = load_config().entry("conv2d")
    a = scene_json("conv2d", entry.params, scene_values("conv2d", entry.params))["arrays"]
    want = F.conv2d(t(a["input"])[None, None], t(a["kernel"])[None, None]) + a["bias"]
    np.testing.assert_allclose(a["output"], want[0, 0].numpy())


def test_omitted_input_is_reproducible():
    assert arrays("conv2d", seed=3)["input"] == arrays("conv2d", seed=3)["input"]
    assert arrays("conv2d", seed=3)["input"] != arrays("conv2d", seed=4)["input"]
