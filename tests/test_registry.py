"""The scene registry is the one description of a scene: everything else derives from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cnnviz import config, registry
from cnnviz.registry import ROOT, SCENES, UnknownSceneError, scene_spec, source_files


def test_every_entry_names_an_existing_scene_class_params_class_and_values_module():
    for spec in SCENES:
        tree = ast.parse((ROOT / spec.path).read_text(encoding="utf-8"))
        classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        assert spec.scene_class in classes, spec.id
        assert issubclass(spec.params_class(), config.SceneParams)
        assert (ROOT / (spec.values_module.replace(".", "/") + ".py")).is_file(), spec.id
        assert spec.title_en and spec.title_zh and spec.summary


def test_the_config_the_values_and_the_cli_take_their_scenes_from_the_registry():
    assert list(config.SCENE_PARAMS) == registry.scene_ids()
    assert all(config.SCENE_PARAMS[s.id] is s.params_class() for s in SCENES)
    with pytest.raises(config.ConfigError, match="unknown scene id 'conv3d'; allowed: local_connectivity"):
        config.LectureConfig().entry("conv3d")


def test_an_unknown_id_names_the_known_ones():
    with pytest.raises(UnknownSceneError) as info:
        scene_spec("conv3d")
    assert "conv3d" in str(info.value) and "backprop_pool" in str(info.value)
    assert isinstance(info.value, KeyError)


def test_mnist_scenes_are_marked_in_their_entries():
    assert {s.id for s in SCENES if s.needs_network} == {"error_flow", "mnist_architecture", "mnist_training",
                                                         "mnist_features"}
    assert {s.id for s in SCENES if s.reads_mnist} == {"error_flow", "mnist_features", "residual"}


def _scene_imports(path: Path) -> set[str]:
    """The ``scenes.<module>`` modules a scene file imports (anywhere in it, functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scenes."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("scenes.")}
    return found


def _module_file(module: str) -> Path:
    path = ROOT / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@pytest.mark.parametrize("spec", SCENES, ids=lambda s: s.id)
def test_every_file_a_scene_imports_is_among_its_source_files(spec):
    """What the cache hashes and the preview watches covers what the scene really imports, transitively."""
    files = set(source_files(spec.id))
    todo, seen = [ROOT / spec.path], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path in files, f"{spec.id} imports {path.relative_to(ROOT)}: add it to the entry's depends"
        todo += [_module_file(m) for m in _scene_imports(path) if _module_file(m).is_file()]


def test_source_files_cover_the_shared_modules_the_core_and_the_assets_but_not_the_cli(tmp_path):
    files = [f.relative_to(ROOT).as_posix() for f in source_files("error_flow")]
    assert files[0] == "scenes/error_flow.py" and "scenes/mnist_maps.py" in files
    assert "scenes/common.py" in files and "scenes/speedups/drawing.py" in files
    assert "cnnviz/trace.py" in files and "cnnviz/assets/mnist/mnist_cnn.pt" in files
    assert not any(f.startswith(("cnnviz/cli/", "cnnviz/web/")) for f in files)
    assert "scenes/pooling.py" not in files  # another scene's file does not touch this clip
    assert "cnnviz/assets/photo.png" in [f.relative_to(ROOT).as_posix() for f in source_files("image_filters")]


def test_source_files_follow_the_root_they_are_given(tmp_path):
    (tmp_path / "scenes").mkdir()
    for name in ("backprop_conv.py", "backprop_parts.py", "common.py"):
        (tmp_path / "scenes" / name).write_text("")
    assert [f.name for f in source_files("backprop_conv", root=tmp_path)] == ["backprop_conv.py",
                                                                              "backprop_parts.py", "common.py"]
