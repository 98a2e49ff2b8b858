"""A non-editable install carries everything cnnviz reads at run time (issue "Open the house" §5).

Builds the wheel from a copy of the tracked files, as `pip install .` would, and checks that every shipped
file (the assets, the page templates) is inside it, that nothing reads the repository layout, and that the
manim settings the pipeline passes are shipped too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cnnviz import paths, pipeline

ROOT = Path(__file__).resolve().parents[1]


def _tracked(prefix: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", prefix], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [line for line in out.stdout.splitlines() if line]


def test_assets_are_found_inside_the_package():
    assert paths.ASSETS == Path(paths.__file__).resolve().parent / "assets"
    assert (paths.ASSETS / "lecture.yaml").is_file() and pipeline.MANIM_CONFIG.is_file()


def test_the_wheel_ships_every_asset_and_template(tmp_path):
    src = tmp_path / "src"
    for rel in _tracked("."):
        if (ROOT / rel).is_file():  # a file deleted in the work tree but not yet in git is not shipped
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                           str(src)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("cnnviz-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [f for f in _tracked("cnnviz") + _tracked("scenes") if not f.endswith(".py")]
    missing = [f for f in shipped if f not in names]
    assert shipped and not missing, f"tracked package files missing from the wheel: {missing}"
    assert "cnnviz/assets/mnist/mnist_cnn.pt" in names and "cnnviz/assets/manim.cfg" in names
    assert {"scenes/kit/__init__.py", "scenes/conv2d.py", "render.py"} <= names


def test_no_module_reads_the_repository_layout():
    """Paths into the checkout (``parent.parent / "assets"``) break in an installed package: every shipped
    file is reached through :data:`cnnviz.paths.ASSETS` (the scene files through the registry's root)."""
    offenders = []
    for rel in _tracked("cnnviz") + _tracked("scenes"):
        if rel.endswith(".py") and '"assets"' in (ROOT / rel).read_text(encoding="utf-8"):
            offenders.append(rel)
    assert offenders == ["cnnviz/paths.py"]
