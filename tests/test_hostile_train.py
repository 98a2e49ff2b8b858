"""Hostile input to `train` and to checkpoints: each mistake is one message naming the flag, file or field and
what is allowed, exit code 2, and no traceback; none of them costs an epoch of training first.

Damaged checkpoints are real files: the checkpoint of a tiny run, loaded, edited and saved again with
``torch.save``.
"""

from __future__ import annotations

import copy
import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from cnnviz.cli import cli
from cnnviz.cli import train as cli_train
from cnnviz.mnist import train as mtrain
from cnnviz.mnist.checkpoint_check import check_checkpoint_file
from cnnviz.mnist.train import (CHECKPOINT_NAME, CheckpointError, OutDirError, TrainSettings, check_checkpoint,
                                check_out_dir, load_checkpoint, train)
from cnnviz.paths import ASSETS

ROOT = Path(__file__).resolve().parents[1]
JUNK = random.Random(0).randbytes(5000)  # "random bytes", the same in every run
TINY = dict(epochs=2, train_limit=64, test_limit=64, seed=3, progress=False, threads=1)
TINY_ARGS = ["--epochs", "2", "--train-limit", "64", "--test-limit", "64", "--seed", "3", "--threads", "1",
             "--device", "cpu"]


pytestmark = pytest.mark.usefixtures("mnist_offline")  # conftest: no download reaches the network


@pytest.fixture(scope="module")
def good(mnist_dir, tmp_path_factory) -> dict:
    """A finished tiny run's checkpoint, as torch.load reads it (edit a deep copy)."""
    out = tmp_path_factory.mktemp("good")
    res = train(device="cpu", data_dir=mnist_dir, out_dir=out, **TINY)
    return torch.load(res.checkpoint, weights_only=True)


def _no_traceback(res) -> None:
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)


