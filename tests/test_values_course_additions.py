"""What the course adds to the pooling, backprop_pool, multichannel and transposed scenes, checked against torch
(float64): 1×1 convolution's two purposes, a = Cᵀ z in the course's names, the numbers the prediction steps
answer with; and their scripts: every line the scenes speak exists, fills its fields, and writes the course's
notation."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS, load_config
from cnnviz.script import load_script
from cnnviz.values import scene_values

ROOT = Path(__file__).resolve().parents[1]
SCENES = {"pooling": ["scenes/pooling.py"], "backprop_pool": ["scenes/backprop_pool.py"],
          "multichannel": ["scenes/multichannel.py", "scenes/multichannel_parts.py"],
          "transposed": ["scenes/transposed.py", "scenes/transposed_parts.py"]}


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def values(scene_id, **kw):
    return scene_values(scene_id, SCENE_PARAMS[scene_id](**kw) if kw else load_config().entry(scene_id).params)


# ---------------------------------------------------------------- multichannel: 1×1 convolution's purposes
@pytest.mark.parametrize("kw", [{}, {"in_channels": 4, "out_channels": 2, "size": 4, "seed": 7},
                                {"in_channels": 2, "out_channels": 3, "size": 5, "kernel_size": 2, "seed": 4}])
def test_pointwise_reduction_and_nonlinearity_equal_torch(kw):
    a = values("multichannel", **kw).arrays
    x = t(a["input"])[None]
    c_in, c_out = x.shape[1], np.shape(a["kernel"])[0]
    assert a["pointwise_channels"] == [c_in, c_out]
    assert a["pointwise_reduces"] == (c_out < c_in)
    one = torch.nn.Conv2d(c_in, c_out, 1, dtype=torch.float64)
    full = torch.nn.Conv2d(c_in, c_out, np.shape(a["kernel"])[2], dtype=torch.float64)
    assert a["pointwise_param_count"] == sum(p.numel() for p in one.parameters())
    assert a["param_count"] == sum(p.numel() for p in full.parameters())
    with torch.no_grad():
        one.weight.copy_(t(a["pointwise_kernel"])[:, :, None, None])
        one.bias.copy_(t(a["pointwise_bias"]))
        mixed = one(x)
        after = torch.relu(mixed)
    np.testing.assert_allclose(a["pointwise_relu_output"], after[0].numpy())
    assert a["pointwise_relu_zeroed"] == int((mixed < 0).sum())


def test_the_lecture_s_pointwise_reduces_and_its_relu_changes_something():
    a = values("multichannel").arrays
    assert a["pointwise_reduces"] and a["pointwise_param_count"] < a["param_count"]
    assert a["pointwise_relu_zeroed"] > 0  # the scene shows values turning to 0: there are some


# ---------------------------------------------------------------- transposed: z = C a, a = Cᵀ z
@pytest.mark.parametrize("kw", [{}, {"stride": 1, "padding": 1, "seed": 2}, {"stride": 3, "kernel_size": 2}])
def test_transposed_in_the_course_s_names(kw):
    v = values("transposed", **kw)
    a = v.arrays
    z, w, s, p = t(a["input"]), t(a["kernel"]), a["stride"], a["padding"]
    c = t(a["matrix"])
    out = F.conv_transpose2d(z[None, None], w[None, None], stride=s, padding=p, output_padding=a["output_padding"])
    # a = Cᵀ z: the transposed convolution of the small map z
    np.testing.assert_allclose((c.T @ z.reshape(-1)).reshape(out.shape[-2:]).numpy(), out[0, 0].numpy())
    # z = C a: C is the convolution with W that takes a map of a's size to one of z's
    big = torch.randn(out.shape[-2:], dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose((c @ big.reshape(-1)).numpy(),
                               F.conv2d(big[None, None], w[None, None], stride=s, padding=p)[0, 0].reshape(-1).numpy())
    assert a["matrix_shape"] == [z.numel(), out[0, 0].numel()]


def test_transposed_prediction_answer_equals_torch():
    v = values("transposed")
    a = v.arrays
    step = v.trace.direct.steps[1]  # the cell the scene asks about
    out = F.conv_transpose2d(t(a["input"])[None, None], t(a["kernel"])[None, None], stride=a["stride"],
                             padding=a["padding"], output_padding=a["output_padding"])[0, 0]
    assert step.value == pytest.approx(float(out[step.out_pos]))
    # the window outlined for the question is the direct input under the rotated kernel
    window = np.array([a["direct_input"][r][c] for r, c in step.cells]).reshape(np.shape(a["flipped_kernel"]))
    assert float(np.sum(window * np.asarray(a["flipped_kernel"]))) == pytest.approx(step.value)


# ---------------------------------------------------------------- pooling, backprop_pool: the answers said
def test_pooling_prediction_answer_equals_torch():
    v = values("pooling")
    a = v.arrays
    k, s = a["kernel_size"], a["stride"]
    x = t(a["input"])[None, None]
    for mode, pool in (("max", F.max_pool2d(x, k, s)), ("avg", F.avg_pool2d(x, k, s))):
        step = v.traces[mode].steps[1]
        assert step.value == pytest.approx(float(pool[0, 0][step.out_pos]))


def test_backprop_pool_first_window_said_equals_torch():
    v = values("backprop_pool")
    a = v.arrays
    for mv in v.modes:
        first = mv.steps[0]
        x = t(a["input"]).requires_grad_()
        pooled = (F.max_pool2d if mv.mode == "max" else F.avg_pool2d)(x[None, None], 2)[0, 0]
        (pooled * t(a["delta"])).sum().backward()
        got = x.grad.numpy()
        if mv.mode == "max":
            assert got[first.chosen] == pytest.approx(first.delta)
            assert a["input"][first.chosen] == pytest.approx(float(pooled.detach()[first.out_pos]))
        else:
            assert got[first.cells[0]] == pytest.approx(first.shares.flat[0])


# ---------------------------------------------------------------- the scripts
def spoken(scene_id):
    """(key, templated) of every say()/ask() in the scene's files; an f-string key stands for each of its lines."""
    found = []
    for path in SCENES[scene_id]:
        source = (ROOT / path).read_text(encoding="utf-8")
        for m in re.finditer(r"\.(?:say|ask)\((f?)\"([^\"]+)\"(?:\s+if\s[^,]*?else\s+\"([^\"]+)\")?", source):
            found.append((m.group(2), bool(m.group(1))))
            if m.group(3):  # say("a" if ... else "b", ...)
                found.append((m.group(3), False))
    return found


