"""Issue #18's "Tests": architectures unlike the course's validate, train briefly on a subset of MNIST and render
their four MNIST scenes (mnist_architecture, mnist_training, error_flow, mnist_features) with plain ``manim`` at a
tiny resolution; the numbers in each clip's JSON are checked against torch (forward, evaluation) and autograd
(the error terms δ = ∂L/∂Z), in float64.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import ModelConfig, TrainConfig, load_config
from cnnviz.mnist.data import load_mnist
from cnnviz.mnist.train import load_checkpoint, train
from cnnviz.registry import ROOT, scene_spec
from tests.test_own_network import ARCHITECTURES as UNLIKE_THE_COURSE

SCENES = ("mnist_architecture", "mnist_training", "error_flow", "mnist_features")
#: the three of tests/test_own_network.py (stride-2 convolutions and no pooling; dilation and groups; deeper, with
#: batch norm, dropout and average pooling), and one in the course's layer order with other sizes and options
#: (a 5×5 kernel, padding, an overlapping 3×3 pool of stride 2), which error_flow and mnist_features already draw
ARCHITECTURES = {
    **UNLIKE_THE_COURSE,
    "course_order": [
        {"conv": {"filters": 6, "kernel": 5, "padding": 2, "activation": "relu"}},
        {"pool": {"mode": "max", "size": 3, "stride": 2}},
        {"conv": {"filters": 12, "kernel": 3, "activation": "relu"}},
        {"pool": {"mode": "max", "size": 2}},
        {"conv": {"filters": 8, "kernel": 3, "activation": "relu"}},
        {"flatten": {}}, {"dense": {"units": 64, "activation": "relu"}}, {"dense": {"units": 10}}],
}
RENDERED = [(arch, scene) for arch in ARCHITECTURES for scene in SCENES]
#: (architecture, scene) pairs whose numbers are right but whose layout is not yet: some of their frames leave the
#: picture (JSON ``out_of_frame``). Strict: a fixed layout fails here until the pair is deleted from this list.
LEAVES_THE_FRAME_TODAY: list[tuple[str, str]] = []
RECIPE = TrainConfig(epochs=1, batch_size=64, lr=0.003, seed=1)
TRAIN_LIMIT, TEST_LIMIT = 512, 200
INDEX = 3  # the test digit error_flow and mnist_features send through the network


def model_of(name: str) -> ModelConfig:
    return ModelConfig.from_dict({"name": name, "layers": ARCHITECTURES[name]})


def write_lecture(path: Path, arch: str, scenes, checkpoint: Path | None = None) -> Path:
    entry = {"index": INDEX} if checkpoint is None else {"index": INDEX, "checkpoint": str(checkpoint)}
    path.write_text(json.dumps({"model": model_of(arch).to_dict(), "train": RECIPE.model_dump(),
                                "scenes": [{"scene": s, **entry} for s in scenes]}))
    return path


_TRAINED: dict[str, Path] = {}


@pytest.fixture
def trained_checkpoint(tmp_path_factory, mnist_dir):
    """A function: the checkpoint of an architecture trained one epoch on the first 512 training digits (once)."""
    def get(arch: str) -> Path:
        if arch not in _TRAINED:
            out = tmp_path_factory.mktemp(f"net-{arch}")
            result = train(epochs=RECIPE.epochs, batch_size=RECIPE.batch_size, lr=RECIPE.lr, seed=RECIPE.seed,
                           device="cpu", data_dir=mnist_dir, out_dir=out, progress=False, train_limit=TRAIN_LIMIT,
                           test_limit=TEST_LIMIT, config=model_of(arch), threads=1)
            _TRAINED[arch] = result.checkpoint
        return _TRAINED[arch]
    return get


def render_tiny(scene: str, config: Path, tmp_path: Path) -> dict:
    """Render one scene of ``config`` with plain manim at 160x90, 5 fps; its JSON."""
    spec = scene_spec(scene)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    cmd = [sys.executable, "-m", "manim", "render", "-r", "160,90", "--frame_rate", "5", "--media_dir",
           str(tmp_path / "media"), "--disable_caching", "-v", "WARNING", str(ROOT / spec.path), spec.cls]
    done = subprocess.run(cmd, cwd=tmp_path, env={**env, "CNNVIZ_CONFIG": str(config), "OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    clips = list((tmp_path / "media").rglob(f"{spec.cls}.mp4"))
    assert len(clips) == 1 and clips[0].stat().st_size > 1000, clips
    return json.loads((clips[0].parent / f"{scene}.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the oracles: torch and autograd in float64
def autograd_trace(net, image: np.ndarray, label: int) -> dict[str, dict[str, np.ndarray]]:
    """Every layer's Z, A and δ = ∂L/∂Z (L the cross-entropy of ``label``), by torch autograd, in float64."""
    net = copy.deepcopy(net).double().eval()
    x = torch.from_numpy(np.asarray(image, np.float64).reshape(1, 1, *np.shape(image)))
    zs: dict[str, torch.Tensor] = {}
    acts: dict[str, torch.Tensor] = {}
    for name, layer in net.layers.items():
        z = layer(x)
        z.retain_grad()
        zs[name] = z
        x = torch.relu(z) if net.activations[name] == "relu" else z
        acts[name] = x
    F.cross_entropy(x, torch.tensor([label])).backward()
    return {name: {"z": zs[name][0].detach().numpy(), "a": acts[name][0].detach().numpy(),
                   "delta": zs[name].grad[0].numpy()} for name in zs}


