"""LeNet-5 and AlexNet (cnnviz/classic.py, the lenet and alexnet scenes): each layer's shape and parameter count
in the JSON equal those of the same network built here by hand in torch (a zero tensor forwarded, p.numel()
summed); C3's 60 kernels, C5's 16×120 = 1920, conv1's 55 from both paddings, the dropout mask equal to torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import classic
from cnnviz.config import SCENE_PARAMS, load_config
from cnnviz.values import scene_json, scene_values


def arrays(scene_id, params=None, **kw):
    p = params if params is not None else SCENE_PARAMS[scene_id](**kw)
    return scene_json(scene_id, p, scene_values(scene_id, p))["arrays"]


def walk_of(layers, input_shape):
    """Each layer's output shape (batch left out) and parameter count, a zero tensor forwarded through
    ``layers`` (a list of module lists, one per layer) on the meta device."""
    x = torch.zeros((1, *input_shape), device="meta")
    shapes, params = [list(input_shape)], [0]
    for modules in layers:
        for m in modules:
            x = m(x)
        shapes.append(list(x.shape[1:]))
        params.append(sum(p.numel() for m in modules for p in m.parameters()))
    return shapes, params


class MaskedConv(nn.Module):
    """C3 by hand: a full 16×6×5×5 convolution whose weight is multiplied by LeCun's 0/1 table; its parameters
    are the connected ones (the mask's ones times 5×5) and the biases."""

    def __init__(self, mask):
        super().__init__()
        self.conv = nn.Conv2d(6, 16, 5, device="meta")
        self.mask = torch.tensor(mask, dtype=torch.float32, device="meta").T[:, :, None, None]  # (16, 6, 1, 1)

    def forward(self, x):
        return F.conv2d(x, self.conv.weight * self.mask, self.conv.bias)


# LeCun et al. 1998, Table I, as printed: a row per S2 map, an X (1) where the C3 map (column) reads it
LECUN_TABLE_I = [
    "X   XXX  XXXX XX",
    "XX   XXX  XXXX X",
    "XXX   XXX  X XXX",
    " XXX  XXXX  X XX",
    "  XXX  XXXX XX X",
    "   XXX  XXXX XXX",
]


def lecun_mask():
    return [[1 if ch == "X" else 0 for ch in row] for row in LECUN_TABLE_I]


def hand_lenet():
    meta = {"device": "meta"}
    return [
        [nn.Conv2d(1, 6, 5, **meta), nn.Tanh()],
        [nn.AvgPool2d(2)],
        None,  # C3: its parameters counted from the mask below
        [nn.AvgPool2d(2)],
        [nn.Conv2d(16, 120, 5, **meta), nn.Tanh()],
        [nn.Flatten(), nn.Linear(120, 84, **meta), nn.Tanh()],
        [nn.Linear(84, 10, **meta)],
    ]


def test_lenet_shapes_and_parameters_equal_the_network_built_by_hand():
    a = arrays("lenet")
    layers = hand_lenet()
    c3 = MaskedConv(lecun_mask())
    layers[2] = [c3, nn.Tanh()]
    shapes, params = walk_of(layers, (1, 32, 32))
    params[3] = int(sum(map(sum, lecun_mask()))) * 25 + 16  # C3: only the connected weights are parameters
    assert a["layer_shapes"] == shapes
    assert a["layer_shapes"][1:6] == [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1]]
    assert a["layer_params"] == params
    assert a["total_params"] == sum(params) == 60806
    assert a["layer_names"] == ["input", "C1", "S2", "C3", "S4", "C5", "F6", "output"]


