"""One check for the hostile-entry corpora of the scene tests: a lecture file that must be refused."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from cnnviz.cli import main

__all__ = ["assert_refused"]


def assert_refused(scene_id: str, body: str, fragments: Sequence[str], tmp_path: Path, capsys) -> str:
    """``render SCENE --config FILE`` with ``body`` as FILE exits 2 before any work (within 5 s), with one short
    message naming the file and holding every fragment, no traceback and no clip. Returns the message."""
    path = tmp_path / "hostile.yaml"
    path.write_text(body, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(SystemExit) as info:
        main(["render", scene_id, "--config", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert time.perf_counter() - start < 5  # refused before any work
    assert info.value.code == 2, err
    assert str(path) in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} missing from: {err}"
    assert len(err) < 1500  # one message, never the whole expanded value
    assert not (tmp_path / "out" / f"{scene_id}.mp4").exists()
    return err
