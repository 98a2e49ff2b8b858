"""The MNIST handwritten digits: find, download, verify and read the four IDX files.

The files are looked for in ``data_dir``, else ``$CNNVIZ_DATA_DIR``, else the per-user cache
``~/.cache/cnnviz/mnist`` (``$XDG_CACHE_HOME`` honoured). A missing file is downloaded from public
mirrors; every file, downloaded or found, is checked against the SHA-256 of its decompressed bytes
before a single pixel is used, so a truncated or tampered file can never reach a scene.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from http.client import HTTPException
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Literal
from urllib.request import urlopen

import numpy as np

from ..paths import atomic_write, cache_dir

__all__ = [
    "FILES",
    "MIRRORS",
    "SHA256",
    "MnistDataError",
    "cache_dir",
    "download_mnist",
    "expected_size",
    "load_mnist",
    "parse_idx",
    "resolve_data_dir",
]

Split = Literal["train", "test"]

# split -> (images file, labels file), the names of the original distribution
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# SHA-256 of each file's *decompressed* bytes: the .gz bytes differ between mirrors (recompression),
# the IDX payload does not.
SHA256: dict[str, str] = {
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
}

# Tried in order; each serves ``<name>.gz``. LeCun's own site is last: it often refuses robots.
MIRRORS: list[str] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

# (magic number, number of dimensions, expected item count) of each file
_HEADER: dict[str, tuple[int, int, int]] = {
    "train-images-idx3-ubyte": (2051, 3, 60_000),
    "train-labels-idx1-ubyte": (2049, 1, 60_000),
    "t10k-images-idx3-ubyte": (2051, 3, 10_000),
    "t10k-labels-idx1-ubyte": (2049, 1, 10_000),
}

DOWNLOAD_TIMEOUT_S = 30.0
_MAX_DOWNLOAD_BYTES = 64 * 2**20  # the largest file is ~10 MB compressed; refuse anything absurd


class MnistDataError(ValueError):
    """MNIST could not be found, downloaded or verified; the message says where and how to fix it."""


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where MNIST is read from: ``data_dir``, else ``$CNNVIZ_DATA_DIR``, else ``cache_dir() / "mnist"``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("CNNVIZ_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return cache_dir() / "mnist"


def _source(folder_arg: str | os.PathLike[str] | None) -> str:
    if folder_arg is not None:
        return "the data folder you gave"
    if os.environ.get("CNNVIZ_DATA_DIR"):
        return "$CNNVIZ_DATA_DIR"
    return "the cache folder"


_HOW_TO_FIX = (
    "To fix: pass --data-dir DIR (or data_dir=DIR) naming a folder that holds the four MNIST IDX files "
    "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
    "each raw or .gz), set CNNVIZ_DATA_DIR to such a folder, or connect to a network so they can be downloaded."
)


def parse_idx(data: bytes, name: str, *, label: str | None = None) -> np.ndarray:
    """Parse and verify the decompressed bytes of one of the four MNIST IDX files.

    Parameters
    ----------
    data
        The whole decompressed file.
    name
        Its standard name (a key of :data:`SHA256`), which says what header to expect.
    label
        What to call the file in error messages (its path or URL); default ``name``.

    Returns
    -------
    np.ndarray
        Read-only uint8 array: ``(N, 28, 28)`` for images, ``(N,)`` for labels.

    Raises
    ------
    MnistDataError
        Wrong magic number, wrong sizes, wrong length or wrong checksum; the message names ``name``.
    """
    magic, ndim, count = _HEADER[name]
    label = name if label is None else label
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise MnistDataError(f"{label}: file is truncated ({len(data)} bytes, shorter than its header)")
    # IDX is big-endian: magic, then one uint32 per dimension
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    if int(header[0]) != magic:
        raise MnistDataError(f"{label}: wrong magic number {int(header[0])} (expected {magic}); "
                             "not an MNIST IDX file of this kind")
    dims = tuple(int(d) for d in header[1:])
    expected_dims = (count, 28, 28) if ndim == 3 else (count,)
    if dims != expected_dims:
        raise MnistDataError(f"{label}: header says shape {dims}, expected {expected_dims}")
    expected_len = header_len + int(np.prod(dims))
    if len(data) != expected_len:
        state = "truncated" if len(data) < expected_len else "too long"
        raise MnistDataError(f"{label}: file is {state} ({len(data)} bytes, expected {expected_len})")
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise MnistDataError(f"{label}: checksum mismatch (SHA-256 {digest}, expected {SHA256[name]}); "
                             "the file is corrupted")
    # one frombuffer over the whole payload: no per-sample Python
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def expected_size(name: str) -> int:
    """The exact decompressed size in bytes of the standard MNIST file ``name`` (header included)."""
    _, ndim, count = _HEADER[name]
    return 4 + 4 * ndim + count * (28 * 28 if ndim == 3 else 1)


def _too_long(label: str, name: str) -> MnistDataError:
    limit = expected_size(name)
    return MnistDataError(f"{label}: file is too long: it holds more than {limit} bytes once decompressed, and "
                          f"{name} is exactly {limit} bytes (reading stopped there; a gzip bomb or not this "
                          "MNIST file)")


def _gunzip_capped(fileobj: IO[bytes], label: str, name: str) -> bytes:
    """Decompress the gzip stream ``fileobj``, stopping as soon as it exceeds :func:`expected_size`."""
    limit = expected_size(name)
    try:
        with gzip.GzipFile(fileobj=fileobj, mode="rb") as gz:
            data = gz.read(limit + 1)  # decompresses at most limit + 1 bytes, however much the stream holds
    except (EOFError, OSError, zlib.error) as exc:  # a cut-off .gz raises EOFError
        raise MnistDataError(f"{label}: broken gzip data ({exc}); the file is truncated or corrupted") from None
    if len(data) > limit:
        raise _too_long(label, name)
    return data


def _decompress(raw: bytes, label: str, name: str) -> bytes:
    """Gunzip ``raw`` when it is gzip (magic 1f 8b), else return it; never more than ``name``'s size plus
    one byte is decompressed. A broken or oversized file names ``label``."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    return _gunzip_capped(io.BytesIO(raw), label, name)


