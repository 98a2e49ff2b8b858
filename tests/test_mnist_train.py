"""The lecture's CNN: architecture, training on real MNIST subsets, checkpoints, resume, Ctrl-C, CLI."""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from cnnviz.cli import cli
from cnnviz.console import TrainProgress
from cnnviz.mnist import data as mdata
from cnnviz.mnist import train as mtrain
from cnnviz.mnist.model import MnistCNN, ModelConfig, layer_summary
from cnnviz.mnist.train import (
    CHECKPOINT_NAME,
    HISTORY_NAME,
    CheckpointError,
    DeviceError,
    TrainingInterrupted,
    TrainSettings,
    ensure_trained,
    cpu_threads,
    evaluate,
    load_checkpoint,
    resolve_device,
    to_tensors,
    train,
)

SMALL = ModelConfig.from_dict({"name": "small", "layers": [
    {"conv": {"filters": 8, "kernel": 3, "activation": "relu"}}, {"pool": {"size": 2}},
    {"conv": {"filters": 16, "kernel": 3, "activation": "relu"}}, {"pool": {"size": 2}},
    {"conv": {"filters": 16, "kernel": 3, "activation": "relu"}}, {"flatten": {}},
    {"dense": {"units": 16, "activation": "relu"}}, {"dense": {"units": 10}}]})

# the tiny run that resume tests replay: 20 steps an epoch, two epochs. One CPU thread: exact
# comparisons need one fixed thread count, and a single thread does not stall when other programs
# keep a core busy (these nets are too small to gain from two).
TINY = dict(epochs=2, train_limit=640, test_limit=200, seed=3, progress=False, threads=1)




pytestmark = pytest.mark.usefixtures("mnist_offline")  # conftest: no download reaches the network


@pytest.fixture(scope="module")
def tiny_run(mnist_dir, tmp_path_factory):
    """An uninterrupted TINY run: the reference every resumed run must reproduce exactly."""
    out = tmp_path_factory.mktemp("tiny")
    return train(device="cpu", data_dir=mnist_dir, out_dir=out, **TINY)


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k].cpu(), b[k].cpu()), f"{k} differs"


# --- architecture --------------------------------------------------------------------------------

def test_parameter_count_and_summary():
    model = MnistCNN()
    rows = layer_summary(model)
    assert [(r.name, r.kind, r.output_shape, r.params, r.activation) for r in rows] == [
        ("conv1", "conv", (32, 26, 26), 320, "relu"),
        ("pool1", "maxpool", (32, 13, 13), 0, None),
        ("conv2", "conv", (64, 11, 11), 18_496, "relu"),
        ("pool2", "maxpool", (64, 5, 5), 0, None),
        ("conv3", "conv", (64, 3, 3), 36_928, "relu"),
        ("flatten", "flatten", (576,), 0, None),
        ("dense1", "dense", (64,), 36_928, "relu"),
        ("dense2", "dense", (10,), 650, "softmax"),
    ]
    assert sum(r.params for r in rows) == 93_322 == sum(p.numel() for p in model.parameters())


def test_other_configs_build_and_count():
    cfg = ModelConfig.from_dict({"layers": [
        {"conv": {"filters": 8, "kernel": 3, "activation": "relu"}}, {"pool": {"size": 2}},
        {"conv": {"filters": 16, "kernel": 3, "activation": "relu"}}, {"flatten": {}},
        {"dense": {"units": 32, "activation": "relu"}}, {"dense": {"units": 10}}]})
    rows = layer_summary(MnistCNN(cfg))
    assert rows[-3].output_shape == (16 * 11 * 11,)
    with pytest.raises(ValueError, match="too small"):
        ModelConfig.from_dict({**cfg.to_dict(), "input": [1, 4, 4]})
    with pytest.raises(ValueError, match="unknown key 'convs'"):
        ModelConfig.from_dict({"convs": 3})
    assert ModelConfig.from_dict(ModelConfig().to_dict()) == ModelConfig()
    # a checkpoint from before models were described layer by layer reads as the same network
    legacy = {"conv_channels": [32, 64, 64], "kernel_size": 3, "pool_size": 2, "dense": 64, "num_classes": 10,
              "input_size": 28, "in_channels": 1}
    assert ModelConfig.from_dict(legacy) == ModelConfig()
    with pytest.raises(ValueError, match="unknown ModelConfig fields"):
        ModelConfig.from_dict({**legacy, "convs": 3})