def hooked_shapes(net, shape) -> list[tuple[int, ...]]:
    seen: list[tuple[int, ...]] = []
    handles = [m.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:]))) for m in
               net.layers.values()]
    try:
        with torch.no_grad():
            copy.deepcopy(net).eval()(torch.zeros(2, *shape))
    finally:
        for h in handles:
            h.remove()
    return seen


def check_against_torch(scene: str, doc: dict, ckpt_path: Path, mnist_dir: Path) -> None:
    """The numbers of ``scene``'s JSON are torch's / autograd's for the checkpoint's network."""
    ckpt = load_checkpoint(ckpt_path)
    net, model = ckpt.model, ckpt.config
    a = doc["arrays"]
    assert doc["params"]["model"] == model.to_dict()  # the JSON says which network it shows
    images, labels = load_mnist("test", mnist_dir)
    if scene == "mnist_architecture":
        assert a["layer_names"] == list(net.layers.keys())
        assert [tuple(s) for s in a["layer_shapes"]] == hooked_shapes(net, model.input)
        assert a["layer_params"] == [sum(t.numel() for t in m.parameters()) for m in net.layers.values()]
        assert a["total_params"] == sum(t.numel() for t in net.parameters())
    elif scene == "mnist_training":
        assert a["test_acc"] == pytest.approx([r.test_acc for r in ckpt.history], abs=1e-12)
        with torch.no_grad():  # the last epoch's test accuracy is the trained network's on those test digits
            x = torch.from_numpy(images[:TEST_LIMIT].astype(np.float32) / 255)[:, None]
            acc = float((net.eval()(x).argmax(1).numpy() == labels[:TEST_LIMIT]).mean())
        assert a["test_acc"][-1] == pytest.approx(acc, abs=1e-12)
        spoken = {n.get("key") for n in doc["narration"]}  # the train/test gap is explained only where there is one
        gap = ckpt.history[0].train_acc < ckpt.history[0].test_acc
        assert ("running_average" in spoken) is gap and ("while_learning" in spoken) is gap
    elif scene == "error_flow":
        label = int(labels[INDEX])
        trace = autograd_trace(net, images[INDEX] / 255.0, label)
        np.testing.assert_allclose(a["image"], images[INDEX] / 255.0, atol=1e-12)
        passing = {name for name, kind in zip(a["layers"], (r.kind for r in model.shapes()))
                   if kind in ("dropout", "flatten")}
        # a step for every layer below the output that has a δ of its own, from the top down
        assert a["steps"] == ["output"] + [n for n in reversed(list(trace)[:-1]) if n not in passing]
        for name in a["steps"][1:]:  # each δ drawn is autograd's: the whole vector, or the channel's map
            c = a.get(f"delta_{name}_channel")
            expect = trace[name]["delta"] if c is None else trace[name]["delta"][c]
            np.testing.assert_allclose(a[f"delta_{name}_shown"], expect, rtol=1e-7, atol=1e-12)
        last = list(trace)[-1]
        probs = torch.softmax(torch.from_numpy(trace[last]["z"]), 0).numpy()
        assert float(a["true_class_text"]["p"]) == pytest.approx(probs[label], abs=10 ** -len(
            a["true_class_text"]["p"].split(".")[1]))
        assert float(a["true_class_text"]["delta"]) == pytest.approx(trace[last]["delta"][label], abs=10 ** -len(
            a["true_class_text"]["delta"].split(".")[1]))
    elif scene == "mnist_features":
        trace = autograd_trace(net, images[INDEX] / 255.0, int(labels[INDEX]))
        first = list(trace)[0]
        np.testing.assert_allclose(a["kernels"], net.layers[first].weight.detach().double().numpy()[:, 0], atol=1e-7)
        for name in [k.removesuffix("_maps") for k in a if k.endswith("_maps")]:
            np.testing.assert_allclose(a[f"{name}_maps"], trace[name]["a"][a[f"{name}_channels"]], rtol=1e-7,
                                       atol=1e-12)
        last = list(trace)[-1]
        probs = torch.softmax(torch.from_numpy(trace[last]["z"]), 0).numpy()
        np.testing.assert_allclose(a["probabilities"], probs, atol=1e-9)
        assert a["prediction"] == int(np.argmax(probs))


