"""Shared fixtures: where the real MNIST lies, a clean environment for scene renders, and a scene file of
the tests' own (one scene that renders, one that fails)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "mnist"

# Tests read the real MNIST beside the project (never committed), unless the caller chose a folder.
if SHARED_MNIST.is_dir():
    os.environ.setdefault("CNNVIZ_DATA_DIR", str(SHARED_MNIST))


@pytest.fixture(scope="module")
def mnist_dir() -> Path:
    """The folder with the real MNIST: $CNNVIZ_DATA_DIR, else ../shared/mnist.

    A user without the data sees these tests skipped with the reason; in CI (CI=true) missing data fails.
    """
    from cnnviz.mnist.data import SHA256

    env = os.environ.get("CNNVIZ_DATA_DIR")
    for d in ([Path(env)] if env else []) + [SHARED_MNIST]:
        if all(any((d / f"{n}{ext}").is_file() for ext in ("", ".gz")) for n in SHA256):
            return d
    message = f"real MNIST not found (looked in $CNNVIZ_DATA_DIR and {SHARED_MNIST})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def clean_cnnviz_env(monkeypatch):
    """No CNNVIZ_* variables leak in from the caller's shell."""
    for key in list(os.environ):
        if key.startswith("CNNVIZ_") and key != "CNNVIZ_DATA_DIR":
            monkeypatch.delenv(key)


SHORT_AND_FAILING = """
from scenes.conv2d import SlideKernelOverImage


class Short(SlideKernelOverImage):
    def play_scene(self):
        self.wait(0.4)


class Fails(SlideKernelOverImage):
    def play_scene(self):
        self.wait(0.4)
        raise RuntimeError("this scene fails on purpose")
"""


@pytest.fixture
def short_and_failing_scenes(tmp_path) -> Path:
    """A scene file with ``Short`` (a lecture scene's set-up and a wait) and ``Fails`` (the same, then an
    error mid-render), both writing ``conv2d.json``."""
    path = tmp_path / "short_and_failing.py"
    path.write_text(SHORT_AND_FAILING, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def speedups_installed():
    """The render speed-ups installed, as a lecture scene installs them; Manim's own code again afterwards."""
    from scenes import speedups

    assert speedups.install()
    yield
    speedups.uninstall()


@pytest.fixture()
def mnist_offline(monkeypatch):
    """No test may reach the network: any MNIST download not replaced by the test itself fails at once."""
    from urllib.error import URLError

    from cnnviz.mnist import data as mdata

    def refuse(url, *a, **k):
        raise URLError("network disabled in tests")

    monkeypatch.setattr(mdata, "urlopen", refuse)
