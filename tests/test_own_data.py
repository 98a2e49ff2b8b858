"""A teacher's own small data set in place of MNIST (``data:``): a folder of class folders or an ``.npz``, read,
normalised and split reproducibly, checked against the model before any work, and part of the trained network's
identity; bad data refused clearly, with bounded memory. Also: a clip's cache key follows the bytes of the
files it names (``input_image:``), not their paths."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz import own_data
from cnnviz.config import ConfigError, MnistParams, ModelConfig, TrainConfig, load_config
from cnnviz.own_data import DataError, content_digest, inspect_data, load_data, split_indices
from cnnviz.registry import ROOT

SMALL = {"name": "small", "input": [1, 12, 12], "classes": 3,
         "layers": [{"conv": {"filters": 4, "kernel": 3, "stride": 2, "activation": "relu"}}, {"flatten": {}},
                    {"dense": {"units": 3}}]}


def write_npz(path: Path, n: int = 30, shape=(12, 12), classes: int = 3, dtype=np.uint8, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, *shape)).astype(dtype)
    np.savez(path, x=x, y=np.arange(n) % classes)
    return path


def write_folder(root: Path, counts: dict[str, int], size=(12, 10), colour: str | None = None) -> Path:
    rng = np.random.default_rng(2)
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            mode = "RGB" if colour == name and i == 0 else "L"
            a = rng.integers(0, 256, (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0]), dtype=np.uint8)
            Image.fromarray(a, mode).save(root / name / f"{i:03d}.png")
    return root


# ------------------------------------------------------------------ reading, normalising, splitting
def test_an_npz_of_uint8_pictures_is_scaled_by_255_and_split_stratified(tmp_path):
    path = write_npz(tmp_path / "d.npz", n=40)
    with np.load(path) as z:
        x, y = z["x"], z["y"]
    data = load_data(path)
    assert data.info.shape == (1, 12, 12) and data.info.classes == ("0", "1", "2") and data.info.count == 40
    train_idx, test_idx = split_indices(y)
    assert sorted([*train_idx, *test_idx]) == list(range(40)) and not set(train_idx) & set(test_idx)
    for k in range(3):  # round(0.2·n) of each class in the test split
        assert (y[test_idx] == k).sum() == round(own_data.TEST_FRACTION * (y == k).sum())
    np.testing.assert_array_equal(data.x_test[:, 0], x[test_idx].astype(np.float32) / 255)
    np.testing.assert_array_equal(data.x_train[:, 0], x[train_idx].astype(np.float32) / 255)
    np.testing.assert_array_equal(data.y_test, y[test_idx])
    again = load_data(path)  # seeded: the same split every time, whatever numpy's global state
    np.random.seed(123)
    np.testing.assert_array_equal(again.y_test, data.y_test)
    np.testing.assert_array_equal(again.x_test, data.x_test)


def test_an_npz_of_floats_in_nchw_is_scaled_to_0_1_by_its_range(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (20, 2, 6, 5))
    np.savez(tmp_path / "f.npz", x=x, y=np.arange(20) % 2)
    data = load_data(tmp_path / "f.npz")
    assert data.info.shape == (2, 6, 5)
    whole = np.concatenate([data.x_train, data.x_test])
    assert whole.dtype == np.float32 and whole.min() == 0.0 and whole.max() == pytest.approx(1.0)
    train_idx, _ = split_indices(np.arange(20) % 2)
    np.testing.assert_allclose(data.x_train, (x[train_idx] - x.min()) / (x.max() - x.min()), atol=1e-6)


def test_a_folder_of_class_folders_gives_sorted_class_names_and_pixels_over_255(tmp_path):
    root = write_folder(tmp_path / "pics", {"zebra": 3, "ant": 4, "moth": 2})
    data = load_data(root)
    assert data.info.classes == ("ant", "moth", "zebra") and data.info.shape == (1, 10, 12)
    files = sorted((root / "ant").glob("*.png")) + sorted((root / "moth").glob("*.png")) + sorted(
        (root / "zebra").glob("*.png"))
    labels = np.array([0] * 4 + [1] * 2 + [2] * 3)
    train_idx, test_idx = split_indices(labels)
    expected = np.stack([np.asarray(Image.open(f), np.float32) / 255 for f in files])
    np.testing.assert_array_equal(data.x_test[:, 0], expected[test_idx])
    np.testing.assert_array_equal(data.y_train, labels[train_idx])


def test_one_colour_picture_makes_the_folder_rgb(tmp_path):
    root = write_folder(tmp_path / "pics", {"a": 2, "b": 2}, colour="b")
    data = load_data(root)
    assert data.info.shape == (3, 10, 12) and data.x_train.shape[1:] == (3, 10, 12)


# ------------------------------------------------------------------ bad data
def _zip_with_header(path: Path, shape: tuple[int, ...]) -> Path:
    """An .npz whose x.npy header claims ``shape`` but holds no pixels: refused from the header alone."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "|u1", "fortran_order": False, "shape": shape})
    y = io.BytesIO()
    np.save(y, np.arange(4) % 2)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", head.getvalue())
        zf.writestr("y.npy", y.getvalue())
    return path


