"""MNIST scenes, part A (mnist_architecture, mnist_training): the JSON of each equals the real model and the
real run: shapes from a forward pass with hooks, parameter counts from the tensors, the history as training
wrote it, and the recorded final test accuracy as re-measured on the real test set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.config import MnistParams, load_config
from cnnviz.mnist.data import load_mnist
from cnnviz.mnist.train import HISTORY_NAME, evaluate, to_tensors
from cnnviz.values import scene_json, scene_values
from cnnviz.values.mnist_architecture import check_listing
from cnnviz.values.mnist_model import checkpoint_path, load_trained

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "mnist"
SHIPPED = MnistParams()


def arrays(scene_id: str, params: MnistParams = SHIPPED) -> dict:
    return json.loads(json.dumps(scene_json(scene_id, params, scene_values(scene_id, params))["arrays"]))


def hooked_shapes(model: nn.Module) -> list[tuple[int, ...]]:
    """Each layer's output shape (without the batch axis), seen by forward hooks on a real forward pass."""
    seen: list[tuple[int, ...]] = []
    handles = [layer.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:])))
               for layer in model.layers.values()]
    try:
        with torch.no_grad():
            model(torch.zeros(2, 1, 28, 28))
    finally:
        for h in handles:
            h.remove()
    return seen


# ---------------------------------------------------------------- mnist_architecture
def test_architecture_shapes_and_counts_equal_the_model():
    a = arrays("mnist_architecture")
    model = load_trained(SHIPPED).model
    real = hooked_shapes(model)
    # the JSON writes H×W×C (Keras order); torch gives C×H×W
    shown = [tuple(s) if len(s) == 1 else (s[2], s[0], s[1]) for s in a["shapes"][1:]]
    assert shown == real
    assert a["shapes"] == [[28, 28, 1], [26, 26, 32], [13, 13, 32], [11, 11, 64], [5, 5, 64], [3, 3, 64],
                           [576], [64], [10]]
    per_layer = [sum(p.numel() for p in layer.parameters()) for layer in model.layers.values()]
    assert a["params"][1:] == per_layer
    assert a["total_params"] == sum(p.numel() for p in model.parameters()) == 93_322
    assert a["total_params_text"] == "93,322"
    assert a["params_text"][1:] == [f"{n:,}" for n in per_layer]
    assert a["total_formula"].endswith("93{,}322")


def test_architecture_listing_is_the_model():
    a = arrays("mnist_architecture")
    model = load_trained(SHIPPED).model
    check_listing(a["code"], model)  # runs it, loads the weights, same logits
    broken = [line.replace("nn.Conv2d(32, 64, 3)", "nn.Conv2d(32, 64, 5)") for line in a["code"]]
    with pytest.raises((AssertionError, RuntimeError)):
        check_listing(broken, model)


def test_lecture_entries_in_order():
    ids = [e.scene for e in load_config().scenes]
    assert ids.index("mnist_architecture") + 1 == ids.index("mnist_training")
    assert ids.index("backprop_pool") < ids.index("mnist_architecture")


# ---------------------------------------------------------------- mnist_training
def test_training_json_equals_history_json():
    a = arrays("mnist_training")
    hist = json.loads((checkpoint_path(SHIPPED).parent / HISTORY_NAME).read_text())["epochs"]
    assert a["epochs"] == [r["epoch"] for r in hist]
    for key in ("train_loss", "test_loss", "train_acc", "test_acc", "seconds"):
        assert a[key] == [r[key] for r in hist], key
    assert a["device"] == hist[-1]["device"]
    assert a["final_test_acc"] == hist[-1]["test_acc"]
    assert a["final_test_acc_text"] == f"{100 * hist[-1]['test_acc']:.2f}%"
    # every plotted value lies inside its axis
    lo, hi, _ = a["loss_range"]
    assert lo <= min(a["train_loss"] + a["test_loss"]) and max(a["train_loss"] + a["test_loss"]) <= hi
    lo, hi, _ = a["acc_range"]
    assert lo <= min(a["train_acc_pct"] + a["test_acc_pct"]) and max(a["train_acc_pct"] + a["test_acc_pct"]) <= hi
    assert np.isclose(a["mean_seconds"], np.mean(a["seconds"]))


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="the real MNIST is not beside the project")
def test_recorded_test_accuracy_is_measured_on_the_real_test_set():
    ckpt = load_trained(SHIPPED)
    x, y = to_tensors(*load_mnist("test", DATA_DIR, download=False))
    assert len(y) == 10_000
    _, acc = evaluate(ckpt.model, x, y)
    assert acc == ckpt.history[-1].test_acc == arrays("mnist_training")["final_test_acc"]
