"""The conv1d scene's signal-convolution mapping (the course's 1D slide): g[−j] = w_{j+1}, and the course's sum
y[n] = Σ_k g[k]·x[n−k] equals the CNN's output a_n, checked against numpy.convolve and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS
from cnnviz.values import scene_json, scene_values
from cnnviz.values.conv1d import signal_convolution


def arrays(**params):
    p = SCENE_PARAMS["conv1d"](**params)
    return scene_json("conv1d", p, scene_values("conv1d", p))["arrays"]


CASES = [{}, {"seed": 5, "length": 9, "kernel_size": 4}, {"input": [1.5, -2, 0, 3], "kernel": [0.5, 2]},
         {"input": [2, -1, 4, 0, 1], "kernel": [3, -2, 1]}]


@pytest.mark.parametrize("params", CASES)
def test_g_is_w_flipped_onto_the_indices_up_to_zero(params):
    a = arrays(**params)
    c = len(a["kernel"])
    assert a["signal_index"] == list(range(1 - c, 1))
    for k, u, g in zip(a["signal_index"], a["signal_from"], a["signal_kernel"]):
        assert u == 1 - k and g == a["kernel"][u - 1]  # g[k] = w_{1-k}: g[-2] = w_3, g[-1] = w_2, g[0] = w_1
    np.testing.assert_array_equal(a["signal_kernel"], torch.flip(torch.tensor(a["kernel"]), [0]).numpy())


@pytest.mark.parametrize("params", CASES)
def test_the_course_sum_with_g_is_the_cnn_output(params):
    a = arrays(**params)
    x, w = np.asarray(a["input"], float), np.asarray(a["kernel"], float)
    # numpy's convolve is signal convolution (no deep learning convention): with g it gives the CNN's output
    np.testing.assert_allclose(a["signal_output"], np.convolve(x, a["signal_kernel"], mode="valid"))
    cnn = F.conv1d(torch.tensor(x)[None, None], torch.tensor(w)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(a["signal_output"], cnn)
    np.testing.assert_allclose(a["signal_output"], a["output"])


def test_the_worked_sum_for_y1_on_the_default_numbers():
    a = arrays(input=[1, 2, 0, 3, 1, 2], kernel=[1, 0, -1])
    # y[1] = g[-2] x[3] + g[-1] x[2] + g[0] x[1] = (-1)(0) + 0(2) + 1(1)
    assert [(t["k"], t["g"], t["x_index"], t["x"]) for t in a["signal_worked"]] == [
        (-2, -1.0, 3, 0.0), (-1, 0.0, 2, 2.0), (0, 1.0, 1, 1.0)]
    assert sum(t["g"] * t["x"] for t in a["signal_worked"]) == a["output"][0] == a["signal_output"][0] == 1


def test_a_term_outside_the_row_is_left_out():
    value, terms = signal_convolution(np.array([1.0, 2.0]), {-1: 3.0, 0: 5.0}, 2)
    assert [t["x_index"] for t in terms] == [2] and value == 10.0  # x[3] does not exist
