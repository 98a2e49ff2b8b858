"""A picture of a handwritten digit, prepared as MNIST's digits were, for the MNIST scenes' ``input_image:``.

MNIST's digits (LeCun et al.) were written on paper, scanned, their ink's bounding box scaled to fit a 20×20
box keeping the aspect ratio (with anti-aliasing, hence grey levels), then placed in a 28×28 field so that
the ink's centre of mass is at the field's centre. The steps here are the same, on any picture:

1. greyscale in [0, 1] (a picture with transparency is laid on white paper first);
2. ink bright: the background is the median of the picture's border; on a light background the picture is
   inverted; then background → 0 and the brightest ink → 1 (values below the background clip to 0);
3. the bounding box of the ink (values above :data:`INK_LEVEL`);
4. that box resized so that its longer side is 20 pixels by area averaging (each new pixel the mean of the
   part of the box it covers: anti-aliasing when shrinking);
5. placed in 28×28 by a whole-pixel shift that puts its centre of mass nearest the field's centre.

Coordinates: row and column of a pixel's centre are ``i + 0.5`` (the field spans 0 … 28, its centre is
(14, 14)). Only numpy and Pillow are used (no scipy).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["BOX", "FIELD", "INK_LEVEL", "MIN_CONTRAST", "DigitSteps", "area_resize", "centre_of_mass",
           "digit_steps", "ink_box", "load_greyscale",
           "prepare_digit"]

FIELD = 28  # side of the prepared digit
BOX = 20  # the ink's longer side after resizing
INK_LEVEL = 0.1  # after step 2, a pixel above this is ink (for the bounding box)
MIN_CONTRAST = 0.1  # the brightest ink must differ from the background by this much: else a blank page
#: Pillow modes read: bilevel, greyscale, palette, RGB, with or without alpha
MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA")


@dataclass(frozen=True)
class DigitSteps:
    """Every step of :func:`digit_steps`, for a scene to show and a JSON to record.

    Attributes
    ----------
    original : np.ndarray
        ``(H, W)`` greyscale of the picture as given, in [0, 1] (1 = white).
    inverted : bool
        Whether the picture was dark ink on a light background (and so was inverted).
    background : float
        The background level in ``original`` (median of its border pixels).
    ink : np.ndarray
        ``(H, W)``: ink bright, background 0, the brightest ink 1.
    bbox : tuple of int
        ``(top, left, bottom, right)`` of the ink in ``ink``, bottom and right exclusive.
    fitted : np.ndarray
        The box resized to ``(h, w)`` with ``max(h, w) == 20``.
    scale : float
        New size / old size of the box (the same for both sides: the aspect ratio is kept).
    offset : tuple of int
        ``(row, col)`` of ``fitted``'s top-left pixel in the 28×28 field.
    centre_of_mass : tuple of float
        ``(row, col)`` of the ink's centre of mass in the field (pixel centres at ``i + 0.5``).
    image : np.ndarray
        ``(28, 28)`` float64 in [0, 1]: what the network sees.
    """

    original: np.ndarray
    inverted: bool
    background: float
    ink: np.ndarray
    bbox: tuple[int, int, int, int]
    fitted: np.ndarray
    scale: float
    offset: tuple[int, int]
    centre_of_mass: tuple[float, float]
    image: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the original picture, in pixels."""
        return int(self.original.shape[1]), int(self.original.shape[0])

    def summary(self) -> dict:
        """The preprocessing numbers (plain Python values) for the clip's JSON."""
        return {"original_size": list(self.size), "inverted": self.inverted, "background": self.background,
                "bbox": list(self.bbox), "fitted_size": list(self.fitted.shape), "scale": self.scale,
                "offset": list(self.offset), "centre_of_mass": list(self.centre_of_mass)}


def load_greyscale(path: str | os.PathLike[str]) -> np.ndarray:
    """A picture file as ``(H, W)`` float64 greyscale in [0, 1]; ValueError naming the file if Pillow cannot
    read it or its mode is not one of :data:`MODES`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in MODES:
                raise ValueError(f"{str(path)!r} has Pillow mode {im.mode!r}; a digit picture must be one of "
                                 f"{', '.join(MODES)} (bilevel, greyscale, palette or RGB, alpha allowed)")
            if im.mode in ("LA", "PA", "RGBA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                im = Image.alpha_composite(paper, rgba)  # transparent parts are white paper
            grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{str(path)!r} is not an image Pillow can read (PNG, JPEG, …): "
                         f"{type(exc).__name__}") from None
    return grey


def _as_greyscale(src: str | os.PathLike[str] | np.ndarray) -> tuple[np.ndarray, str]:
    if isinstance(src, (str, os.PathLike)):
        return load_greyscale(src), repr(str(Path(src)))
    a = np.asarray(src)
    what = "the digit array"
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as Pillow's "L"
        if np.asarray(src).dtype == np.uint8:
            a = a / 255.0
    elif a.ndim == 2:
        a = a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
    else:
        raise ValueError(f"{what} must have shape (H, W) or (H, W, 3|4); got {a.shape}")
    if a.size == 0 or not np.all(np.isfinite(a)) or a.min() < 0.0 or a.max() > 1.0:
        raise ValueError(f"{what} must be non-empty, uint8 or floats in [0, 1]; got shape {a.shape}, "
                         f"range {a.min() if a.size else None} … {a.max() if a.size else None}")
    return a, what


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    """``(row, col)`` of the mass of non-negative 2-D ``a``, a pixel's centre at ``i + 0.5``."""
    total = float(a.sum())
    rows = np.arange(a.shape[0]) + 0.5
    cols = np.arange(a.shape[1]) + 0.5
    return float(rows @ a.sum(1) / total), float(cols @ a.sum(0) / total)


