"""Shared fixtures: where the real MNIST lies, and a clean environment for scene renders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "mnist"


@pytest.fixture
def clean_cnnviz_env(monkeypatch):
    """No CNNVIZ_* variables leak in from the caller's shell."""
    for key in list(os.environ):
        if key.startswith("CNNVIZ_") and key != "CNNVIZ_DATA_DIR":
            monkeypatch.delenv(key)
