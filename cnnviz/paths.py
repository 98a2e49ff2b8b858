"""Where cnnviz keeps per-user files (no heavy imports: the CLI's quick paths use it)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """The per-user cache root of cnnviz: ``$XDG_CACHE_HOME/cnnviz``, else ``~/.cache/cnnviz``.

    Holds MNIST (``mnist/``), a trained checkpoint, and LaTeX/Pango output of earlier renders (``manim/``).

    Returns
    -------
    Path
        The folder (not created here).
    """
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "cnnviz"