def _read_file(path: Path, name: str, label: str) -> bytes:
    """The decompressed bytes of ``path``, reading no more than ``name``'s expected size (plus one byte)."""
    limit = expected_size(name)
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            fh.seek(0)
            return _gunzip_capped(fh, label, name)
        fh.seek(0)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _too_long(label, name)
    return data


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


# resolved path -> (mtime_ns, size, array): reading and hashing 47 MB costs ~0.3 s, paid once per process
_CACHE: dict[Path, tuple[int, int, np.ndarray]] = {}


def _read_verified(path: Path, name: str) -> np.ndarray:
    key = path.resolve()
    st = key.stat()
    hit = _CACHE.get(key)
    if hit is not None and hit[:2] == (st.st_mtime_ns, st.st_size):
        return hit[2]
    try:
        arr = parse_idx(_read_file(key, name, str(path)), name, label=str(path))
    except OSError as exc:
        raise MnistDataError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions, or delete "
                             "it (a fresh copy is then downloaded)") from None
    except MnistDataError as exc:
        raise MnistDataError(f"{exc}. The file was not used; delete it (a fresh copy is then downloaded) "
                             "or replace it with a good copy.") from None
    _CACHE[key] = (st.st_mtime_ns, st.st_size, arr)
    return arr


def _fetch(url: str, *, timeout: float, opener: Callable[..., Any]) -> bytes:
    with opener(url, timeout=timeout) as response:
        raw = response.read(_MAX_DOWNLOAD_BYTES + 1)
    if len(raw) > _MAX_DOWNLOAD_BYTES:
        raise MnistDataError(f"{url}: response larger than {_MAX_DOWNLOAD_BYTES} bytes")
    return raw