def test_trace_gives_every_layer_and_matches_forward():
    torch.manual_seed(0)
    model = MnistCNN().eval()
    x = torch.rand(4, 1, 28, 28)
    trace = model.trace(x)
    assert [t.name for t in trace] == list(model.layers.keys())
    torch.testing.assert_close(trace[-1].z, model(x), rtol=0, atol=0)
    torch.testing.assert_close(trace[-1].a.sum(1), torch.ones(4))  # softmax probabilities
    conv1 = trace[0]
    assert torch.equal(conv1.a, torch.relu(conv1.z)) and (conv1.z < 0).any()  # Z really is pre-activation


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA"):
            resolve_device("cuda")
        if not torch.backends.mps.is_available():
            assert resolve_device("auto") == torch.device("cpu")
    else:
        assert resolve_device("auto") == torch.device("cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")


def test_to_tensors_scales_to_unit_interval():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x, y = to_tensors(images, np.array([7], dtype=np.uint8))
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    torch.testing.assert_close(x[0, 0], torch.tensor([[0.0, 1.0], [0.2, 0.4]]))
    assert y.dtype == torch.int64 and y.tolist() == [7]


# --- training ------------------------------------------------------------------------------------

def test_short_training_run_learns(mnist_dir, tmp_path, monkeypatch):
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE"):  # they would make rich take the StringIO for a terminal
        monkeypatch.delenv(var, raising=False)
    out = io.StringIO()
    res = train(epochs=1, train_limit=5000, test_limit=1000, device="cpu", data_dir=mnist_dir, out_dir=tmp_path,
                progress=True, stream=out, threads=1)
    (rec,) = res.history
    assert rec.test_acc >= 0.85, f"5k digits, 1 epoch should reach 85% test accuracy; got {rec.test_acc}"
    assert rec.train_loss < 1.5 and rec.device == "cpu"
    # the files: checkpoint loads to the same model; history.json is the documented schema
    assert res.checkpoint == tmp_path / CHECKPOINT_NAME
    hist = json.loads((tmp_path / HISTORY_NAME).read_text())
    assert list(hist) == ["epochs"] and hist["epochs"] == [asdict(rec)]
    assert set(hist["epochs"][0]) == {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds",
                                      "device"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_NAME, CHECKPOINT_NAME]  # no temp files
    ckpt = load_checkpoint(res.checkpoint)
    images, labels = mdata.load_mnist("test", mnist_dir)
    x, y = to_tensors(images[:1000], labels[:1000])
    loss, acc = evaluate(ckpt.model, x, y)
    assert acc == rec.test_acc and loss == pytest.approx(rec.test_loss, rel=1e-6)
    # progress: a Keras-like summary line for the epoch; off a terminal, plain lines and no control codes
    text = out.getvalue()
    assert "Epoch 1/1" in text and "test_accuracy: " in text and "loss: " in text
    assert "\x1b" not in text and "\r" not in text
    assert text.splitlines()[0] == "Epoch 1/1" and text.splitlines()[1].startswith("157/157 - ")


def test_resume_equals_uninterrupted(mnist_dir, tmp_path, tiny_run):
    first = train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, **{**TINY, "epochs": 1})
    assert load_checkpoint(first.checkpoint).epoch == 1
    resumed = train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, resume=True, **TINY)
    _assert_same_weights(resumed.model.state_dict(), tiny_run.model.state_dict())
    a, b = load_checkpoint(resumed.checkpoint), load_checkpoint(tiny_run.checkpoint)
    assert a.epoch == b.epoch == 2 and a.complete
    for k, v in b.optimizer_state["state"].items():  # Adam's moments too, not just the weights
        for name in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(a.optimizer_state["state"][k][name], v[name])
    strip = [lambda r: {**asdict(r), "seconds": 0}]
    assert [strip[0](r) for r in a.history] == [strip[0](r) for r in b.history]


