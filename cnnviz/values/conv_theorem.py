"""Values of the ``conv_theorem`` scene: convolution in space is multiplication in frequency.

The shipped photo (grey, ``size`` x ``size``, in [0, 1], loaded as in ``image_filters``) and a blur kernel are
transformed with numpy's FFT (float64), multiplied element-wise and transformed back; the result is compared
with the direct convolution computed by torch (:func:`cnnviz.ops.conv2d`) on the photo padded periodically
(the FFT's product is a *circular* convolution). Zero-padding both to N = n + c − 1 turns it into the linear
convolution, compared with ``conv2d(..., padding=c − 1)``. The blur's frequency response H = F(W) is a
low-pass filter, the Laplacian's a high-pass one.

Every kernel offered is symmetric under a 180° turn (rot(W) = W), so the cross-correlation that the course's
⊗ and torch compute is also the convolution of the theorem; :func:`compute` checks it.
"""

from __future__ import annotations

import numpy as np

from ..config import ConvTheoremParams
from ..ops import conv2d
from . import SceneValues, fmt
from .image_filters import load_photo

__all__ = ["KERNELS", "HIGH_FREQUENCY", "compute", "frequency_response", "sci"]

#: name: English and Chinese names, the kernel's integer weights, the factor they are divided by
KERNELS = {
    "box3": ("3×3 box blur", "3×3 均值模糊", np.ones((3, 3)), 9),
    "box5": ("5×5 box blur", "5×5 均值模糊", np.ones((5, 5)), 25),
    "gaussian5": ("5×5 Gaussian blur", "5×5 高斯模糊", np.outer([1.0, 4, 6, 4, 1], [1.0, 4, 6, 4, 1]), 256),
    "laplacian4": ("Laplacian", "拉普拉斯算子", np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]), 1),
    "laplacian8": ("8-neighbour Laplacian", "8 邻域拉普拉斯算子", np.array([[1.0, 1, 1], [1, -8, 1], [1, 1, 1]]), 1),
}
#: frequencies above this (cycles per pixel; the highest is 0.5) count as high
HIGH_FREQUENCY = 0.25


def sci(value: float) -> str:
    """A tiny difference as it is written on screen: ``4.4e-16`` (``0`` when exactly zero)."""
    return "0" if value == 0 else f"{value:.1e}"


def centred(w: np.ndarray, n: int) -> np.ndarray:
    """``w`` on an ``n`` x ``n`` grid with its centre weight at (0, 0), the rest wrapped around the edges: the
    placement whose FFT product gives the output centred on each pixel (as padding c // 2 does)."""
    r = w.shape[0] // 2
    out = np.zeros((n, n))
    idx = (np.arange(w.shape[0]) - r) % n
    out[np.ix_(idx, idx)] = w
    return out


def frequency_response(w: np.ndarray, n: int) -> np.ndarray:
    """H = F(W) on the ``n`` x ``n`` frequency grid (numpy's order: H[0, 0] is the zero frequency). Real for
    the symmetric kernels here; the imaginary part left is float noise, checked in :func:`compute`."""
    return np.fft.fft2(centred(w, n))


def _radius(n: int) -> np.ndarray:
    f = np.fft.fftfreq(n)  # cycles per pixel, from -0.5 to 0.5
    return np.hypot(f[:, None], f[None, :])


def _log_magnitude(spectrum: np.ndarray) -> np.ndarray:
    """log(1 + |·|), zero frequency moved to the centre: how the spectra are drawn (their range is huge)."""
    return np.fft.fftshift(np.log1p(np.abs(spectrum)))


def _grey(z: np.ndarray) -> np.ndarray:
    """8-bit grey for the screen, on the photo's scale [0, 1] (the blur keeps it)."""
    return np.clip(np.round(z * 255.0), 0, 255).astype(np.uint8)


def _filter(x: np.ndarray, w: np.ndarray) -> dict:
    """One kernel through the FFT, against torch's direct circular convolution."""
    n, r = x.shape[0], w.shape[0] // 2
    h = frequency_response(w, n)
    via_fft = np.fft.ifft2(np.fft.fft2(x) * h)
    direct = conv2d(np.pad(x, r, mode="wrap"), w)  # torch: the photo padded periodically, as the FFT sees it
    radius = _radius(n)
    magnitude = np.abs(h)
    return {"response": h.real, "response_imag_max": float(np.max(np.abs(h.imag))),
            "magnitude": np.fft.fftshift(magnitude), "fft_output": via_fft.real,
            "fft_imag_max": float(np.max(np.abs(via_fft.imag))), "direct_output": direct,
            "max_abs_diff": float(np.max(np.abs(via_fft.real - direct))),
            "dc": float(h[0, 0].real), "mean_low": float(magnitude[radius <= HIGH_FREQUENCY].mean()),
            "mean_high": float(magnitude[radius > HIGH_FREQUENCY].mean())}


