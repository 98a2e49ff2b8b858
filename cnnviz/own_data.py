"""A teacher's own small data set in place of MNIST (a lecture's top-level ``data:``).

Two forms are read:

* a **folder of class folders**, ``data/cat/*.png``, ``data/dog/*.png``, …: the class names are the sub-folder
  names, sorted (class ``k`` is the ``k``-th name); every file in a class folder must be a picture Pillow reads
  (names starting with ``.`` are skipped), all of one size. Pictures that are all greyscale give one channel,
  any colour picture makes them all RGB (three channels; transparency dropped).
* an **.npz** (``numpy.savez``) with exactly the arrays ``x`` (``N×C×H×W`` or ``N×H×W``, the latter one
  channel) and ``y`` (``N`` integer labels ``0 … K−1``, every class present); no pickled objects are read.

Normalisation, the same every time: 8-bit pixels (pictures, ``uint8`` arrays) are divided by 255, so they lie
in [0, 1] as MNIST's do; any other numeric ``x`` (floats, wider integers) is scaled linearly to [0, 1] by the
smallest and largest value of the whole array.

Split, the same every time: stratified, per class in label order, a permutation drawn from one
``numpy.random.default_rng(SPLIT_SEED)`` (seed 0, independent of the training seed, so the test set never moves
when the recipe changes) puts ``round(TEST_FRACTION · n)`` (at least one) of each class's ``n`` samples in the
test split and the rest, in their original order, in the training split. A class therefore needs at least two
samples.

Everything is bounded before it is read: at most :data:`MAX_SAMPLES` samples, :data:`MAX_DATA_BYTES` bytes of
files and :data:`MAX_VALUES` pixel values; an ``.npz`` member's header (shape, dtype) is checked before its bytes
are decompressed. The data's identity (:func:`content_digest`, a SHA-256 of the file's bytes, or of the folder's
file list with each file's bytes) keys the trained network, so a changed data set trains afresh.

Like all of cnnviz outside ``scenes``, nothing here imports manim (nor torch).
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_SAMPLES",
    "MAX_VALUES",
    "SPLIT_SEED",
    "TEST_FRACTION",
    "DataError",
    "DataInfo",
    "OwnData",
    "check_fits",
    "content_digest",
    "inspect_data",
    "load_data",
    "split_indices",
]

MAX_SAMPLES = 100_000  # a lecture's data set trains on a CPU in minutes
MAX_DATA_BYTES = 512 * 2**20  # files read (a folder's pictures, or the .npz, compressed or not)
MAX_VALUES = 2**26  # N·C·H·W: 256 MB as float32
MAX_CLASSES = 4096  # a dense layer's widest (cnnviz.config.MAX_UNITS)
MAX_SIDE = 256  # cnnviz.config.MAX_INPUT_SIDE
TEST_FRACTION = 0.2
SPLIT_SEED = 0
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F", "La"}


class DataError(ValueError):
    """A data set that cannot be used; the message names the file (and key or value) and what is allowed."""


@dataclass(frozen=True)
class DataInfo:
    """What a data set is, read cheaply (headers and labels, no pixels): enough to check a model against it."""

    path: Path
    kind: str  # "folder" or "npz"
    shape: tuple[int, int, int]  # C×H×W of one sample
    classes: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class OwnData:
    """A data set read, normalised and split: float32 ``x`` (``N×C×H×W`` in [0, 1]) and int64 ``y``."""

    info: DataInfo
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _allowed() -> str:
    return ("a folder of class folders of pictures (class names = folder names, sorted) or an .npz with arrays "
            "x (N×C×H×W or N×H×W) and y (N integer labels 0…K−1)")


def _stat(path: Path, key: str) -> os.stat_result:
    try:
        return path.stat()
    except (OSError, ValueError) as exc:
        what = "no such file or folder" if isinstance(exc, FileNotFoundError) else \
            f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
        raise DataError(f"{key} {str(path)!r}: {what}; allowed: {_allowed()}") from None


def _class_files(root: Path) -> list[tuple[str, list[Path]]]:
    """The class folders of ``root`` (sorted) and the files of each (sorted, hidden ones skipped)."""
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise DataError(f"data {str(root)!r}: cannot be listed ({exc.strerror or exc})") from None
    stray = [p.name for p in entries if not p.is_dir()]
    if stray:
        raise DataError(f"data {str(root)!r}: {stray[0]!r} is a file; allowed: only class folders at the top "
                        "(data/<class>/<picture>), e.g. data/cat/1.png")
    if len(entries) < 2:
        raise DataError(f"data {str(root)!r}: {len(entries)} class folder{'s' * (len(entries) != 1)}; allowed: at "
                        "least 2 (one folder of pictures per class)")
    if len(entries) > MAX_CLASSES:
        raise DataError(f"data {str(root)!r}: {len(entries)} class folders; at most {MAX_CLASSES}")
    out: list[tuple[str, list[Path]]] = []
    total = 0
    for folder in entries:
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        sub = [p.name for p in files if p.is_dir()]
        if sub:
            raise DataError(f"data {str(folder)!r}: holds the folder {sub[0]!r}; allowed: pictures only (one level "
                            "of class folders)")
        if len(files) < 2:
            raise DataError(f"data {str(folder)!r}: class {folder.name!r} has {len(files)} picture"
                            f"{'s' * (len(files) != 1)}; allowed: at least 2 (one to train on, one to test)")
        total += len(files)
        if total > MAX_SAMPLES:
            raise DataError(f"data {str(root)!r}: more than {MAX_SAMPLES} pictures; at most {MAX_SAMPLES}")
        out.append((folder.name, files))
    return out


def _picture_header(path: Path) -> tuple[str, tuple[int, int]]:
    """(mode, (width, height)) of a picture, read from its header only."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.mode, im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"data {str(path)!r}: not a picture Pillow can read (PNG, JPEG, …): "
                        f"{type(exc).__name__}") from None


