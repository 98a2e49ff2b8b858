"""Your own digit: the MNIST-style preprocessing of cnnviz.mnist.digit against a reference written another way
(Pillow operations and explicit loops), its properties on synthetic strokes, and bad pictures refused by the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnviz.mnist.digit import area_resize, centre_of_mass, digit_steps, ink_box, prepare_digit
from cnnviz.paths import ASSETS

ROOT = Path(__file__).resolve().parents[1]


def strokes(width: int, height: int, segments: list[tuple[float, float, float, float]], *, dark_on_light: bool,
            thickness: float = 0.08) -> np.ndarray:
    """Thick lines (coordinates as fractions of the picture) drawn with Pillow: (H, W) uint8."""
    paper, ink = (235, 25) if dark_on_light else (20, 230)
    im = Image.new("L", (width, height), paper)
    d = ImageDraw.Draw(im)
    t = max(1, int(thickness * min(width, height)))
    for x0, y0, x1, y1 in segments:
        d.line([(x0 * width, y0 * height), (x1 * width, y1 * height)], fill=ink, width=t)
    return np.asarray(im)


SEVEN = [(0.25, 0.2, 0.75, 0.2), (0.75, 0.2, 0.45, 0.85), (0.4, 0.5, 0.65, 0.5)]
ONE = [(0.5, 0.15, 0.52, 0.85)]  # tall and thin: the aspect ratio matters
FOUR = [(0.3, 0.15, 0.2, 0.55), (0.2, 0.55, 0.75, 0.55), (0.6, 0.3, 0.6, 0.9)]


def reference(grey: np.ndarray) -> np.ndarray:
    """The same preparation written plainly, with loops over pixels (the resize by overlapping rectangles)."""
    g = grey.astype(np.float64) / 255.0
    h, w = g.shape
    border = sorted([g[0, j] for j in range(w)] + [g[h - 1, j] for j in range(w)]
                    + [g[i, 0] for i in range(1, h - 1)] + [g[i, w - 1] for i in range(1, h - 1)])
    n = len(border)
    bg = border[n // 2] if n % 2 else (border[n // 2 - 1] + border[n // 2]) / 2
    if bg > 0.5:
        g, bg = 1.0 - g, 1.0 - bg
    top = max(g[i, j] for i in range(h) for j in range(w))
    ink = [[min(1.0, max(0.0, (g[i, j] - bg) / (top - bg))) for j in range(w)] for i in range(h)]
    rows = [i for i in range(h) if any(v > 0.1 for v in ink[i])]
    cols = [j for j in range(w) if any(ink[i][j] > 0.1 for i in range(h))]
    box = np.array([r[cols[0]:cols[-1] + 1] for r in ink[rows[0]:rows[-1] + 1]])
    bh, bw = box.shape
    s = 20 / max(bh, bw)
    nh, nw = max(1, round(bh * s)), max(1, round(bw * s))
    # area averaging, pixel by pixel: new pixel (i, j) covers [i·bh/nh, (i+1)·bh/nh) × [j·bw/nw, (j+1)·bw/nw)
    fitted = np.zeros((nh, nw))
    for i in range(nh):
        y0, y1 = i * bh / nh, (i + 1) * bh / nh
        for j in range(nw):
            x0, x1 = j * bw / nw, (j + 1) * bw / nw
            total = 0.0
            for y in range(int(np.floor(y0)), min(bh, int(np.ceil(y1)))):
                for x in range(int(np.floor(x0)), min(bw, int(np.ceil(x1)))):
                    total += box[y, x] * (min(y1, y + 1) - max(y0, y)) * (min(x1, x + 1) - max(x0, x))
            fitted[i, j] = min(1.0, max(0.0, total / ((y1 - y0) * (x1 - x0))))
    mass = sum(fitted[i, j] for i in range(nh) for j in range(nw))
    cy = sum((i + 0.5) * fitted[i, j] for i in range(nh) for j in range(nw)) / mass
    cx = sum((j + 0.5) * fitted[i, j] for i in range(nh) for j in range(nw)) / mass
    # the top-left corner whose shift puts the centre of mass nearest 14 (ties upward), inside the field
    r0 = min(max(int(np.floor(14 - cy + 0.5)), 0), 28 - nh)
    c0 = min(max(int(np.floor(14 - cx + 0.5)), 0), 28 - nw)
    out = np.zeros((28, 28))
    for i in range(nh):
        for j in range(nw):
            out[r0 + i, c0 + j] = fitted[i, j]
    return out


@pytest.mark.parametrize("size", [(28, 28), (37, 53), (120, 90), (300, 300), (640, 200)])
@pytest.mark.parametrize("shape", [SEVEN, ONE, FOUR], ids=["seven", "one", "four"])
def test_prepared_digit_matches_the_reference_and_keeps_mnist_properties(size, shape):
    w, h = size
    dark = strokes(w, h, shape, dark_on_light=True)
    got = prepare_digit(dark)
    assert got.shape == (28, 28) and got.dtype == np.float64
    np.testing.assert_allclose(got, reference(dark), atol=1e-12)
    assert got.min() >= 0.0 and 0.5 < got.max() <= 1.0  # ink bright (area averaging may thin a stroke)
    r, c = centre_of_mass(got)
    assert abs(r - 14) <= 0.5 + 1e-9 and abs(c - 14) <= 0.5 + 1e-9, (r, c)  # a tie may round either way
    top, left, bottom, right = ink_box(got, 0.0)
    assert max(bottom - top, right - left) == 20 and min(bottom - top, right - left) <= 20
    # the same strokes, light on dark: the same digit
    light = strokes(w, h, shape, dark_on_light=False)
    np.testing.assert_allclose(prepare_digit(light), got, atol=1e-12)
    assert digit_steps(dark).inverted and not digit_steps(light).inverted


def test_area_resize_by_whole_blocks_is_pillows_box_filter_and_keeps_the_mean():
    rng = np.random.default_rng(3)
    a = rng.random((40, 60))
    for shape in [(20, 20), (20, 30), (8, 12), (40, 60)]:  # whole blocks: Pillow's BOX is their mean
        ours = area_resize(a, shape)
        theirs = np.asarray(Image.fromarray(a.astype(np.float32)).resize(shape[::-1], Image.Resampling.BOX))
        np.testing.assert_allclose(ours, theirs, atol=1e-5)  # Pillow works in float32
        assert ours.mean() == pytest.approx(a.mean(), rel=1e-12)
    # any ratio, shrinking or enlarging: the picture's mean (its ink per area) is kept
    for shape in [(17, 23), (20, 7), (53, 71)]:
        assert area_resize(a, shape).mean() == pytest.approx(a.mean(), rel=1e-12)


def test_centre_of_mass_uses_pixel_centres():
    a = np.zeros((28, 28))
    a[0, 0] = 1.0
    assert centre_of_mass(a) == (0.5, 0.5)
    a[27, 27] = 1.0
    assert centre_of_mass(a) == (14.0, 14.0)


def test_the_shipped_sample_digit_and_its_steps():
    steps = digit_steps(ASSETS / "my_digit.png")
    assert steps.size == (300, 300) and steps.inverted
    assert steps.fitted.shape[0] == 20 and steps.fitted.shape[1] <= 20
    summary = steps.summary()
    assert summary["original_size"] == [300, 300] and summary["bbox"] == list(steps.bbox)
    t, l, b, r = steps.bbox
    assert steps.scale == pytest.approx(20 / max(b - t, r - l))
    # the 28×28 holds the fitted box at the offset, nothing elsewhere
    r0, c0 = steps.offset
    np.testing.assert_array_equal(steps.image[r0:r0 + 20, c0:c0 + steps.fitted.shape[1]], steps.fitted)
    assert steps.image.sum() == pytest.approx(steps.fitted.sum())


def test_rgb_and_transparent_pictures_are_read(tmp_path):
    grey = strokes(90, 90, SEVEN, dark_on_light=True)
    Image.fromarray(np.repeat(grey[..., None], 3, axis=2)).save(tmp_path / "rgb.png")
    rgba = np.zeros((90, 90, 4), np.uint8)
    rgba[..., 3] = 255 - grey  # black ink, its opacity the darkness; transparent paper is laid on white
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "rgba.png")
    want = prepare_digit(grey)
    np.testing.assert_allclose(prepare_digit(tmp_path / "rgb.png"), want, atol=1e-12)
    assert np.abs(prepare_digit(tmp_path / "rgba.png") - want).max() < 0.05  # paper 255 instead of 235


def test_array_mistakes_are_refused():
    with pytest.raises(ValueError, match="no ink"):
        prepare_digit(np.full((40, 40), 200, np.uint8))
    with pytest.raises(ValueError, match="shape"):
        prepare_digit(np.zeros((2, 3, 5, 7)))
    with pytest.raises(ValueError, match="floats in"):
        prepare_digit(np.full((9, 9), 3.0))


# ---------------------------------------------------------------- through the CLI: exit 2, one clear line

def _render(config: Path, scene: str = "mnist_features") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "render.py"), "render", scene, "--config", str(config),
                           "-q", "l", "--voice", "none", "--out", str(config.parent / "out")],
                          capture_output=True, text=True, env=env, timeout=300)


def _lecture(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "lecture.yaml"
    path.write_text(f"scenes:\n  - scene: mnist_features\n{entry}")
    return path


def _bad(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    if name == "notes.png":  # not an image at all
        p.write_text("these are my lecture notes, not a picture\n")
    elif name == "blank.png":  # an empty page: paper, no ink
        Image.new("L", (200, 200), 240).save(p)
    elif name == "huge.png":  # more pixels than are read (one colour: small on disk)
        Image.new("L", (4100, 4100), 255).save(p)
    elif name == "cmyk.jpg":  # a mode the digit reader refuses
        Image.new("CMYK", (64, 64), (0, 0, 0, 40)).save(p)
    return p


@pytest.mark.parametrize("name, words", [
    ("notes.png", "is not an image Pillow can read"),
    ("blank.png", "has no ink"),
    ("huge.png", "pixels; at most"),
    ("cmyk.jpg", "mode 'CMYK'"),
    ("missing.png", "no such file"),
])
def test_bad_pictures_are_refused_with_exit_2(tmp_path, name, words):
    path = _bad(tmp_path, name)
    done = _render(_lecture(tmp_path, f"    input_image: {name}\n"))  # relative: from the config's folder
    assert done.returncode == 2, done.stderr + done.stdout
    err = done.stderr
    assert "Traceback" not in err and "input_image" in err and words in err, err
    assert str(path) in err or name in err


def test_a_label_without_a_picture_is_refused_with_exit_2(tmp_path):
    done = _render(_lecture(tmp_path, "    label: 3\n"))
    assert done.returncode == 2 and "label 3" in done.stderr and "input_image" in done.stderr, done.stderr


def test_error_flow_of_an_own_digit_needs_its_label(tmp_path):
    """δ = p − y needs y: refused when the lecture is read, exit 2, naming the scene and the key."""
    (tmp_path / "d.png").write_bytes((ASSETS / "my_digit.png").read_bytes())
    path = tmp_path / "lecture.yaml"
    path.write_text("scenes:\n  - scene: error_flow\n    input_image: d.png\n")
    done = _render(path, "error_flow")
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in out
    assert "scenes[0] (error_flow): input_image is given but label is not" in out, out
