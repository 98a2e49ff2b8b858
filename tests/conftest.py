"""Shared fixtures: where the real MNIST lies, and a clean environment for scene renders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "mnist"

# Tests read the real MNIST beside the project (never committed), unless the caller chose a folder.
if SHARED_MNIST.is_dir():
    os.environ.setdefault("CNNVIZ_DATA_DIR", str(SHARED_MNIST))


@pytest.fixture
def clean_cnnviz_env(monkeypatch):
    """No CNNVIZ_* variables leak in from the caller's shell."""
    for key in list(os.environ):
        if key.startswith("CNNVIZ_") and key != "CNNVIZ_DATA_DIR":
            monkeypatch.delenv(key)