def _inspect_folder(root: Path) -> tuple[DataInfo, list[tuple[int, Path]], bool]:
    classes = _class_files(root)
    first: tuple[Path, tuple[int, int]] | None = None
    colour = False
    samples: list[tuple[int, Path]] = []
    size_sum = 0
    for k, (_, files) in enumerate(classes):
        for path in files:
            size_sum += path.stat().st_size
            if size_sum > MAX_DATA_BYTES:
                raise DataError(f"data {str(root)!r}: its pictures hold more than {MAX_DATA_BYTES} bytes; at most "
                                f"{MAX_DATA_BYTES}")
            mode, size = _picture_header(path)
            if first is None:
                first = (path, size)
                if max(size) > MAX_SIDE:
                    raise DataError(f"data {str(path)!r}: {size[0]}×{size[1]} pixels; at most {MAX_SIDE} a side "
                                    "(a model's input)")
            elif size != first[1]:
                raise DataError(f"data {str(path)!r}: {size[0]}×{size[1]} pixels, but {str(first[0])!r} is "
                                f"{first[1][0]}×{first[1][1]}; allowed: pictures of one size")
            colour |= mode not in _GREY_MODES
            samples.append((k, path))
    assert first is not None  # at least two classes of two pictures
    w, h = first[1]
    shape = (3 if colour else 1, h, w)
    if len(samples) * shape[0] * h * w > MAX_VALUES:
        raise DataError(f"data {str(root)!r}: {len(samples)} pictures of {shape[0]}×{h}×{w} are more than "
                        f"{MAX_VALUES} values; use fewer or smaller pictures")
    info = DataInfo(root, "folder", shape, tuple(name for name, _ in classes), len(samples))
    return info, samples, colour