BAD = {
    "missing": (lambda d: d / "nothing.npz", ["nothing.npz", "no such file or folder"]),
    "not npz": (lambda d: (d / "d.csv").write_text("1,2") and d / "d.csv", ["neither a folder nor an .npz"]),
    "broken npz": (lambda d: (d / "d.npz").write_bytes(b"PK not a zip") and d / "d.npz", ["not an .npz"]),
    "extra key": (lambda d: np.savez(d / "d.npz", x=np.zeros((4, 3, 3)), y=np.arange(4) % 2, z=1) or d / "d.npz",
                  ["holds the arrays ['x', 'y', 'z']", "exactly x"]),
    "x shape": (lambda d: np.savez(d / "d.npz", x=np.zeros((4, 9)), y=np.arange(4) % 2) or d / "d.npz",
                ["key x has shape (4, 9)", "N×C×H×W or N×H×W"]),
    "y length": (lambda d: np.savez(d / "d.npz", x=np.zeros((4, 3, 3)), y=np.arange(5) % 2) or d / "d.npz",
                 ["key y has shape (5,)", "(4,)"]),
    "float labels": (lambda d: np.savez(d / "d.npz", x=np.zeros((4, 3, 3)), y=np.arange(4) / 2) or d / "d.npz",
                     ["key y has dtype float64", "integer labels"]),
    "negative label": (lambda d: np.savez(d / "d.npz", x=np.zeros((4, 3, 3)), y=np.array([0, 1, -1, 1])) or
                       d / "d.npz", ["key y holds the label -1", "0 to K−1"]),
    "empty class": (lambda d: np.savez(d / "d.npz", x=np.zeros((6, 3, 3)), y=np.array([0, 0, 2, 2, 2, 0])) or
                    d / "d.npz", ["0 samples of class 1", "every class 0…2 with at least 2"]),
    "constant": (lambda d: np.savez(d / "d.npz", x=np.ones((4, 3, 3)), y=np.arange(4) % 2) or d / "d.npz",
                 ["key x holds one value only"]),
    "nan": (lambda d: np.savez(d / "d.npz", x=np.array([np.nan, 1, 2, 3] * 9).reshape(4, 3, 3), y=np.arange(4) % 2)
            or d / "d.npz", ["key x holds NaN or infinite values"]),
    "objects": (lambda d: np.savez(d / "d.npz", x=np.array([[[None]]] * 4, dtype=object), y=np.arange(4) % 2) or
                d / "d.npz", ["array 'x' holds Python objects"]),
    "huge header": (lambda d: _zip_with_header(d / "d.npz", (10**6, 256, 256)), ["at most 100000 samples"]),
    "not a picture": (lambda d: write_folder(d / "p", {"a": 2, "b": 2}) and (d / "p" / "b" / "x.png").write_text(
        "text") and d / "p", ["x.png", "not a picture Pillow can read"]),
    "mixed sizes": (lambda d: write_folder(d / "p", {"a": 2, "b": 2}) and Image.new("L", (5, 5)).save(
        d / "p" / "b" / "z.png") or d / "p", ["z.png", "5×5 pixels", "12×10", "pictures of one size"]),
    "class of one": (lambda d: write_folder(d / "p", {"a": 2, "b": 1}), ["class 'b' has 1 picture", "at least 2"]),
    "empty class folder": (lambda d: write_folder(d / "p", {"a": 2, "b": 0}), ["class 'b' has 0 pictures"]),
    "stray file": (lambda d: write_folder(d / "p", {"a": 2, "b": 2}) and (d / "p" / "notes.txt").write_text("x")
                   and d / "p", ["'notes.txt' is a file", "only class folders"]),
    "one class": (lambda d: write_folder(d / "p", {"a": 3}), ["1 class folder", "at least 2"]),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_data_is_refused_naming_the_file_and_what_is_allowed(tmp_path, name):
    make, fragments = BAD[name]
    path = make(tmp_path)
    with pytest.raises(DataError) as err:
        load_data(path)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_too_many_pictures_are_refused_before_they_are_read(tmp_path, monkeypatch):
    root = write_folder(tmp_path / "p", {"a": 3, "b": 3})
    monkeypatch.setattr(own_data, "MAX_SAMPLES", 5)
    opened: list[Path] = []
    monkeypatch.setattr(own_data, "_picture_header", lambda p: opened.append(p) or ("L", (12, 10)))
    with pytest.raises(DataError, match="more than 5 pictures"):
        inspect_data(root)
    assert opened == []  # counted from the listing, not by opening pictures


# ------------------------------------------------------------------ the lecture file
def lecture(tmp_path: Path, data: str, model: dict | None = None, scenes=("mnist_architecture",)) -> Path:
    path = tmp_path / "lecture.yaml"
    path.write_text(json.dumps({"model": model or SMALL, "data": data, "scenes": [{"scene": s} for s in scenes]}))
    return path


def test_a_lecture_names_its_data_beside_model_and_every_mnist_scene_gets_it(tmp_path):
    write_npz(tmp_path / "d.npz")
    lec = load_config(lecture(tmp_path, "d.npz"))  # relative to the lecture's folder
    assert lec.data == str(tmp_path / "d.npz")
    for scene in ("mnist_architecture", "mnist_training", "error_flow", "mnist_features"):
        assert lec.entry(scene).params.data == str(tmp_path / "d.npz")
    assert load_config(tmp_path / "lecture.yaml").entry("mnist_architecture").params.data == lec.data


@pytest.mark.parametrize("model, fragments", [
    ({**SMALL, "input": [1, 28, 28]}, ["model.input is [1, 28, 28]", "are 1×12×12", "allowed: input: [1, 12, 12]"]),
    ({**SMALL, "classes": 10, "layers": [*SMALL["layers"][:-1], {"dense": {"units": 10}}]},
     ["model.classes is 10 and the last layer has 10 units", "has 3 classes (0, 1, 2)", "classes: 3"]),
])
def test_a_model_that_does_not_fit_the_data_is_refused_when_the_lecture_is_read(tmp_path, model, fragments):
    write_npz(tmp_path / "d.npz")
    path = lecture(tmp_path, "d.npz", model)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    for fragment in [str(path), str(tmp_path / "d.npz"), *fragments]:
        assert fragment in str(err.value), str(err.value)


def test_data_in_a_scene_entry_is_refused(tmp_path):
    path = tmp_path / "l.yaml"
    path.write_text(json.dumps({"scenes": [{"scene": "mnist_training", "data": "d.npz"}]}))
    with pytest.raises(ConfigError, match=r"scenes\[0\].data: set `data:` at the top of the lecture file"):
        load_config(path)


def test_the_train_cli_refuses_data_the_model_does_not_fit_with_exit_2(tmp_path):
    write_npz(tmp_path / "d.npz")
    path = lecture(tmp_path, "d.npz", {**SMALL, "input": [1, 28, 28]})
    res = subprocess.run([sys.executable, "render.py", "train", "--config", str(path), "--out", str(tmp_path / "o")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "model.input is [1, 28, 28]" in res.stderr and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ training on it; its identity
def test_training_uses_the_own_data_and_its_bytes_key_the_network(tmp_path, monkeypatch):
    from cnnviz.mnist.train import train
    from cnnviz.values.mnist_model import checkpoint_path, network_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = write_npz(tmp_path / "d.npz", n=45)
    model, recipe = ModelConfig.from_dict(SMALL), TrainConfig(epochs=1, batch_size=8, seed=3)
    result = train(epochs=1, batch_size=8, seed=3, device="cpu", out_dir=tmp_path / "o", progress=False,
                   config=model, data=data, threads=1)
    own = load_data(data)
    assert result.history[0].test_acc * len(own.y_test) == pytest.approx(round(result.history[0].test_acc
                                                                               * len(own.y_test)))
    import torch

    with torch.no_grad():  # the recorded test accuracy is the model's on the own data's test split
        acc = (result.model(torch.from_numpy(own.x_test)).argmax(1).numpy() == own.y_test).mean()
    assert result.history[0].test_acc == pytest.approx(acc)
    # the network's folder: keyed by the data's bytes; the same bytes at the same path reuse it
    key = network_dir(model, recipe, data)
    assert key == network_dir(model, recipe, data) != network_dir(model, recipe)
    write_npz(data, n=45, seed=9)  # the same path, other pictures: trains afresh
    assert network_dir(model, recipe, data) != key
    params = MnistParams(model=model, train=recipe, data=str(data))
    with pytest.raises(FileNotFoundError):
        checkpoint_path(params, train_if_missing=False)
    trained = checkpoint_path(params)  # trains into the data's own folder
    assert trained.parent == network_dir(model, recipe, data)
    with pytest.raises(DataError, match="model.input is"):  # the direct API checks the fit too
        train(epochs=1, device="cpu", out_dir=tmp_path / "p", progress=False, data=data, threads=1)


def test_content_digest_follows_bytes_not_paths(tmp_path):
    a = write_folder(tmp_path / "a", {"x": 2, "y": 2})
    b = write_folder(tmp_path / "b", {"x": 2, "y": 2})
    assert content_digest(a) == content_digest(b)
    (b / "y" / "000.png").rename(b / "y" / "009.png")  # a renamed picture is another data set
    assert content_digest(a) != content_digest(b)
    assert content_digest(tmp_path / "none") == "missing"


def test_a_clips_cache_key_follows_the_input_images_bytes(tmp_path):
    from cnnviz.pipeline import RenderOptions, cache_key
    from cnnviz.registry import scene_spec

    digit = tmp_path / "digit.png"
    canvas = np.full((40, 40), 255, np.uint8)
    canvas[8:32, 18:22] = 0  # a dark stroke on light paper: a "1"
    Image.fromarray(canvas).save(digit)
    path = tmp_path / "l.yaml"
    path.write_text(json.dumps({"scenes": [{"scene": "mnist_features", "input_image": "digit.png"}]}))
    spec, opts = scene_spec("mnist_features"), RenderOptions(voice="none")
    before = cache_key(spec, load_config(path), opts)
    assert cache_key(spec, load_config(path), opts) == before
    canvas[8:32, 10:30] = 0  # the same file name, another picture
    Image.fromarray(canvas).save(digit)
    assert cache_key(spec, load_config(path), opts) != before


def test_the_feature_scene_sends_a_digit_of_the_own_test_split_through_the_network(tmp_path, monkeypatch):
    import torch

    from cnnviz.config import parse_config
    from cnnviz.values import scene_values
    from cnnviz.values.mnist_model import load_trained

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = write_npz(tmp_path / "d.npz", n=60, shape=(20, 20))
    model = {"name": "own", "input": [1, 20, 20], "classes": 3, "layers": [  # the course's order, other sizes
        {"conv": {"filters": 4, "kernel": 3, "activation": "relu"}}, {"pool": {}},
        {"conv": {"filters": 4, "kernel": 3, "activation": "relu"}}, {"pool": {}},
        {"conv": {"filters": 4, "kernel": 2, "activation": "relu"}}, {"flatten": {}},
        {"dense": {"units": 8, "activation": "relu"}}, {"dense": {"units": 3}}]}
    lec = parse_config({"model": model, "train": {"epochs": 1, "batch_size": 16}, "data": str(data),
                        "scenes": [{"scene": "mnist_features", "index": 5}]})
    params = lec.entry("mnist_features").params
    values = scene_values("mnist_features", params).arrays
    own = load_data(data)
    np.testing.assert_array_equal(values["image"], own.x_test[5, 0].astype(np.float64))
    assert values["label"] == int(own.y_test[5])
    net = copy.deepcopy(load_trained(params).model).double()  # the loaded one is cached: left as it is
    with torch.no_grad():
        logits = net(torch.from_numpy(own.x_test[5:6].astype(np.float64)))
    assert values["prediction"] == int(logits.argmax())


def test_a_checkpoint_remembers_its_data_and_is_not_resumed_or_shown_on_other_data(tmp_path, monkeypatch):
    from cnnviz.mnist.train import CheckpointError, load_checkpoint, train
    from cnnviz.values.mnist_model import load_trained

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = write_npz(tmp_path / "d.npz", n=30)
    model = ModelConfig.from_dict(SMALL)
    out = tmp_path / "o"
    result = train(epochs=1, batch_size=8, device="cpu", out_dir=out, progress=False, config=model, data=data,
                   threads=1)
    assert load_checkpoint(result.checkpoint).data_digest == content_digest(data)
    params = MnistParams(model=model, train=TrainConfig(epochs=1, batch_size=8), data=str(data),
                         checkpoint=str(result.checkpoint))
    assert load_trained(params).data_digest == content_digest(data)
    write_npz(data, n=30, seed=5)  # other pictures under the same name
    with pytest.raises(CheckpointError, match="'data_digest' says it was trained on the data set of SHA-256"):
        train(epochs=2, batch_size=8, device="cpu", out_dir=out, progress=False, config=model, data=data,
              resume=True, threads=1)
    with pytest.raises(CheckpointError, match="but the lecture's data is the data set of SHA-256"):
        load_trained(params)