def test_c3_reads_lecuns_table_60_of_the_96_pairs():
    a = arrays("lenet")
    assert a["c3_table"] == lecun_mask()
    assert a["c3_pairs"] == 60 == int(np.sum(lecun_mask()))
    assert a["c3_all_pairs"] == 6 * 16
    assert a["c3_params"] == 60 * 5 * 5 + 16 and a["c3_full_params"] == 6 * 16 * 5 * 5 + 16
    assert sum(a["c3_reads"]) == 60 and a["c3_read_counts"] == [3, 4, 6]
    assert [sum(r) for r in a["c3_table"]] == [10] * 6  # each S2 map feeds ten C3 maps
    # the built module: one convolution per C3 map, reading exactly its column of the table
    model = classic.build(classic.lenet_layers(), classic.LENET_INPUT)
    c3 = model.C3[0]
    assert [conv.in_channels for conv in c3.maps] == a["c3_reads"]
    x = torch.randn(1, 6, 14, 14, generator=torch.Generator().manual_seed(3))
    full = torch.zeros(16, 6, 5, 5)
    for j, (conv, row) in enumerate(zip(c3.maps, classic.LENET_C3_TABLE)):
        full[j, list(row)] = conv.weight.detach()[0]
    bias = torch.cat([conv.bias.detach() for conv in c3.maps])
    with torch.no_grad():  # the partial convolution is the full one with the unconnected kernels zero
        torch.testing.assert_close(c3(x), F.conv2d(x, full, bias))


def test_c5_has_16_times_120_kernels():
    a = arrays("lenet")
    assert a["c5_kernels"] == 16 * 120 == 1920
    c5 = classic.build(classic.lenet_layers(), classic.LENET_INPUT).C5[0]
    assert tuple(c5.weight.shape) == (120, 16, 5, 5)
    assert a["layer_params"][5] == c5.weight.numel() + c5.bias.numel() == 1920 * 25 + 120


def hand_alexnet(padding):
    meta = {"device": "meta"}
    conv = [
        [nn.Conv2d(3, 96, 11, stride=4, padding=padding, **meta), nn.ReLU()],
        [nn.MaxPool2d(3, 2)],
        [nn.Conv2d(96, 256, 5, padding=2, groups=2, **meta), nn.ReLU()],
        [nn.MaxPool2d(3, 2)],
        [nn.Conv2d(256, 384, 3, padding=1, **meta), nn.ReLU()],
        [nn.Conv2d(384, 384, 3, padding=1, groups=2, **meta), nn.ReLU()],
        [nn.Conv2d(384, 256, 3, padding=1, groups=2, **meta), nn.ReLU()],
        [nn.MaxPool2d(3, 2)],
    ]
    x = torch.zeros(1, 3, 224, 224, device="meta")
    for modules in conv:
        for m in modules:
            x = m(x)
    flat = int(np.prod(x.shape[1:]))
    return conv + [[nn.Flatten(), nn.Linear(flat, 4096, **meta), nn.ReLU(), nn.Dropout()],
                   [nn.Linear(4096, 4096, **meta), nn.ReLU(), nn.Dropout()],
                   [nn.Linear(4096, 1000, **meta)]]


@pytest.mark.parametrize("padding", [2, 3, 0, 5])
def test_alexnet_shapes_and_parameters_equal_the_network_built_by_hand(padding):
    a = arrays("alexnet", padding=padding)
    shapes, params = walk_of(hand_alexnet(padding), (3, 224, 224))
    assert a["layer_shapes"] == shapes
    assert a["layer_params"] == params
    assert a["total_params"] == sum(params)
    assert a["flat_size"] == int(np.prod(shapes[8]))
    if padding in (2, 3):
        assert shapes[1] == [96, 55, 55] and shapes[2] == [96, 27, 27] and shapes[8] == [256, 6, 6]
        assert a["flat_size"] == 9216 and shapes[-3:] == [[4096], [4096], [1000]]
        assert a["total_params"] == 60_965_224  # the two-GPU original's count


def test_both_course_paddings_floor_to_55():
    a = arrays("alexnet")
    for where, pad in (("slide", 3), ("notes", 2)):
        entry = a["paddings"][where]
        out = F.conv2d(torch.zeros(1, 3, 224, 224), torch.zeros(1, 3, 11, 11), stride=4, padding=pad)
        assert entry["padding"] == pad and entry["size"] == out.shape[-1] == 55
        assert entry["quotient"] == (224 + 2 * pad - 11) / 4 and int(entry["quotient"]) == 54
    assert a["paddings"]["slide"]["quotient"] != a["paddings"]["notes"]["quotient"]


