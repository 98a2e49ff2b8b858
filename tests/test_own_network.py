"""A teacher's own network (a lecture's ``model:``/``train:``): described in YAML, validated before any work,
built and trained in torch, and followed by the MNIST scenes' values, which equal torch's.

Three architectures unlike the course's: stride-2 convolutions and no pooling; dilation and groups; a deeper
one with batch norm, dropout and average pooling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.config import ConfigError, MnistParams, ModelConfig, TrainConfig, load_config, parse_config
from cnnviz.mnist.data import load_mnist
from cnnviz.mnist.model import MnistCNN, layer_summary
from cnnviz.mnist.train import CheckpointError, load_checkpoint, train
from cnnviz.mnist.values import digit_backprop
from cnnviz.registry import ROOT
from cnnviz.values import scene_json, scene_values
from cnnviz.values.mnist_model import checkpoint_path, network_dir

ARCHITECTURES = {
    "strided": [
        {"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1, "activation": "relu"}},
        {"conv": {"filters": 16, "kernel": 3, "stride": 2, "padding": 1, "activation": "relu"}},
        {"flatten": {}}, {"dense": {"units": 10}}],
    "dilated_grouped": [
        {"conv": {"filters": 8, "kernel": 3, "dilation": 2, "activation": "relu"}},
        {"pool": {"mode": "max", "size": 2}},
        {"conv": {"filters": 16, "kernel": 3, "groups": 4, "padding": 1, "activation": "relu"}},
        {"pool": {"mode": "max", "size": 3, "stride": 2}},
        {"flatten": {}}, {"dense": {"units": 10}}],
    "deep_normalised": [
        {"conv": {"filters": 8, "kernel": 3, "padding": 1}}, {"batchnorm": {"activation": "relu"}},
        {"conv": {"filters": 8, "kernel": 3, "padding": 1, "activation": "relu"}},
        {"pool": {"mode": "avg", "size": 2}},
        {"conv": {"filters": 16, "kernel": 3}}, {"batchnorm": {"activation": "relu"}},
        {"pool": {"mode": "max", "size": 2}},
        {"conv": {"filters": 16, "kernel": 3, "activation": "relu"}},
        {"flatten": {}}, {"dropout": {"p": 0.25}},
        {"dense": {"units": 32, "activation": "relu"}}, {"batchnorm": {}}, {"dropout": {"p": 0.5}},
        {"dense": {"units": 10}}],
}
RECIPE = TrainConfig(epochs=1, batch_size=64, lr=0.003, seed=1)


def model_of(name: str) -> ModelConfig:
    return ModelConfig.from_dict({"name": name, "layers": ARCHITECTURES[name]})


@pytest.fixture(scope="module", params=list(ARCHITECTURES))
def trained(request, tmp_path_factory, mnist_dir):
    """Each architecture trained briefly on the first 512 training digits."""
    model = model_of(request.param)
    out = tmp_path_factory.mktemp(request.param)
    result = train(epochs=RECIPE.epochs, batch_size=RECIPE.batch_size, lr=RECIPE.lr, seed=RECIPE.seed,
                   device="cpu", data_dir=mnist_dir, out_dir=out, progress=False, train_limit=512,
                   test_limit=200, config=model)
    return model, MnistParams(checkpoint=str(result.checkpoint), model=model, train=RECIPE), result


def hooked(model: nn.Module, shape) -> list[tuple[int, ...]]:
    seen: list[tuple[int, ...]] = []
    handles = [m.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:])))
               for m in model.layers.values()]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(2, *shape))
    finally:
        for h in handles:
            h.remove()
    return seen


def test_the_description_is_the_torch_network(trained):
    model, _, result = trained
    rows = model.shapes()
    assert [r.output_shape for r in rows] == hooked(result.model, model.input)
    for row, (name, module) in zip(rows, result.model.layers.items()):
        assert row.name == name and row.params == sum(t.numel() for t in module.parameters())
    saved = load_checkpoint(result.checkpoint, config=model)  # the description travels with the weights
    assert saved.config == model and saved.settings.lr == RECIPE.lr


def test_the_architecture_scene_follows_the_model(trained):
    model, params, result = trained
    doc = json.loads(json.dumps(scene_json("mnist_architecture", params, scene_values("mnist_architecture", params))))
    a = doc["arrays"]
    assert a["layer_names"] == list(result.model.layers.keys())
    assert [tuple(s) for s in a["layer_shapes"]] == hooked(result.model, model.input)
    assert a["layer_params"] == [sum(t.numel() for t in m.parameters()) for m in result.model.layers.values()]
    assert a["total_params"] == sum(t.numel() for t in result.model.parameters())
    assert doc["params"]["model"] == model.to_dict()  # the JSON says which network it shows
    listing = "\n".join(a["code"])
    for module in result.model.layers.values():
        assert type(module).__name__ in listing


def test_the_error_terms_of_every_layer_kind_equal_autograd(trained, mnist_dir):
    model, _, result = trained
    images, labels = load_mnist("test", mnist_dir)
    back = digit_backprop(result.model, images[3], int(labels[3]))  # raises if the core and autograd differ
    assert back.max_abs_diff < 1e-9
    kinds = {layer.kind for layer in back.layers}
    assert kinds == {r.kind for r in model.shapes()}


def test_the_training_history_is_the_models(trained):
    model, params, result = trained
    a = scene_json("mnist_training", params, scene_values("mnist_training", params))["arrays"]
    assert json.dumps(a["test_acc"]) == json.dumps([r.test_acc for r in result.history])


def test_a_lecture_file_sets_the_network_for_every_mnist_scene(tmp_path):
    (tmp_path / "net.yaml").write_text(json.dumps({"model": {"name": "strided", "layers": ARCHITECTURES["strided"]},
                                                   "train": {"epochs": 2}}))
    (tmp_path / "lecture.yaml").write_text("model: net.yaml\nscenes:\n  - scene: mnist_architecture\n    index: 4\n")
    lecture = load_config(tmp_path / "lecture.yaml")
    assert lecture.model == model_of("strided") and lecture.train == TrainConfig(epochs=2)
    for scene in ("error_flow", "mnist_architecture", "mnist_training", "mnist_features"):
        params = lecture.entry(scene).params
        assert params.model == model_of("strided") and params.train.epochs == 2
    assert lecture.entry("mnist_architecture").params.index == 4
    assert "model" not in type(lecture.entry("conv2d").params).model_fields


def test_a_changed_model_or_recipe_trains_afresh_and_an_unchanged_one_is_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    a, b = model_of("strided"), model_of("dilated_grouped")
    assert network_dir(a, RECIPE) == network_dir(model_of("strided"), TrainConfig(**RECIPE.model_dump()))
    assert network_dir(a, RECIPE) != network_dir(b, RECIPE)
    assert network_dir(a, RECIPE) != network_dir(a, TrainConfig(epochs=2))
    assert network_dir(a, RECIPE).parent == tmp_path / "cnnviz" / "networks"
    # the course's model and recipe: the shipped checkpoint, no training
    assert checkpoint_path(MnistParams(), train_if_missing=False).parent.name == "mnist"
    with pytest.raises(FileNotFoundError):  # another model: nothing shipped for it, nothing trained yet
        checkpoint_path(MnistParams(model=a, train=RECIPE), train_if_missing=False)


def test_a_checkpoint_of_another_network_is_refused_when_the_lecture_is_read(trained, tmp_path):
    model, params, result = trained
    text = f"scenes:\n  - scene: mnist_architecture\n    checkpoint: {result.checkpoint}\n"
    (tmp_path / "l.yaml").write_text(text)
    with pytest.raises(ConfigError, match="is for the model"):
        load_config(tmp_path / "l.yaml")  # the lecture's model is the course's
    (tmp_path / "l.yaml").write_text(f"model: {json.dumps(model.to_dict())}\n" + text)
    assert load_config(tmp_path / "l.yaml").entry("mnist_architecture").params.model == model


BAD_MODELS = {  # one mistake each: the layer's index and kind, its input shape and why
    "too small": ({"input": [1, 8, 8], "layers": [{"conv": {"filters": 4, "kernel": 9}}, {"flatten": {}},
                                                  {"dense": {"units": 10}}]},
                  ["layers[0] (conv, input 1×8×8)", "too small"]),
    "dense on a volume": ({"layers": [{"conv": {"filters": 4, "kernel": 3}}, {"dense": {"units": 10}}]},
                          ["layers[1] (dense, input 4×26×26)", "put `- flatten: {}` before it"]),
    "groups": ({"layers": [{"conv": {"filters": 6, "kernel": 3}}, {"conv": {"filters": 8, "kernel": 3, "groups": 4}},
                           {"flatten": {}}, {"dense": {"units": 10}}]},
               ["layers[1] (conv, input 6×26×26)", "groups 4 must divide both the 6 input channels"]),
    "classes": ({"layers": [{"flatten": {}}, {"dense": {"units": 7}}]},
                ["layers[1] (dense, output 7)", "the last layer must be a dense layer of 10 units"]),
    "pool after flatten": ({"layers": [{"flatten": {}}, {"pool": {"size": 2}}, {"dense": {"units": 10}}]},
                           ["layers[1] (pool, input 784)", "already flat"]),
    "unknown kind": ({"layers": [{"convolution": {"filters": 4}}]}, ["layers[0]", "unknown layer kind",
                                                                     "conv, pool, flatten"]),
    "bad option": ({"layers": [{"conv": {"filters": 4, "kernel": 3, "stride": 0}}]},
                   ["layers[0] (conv).stride", "got 0", "from 1 to 8"]),
}


@pytest.mark.parametrize("name", list(BAD_MODELS))
def test_a_bad_model_is_refused_before_any_work_naming_the_layer(tmp_path, name):
    model, fragments = BAD_MODELS[name]
    path = tmp_path / "lecture.yaml"
    path.write_text(json.dumps({"model": model, "scenes": [{"scene": "mnist_architecture"}]}))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    for fragment in [str(path), *fragments]:
        assert fragment in str(err.value), str(err.value)


def test_the_cli_refuses_a_bad_model_with_exit_2(tmp_path):
    path = tmp_path / "lecture.yaml"
    path.write_text(json.dumps({"model": BAD_MODELS["dense on a volume"][0]}))
    res = subprocess.run([sys.executable, "render.py", "render", "mnist_architecture", "--config", str(path),
                          "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "layers[1] (dense, input 4×26×26)" in res.stderr and not (tmp_path / "out").exists()


#: models the digit scenes cannot draw, each refused when the lecture is read: (scene, model, words of the message)
UNDRAWABLE = {
    "colour input": ("error_flow", {"input": [3, 28, 28], "layers": [{"conv": {"filters": 4, "kernel": 3}},
                                                                      {"flatten": {}}, {"dense": {"units": 10}}]},
                     "reads 3 channels; the scene draws the digit it sends through the network as one greyscale"),
    "too many classes": ("mnist_features", {"classes": 12, "layers": [{"conv": {"filters": 4, "kernel": 3}},
                                                                      {"flatten": {}}, {"dense": {"units": 12}}]},
                         "has 12 classes; the scene draws one cell per class, at most 10"),
    "no conv layer": ("mnist_features", {"layers": [{"flatten": {}}, {"dense": {"units": 10}}]},
                      "has no conv layer (flatten, dense1); the scene shows the first conv layer's learned kernels"),
    "too deep to list": ("error_flow", {"layers": [{"conv": {"filters": 4, "kernel": 3, "padding": 1}}] * 16
                                        + [{"flatten": {}}, {"dense": {"units": 10}}]},
                         "has 18 layers; the scene lists the layers beside its panels, at most 16"),
}


@pytest.mark.parametrize("case", list(UNDRAWABLE))
def test_a_model_a_digit_scene_cannot_draw_is_refused_when_the_lecture_is_read(case, tmp_path):
    scene, model, words = UNDRAWABLE[case]
    path = tmp_path / "l.yaml"
    path.write_text(json.dumps({"model": {"name": "mine", **model},
                                "scenes": [{"scene": "mnist_architecture"}, {"scene": scene}]}))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    for fragment in (str(path), f"scene {scene}: the model 'mine' {words}"):
        assert fragment in str(err.value), str(err.value)
    path.write_text(json.dumps({"model": {"name": "mine", **model}, "scenes": [{"scene": "mnist_architecture"}]}))
    assert load_config(path).model.name == "mine"  # the architecture scene draws any of them


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_digit_scene_takes_each_architecture(arch, tmp_path):
    path = tmp_path / "l.yaml"
    path.write_text(json.dumps({"model": {"name": arch, "layers": ARCHITECTURES[arch]},
                                "scenes": [{"scene": "error_flow"}, {"scene": "mnist_features"}]}))
    assert load_config(path).entry("error_flow").params.model == model_of(arch)
