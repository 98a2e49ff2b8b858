"""The ``residual`` scene's numbers against torch: the block's output equals an ``nn.Module``'s, the per-layer
gradient norms equal a second, independent autograd computation (modules, ``torch.autograd.grad``), the
forward view's x_L = x_0 + Σ F(x_i) holds, everything is reproducible by seed, and the shortcut stack's
gradient at layer 1 is far larger than the plain stack's."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.config import ResidualParams
from cnnviz.mnist.data import load_mnist
from cnnviz.values import scene_json, scene_values
from cnnviz.values.residual import compute

SMALL = ResidualParams(blocks=3, channels=4, batch_size=8, seed=5)  # quick, and not the defaults


class Block(nn.Module):
    """y = conv₂(ReLU(conv₁(x))) + x, one channel, 3×3 kernels, padding 1, no bias."""

    def __init__(self, w1: np.ndarray, w2: np.ndarray) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 1, 3, padding=1, bias=False).double()
        self.conv2 = nn.Conv2d(1, 1, 3, padding=1, bias=False).double()
        with torch.no_grad():
            self.conv1.weight.copy_(torch.tensor(w1)[None, None])
            self.conv2.weight.copy_(torch.tensor(w2)[None, None])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.conv2(torch.relu(self.conv1(x)))
        return f, f + x


class Stack(nn.Module):
    """The stem 1 → C with ReLU, ``blocks`` blocks conv → ReLU → conv, with or without shortcuts, a dense
    head; its modules created in the order the values module draws them (stem, the blocks' convolutions,
    head), so ``torch.manual_seed`` gives the same default initialisation."""

    def __init__(self, blocks: int, channels: int, shortcut: bool) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, channels, 3, padding=1)
        self.convs = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(2 * blocks))
        self.head = nn.Linear(channels * 28 * 28, 10)
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x0 = h = torch.relu(self.stem(x))
        total = torch.zeros_like(h)
        for a, b in zip(self.convs[::2], self.convs[1::2]):
            f = b(torch.relu(a(h)))
            total = total + f
            h = h + f if self.shortcut else f
        return self.head(h.flatten(1)), x0 + total, h


def oracle_norms(p: ResidualParams, values: dict, shortcut: bool) -> list[float]:
    """‖∂ℒ/∂W_l‖ per convolution with modules and torch.autograd.grad, on the digits the JSON names."""
    torch.manual_seed(p.seed)
    model = Stack(p.blocks, p.channels, shortcut).double()
    images, labels = load_mnist("test")
    index = np.asarray(values["batch_index"])
    x = torch.tensor(images[index], dtype=torch.float64)[:, None] / 255.0
    y = torch.tensor(labels[index].astype(np.int64))
    logits, unrolled, out = model(x)
    if shortcut:  # the forward view: the stem's output plus every block's F is the stack's output
        assert torch.allclose(unrolled, out, rtol=0, atol=1e-9)
    loss = nn.functional.cross_entropy(logits, y)
    weights = [model.stem.weight] + [c.weight for c in model.convs]
    grads = torch.autograd.grad(loss, weights)
    return [float(g.norm()) for g in grads]


def test_the_block_equals_a_torch_module(mnist_dir):
    a = compute(SMALL).arrays
    f, y = Block(a["kernel1"], a["kernel2"])(torch.tensor(a["input"])[None, None])
    assert np.allclose(a["residual"], f[0, 0].detach().numpy(), rtol=0, atol=1e-12)
    assert np.allclose(a["output"], y[0, 0].detach().numpy(), rtol=0, atol=1e-12)
    assert np.array_equal(a["output"], a["residual"] + a["input"])  # the shortcut's addition, cell by cell
    assert np.array_equal(a["relu1"], np.maximum(a["z1"], 0))
    assert a["input"].shape == (SMALL.size, SMALL.size)


@pytest.mark.parametrize("p", [SMALL, ResidualParams()], ids=["small", "defaults"])
def test_the_gradient_norms_equal_a_second_autograd_computation(p, mnist_dir):
    a = compute(p).arrays
    assert len(a["plain_norms"]) == len(a["shortcut_norms"]) == 2 * p.blocks + 1 == a["layers"]
    for key, shortcut in (("plain_norms", False), ("shortcut_norms", True)):
        assert np.allclose(a[key], oracle_norms(p, a, shortcut), rtol=1e-9, atol=0), key
    assert np.allclose(a["plain_log_norms"], np.log10(a["plain_norms"]))
    lo, hi = a["log_range"]
    assert lo <= min(a["plain_log_norms"] + a["shortcut_log_norms"]) and max(a["shortcut_log_norms"]) <= hi


def test_the_shortcuts_keep_the_first_layers_gradient(mnist_dir):
    a = compute(ResidualParams()).arrays
    # the default: 21 layers; the plain stack's layer-1 gradient is orders of magnitude smaller
    assert a["first_layer_shortcut"] > 1e4 * a["first_layer_plain"]
    assert a["first_layer_ratio"] == pytest.approx(a["first_layer_shortcut"] / a["first_layer_plain"])
    assert a["forward_max_error"] < 1e-9
    small = compute(SMALL).arrays
    assert small["first_layer_shortcut"] > small["first_layer_plain"]


def test_reproducible_by_seed_and_different_for_another(mnist_dir):
    one, again = compute(SMALL).arrays, compute(SMALL).arrays
    assert json.dumps(scene_json("residual", SMALL, compute(SMALL))) == json.dumps(
        scene_json("residual", SMALL, compute(SMALL)))
    assert one["plain_norms"] == again["plain_norms"] and one["batch_index"] == again["batch_index"]
    other = compute(SMALL.model_copy(update={"seed": 6})).arrays
    assert other["batch_index"] != one["batch_index"] and other["plain_norms"] != one["plain_norms"]
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    compute(SMALL)
    assert torch.equal(torch.rand(1), before)  # the caller's random state is left as it was


def test_the_json_holds_every_number_and_the_labels_of_its_digits(mnist_dir):
    values = scene_values("residual", SMALL)
    doc = scene_json("residual", SMALL, values)
    arrays = json.loads(json.dumps(doc))["arrays"]
    _, labels = load_mnist("test")
    assert arrays["batch_labels"] == labels[arrays["batch_index"]].tolist()
    assert len(arrays["batch_index"]) == SMALL.batch_size
    assert arrays["first_cell_text"]["y"] == str(int(arrays["output"][0][0]))
    assert arrays["layer_ticks"][0] == 1 and arrays["layer_ticks"][-1] <= arrays["layers"]


@pytest.mark.parametrize("key, value", [("blocks", 1), ("channels", 4), ("batch_size", 1), ("size", 2)])
def test_the_smallest_settings_compute(key, value, mnist_dir):
    p = ResidualParams(**{key: value, "blocks": 1 if key != "blocks" else value})
    a = compute(p).arrays
    assert a["layers"] == 2 * p.blocks + 1
    assert all(v > 0 for v in a["plain_norms"] + a["shortcut_norms"])