def test_the_two_gpus_halves_are_11x11x3x48():
    a = arrays("alexnet")
    assert a["gpu_halves"] == [[48, 3, 11, 11]] * 2
    assert a["gpu_half_text"] == "11×11×3×48"
    assert 2 * a["conv1_params_per_gpu"] == a["layer_params"][1] == 11 * 11 * 3 * 96 + 96
    assert a["grouped_layers"] == ["conv2", "conv4", "conv5"]
    assert a["layer_reads"][3] == 48 and a["layer_reads"][5] == 256 and a["layer_reads"][6] == 192


@pytest.mark.parametrize("kw", [{}, {"dropout_p": 0.3, "dropout_seed": 7, "seed": 2}])
def test_dropout_mask_is_torchs_and_reproducible(kw):
    a = arrays("alexnet", **kw)
    p, seed = a["dropout_p"], a["dropout_seed"]
    mask = classic.dropout_mask((1, a["fc6_units"]), p, seed)
    np.testing.assert_array_equal(a["dropout_mask"], mask[0, : a["units_shown"]].double().numpy())
    kept = [m for m in a["dropout_mask"] if m != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)  # kept units scaled by 1/(1 - p), in float32
    assert a["dropout_keep"] == [int(m != 0) for m in a["dropout_mask"]]
    assert a["fc6_kept_count"] == int((mask != 0).sum())
    np.testing.assert_allclose(a["fc6_relu"], np.maximum(0.0, a["fc6_z"]))
    np.testing.assert_allclose(a["fc6_dropped"], np.asarray(a["fc6_relu"]) * np.asarray(a["dropout_mask"]), rtol=1e-6)
    # what torch's own dropout does with the same seed, on any activations
    h = torch.rand(1, a["fc6_units"], generator=torch.Generator().manual_seed(11))
    torch.manual_seed(seed)
    torch.testing.assert_close(nn.Dropout(p).train()(h), h * mask, rtol=0, atol=0)
    assert arrays("alexnet", **kw) == a  # the same seeds, the same numbers
    other = classic.dropout_mask((1, a["fc6_units"]), p, seed + 1)
    assert not torch.equal(other, mask)


def test_the_dropout_mask_leaves_the_callers_random_state_alone():
    torch.manual_seed(5)
    want = torch.rand(3)
    torch.manual_seed(5)
    classic.dropout_mask((10,), 0.5, 0)
    torch.testing.assert_close(torch.rand(3), want)


def test_the_shipped_course_walks_both_in_its_networks_lecture():
    from cnnviz.config import COURSE

    ids = [e.scene for e in load_config(COURSE[1]).scenes]
    assert ids.index("lenet") + 1 == ids.index("alexnet")
    assert "lenet" not in [e.scene for e in load_config().scenes]  # the first lecture ends with the MNIST scenes


def test_impossible_networks_are_refused_with_the_layer_named():
    with pytest.raises(ValueError, match="conv2.*groups"):
        classic.walk((classic.NetLayer("conv2", "conv", 10, kernel=3, groups=4),), (6, 8, 8))
    with pytest.raises(ValueError, match="C3.*outside 0..5"):
        classic.walk((classic.NetLayer("C3", "conv", 1, kernel=3, table=((0, 6),)),), (6, 8, 8))
    with pytest.raises(ValueError, match="C3.*2 rows for 1"):
        classic.NetLayer("C3", "conv", 1, kernel=3, table=((0,), (1,)))
    with pytest.raises(ValueError, match="kernel"):
        classic.walk((classic.NetLayer("big", "conv", 1, kernel=9),), (1, 4, 4))
    with pytest.raises(ValueError, match="dropout p"):
        classic.dropout_mask((3,), 1.0, 0)


def test_the_docstring_examples_hold():
    import doctest

    result = doctest.testmod(classic, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
