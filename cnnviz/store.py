"""One store of finished work (plans and chunks) that a client and every worker share.

An entry is a folder ``ROOT/<key>/`` of files, addressed by a key that hashes everything the files depend
on (the scene's code, config entry, options; the chunk's range). An entry appears whole or not at all: it
is written into a temporary folder beside it and renamed into place; of two workers that finish the same
entry, the first rename wins and the second's copy is dropped (the files are equal). The default root is
``~/.cache/cnnviz/store``, enough for one machine; a cluster names a folder on a file system every machine
mounts (``--store``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .paths import cache_dir

__all__ = ["Store", "default_store"]


def default_store() -> Path:
    return cache_dir() / "store"


class Store:
    """A folder of entries, each a set of named files (:meth:`get`, :meth:`put`)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str) -> dict[str, Path] | None:
        """The entry's files by name, or ``None`` when it is not in the store."""
        entry = self.path(key)
        if not entry.is_dir():
            return None
        return {p.name: p for p in sorted(entry.iterdir()) if p.is_file()}

    def read(self, key: str) -> dict[str, bytes] | None:
        files = self.get(key)
        return None if files is None else {name: path.read_bytes() for name, path in files.items()}

    def put(self, key: str, files: Mapping[str, bytes]) -> bool:
        """Store ``files`` under ``key`` (atomically); ``False`` when the store cannot be written (a worker
        that does not mount it) or another writer got there first."""
        entry = self.path(key)
        if entry.is_dir():
            return False
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.root))
        except OSError:
            return False
        try:
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            os.rename(tmp, entry)  # whole entry or none; fails if another writer's entry is already there
            return True
        except OSError:
            return False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
