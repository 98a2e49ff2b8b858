"""Backpropagated error terms against torch.autograd in float64.

For a layer ``Z = f(A)`` and an error term ``δ = ∂L/∂Z`` we take ``L = Σ Z ⊙ δ``: autograd then gives
exactly ``∂L/∂A``, ``∂L/∂W`` and ``∂L/∂b`` for that δ.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz import (activation_backward, avg_pool2d_backward, conv2d_backward, conv2d_backward_trace,
                    max_pool2d_backward)
from strategies import conv_axis, pool_axis, rng_array

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def T(a, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def autograd_conv(x, w, delta, stride, padding, dilation):
    """(∂L/∂x, ∂L/∂w, ∂L/∂b) for x (C_in, H, W), w (C_out, C_in, kh, kw), δ (C_out, oh, ow)."""
    tx, tw, tb = T(x, True), T(w, True), T(np.zeros(w.shape[0]), True)
    z = F.conv2d(tx[None], tw, tb, stride=stride, padding=padding, dilation=dilation)[0]
    assert z.shape == delta.shape
    (z * T(delta)).sum().backward()
    return tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


def torch_out_shape(x3, w4, stride, padding, dilation):
    return tuple(F.conv2d(T(x3)[None], T(w4), stride=stride, padding=padding, dilation=dilation).shape[1:])


# ------------------------------------------------------------------ conv2d
@SETTINGS
@given(rows=conv_axis(), cols=conv_axis(), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_conv2d_backward_channels_matches_autograd(rows, cols, c_in, c_out, seed):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    x, w = rng_array(seed, (c_in, h, w_)), rng_array(seed + 1, (c_out, c_in, kh, kw))
    s, p, d = (sh, sw), (ph, pw), (dh, dw)
    delta = rng_array(seed + 2, torch_out_shape(x, w, s, p, d))
    g = conv2d_backward(x, w, delta, stride=s, padding=p, dilation=d)
    gx, gw, gb = autograd_conv(x, w, delta, s, p, d)
    assert g.grad_input.shape == x.shape and g.grad_kernel.shape == w.shape and g.grad_bias.shape == (c_out,)
    np.testing.assert_allclose(g.grad_input, gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g.grad_kernel, gw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g.grad_bias, gb, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(rows=conv_axis(), cols=conv_axis(), seed=st.integers(0, 2**32 - 1), as_int=st.booleans())
def test_conv2d_backward_plain_matches_autograd(rows, cols, seed, as_int):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    x, w = rng_array(seed, (h, w_)), rng_array(seed + 1, (kh, kw))
    s, p, d = (sh, sw), (ph, pw), (dh, dw)
    if as_int and sh == sw and ph == pw and dh == dw:
        s, p, d = sh, ph, dh
    delta = rng_array(seed + 2, torch_out_shape(x[None], w[None, None], (sh, sw), (ph, pw), (dh, dw))[1:])
    g = conv2d_backward(x, w, delta, stride=s, padding=p, dilation=d)
    gx, gw, gb = autograd_conv(x[None], w[None, None], delta[None], (sh, sw), (ph, pw), (dh, dw))
    assert g.grad_input.shape == x.shape and g.grad_kernel.shape == w.shape
    np.testing.assert_allclose(g.grad_input, gx[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g.grad_kernel, gw[0, 0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g.grad_bias, gb, rtol=1e-10, atol=1e-10)


def test_conv2d_backward_worked_example():
    g = conv2d_backward(np.arange(9.0).reshape(3, 3), np.ones((2, 2)), np.ones((2, 2)))
    np.testing.assert_array_equal(g.grad_kernel, [[8.0, 12.0], [20.0, 24.0]])
    np.testing.assert_array_equal(g.grad_bias, [4.0])
    np.testing.assert_array_equal(g.grad_input, [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])


def test_conv2d_backward_floor_dropped_cells_get_no_gradient():
    """n=6, k=3, s=2, p=0: the last input column is never read, so its gradient is exactly 0."""
    x, w = rng_array(0, (6, 6)), rng_array(1, (3, 3))
    g = conv2d_backward(x, w, np.ones((2, 2)), stride=2)
    gx, _, _ = autograd_conv(x[None], w[None, None], np.ones((1, 2, 2)), 2, 0, 1)
    np.testing.assert_allclose(g.grad_input, gx[0], rtol=1e-12, atol=1e-12)
    assert not g.grad_input[-1].any() and not g.grad_input[:, -1].any()


@SETTINGS
@given(rows=conv_axis(), cols=conv_axis(), seed=st.integers(0, 2**32 - 1))
def test_conv2d_backward_trace_matches_autograd(rows, cols, seed):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    x, w = rng_array(seed, (h, w_)), rng_array(seed + 1, (kh, kw))
    s, p, d = (sh, sw), (ph, pw), (dh, dw)
    delta = rng_array(seed + 2, torch_out_shape(x[None], w[None, None], s, p, d)[1:])
    t = conv2d_backward_trace(x, w, delta, stride=s, padding=p, dilation=d)
    gx, gw, gb = (g[0] if g.ndim > 1 else g for g in autograd_conv(x[None], w[None, None], delta[None], s, p, d))
    gw = gw[0]
    np.testing.assert_allclose(t.grads.grad_input, gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.grads.grad_kernel, gw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.grads.grad_bias, gb, rtol=1e-10, atol=1e-10)
    # ∂L/∂W = A ⋆ δ: one step per kernel weight, each step's value is that weight's gradient
    np.testing.assert_allclose(t.grad_kernel.output, gw, rtol=1e-10, atol=1e-10)
    assert len(t.grad_kernel.steps) == kh * kw
    assert sorted(step.out_pos for step in t.grad_kernel.steps) == [(u, v) for u in range(kh) for v in range(kw)]
    for step in t.grad_kernel.steps:
        assert step.value == pytest.approx(gw[step.out_pos], rel=1e-9, abs=1e-10)
        np.testing.assert_array_equal(step.kernel, delta)
    # ∂L/∂A: a transposed convolution of δ with W, in all its views
    np.testing.assert_allclose(t.grad_input.output, gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.grad_input.direct.output, gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.grad_input.matrix.T @ delta.ravel(), gx.ravel(), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(t.grad_input.input, delta)
    np.testing.assert_array_equal(t.grad_input.flipped_kernel, w[::-1, ::-1])


def test_conv2d_backward_trace_refuses_channels():
    with pytest.raises(ValueError, match="takes one channel"):
        conv2d_backward_trace(np.ones((2, 4, 4)), np.ones((1, 2, 3, 3)), np.ones((1, 2, 2)))


# ------------------------------------------------------------------ pooling


def autograd_pool(kind, x3, delta3, **kwargs):
    tx = T(x3, True)
    z = getattr(F, kind)(tx[None], **kwargs)[0]
    assert z.shape == delta3.shape
    (z * T(delta3)).sum().backward()
    return tx.grad.numpy()


@SETTINGS
@given(rows=pool_axis(), cols=pool_axis(), channels=st.sampled_from([None, 2]), ceil_mode=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_max_pool2d_backward_matches_autograd(rows, cols, channels, ceil_mode, seed):
    (h, kh, sh, ph), (w_, kw, sw, pw) = rows, cols
    shape = (h, w_) if channels is None else (channels, h, w_)
    rng = np.random.default_rng(seed)
    x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(float) - 3.0  # no ties, some negative
    x3 = x[None] if channels is None else x
    kwargs = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode)
    out_shape = F.max_pool2d(T(x3)[None], **kwargs).shape[1:]
    delta3 = rng.standard_normal(out_shape)
    delta = delta3[0] if channels is None else delta3
    b = max_pool2d_backward(x, delta, (kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode)
    ref = autograd_pool("max_pool2d", x3, delta3, **kwargs)
    assert b.grad_input.shape == x.shape
    np.testing.assert_allclose(b.grad_input, ref[0] if channels is None else ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(b.delta, delta)


@SETTINGS
@given(rows=pool_axis(), cols=pool_axis(), channels=st.sampled_from([None, 2]), ceil_mode=st.booleans(),
       count_include_pad=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_avg_pool2d_backward_matches_autograd(rows, cols, channels, ceil_mode, count_include_pad, seed):
    (h, kh, sh, ph), (w_, kw, sw, pw) = rows, cols
    shape = (h, w_) if channels is None else (channels, h, w_)
    x = rng_array(seed, shape)
    x3 = x[None] if channels is None else x
    kwargs = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode,
                  count_include_pad=count_include_pad)
    delta3 = rng_array(seed + 1, F.avg_pool2d(T(x3)[None], **kwargs).shape[1:])
    delta = delta3[0] if channels is None else delta3
    b = avg_pool2d_backward(x, delta, (kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil_mode,
                            count_include_pad=count_include_pad)
    ref = autograd_pool("avg_pool2d", x3, delta3, **kwargs)
    np.testing.assert_allclose(b.grad_input, ref[0] if channels is None else ref, rtol=1e-12, atol=1e-12)


def test_max_pool2d_backward_tie_goes_to_first_maximum_in_scan_order():
    x = np.array([[1.0, 4.0, 4.0, 0.0],
                  [4.0, 2.0, 0.0, 0.0],
                  [7.0, 7.0, 1.0, 1.0],
                  [7.0, 7.0, 1.0, 1.0]])
    delta = np.array([[10.0, 20.0], [30.0, 40.0]])
    b = max_pool2d_backward(x, delta, 2)
    expected = np.zeros((4, 4))
    expected[0, 1] = 10.0  # 4 at (0,1) comes before 4 at (1,0)
    expected[0, 2] = 20.0  # window of 4, 0, 0, 0
    expected[2, 0] = 30.0  # four 7s: the top-left one
    expected[2, 2] = 40.0  # four 1s: the top-left one
    np.testing.assert_array_equal(b.grad_input, expected)
    np.testing.assert_array_equal(b.grad_input, autograd_pool("max_pool2d", x[None], delta[None], kernel_size=2)[0])


def test_overlapping_max_windows_accumulate():
    """Stride 1: the global maximum wins every window that contains it, and collects every δ."""
    x = np.array([[0.0, 1.0, 2.0], [3.0, 9.0, 4.0], [5.0, 6.0, 7.0]])
    delta = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = max_pool2d_backward(x, delta, 2, stride=1)
    assert b.grad_input[1, 1] == 10.0 and b.grad_input.sum() == 10.0
    np.testing.assert_array_equal(b.grad_input, autograd_pool("max_pool2d", x[None], delta[None], kernel_size=2,
                                                              stride=1)[0])


def test_pool_backward_worked_example():
    np.testing.assert_array_equal(max_pool2d_backward(np.arange(4.0).reshape(2, 2), [[5.0]], 2).grad_input,
                                  [[0.0, 0.0], [0.0, 5.0]])
    np.testing.assert_array_equal(avg_pool2d_backward(np.arange(4.0).reshape(2, 2), [[8.0]], 2).grad_input,
                                  [[2.0, 2.0], [2.0, 2.0]])


# ------------------------------------------------------------------ activations
def autograd_activation(name, z, delta):
    tz = T(z, True)
    a = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda v: v * 1.0}[name](tz)
    (a * T(delta)).sum().backward()
    return tz.grad.numpy()


@SETTINGS
@given(name=st.sampled_from(["relu", "sigmoid", "tanh", "identity"]),
       shape=st.sampled_from([(5,), (3, 4), (2, 3, 3)]), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1, 8]))
def test_activation_backward_matches_autograd(name, shape, seed, scale):
    z = rng_array(seed, shape) * scale
    z.flat[0] = 0.0  # h'(0): relu's is 0, as torch's
    delta = rng_array(seed + 1, shape)
    np.testing.assert_allclose(activation_backward(z, delta, name), autograd_activation(name, z, delta),
                               rtol=1e-12, atol=1e-14)


def test_activation_backward_relu_default_and_worked_example():
    np.testing.assert_array_equal(activation_backward([-1.0, 0.0, 2.0], [3.0, 3.0, 3.0]), [0.0, 0.0, 3.0])


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: conv2d_backward(np.ones((4, 4)), np.ones((3, 3)), np.ones((3, 3))),
         r"delta must have the shape of the layer's output, \(2, 2\); got \(3, 3\)"),
        (lambda: conv2d_backward(np.ones((2, 4, 4)), np.ones((3, 2, 3, 3)), np.ones((2, 2))),
         r"delta must have the shape of the layer's output, \(3, 2, 2\); got \(2, 2\)"),
        (lambda: conv2d_backward(np.ones((6, 6)), np.ones((3, 3)), np.ones((2, 2)), stride=2, padding=1),
         r"delta must have the shape of the layer's output, \(3, 3\); got \(2, 2\)"),
        (lambda: conv2d_backward_trace(np.ones((4, 4)), np.ones((2, 2)), np.ones((2, 2))),
         r"delta must have the shape of the layer's output, \(3, 3\); got \(2, 2\)"),
        (lambda: conv2d_backward(np.ones((4, 4)), np.ones((3, 3)), [[np.nan, 0.0], [0.0, 0.0]]),
         r"delta must contain only finite numbers"),
        (lambda: conv2d_backward(np.ones((4, 4)), np.ones((3, 3)), "ab"), r"delta must be a numeric array"),
        (lambda: conv2d_backward(np.ones((4, 4)), np.ones((5, 5)), np.ones((1, 1))), r"larger than the padded input"),
        (lambda: max_pool2d_backward(np.ones((4, 4)), np.ones((4, 4)), 2),
         r"delta must have the shape of the pooled output, \(2, 2\); got \(4, 4\)"),
        (lambda: avg_pool2d_backward(np.ones((2, 4, 4)), np.ones((2, 2)), 2),
         r"delta must have the shape of the pooled output, \(2, 2, 2\); got \(2, 2\)"),
        (lambda: max_pool2d_backward(np.ones((4, 4)), np.ones((2, 2)), 2, padding=2), r"at most half the pooling"),
        (lambda: activation_backward(np.ones(3), np.ones(4)), r"delta must have the shape of z, \(3,\); got \(4,\)"),
        (lambda: activation_backward(np.ones(3), np.ones(3), "softplus"),
         r"activation must be one of \['identity', 'relu', 'sigmoid', 'tanh'\]; got 'softplus'"),
        (lambda: activation_backward([1.0, np.inf], [1.0, 1.0]), r"z must contain only finite numbers"),
    ],
)
def test_backprop_errors_name_the_problem(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
