"""Group B scenes (multichannel, pooling, transposed, image_filters): the numbers each shows (its JSON arrays)
equal what torch computes in float64 for its params, and impossible params are refused by the config."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.config import SCENE_PARAMS, ConfigError, load_config, parse_config
from cnnviz.values import scene_json, scene_values


def arrays(scene_id, params=None, **kw):
    p = params if params is not None else SCENE_PARAMS[scene_id](**kw)
    return scene_json(scene_id, p, scene_values(scene_id, p))["arrays"]


def lecture_arrays(scene_id):
    return arrays(scene_id, load_config().entry(scene_id).params)


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def refused(scene_id, **raw):
    with pytest.raises(ConfigError) as info:
        parse_config({"scenes": [{"scene": scene_id, **raw}]})
    return str(info.value)


# ---------------------------------------------------------------- multichannel
@pytest.mark.parametrize("kw", [{}, {"in_channels": 2, "out_channels": 3, "size": 5, "kernel_size": 2, "seed": 4}])
def test_multichannel_json_equals_torch(kw):
    a = arrays("multichannel", **kw)
    x, w, b = t(a["input"]), t(a["kernel"]), t(a["bias"])
    np.testing.assert_allclose(a["output"], F.conv2d(x[None], w, b)[0].numpy())
    # each output is the channel sums plus the bias, and each channel sum is a single-channel convolution
    per_channel = torch.stack([F.conv2d(x[None, c:c + 1], w[:, c:c + 1]) for c in range(x.shape[0])], -1)[0]
    np.testing.assert_allclose(np.array(a["channel_sums"]), per_channel.reshape(-1, x.shape[0]).numpy())
    np.testing.assert_allclose(np.array(a["sums"]) + np.repeat(a["bias"], np.size(a["output"][0])),
                               np.ravel(a["output"]))
    layer = torch.nn.Conv2d(x.shape[0], w.shape[0], w.shape[2])
    assert a["param_count"] == sum(p.numel() for p in layer.parameters())
    one = torch.nn.Conv2d(x.shape[0], w.shape[0], 1)
    assert a["pointwise_param_count"] == sum(p.numel() for p in one.parameters())
    pw = t(a["pointwise_kernel"])[:, :, None, None]
    np.testing.assert_allclose(a["pointwise_output"], F.conv2d(x[None], pw, t(a["pointwise_bias"]))[0].numpy())
    i, j = a["pointwise_pixel"]
    np.testing.assert_allclose(np.sum(a["pointwise_products"], axis=1), np.array(a["pointwise_output"])[:, i, j])


@pytest.mark.parametrize("kw", [{}, {"in_channels": 2, "out_channels": 3, "size": 5, "kernel_size": 2, "seed": 4},
                                {"in_channels": 4, "out_channels": 1, "size": 3, "kernel_size": 2, "seed": 1}])
def test_multichannel_volume_shapes_equal_torch(kw):
    """The overview's volumes: input C_in×H×W, each kernel C_in×c×c (C_out of them), output C_out×H'×W'."""
    p = SCENE_PARAMS["multichannel"](**kw) if kw else load_config().entry("multichannel").params
    v = scene_values("multichannel", p)
    a = scene_json("multichannel", p, v)["arrays"]  # as the clip's JSON holds them
    x, w, b = t(a["input"]), t(a["kernel"]), t(a["bias"])
    layer = torch.nn.Conv2d(x.shape[0], w.shape[0], w.shape[2], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(w), layer.bias.copy_(b)
        out = layer(x[None])[0]
    assert a["input_shape"] == list(x.shape)
    assert a["kernel_shape"] == list(layer.weight.shape)
    assert a["output_shape"] == list(out.shape) and a["output_shape"][0] == layer.out_channels
    np.testing.assert_allclose(a["output"], out.numpy())
    shown = v.data["shape_text"]
    assert shown == {"input": "×".join(map(str, x.shape)), "kernel": "×".join(map(str, layer.weight.shape[1:])),
                     "output": "×".join(map(str, out.shape))}
    c_out, c_in, kh, kw = layer.weight.shape
    assert v.data["count_lines"] == [f"= {kh}×{kw}×{c_in}×{c_out} + {c_out}",
                                     f"= {sum(p.numel() for p in layer.parameters())}"]


def test_multichannel_lecture_entry_equals_torch():
    a = lecture_arrays("multichannel")
    want = F.conv2d(t(a["input"])[None], t(a["kernel"]), t(a["bias"]))[0]
    np.testing.assert_allclose(a["output"], want.numpy())


def test_multichannel_impossible_params_are_refused():
    assert "input channels" in refused("multichannel", input=np.ones((3, 4, 4)).tolist(),
                                       kernel=np.ones((2, 2, 3, 3)).tolist())
    assert "kernel" in refused("multichannel", size=3, kernel_size=4)
    assert "bias" in refused("multichannel", out_channels=2, bias=[1, 2, 3])


# ---------------------------------------------------------------- pooling
@pytest.mark.parametrize("kw", [{}, {"input_size": 6, "seed": 1}, {"input_size": 5, "size": 3, "stride": 1}])
def test_pooling_json_equals_torch(kw):
    a = arrays("pooling", **kw)
    x = t(a["input"])[None, None]
    k, s = a["kernel_size"], a["stride"]
    mx, idx = F.max_pool2d(x, k, s, return_indices=True)
    np.testing.assert_allclose(a["outputs"]["max"], mx[0, 0].numpy())
    np.testing.assert_allclose(a["outputs"]["avg"], F.avg_pool2d(x, k, s)[0, 0].numpy())
    np.testing.assert_allclose(a["output"], a["outputs"][kw.get("mode", "max")])
    w = x.shape[-1]
    assert [r * w + c for r, c in a["argmax"]] == idx[0, 0].ravel().tolist()
    assert a["output_size"] == list(mx.shape[-2:])
    shifted = F.pad(x, (1, 0))[..., :-1]  # one cell to the right, zeros entering
    np.testing.assert_allclose(a["shifted_input"], shifted[0, 0].numpy())
    for mode, pool in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
        before, after = pool(x, k, s)[0, 0].numpy(), pool(shifted, k, s)[0, 0].numpy()
        np.testing.assert_allclose(a[f"shifted_{mode}_output"], after)
        assert a[f"{mode}_unchanged"] == (before == after).tolist()
        assert a[f"{mode}_unchanged_count"] == int((before == after).sum())
    assert a["input_changed_count"] == int((x != shifted).sum())


def test_pooling_lecture_entry_shows_invariance():
    a = lecture_arrays("pooling")
    assert a["max_unchanged_count"] > a["output_cells"] / 2 > a["avg_unchanged_count"]
    assert a["input_changed_count"] > a["input_cells"] / 2


def test_pooling_mode_picks_the_order():
    assert arrays("pooling", mode="avg")["order"] == ["avg", "max"]


def test_pooling_impossible_params_are_refused():
    assert "pooling window" in refused("pooling", input_size=4, size=5)
    assert "8x8" in refused("pooling", input_size=9)


# ---------------------------------------------------------------- transposed
@pytest.mark.parametrize("kw", [{}, {"size": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
                                {"size": 2, "kernel_size": 2, "stride": 1, "seed": 5}])
def test_transposed_json_equals_torch(kw):
    a = arrays("transposed", **kw)
    x, w = t(a["input"]), t(a["kernel"])
    s, p, op = a["stride"], a["padding"], a["output_padding"]
    want = F.conv_transpose2d(x[None, None], w[None, None], stride=s, padding=p, output_padding=op)[0, 0].numpy()
    np.testing.assert_allclose(a["output"], want)
    np.testing.assert_allclose(a["scatter_output"], want)
    np.testing.assert_allclose(a["direct_output"], F.conv2d(t(a["direct_input"])[None, None],
                                                            t(a["flipped_kernel"])[None, None])[0, 0].numpy())
    np.testing.assert_allclose(a["direct_output"], want)
    np.testing.assert_allclose(a["flipped_kernel"], torch.rot90(w, 2, (0, 1)).numpy())
    # C is the convolution (output-sized z -> input-sized y), and C^T a is the transposed convolution
    c = np.array(a["matrix"])
    z = torch.randn(*want.shape, dtype=torch.float64)
    y = F.conv2d(z[None, None], w[None, None], stride=s, padding=p)[0, 0]
    np.testing.assert_allclose(c @ z.numpy().ravel(), y.numpy().ravel(), atol=1e-12)
    np.testing.assert_allclose(c.T @ np.ravel(a["input"]), want.ravel())
    assert not np.any(c[~np.array(a["matrix_taps"])])
    assert np.array(a["inserted_mask"]).sum() == np.size(a["direct_input"]) - np.array(a["padding_mask"]).sum() \
        - np.size(a["input"])


def test_transposed_odd_case_equals_torch():
    a = lecture_arrays("transposed")
    x, w = t(a["input"])[None, None], t(a["kernel"])[None, None]
    s, p = a["stride"], a["odd_padding"]
    without = F.conv_transpose2d(x, w, stride=s, padding=p)[0, 0]
    with_op = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=1)[0, 0]
    np.testing.assert_allclose(a["odd_output_without"], without.numpy())
    np.testing.assert_allclose(a["odd_output"], with_op.numpy())
    assert a["odd_shapes"] == [list(without.shape), list(with_op.shape)]
    for shape, back in zip(a["odd_shapes"], a["odd_conv_back"]):
        assert list(F.conv2d(torch.zeros(1, 1, *shape, dtype=torch.float64), w, stride=s, padding=p).shape[-2:]) \
            == back == list(x.shape[-2:])


def test_transposed_impossible_params_are_refused():
    assert "output_padding" in refused("transposed", stride=2, output_padding=2)
    assert "too big" in refused("transposed", size=4)


# ---------------------------------------------------------------- image_filters
def test_image_filters_json_equals_torch():
    a = arrays("image_filters", size=24)
    x = t(a["image"])[None, None]
    assert x.shape[-1] == 24 and 0 <= a["image"][0][0] <= 1
    r, c = a["probe"]
    for name in ("blur", "edge", "laplacian"):
        want = F.conv2d(x, t(a[f"{name}_kernel"])[None, None])[0, 0].numpy()
        np.testing.assert_allclose(a[f"{name}_output"], want)
        np.testing.assert_allclose(a["probe_values"][name], want[r, c])
        shown = np.array(a[f"{name}_display"])
        assert shown.shape == want.shape and shown.min() >= 0 and shown.max() <= 255
    np.testing.assert_allclose(a["blur_kernel"], np.full((3, 3), 1 / 9))
    np.testing.assert_allclose(a["laplacian_kernel"], [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_allclose(a["edge_kernel"], [[0, 1, 1], [-1, 0, 1], [-1, -1, 0]])
    np.testing.assert_allclose(a["probe_patch"], np.array(a["image"])[r:r + 3, c:c + 3])


def test_image_filters_signed_display_keeps_zero_at_mid_grey():
    a = arrays("image_filters", size=16)
    z, shown = np.array(a["laplacian_output"]), np.array(a["laplacian_display"])
    assert np.all(shown[z > 0] >= 128) and np.all(shown[z < 0] <= 127)


def test_image_filters_impossible_params_are_refused():
    assert "not found" in refused("image_filters", image="no-such-photo.png")
    assert "size" in refused("image_filters", size=4)
