"""Shared by the MNIST scenes' values: one real test digit through the trained model, and arrays turned
into 8-bit RGB pictures for the screen (the scenes only place the pictures).

Colour maps, the same in both themes (a picture carries its own colours):

* signed (kernels, error terms δ): 0 is near-black, positive values warm (red), negative cool (blue),
  full colour at ``±scale``;
* unsigned (images, activations ≥ 0): black at 0 to white at ``scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import MnistParams

__all__ = ["ZERO_RGB", "DigitInput", "crop", "digit_input", "load_digit", "scale_exponent", "signed_rgb",
           "unsigned_rgb"]

ZERO_RGB = np.array([24.0, 24.0, 28.0])
POS_RGB = np.array([252.0, 98.0, 85.0])  # warm
NEG_RGB = np.array([88.0, 196.0, 221.0])  # cool


def load_digit(p: MnistParams):
    """(model, images, labels) for the scene: the trained checkpoint's model and the test split it was tested
    on: MNIST's (uint8), or that of the lecture's own ``data`` (float in [0, 1], :func:`cnnviz.own_data.load_data`'s
    seeded split; one-channel pictures, which these scenes draw)."""
    from ..mnist.data import load_mnist
    from .mnist_model import load_trained

    if getattr(p, "data", None) is not None:
        from ..own_data import load_data

        own = load_data(p.data)
        if own.info.shape[0] != 1:
            raise ValueError(f"data {p.data!r}: its pictures have {own.info.shape[0]} channels; the digit these "
                             "scenes send through the network is drawn as one greyscale picture (1 channel)")
        images, labels = own.x_test[:, 0].astype(np.float64), own.y_test
    else:
        images, labels = load_mnist("test")
    if not 0 <= p.index < len(images):
        raise ValueError(f"index must be in 0..{len(images) - 1} (a test digit); got {p.index}")
    return load_trained(p).model, images, labels


#: the longest side of the original picture as drawn in the opening (display only: the numbers use all pixels)
SHOWN_SIDE = 480


@dataclass(frozen=True)
class DigitInput:
    """The digit a scene sends through the network: test digit ``index`` or the teacher's own picture.

    ``image`` is what the network sees (uint8 for a test digit, float64 in [0, 1] for a prepared picture);
    ``label`` is ``None`` for an own digit whose class the config does not give. ``opening`` is what the
    before/after opening draws and ``record`` the preprocessing numbers for the JSON.
    """

    model: Any
    image: np.ndarray
    label: int | None
    index: int | None
    name: str | None  # the picture's file name, for an own digit
    opening: dict[str, Any] | None  # None for a sample of the lecture's own data (no MNIST preparation to show)
    record: dict[str, Any]

    @property
    def own(self) -> bool:
        return self.index is None


def digit_input(p: MnistParams) -> DigitInput:
    """The trained model and the digit of ``p``: ``input_image`` prepared as MNIST's were
    (:func:`cnnviz.mnist.digit.digit_steps`), else test digit ``index`` with its MNIST label. Either way the
    opening gets the 28×28's ink box and centre of mass (MNIST did that preparation for a test digit)."""
    from ..mnist.digit import centre_of_mass, digit_steps, ink_box

    path = p.input_image_path()
    if path is None:
        model, images, labels = load_digit(p)
        image = images[p.index]
        seen = image / 255.0 if image.dtype == np.uint8 else image
        box = ink_box(seen)
        com = centre_of_mass(seen)
        opening = {"own": False, "original_rgb": None, "prepared_rgb": unsigned_rgb(seen, 1.0),
                   "box": box, "centre_of_mass": com}
        record = {"source": "mnist_test", "index": p.index, "ink_box": list(box), "centre_of_mass": list(com)}
        if getattr(p, "data", None) is not None:  # a sample of the lecture's own data: MNIST did not prepare it
            opening = None
            record = {"source": "data_test", "data": str(p.data), "index": p.index}
        return DigitInput(model, image, int(labels[p.index]), p.index, None, opening, record)
    from PIL import Image

    from .mnist_model import load_trained

    steps = digit_steps(path)
    grey = np.round(255.0 * steps.original).astype(np.uint8)
    h, w = grey.shape
    if max(h, w) > SHOWN_SIDE:  # a smaller copy to draw; the box is drawn as a fraction of the picture
        f = SHOWN_SIDE / max(h, w)
        grey = np.asarray(Image.fromarray(grey).resize((max(1, round(w * f)), max(1, round(h * f))),
                                                       Image.Resampling.BOX))
    t, l, b, r = steps.bbox
    fitted = (steps.offset[0], steps.offset[1], steps.offset[0] + steps.fitted.shape[0],
              steps.offset[1] + steps.fitted.shape[1])
    opening = {"own": True, "original_rgb": np.repeat(grey[..., None], 3, axis=2),
               "original_box": (t / h, l / w, b / h, r / w), "size": steps.size,
               "prepared_rgb": unsigned_rgb(steps.image, 1.0), "box": fitted,
               "centre_of_mass": steps.centre_of_mass, "scale": steps.scale, "inverted": steps.inverted}
    record = {"source": "input_image", "input_image": str(path), **steps.summary()}
    return DigitInput(load_trained(p).model, steps.image, p.label, None, Path(path).name, opening, record)


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