# ------------------------------------------------------------------ the tests
@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_each_architecture_validates_and_reads_from_a_lecture_file(arch, tmp_path):
    path = write_lecture(tmp_path / "l.yaml", arch, SCENES)
    lecture = load_config(path)
    assert lecture.model == model_of(arch) and lecture.train == RECIPE
    assert [r.name for r in lecture.model.shapes()] == [r.name for r in model_of(arch).shapes()]


@pytest.mark.slow
@pytest.mark.parametrize("arch, scene", RENDERED, ids=[f"{a}-{s}" for a, s in RENDERED])
def test_each_architecture_renders_its_mnist_scenes_with_the_numbers_of_torch(arch, scene, tmp_path,
                                                                               trained_checkpoint, mnist_dir):
    ckpt = trained_checkpoint(arch)
    doc = render_tiny(scene, write_lecture(tmp_path / "l.yaml", arch, [scene], ckpt), tmp_path)
    assert doc["scene"] == scene
    check_against_torch(scene, doc, ckpt, mnist_dir)
    if (arch, scene) in LEAVES_THE_FRAME_TODAY:
        assert doc["out_of_frame"], f"{arch}-{scene} keeps in frame now: delete it from LEAVES_THE_FRAME_TODAY"
        pytest.xfail(f"{arch}-{scene}: the numbers are torch's, but frames leave the picture: "
                     f"{doc['out_of_frame'][:2]}")
    assert doc["out_of_frame"] == [], doc["out_of_frame"]


@pytest.mark.parametrize("losses, accuracies", [
    ([1.10, 1.10, 1.07, 1.05, 0.36, 0.56, 0.28, 0.47], [0.33, 0.35, 0.58, 0.67, 0.81, 0.67, 0.90, 0.75]),  # a small set
    ([2.31, 2.2], [0.09, 0.12]),  # one epoch, barely learning
    ([0.17, 0.05, 0.04, 0.03], [0.9457, 0.9837, 0.9883, 0.99]),  # the course's shipped run
    ([0.6, 0.4], [0.91, 0.95]),
])
def test_the_training_plots_keep_their_tick_labels_apart_and_cover_the_run(losses, accuracies):
    from cnnviz.values.mnist_training import MAX_INTERVALS, axis_steps

    loss_step, loss_top, acc_step, acc_low = axis_steps(losses, accuracies)
    assert round(loss_top / loss_step) <= MAX_INTERVALS and round((100 - acc_low) / acc_step) <= MAX_INTERVALS
    assert max(losses) <= loss_top < max(losses) + loss_step
    assert acc_low <= 100 * min(accuracies) < acc_low + acc_step
    if max(losses) <= 0.35 and 100 * min(accuracies) >= 93:  # the course's run keeps its axes
        assert (loss_step, acc_step) == (0.05, 1.0)


def test_the_training_scene_explains_a_gap_between_train_and_test_only_where_there_is_one(trained_checkpoint):
    from cnnviz.config import MnistParams
    from cnnviz.values import scene_values

    ckpt = trained_checkpoint("strided")
    history = load_checkpoint(ckpt).history
    params = MnistParams(checkpoint=str(ckpt), model=model_of("strided"), train=RECIPE)
    flag = scene_values("mnist_training", params).arrays["first_train_below_test"]
    assert flag is (history[0].train_acc < history[0].test_acc)
