"""Shape arithmetic against Dumoulin & Visin's relationships and against the shapes torch really produces.

The formulas are written out here from "A guide to convolution arithmetic for deep learning"
(Dumoulin & Visin, 2016), and every size is also checked against a float64 torch run; receptive
fields are checked against the span of a one-hot gradient backpropagated through torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz import Layer, conv_output_size, conv_transpose_output_size, pool_output_size, receptive_field

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def torch_conv_len(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    x = torch.zeros(1, 1, i, dtype=torch.float64)
    return F.conv1d(x, torch.zeros(1, 1, k, dtype=torch.float64), stride=s, padding=p, dilation=d).shape[-1]


def torch_conv_transpose_len(i: int, k: int, s: int = 1, p: int = 0, a: int = 0, d: int = 1) -> int:
    x = torch.zeros(1, 1, i, dtype=torch.float64)
    return F.conv_transpose1d(x, torch.zeros(1, 1, k, dtype=torch.float64), stride=s, padding=p,
                              output_padding=a, dilation=d).shape[-1]


def torch_pool_len(i: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    x = torch.zeros(1, 1, i, dtype=torch.float64)
    return F.max_pool1d(x, k, s, p, ceil_mode=ceil_mode).shape[-1]


# ------------------------------------------------------------------ Dumoulin & Visin, convolution
@SETTINGS
@given(k=st.integers(1, 7), extra=st.integers(0, 12))
def test_relationship_1_no_padding_unit_stride(k, extra):
    i = k + extra
    o = i - k + 1
    assert conv_output_size(i, k) == o
    assert torch_conv_len(i, k) == o


@SETTINGS
@given(k=st.integers(1, 7), p=st.integers(0, 4), extra=st.integers(0, 12))
def test_relationship_2_zero_padding_unit_stride(k, p, extra):
    i = max(1, k - 2 * p) + extra
    o = i - k + 2 * p + 1
    assert conv_output_size(i, k, padding=p) == o
    assert torch_conv_len(i, k, p=p) == o


@SETTINGS
@given(half=st.integers(0, 4), i=st.integers(1, 15))
def test_relationship_3_half_same_padding_keeps_size(half, i):
    k = 2 * half + 1  # odd
    p = k // 2
    assert conv_output_size(i, k, padding=p) == i
    assert torch_conv_len(i, k, p=p) == i


@SETTINGS
@given(k=st.integers(1, 7), i=st.integers(1, 15))
def test_relationship_4_full_padding_grows_by_k_minus_1(k, i):
    p = k - 1
    assert conv_output_size(i, k, padding=p) == i + k - 1
    assert torch_conv_len(i, k, p=p) == i + k - 1


@SETTINGS
@given(k=st.integers(1, 7), s=st.integers(2, 5), extra=st.integers(0, 15))
def test_relationship_5_no_padding_non_unit_stride(k, s, extra):
    i = k + extra
    o = math.floor((i - k) / s) + 1
    assert conv_output_size(i, k, stride=s) == o
    assert torch_conv_len(i, k, s=s) == o


@SETTINGS
@given(k=st.integers(1, 7), s=st.integers(2, 5), p=st.integers(0, 4), extra=st.integers(0, 15))
def test_relationship_6_padding_and_non_unit_stride(k, s, p, extra):
    i = max(1, k - 2 * p) + extra
    o = math.floor((i + 2 * p - k) / s) + 1
    assert conv_output_size(i, k, stride=s, padding=p) == o
    assert torch_conv_len(i, k, s=s, p=p) == o


@SETTINGS
@given(k=st.integers(1, 5), d=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 4),
       extra=st.integers(0, 15))
def test_relationship_15_dilation(k, d, s, p, extra):
    i = max(1, k + (k - 1) * (d - 1) - 2 * p) + extra
    o = math.floor((i + 2 * p - k - (k - 1) * (d - 1)) / s) + 1
    assert conv_output_size(i, k, stride=s, padding=p, dilation=d) == o
    assert torch_conv_len(i, k, s=s, p=p, d=d) == o


@pytest.mark.parametrize(
    "n, k, s, p, d, expected",
    [
        (6, 3, 2, 1, 1, 3),  # (6 + 2 - 3) / 2 = 2.5: the floor drops a column
        (5, 3, 2, 1, 1, 3),  # divides evenly
        (7, 3, 2, 0, 1, 3),
        (8, 3, 3, 0, 1, 2),  # (8 - 3) / 3 = 1.67
        (5, 4, 1, 2, 1, 6),  # Dumoulin & Visin figure 2.2: i=5, k=4, p=2 -> 6
        (5, 3, 1, 1, 1, 5),  # half padding
        (5, 3, 1, 2, 1, 7),  # full padding
        (5, 3, 2, 0, 1, 2),  # figure 2.5
        (6, 3, 2, 1, 1, 3),  # figure 2.7 (i=6 behaves like i=5)
        (7, 3, 1, 0, 2, 3),  # figure 2.8 dilated: i=7, k=3, d=2 -> 3
    ],
)
def test_named_conv_sizes(n, k, s, p, d, expected):
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == expected
    assert torch_conv_len(n, k, s, p, d) == expected


def test_floor_drops_a_column_n6_k3_p1_s2():
    assert conv_output_size(6, 3, stride=2, padding=1) == 3
    x = torch.zeros(1, 1, 6, 6, dtype=torch.float64)
    y = F.conv2d(x, torch.zeros(1, 1, 3, 3, dtype=torch.float64), stride=2, padding=1)
    assert tuple(y.shape[-2:]) == (3, 3)
    # the last window starts at padded column 4 and covers padded columns 4..6; padded column 7
    # (the right padding) is never reached, i.e. the floor dropped it
    assert (3 - 1) * 2 + 3 == 7 < 6 + 2 * 1


# ------------------------------------------------------------------ Dumoulin & Visin, transposed
@SETTINGS
@given(i=st.integers(1, 10), k=st.integers(1, 6), s=st.integers(1, 4), data=st.data())
def test_transposed_relationship_without_dilation(i, k, s, data):
    a = data.draw(st.integers(0, s - 1), label="output_padding")
    p_max = (s * (i - 1) + a + k - 1) // 2  # keep the output at least 1 long
    p = data.draw(st.integers(0, p_max), label="padding")
    o = s * (i - 1) + a + k - 2 * p  # o' = s(i' - 1) + a + k - 2p
    assert conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=a) == o
    assert torch_conv_transpose_len(i, k, s, p, a) == o


@SETTINGS
@given(i=st.integers(1, 10), k=st.integers(1, 5), s=st.integers(1, 4), d=st.integers(1, 4), data=st.data())
def test_transposed_relationship_with_dilation(i, k, s, d, data):
    a = data.draw(st.integers(0, max(s, d) - 1), label="output_padding")
    p_max = (s * (i - 1) + a + d * (k - 1)) // 2
    p = data.draw(st.integers(0, p_max), label="padding")
    o = s * (i - 1) + a + d * (k - 1) + 1 - 2 * p  # the dilated kernel has size d(k-1)+1
    assert conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=a, dilation=d) == o
    assert torch_conv_transpose_len(i, k, s, p, a, d) == o


@SETTINGS
@given(k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3), extra=st.integers(0, 12))
def test_transposed_inverts_the_convolution_shape(k, s, p, d, extra):
    """Relationship 14: with a = (i + 2p - k_eff) mod s, the transposed conv maps o back to i."""
    eff = d * (k - 1) + 1
    i = max(1, eff - 2 * p) + extra
    o = conv_output_size(i, k, stride=s, padding=p, dilation=d)
    a = (i + 2 * p - eff) % s
    assert conv_transpose_output_size(o, k, stride=s, padding=p, output_padding=a, dilation=d) == i
    assert torch_conv_transpose_len(o, k, s, p, a, d) == i


@pytest.mark.parametrize(
    "i, k, s, p, a, expected",
    [
        (3, 3, 2, 1, 1, 6),  # undoes the n=6, k=3, s=2, p=1 convolution
        (3, 3, 2, 1, 0, 5),
        (2, 3, 1, 0, 0, 4),  # D&V figure 4.1: full-padding view of a 4 -> 2 convolution
        (2, 3, 2, 0, 0, 5),  # figure 4.5
        (3, 3, 2, 1, 0, 5),  # figure 4.6
        (3, 3, 2, 1, 1, 6),  # figure 4.7 (odd case)
    ],
)
def test_named_transposed_sizes(i, k, s, p, a, expected):
    assert conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=a) == expected
    assert torch_conv_transpose_len(i, k, s, p, a) == expected


# ------------------------------------------------------------------ pooling
@SETTINGS
@given(k=st.integers(1, 6), s=st.integers(1, 4), data=st.data(), ceil_mode=st.booleans(), extra=st.integers(0, 12))
def test_pool_output_size_matches_torch(k, s, data, ceil_mode, extra):
    p = data.draw(st.integers(0, k // 2), label="padding")
    n = max(1, k - 2 * p) + extra
    assert pool_output_size(n, k, stride=s, padding=p, ceil_mode=ceil_mode) == torch_pool_len(n, k, s, p, ceil_mode)


def test_pool_stride_defaults_to_window():
    assert pool_output_size(7, 2) == 3 == torch_pool_len(7, 2, 2, 0, False)
    assert pool_output_size(7, 2, ceil_mode=True) == 4 == torch_pool_len(7, 2, 2, 0, True)


def test_pool_ceil_mode_last_window_must_start_inside():
    # n=4, k=2, s=2, p=1: ceil would give 4 windows, but the 4th would start in the right padding
    assert pool_output_size(4, 2, stride=2, padding=1, ceil_mode=True) == 3 == torch_pool_len(4, 2, 2, 1, True)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: conv_output_size(3, 5), r"kernel \(size 5.*larger than the padded input"),
        (lambda: conv_output_size(5, 3, dilation=3), r"effective size 7\).*larger than the padded input"),
        (lambda: conv_output_size(5, 3, stride=0), r"stride must be an integer >= 1; got 0"),
        (lambda: conv_output_size(5, 3, dilation=0), r"dilation must be an integer >= 1; got 0"),
        (lambda: conv_output_size(5, 3, padding=-1), r"padding must be an integer >= 0; got -1"),
        (lambda: conv_output_size(5, 0), r"kernel_size must be an integer >= 1; got 0"),
        (lambda: conv_output_size(0, 1), r"input size n must be an integer >= 1; got 0"),
        (lambda: conv_output_size(5, 3, stride=1.5), r"stride must be an integer >= 1; got 1\.5"),
        (lambda: conv_output_size(5, 3, stride=True), r"stride must be an integer >= 1; got True"),
        (lambda: conv_output_size("5", 3), r"input size n must be an integer"),
        (lambda: conv_transpose_output_size(3, 3, stride=2, output_padding=2),
         r"output_padding must be smaller than stride or dilation \(here < 2\); got 2"),
        (lambda: conv_transpose_output_size(3, 3, stride=1, output_padding=1), r"output_padding.*< 1\); got 1"),
        (lambda: conv_transpose_output_size(3, 3, stride=2, dilation=3, output_padding=3),
         r"output_padding.*< 3\); got 3"),
        (lambda: conv_transpose_output_size(2, 3, padding=3), r"output would be -2 long.*reduce padding"),
        (lambda: conv_transpose_output_size(2, 3, stride=0), r"stride must be an integer >= 1"),
        (lambda: conv_transpose_output_size(2, 3, padding=-1), r"padding must be an integer >= 0"),
        (lambda: pool_output_size(6, 3, padding=2), r"padding must be at most half the pooling window.*got 2"),
        (lambda: pool_output_size(2, 5, padding=1), r"pooling window 5 is larger than the padded input"),
        (lambda: pool_output_size(6, 2, stride=0), r"stride must be an integer >= 1; got 0"),
        (lambda: receptive_field([]), r"at least one layer"),
        (lambda: Layer(kind="dense"), r"kind must be 'conv' or 'pool'; got 'dense'"),
        (lambda: Layer(stride=0), r"stride must be an integer >= 1; got 0"),
        (lambda: Layer(padding=-2), r"padding must be an integer >= 0; got -2"),
        (lambda: receptive_field([{"kernel_size": 3, "dilation": 0}]), r"dilation must be an integer >= 1; got 0"),
    ],
)
def test_shape_errors_name_the_problem(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@SETTINGS
@given(k=st.integers(2, 6), d=st.integers(1, 3), p=st.integers(0, 3), data=st.data())
def test_kernel_larger_than_padded_input_is_refused_exactly_when_torch_refuses(k, d, p, data):
    eff = d * (k - 1) + 1
    n = data.draw(st.integers(1, eff + 2), label="n")
    fits = eff <= n + 2 * p
    try:
        torch_conv_len(n, k, p=p, d=d)
        torch_ok = True
    except RuntimeError:
        torch_ok = False
    assert torch_ok == fits
    if fits:
        conv_output_size(n, k, padding=p, dilation=d)
    else:
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv_output_size(n, k, padding=p, dilation=d)


# ------------------------------------------------------------------ receptive field
def test_two_3x3_convs_see_5x5():
    fields = receptive_field([Layer(kernel_size=3), Layer(kernel_size=3)])
    assert [f.size for f in fields] == [3, 5]
    assert [f.jump for f in fields] == [1, 1]
    # and in 2-D through torch: the gradient of one output of two 3x3 convs touches a 5x5 block
    x = torch.zeros(1, 1, 9, 9, dtype=torch.float64, requires_grad=True)
    w = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    y = F.conv2d(F.conv2d(x, w), w)
    y[0, 0, 2, 2].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (5, 5)


def test_receptive_field_accepts_mappings_and_keeps_the_layers():
    fields = receptive_field([{"kernel_size": 3, "stride": 2}, {"kind": "pool", "kernel_size": 2, "stride": 2}])
    assert [f.size for f in fields] == [3, 5]
    assert [f.jump for f in fields] == [2, 4]
    assert fields[1].layer == Layer(kind="pool", kernel_size=2, stride=2)


def _brute_force_field(layers: list[Layer], length: int = 320) -> list[tuple[int, int, int]]:
    """For each depth: (output index m, first, last input cell) of the middle output's receptive field,
    found by backpropagating a one-hot gradient through a chain of all-ones 1-D convolutions in torch.

    All weights are positive and there is no non-linearity, so every input cell that can reach the
    output gets a positive gradient; a pooling window moves exactly like a convolution window."""
    result = []
    for depth in range(1, len(layers) + 1):
        x = torch.zeros(1, 1, length, dtype=torch.float64, requires_grad=True)
        y = x
        for layer in layers[:depth]:
            w = torch.ones(1, 1, layer.kernel_size, dtype=torch.float64)
            y = F.conv1d(y, w, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
        m = y.shape[-1] // 2
        y[0, 0, m].backward()
        hit = np.nonzero(x.grad[0, 0].numpy())[0]
        result.append((m, int(hit.min()), int(hit.max())))
    return result


layer_strategy = st.builds(
    Layer,
    kind=st.sampled_from(["conv", "pool"]),
    kernel_size=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
)


@SETTINGS
@given(layers=st.lists(layer_strategy, min_size=1, max_size=3))
def test_receptive_field_matches_backprop_through_torch(layers):
    fields = receptive_field(layers)
    assert len(fields) == len(layers)
    for field, (m, first, last) in zip(fields, _brute_force_field(layers)):
        assert 0 < first and last < 320 - 1  # the field lies inside the input, clear of the padding
        assert field.size == last - first + 1
        # centre of output m, in coordinates where input cell c spans [c, c + 1)
        assert field.start + m * field.jump == pytest.approx((first + last + 1) / 2)


@pytest.mark.parametrize(
    "layers, sizes, jumps",
    [
        ([Layer(kernel_size=3, stride=2), Layer(kernel_size=3, stride=2)], [3, 7], [2, 4]),
        ([Layer(kernel_size=3, dilation=2), Layer(kernel_size=3, dilation=4)], [5, 13], [1, 1]),
        ([Layer(kernel_size=5), Layer(kind="pool", kernel_size=2, stride=2), Layer(kernel_size=3)], [5, 6, 10],
         [1, 2, 2]),
    ],
)
def test_named_receptive_fields(layers, sizes, jumps):
    fields = receptive_field(layers)
    assert [f.size for f in fields] == sizes
    assert [f.jump for f in fields] == jumps
    for f, (m, first, last) in zip(fields, _brute_force_field(layers)):
        assert f.size == last - first + 1
