"""Where cnnviz keeps per-user files, and how it writes files (no heavy imports: the CLI's quick paths use it)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import IO

__all__ = ["ASSETS", "OutDirError", "atomic_write", "cache_dir", "check_out_dir", "replace_folder", "user_command"]

#: The files cnnviz ships (package data): the default lecture, the photo, the trained MNIST network,
#: reveal.js, Manim's settings, the render-time and typeset-ahead references. Found through importlib's
#: resources, so a ``pip install .`` (not editable) finds them as a source checkout does.
ASSETS: Path = Path(str(files("cnnviz").joinpath("assets")))


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


def atomic_write(path: Path, write: Callable[[IO[bytes]], object], *, suffix: str = ".tmp") -> None:
    """Write ``path`` through a temp file in the same folder, then ``os.replace``: old or new, never half.

    ``write`` gets the open binary file. The folder is created if missing; a temp file is unique per
    call, so parallel writers of the same file never mix (the last rename wins, whole). ``suffix`` ends the
    temp file's name (say, one a folder's cleaner keeps).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make an output readable by its owner only
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C mid-write included: the previous file stays as it was
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it (``os.umask`` sets it, racing other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


class OutDirError(ValueError):
    """An output folder that cannot be created or written to; the message says why."""


def check_out_dir(out: str | os.PathLike[str]) -> Path:
    """Create the output folder ``out`` if needed and prove it writable (a probe file, removed at once).

    Raises
    ------
    OutDirError
        ``out`` is a file, lies under a file, or cannot be created or written to; the message says why.
    """
    out = Path(out)
    try:
        if out.exists() and not out.is_dir():
            raise OutDirError(f"{out} is a file, not a folder; name a folder (it is created if missing)")
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OutDirError:
        raise
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutDirError(f"{out}: cannot write there ({reason}); name a folder you can write to "
                          "(it is created if missing)") from None
    return out


def user_command(subcommand: str = "") -> str:
    """How the user at hand runs ``subcommand``, for messages that tell them what to type.

    ``cnnviz train`` for the installed command, ``python render.py train`` from a checkout (where the
    program was started as ``render.py``).
    """
    program = "python render.py" if Path(sys.argv[0]).name == "render.py" else "cnnviz"
    return f"{program} {subcommand}".rstrip()


def replace_folder(src: Path, target: Path) -> None:
    """``src`` moved to ``target``, replacing it: the old folder is set aside first and removed after, so
    ``target`` is never a mix of the two."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.replace(target, old)
    shutil.move(str(src), str(target))
    shutil.rmtree(old, ignore_errors=True)
