"""Shared by the MNIST scenes' values: one real test digit through the trained model, and arrays turned
into 8-bit RGB pictures for the screen (the scenes only place the pictures).

Colour maps, the same in both themes (a picture carries its own colours):

* signed (kernels, error terms δ): 0 is near-black, positive values warm (red), negative cool (blue),
  full colour at ``±scale``;
* unsigned (images, activations ≥ 0): black at 0 to white at ``scale``.
"""

from __future__ import annotations

import math

import numpy as np

from ..config import MnistParams

__all__ = ["ZERO_RGB", "crop", "load_digit", "scale_exponent", "signed_rgb", "unsigned_rgb"]

ZERO_RGB = np.array([24.0, 24.0, 28.0])
POS_RGB = np.array([252.0, 98.0, 85.0])  # warm
NEG_RGB = np.array([88.0, 196.0, 221.0])  # cool


def load_digit(p: MnistParams):
    """(model, images, labels) for the scene: the trained checkpoint's model and the MNIST test split."""
    from ..mnist.data import load_mnist
    from .mnist_model import load_trained

    images, labels = load_mnist("test")
    if not 0 <= p.index < len(images):
        raise ValueError(f"index must be in 0..{len(images) - 1} (a test digit); got {p.index}")
    return load_trained(p).model, images, labels


def signed_rgb(a: np.ndarray, scale: float | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8: 0 → near-black, +scale → warm, −scale → cool (clipped beyond)."""
    a = np.asarray(a, float)
    s = float(scale if scale is not None else np.max(np.abs(a))) or 1.0
    t = np.clip(a / s, -1.0, 1.0)[..., None]
    rgb = ZERO_RGB + np.where(t >= 0, t * (POS_RGB - ZERO_RGB), -t * (NEG_RGB - ZERO_RGB))
    return np.round(rgb).astype(np.uint8)


def unsigned_rgb(a: np.ndarray, scale: float | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8 grey: 0 → black, ``scale`` (default the maximum) → white."""
    a = np.asarray(a, float)
    s = float(scale if scale is not None else np.max(a)) or 1.0
    g = np.round(255.0 * np.clip(a / s, 0.0, 1.0)).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def scale_exponent(a: np.ndarray) -> int:
    """k ≥ 0 such that the largest |value| × 10^k lies in [1, 10) (0 when it is already ≥ 1 or all are 0):
    small error terms are written as one-decimal numbers "× 10^-k", legible in a small cell."""
    m = float(np.max(np.abs(a))) if np.size(a) else 0.0
    return 0 if m == 0.0 or m >= 1.0 else int(-math.floor(math.log10(m)))


def crop(a: np.ndarray, center: tuple[int, int], size: int, *, align: int = 1) -> tuple[int, int]:
    """Top-left (row, col) of a ``size``×``size`` window of 2-D ``a`` around ``center``, inside ``a``,
    its corner a multiple of ``align`` (2 keeps a window on whole pooling blocks)."""
    h, w = a.shape
    r = min(max(center[0] - size // 2, 0), h - size)
    c = min(max(center[1] - size // 2, 0), w - size)
    return r - r % align, c - c % align
