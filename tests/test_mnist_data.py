"""MNIST loading: the real files from ../shared/mnist, errors that name the file, verified atomic downloads."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

from cnnviz.mnist import data as mdata
from cnnviz.mnist.data import FILES, SHA256, MnistDataError, cache_dir, download_mnist, load_mnist, resolve_data_dir

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "mnist"
# per-class counts of the official splits
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]




def _raw(mnist_dir: Path, name: str) -> bytes:
    p = mnist_dir / name
    return p.read_bytes() if p.is_file() else gzip.decompress((mnist_dir / f"{name}.gz").read_bytes())


pytestmark = pytest.mark.usefixtures("mnist_offline")  # conftest: no download reaches the network


@pytest.fixture(autouse=True)
def _fresh_cache():
    mdata._CACHE.clear()


def test_test_split_shapes_labels_and_pixels(mnist_dir):
    images, labels = load_mnist("test", mnist_dir)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    counts = np.bincount(labels, minlength=10)
    assert counts.sum() == 10000 and counts.tolist() == TEST_COUNTS
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the famous first test digits
    assert images.min() == 0 and images.max() == 255
    assert not images.flags.writeable  # shared by the in-process cache, so read-only


def test_train_split(mnist_dir):
    images, labels = load_mnist("train", mnist_dir)
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]


def test_embedded_checksums_match_shared_sha256sums(mnist_dir):
    sums = SHARED / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip(f"{sums} not present")
    listed = dict(reversed(line.split()) for line in sums.read_text().splitlines() if line.strip())
    assert listed == SHA256


def test_raw_files_read_like_gz(mnist_dir, tmp_path):
    for name in FILES["test"]:
        (tmp_path / name).write_bytes(_raw(mnist_dir, name))
    a_img, a_lab = load_mnist("test", tmp_path)
    b_img, b_lab = load_mnist("test", mnist_dir)
    np.testing.assert_array_equal(a_img, b_img)
    np.testing.assert_array_equal(a_lab, b_lab)


def test_data_dir_and_cache_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CNNVIZ_DATA_DIR", raising=False)
    assert cache_dir() == tmp_path / "xdg" / "cnnviz"
    assert resolve_data_dir() == tmp_path / "xdg" / "cnnviz" / "mnist"
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"  # an explicit folder wins
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "cnnviz"


def test_env_var_is_used(mnist_dir, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(mnist_dir))
    images, _ = load_mnist("test")
    assert images.shape == (10000, 28, 28)


def test_missing_offline_says_where_and_how(tmp_path):
    empty = tmp_path / "empty"
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", empty)
    msg = str(err.value)
    assert str(empty) in msg and "t10k-images-idx3-ubyte" in msg
    assert "--data-dir" in msg and "CNNVIZ_DATA_DIR" in msg and "network" in msg
    assert "network disabled in tests" in msg  # each mirror's failure is reported
    assert not empty.exists() or not any(empty.iterdir())  # nothing half-written


def test_missing_without_download(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("download=False must not try the network")
    monkeypatch.setattr(mdata, "urlopen", boom)
    with pytest.raises(MnistDataError, match="CNNVIZ_DATA_DIR"):
        load_mnist("train", tmp_path, download=False)


def test_unknown_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")  # type: ignore[arg-type]


def _copy_test_split(mnist_dir: Path, dest: Path) -> None:
    for name in FILES["test"]:
        (dest / name).write_bytes(_raw(mnist_dir, name))


@pytest.mark.parametrize("damage, words", [
    (lambda b: b[:-100], "truncated"),
    (lambda b: b[:10], "truncated"),
    (lambda b: b + b"\0", "too long"),
    (lambda b: b[:3] + b"\x99" + b[4:], "magic"),
    (lambda b: b[:5000] + bytes([b[5000] ^ 0xFF]) + b[5001:], "checksum"),
])
def test_damaged_raw_file_is_named_and_refused(mnist_dir, tmp_path, damage, words):
    _copy_test_split(mnist_dir, tmp_path)
    bad = tmp_path / "t10k-images-idx3-ubyte"
    bad.write_bytes(damage(bad.read_bytes()))
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", tmp_path)
    assert str(bad) in str(err.value) and words in str(err.value)
    assert bad.read_bytes() == damage(_raw(mnist_dir, "t10k-images-idx3-ubyte"))  # left for the user to see


def test_truncated_gz_is_named(mnist_dir, tmp_path):
    gz = gzip.compress(_raw(mnist_dir, "t10k-labels-idx1-ubyte"))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_raw(mnist_dir, "t10k-images-idx3-ubyte"))
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", tmp_path)
    assert str(bad) in str(err.value) and "gzip" in str(err.value)


def test_damaged_file_is_not_served_from_the_cache(mnist_dir, tmp_path):
    _copy_test_split(mnist_dir, tmp_path)
    load_mnist("test", tmp_path)  # now cached in-process
    p = tmp_path / "t10k-labels-idx1-ubyte"
    b = bytearray(p.read_bytes())
    b[100] = (b[100] + 1) % 10
    p.write_bytes(bytes(b))
    os.utime(p, ns=(1, 1))  # a new mtime even on coarse-clock file systems
    with pytest.raises(MnistDataError, match="checksum"):
        load_mnist("test", tmp_path)


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeOpener:
    """Serves ``<mirror>/<name>.gz`` from a dict; records each call's URL and timeout."""

    def __init__(self, files: dict[str, bytes], *, dead: tuple[str, ...] = ()):
        self.files, self.dead, self.calls = files, dead, []

    def __call__(self, url, timeout=None):
        self.calls.append((url, timeout))
        if url.startswith(self.dead):
            raise URLError("connection refused")
        name = url.rsplit("/", 1)[1]
        if name not in self.files:
            raise URLError(f"404 {name}")
        return FakeResponse(self.files[name])