def test_uninterrupted_runs_are_deterministic_and_seed_matters(mnist_dir, tmp_path, tiny_run):
    again = train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path / "a", **TINY)
    _assert_same_weights(again.model.state_dict(), tiny_run.model.state_dict())
    other = train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path / "b", **{**TINY, "seed": 4, "epochs": 1})
    assert not torch.equal(other.model.layers["conv1"].weight, tiny_run.model.layers["conv1"].weight)


def test_resume_refuses_other_settings(mnist_dir, tmp_path):
    train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, **{**TINY, "epochs": 1})
    with pytest.raises(CheckpointError, match="cannot resume"):
        train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, resume=True, **{**TINY, "batch_size": 64})


def test_resume_of_a_complete_run_does_nothing(tmp_path, tiny_run, mnist_dir):
    before = tiny_run.checkpoint.read_bytes()
    res = train(device="cpu", data_dir=mnist_dir, out_dir=tiny_run.checkpoint.parent, resume=True, **TINY)
    assert tiny_run.checkpoint.read_bytes() == before and len(res.history) == 2


def test_ctrl_c_in_first_epoch_saves_nothing(mnist_dir, tmp_path, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(mtrain, "train_epoch", interrupted)
    with pytest.raises(TrainingInterrupted) as err:
        train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, **TINY)
    assert err.value.epochs_done == 0 and err.value.checkpoint is None
    assert isinstance(err.value, KeyboardInterrupt)  # callers that only know Ctrl-C still see one
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_save_keeps_previous_epoch(mnist_dir, tmp_path, monkeypatch):
    real_save = mtrain._save
    calls = []

    def save_then_interrupt_second(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C inside the second epoch's atomic write
            monkeypatch.setattr(mtrain.os, "replace", _raise_keyboard_interrupt)
        return real_save(*a, **k)

    monkeypatch.setattr(mtrain, "_save", save_then_interrupt_second)
    with pytest.raises(TrainingInterrupted) as err:
        train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, **TINY)
    monkeypatch.undo()
    assert err.value.epochs_done == 1
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME).epoch == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_NAME, CHECKPOINT_NAME]  # temp files removed


def _raise_keyboard_interrupt(*a, **k):
    raise KeyboardInterrupt


def test_cpu_threads_restores_torch_setting(mnist_dir, tmp_path):
    before = torch.get_num_threads()
    with cpu_threads(1) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        with cpu_threads(0):
            pass
    train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, **{**TINY, "epochs": 1, "train_limit": 32})
    assert torch.get_num_threads() == before  # train's thread setting does not leak


def test_progress_bar_throttles_and_draws(monkeypatch):
    from rich.console import Console

    monkeypatch.setenv("TERM", "xterm")  # a dumb terminal shows no live bar
    s = io.StringIO()
    terminal = Console(file=s, force_terminal=True, color_system=None, width=150)
    with TrainProgress(3, 100, done=1, console=terminal, interval=3600) as bar:
        bar.print("Epoch 2/3")
        bar.begin_epoch()
        assert not bar.due()  # an hour between redraws: a step never draws
        bar.draw(40, {"loss": 0.5, "accuracy": 0.875})
        bar.refresh()
        text = s.getvalue()
        assert "Epoch 2/3\n" in text
        assert "40/100" in text and "steps/s" in text and "1/3" in text  # the batch bar and the epoch bar
        assert "loss: 0.5000" in text and "accuracy: 0.8750" in text
        bar.end_epoch("done", "test_accuracy: 0.9000")
        bar.refresh()
        assert "2/3" in s.getvalue() and "test_accuracy: 0.9000" in s.getvalue()
    assert "done\n" in s.getvalue()