def compute(p: ConvTheoremParams) -> SceneValues:
    x = load_photo(p)
    n = x.shape[0]
    arrays: dict = {"image": x, "image_display": np.round(x * 255.0).astype(np.uint8)}
    spectrum = np.fft.fft2(x)
    arrays["image_spectrum_log"] = _log_magnitude(spectrum)
    data: dict = {"size_text": f"{n}×{n}", "high_frequency": HIGH_FREQUENCY}
    for role, name in (("blur", p.blur), ("edge", p.edge)):
        en, zh, ints, factor = KERNELS[name]
        w = ints / factor
        if not np.array_equal(w, w[::-1, ::-1]):  # the theorem below is about convolution: rot(W) must be W
            raise ValueError(f"{role} kernel {name!r} is not symmetric under rot; the FFT product would be "
                             f"the convolution with rot(W), not A ⊗ W")
        f = _filter(x, w)
        arrays.update({f"{role}_kernel": w, f"{role}_kernel_shown": ints, f"{role}_factor": factor,
                       **{f"{role}_{k}": v for k, v in f.items()}})
        data[role] = {"name": (en, zh), "factor_text": f"× 1/{factor}" if factor != 1 else "",
                      "dc_text": fmt(f["dc"]), "low_text": fmt(f["mean_low"]), "high_text": fmt(f["mean_high"]),
                      "diff_text": sci(f["max_abs_diff"]), "size": ints.shape[0]}
    blur = arrays["blur_kernel"]
    c, r = blur.shape[0], blur.shape[0] // 2
    # the product drawn on the photo spectrum's scale, so that what the blur removes shows as darkness
    product = spectrum * frequency_response(blur, n)
    arrays["product_log"] = _log_magnitude(product)
    # full colour at the 99.5th percentile: the zero frequency alone (the photo's mean) would dim all the rest
    arrays["spectrum_log_high"] = float(np.percentile(arrays["image_spectrum_log"], 99.5))
    arrays["edge_output_limit"] = float(np.percentile(np.abs(arrays["edge_fft_output"]), 99)) or 1.0
    # circular against linear: the same-size linear convolution (zeros around the photo, padding c // 2)
    linear_same = conv2d(x, blur, padding=r)
    wrap = arrays["blur_fft_output"] - linear_same
    rows, cols = np.nonzero(np.abs(wrap) > 1e-12)
    band = int(np.max(np.minimum.reduce([rows, cols, n - 1 - rows, n - 1 - cols])) + 1) if rows.size else 0
    # zero-padding both to N = n + c - 1: the FFT's circular convolution is then the whole linear one
    big = n + c - 1
    x_pad, w_pad = np.zeros((big, big)), np.zeros((big, big))
    x_pad[:n, :n], w_pad[:c, :c] = x, blur
    padded = np.fft.ifft2(np.fft.fft2(x_pad) * np.fft.fft2(w_pad))
    linear_full = conv2d(x, blur, padding=c - 1)  # torch: the direct linear ("full") convolution
    corner = min(n, 4 * r + 4)  # the top-left corner the scene magnifies: the band and as much again inside
    arrays.update({"linear_same": linear_same, "wrap_difference": wrap, "wrap_band": band,
                   "wrap_corner": wrap[:corner, :corner], "wrap_corner_size": corner,
                   "wrap_max_abs": float(np.max(np.abs(wrap))), "padded_size": big, "padded_image": x_pad,
                   "padded_fft_output": padded.real, "padded_fft_imag_max": float(np.max(np.abs(padded.imag))),
                   "linear_full": linear_full,
                   "padded_max_abs_diff": float(np.max(np.abs(padded.real - linear_full))),
                   "padded_fft_output_display": _grey(padded.real)})
    for name in ("blur_fft_output", "blur_direct_output", "linear_same", "padded_image", "linear_full"):
        arrays[f"{name}_display"] = _grey(arrays[name])
    data.update({"band": band, "radius": r, "padded_text": f"{big}×{big}", "padded_sum": f"N = {n} + {c} − 1 = {big}",
                 "n": n, "c": c, "full_padding": c - 1,
                 "padded_diff_text": sci(arrays["padded_max_abs_diff"]),
                 "wrap_text": fmt(arrays["wrap_max_abs"])})
    return SceneValues(arrays, data)
