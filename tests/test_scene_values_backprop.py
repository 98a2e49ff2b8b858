"""The gradients the backprop scenes show (their JSON arrays) equal torch.autograd's, float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS, ConfigError, load_config, parse_config
from cnnviz.values import scene_json, scene_values


def arrays(scene_id, params):
    return scene_json(scene_id, params, scene_values(scene_id, params))["arrays"]


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def conv_autograd(a):
    x, w, b = t(a["input"], True), t(a["kernel"], True), t([a["bias"]], True)
    p = a["_p"]
    z = F.conv2d(x[None, None], w[None, None], b, stride=p.stride, padding=p.padding)[0, 0]
    assert tuple(z.shape) == np.shape(a["delta"])
    np.testing.assert_allclose(a["output"], z.detach().numpy())
    z.backward(t(a["delta"]))
    return x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


CONV_CASES = [
    {},
    {"stride": 2},
    {"padding": 1},
    {"size": 5, "kernel_size": 3, "stride": 2, "padding": 1, "bias": 0.5, "seed": 3},
    {"size": 6, "kernel_size": 3, "stride": 2, "padding": 1, "seed": 1},  # a row the floor leaves unused
    {"input": [[1, 2, 0], [0, 1, 3], [2, 1, 0]], "kernel": [[1, -1], [0, 2]], "delta": [[0.5, -1], [2, 0.25]]},
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=[str(c) for c in CONV_CASES])
def test_backprop_conv_json_equals_autograd(kw):
    p = SCENE_PARAMS["backprop_conv"](**kw)
    p.check()
    a = arrays("backprop_conv", p)
    grad_a, grad_w, grad_b = conv_autograd({**a, "_p": p})
    np.testing.assert_allclose(a["grad_input"], grad_a, atol=1e-12)
    np.testing.assert_allclose(a["grad_kernel"], grad_w, atol=1e-12)
    np.testing.assert_allclose(a["grad_bias"], grad_b[0], atol=1e-12)
    # each step shown sums to the value written into the gradient grid
    np.testing.assert_allclose(a["grad_kernel_sums"], np.ravel(a["grad_kernel"]))
    np.testing.assert_allclose(a["grad_input_sums"], np.ravel(a["grad_input"]))
    assert np.allclose([np.sum(q) for q in a["grad_input_products"]], a["grad_input_sums"])
    np.testing.assert_array_equal(a["rot180_kernel"], np.rot90(np.asarray(a["kernel"]), 2))


def test_default_lecture_backprop_conv_equals_autograd():
    p = load_config().entry("backprop_conv").params
    a = arrays("backprop_conv", p)
    grad_a, grad_w, grad_b = conv_autograd({**a, "_p": p})
    np.testing.assert_allclose(a["grad_input"], grad_a)
    np.testing.assert_allclose(a["grad_kernel"], grad_w)
    assert a["grad_bias"] == pytest.approx(grad_b[0])


POOL_CASES = [
    {},
    {"mode": "avg"},
    {"input_size": 5, "size": 3, "stride": 2, "seed": 2},  # overlapping windows: δ adds up
    {"input_size": 5, "size": 2, "stride": 2, "mode": "avg"},  # a row and column no window touches
    {"input": [[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]], "delta": [[1, -2], [3, 4]]},
]


@pytest.mark.parametrize("kw", POOL_CASES, ids=[str(c) for c in POOL_CASES])
def test_backprop_pool_json_equals_autograd(kw):
    p = SCENE_PARAMS["backprop_pool"](**kw)
    p.check()
    a = arrays("backprop_pool", p)
    assert a["modes"][0] == p.mode and sorted(a["modes"]) == ["avg", "max"]
    for mode in ("max", "avg"):
        x = t(a["input"], True)
        pool = F.max_pool2d if mode == "max" else F.avg_pool2d
        y = pool(x[None, None], p.size, stride=p.stride)[0, 0]
        np.testing.assert_allclose(a["outputs"][mode], y.detach().numpy())
        y.backward(t(a["delta"]))
        np.testing.assert_allclose(a[f"{mode}_grad_input"], x.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(a[f"{mode}_running"][-1], x.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(a["grad_input"], a[f"{p.mode}_grad_input"])
    np.testing.assert_allclose(a["output"], a["outputs"][p.mode])


def entry(scene, **kw):
    return parse_config({"scenes": [{"scene": scene, **kw}]}, "test.yaml")


def test_backprop_conv_delta_of_wrong_shape_is_refused():
    with pytest.raises(ConfigError, match=r"delta.*\(3, 3\)"):
        entry("backprop_conv", size=4, kernel_size=2, delta=[[1, 2], [3, 4]])
    with pytest.raises(ConfigError, match=r"delta.*\(2, 2\)"):  # stride 2 halves the output
        entry("backprop_conv", size=4, kernel_size=2, stride=2, delta=[[1, 2, 3]] * 3)
    entry("backprop_conv", size=4, kernel_size=2, stride=2, delta=[[1, 2], [3, 4]])


def test_backprop_pool_delta_of_wrong_shape_is_refused():
    with pytest.raises(ConfigError, match=r"delta.*\(2, 2\)"):
        entry("backprop_pool", input_size=4, size=2, delta=[[1, 2, 3]])
    entry("backprop_pool", input_size=4, size=2, delta=[[1, 2], [3, 4]])


def test_backprop_conv_too_big_or_dilated_is_refused():
    with pytest.raises(ConfigError, match="padding"):
        entry("backprop_conv", size=8, padding=1)
    with pytest.raises(ConfigError, match="dilation"):
        entry("backprop_conv", size=5, kernel_size=2, dilation=2)
