"""Step traces: rebuilt from their steps they give torch's output, and each step is self-consistent.

Every reference value is computed here with torch in float64 (or, for the padding geometry, with
plain numpy written out in the test), never by calling cnnviz a second time.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnviz.ops
from cnnviz import (TraceMismatchError, avg_pool2d_trace, conv1d_trace, conv2d_trace, conv_transpose2d_trace,
                    max_pool2d_trace)
from strategies import conv_axis, pool_axis, rng_array, transpose_axis

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def T(a) -> torch.Tensor:
    return torch.from_numpy(np.array(a, dtype=np.float64))


def padding_mask_of(shape, padding) -> np.ndarray:
    """True on the zero ring np.pad adds: written out independently of cnnviz."""
    mask = np.ones(tuple(n + 2 * p for n, p in zip(shape, padding)), bool)
    mask[tuple(slice(p, p + n) for n, p in zip(shape, padding))] = False
    return mask


def check_conv_steps(trace, x3, w4, bias, groups, padding, stride, dilation, squeeze):
    """The per-step invariants shared by conv1d/conv2d traces (x3: (C_in, *S), w4: (C_out, C_in/g, *K))."""
    nd = x3.ndim - 1
    c_out, cin_g = w4.shape[0], w4.shape[1]
    xp = np.pad(x3, [(0, 0)] + [(p, p) for p in padding])
    mask = padding_mask_of(x3.shape[1:], padding)
    np.testing.assert_array_equal(trace.padded_input, xp[0] if squeeze else xp)
    np.testing.assert_array_equal(trace.padding_mask, mask)
    taps = list(itertools.product(*(range(k) for k in w4.shape[2:])))
    order = []
    for step in trace.steps:
        co, pos = step.out_channel, step.out_pos
        order.append((co,) + pos)
        g = co // (c_out // groups)
        # cells: one per kernel tap, row-major, at pos*stride + tap*dilation in the padded input
        assert step.cells == tuple(tuple(pos[a] * stride[a] + t[a] * dilation[a] for a in range(nd)) for t in taps)
        channels = xp[g * cin_g:(g + 1) * cin_g]
        gathered = np.array([[channels[(c,) + cell] for cell in step.cells] for c in range(cin_g)])
        patch = step.patch.reshape(cin_g, -1) if not squeeze else step.patch.reshape(1, -1)
        np.testing.assert_array_equal(patch, gathered)
        assert step.is_padding == tuple(bool(mask[cell]) for cell in step.cells)
        kernel = w4[co, 0] if squeeze else w4[co]
        np.testing.assert_array_equal(step.kernel, kernel)
        np.testing.assert_allclose(step.products, step.patch * kernel, rtol=0, atol=0)
        assert step.total == pytest.approx(float(step.products.sum()), rel=1e-12, abs=1e-12)
        assert step.bias == bias[co]
        assert step.value == pytest.approx(step.total + step.bias, rel=1e-12, abs=1e-12)
    assert order == sorted(order), "steps are in output order"
    assert len(order) == len(set(order)) == c_out * int(np.prod(trace.output.shape[-nd:]))


def rebuild(trace, squeeze):
    out = np.full(trace.output.shape, np.nan)
    for step in trace.steps:
        out[step.out_pos if squeeze else (step.out_channel,) + step.out_pos] = step.value
    return out


def check_footprint(trace, k, dilation):
    eff = tuple(d * (n - 1) + 1 for n, d in zip(k, dilation))
    assert trace.footprint.shape == eff
    assert int(trace.footprint.sum()) == int(np.prod(k))
    sl = tuple(slice(None, None, d) for d in dilation)
    assert trace.footprint[sl].all()
    dk = trace.dilated_kernel
    assert dk.shape[-len(k):] == eff
    np.testing.assert_array_equal(dk[(...,) + sl], trace.kernel)
    assert not dk[..., ~trace.footprint].any()


# ------------------------------------------------------------------ conv2d / conv1d traces
@SETTINGS
@given(rows=conv_axis(), cols=conv_axis(), seed=st.integers(0, 2**32 - 1), bias=st.sampled_from([None, 0.5]))
def test_conv2d_trace_plain_rebuilds_torch(rows, cols, seed, bias):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    x, w = rng_array(seed, (h, w_)), rng_array(seed + 1, (kh, kw))
    t = conv2d_trace(x, w, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), bias=bias)
    ref = F.conv2d(T(x)[None, None], T(w)[None, None], None if bias is None else T([bias]), stride=(sh, sw),
                   padding=(ph, pw), dilation=(dh, dw))[0, 0].numpy()
    np.testing.assert_allclose(rebuild(t, True), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.output, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(t.input, x)
    np.testing.assert_array_equal(t.kernel, w)
    check_conv_steps(t, x[None], w[None, None], np.full(1, bias or 0.0), 1, (ph, pw), (sh, sw), (dh, dw), True)
    check_footprint(t, (kh, kw), (dh, dw))


@SETTINGS
@given(rows=conv_axis(max_q=2), cols=conv_axis(max_q=2), g=st.integers(1, 2), cin_g=st.integers(1, 2),
       cout_g=st.integers(1, 2), seed=st.integers(0, 2**32 - 1), per_channel=st.booleans())
def test_conv2d_trace_channels_groups_rebuilds_torch(rows, cols, g, cin_g, cout_g, seed, per_channel):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    c_in, c_out = g * cin_g, g * cout_g
    x, w = rng_array(seed, (c_in, h, w_)), rng_array(seed + 1, (c_out, cin_g, kh, kw))
    b = rng_array(seed + 2, c_out) if per_channel else np.full(c_out, -0.25)
    t = conv2d_trace(x, w, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=g,
                     bias=b if per_channel else -0.25)
    ref = F.conv2d(T(x)[None], T(w), T(b), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw),
                   groups=g)[0].numpy()
    np.testing.assert_allclose(rebuild(t, False), ref, rtol=1e-10, atol=1e-10)
    check_conv_steps(t, x, w, b, g, (ph, pw), (sh, sw), (dh, dw), False)
    check_footprint(t, (kh, kw), (dh, dw))


@SETTINGS
@given(geom=conv_axis(max_k=4, max_d=3), form=st.sampled_from(["vector", "channels", "vector-x"]),
       c_in=st.integers(1, 3), c_out=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_conv1d_trace_rebuilds_torch(geom, form, c_in, c_out, seed):
    n, k, s, p, d = geom
    if form == "vector":
        x, w, b = rng_array(seed, n), rng_array(seed + 1, k), 0.0
        x3, w3, bias = x[None], w[None, None], np.zeros(1)
    elif form == "channels":
        x, w = rng_array(seed, (c_in, n)), rng_array(seed + 1, (c_out, c_in, k))
        b = bias = rng_array(seed + 2, c_out)
        x3, w3 = x, w
    else:  # plain signal, several output channels
        x, w = rng_array(seed, n), rng_array(seed + 1, (c_out, 1, k))
        b, bias = 1.5, np.full(c_out, 1.5)
        x3, w3 = x[None], w
    t = conv1d_trace(x, w, stride=s, padding=p, dilation=d, bias=b)
    ref = F.conv1d(T(x3)[None], T(w3), T(bias), stride=s, padding=p, dilation=d)[0].numpy()
    squeeze = form == "vector"
    if squeeze:
        ref = ref[0]
    np.testing.assert_allclose(rebuild(t, squeeze), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.output, ref, rtol=1e-12, atol=1e-12)
    assert all(len(c) == 1 for step in t.steps for c in step.cells)
    check_conv_steps(t, x3, w3, bias, 1, (p,), (s,), (d,), squeeze)
    check_footprint(t, (k,), (d,))


def test_conv2d_trace_worked_example():
    t = conv2d_trace(np.arange(9.0).reshape(3, 3), np.ones((2, 2)), bias=1)
    s = t.steps[0]
    assert s.cells == ((0, 0), (0, 1), (1, 0), (1, 1))
    assert (s.total, s.value) == (8.0, 9.0)


def test_dilated_footprint_3x3_d2_is_5x5_with_9_taps():
    t = conv2d_trace(np.ones((7, 7)), np.arange(1.0, 10.0).reshape(3, 3), dilation=2)
    assert t.footprint.shape == t.dilated_kernel.shape == (5, 5)
    assert t.footprint.sum() == 9
    expected = np.zeros((5, 5))
    expected[::2, ::2] = np.arange(1.0, 10.0).reshape(3, 3)
    np.testing.assert_array_equal(t.dilated_kernel, expected)
    assert t.output.shape == (3, 3)


def test_stride_padding_trace_marks_padding_and_drops_the_last_column():
    """n=6, k=3, p=1, s=2: 3x3 outputs; the first window has 5 padding cells, padded column 7 is never used."""
    x = np.arange(36.0).reshape(6, 6)
    t = conv2d_trace(x, np.ones((3, 3)), stride=2, padding=1)
    assert t.output.shape == (3, 3)
    assert sum(t.steps[0].is_padding) == 5
    used = {c for step in t.steps for c in step.cells}
    assert max(c[1] for c in used) == 6 and max(c[0] for c in used) == 6
    assert t.padded_input.shape == (8, 8)


# ------------------------------------------------------------------ pooling traces


@SETTINGS
@given(rows=pool_axis(), cols=pool_axis(), channels=st.sampled_from([None, 2]), ceil_mode=st.booleans(),
       seed=st.integers(0, 2**32 - 1), ties=st.booleans())
def test_max_pool2d_trace_chooses_torch_argmax(rows, cols, channels, ceil_mode, seed, ties):
    (h, kh, sh, ph), (w_, kw, sw, pw) = rows, cols
    shape = (h, w_) if channels is None else (channels, h, w_)
    rng = np.random.default_rng(seed)
    # ties=True: small integers, many equal values; torch takes the first maximum in scan order
    x = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    t = max_pool2d_trace(x, (kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode)
    x3 = x[None] if channels is None else x
    ref, idx = F.max_pool2d(T(x3)[None], (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil_mode, return_indices=True)
    ref, idx = ref[0].numpy(), idx[0].numpy()
    np.testing.assert_array_equal(t.output, ref[0] if channels is None else ref)
    assert len(t.steps) == ref.size
    for step in t.steps:
        ch, (i, j) = step.channel, step.out_pos
        real = [v for v, pad in zip(step.patch.ravel(), step.is_padding) if not pad]
        assert step.value == max(real) == ref[ch, i, j]
        assert not step.is_padding[step.chosen]
        assert step.patch.ravel()[step.chosen] == step.value
        # argmax in input coordinates, the same cell torch's indices name
        assert step.argmax == divmod(int(idx[ch, i, j]), w_)
        assert x3[(ch,) + step.argmax] == step.value
        assert step.argmax == (step.cells[step.chosen][0] - ph, step.cells[step.chosen][1] - pw)
        assert step.cells == tuple((i * sh + u, j * sw + v) for u in range(kh) for v in range(kw))
        padded = t.padded_input if channels is not None else t.padded_input[None]
        np.testing.assert_array_equal(step.patch.ravel(), [padded[(ch,) + c] for c in step.cells])
        assert step.is_padding == tuple(bool(t.padding_mask[c]) for c in step.cells)


@SETTINGS
@given(rows=pool_axis(), cols=pool_axis(), channels=st.sampled_from([None, 2]), ceil_mode=st.booleans(),
       count_include_pad=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_avg_pool2d_trace_divisor_is_torchs(rows, cols, channels, ceil_mode, count_include_pad, seed):
    (h, kh, sh, ph), (w_, kw, sw, pw) = rows, cols
    shape = (h, w_) if channels is None else (channels, h, w_)
    x = rng_array(seed, shape)
    t = avg_pool2d_trace(x, (kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad)
    x3 = x[None] if channels is None else x
    kwargs = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode,
                  count_include_pad=count_include_pad)
    ref = F.avg_pool2d(T(x3)[None], **kwargs)[0].numpy()
    # torch's divisor for each window: (sum over the window) / (mean over the window), on all-ones input
    ones = torch.ones((1,) + x3.shape, dtype=torch.float64)
    divisor = (F.avg_pool2d(ones, divisor_override=1, **kwargs) / F.avg_pool2d(ones, **kwargs))[0].numpy()
    np.testing.assert_allclose(t.output, ref[0] if channels is None else ref, rtol=1e-12, atol=1e-12)
    for step in t.steps:
        ch, (i, j) = step.channel, step.out_pos
        assert step.divisor == pytest.approx(divisor[ch, i, j], abs=1e-9)
        real = sum(v for v, pad in zip(step.patch.ravel(), step.is_padding) if not pad)
        assert step.value == pytest.approx(real / step.divisor, rel=1e-12, abs=1e-12)
        assert step.value == pytest.approx(ref[ch, i, j], rel=1e-10, abs=1e-12)
        assert step.chosen is None and step.argmax is None


def test_max_pool_tie_takes_first_maximum_in_scan_order():
    x = np.array([[1.0, 3.0], [3.0, 0.0]])
    t = max_pool2d_trace(x, 2)
    _, idx = F.max_pool2d(T(x)[None, None], 2, return_indices=True)
    assert t.steps[0].argmax == (0, 1) == divmod(int(idx.item()), 2)
    assert t.steps[0].chosen == 1


def test_max_pool_never_chooses_padding_even_when_all_values_are_negative():
    x = -np.arange(1.0, 10.0).reshape(3, 3)
    t = max_pool2d_trace(x, 3, stride=2, padding=1)
    assert t.steps[0].value == -1.0 and t.steps[0].argmax == (0, 0)
    assert t.output[0, 0] == F.max_pool2d(T(x)[None, None], 3, 2, 1)[0, 0, 0, 0].item()


def test_avg_pool_corner_divisor_with_and_without_padding_count():
    x = np.ones((3, 3))
    assert avg_pool2d_trace(x, 3, stride=2, padding=1).steps[0].divisor == 9
    assert avg_pool2d_trace(x, 3, stride=2, padding=1, count_include_pad=False).steps[0].divisor == 4


# ------------------------------------------------------------------ transposed trace


@SETTINGS
@given(rows=transpose_axis(), cols=transpose_axis(), seed=st.integers(0, 2**32 - 1))
def test_conv_transpose2d_trace_three_views_equal_torch(rows, cols, seed):
    (h, kh, sh, ph, ah, dh), (w_, kw, sw, pw, aw, dw) = rows, cols
    x, w = rng_array(seed, (h, w_)), rng_array(seed + 1, (kh, kw))
    s, p, a, d = (sh, sw), (ph, pw), (ah, aw), (dh, dw)
    t = conv_transpose2d_trace(x, w, stride=s, padding=p, output_padding=a, dilation=d)
    ref = F.conv_transpose2d(T(x)[None, None], T(w)[None, None], stride=s, padding=p, output_padding=a,
                             dilation=d)[0, 0].numpy()
    oh, ow = ref.shape
    np.testing.assert_allclose(t.output, ref, rtol=1e-12, atol=1e-12)

    # scatter-add: each input cell adds value * kernel at cells (i*s + u*d, j*s + v*d) of the canvas
    assert [st_.in_pos for st_ in t.scatter] == list(itertools.product(range(h), range(w_)))
    previous = np.zeros_like(t.canvas)
    for step in t.scatter:
        i, j = step.in_pos
        assert step.value == x[i, j]
        np.testing.assert_allclose(step.contribution, x[i, j] * w, rtol=0, atol=0)
        assert step.cells == tuple((i * sh + u * dh, j * sw + v * dw) for u in range(kh) for v in range(kw))
        added = np.zeros_like(t.canvas)
        for cell, c in zip(step.cells, step.contribution.ravel()):
            added[cell] += c
        np.testing.assert_allclose(step.canvas - previous, added, rtol=1e-12, atol=1e-12)
        assert step.inside == tuple(ph <= r < ph + oh and pw <= c < pw + ow for r, c in step.cells)
        previous = step.canvas
    np.testing.assert_array_equal(t.scatter[-1].canvas, t.canvas)
    np.testing.assert_allclose(t.canvas[ph:ph + oh, pw:pw + ow], ref, rtol=1e-10, atol=1e-10)

    # direct convolution: stride-1 zeros between inputs, a ring of d(k-1)-p, the kernel flipped
    np.testing.assert_array_equal(t.flipped_kernel, w[::-1, ::-1])
    np.testing.assert_allclose(t.direct.output, ref, rtol=1e-10, atol=1e-10)
    assert not t.direct_input[t.inserted_mask].any()
    assert not t.direct_input[t.padding_mask].any()
    assert not (t.inserted_mask & t.padding_mask).any()
    ring = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    expected_shape = tuple((n - 1) * st_ + 1 + 2 * r + op for n, st_, r, op in zip((h, w_), s, ring, a))
    assert t.direct_input.shape == expected_shape
    if ring[0] >= 0 and ring[1] >= 0:
        rows_pad = np.ones(t.padding_mask.shape[0], bool)
        rows_pad[ring[0]:ring[0] + (h - 1) * sh + 1] = False
        cols_pad = np.ones(t.padding_mask.shape[1], bool)
        cols_pad[ring[1]:ring[1] + (w_ - 1) * sw + 1] = False
        np.testing.assert_array_equal(t.padding_mask, rows_pad[:, None] | cols_pad[None, :])
        core = t.direct_input[ring[0]:ring[0] + (h - 1) * sh + 1, ring[1]:ring[1] + (w_ - 1) * sw + 1]
        np.testing.assert_array_equal(core[::sh, ::sw], x)
        inserted = np.ones(core.shape, bool)
        inserted[::sh, ::sw] = False
        np.testing.assert_array_equal(
            t.inserted_mask[ring[0]:ring[0] + core.shape[0], ring[1]:ring[1] + core.shape[1]], inserted)
        assert t.inserted_mask.sum() == inserted.sum()

    # matrix view: output = C^T x, and C is the convolution on output-shaped arrays
    assert t.matrix.shape == (x.size, oh * ow)
    np.testing.assert_allclose(t.matrix.T @ x.ravel(), ref.ravel(), rtol=1e-10, atol=1e-10)
    if ah < sh and aw < sw:
        y = rng_array(seed + 2, (oh, ow))
        conv = F.conv2d(T(y)[None, None], T(w)[None, None], stride=s, padding=p, dilation=d)[0, 0].numpy()
        assert conv.shape == x.shape
        np.testing.assert_allclose(t.matrix @ y.ravel(), conv.ravel(), rtol=1e-10, atol=1e-10)


def test_transposed_stride_2_inserts_one_zero_between_inputs():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    t = conv_transpose2d_trace(x, np.ones((3, 3)), stride=2)
    ring = 2  # d(k-1) - p = 2
    core = t.direct_input[ring:-ring, ring:-ring]
    np.testing.assert_array_equal(core, [[1, 0, 2, 0, 3], [0, 0, 0, 0, 0], [4, 0, 5, 0, 6]])
    assert t.padding_mask[:ring].all() and t.padding_mask[-ring:].all()
    assert t.padding_mask[:, :ring].all() and t.padding_mask[:, -ring:].all()
    assert not t.padding_mask[ring:-ring, ring:-ring].any()
    np.testing.assert_array_equal(t.inserted_mask[ring:-ring, ring:-ring], core == 0)


def test_transposed_trace_refuses_channels():
    with pytest.raises(ValueError, match="takes one channel"):
        conv_transpose2d_trace(np.ones((2, 3, 3)), np.ones((2, 1, 2, 2)))


# ------------------------------------------------------------------ traces refuse what the ops refuse
@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: conv2d_trace(np.ones((3, 3)), np.ones((4, 4))), "larger than the padded input"),
        (lambda: conv2d_trace(np.ones((3, 3)), np.ones((2, 2)), stride=0), "stride must be an integer >= 1"),
        (lambda: conv1d_trace([1.0, 2.0], [1.0], padding=-1), "padding must be an integer >= 0"),
        (lambda: conv1d_trace("abc", [1.0]), "input x must be a numeric array"),
        (lambda: max_pool2d_trace(np.ones((4, 4)), 2, padding=2), "at most half the pooling window"),
        (lambda: avg_pool2d_trace([[np.nan]], 1), "only finite numbers"),
        (lambda: conv_transpose2d_trace(np.ones((2, 2)), np.ones((2, 2)), stride=2, output_padding=2),
         "output_padding must be smaller"),
    ],
)
def test_traces_refuse_bad_arguments(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# ------------------------------------------------------------------ a torch disagreement is caught
def test_conv2d_trace_raises_when_torch_disagrees(monkeypatch):
    real = cnnviz.ops._run_conv2d
    monkeypatch.setattr(cnnviz.ops, "_run_conv2d", lambda args: real(args) + 1e-3)
    with pytest.raises(TraceMismatchError, match="conv2d trace disagrees with torch"):
        conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)))


def test_pool_trace_raises_on_a_shape_disagreement(monkeypatch):
    real = cnnviz.ops.max_pool2d
    monkeypatch.setattr(cnnviz.ops, "max_pool2d", lambda *a, **k: real(*a, **k)[..., :-1])
    with pytest.raises(TraceMismatchError, match=r"shapes \(2, 2\) vs \(2, 1\)"):
        max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2)


def test_conv1d_trace_raises_when_torch_disagrees(monkeypatch):
    real = cnnviz.ops._run_conv2d
    monkeypatch.setattr(cnnviz.ops, "_run_conv2d", lambda args: real(args) * 2.0)
    with pytest.raises(TraceMismatchError, match="conv1d"):
        conv1d_trace([1.0, 2.0, 3.0, 4.0], [1.0, -1.0])


@pytest.mark.parametrize("op, trace", [("max_pool2d", max_pool2d_trace), ("avg_pool2d", avg_pool2d_trace)])
def test_pool_traces_raise_when_torch_disagrees(monkeypatch, op, trace):
    real = getattr(cnnviz.ops, op)
    monkeypatch.setattr(cnnviz.ops, op, lambda *a, **k: real(*a, **k) - 0.5)
    with pytest.raises(TraceMismatchError, match=op):
        trace(np.arange(16.0).reshape(4, 4), 2)


def test_transposed_trace_raises_when_torch_disagrees(monkeypatch):
    real = cnnviz.ops.conv_transpose2d
    monkeypatch.setattr(cnnviz.ops, "conv_transpose2d", lambda *a, **k: real(*a, **k) + 1.0)
    with pytest.raises(TraceMismatchError, match="conv_transpose2d"):
        conv_transpose2d_trace([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2)), stride=2)


def test_trace_mismatch_is_not_a_value_error():
    """It is a bug in cnnviz, not a user mistake: callers catching ValueError must not swallow it."""
    assert not issubclass(TraceMismatchError, ValueError)
    assert issubclass(TraceMismatchError, AssertionError)


def test_a_difference_within_rounding_is_not_a_mismatch(monkeypatch):
    real = cnnviz.ops._run_conv2d
    monkeypatch.setattr(cnnviz.ops, "_run_conv2d", lambda args: real(args) * (1 + 1e-13))
    t = conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)))
    assert t.steps[0].value == 45.0  # 0+1+2+4+5+6+8+9+10
