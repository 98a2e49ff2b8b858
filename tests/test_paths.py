"""Atomic writes (``cnnviz/paths.py``): whole or absent, with the permissions of any other file the user makes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cnnviz.paths import atomic_write
from cnnviz.registry import ROOT


def test_a_written_file_is_whole_and_readable_as_the_umask_allows(tmp_path):
    target = tmp_path / "deep" / "clip.json"
    atomic_write(target, lambda f: f.write(b'{"scene": "conv2d"}'))
    assert target.read_bytes() == b'{"scene": "conv2d"}'
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["clip.json"]


def test_a_failed_write_leaves_the_previous_file_and_no_temp_file(tmp_path):
    target = tmp_path / "clip.json"
    target.write_bytes(b"old")

    def broken(f):
        f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["clip.json"]


def test_messages_say_what_the_user_types(monkeypatch):
    from cnnviz.paths import user_command

    monkeypatch.setattr(sys, "argv", ["/home/t/.venv/bin/cnnviz", "render"])
    assert user_command("train") == "cnnviz train" and user_command() == "cnnviz"
    monkeypatch.setattr(sys, "argv", ["render.py", "render"])
    assert user_command("train --out DIR") == "python render.py train --out DIR"


def test_a_checkout_user_is_told_render_py(tmp_path):
    # a scene id mistyped from a checkout: the hint names `python render.py list`, the command they ran
    res = subprocess.run([sys.executable, "render.py", "render", "nonesuch"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and "see `python render.py list`" in res.stderr and "Traceback" not in res.stderr