def test_download_through_fake_opener(mnist_dir, tmp_path):
    files = {f"{n}.gz": gzip.compress(_raw(mnist_dir, n), compresslevel=1) for n in SHA256}
    opener = FakeOpener(files, dead=("https://dead.example/",))
    target = tmp_path / "new" / "mnist"
    written = download_mnist(target, mirrors=["https://dead.example/", "https://good.example/mnist"],
                             opener=opener, timeout=7.5)
    assert sorted(p.name for p in written) == sorted(files)
    assert sorted(p.name for p in target.iterdir()) == sorted(files)  # no temp files left
    assert all(t == 7.5 for _, t in opener.calls)
    assert ("https://good.example/mnist/t10k-images-idx3-ubyte.gz", 7.5) in opener.calls
    images, labels = load_mnist("test", target)
    ref_images, ref_labels = load_mnist("test", mnist_dir)
    np.testing.assert_array_equal(images, ref_images)
    np.testing.assert_array_equal(labels, ref_labels)
    n_calls = len(opener.calls)
    assert download_mnist(target, mirrors=["https://good.example/mnist/"], opener=opener) == []  # present: skipped
    assert len(opener.calls) == n_calls


def test_load_mnist_downloads_missing_files_via_module_urlopen(mnist_dir, tmp_path, monkeypatch):
    files = {f"{n}.gz": gzip.compress(_raw(mnist_dir, n), compresslevel=1) for n in FILES["test"]}
    opener = FakeOpener(files)
    monkeypatch.setattr(mdata, "urlopen", opener)
    monkeypatch.setattr(mdata, "MIRRORS", ["https://mirror.example/"])
    images, labels = load_mnist("test", tmp_path)
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == TEST_COUNTS
    assert {u for u, _ in opener.calls} == {f"https://mirror.example/{n}" for n in files}
    assert all(t is not None and t > 0 for _, t in opener.calls)  # a download always has a timeout


def test_download_from_file_url_with_real_urlopen(mnist_dir, tmp_path, monkeypatch):
    from urllib.request import urlopen
    if not (mnist_dir / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip("shared MNIST is not gzipped; the file:// mirror serves <name>.gz")
    monkeypatch.setattr(mdata, "urlopen", urlopen)
    written = download_mnist(tmp_path, names=["t10k-labels-idx1-ubyte"], mirrors=[mnist_dir.as_uri() + "/"])
    assert [p.name for p in written] == ["t10k-labels-idx1-ubyte.gz"]
    assert gzip.decompress(written[0].read_bytes()) == _raw(mnist_dir, "t10k-labels-idx1-ubyte")


def test_corrupted_download_is_refused_and_leaves_nothing(mnist_dir, tmp_path):
    raw = bytearray(_raw(mnist_dir, "t10k-labels-idx1-ubyte"))
    raw[500] = (raw[500] + 1) % 10  # still a valid IDX file: only the checksum can tell
    opener = FakeOpener({"t10k-labels-idx1-ubyte.gz": gzip.compress(bytes(raw))})
    with pytest.raises(MnistDataError) as err:
        download_mnist(tmp_path, names=["t10k-labels-idx1-ubyte"], mirrors=["https://m.example/"], opener=opener)
    assert "checksum" in str(err.value) and "t10k-labels-idx1-ubyte" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_cut_connection_leaves_nothing(tmp_path):
    class Cut(FakeResponse):
        def read(self, *a):
            raise ConnectionResetError("connection reset")

    with pytest.raises(MnistDataError, match="connection reset"):
        download_mnist(tmp_path, names=["t10k-labels-idx1-ubyte"], mirrors=["https://m.example/"],
                       opener=lambda url, timeout=None: Cut(b""))
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_no_complete_looking_file(mnist_dir, tmp_path, monkeypatch):
    opener = FakeOpener({"t10k-labels-idx1-ubyte.gz": gzip.compress(_raw(mnist_dir, "t10k-labels-idx1-ubyte"))})

    def interrupted(fd):
        raise KeyboardInterrupt  # Ctrl-C after the bytes went to the temp file, before the rename

    monkeypatch.setattr(mdata.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download_mnist(tmp_path, names=["t10k-labels-idx1-ubyte"], mirrors=["https://m.example/"], opener=opener)
    assert list(tmp_path.iterdir()) == []


def test_unknown_file_name(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST file"):
        download_mnist(tmp_path, names=["cifar-10"], opener=FakeOpener({}))


def test_shared_folder_untouched(mnist_dir):
    """Loading never writes next to the data (the shared folder may be read-only)."""
    before = sorted(p.name for p in mnist_dir.iterdir())
    load_mnist("test", mnist_dir)
    assert sorted(p.name for p in mnist_dir.iterdir()) == before