def _npz_member(zf: zipfile.ZipFile, key: str, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of array ``key`` of the .npz, from the .npy header alone (no pixels decompressed)."""
    try:
        with zf.open(f"{key}.npy") as fh:
            version = np.lib.format.read_magic(fh)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _fortran, dtype = reader(fh)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"data {str(path)!r}: array {key!r} is not a readable .npy member ({exc})") from None
    if dtype.hasobject:
        raise DataError(f"data {str(path)!r}: array {key!r} holds Python objects; allowed: numbers (no pickles)")
    return tuple(int(n) for n in shape), dtype


def _inspect_npz(path: Path) -> tuple[DataInfo, np.ndarray, tuple[int, ...], np.dtype]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"data {str(path)!r}: not an .npz (a zip of .npy arrays, as numpy.savez writes): "
                        f"{type(exc).__name__}") from None
    with zf:
        names = sorted(n.removesuffix(".npy") for n in zf.namelist())
        if names != ["x", "y"]:
            raise DataError(f"data {str(path)!r}: holds the arrays {names}; allowed: exactly x (N×C×H×W or "
                            "N×H×W) and y (N labels)")
        x_shape, x_dtype = _npz_member(zf, "x", path)
        y_shape, y_dtype = _npz_member(zf, "y", path)
        if len(x_shape) not in (3, 4):
            raise DataError(f"data {str(path)!r}: key x has shape {x_shape}; allowed: N×C×H×W or N×H×W")
        n = x_shape[0]
        sample = (1, *x_shape[1:]) if len(x_shape) == 3 else x_shape[1:]
        if not (1 <= sample[0] <= 4 and all(1 <= s <= MAX_SIDE for s in sample[1:])):
            raise DataError(f"data {str(path)!r}: key x has samples of shape {'×'.join(map(str, sample))}; allowed: "
                            f"1 to 4 channels, sides 1 to {MAX_SIDE}")
        if n > MAX_SAMPLES or n * int(np.prod(sample)) > MAX_VALUES:
            raise DataError(f"data {str(path)!r}: key x holds {n} samples of {'×'.join(map(str, sample))}; at most "
                            f"{MAX_SAMPLES} samples and {MAX_VALUES} values")
        if not (x_dtype.kind in "uif"):
            raise DataError(f"data {str(path)!r}: key x has dtype {x_dtype}; allowed: integers or floats")
        if y_shape != (n,):
            raise DataError(f"data {str(path)!r}: key y has shape {y_shape}; allowed: ({n},), one label per "
                            "sample of x")
        if y_dtype.kind not in "ui":
            raise DataError(f"data {str(path)!r}: key y has dtype {y_dtype}; allowed: integer labels 0…K−1")
        try:
            with zf.open("y.npy") as fh:
                y = np.lib.format.read_array(fh, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(f"data {str(path)!r}: key y cannot be read ({exc})") from None
    classes = _check_labels(y, path)
    info = DataInfo(path, "npz", (int(sample[0]), int(sample[1]), int(sample[2])), classes, n)
    return info, y.astype(np.int64), x_shape, x_dtype


def _check_labels(y: np.ndarray, path: Path) -> tuple[str, ...]:
    if y.size == 0:
        raise DataError(f"data {str(path)!r}: key y is empty; allowed: at least 2 samples of each of 2 classes")
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= MAX_CLASSES:
        bad = low if low < 0 else high
        raise DataError(f"data {str(path)!r}: key y holds the label {bad}; allowed: 0 to K−1 (K classes, at most "
                        f"{MAX_CLASSES})")
    counts = np.bincount(y.astype(np.int64), minlength=high + 1)
    if high < 1:
        raise DataError(f"data {str(path)!r}: key y holds one class only (label {high}); allowed: at least 2")
    thin = np.flatnonzero(counts < 2)
    if thin.size:
        k = int(thin[0])
        n = int(counts[k])
        raise DataError(f"data {str(path)!r}: key y has {n} sample{'s' * (n != 1)} of class "
                        f"{k} (labels run 0…{high}); allowed: every class 0…{high} with at least 2 (one to train "
                        "on, one to test)")
    return tuple(str(k) for k in range(high + 1))


def _resolve(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result]:
    p = Path(path).expanduser()
    st = _stat(p, "data")
    if stat.S_ISREG(st.st_mode) and st.st_size > MAX_DATA_BYTES:
        raise DataError(f"data {str(p)!r}: {st.st_size} bytes; at most {MAX_DATA_BYTES}")
    if not stat.S_ISDIR(st.st_mode) and p.suffix.lower() != ".npz":
        raise DataError(f"data {str(p)!r}: neither a folder nor an .npz; allowed: {_allowed()}")
    return p, st


def inspect_data(path: str | os.PathLike[str]) -> DataInfo:
    """What the data set at ``path`` is (shape of a sample, classes, count), read from headers and labels.

    Raises
    ------
    DataError
        Missing, not a folder of class folders nor an ``.npz``, a file that is no picture, pictures of mixed
        sizes, keys or shapes other than allowed, labels out of range, a class with fewer than two samples,
        more than the bounds; the message names the file, the key or value, and what is allowed.
    """
    p, st = _resolve(path)
    if stat.S_ISDIR(st.st_mode):
        return _inspect_folder(p)[0]
    return _inspect_npz(p)[0]


def check_fits(info: DataInfo, input_shape: tuple[int, int, int], classes: int, units: int) -> None:
    """Refuse a model whose ``input`` is not the data's sample shape, or whose last layer's width (``units``) and
    ``classes`` are not the data's number of classes (DataError naming the model key and both values)."""
    shape = "×".join(map(str, info.shape))
    if tuple(input_shape) != info.shape:
        raise DataError(f"model.input is {list(input_shape)} but the samples of data {str(info.path)!r} are "
                        f"{shape} (C×H×W); allowed: input: {list(info.shape)}")
    k = len(info.classes)
    if classes != k or units != k:
        raise DataError(f"model.classes is {classes} and the last layer has {units} units, but data "
                        f"{str(info.path)!r} has {k} classes ({', '.join(info.classes[:8])}"
                        f"{', …' if k > 8 else ''}); allowed: classes: {k} and a last layer "
                        f"`- dense: {{units: {k}}}`")


def split_indices(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices of labels ``y``: stratified and seeded as the module docstring says."""
    rng = np.random.default_rng(SPLIT_SEED)
    test: list[np.ndarray] = []
    for k in range(int(y.max()) + 1):
        idx = np.flatnonzero(y == k)
        n_test = max(1, round(TEST_FRACTION * idx.size))
        test.append(rng.permutation(idx)[:n_test])
    test_idx = np.sort(np.concatenate(test))
    train_mask = np.ones(y.size, bool)
    train_mask[test_idx] = False
    return np.flatnonzero(train_mask), test_idx


def _read_pictures(samples: list[tuple[int, Path]], shape: tuple[int, int, int]) -> np.ndarray:
    from PIL import Image

    c, h, w = shape
    x = np.empty((len(samples), c, h, w), np.float32)
    for i, (_, path) in enumerate(samples):
        try:
            with Image.open(path) as im:
                im.load()
                a = np.asarray(im.convert("RGB" if c == 3 else "L"), np.float32)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise DataError(f"data {str(path)!r}: not a picture Pillow can read: {type(exc).__name__}") from None
        x[i] = a.transpose(2, 0, 1) if c == 3 else a[None]
    return x / np.float32(255.0)


def _normalised(x: np.ndarray, path: Path) -> np.ndarray:
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0)
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise DataError(f"data {str(path)!r}: key x holds NaN or infinite values; allowed: finite numbers")
    low, high = float(x.min()), float(x.max())
    if high == low:
        raise DataError(f"data {str(path)!r}: key x holds one value only ({low}); allowed: pictures that differ")
    out = x.astype(np.float32)  # in place from here: one float32 copy, never a float64 one
    out -= np.float32(low)
    out /= np.float32(high - low)
    return out


def load_data(path: str | os.PathLike[str]) -> OwnData:
    """Read, normalise and split the data set at ``path`` (see the module docstring for how).

    Returns
    -------
    OwnData
        ``x_train``/``x_test`` float32 ``N×C×H×W`` in [0, 1], ``y_train``/``y_test`` int64 class indices.

    Raises
    ------
    DataError
        As :func:`inspect_data`; also NaN or a constant ``x`` in an ``.npz``.
    """
    p, st = _resolve(path)
    if stat.S_ISDIR(st.st_mode):
        info, samples, _ = _inspect_folder(p)
        x = _read_pictures(samples, info.shape)
        y = np.array([k for k, _ in samples], np.int64)
    else:
        info, y, x_shape, _ = _inspect_npz(p)
        try:
            with np.load(p, allow_pickle=False) as z:
                raw = z["x"]
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(f"data {str(p)!r}: key x cannot be read ({exc})") from None
        x = _normalised(raw.reshape(x_shape[0], *info.shape), p)
    train_idx, test_idx = split_indices(y)
    return OwnData(info, x[train_idx], y[train_idx], x[test_idx], y[test_idx])


def content_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of what ``path`` holds: a file's bytes, or a folder's files (relative path, size, bytes,
    in sorted order, hidden names skipped); ``"missing"`` when there is nothing there. Reads in 1 MB pieces."""
    p = Path(path).expanduser()
    h = hashlib.sha256()

    def add(f: Path) -> None:
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(2**20), b""):
                h.update(block)

    try:
        if p.is_file():
            add(p)
        elif p.is_dir():
            for f in sorted(q for q in p.rglob("*") if q.is_file()):
                rel = f.relative_to(p)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                h.update(f"{rel.as_posix()}\0{f.stat().st_size}\0".encode())
                add(f)
        else:
            return "missing"
    except OSError:
        return "unreadable"
    return h.hexdigest()
