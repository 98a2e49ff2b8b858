"""Hostile MNIST files: gzip bombs and oversized files are refused at once, naming the file.

Every MNIST file has a known size once decompressed (60,000 or 10,000 digits of 28x28 plus a 16-byte header;
labels one byte each plus 8). Reading stops one byte past that size, so a file that expands to gigabytes costs
no more than a real one. The bombs here are made on the fly: one gzip member of zeros compressed once and
written many times (a multi-member gzip, as valid as any), so a 3 GiB bomb costs a few MB and well under a
second to make.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnnviz.cli import cli
from cnnviz.mnist.data import FILES, MnistDataError, download_mnist, expected_size, load_mnist

ROOT = Path(__file__).resolve().parents[1]
GiB = 2**30


pytestmark = pytest.mark.usefixtures("mnist_offline")  # conftest: no download reaches the network


def gzip_bomb(path: Path, total: int, *, member: int = 16 * 2**20) -> Path:
    """A gzip file that expands to ``total`` bytes of zeros (``total // member`` identical members)."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    one = co.compress(bytes(member)) + co.flush()
    with open(path, "wb") as fh:
        for _ in range(total // member):
            fh.write(one)
    return path


def _raw(mnist_dir: Path, name: str) -> bytes:
    for candidate in (mnist_dir / name, mnist_dir / f"{name}.gz"):
        if candidate.is_file():
            return gzip.decompress(candidate.read_bytes()) if candidate.suffix == ".gz" else candidate.read_bytes()
    raise FileNotFoundError(name)


def test_expected_sizes_are_the_real_ones(mnist_dir):
    for name in FILES["train"] + FILES["test"]:
        assert expected_size(name) == len(_raw(mnist_dir, name))
    assert expected_size("train-images-idx3-ubyte") == 16 + 60_000 * 28 * 28
    assert expected_size("t10k-labels-idx1-ubyte") == 8 + 10_000


@pytest.mark.parametrize("name", ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
def test_gzip_bomb_is_refused_at_once_naming_the_file(mnist_dir, tmp_path, name):
    other = next(n for n in FILES["test"] if n != name)
    (tmp_path / other).write_bytes(_raw(mnist_dir, other))
    bomb = gzip_bomb(tmp_path / f"{name}.gz", 3 * GiB)
    assert bomb.stat().st_size < 8 * 2**20  # a small file that expands to 3 GiB
    started = time.perf_counter()
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", tmp_path, download=False)
    assert time.perf_counter() - started < 1.0  # it stops one byte past the real size
    message = str(err.value)
    assert str(bomb) in message and "too long" in message and str(expected_size(name)) in message
    assert bomb.is_file()  # left for the user to look at


def test_one_byte_too_many_after_gunzip_is_refused(mnist_dir, tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_raw(mnist_dir, "t10k-images-idx3-ubyte"))
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(_raw(mnist_dir, "t10k-labels-idx1-ubyte") + b"\0"))
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", tmp_path, download=False)
    assert str(bad) in str(err.value) and "too long" in str(err.value) and "10008" in str(err.value)


def test_huge_raw_file_is_refused_without_reading_it(mnist_dir, tmp_path):
    """A raw (not gzip) file of 3 GiB, sparse so the test costs nothing: refused after reading 10 kB."""
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_raw(mnist_dir, "t10k-images-idx3-ubyte"))
    huge = tmp_path / "t10k-labels-idx1-ubyte"
    with open(huge, "wb") as fh:
        fh.write(_raw(mnist_dir, "t10k-labels-idx1-ubyte"))
        fh.truncate(3 * GiB)
    started = time.perf_counter()
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", tmp_path, download=False)
    assert time.perf_counter() - started < 1.0
    assert str(huge) in str(err.value) and "too long" in str(err.value)


def test_gzip_bomb_from_a_mirror_is_refused_and_nothing_is_written(tmp_path):
    bomb = gzip_bomb(tmp_path / "bomb.gz", 1 * GiB).read_bytes()

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    target = tmp_path / "data"
    started = time.perf_counter()
    with pytest.raises(MnistDataError) as err:
        download_mnist(target, names=["t10k-labels-idx1-ubyte"], mirrors=["https://mirror.example/"],
                       opener=lambda url, timeout=None: Response(bomb))
    assert time.perf_counter() - started < 1.0
    assert "https://mirror.example/t10k-labels-idx1-ubyte.gz" in str(err.value) and "too long" in str(err.value)
    assert not target.exists() or not any(target.iterdir())


def test_broken_gzip_is_named(mnist_dir, tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_raw(mnist_dir, "t10k-images-idx3-ubyte"))
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"\x1f\x8b" + os.urandom(4000))
    with pytest.raises(MnistDataError) as err:
        load_mnist("test", tmp_path, download=False)
    assert str(bad) in str(err.value) and "gzip" in str(err.value)


def _bomb_folder(mnist_dir: Path, folder: Path) -> Path:
    """A data folder whose training images are a 3 GiB bomb; every other file is real."""
    folder.mkdir()
    for name in FILES["train"] + FILES["test"]:
        if name != "train-images-idx3-ubyte":
            (folder / name).write_bytes(_raw(mnist_dir, name))
    return gzip_bomb(folder / "train-images-idx3-ubyte.gz", 3 * GiB)


def test_train_on_a_gzip_bomb_is_a_clear_error(mnist_dir, tmp_path):
    bomb = _bomb_folder(mnist_dir, tmp_path / "data")
    res = CliRunner().invoke(cli, ["train", "--data-dir", str(bomb.parent), "--out", str(tmp_path / "out"),
                                   "--device", "cpu", "--threads", "1"])
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit)
    assert str(bomb) in res.output and "too long" in res.output and "47040016" in res.output
    assert not (tmp_path / "out" / "mnist_cnn.pt").exists()


def test_train_on_a_gzip_bomb_prints_no_traceback(mnist_dir, tmp_path):
    """The real command line, in its own process: exit 2, one message on stderr, no traceback."""
    bomb = _bomb_folder(mnist_dir, tmp_path / "data")
    env = {**os.environ, "CNNVIZ_DATA_DIR": str(bomb.parent)}
    done = subprocess.run([sys.executable, str(ROOT / "render.py"), "train", "--out", str(tmp_path / "out"),
                           "--device", "cpu", "--threads", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and str(bomb) in done.stderr and "too long" in done.stderr
