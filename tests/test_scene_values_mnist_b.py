"""error_flow and mnist_features: the numbers in their JSON equal torch's on the shipped trained model.

error_flow's δ against autograd (hooks via ``retain_grad`` on a float64 copy of the model), mnist_features'
activations and probabilities against a direct forward pass.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS, load_config
from cnnviz.mnist import data as mdata
from cnnviz.values import scene_json, scene_values
from cnnviz.values.mnist_model import SHIPPED_DIR

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "mnist"


def _data_dir() -> Path:
    env = os.environ.get("CNNVIZ_DATA_DIR")
    for d in ([Path(env)] if env else []) + [SHARED]:
        if all(any((d / f"{n}{ext}").is_file() for ext in ("", ".gz")) for n in mdata.SHA256):
            return d
    pytest.skip(f"real MNIST not found (looked in $CNNVIZ_DATA_DIR and {SHARED})")


pytestmark = pytest.mark.skipif(not (SHIPPED_DIR / "mnist_cnn.pt").is_file(), reason="no shipped checkpoint")


@pytest.fixture(scope="module")
def env():
    d = _data_dir()
    old = os.environ.get("CNNVIZ_DATA_DIR")
    os.environ["CNNVIZ_DATA_DIR"] = str(d)
    yield d
    if old is None:
        os.environ.pop("CNNVIZ_DATA_DIR")
    else:
        os.environ["CNNVIZ_DATA_DIR"] = old


def doc(scene_id, params):
    return scene_json(scene_id, params, scene_values(scene_id, params))["arrays"]


def model64(params):
    from cnnviz.values.mnist_model import load_trained

    m = copy.deepcopy(load_trained(params).model).double().eval()
    return m


def activations(m, x: torch.Tensor) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every layer's activation A for ``x`` and the softmax probabilities, layer by layer with torch (an oracle
    apart from the model's own ``trace``)."""
    acts, h = {}, x
    with torch.no_grad():
        for name, layer in m.layers.items():
            z = layer(h)
            h = torch.relu(z) if m.activations[name] == "relu" else z
            acts[name] = h[0].numpy()
        probs = torch.softmax(h, dim=1)[0].numpy()
    return acts, probs


def digit(env, index):
    images, labels = mdata.load_mnist("test", env)
    return torch.tensor(images[index] / 255.0, dtype=torch.float64)[None, None], int(labels[index])


def autograd_deltas(m, x, label):
    """∂L/∂Z of every layer by plain torch: each layer's output kept with retain_grad."""
    zs, h = {}, x
    for name, layer in m.layers.items():
        z = layer(h)
        z.retain_grad()
        zs[name] = z
        act = m.activations[name]
        h = torch.relu(z) if act == "relu" else z
    loss = F.cross_entropy(h, torch.tensor([label]))
    loss.backward()
    return {n: z.grad[0].numpy() for n, z in zs.items()}, {n: z.detach()[0].numpy() for n, z in zs.items()}, loss


@pytest.mark.parametrize("index", [None, 0])
def test_error_flow_json_deltas_equal_autograd(env, index):
    p = load_config().entry("error_flow").params
    if index is not None:
        p = SCENE_PARAMS["error_flow"](index=index)
    a = doc("error_flow", p)
    x, label = digit(env, p.index)
    grads, zs, loss = autograd_deltas(model64(p), x, label)
    assert a["label"] == label and a["loss"] == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(a["delta_dense2"], grads["dense2"], atol=1e-12)
    np.testing.assert_allclose(np.asarray(a["probabilities"]) - np.asarray(a["onehot"]), grads["dense2"], atol=1e-12)
    unit = 10.0 ** -a["unit_exponent"]
    for name in a["steps"][1:]:  # every δ drawn: a whole vector, or one channel's map and a crop in numbers
        grid = np.asarray(a["shown_grids"][name], float)
        if grads[name].ndim == 1:
            np.testing.assert_allclose(a[f"delta_{name}_shown"], grads[name], atol=1e-12)
            expect = grads[name][:grid.size].reshape(grid.shape)  # folded into rows (64 units: 8×8)
        else:
            c = a[f"delta_{name}_channel"]
            np.testing.assert_allclose(a[f"delta_{name}_shown"], grads[name][c], atol=1e-12)
            r, q, s = a[f"delta_{name}_crop"]
            expect = grads[name][c, r:r + s, q:q + s]
        np.testing.assert_array_equal(grid, np.round(expect * unit))  # the integers on screen
    for name in ("dense1", "conv3", "conv2", "conv1"):  # h′ shown is ReLU's slope of the real Z
        c = a.get(f"delta_{name}_channel")
        slope = (zs[name] > 0).astype(float)
        np.testing.assert_array_equal(a[f"relu_slope_{name}_shown"], slope if c is None else slope[c])
    assert a["max_abs_diff_core_vs_autograd"] < 1e-10
    assert a["steps"] == ["output", "dense1", "conv3", "pool2", "conv2", "pool1", "conv1"]


def test_mnist_features_json_equals_forward_pass(env):
    p = load_config().entry("mnist_features").params
    a = doc("mnist_features", p)
    x, label = digit(env, p.index)
    m = model64(p)
    np.testing.assert_allclose(a["image"], x[0, 0].numpy())
    acts, probs = activations(m, x)
    for name in ("conv1", "pool1", "conv2", "pool2", "conv3"):
        ch = a[f"{name}_channels"]
        assert len(ch) == 8 and ch == sorted(ch)
        np.testing.assert_allclose(a[f"{name}_maps"], acts[name][ch], atol=1e-12)
    assert a["pool1_channels"] == a["conv1_channels"] and a["pool2_channels"] == a["conv2_channels"]
    np.testing.assert_allclose(a["probabilities"], probs, atol=1e-12)
    assert sum(a["probabilities"]) == pytest.approx(1.0)
    assert a["prediction"] == int(np.argmax(probs)) and a["label"] == label
    np.testing.assert_allclose(a["kernels"], m.layers["conv1"].weight.detach()[:, 0].numpy())
    for c, k in zip(a["kernels_in_numbers"], a["kernels_shown"]):
        np.testing.assert_allclose(k, np.round(a["kernels"][c], 2))


def test_mnist_index_out_of_range(env):
    with pytest.raises(ValueError, match="index"):
        scene_values("mnist_features", SCENE_PARAMS["mnist_features"](index=10_000))
