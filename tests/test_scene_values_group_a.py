"""The numbers the local_connectivity, conv1d, receptive_field, stride_padding and dilated scenes show (their
JSON arrays) equal what torch computes for their params; impossible params are config errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS, ConfigError, load_config, parse_config
from cnnviz.values import scene_json, scene_values


def arrays(scene_id, **params):
    p = SCENE_PARAMS[scene_id](**params)
    return scene_json(scene_id, p, scene_values(scene_id, p))["arrays"]


def lecture_arrays(scene_id):
    p = load_config().entry(scene_id).params
    return scene_json(scene_id, p, scene_values(scene_id, p))["arrays"]


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


# ----------------------------------------------------------------- local_connectivity
@pytest.mark.parametrize("params", [{}, {"image_size": 28, "window": 5}, {"image_size": 7, "window": 7}])
def test_local_connectivity_counts_are_real_parameter_counts(params):
    a = arrays("local_connectivity", **params)
    n, k = a["image_size"], a["window"]
    out = F.conv2d(torch.zeros(1, 1, n, n, dtype=torch.float64), torch.zeros(1, 1, k, k, dtype=torch.float64))
    positions = out.numel()
    meta = {"device": "meta"}  # count parameters without allocating 96 million of them
    assert a["pixels"] == n * n
    assert a["fc_neuron"] == torch.nn.Linear(n * n, 1, bias=False, **meta).weight.numel()
    assert a["fc_layer"] == torch.nn.Linear(n * n, positions, bias=False, **meta).weight.numel()
    assert a["local_neuron"] == a["local_shared"] == torch.nn.Conv2d(1, 1, k, bias=False).weight.numel()
    assert a["output_size"] == out.shape[-1] and a["positions"] == positions
    assert a["local_no_sharing"] == positions * k * k
    for i, j, number in a["tour"]:
        assert number == i * a["output_size"] + j + 1 and 0 <= i < out.shape[-2] and 0 <= j < out.shape[-1]


def test_local_connectivity_default_counts_and_text():
    a = lecture_arrays("local_connectivity")
    assert (a["fc_neuron"], a["local_neuron"], a["local_no_sharing"], a["local_shared"]) == (10000, 9, 86436, 9)
    v = scene_values("local_connectivity")
    assert v.text["fc_neuron"] == "10,000" and v.text["fc_layer"] == "96,040,000"


# ----------------------------------------------------------------- conv1d
@pytest.mark.parametrize("params", [{}, {"seed": 5, "length": 9, "kernel_size": 4},
                                    {"input": [1.5, -2, 0, 3], "kernel": [0.5, 2]}])
def test_conv1d_json_equals_torch(params):
    a = arrays("conv1d", **params)
    x, w = t(a["input"]), t(a["kernel"])
    np.testing.assert_allclose(a["output"], F.conv1d(x[None, None], w[None, None])[0, 0].numpy())
    np.testing.assert_allclose(np.sum(a["products"], axis=1), a["sums"])
    np.testing.assert_allclose(a["sums"], a["output"])
    np.testing.assert_allclose(np.multiply(a["patches"], a["kernel"]), a["products"])
    np.testing.assert_allclose(a["flipped_kernel"], torch.flip(w, [0]).numpy())
    # signal convolution: numpy's convolve (no deep learning convention involved) and torch on the flipped kernel
    np.testing.assert_allclose(a["convolution"], np.convolve(a["input"], a["kernel"], mode="valid"))
    np.testing.assert_allclose(a["convolution"], F.conv1d(x[None, None], torch.flip(w, [0])[None, None])[0, 0])


def test_default_lecture_conv1d():
    a = lecture_arrays("conv1d")
    assert a["input"] == [1, 2, 0, 3, 1, 2] and a["kernel"] == [1, 0, -1]
    np.testing.assert_allclose(a["output"], F.conv1d(t(a["input"])[None, None], t(a["kernel"])[None, None])[0, 0])


# ----------------------------------------------------------------- receptive_field
def field_from_gradient(size, k, s, d, layers, target):
    """Bounding size of the input cells that change output (target, target): autograd, random positive kernels."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, size, size, dtype=torch.float64, generator=g, requires_grad=True)
    y = x
    for _ in range(layers):
        y = F.conv2d(y, torch.rand(1, 1, k, k, dtype=torch.float64, generator=g) + 0.1, stride=s, dilation=d)
    y[0, 0, target, target].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1, y.shape[-1]


