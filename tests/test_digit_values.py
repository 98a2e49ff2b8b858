"""Your own digit through error_flow and mnist_features: the JSON holds the picture's preparation, and its
numbers equal torch's (autograd for δ, a direct forward pass for the maps) on the shipped trained model.
No MNIST needed: the digit is the shipped sample picture."""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS
from cnnviz.mnist.digit import digit_steps, prepare_digit
from cnnviz.paths import ASSETS
from cnnviz.values import scene_json, scene_values
from cnnviz.values.mnist_model import SHIPPED_DIR
from tests.test_scene_values_mnist_b import activations, model64

pytestmark = pytest.mark.skipif(not (SHIPPED_DIR / "mnist_cnn.pt").is_file(), reason="no shipped checkpoint")

SAMPLE = ASSETS / "my_digit.png"


def arrays(scene_id, params):
    return scene_json(scene_id, params, scene_values(scene_id, params))["arrays"]


def sample_input() -> torch.Tensor:
    return torch.from_numpy(prepare_digit(SAMPLE))[None, None]


def test_error_flow_of_the_sample_digit_equals_autograd():
    p = SCENE_PARAMS["error_flow"](input_image=str(SAMPLE), label=7)
    a = arrays("error_flow", p)
    assert a["index"] is None and a["input"] == {"source": "input_image", "input_image": str(SAMPLE),
                                                 **digit_steps(SAMPLE).summary()}
    assert a["input"]["original_size"] == [300, 300]
    np.testing.assert_array_equal(a["image"], prepare_digit(SAMPLE))
    m, x = model64(p), sample_input()
    zs, h = {}, x
    for name, layer in m.layers.items():
        z = layer(h)
        z.retain_grad()
        zs[name] = z
        h = torch.relu(z) if m.activations[name] == "relu" else z
    loss = F.cross_entropy(h, torch.tensor([7]))
    loss.backward()
    assert a["label"] == 7 and a["loss"] == pytest.approx(loss.item(), rel=1e-9, abs=1e-15)
    np.testing.assert_allclose(a["delta_dense2"], zs["dense2"].grad[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(a["delta_dense1_shown"], zs["dense1"].grad[0].numpy(), atol=1e-12)
    for name in ("conv3", "pool2", "conv2", "pool1", "conv1"):
        c = a[f"delta_{name}_channel"]
        np.testing.assert_allclose(a[f"delta_{name}_shown"], zs[name].grad[0, c].numpy(), atol=1e-12)
    assert a["max_abs_diff_core_vs_autograd"] < 1e-10
    # the spoken p − 1 = δ of the true class: written to the same decimals, δ not rounded away
    said = a["true_class_text"]
    assert float(said["delta"]) != 0.0
    assert float(said["p"]) - 1 == pytest.approx(float(said["delta"]), abs=1e-12)


def test_mnist_features_of_the_sample_digit_equals_a_forward_pass_and_claims_no_label():
    p = SCENE_PARAMS["mnist_features"](input_image=str(SAMPLE))
    a = arrays("mnist_features", p)
    assert a["label"] is None and a["index"] is None and a["input"]["inverted"] is True
    m, x = model64(p), sample_input()
    np.testing.assert_array_equal(a["image"], x[0, 0].numpy())
    acts, probs = activations(m, x)
    for name in ("conv1", "pool1", "conv2", "pool2", "conv3"):
        np.testing.assert_allclose(a[f"{name}_maps"], acts[name][a[f"{name}_channels"]], atol=1e-12)
    np.testing.assert_allclose(a["probabilities"], probs, atol=1e-12)
    assert a["prediction"] == int(np.argmax(probs))
    spoken = {int(k): float(v) for k, v in a["probabilities_spoken"].items()}
    for k, q in spoken.items():  # never a plain 0 or 1 for a probability that is neither
        assert q == pytest.approx(probs[k], abs=5e-3 if 5e-4 <= min(probs[k], 1 - probs[k]) else 1e-7)
        assert 0.0 < q < 1.0


def test_an_own_digit_with_its_label_is_judged_against_it():
    p = SCENE_PARAMS["mnist_features"](input_image=str(SAMPLE), label=1)
    a = arrays("mnist_features", p)
    assert a["label"] == 1  # the teacher's word for the class; the prediction stays the network's


def test_a_wide_light_on_dark_picture_is_drawn_smaller_and_boxed_where_its_ink_is(tmp_path):
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (1200, 300), (10, 10, 30))  # light ink on a dark board, far off-centre
    ImageDraw.Draw(im).line([(900, 40), (930, 260)], fill=(250, 250, 240), width=30)
    path = tmp_path / "board.jpg"
    im.save(path, quality=95)
    from cnnviz.values.mnist_display import SHOWN_SIDE, digit_input

    din = digit_input(SCENE_PARAMS["mnist_features"](input_image=str(path)))
    o, steps = din.opening, digit_steps(path)
    assert o["own"] and not o["inverted"] and o["size"] == (1200, 300)
    assert max(o["original_rgb"].shape[:2]) == SHOWN_SIDE  # drawn smaller; the numbers used every pixel
    t, l, b, r = steps.bbox
    assert o["original_box"] == (t / 300, l / 1200, b / 300, r / 1200) and 0.7 < o["original_box"][1] < 0.8
    np.testing.assert_array_equal(din.image, steps.image)
    assert din.label is None and din.name == "board.jpg"
