"""Values of the ``image_filters`` scene: a real photograph (grey, ``size`` x ``size``, values in [0, 1])
convolved by :func:`cnnviz.conv2d` with a 3x3 box blur, a diagonal edge kernel and the Laplacian; each output
normalised here for display; one probe pixel's patch and its three sums shown as numbers."""

from __future__ import annotations

import numpy as np

from ..config import ImageFiltersParams
from ..ops import conv2d
from . import SceneValues, fmt

# name, English and Chinese titles, kernel, the factor it is drawn with (box blur: ones x 1/9)
FILTERS = (
    ("blur", "box blur", "均值模糊", np.ones((3, 3)), 9),
    ("edge", "diagonal edges", "斜向边缘", np.array([[0.0, 1, 1], [-1, 0, 1], [-1, -1, 0]]), 1),
    ("laplacian", "Laplacian", "拉普拉斯算子", np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]), 1),
)


def load_photo(p: ImageFiltersParams) -> np.ndarray:
    """The photograph in grey, resized to ``size`` x ``size``, as float64 in [0, 1]."""
    from PIL import Image

    with Image.open(p.image_path()) as im:
        grey = im.convert("L")
        w, h = grey.size
        side = min(w, h)  # a centred square, so that nothing is stretched
        box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
        small = grey.crop(box).resize((p.size, p.size), Image.LANCZOS)
    return np.asarray(small, dtype=np.float64) / 255.0


def to_display(z: np.ndarray, signed: bool) -> tuple[np.ndarray, float]:
    """8-bit grey for the screen, and the value that maps to full white. Unsigned outputs (the blur) keep
    the photo's scale [0, 1]; signed ones map 0 to mid-grey and +-scale to white/black, where scale is the
    99th percentile of |z| (a few brighter pixels saturate rather than dim the rest)."""
    if not signed:
        return np.clip(np.round(z * 255.0), 0, 255).astype(np.uint8), 1.0
    scale = float(np.percentile(np.abs(z), 99)) or 1.0
    return np.clip(np.round(127.5 + 127.5 * z / scale), 0, 255).astype(np.uint8), scale


def compute(p: ImageFiltersParams) -> SceneValues:
    x = load_photo(p)
    arrays: dict = {"image": x, "image_display": np.round(x * 255.0).astype(np.uint8)}
    outputs = {}
    for name, _, _, ker, factor in FILTERS:
        z = conv2d(x, ker / factor)
        shown, scale = to_display(z, signed=name != "blur")
        outputs[name] = z
        arrays.update({f"{name}_kernel": ker / factor, f"{name}_kernel_shown": ker, f"{name}_factor": factor,
                       f"{name}_output": z, f"{name}_display": shown, f"{name}_display_scale": scale})
    # the probe: where the edge kernel answers most strongly, a pixel worth looking at
    r, c = (int(i) for i in np.unravel_index(np.argmax(np.abs(outputs["edge"])), outputs["edge"].shape))
    patch = x[r:r + 3, c:c + 3]
    arrays.update({"probe": [r, c], "probe_patch": patch,
                   "probe_values": {name: float(outputs[name][r, c]) for name in outputs}})
    out_h, out_w = outputs["blur"].shape
    data = {
        "filters": FILTERS,
        "shape_text": f"{p.size}×{p.size} → {out_h}×{out_w}", "size_text": f"{p.size}×{p.size}",
        "probe_text": {name: ("Σ(patch ⊙ W)", f"= {fmt(outputs[name][r, c])}") for name in outputs},
        "factor_text": {name: f"× 1/{factor}" for name, _, _, _, factor in FILTERS if factor != 1},
    }
    return SceneValues(arrays, data)