@pytest.mark.parametrize("params", [{}, {"stride": 2}, {"dilation": 2}, {"layers": 3}, {"layers": 1, "kernel_size": 5},
                                    {"layers": 2, "kernel_size": 2, "stride": 2}])
def test_receptive_field_json_equals_torch(params):
    a = arrays("receptive_field", **params)
    k, s, d, layers = a["kernel_size"], a["stride"], a["dilation"], len(a["field_sizes"])
    target = a["target"][0]
    h, w, out = field_from_gradient(a["map_sizes"][0], k, s, d, layers, target)
    assert h == w == a["field_sizes"][-1] == a["regions"][0][2]
    assert out == a["map_sizes"][-1] == 2 * target + 1
    x = torch.zeros(1, 1, a["map_sizes"][0], a["map_sizes"][0], dtype=torch.float64)
    for size in a["map_sizes"][1:]:
        x = F.conv2d(x, torch.zeros(1, 1, k, k, dtype=torch.float64), stride=s, dilation=d)
        assert x.shape[-1] == size
    # the path counts: every input cell of the field reaches the output; the count sums to (k*k)**layers
    paths = np.asarray(a["paths"][0])
    assert paths.sum() == (k * k) ** layers and (paths > 0).sum() <= a["field_sizes"][-1] ** 2
    # r_l = r_{l-1} + d(k-1) j_{l-1}, each line as written on screen
    for prev, inc, jump, size in a["growth"]:
        assert prev + inc * jump == size


def test_receptive_field_table_formulas():
    a = arrays("receptive_field", kernel_size=3, table_depth=5, table_stride=2, table_dilation=3)
    depths = np.array(a["table"]["depths"])
    assert a["table"]["plain"] == list(1 + depths * 2)
    assert a["table"]["dilated"] == list(1 + depths * 3 * 2)
    assert a["table"]["strided"] == list(1 + 2 * (2 ** depths - 1))
    assert lecture_arrays("receptive_field")["field_sizes"] == [3, 5]


# ----------------------------------------------------------------- stride_padding
@pytest.mark.parametrize("params", [{}, {"size": 7, "stride": 3, "padding": 0, "seed": 2},
                                    {"size": 5, "stride": 1, "padding": 2, "kernel_size": 4}])
def test_stride_padding_json_equals_torch(params):
    a = arrays("stride_padding", **params)
    s, p = a["stride"], a["padding"]
    x = t(a["input"])[None, None].requires_grad_(True)
    want = F.conv2d(x, t(a["kernel"])[None, None], stride=s, padding=p) + a["bias"]
    np.testing.assert_allclose(a["output"], want[0, 0].detach().numpy())
    np.testing.assert_allclose(a["padded_input"], F.pad(t(a["input"]), (p, p, p, p)).numpy())
    for axis, key in ((-2, "rows"), (-1, "cols")):
        terms = a["size_terms"][key]
        assert terms["m"] == want.shape[axis] == (terms["n"] + 2 * terms["p"] - terms["c"]) // terms["s"] + 1
        assert terms["quotient"] == (terms["n"] + 2 * terms["p"] - terms["c"]) / terms["s"]
    # dropped cells: padded columns no output depends on (the gradient of the padded input)
    xp = F.pad(t(a["input"]), (p, p, p, p))[None, None].requires_grad_(True)
    F.conv2d(xp, torch.ones(1, 1, *np.shape(a["kernel"]), dtype=torch.float64), stride=s).sum().backward()
    grad = xp.grad[0, 0].numpy()
    assert a["dropped_cols"] == [j for j in range(grad.shape[1]) if not grad[:, j].any()]
    assert a["dropped_rows"] == [i for i in range(grad.shape[0]) if not grad[i].any()]