def _run(args, **kw):
    return CliRunner().invoke(cli, args, **kw)


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if an epoch starts: each refusal must come before any training."""
    def refuse(*a, **k):
        raise AssertionError("an epoch was trained before the mistake was refused")
    monkeypatch.setattr(mtrain, "train_epoch", refuse)


# --- damaged checkpoints --------------------------------------------------------------------------

def _set(key, value):
    return lambda raw: raw.__setitem__(key, value)


def _drop(key):
    return lambda raw: raw.pop(key)


DAMAGE = [  # (edit of the checkpoint dict, the field the message must name, words of what is allowed)
    (_set("epoch", "abc"), "epoch", "an integer from 1 to 2"),
    (_set("epoch", 7), "epoch", "an integer from 1 to 2"),
    (_set("epoch", 1.5), "epoch", "an integer from 1 to 2"),
    (_set("optimizer", {}), "optimizer", "'state' and 'param_groups'"),
    (_set("optimizer", [1, 2]), "optimizer", "'state' and 'param_groups'"),
    (lambda r: r["optimizer"]["param_groups"].append({}), "optimizer.param_groups", "one dict"),
    (lambda r: r["optimizer"]["param_groups"][0].__setitem__("lr", "fast"), "optimizer.param_groups[0].lr",
     "a number in (0, 1]"),
    (lambda r: r["optimizer"]["param_groups"][0].__setitem__("params", [0, 1]), "optimizer.param_groups[0].params",
     "0, 1, …, 9"),
    (lambda r: r["optimizer"]["state"][4].__setitem__("exp_avg", torch.zeros(3)), "optimizer.state[4].exp_avg",
     "shape (64, 64, 3, 3)"),
    (lambda r: r["optimizer"]["state"][0].pop("exp_avg_sq"), "optimizer.state[0]", "exp_avg_sq"),
    (lambda r: r["optimizer"]["state"].__setitem__(99, {}), "optimizer.state", "0 to 9"),
    (_drop("rng"), "rng", "fields format, model"),
    (_set("rng", "x"), "rng", "'torch' (a uint8 tensor"),
    (_set("rng", {}), "rng", "'torch' (a uint8 tensor"),
    (_set("rng", {"torch": torch.zeros(10, dtype=torch.uint8)}), "rng.torch", "uint8 tensor of shape (5056,)"),
    (_set("rng", {"torch": torch.zeros(5056)}), "rng.torch", "uint8 tensor of shape (5056,)"),
    (_set("rng", {"torch": torch.zeros(5056, dtype=torch.uint8)}), "rng.torch", "torch.get_rng_state()"),
    (lambda r: r["rng"].__setitem__("cuda", "gpu"), "rng.cuda", "a list of uint8 tensors"),
    (_set("format", 2), "format", "1 (the layout this cnnviz reads)"),
    (_set("config", "big"), "config", "ModelConfig fields"),
    (_set("config", {"conv_channels": [-1]}), "config", "model description (name, input, classes, layers)"),
    (_set("config", {"layers": [{"dense": {"units": 10}}]}), "config", "a dense layer needs a flat vector"),
    (_set("config", {"conv_channels": [64, 64, 64]}), "config", "the model 'course' (1×28×28 → conv1 32×26×26"),
    (_set("settings", None), "settings", "epochs, batch_size"),
    (lambda r: r["settings"].__setitem__("seed", 2**70), "settings.seed", "an integer from 0 to 4294967295"),
    (lambda r: r["settings"].__setitem__("batch_size", 0), "settings.batch_size", "an integer from 1 to 4096"),
    (lambda r: r["settings"].__setitem__("colour", "red"), "settings", "exactly the keys"),
    (_set("history", "long"), "history", "a list of 2 epoch records"),
    (lambda r: r["history"].pop(), "history", "a list of 2 epoch records"),
    (lambda r: r["history"][1].__setitem__("test_acc", float("nan")), "history[1].test_acc", "a number in [0, 1]"),
    (lambda r: r["history"][0].__setitem__("epoch", 5), "history[0].epoch", "1 (records are in epoch order)"),
    (_set("device", 3), "device", "a device name"),
    (_set("model", {}), "model", "exactly the tensors"),
    (lambda r: r["model"].__setitem__("layers.conv1.weight", torch.zeros(2, 2)), "model.layers.conv1.weight",
     "shape (32, 1, 3, 3)"),
    (lambda r: r["model"]["layers.dense2.bias"].__setitem__(0, float("inf")), "model.layers.dense2.bias",
     "finite values"),
    (lambda r: r["model"].__setitem__("layers.dense2.bias", "zeros"), "model.layers.dense2.bias",
     "a float tensor of shape (10,)"),
]


@pytest.mark.parametrize("damage, field, allowed", DAMAGE, ids=[f"{d[1]}-{i}" for i, d in enumerate(DAMAGE)])
def test_damaged_checkpoint_names_the_field(good, tmp_path, damage, field, allowed):
    raw = copy.deepcopy(good)
    damage(raw)
    path = tmp_path / CHECKPOINT_NAME
    torch.save(raw, path)
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(path)  # load_checkpoint's checks, the lecture's architecture demanded
    message = str(err.value)
    assert message.startswith(f"{path}: ") and f"'{field}'" in message, message
    assert "allowed: " in message and allowed in message, message
    assert err.value.path == path and err.value.field == field
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("damage, field, allowed", [DAMAGE[0], DAMAGE[3], DAMAGE[11], DAMAGE[14], DAMAGE[23]],
                         ids=["epoch", "optimizer", "rng-missing", "rng-wrong", "seed"])
def test_resume_from_a_damaged_checkpoint_is_a_clear_error(good, tmp_path, mnist_dir, no_training, damage, field,
                                                           allowed):
    raw = copy.deepcopy(good)
    damage(raw)
    torch.save(raw, tmp_path / CHECKPOINT_NAME)
    res = _run(["train", "--resume", "--out", str(tmp_path), "--data-dir", str(mnist_dir), *TINY_ARGS])
    assert res.exit_code == 2, res.output
    _no_traceback(res)
    assert str(tmp_path / CHECKPOINT_NAME) in res.output and f"'{field}'" in res.output and allowed in res.output


def test_resume_from_a_damaged_checkpoint_prints_no_traceback(good, tmp_path, mnist_dir):
    raw = copy.deepcopy(good)
    raw["epoch"] = "abc"
    torch.save(raw, tmp_path / CHECKPOINT_NAME)
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "train", "--resume", "--out", str(tmp_path),
                           "--data-dir", str(mnist_dir), *TINY_ARGS], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "checkpoint field 'epoch' is 'abc'" in done.stderr and "allowed: an integer from 1 to 2" in done.stderr


def test_a_huge_architecture_is_refused_without_building_it(good, tmp_path):
    """No architecture demanded: the file's own config is validated first (a million channels is past the
    description's bounds), and one within them is checked on torch's meta device, not built."""
    raw = copy.deepcopy(good)
    raw["config"] = {"conv_channels": [10**6, 10**6, 10**6]}  # the old form of a description
    torch.save(raw, tmp_path / CHECKPOINT_NAME)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert err.value.field == "config" and "got 1000000; must be an integer from 1 to 1024" in str(err.value)
    raw["config"] = {"conv_channels": [1024, 1024, 1024]}
    torch.save(raw, tmp_path / CHECKPOINT_NAME)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert err.value.field == "model.layers.conv1.weight" and "(1024, 1, 3, 3)" in str(err.value)


def test_an_untouched_tiny_checkpoint_passes(good, tmp_path):
    torch.save(good, tmp_path / CHECKPOINT_NAME)
    assert check_checkpoint(tmp_path / CHECKPOINT_NAME) is None
    check_checkpoint_file(tmp_path / CHECKPOINT_NAME)


def test_the_shipped_checkpoint_passes():
    shipped = ASSETS / "mnist" / CHECKPOINT_NAME
    if not shipped.is_file():
        pytest.skip("no shipped checkpoint")
    check_checkpoint_file(shipped)


@pytest.mark.parametrize("make, words", [
    ("missing", "no such checkpoint"),
    ("folder", "is a folder, not a checkpoint file"),
    ("random", "not a readable checkpoint"),
    ("empty", "not a readable checkpoint"),
    ("code", "not a readable checkpoint"),
    ("list", "not a cnnviz MNIST checkpoint"),
    ("huge", "too large for a checkpoint"),
    ("fifo", "not a regular file"),
])
def test_unusable_checkpoint_files(tmp_path, make, words):
    path = tmp_path / CHECKPOINT_NAME
    if make == "folder":
        path.mkdir()
    elif make == "random":
        path.write_bytes(JUNK)
    elif make == "empty":
        path.write_bytes(b"")
    elif make == "code":  # weights_only refuses pickled objects that would run code
        torch.save({"model": io.StringIO("pickled object")}, path)
    elif make == "list":
        torch.save([1, 2, 3], path)
    elif make == "huge":
        with open(path, "wb") as fh:
            fh.truncate(mtrain.MAX_CHECKPOINT_BYTES + 1)
    elif make == "fifo":
        os.mkfifo(path)
    with pytest.raises(CheckpointError) as err:
        check_checkpoint_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and words in message and "allowed: " in message, message
    assert err.value.field is None


@pytest.mark.parametrize("make", ["folder", "random", "fifo"])
def test_resume_from_an_unusable_file_is_a_clear_error(tmp_path, mnist_dir, no_training, make):
    path = tmp_path / CHECKPOINT_NAME
    if make == "folder":
        path.mkdir()
    elif make == "random":
        path.write_bytes(JUNK)
    else:
        os.mkfifo(path)
    res = _run(["train", "--resume", "--out", str(tmp_path), "--data-dir", str(mnist_dir), *TINY_ARGS])
    assert res.exit_code == 2, res.output
    _no_traceback(res)
    assert str(path) in res.output and "allowed: " in res.output


def test_unfinished_run_is_refused_only_where_a_finished_one_is_needed(good, tmp_path):
    raw = copy.deepcopy(good)
    raw["epoch"], raw["history"] = 1, raw["history"][:1]
    path = tmp_path / CHECKPOINT_NAME
    torch.save(raw, path)
    check_checkpoint(path)  # resumable
    with pytest.raises(CheckpointError) as err:
        check_checkpoint_file(path)  # but not a trained network
    assert err.value.field == "epoch" and "checkpoint field 'epoch' is 1" in str(err.value)
    assert "allowed: 2" in str(err.value) and "--resume" in str(err.value)


def test_other_architecture_is_refused_by_the_scene_check(good, tmp_path):
    from cnnviz.mnist.model import MnistCNN, ModelConfig

    small = ModelConfig.from_dict({"conv_channels": [4, 4, 4], "dense": 8})  # the old form still reads
    raw = copy.deepcopy(good)
    raw["config"], raw["model"] = small.to_dict(), MnistCNN(small).state_dict()
    raw["optimizer"]["state"] = {}
    path = tmp_path / CHECKPOINT_NAME
    torch.save(raw, path)
    check_checkpoint(path, config=None)  # a valid checkpoint of its own architecture
    with pytest.raises(CheckpointError) as err:
        check_checkpoint_file(path)
    assert err.value.field == "config" and "the model 'course'" in str(err.value)
    check_checkpoint_file(path, config=small)  # the lecture's own model: accepted


def test_scene_checkpoint_param_errors_name_the_file(tmp_path):
    from cnnviz.config import MnistParams
    from cnnviz.values.mnist_model import checkpoint_path, load_trained

    for target in (tmp_path / "missing.pt", tmp_path):
        with pytest.raises(CheckpointError) as err:
            checkpoint_path(MnistParams(checkpoint=str(target)))
        assert str(target) in str(err.value) and "allowed: " in str(err.value)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(JUNK)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_trained(MnistParams(checkpoint=str(junk)))


# --- --out ----------------------------------------------------------------------------------------

def _a_file(tmp_path: Path) -> Path:
    f = tmp_path / "a-file"
    f.write_text("x")
    return f


@pytest.mark.parametrize("where, words", [
    (lambda tmp: _a_file(tmp), "is a file"),
    (lambda tmp: _a_file(tmp) / "sub", "cannot write there"),
    (lambda tmp: _a_file(tmp) / "sub" / "deeper", "cannot write there"),
    (lambda tmp: Path("/proc/cnnviz-out"), "cannot write there"),
    (lambda tmp: Path("/proc/self/cnnviz"), "cannot write there"),
])
def test_unwritable_out_is_refused_before_training(tmp_path, mnist_dir, no_training, where, words):
    out = where(tmp_path)
    res = _run(["train", "--out", str(out), "--data-dir", str(mnist_dir), *TINY_ARGS])
    assert res.exit_code == 2, res.output
    _no_traceback(res)
    assert "--out" in res.output and str(out) in res.output and words in res.output


def test_unwritable_out_prints_no_traceback(tmp_path, mnist_dir):
    out = _a_file(tmp_path) / "sub"
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "train", "--out", str(out), "--data-dir",
                           str(mnist_dir), *TINY_ARGS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"--out {out}: cannot write there" in done.stderr


def test_out_check_leaves_nothing_behind(tmp_path):
    out = check_out_dir(tmp_path / "new" / "folder")
    assert out.is_dir() and list(out.iterdir()) == []
    with pytest.raises(OutDirError, match="is a file"):
        check_out_dir(_a_file(tmp_path))


def test_library_train_checks_out_before_work(tmp_path, mnist_dir, no_training):
    with pytest.raises(OutDirError, match="cannot write there"):
        train(device="cpu", data_dir=mnist_dir, out_dir=_a_file(tmp_path) / "x", **TINY)


# --- flags out of range ---------------------------------------------------------------------------

@pytest.mark.parametrize("flag, value, allowed", [
    ("--seed", str(2**70), "0<=x<=4294967295"),
    ("--seed", "-1", "0<=x<=4294967295"),
    ("--seed", str(2**32), "0<=x<=4294967295"),
    ("--epochs", "0", "1<=x<=1000"),
    ("--epochs", str(10**9), "1<=x<=1000"),
    ("--batch-size", str(10**12), "1<=x<=4096"),
    ("--threads", str(2**40), "1<=x<=256"),
    ("--threads", "0", "1<=x<=256"),
    ("--train-limit", "0", "x>=1"),
    ("--seed", "2**70", "is not a valid integer"),
])
def test_flag_out_of_range_names_the_flag_and_range(tmp_path, no_training, flag, value, allowed):
    res = _run(["train", flag, value, "--out", str(tmp_path)])
    assert res.exit_code == 2, res.output
    _no_traceback(res)
    assert f"'{flag}'" in res.output and allowed in res.output


def test_huge_seed_prints_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "train", "--seed", str(2**70), "--out",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "'--seed'" in done.stderr and "0<=x<=4294967295" in done.stderr


def test_help_documents_the_bounds():
    res = _run(["train", "--help"])
    text = " ".join(res.output.split())
    for words in ("1 to 1000", "1 to 4096", "0 to 4294967295", "1 to 256"):
        assert words in text


def test_cli_bounds_are_the_library_bounds():
    assert (cli_train.MAX_EPOCHS, cli_train.MAX_BATCH_SIZE, cli_train.MAX_SEED, cli_train.MAX_THREADS) == \
        (mtrain.MAX_EPOCHS, mtrain.MAX_BATCH_SIZE, mtrain.MAX_SEED, mtrain.MAX_THREADS)


@pytest.mark.parametrize("kw, name", [
    (dict(seed=2**70), "seed"), (dict(seed=-1), "seed"), (dict(epochs=True), "epochs"),
    (dict(batch_size=10**9), "batch_size"), (dict(lr=float("nan")), "lr"), (dict(epochs=10**6), "epochs"),
])
def test_library_settings_are_bounded(kw, name):
    with pytest.raises(ValueError, match=f"^{name} must be"):
        TrainSettings(**kw)


def test_library_threads_are_bounded(tmp_path, mnist_dir, no_training):
    with pytest.raises(ValueError, match="threads must be an integer from 1 to 256"):
        train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, **{**TINY, "threads": 2**40})


# --- Ctrl-C ---------------------------------------------------------------------------------------

def test_ctrl_c_before_the_first_epoch_exits_130(tmp_path, mnist_dir, monkeypatch):
    def interrupt(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(mtrain, "load_mnist", interrupt)
    res = _run(["train", "--out", str(tmp_path), "--data-dir", str(mnist_dir), *TINY_ARGS])
    assert res.exit_code == 130 and "interrupted" in res.output and "nothing saved" in res.output
    _no_traceback(res)