def test_progress_off_a_terminal_is_the_lines_alone(monkeypatch):
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(var, raising=False)
    s = io.StringIO()
    summary = "20/20 - 1.0s 50ms/step - loss: 0.5000 - " + "x" * 200  # longer than any terminal: not wrapped
    with TrainProgress(1, 20, file=s) as bar:
        bar.print("Epoch 1/1")
        bar.begin_epoch()
        assert bar.interval == math.inf and not bar.due()  # nothing live: the loop never pays for a redraw
        bar.draw(10, {"loss": 0.5})  # drawn anyway: still nothing written
        bar.end_epoch(summary)
    assert s.getvalue() == f"Epoch 1/1\n{summary}\n"


# --- checkpoints ---------------------------------------------------------------------------------

def test_checkpoint_round_trip(tiny_run):
    ckpt = load_checkpoint(tiny_run.checkpoint, config=ModelConfig())
    _assert_same_weights(ckpt.model.state_dict(), tiny_run.model.state_dict())
    assert ckpt.config == ModelConfig() and ckpt.epoch == 2 and ckpt.complete and not ckpt.model.training
    assert ckpt.settings.train_limit == 640 and ckpt.settings.seed == 3 and ckpt.device == "cpu"
    assert ckpt.history == tiny_run.history


def test_mismatched_architecture_is_refused(mnist_dir, tmp_path, tiny_run):
    small = SMALL
    res = train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path, config=small, **{**TINY, "epochs": 1})
    assert load_checkpoint(res.checkpoint).config == small  # fine when no architecture is demanded
    with pytest.raises(CheckpointError, match="is for the model 'small'"):
        load_checkpoint(res.checkpoint, config=ModelConfig())
    # weights that contradict their own config
    raw = torch.load(tiny_run.checkpoint, weights_only=True)
    raw["model"]["layers.dense1.weight"] = torch.zeros(64, 100)
    bad = tmp_path / "bad.pt"
    torch.save(raw, bad)
    with pytest.raises(CheckpointError, match="do not match the architecture"):
        load_checkpoint(bad)


def test_unreadable_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    code = tmp_path / "code.pt"
    torch.save({"model": io.StringIO("pickled object")}, code)  # weights_only refuses arbitrary objects
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(code)
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(CheckpointError, match="not a cnnviz MNIST checkpoint"):
        load_checkpoint(other)


def test_ensure_trained(mnist_dir, tmp_path, monkeypatch, tiny_run):
    calls = []
    real_train = mtrain.train

    def spy(**kw):
        calls.append(kw)
        if kw.get("resume"):
            return real_train(**kw)
        raise RuntimeError("stop: would train from nothing")

    monkeypatch.setattr(mtrain, "train", spy)
    # complete checkpoint: returned without training
    assert ensure_trained(tiny_run.checkpoint.parent, mnist_dir, progress=False) == tiny_run.checkpoint
    assert calls == []
    # nothing there: trains with the default (course) settings
    with pytest.raises(RuntimeError, match="from nothing"):
        ensure_trained(tmp_path / "fresh", mnist_dir, progress=False)
    assert calls[-1] == {"data_dir": mnist_dir, "out_dir": tmp_path / "fresh", "progress": False}
    # another model and recipe: trained with that recipe; a checkpoint of another recipe is not taken for it
    with pytest.raises(RuntimeError, match="from nothing"):
        ensure_trained(tmp_path / "small", mnist_dir, progress=False, config=SMALL, settings=TrainSettings(epochs=2))
    assert calls[-1]["config"] == SMALL and calls[-1]["epochs"] == 2 and calls[-1]["out_dir"] == tmp_path / "small"
    with pytest.raises(CheckpointError, match="the lecture's `train:`"):
        ensure_trained(tiny_run.checkpoint.parent, mnist_dir, progress=False, settings=TrainSettings())
    # an interrupted run (Ctrl-C in epoch 2 of 2): finished as it was started, ending where the
    # uninterrupted one did
    real_epoch = mtrain.train_epoch
    monkeypatch.setattr(mtrain, "train_epoch", _interrupt_call(2, real_epoch))
    with pytest.raises(TrainingInterrupted):
        real_train(device="cpu", data_dir=mnist_dir, out_dir=tmp_path / "half", **TINY)
    monkeypatch.setattr(mtrain, "train_epoch", real_epoch)
    assert not load_checkpoint(tmp_path / "half" / CHECKPOINT_NAME).complete
    rec = {k: v for k, v in TINY.items() if k not in ("progress", "threads")}
    monkeypatch.setattr(mtrain, "resolve_device", lambda name: torch.device("cpu"))
    with cpu_threads(1):  # ensure_trained uses the current thread count, as the tiny run did
        path = ensure_trained(tmp_path / "half", mnist_dir, progress=False)
    assert calls[-1]["resume"] and all(calls[-1][k] == v for k, v in rec.items())
    _assert_same_weights(load_checkpoint(path).model.state_dict(), tiny_run.model.state_dict())


