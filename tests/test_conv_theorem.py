"""conv_theorem: the numbers the scene shows (its JSON arrays) equal numpy's FFT and torch's direct convolution
in float64; the FFT's product is the circular convolution, zero padding makes it the linear one; the blur's
response is low-pass and the Laplacian's high-pass. Checked on the lecture's defaults and on a config the
defaults do not use (another picture, another size, the other kernels)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz.config import SCENE_PARAMS, parse_config
from cnnviz.values import scene_json, scene_values
from cnnviz.values.conv_theorem import HIGH_FREQUENCY, KERNELS


def arrays(params):
    return scene_json("conv_theorem", params, scene_values("conv_theorem", params))["arrays"]


@pytest.fixture(scope="module")
def custom(tmp_path_factory):
    """A picture the defaults never see (stripes and a bright square, 90x70: cropped to its centre), at size 40,
    with the Gaussian blur and the 8-neighbour Laplacian."""
    folder = tmp_path_factory.mktemp("conv_theorem")
    yy, xx = np.mgrid[:70, :90]
    pixels = (127 + 100 * np.sin(xx / 3.0)) * (yy < 35) + 250 * ((yy >= 35) & (xx > 40) & (xx < 60))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / "stripes.png")
    cfg = parse_config({"scenes": [{"scene": "conv_theorem", "image": str(folder / "stripes.png"), "size": 40,
                                    "blur": "gaussian5", "edge": "laplacian8"}]})
    return cfg.entry("conv_theorem").params


@pytest.fixture(scope="module", params=["default", "custom"])
def case(request, custom):
    params = SCENE_PARAMS["conv_theorem"]() if request.param == "default" else custom
    return params, arrays(params)


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def circular_torch(x, w):
    r = len(w) // 2
    return F.conv2d(F.pad(t(x)[None, None], (r, r, r, r), mode="circular"), t(w)[None, None])[0, 0].numpy()


def test_the_custom_config_is_not_the_default(custom):
    default = SCENE_PARAMS["conv_theorem"]()
    assert (custom.size, custom.blur, custom.edge) != (default.size, default.blur, default.edge)
    assert custom.image != default.image


def test_the_photo_is_grey_square_and_in_0_1(case):
    p, a = case
    x = np.array(a["image"])
    assert x.shape == (p.size, p.size) and x.min() >= 0 and x.max() <= 1 and x.std() > 0.05
    np.testing.assert_array_equal(a["image_display"], np.round(x * 255))


@pytest.mark.parametrize("role", ["blur", "edge"])
def test_fft_product_transformed_back_equals_torchs_circular_convolution(case, role):
    p, a = case
    x, w = np.array(a["image"]), np.array(a[f"{role}_kernel"])
    ints, factor = KERNELS[p.blur if role == "blur" else p.edge][2:]
    np.testing.assert_allclose(w, ints / factor)
    np.testing.assert_array_equal(w, w[::-1, ::-1])  # rot(W) = W: cross-correlation is the convolution
    direct = circular_torch(x, w)
    np.testing.assert_allclose(a[f"{role}_direct_output"], direct, rtol=0, atol=1e-12)
    # numpy's FFT on its own: the kernel padded at the top left, then rolled so that its centre is at (0, 0)
    n, r = len(x), len(w) // 2
    kernel = np.zeros((n, n))
    kernel[:len(w), :len(w)] = w
    h = np.fft.fft2(np.roll(kernel, (-r, -r), axis=(0, 1)))
    via_fft = np.fft.ifft2(np.fft.fft2(x) * h)
    np.testing.assert_allclose(a[f"{role}_fft_output"], via_fft.real, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a[f"{role}_response"], h.real, rtol=0, atol=1e-12)
    assert a[f"{role}_response_imag_max"] < 1e-12 and np.max(np.abs(h.imag)) < 1e-12  # symmetric: H is real
    np.testing.assert_allclose(a[f"{role}_magnitude"], np.fft.fftshift(np.abs(h)), rtol=0, atol=1e-12)
    # equal to float precision, and the JSON says by how much
    diff = np.max(np.abs(np.array(a[f"{role}_fft_output"]) - direct))
    assert diff < 1e-12
    assert a[f"{role}_max_abs_diff"] == pytest.approx(diff, abs=1e-15)


def test_the_product_drawn_is_the_spectra_multiplied(case):
    p, a = case
    x, w = np.array(a["image"]), np.array(a["blur_kernel"])
    spectrum = np.fft.fft2(x)
    np.testing.assert_allclose(a["image_spectrum_log"], np.fft.fftshift(np.log1p(np.abs(spectrum))), atol=1e-12)
    product = spectrum * np.array(a["blur_response"])
    np.testing.assert_allclose(a["product_log"], np.fft.fftshift(np.log1p(np.abs(product))), atol=1e-12)


def test_circular_differs_from_linear_only_near_the_border(case):
    p, a = case
    x, w = np.array(a["image"]), np.array(a["blur_kernel"])
    n, r = len(x), len(w) // 2
    same = F.conv2d(t(x)[None, None], t(w)[None, None], padding=r)[0, 0].numpy()
    np.testing.assert_allclose(a["linear_same"], same, rtol=0, atol=1e-12)
    wrap = np.array(a["blur_fft_output"]) - same
    np.testing.assert_allclose(a["wrap_difference"], wrap, rtol=0, atol=1e-12)
    assert np.max(np.abs(wrap[r:n - r, r:n - r])) < 1e-12  # inside, no window reaches past the edge
    assert a["wrap_max_abs"] == pytest.approx(np.max(np.abs(wrap))) and a["wrap_max_abs"] > 1e-3
    assert a["wrap_band"] == r  # the wrapped pixels are exactly the r rows and columns at each edge
    k = a["wrap_corner_size"]
    np.testing.assert_array_equal(a["wrap_corner"], np.array(a["wrap_difference"])[:k, :k])
    assert r < k <= n  # the magnified corner holds the band and some of the inside


def test_zero_padding_to_n_plus_c_minus_1_gives_the_linear_convolution(case):
    p, a = case
    x, w = np.array(a["image"]), np.array(a["blur_kernel"])
    n, c = len(x), len(w)
    assert a["padded_size"] == n + c - 1
    full = F.conv2d(t(x)[None, None], t(w)[None, None], padding=c - 1)[0, 0].numpy()
    np.testing.assert_allclose(a["linear_full"], full, rtol=0, atol=1e-12)
    padded = np.zeros((n + c - 1,) * 2)
    padded[:n, :n] = x
    np.testing.assert_array_equal(a["padded_image"], padded)
    np.testing.assert_allclose(a["padded_fft_output"], full, rtol=0, atol=1e-12)
    diff = np.max(np.abs(np.array(a["padded_fft_output"]) - full))
    assert a["padded_max_abs_diff"] == pytest.approx(diff, abs=1e-15) and a["padded_max_abs_diff"] < 1e-12
    # without the padding the FFT's result is not the linear one: the wrap-around is real
    assert np.max(np.abs(np.array(a["blur_fft_output"]) - full[c // 2:c // 2 + n, c // 2:c // 2 + n])) > 1e-3


def _means(magnitude):
    n = len(magnitude)
    f = np.fft.fftshift(np.fft.fftfreq(n))
    radius = np.hypot(f[:, None], f[None, :])
    m = np.asarray(magnitude)
    return m[radius <= HIGH_FREQUENCY].mean(), m[radius > HIGH_FREQUENCY].mean()


def test_the_blur_is_low_pass_and_the_laplacian_high_pass(case):
    p, a = case
    n = len(a["image"])
    blur, edge = np.array(a["blur_magnitude"]), np.array(a["edge_magnitude"])
    # the blur: its weights sum to 1, so the zero frequency (the centre once shifted) passes whole, and it is
    # the largest response; high frequencies are damped
    assert a["blur_dc"] == pytest.approx(1.0) and blur[n // 2, n // 2] == pytest.approx(1.0)
    assert blur.max() == pytest.approx(blur[n // 2, n // 2])
    low, high = _means(blur)
    assert (a["blur_mean_low"], a["blur_mean_high"]) == (pytest.approx(low), pytest.approx(high))
    assert high < 0.5 * low
    # the Laplacian: its weights sum to 0, so flat regions give 0; the response grows towards high frequencies
    assert a["edge_dc"] == pytest.approx(0.0, abs=1e-12) and edge[n // 2, n // 2] == pytest.approx(0.0, abs=1e-12)
    low, high = _means(edge)
    assert (a["edge_mean_low"], a["edge_mean_high"]) == (pytest.approx(low), pytest.approx(high))
    assert high > 2 * low
    # what each keeps: the blur's output has less energy at high frequencies than the photo, the edge one more
    x = np.array(a["image"])

    def high_share(img):
        power = np.fft.fftshift(np.abs(np.fft.fft2(img)) ** 2)
        f = np.fft.fftshift(np.fft.fftfreq(n))
        return power[np.hypot(f[:, None], f[None, :]) > HIGH_FREQUENCY].sum() / power.sum()

    assert high_share(a["blur_fft_output"]) < high_share(x) < high_share(a["edge_fft_output"])


def test_every_kernel_offered_is_symmetric_under_rot():
    for name, (_, _, ints, factor) in KERNELS.items():
        assert np.array_equal(ints, ints[::-1, ::-1]), name
        assert ints.shape[0] % 2 == 1 and factor > 0
    fields = SCENE_PARAMS["conv_theorem"].model_fields
    offered = set(fields["blur"].annotation.__args__) | set(fields["edge"].annotation.__args__)
    assert offered == set(KERNELS)


def test_the_displays_are_the_arrays_in_8_bit_grey(case):
    p, a = case
    for name in ("blur_fft_output", "blur_direct_output", "linear_same", "padded_image", "linear_full"):
        want = np.clip(np.round(np.array(a[name]) * 255), 0, 255)
        np.testing.assert_array_equal(a[f"{name}_display"], want)