@pytest.mark.parametrize("scene_id", sorted(SCENES))
def test_every_line_spoken_is_in_the_script_and_every_line_is_spoken(scene_id):
    script = load_script(scene_id)
    assert script is not None and "recap" in script.lines
    used = set()
    for key, templated in spoken(scene_id):
        pattern = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(key)) + "$") if templated else None
        hits = [k for k in script.lines if (pattern.match(k) if pattern else k == key)]
        assert hits, f"{scene_id}: the scene says {key!r}, which its script lacks"
        used.update(hits)
    assert set(script.lines) - used == {"recap"}, f"{scene_id}: lines never spoken"
    for source in SCENES[scene_id]:  # the words live in the script, not in the scene
        assert "self.caption(" not in (ROOT / source).read_text() and "scene.caption(" not in (ROOT / source).read_text()


@pytest.mark.parametrize("scene_id", sorted(SCENES))
def test_the_scripts_write_the_course_s_notation(scene_id):
    for line in load_script(scene_id).lines.values():
        for text in (line.en, line.zh):
            assert "C_in" not in text and "C_out" not in text, f"{line.key}: a raw underscore in {text!r}"
            assert "∂" not in text, f"{line.key}: ∂ in a caption"
            assert not re.search(r"\bk\s*[−-]\s*1|\bk\s*×\s*k\b|window k\b", text), f"{line.key}: kernel size is c"
            assert "y = C" not in text


def test_the_pooled_size_is_written_one_way():
    texts = [text for sid in ("pooling",) for line in load_script(sid).lines.values() for text in (line.en, line.zh)]
    sizes = [text for text in texts if "⌊" in text]
    assert sizes and all("⌊(n − c)/s⌋ + 1" in text for text in sizes)
    a = values("pooling").arrays
    assert values("pooling").size_text == f"⌊({a['input'].shape[0]} − {a['kernel_size']}) / {a['stride']}⌋ + 1 = " \
                                          f"{a['output_size'][0]}"