def ink_box(a: np.ndarray, level: float = INK_LEVEL) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)`` (bottom and right exclusive) of the pixels of 2-D ``a`` above ``level``;
    ValueError if there are none."""
    rows = np.flatnonzero((a > level).any(1))
    cols = np.flatnonzero((a > level).any(0))
    if not len(rows):
        raise ValueError(f"no pixel above the ink level {level}")
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _area_weights(old: int, new: int) -> np.ndarray:
    """``(new, old)``: row i holds how much of each old pixel new pixel i covers, as a fraction of new pixel
    i's width (the rows sum to 1)."""
    step = old / new
    lo = np.arange(new)[:, None] * step
    k = np.arange(old)[None, :]
    overlap = np.clip(np.minimum(lo + step, k + 1) - np.maximum(lo, k), 0.0, None)
    return overlap / step


def area_resize(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """2-D ``a`` resized to ``shape`` by area averaging: each new pixel is the mean of the old picture over
    the new pixel's footprint (shrinking, that is anti-aliasing; enlarging, each new pixel lies within one
    or two old ones)."""
    return _area_weights(a.shape[0], shape[0]) @ a @ _area_weights(a.shape[1], shape[1]).T


def digit_steps(src: str | os.PathLike[str] | np.ndarray) -> DigitSteps:
    """Prepare a digit picture as MNIST's were (see the module), keeping every step.

    Parameters
    ----------
    src
        A picture file (any size; dark on light or light on dark), or an array: ``(H, W)`` or
        ``(H, W, 3|4)``, uint8 or floats in [0, 1].

    Raises
    ------
    ValueError
        Not a readable picture, an unsupported mode or shape, or no ink (a blank page); the message names
        the file.
    """
    original, what = _as_greyscale(src)
    h, w = original.shape
    border = np.concatenate([original[0], original[-1], original[1:-1, 0], original[1:-1, -1]])
    background = float(np.median(border))
    inverted = background > 0.5
    ink = 1.0 - original if inverted else original.copy()
    level = 1.0 - background if inverted else background
    contrast = float(ink.max()) - level
    if contrast < MIN_CONTRAST:
        raise ValueError(f"{what} ({w}x{h}) has no ink: its brightest and darkest marks differ from the "
                         f"background ({background:.2f}) by {max(contrast, 0.0):.2f}, less than {MIN_CONTRAST}; "
                         f"give a picture of one digit, dark on light or light on dark")
    ink = np.clip((ink - level) / contrast, 0.0, 1.0)
    bbox = ink_box(ink)  # the brightest ink is 1 now, so the box is never empty
    box = ink[bbox[0]:bbox[2], bbox[1]:bbox[3]]
    scale = BOX / max(box.shape)
    fit_shape = tuple(max(1, min(BOX, int(round(n * scale)))) for n in box.shape)
    fitted = np.clip(area_resize(box, fit_shape), 0.0, 1.0)
    com = centre_of_mass(fitted)
    # the whole-pixel shift that brings the centre of mass nearest (14, 14), the box kept inside the field
    offset = tuple(int(min(max(np.floor(FIELD / 2 - c + 0.5), 0), FIELD - n)) for c, n in zip(com, fitted.shape))
    image = np.zeros((FIELD, FIELD))
    image[offset[0]:offset[0] + fit_shape[0], offset[1]:offset[1] + fit_shape[1]] = fitted
    return DigitSteps(original=original, inverted=bool(inverted), background=background, ink=ink, bbox=bbox,
                      fitted=fitted, scale=float(scale), offset=offset, centre_of_mass=centre_of_mass(image),
                      image=image)


def prepare_digit(src: str | os.PathLike[str] | np.ndarray) -> np.ndarray:
    """The ``(28, 28)`` float64 in [0, 1] (ink bright) the network sees for a digit picture: the last step of
    :func:`digit_steps`."""
    return digit_steps(src).image