# --- command line --------------------------------------------------------------------------------

def _run(args, **kw):
    return CliRunner().invoke(cli, args, **kw)


def test_cli_train_help():
    res = _run(["train", "--help"])
    assert res.exit_code == 0
    for opt in ("--epochs", "--batch-size", "--device", "--seed", "--data-dir", "--out", "--resume"):
        assert opt in res.output


def test_cli_bad_device_is_a_usage_error():
    res = _run(["train", "--device", "tpu"])
    assert res.exit_code == 2 and "Traceback" not in res.output and "'tpu' is not one of" in res.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cli_unavailable_device(tmp_path):
    res = _run(["train", "--device", "cuda", "--data-dir", str(tmp_path), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "no CUDA GPU" in res.output and "Traceback" not in res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)


def test_cli_missing_data(tmp_path):
    res = _run(["train", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit) and "Traceback" not in res.output
    assert "CNNVIZ_DATA_DIR" in res.output and str(tmp_path / "none") in res.output


def _interrupt_call(n: int, fn):
    """``fn``, except that its ``n``-th call raises KeyboardInterrupt, as Ctrl-C would."""
    calls = []

    def wrapper(*a, **k):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return fn(*a, **k)
    return wrapper


def test_cli_ctrl_c_then_resume(mnist_dir, tmp_path, monkeypatch, tiny_run):
    real_epoch = mtrain.train_epoch
    monkeypatch.setattr(mtrain, "train_epoch", _interrupt_call(2, real_epoch))
    args = ["train", "--epochs", "2", "--seed", "3", "--train-limit", "640", "--test-limit", "200",
            "--device", "cpu", "--threads", "1", "--data-dir", str(mnist_dir), "--out", str(tmp_path)]
    res = _run(args)
    assert res.exit_code == 130, res.output
    assert "interrupted" in res.output and "--resume" in res.output and "Traceback" not in res.output
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME).epoch == 1
    assert len(json.loads((tmp_path / HISTORY_NAME).read_text())["epochs"]) == 1
    monkeypatch.setattr(mtrain, "train_epoch", real_epoch)
    res = _run(args + ["--resume"])
    assert res.exit_code == 0, res.output
    assert "resuming from epoch 1 of 2" in res.output and "saved" in res.output
    _assert_same_weights(load_checkpoint(tmp_path / CHECKPOINT_NAME).model.state_dict(),
                         tiny_run.model.state_dict())


def test_bench_train_command(mnist_dir):
    from cnnviz.cli.bench_train import command, run_benchmark

    res = CliRunner().invoke(command, ["--help"])
    assert res.exit_code == 0 and "--repeats" in res.output
    r = run_benchmark(data_dir=mnist_dir, train_limit=96, repeats=1, threads=1, stream=io.StringIO())
    assert r.samples == 96 and r.steps == 3 and r.ratio > 0 and r.threads == 1
    # our epoch and the plain loop do the same arithmetic on the same batches
    assert r.max_weight_diff == 0.0
