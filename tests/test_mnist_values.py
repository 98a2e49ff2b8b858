"""Values for the MNIST scenes, from a model trained on real digits: forward values and backprop.

The backprop test is the lecture's promise: δ and the gradients the core computes layer by layer
are torch.autograd's, to 1e-10 in float64.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import cnnviz
from cnnviz.mnist import data as mdata
from cnnviz.mnist.model import MnistCNN
from cnnviz.mnist.train import CHECKPOINT_NAME, EpochRecord, load_checkpoint, train
from cnnviz.mnist.values import (
    BackpropMismatchError,
    architecture,
    digit_backprop,
    digit_values,
    training_history,
)





@pytest.fixture(scope="module")
def trained(mnist_dir, tmp_path_factory):
    """A model trained one epoch on 3,000 real digits (a few seconds): real, structured weights."""
    out = tmp_path_factory.mktemp("values")
    res = train(epochs=1, train_limit=3000, test_limit=500, device="cpu", data_dir=mnist_dir, out_dir=out,
                progress=False, threads=1)
    return res


@pytest.fixture(scope="module")
def test_set(mnist_dir):
    return mdata.load_mnist("test", mnist_dir)


def test_architecture_from_the_real_model(trained):
    arch = architecture(trained.model)
    assert arch.input_shape == (1, 28, 28) and arch.total_params == 93_322
    assert [(r.name, r.output_shape) for r in arch.layers] == [
        ("conv1", (32, 26, 26)), ("pool1", (32, 13, 13)), ("conv2", (64, 11, 11)), ("pool2", (64, 5, 5)),
        ("conv3", (64, 3, 3)), ("flatten", (576,)), ("dense1", (64,)), ("dense2", (10,))]


def test_training_history(trained, tmp_path):
    out = trained.checkpoint.parent
    hist = training_history(out / "history.json")
    assert hist == trained.history and isinstance(hist[0], EpochRecord)
    assert training_history(out) == hist  # the output folder works too
    assert 0.0 < hist[0].test_acc <= 1.0 and hist[0].epoch == 1
    (tmp_path / "h.json").write_text(json.dumps({"runs": []}))
    with pytest.raises(ValueError, match="not a cnnviz training history"):
        training_history(tmp_path / "h.json")
    with pytest.raises(FileNotFoundError, match="train with `cnnviz train`"):  # as pytest runs it: not render.py
        training_history(tmp_path / "none.json")


def test_digit_values(trained, test_set):
    images, labels = test_set
    model = trained.model
    v = digit_values(model, images, labels, 0)
    assert v.index == 0 and v.label == 7
    np.testing.assert_array_equal(v.image, images[0] / 255.0)
    assert [lv.name for lv in v.layers] == list(model.layers.keys())
    # the learned kernels are the model's own
    w = model.layers["conv1"].weight.detach().double().numpy()
    np.testing.assert_array_equal(v.kernels, w[:, 0])
    assert v.kernels.shape == (32, 3, 3) and v.biases.shape == (32,)
    # each layer's values are what the core computes from the previous layer's
    conv1 = v.layer("conv1")
    np.testing.assert_allclose(conv1.z, cnnviz.conv2d(v.image[None], w, bias=v.biases), atol=1e-12)
    np.testing.assert_array_equal(conv1.a, np.maximum(conv1.z, 0))
    np.testing.assert_allclose(v.layer("pool1").a, cnnviz.max_pool2d(conv1.a, 2), atol=0)
    conv2 = v.layer("conv2")
    w2 = model.layers["conv2"].weight.detach().double().numpy()
    b2 = model.layers["conv2"].bias.detach().double().numpy()
    np.testing.assert_allclose(conv2.z, cnnviz.conv2d(v.layer("pool1").a, w2, bias=b2), atol=1e-12)
    np.testing.assert_array_equal(v.layer("flatten").a, v.layer("conv3").a.reshape(-1))
    # softmax probabilities, prediction; agreeing with the float32 model as trained
    assert v.probabilities.shape == (10,) and v.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert v.prediction == int(np.argmax(v.probabilities))
    with torch.no_grad():
        p32 = torch.softmax(model(torch.from_numpy(images[:1] / 255.0).float()[:, None]), 1)[0].numpy()
    np.testing.assert_allclose(v.probabilities, p32, atol=1e-5)
    with pytest.raises(IndexError):
        digit_values(model, images, labels, len(images))


def test_trained_model_mostly_right(trained, test_set):
    images, labels = test_set
    preds = [digit_values(trained.model, images, labels, i).prediction for i in range(40)]
    assert np.mean(np.array(preds) == labels[:40]) >= 0.75


def test_values_leave_the_model_alone(trained, test_set):
    images, labels = test_set
    before = {k: v.clone() for k, v in trained.model.state_dict().items()}
    digit_values(trained.model, images, labels, 3)
    digit_backprop(trained.model, images[3], labels[3])
    for k, v in trained.model.state_dict().items():
        assert v.dtype == torch.float32 and torch.equal(v, before[k])
    assert all(p.grad is None for p in trained.model.parameters())


@pytest.mark.parametrize("index", [0, 8, 247])
def test_core_backprop_equals_autograd(trained, test_set, index):
    images, labels = test_set
    b = digit_backprop(trained.model, images[index], int(labels[index]))
    assert b.max_abs_diff <= 1e-10
    shapes = {"conv1": (32, 26, 26), "pool1": (32, 13, 13), "conv2": (64, 11, 11), "pool2": (64, 5, 5),
              "conv3": (64, 3, 3), "flatten": (576,), "dense1": (64,), "dense2": (10,)}
    assert [lg.name for lg in b.layers] == list(shapes)
    for lg in b.layers:
        assert lg.delta.shape == shapes[lg.name]
        np.testing.assert_allclose(lg.delta, b.autograd[f"{lg.name}.delta"], rtol=0, atol=1e-10)
        if lg.kind in ("conv", "dense"):
            np.testing.assert_allclose(lg.grad_weight, b.autograd[f"{lg.name}.grad_weight"], rtol=0, atol=1e-10)
            np.testing.assert_allclose(lg.grad_bias, b.autograd[f"{lg.name}.grad_bias"], rtol=0, atol=1e-10)
        else:
            assert lg.grad_weight is None and lg.grad_bias is None
    assert set(b.autograd) == ({f"{n}.delta" for n in shapes}
                               | {f"{n}.{g}" for n in ("conv1", "conv2", "conv3", "dense1", "dense2")
                                  for g in ("grad_weight", "grad_bias")})
    # softmax + cross-entropy: δ_out = p − onehot, and the loss is −log p[label]
    onehot = np.eye(10)[labels[index]]
    np.testing.assert_allclose(b.layer("dense2").delta, b.probabilities - onehot, atol=1e-15)
    assert b.loss == pytest.approx(-np.log(b.probabilities[labels[index]]), rel=1e-9)
    # ReLU blocks δ wherever Z ≤ 0; the gradients are not trivially zero
    for name in ("conv1", "conv2", "conv3", "dense1"):
        lg = b.layer(name)
        assert np.all(lg.delta[lg.z <= 0] == 0)
        assert np.abs(lg.grad_weight).max() > 0
    assert b.grad_input.shape == (1, 28, 28)
    # ∂L/∂b of a conv layer is δ summed over positions
    np.testing.assert_allclose(b.layer("conv2").grad_bias, b.layer("conv2").delta.sum(axis=(1, 2)), atol=1e-12)


def test_a_wrong_core_is_caught(trained, test_set, monkeypatch):
    """The agreement check can fail: a core that forgets h′(Z) is refused."""
    images, labels = test_set
    monkeypatch.setattr(cnnviz, "activation_backward", lambda z, delta, activation="relu": np.asarray(delta))
    with pytest.raises(BackpropMismatchError, match="differ"):
        digit_backprop(trained.model, images[0], int(labels[0]))


def test_backprop_on_the_saved_checkpoint(trained, test_set):
    """Scenes load the checkpoint from disk: the same numbers come out as from the model in memory."""
    images, labels = test_set
    loaded = load_checkpoint(trained.checkpoint).model
    a = digit_backprop(loaded, images[1], int(labels[1]))
    b = digit_backprop(trained.model, images[1], int(labels[1]))
    np.testing.assert_array_equal(a.layer("conv1").grad_weight, b.layer("conv1").grad_weight)
    assert trained.checkpoint.name == CHECKPOINT_NAME


def test_bad_inputs(trained, test_set):
    images, _ = test_set
    with pytest.raises(ValueError, match="label"):
        digit_backprop(MnistCNN(), images[0], 10)
    with pytest.raises(ValueError, match=r"shape \(H, W\)"):
        digit_backprop(trained.model, images[:2], 1)