def download_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    names: Sequence[str] | None = None,
    mirrors: Sequence[str] | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    opener: Callable[..., Any] | None = None,
) -> list[Path]:
    """Download the MNIST files that are missing from the data folder, verified, written atomically.

    Parameters
    ----------
    data_dir
        Target folder (created if needed); default as for :func:`load_mnist`.
    names
        Which of the four standard names to fetch; default all four. Files already present are skipped.
    mirrors
        Base URLs tried in order, each serving ``<name>.gz``; default :data:`MIRRORS`.
    timeout
        Seconds per connection attempt.
    opener
        ``urlopen``-compatible callable (tests pass a fake); default :func:`urllib.request.urlopen`.

    Returns
    -------
    list of Path
        The files written (``<name>.gz``, the bytes as served).

    Raises
    ------
    MnistDataError
        No mirror served a file whose decompressed SHA-256 matches; nothing is left behind for it.
    """
    folder = resolve_data_dir(data_dir)
    wanted = list(FILES["train"] + FILES["test"]) if names is None else list(names)
    for name in wanted:
        if name not in SHA256:
            raise ValueError(f"unknown MNIST file {name!r}; expected one of {sorted(SHA256)}")
    urls = list(MIRRORS if mirrors is None else mirrors)
    # looked up at call time so that monkeypatching this module's urlopen takes effect
    open_url = opener if opener is not None else urlopen
    written: list[Path] = []
    for name in wanted:
        if _find(folder, name) is not None:
            continue
        failures: list[str] = []
        for base in urls:
            url = base.rstrip("/") + f"/{name}.gz"
            try:
                raw = _fetch(url, timeout=timeout, opener=open_url)
                parse_idx(_decompress(raw, url, name), name, label=url)  # verify before anything touches the disk
            except (OSError, HTTPException, ValueError) as exc:  # URLError is an OSError; ValueError covers MnistDataError
                failures.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / f"{name}.gz"
                atomic_write(target, lambda fh: fh.write(raw))
            except OSError as exc:
                raise MnistDataError(f"downloaded {name} but could not write it to {folder}: {exc}. "
                                     + _HOW_TO_FIX) from None
            written.append(target)
            break
        else:
            tried = "; ".join(failures) if failures else "no mirrors configured"
            raise MnistDataError(f"could not download {name} (tried: {tried}). " + _HOW_TO_FIX)
    return written


def load_mnist(
    split: Split,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST as uint8 arrays, downloading missing files.

    Parameters
    ----------
    split
        ``"train"`` (60,000 digits) or ``"test"`` (10,000).
    data_dir
        Folder with the IDX files (raw or ``.gz``); default ``$CNNVIZ_DATA_DIR``, else
        ``cache_dir() / "mnist"``.
    download
        Fetch missing files from :data:`MIRRORS` into that folder.

    Returns
    -------
    images : np.ndarray
        ``(N, 28, 28)`` uint8, 0 = background, 255 = ink. Read-only: it is shared between callers.
    labels : np.ndarray
        ``(N,)`` uint8 in 0..9.

    Raises
    ------
    MnistDataError
        Files missing and not downloadable (the message says where it looked and how to fix it), or a
        file truncated or corrupted (the message names it).

    Examples
    --------
    >>> images, labels = load_mnist("test")  # doctest: +SKIP
    >>> images.shape, labels.shape
    ((10000, 28, 28), (10000,))
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    folder = resolve_data_dir(data_dir)
    names = FILES[split]
    missing = [n for n in names if _find(folder, n) is None]
    if missing:
        if not download:
            raise MnistDataError(f"MNIST {split} files missing from {folder} ({_source(data_dir)}): looked for "
                                 + ", ".join(f"{n}[.gz]" for n in missing) + ". " + _HOW_TO_FIX)
        try:
            download_mnist(folder, names=missing)
        except MnistDataError as exc:
            raise MnistDataError(f"MNIST {split} files missing from {folder} ({_source(data_dir)}): looked for "
                                 + ", ".join(f"{n}[.gz]" for n in missing) + f"; then {exc}") from None
    arrays = []
    for name in names:
        path = _find(folder, name)
        assert path is not None  # present, or download_mnist raised
        arrays.append(_read_verified(path, name))
    images, labels = arrays
    if labels.max() > 9:  # unreachable past the checksum; guards a future edit of SHA256
        raise MnistDataError(f"{folder}: labels outside 0..9")
    return images, labels
