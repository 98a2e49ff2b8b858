"""Forward ops against torch.nn.functional in float64, over random shapes and hyper-parameters.

The oracle is computed here, directly with torch on float64 tensors, from the same numbers;
strides that do not divide the padded input evenly (where the floor matters) are generated on purpose.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz import avg_pool2d, conv1d, conv2d, conv_transpose2d, max_pool2d
from strategies import conv_axis, pool_axis, rng_array, transpose_axis

# wider ranges than the trace and backprop tests: the forward ops are cheap
wide_conv_axis = conv_axis(max_k=4, max_d=3)
wide_pool_axis = pool_axis(max_k=4, max_s=4, max_extra=7)

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def T(a) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def int_or_pair(draw, a, b):
    """The pair (a, b) as the user may pass it: an int when both agree (or by choice), else a tuple/list."""
    if a == b and draw(st.booleans()):
        return a
    return draw(st.sampled_from([(a, b), [a, b]]))


# ------------------------------------------------------------------ conv1d
@SETTINGS
@given(geom=wide_conv_axis, seed=st.integers(0, 2**32 - 1), bias=st.sampled_from([None, "scalar"]))
def test_conv1d_vector_forms_match_torch(geom, seed, bias):
    n, k, s, p, d = geom
    x, w = rng_array(seed, n), rng_array(seed + 1, k)
    b = None if bias is None else 0.75
    y = conv1d(x, w, stride=s, padding=p, dilation=d, bias=b)
    ref = F.conv1d(T(x)[None, None], T(w)[None, None], None if b is None else T([b]), stride=s, padding=p,
                   dilation=d)[0, 0].numpy()
    assert y.shape == ref.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(geom=wide_conv_axis, c_in=st.integers(1, 3), c_out=st.integers(1, 3), seed=st.integers(0, 2**32 - 1),
       bias=st.sampled_from([None, "scalar", "per-channel"]))
def test_conv1d_channel_form_matches_torch(geom, c_in, c_out, seed, bias):
    n, k, s, p, d = geom
    x, w = rng_array(seed, (c_in, n)), rng_array(seed + 1, (c_out, c_in, k))
    b = {None: None, "scalar": -1.25, "per-channel": rng_array(seed + 2, c_out)}[bias]
    y = conv1d(x, w, stride=s, padding=p, dilation=d, bias=b)
    tb = None if b is None else T(np.array(np.broadcast_to(b, (c_out,))))
    ref = F.conv1d(T(x)[None], T(w), tb, stride=s, padding=p, dilation=d)[0].numpy()
    assert y.shape == ref.shape == (c_out, ref.shape[-1])
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_conv1d_vector_input_with_channel_kernel():
    x = np.array([1.0, 2.0, -1.0, 0.5, 3.0])
    w = np.array([[[1.0, 0.0, -1.0]], [[0.5, 0.5, 0.5]]])  # (C_out=2, C_in=1, k=3)
    y = conv1d(x, w, stride=2, bias=[1.0, -1.0])
    ref = F.conv1d(T(x)[None, None], T(w), T([1.0, -1.0]), stride=2)[0].numpy()
    assert y.shape == (2, 2)
    np.testing.assert_allclose(y, ref)


def test_conv1d_worked_example():
    assert conv1d([1, 2, 3, 4], [1, 0, -1]).tolist() == [-2.0, -2.0]


# ------------------------------------------------------------------ conv2d
@SETTINGS
@given(rows=wide_conv_axis, cols=wide_conv_axis, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_conv2d_plain_form_matches_torch(rows, cols, seed, data):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    x, w = rng_array(seed, (h, w_)), rng_array(seed + 1, (kh, kw))
    stride, padding, dilation = (int_or_pair(data.draw, sh, sw), int_or_pair(data.draw, ph, pw),
                                 int_or_pair(data.draw, dh, dw))
    b = data.draw(st.sampled_from([None, 0.5, [2.0], np.array(-3.0)]), label="bias")
    y = conv2d(x, w, stride=stride, padding=padding, dilation=dilation, bias=b)
    ref = F.conv2d(T(x)[None, None], T(w)[None, None], None if b is None else T(np.reshape(b, (1,))),
                   stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))[0, 0].numpy()
    assert y.shape == ref.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(rows=wide_conv_axis, cols=wide_conv_axis, g=st.integers(1, 3), cin_g=st.integers(1, 2), cout_g=st.integers(1, 2),
       seed=st.integers(0, 2**32 - 1), data=st.data())
def test_conv2d_channels_and_groups_match_torch(rows, cols, g, cin_g, cout_g, seed, data):
    (h, kh, sh, ph, dh), (w_, kw, sw, pw, dw) = rows, cols
    c_in, c_out = g * cin_g, g * cout_g
    x, w = rng_array(seed, (c_in, h, w_)), rng_array(seed + 1, (c_out, cin_g, kh, kw))
    stride, padding, dilation = (int_or_pair(data.draw, sh, sw), int_or_pair(data.draw, ph, pw),
                                 int_or_pair(data.draw, dh, dw))
    bias_kind = data.draw(st.sampled_from([None, "scalar", "per-channel", "list"]), label="bias")
    b = {None: None, "scalar": 1.5, "per-channel": rng_array(seed + 2, c_out),
         "list": list(rng_array(seed + 3, c_out))}[bias_kind]
    y = conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=g, bias=b)
    tb = None if b is None else T(np.array(np.broadcast_to(np.asarray(b, float), (c_out,))))
    ref = F.conv2d(T(x)[None], T(w), tb, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=g)[0].numpy()
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_conv2d_plain_input_with_channel_kernel_keeps_channel_axis():
    x = rng_array(0, (5, 5))
    w = rng_array(1, (2, 1, 3, 3))
    y = conv2d(x, w, padding=1)
    assert y.shape == (2, 5, 5)
    np.testing.assert_allclose(y, F.conv2d(T(x)[None, None], T(w), padding=1)[0].numpy())


def test_conv2d_accepts_integer_lists_and_does_not_touch_its_input():
    x = np.arange(16.0).reshape(4, 4)
    keep = x.copy()
    y = conv2d(x, [[1, 0], [0, -1]], stride=2)
    np.testing.assert_array_equal(x, keep)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [[-5.0, -5.0], [-5.0, -5.0]])
    np.testing.assert_array_equal(conv2d(np.arange(9).reshape(3, 3), np.ones((2, 2), int)), [[8, 12], [20, 24]])


# ------------------------------------------------------------------ conv_transpose2d


@SETTINGS
@given(rows=transpose_axis(max_i=5, max_k=4, max_d=3), cols=transpose_axis(max_i=5, max_k=4, max_d=3), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       plain=st.booleans(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_conv_transpose2d_matches_torch(rows, cols, c_in, c_out, plain, seed, data):
    (h, kh, sh, ph, ah, dh), (w_, kw, sw, pw, aw, dw) = rows, cols
    if plain:
        x, w = rng_array(seed, (h, w_)), rng_array(seed + 1, (kh, kw))
        tx, tw = T(x)[None, None], T(w)[None, None]
    else:
        x, w = rng_array(seed, (c_in, h, w_)), rng_array(seed + 1, (c_in, c_out, kh, kw))
        tx, tw = T(x)[None], T(w)
    kwargs = dict(stride=int_or_pair(data.draw, sh, sw), padding=int_or_pair(data.draw, ph, pw),
                  output_padding=int_or_pair(data.draw, ah, aw), dilation=int_or_pair(data.draw, dh, dw))
    y = conv_transpose2d(x, w, **kwargs)
    ref = F.conv_transpose2d(tx, tw, stride=(sh, sw), padding=(ph, pw), output_padding=(ah, aw),
                             dilation=(dh, dw))[0]
    ref = (ref[0] if plain else ref).numpy()
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_worked_example():
    np.testing.assert_array_equal(conv_transpose2d([[1.0, 2.0]], [[1.0, 1.0]], stride=2), [[1.0, 1.0, 2.0, 2.0]])


# ------------------------------------------------------------------ pooling


@SETTINGS
@given(rows=wide_pool_axis, cols=wide_pool_axis, channels=st.sampled_from([None, 1, 3]), default_stride=st.booleans(),
       ceil_mode=st.booleans(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_max_pool2d_matches_torch(rows, cols, channels, default_stride, ceil_mode, seed, data):
    (h, kh, sh, ph), (w_, kw, sw, pw) = rows, cols
    if default_stride:
        sh, sw = kh, kw
    x = rng_array(seed, (h, w_) if channels is None else (channels, h, w_))
    stride = None if default_stride else int_or_pair(data.draw, sh, sw)
    y = max_pool2d(x, int_or_pair(data.draw, kh, kw), stride=stride, padding=int_or_pair(data.draw, ph, pw),
                   ceil_mode=ceil_mode)
    tx = T(x)[None] if channels is None else T(x)
    ref = F.max_pool2d(tx[None], (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil_mode)[0]
    ref = (ref[0] if channels is None else ref).numpy()
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, ref)


@SETTINGS
@given(rows=wide_pool_axis, cols=wide_pool_axis, channels=st.sampled_from([None, 2]), default_stride=st.booleans(),
       ceil_mode=st.booleans(), count_include_pad=st.booleans(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_avg_pool2d_matches_torch(rows, cols, channels, default_stride, ceil_mode, count_include_pad, seed, data):
    (h, kh, sh, ph), (w_, kw, sw, pw) = rows, cols
    if default_stride:
        sh, sw = kh, kw
    x = rng_array(seed, (h, w_) if channels is None else (channels, h, w_))
    stride = None if default_stride else int_or_pair(data.draw, sh, sw)
    y = avg_pool2d(x, int_or_pair(data.draw, kh, kw), stride=stride, padding=int_or_pair(data.draw, ph, pw),
                   ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    tx = T(x)[None] if channels is None else T(x)
    ref = F.avg_pool2d(tx[None], (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil_mode,
                       count_include_pad=count_include_pad)[0]
    ref = (ref[0] if channels is None else ref).numpy()
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def test_pool_worked_examples():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(max_pool2d(x, 2), [[5.0, 7.0], [13.0, 15.0]])
    np.testing.assert_array_equal(avg_pool2d(x, 2), [[2.5, 4.5], [10.5, 12.5]])
    # a corner window with padding: 4 of its 9 cells are real; count_include_pad divides by 9 or by 4
    assert avg_pool2d(np.ones((3, 3)), 3, stride=2, padding=1)[0, 0] == pytest.approx(4 / 9)
    assert avg_pool2d(np.ones((3, 3)), 3, stride=2, padding=1, count_include_pad=False)[0, 0] == 1.0


# ------------------------------------------------------------------ errors
ERRORS = {
    "kernel larger than input": (lambda: conv2d(np.ones((3, 3)), np.ones((4, 4))),
                                 r"kernel \(size 4.*larger than the padded input \(n \+ 2p = 3"),
    "dilated kernel larger": (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), dilation=3),
                              r"dilation 3, effective size 7\) is larger than the padded input"),
    "conv1d kernel larger": (lambda: conv1d([1.0, 2.0], [1.0, 1.0, 1.0]), r"larger than the padded input"),
    "stride 0": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), stride=0), r"stride must be an integer >= 1; got 0"),
    "stride pair 0": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), stride=(1, 0)),
                      r"stride\[1\] must be an integer >= 1; got 0"),
    "stride 3-tuple": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), stride=(1, 1, 1)),
                       r"stride must be an int or a pair of ints; got \(1, 1, 1\)"),
    "stride fraction": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), stride=1.5),
                        r"stride must be an integer >= 1; got 1\.5"),
    "stride bool": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), stride=True),
                    r"stride must be an integer >= 1; got True"),
    "conv1d stride 0": (lambda: conv1d([1.0, 2.0, 3.0], [1.0], stride=0), r"stride must be an integer >= 1; got 0"),
    "conv1d stride tuple": (lambda: conv1d([1.0, 2.0, 3.0], [1.0], stride=(1, 2)),
                            r"stride of conv1d must be a single integer; got \(1, 2\)"),
    "dilation 0": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), dilation=0),
                   r"dilation must be an integer >= 1; got 0"),
    "conv1d dilation 0": (lambda: conv1d([1.0, 2.0, 3.0], [1.0], dilation=0), r"dilation must be an integer >= 1"),
    "negative padding": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), padding=-1),
                         r"padding must be an integer >= 0; got -1"),
    "conv1d negative padding": (lambda: conv1d([1.0, 2.0], [1.0], padding=-2), r"padding must be an integer >= 0"),
    "transposed negative padding": (lambda: conv_transpose2d(np.ones((2, 2)), np.ones((2, 2)), padding=-1),
                                    r"padding must be an integer >= 0; got -1"),
    "output_padding >= stride": (lambda: conv_transpose2d(np.ones((2, 2)), np.ones((3, 3)), stride=2,
                                                          output_padding=2),
                                 r"output_padding must be smaller than stride or dilation \(here < 2\); got 2"),
    "output_padding with unit stride": (lambda: conv_transpose2d(np.ones((2, 2)), np.ones((3, 3)),
                                                                 output_padding=(0, 1)),
                                        r"output_padding must be smaller.*\(here < 1\); got 1"),
    "transposed output empty": (lambda: conv_transpose2d(np.ones((2, 2)), np.ones((3, 3)), padding=3),
                                r"output would be -2 long"),
    "channel mismatch": (lambda: conv2d(np.ones((3, 5, 5)), np.ones((2, 2, 3, 3))),
                         r"kernel w has 2 input channels but input x has 3 channels"),
    "conv1d channel mismatch": (lambda: conv1d(np.ones((2, 5)), np.ones((1, 3, 3))),
                                r"kernel w has 3 input channels but input x has 2 channels"),
    "transposed channel mismatch": (lambda: conv_transpose2d(np.ones((3, 4, 4)), np.ones((2, 1, 3, 3))),
                                    r"C_in is 2 but input x has 3 channels"),
    "groups not dividing": (lambda: conv2d(np.ones((3, 5, 5)), np.ones((2, 1, 3, 3)), groups=3),
                            r"groups=3 must divide both the input channels \(3\) and the output channels \(2\)"),
    "groups 0": (lambda: conv2d(np.ones((3, 5, 5)), np.ones((3, 1, 3, 3)), groups=0),
                 r"groups must be an integer >= 1; got 0"),
    "groups wrong kernel channels": (lambda: conv2d(np.ones((4, 5, 5)), np.ones((2, 4, 3, 3)), groups=2),
                                     r"w must have shape \(C_out, 2, kh, kw\)"),
    "bias wrong length": (lambda: conv2d(np.ones((1, 5, 5)), np.ones((2, 1, 3, 3)), bias=[1.0, 2.0, 3.0]),
                          r"bias must be a number or have one value per output channel \(2\); got 3 values"),
    "conv1d bias wrong length": (lambda: conv1d(np.ones((1, 5)), np.ones((2, 1, 3)), bias=[1.0, 2.0, 3.0]),
                                 r"one value per output channel \(2\); got 3"),
    "bias NaN": (lambda: conv2d(np.ones((3, 3)), np.ones((2, 2)), bias=float("nan")), r"bias must contain only finite"),
    "x 1-D for conv2d": (lambda: conv2d(np.ones(5), np.ones((2, 2))),
                         r"input x must have shape \(H, W\) or \(C_in, H, W\); got shape \(5,\)"),
    "x 4-D for conv2d": (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((2, 2))), r"input x must have shape.*\(1, 1, 5, 5\)"),
    "w 3-D for conv2d": (lambda: conv2d(np.ones((5, 5)), np.ones((1, 2, 2))),
                         r"kernel w must have shape \(kh, kw\) or \(C_out, C_in/groups, kh, kw\); got shape \(1, 2, 2\)"),
    "x 3-D for conv1d": (lambda: conv1d(np.ones((1, 1, 5)), np.ones(2)), r"input x must have shape \(L,\) or \(C_in, L\)"),
    "w 2-D for conv1d": (lambda: conv1d(np.ones(5), np.ones((1, 2))), r"kernel w must have shape \(k,\) or \(C_out, C_in, k\)"),
    "x 1-D for pooling": (lambda: max_pool2d(np.ones(4), 2), r"input x must have shape \(H, W\) or \(C, H, W\)"),
    "x 1-D for transposed": (lambda: conv_transpose2d(np.ones(4), np.ones((2, 2))), r"input x must have shape"),
    "string input": (lambda: conv2d("abc", np.ones((2, 2))), r"input x must be a numeric array; got dtype <U3"),
    "string kernel": (lambda: conv1d([1.0, 2.0], "ab"), r"kernel w must be a numeric array"),
    "ragged input": (lambda: conv2d([[1.0, 2.0], [3.0]], np.ones((1, 1))), r"input x must be a numeric array; got list"),
    "None input": (lambda: conv1d(None, [1.0]), r"input x must be a numeric array; got dtype object"),
    "None pooling input": (lambda: avg_pool2d(None, 2), r"input x must be a numeric array"),
    "mixed input": (lambda: conv1d([1.0, "a", 3.0], [1.0]), r"input x must be a numeric array"),
    "complex input": (lambda: conv1d(np.ones(3) * 1j, [1.0]), r"input x must be real-valued"),
    "empty input": (lambda: conv2d(np.ones((0, 3)), np.ones((1, 1))), r"input x must not be empty"),
    "NaN input": (lambda: conv2d([[1.0, float("nan")], [0.0, 1.0]], np.ones((1, 1))),
                  r"input x must contain only finite numbers; it contains NaN or infinity"),
    "inf kernel": (lambda: conv1d([1.0, 2.0], [float("inf")]), r"kernel w must contain only finite numbers"),
    "-inf pooling input": (lambda: max_pool2d([[1.0, -np.inf], [0.0, 1.0]], 2), r"input x must contain only finite"),
    "NaN transposed input": (lambda: conv_transpose2d([[np.nan]], [[1.0]]), r"only finite numbers"),
    "pool padding > k/2": (lambda: max_pool2d(np.ones((6, 6)), 3, padding=2),
                           r"padding must be at most half the pooling window \(1 for size 3\); got 2"),
    "avg pool padding > k/2": (lambda: avg_pool2d(np.ones((6, 6)), (4, 2), padding=(2, 2)),
                               r"padding must be at most half the pooling window \(1 for size 2\); got 2"),
    "pool window larger": (lambda: max_pool2d(np.ones((2, 5)), 3), r"pooling window 3 is larger than the padded input"),
    "pool stride 0": (lambda: avg_pool2d(np.ones((4, 4)), 2, stride=0), r"stride must be an integer >= 1; got 0"),
    "pool kernel 0": (lambda: max_pool2d(np.ones((4, 4)), 0), r"kernel_size must be an integer >= 1; got 0"),
    "pool negative padding": (lambda: max_pool2d(np.ones((4, 4)), 2, padding=-1), r"padding must be an integer >= 0"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_are_value_errors_naming_the_problem(name):
    call, pattern = ERRORS[name]
    with pytest.raises(ValueError, match=pattern):
        call()


def test_errors_are_not_torch_errors():
    """A mistake is reported before torch runs: a ValueError, never torch's RuntimeError."""
    for call, _ in ERRORS.values():
        try:
            call()
        except ValueError:
            pass
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{type(exc).__name__}: {exc}")