def test_stride_padding_default_drops_a_column_and_variants():
    a = lecture_arrays("stride_padding")
    cols = a["size_terms"]["cols"]
    assert (cols["n"], cols["c"], cols["p"], cols["s"], cols["quotient"], cols["m"]) == (6, 3, 1, 2, 2.5, 3)
    assert a["dropped_cols"] == [7] and a["dropped_rows"] == [7]
    row = t(a["input"])[0][None, None]
    ker = t(a["kernel"])[0][None, None]
    for kind, pad in (("narrow", 0), ("wide", 2), ("same", 1)):
        v = a["variants"][kind]
        assert v["p"] == pad and v["m"] == F.conv1d(row, ker, padding=pad).shape[-1]
        assert v["padding_mask"] == list(F.pad(torch.zeros(6), (pad, pad), value=1.0).bool().numpy())
    assert a["variants"]["same"]["m"] == 6
    assert "same" not in arrays("stride_padding", kernel_size=2)["variants"]  # no symmetric same padding


# ----------------------------------------------------------------- dilated
@pytest.mark.parametrize("params", [{}, {"dilation": 3, "size": 8, "seed": 1}, {"kernel_size": 2, "dilation": 2,
                                                                              "padding": 1, "stride": 2}])
def test_dilated_json_equals_torch(params):
    a = arrays("dilated", **params)
    x, w, r = t(a["input"])[None, None], t(a["kernel"])[None, None], a["dilation"]
    p, s = params.get("padding", 0), params.get("stride", 1)
    want = F.conv2d(x, w, stride=s, padding=p, dilation=r) + a["bias"]
    np.testing.assert_allclose(a["output"], want[0, 0].numpy())
    # the kernel with holes, as drawn, is the same convolution without dilation
    np.testing.assert_allclose(F.conv2d(x, t(a["dilated_kernel"])[None, None], stride=s, padding=p)[0, 0], want[0, 0])
    np.testing.assert_allclose(np.sum(a["products"], axis=(1, 2)), a["sums"])
    k = np.shape(a["kernel"])[0]
    assert a["effective_size"] == k + (k - 1) * (r - 1) == np.shape(a["dilated_kernel"])[0]
    assert a["effective_terms"] == [k, k - 1, r - 1, a["effective_size"]]
    assert np.sum(a["footprint"]) == a["weights"] == torch.nn.Conv2d(1, 1, k, dilation=r, bias=False).weight.numel()
    assert a["dense_weights"] == torch.nn.Conv2d(1, 1, a["effective_size"], bias=False).weight.numel()
    for rate, size, weights, dense in a["table"]:
        assert size == k + (k - 1) * (rate - 1) and weights == k * k and dense == size * size


# ----------------------------------------------------------------- impossible params
@pytest.mark.parametrize("scene, params, words", [
    ("local_connectivity", {"image_size": 3, "window": 5}, "window"),
    ("conv1d", {"input": [1, 2], "kernel": [1, 0, -1]}, "kernel"),
    ("conv1d", {"length": 20}, "from 1 to 12"),
    ("conv1d", {"input": list(range(13))}, "at most 12"),
    ("receptive_field", {"layers": 4, "stride": 2}, "receptive field"),
    ("receptive_field", {"table_depth": 9}, "table_depth"),
    ("stride_padding", {"size": 4, "kernel_size": 7, "padding": 1}, "kernel"),
    ("stride_padding", {"dilation": 2}, "dilation"),
    ("stride_padding", {"size": 9, "padding": 1}, "legible"),
    ("dilated", {"size": 5, "dilation": 3}, "dilation"),
    ("dilated", {"size": 8, "padding": 1}, "legible"),
])
def test_impossible_params_are_config_errors(scene, params, words):
    with pytest.raises(ConfigError, match=words):
        parse_config({"scenes": [{"scene": scene, **params}]}, "test.yaml")
