"""Lecture configuration: a valid YAML file loads into typed values; every mistake is a ConfigError
whose message names the file, the key, the offending value and what is allowed."""

from __future__ import annotations

import os
import typing
import textwrap
from pathlib import Path

import pytest

from cnnviz import config
from cnnviz.config import ConfigError, load_config, parse_config, scene_entry

VALID = """\
title: My CNN lecture
language: zh
theme: solarized
scenes:
  - scene: conv2d
    input: [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
    kernel: [[1, 0], [0, -1]]
    bias: 2
    stride: 1
  - scene: stride_padding
    size: 6
    stride: 2
    padding: 1
  - scene: pooling
    mode: avg
    input_size: 4
    size: 2
  - scene: transposed
    size: 2
    kernel_size: 3
    stride: 2
    padding: 1
    output_padding: 1
"""


@pytest.fixture(autouse=True)
def no_cnnviz_env(monkeypatch):
    """No CNNVIZ_* variable of the caller's shell leaks into these tests."""
    for key in list(os.environ):
        if key.startswith("CNNVIZ_"):
            monkeypatch.delenv(key)


def write(tmp_path: Path, text: str, name: str = "lecture.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scene_yaml(body: str) -> str:
    """A lecture with one scene entry; ``body`` is that entry's YAML mapping in flow style."""
    return f"scenes:\n  - {body}\n"


# ------------------------------------------------------------------ valid files
def test_valid_lecture_loads_into_typed_values(tmp_path):
    path = write(tmp_path, VALID)
    cfg = load_config(path)
    assert (cfg.title, cfg.language, cfg.theme) == ("My CNN lecture", "zh", "solarized")
    assert cfg.source == str(path)
    assert [e.scene for e in cfg.scenes] == ["conv2d", "stride_padding", "pooling", "transposed"]
    conv = cfg.entry("conv2d").params
    assert conv.input == [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 2.0, 1.0]]
    assert conv.kernel == [[1.0, 0.0], [0.0, -1.0]]
    assert conv.bias == 2.0 and isinstance(conv.bias, float)
    assert conv.stride == 1 and conv.padding == 0  # omitted keys take the defaults
    sp = cfg.entry("stride_padding").params
    assert (sp.size, sp.stride, sp.padding) == (6, 2, 1)
    assert cfg.entry("pooling").params.mode == "avg"
    assert cfg.entry("pooling").params.stride is None
    assert cfg.entry("transposed").params.output_padding == 1


def test_scene_without_an_entry_gets_its_defaults(tmp_path):
    cfg = load_config(write(tmp_path, VALID))
    entry = cfg.entry("dilated")
    assert entry.scene == "dilated"
    assert entry.params == config.SCENE_PARAMS["dilated"]()


def test_entry_refuses_an_unknown_scene_id(tmp_path):
    cfg = load_config(write(tmp_path, VALID))
    with pytest.raises(ConfigError, match=r"unknown scene id 'conv3d'; allowed: .*conv2d"):
        cfg.entry("conv3d")


def test_empty_file_means_all_defaults(tmp_path):
    cfg = load_config(write(tmp_path, ""))
    assert (cfg.title, cfg.language, cfg.theme, cfg.scenes) == ("Convolutional Neural Networks", "en", "dark", ())


def test_parse_config_takes_an_already_parsed_document():
    cfg = parse_config({"title": "T", "scenes": [{"scene": "conv2d", "stride": 2, "size": 5}]}, "inline")
    assert cfg.source == "inline" and cfg.entry("conv2d").params.stride == 2


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_default_config_is_the_lecture_in_assets():
    assert config.DEFAULT_CONFIG == Path(config.__file__).resolve().parent / "assets" / "lecture.yaml"


@pytest.mark.skipif(not config.DEFAULT_CONFIG.exists(), reason="assets/lecture.yaml not written yet")
def test_the_shipped_lecture_is_valid():
    cfg = load_config()
    assert cfg.source == str(config.DEFAULT_CONFIG)
    assert all(e.scene in config.SCENE_PARAMS for e in cfg.scenes)


# ------------------------------------------------------------------ mistakes
# (YAML text, fragments the message must contain besides the file name)
MISTAKES = {
    "unknown top key": ("titel: CNNs\n", ["'titel'", "allowed: title, language, theme, model, train, data, scenes"]),
    "bad language": ("language: fr\n", ["language", "'fr'", "allowed: en, zh"]),
    "bad theme": ("theme: light\n", ["theme", "'light'", "allowed: dark, solarized"]),
    "title not a string": ("title: 42\n", ["title", "42", "must be a string"]),
    "scenes not a list": ("scenes: {scene: conv2d}\n", ["scenes", "{'scene': 'conv2d'}", "list of scene entries"]),
    "entry not a mapping": ("scenes: [conv2d]\n", ["scenes[0]", "'conv2d'", "a mapping with a 'scene' key"]),
    "entry without scene key": (scene_yaml("{stride: 2}"), ["scenes[0]", "'stride': 2", "'scene' key"]),
    "unknown scene id": (scene_yaml("{scene: conv3d}"), ["scenes[0].scene", "'conv3d'", "allowed:", "conv2d",
                                                        "backprop_pool"]),
    "unknown scene key": (scene_yaml("{scene: conv2d, strid: 2}"),
                          ["scenes[0]", "conv2d", "'strid'", "allowed:", "stride", "padding"]),
    "string for int": (scene_yaml("{scene: conv2d, stride: '2'}"), ["conv2d", "stride", "'2'", "must be an integer"]),
    "bool for int": (scene_yaml("{scene: conv2d, padding: true}"), ["conv2d", "padding", "True",
                                                                    "must be an integer"]),
    "float for int": (scene_yaml("{scene: conv2d, stride: 1.5}"), ["conv2d", "stride", "1.5", "must be an integer"]),
    "float-looking int": (scene_yaml("{scene: pooling, size: 2.0}"), ["pooling", "size", "2.0", "must be an integer"]),
    "null for int": (scene_yaml("{scene: conv2d, stride: null}"), ["stride", "None", "must be an integer"]),
    "string for number": (scene_yaml("{scene: conv2d, bias: high}"), ["bias", "'high'", "must be a finite number"]),
    "NaN for number": (scene_yaml("{scene: conv2d, bias: .nan}"), ["bias", "nan", "must be a finite number"]),
    "bad choice": (scene_yaml("{scene: pooling, mode: min}"), ["pooling", "mode", "'min'", "allowed: max, avg"]),
    "stride 0": (scene_yaml("{scene: conv2d, stride: 0}"), ["conv2d", "stride", "got 0", "integer from 1 to 16"]),
    "padding -1": (scene_yaml("{scene: conv2d, padding: -1}"), ["conv2d", "padding", "got -1", "integer from 0 to 16"]),
    "dilation 0": (scene_yaml("{scene: dilated, dilation: 0}"), ["dilated", "dilation", "got 0", "integer from 1 to 16"]),
    "kernel_size 0": (scene_yaml("{scene: conv1d, kernel_size: 0}"), ["conv1d", "kernel_size", "got 0",
                                                                      "integer from 1 to 16"]),
    "negative seed": (scene_yaml("{scene: conv2d, seed: -3}"), ["seed", "got -3", "integer from 0 to 4294967295"]),
    "pooling stride 0": (scene_yaml("{scene: pooling, stride: 0}"), ["pooling", "stride", "got 0", "from 1 to 16"]),
    "kernel larger than padded input": (
        scene_yaml("{scene: conv2d, size: 3, kernel_size: 5}"),
        ["conv2d", "kernel", "size 5", "n + 2p = 3 + 2*0 = 3", "padding >= 1"]),
    "kernel array larger than input array": (
        scene_yaml("{scene: conv2d, input: [[1, 2], [3, 4]], kernel: [[1, 0, 1], [0, 1, 0], [1, 0, 1]]}"),
        ["conv2d", "input", "kernel", "size 3", "n + 2p = 2", "padding >= 1"]),
    "dilated kernel larger": (
        scene_yaml("{scene: dilated, size: 5, kernel_size: 3, dilation: 3}"),
        ["dilated", "dilation", "effective size 7", "padding >= 1"]),
    "output_padding too big": (
        scene_yaml("{scene: transposed, stride: 2, output_padding: 2}"),
        ["transposed", "output_padding", "got 2", "smaller than stride or dilation (here < 2)"]),
    "output_padding with unit stride": (
        scene_yaml("{scene: transposed, stride: 1, output_padding: 1}"),
        ["transposed", "output_padding", "got 1", "(here < 1)"]),
    "conv1d kernel longer than input": (
        scene_yaml("{scene: conv1d, input: [1, 2], kernel: [1, 0, -1]}"),
        ["conv1d", "input", "kernel", "size 3", "n + 2p = 2"]),
    "pooling window larger than input": (
        scene_yaml("{scene: pooling, input_size: 2, size: 3}"), ["pooling", "size", "window 3", "padded input"]),
    "multichannel channel mismatch": (
        scene_yaml("{scene: multichannel, input: [[[1, 2], [3, 4]]], kernel: [[[[1]], [[1]]]]}"),
        ["multichannel", "kernel has 2 input channels but input has 1"]),
    "ragged array": (scene_yaml("{scene: conv2d, input: [[1, 2, 3], [4, 5]]}"),
                     ["conv2d", "input", "[[1, 2, 3], [4, 5]]", "list of numbers of equal lengths"]),
    "non-numeric array": (scene_yaml("{scene: conv2d, kernel: [[1, a], [0, 1]]}"),
                          ["conv2d", "kernel", "[[1, 'a'], [0, 1]]", "list of numbers"]),
    "array with NaN": (scene_yaml("{scene: conv2d, kernel: [[1, .nan], [0, 1]]}"),
                       ["conv2d", "kernel", "nan", "finite numbers"]),
    "empty array": (scene_yaml("{scene: conv1d, input: []}"), ["conv1d", "input", "[]", "non-empty"]),
    "1-D array for a 2-D key": (scene_yaml("{scene: conv2d, input: [1, 2, 3]}"),
                                ["conv2d", "input", "(3,)", "must have 2 dimension(s)"]),
    "2-D array for a 1-D key": (scene_yaml("{scene: conv1d, kernel: [[1, 0, -1]]}"),
                                ["conv1d", "kernel", "(1, 3)", "must have 1 dimension(s)"]),
    "scalar for an array": (scene_yaml("{scene: conv2d, kernel: 3}"), ["conv2d", "kernel", "got 3", "2 dimension(s)"]),
    "duplicated scene id": ("scenes:\n  - {scene: conv2d, stride: 1}\n  - {scene: pooling}\n  - {scene: conv2d}\n",
                            ["scenes[2].scene", "'conv2d'", "appears twice", "may appear once"]),
    "non-mapping top level (list)": ("- conv2d\n- pooling\n",
                                     ["top level must be a mapping", "title, language, theme, model, train, data, scenes", "got list"]),
    "non-mapping top level (scalar)": ("just a title\n", ["top level must be a mapping", "got str"]),
    "invalid YAML": ("title: [unclosed\nscenes: {\n", ["not valid YAML"]),
    "tab-indented YAML": ("scenes:\n\t- scene: conv2d\n", ["not valid YAML"]),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_is_a_config_error_naming_file_key_value_and_what_is_allowed(tmp_path, name):
    text, fragments = MISTAKES[name]
    path = write(tmp_path, text, "my_lecture.yaml")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"


def test_missing_file_is_a_config_error_naming_it(tmp_path):
    path = tmp_path / "nowhere" / "lecture.yaml"
    with pytest.raises(ConfigError, match=r"cannot read the config file") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_a_directory_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path)


def test_parse_config_names_its_source():
    with pytest.raises(ConfigError, match=r"^inline.yaml: unknown key 'colour'"):
        parse_config({"colour": "red"}, "inline.yaml")


@pytest.mark.parametrize(
    "body, fragments",
    [
        ("{scene: pooling, input: [[1, 2], [3, 4], [5, 6], [7, 8]], size: 3}",
         ["pooling", "window 3", "padded input"]),  # 4x2 input: the columns are too few for a 3-window
        ("{scene: multichannel, size: 2, kernel_size: 3}", ["multichannel", "kernel", "padded input"]),
        ("{scene: multichannel, out_channels: 2, bias: [1, 2, 3]}", ["multichannel", "bias", "3", "2"]),
        ("{scene: backprop_conv, size: 4, kernel_size: 2, delta: [[1, 2], [3, 4]]}",
         ["backprop_conv", "delta", "(2, 2)", "(3, 3)"]),
        ("{scene: backprop_pool, input_size: 4, size: 2, delta: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]}",
         ["backprop_pool", "delta", "(3, 3)", "(2, 2)"]),
    ],
)
def test_combinations_checked_on_every_axis_and_array(tmp_path, body, fragments):
    """Shapes that could only fail later, inside a scene, are refused up front."""
    path = write(tmp_path, scene_yaml(body))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"


# ------------------------------------------------------------------ scene_entry and the environment
def test_scene_entry_reads_cnnviz_config(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CONFIG", str(write(tmp_path, VALID)))
    cfg, entry = scene_entry("stride_padding")
    assert (cfg.language, cfg.theme) == ("zh", "solarized")
    assert entry.scene == "stride_padding" and entry.params.padding == 1
    _, default = scene_entry("dilated")
    assert default.params == config.SCENE_PARAMS["dilated"]()


def test_scene_entry_without_cnnviz_config_reads_the_default_file(tmp_path, monkeypatch):
    path = write(tmp_path, "title: Default lecture\nscenes:\n  - {scene: conv2d, size: 4}\n")
    monkeypatch.setattr(config, "DEFAULT_CONFIG", path)
    cfg, entry = scene_entry("conv2d")
    assert cfg.title == "Default lecture" and cfg.source == str(path)
    assert entry.params.size == 4


def test_empty_cnnviz_config_means_the_default_file(tmp_path, monkeypatch):
    path = write(tmp_path, "title: Default lecture\n")
    monkeypatch.setattr(config, "DEFAULT_CONFIG", path)
    monkeypatch.setenv("CNNVIZ_CONFIG", "")
    assert scene_entry("conv2d")[0].title == "Default lecture"


def test_environment_overrides_language_and_theme(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CONFIG", str(write(tmp_path, VALID)))
    monkeypatch.setenv("CNNVIZ_LANGUAGE", "en")
    monkeypatch.setenv("CNNVIZ_THEME", "dark")
    cfg, entry = scene_entry("conv2d")
    assert (cfg.language, cfg.theme) == ("en", "dark")
    assert cfg.title == "My CNN lecture" and entry.params.bias == 2.0  # the rest still comes from the file


@pytest.mark.parametrize("var, value, allowed", [("CNNVIZ_THEME", "neon", "dark, solarized"),
                                                 ("CNNVIZ_LANGUAGE", "de", "en, zh")])
def test_environment_refuses_a_bad_value(tmp_path, monkeypatch, var, value, allowed):
    monkeypatch.setenv("CNNVIZ_CONFIG", str(write(tmp_path, VALID)))
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=rf"{var}: got '{value}'; allowed: {allowed}"):
        scene_entry("conv2d")


def test_scene_entry_reports_a_bad_file_and_a_missing_file(tmp_path, monkeypatch):
    bad = write(tmp_path, scene_yaml("{scene: conv2d, stride: 0}"))
    monkeypatch.setenv("CNNVIZ_CONFIG", str(bad))
    with pytest.raises(ConfigError, match="stride: got 0"):
        scene_entry("conv2d")
    monkeypatch.setenv("CNNVIZ_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="missing.yaml: cannot read"):
        scene_entry("conv2d")


def test_scene_entry_refuses_an_unknown_scene(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CONFIG", str(write(tmp_path, VALID)))
    with pytest.raises(ConfigError, match="unknown scene id 'nope'"):
        scene_entry("nope")


# ------------------------------------------------------------------ the parameter models
def int_keys(cls):
    """The integer keys of a parameters class (each declares its range)."""
    return [k for k, f in cls.model_fields.items() if f.annotation in (int, int | None)]


@pytest.mark.parametrize("scene_id", list(config.SCENE_PARAMS))
def test_every_params_model_refuses_an_unknown_key_and_lists_the_allowed_ones(scene_id):
    cls = config.SCENE_PARAMS[scene_id]
    with pytest.raises(ConfigError) as info:
        parse_config({"scenes": [{"scene": scene_id, "no_such_key": 1}]}, "t.yaml")
    assert str(info.value) == (f"t.yaml: scenes[0] ({scene_id}): unknown key 'no_such_key' for scene {scene_id!r}; "
                               f"allowed: {', '.join(sorted(cls.model_fields))}")
    with pytest.raises(ValueError, match="no_such_key"):  # code that builds parameters is held to them too
        cls(no_such_key=1)
    params = cls()
    with pytest.raises(ValueError):  # frozen: parameters key the render cache
        params.seed = 1
    assert params.seed == 0


@pytest.mark.parametrize("scene_id", list(config.SCENE_PARAMS))
def test_each_integer_bound_is_reported_with_its_key_and_the_range(scene_id):
    cls = config.SCENE_PARAMS[scene_id]
    assert int_keys(cls), scene_id  # every scene has at least `seed`
    for key in int_keys(cls):
        lo, hi = config.int_limits(cls, key)
        assert 0 <= lo < hi
        for value in (lo - 1, hi + 1, "3", 3.0, True):  # strict: what YAML does not call an integer is none
            with pytest.raises(ConfigError) as info:
                parse_config({"scenes": [{"scene": scene_id, key: value}]}, "t.yaml")
            assert str(info.value) == (f"t.yaml: scenes[0] ({scene_id}).{key}: got {value!r}; "
                                       f"must be an integer from {lo} to {hi}")


@pytest.mark.parametrize("scene_id", list(config.SCENE_PARAMS))
def test_each_array_and_number_key_names_what_it_takes(scene_id):
    cls = config.SCENE_PARAMS[scene_id]
    for key in cls.model_fields:
        literal = typing.get_origin(cls.model_fields[key].annotation) is typing.Literal
        if key in int_keys(cls) or key in config.PATH_KEYS or literal:  # a path or a choice: "x" may do
            continue
        if key in (*config.NETWORK_KEYS, "data"):  # the lecture's network and data: keys of the file's top,
            continue                                 # refused in a scene
        with pytest.raises(ConfigError) as info:
            parse_config({"scenes": [{"scene": scene_id, key: "x"}]}, "t.yaml")
        message = str(info.value)
        assert message.startswith(f"t.yaml: scenes[0] ({scene_id}).{key}: got 'x'; must be a "), message
        assert "finite number" in message or "(nested) list of numbers with" in message, message


def test_the_bounds_are_the_ones_the_readme_gives():
    assert config.int_limits(config.ConvParams, "size") == (1, 16)
    assert config.int_limits(config.ConvParams, "padding") == (0, 16)
    assert config.int_limits(config.ConvParams, "seed") == (0, 2**32 - 1)
    assert config.int_limits(config.PoolingParams, "stride") == (1, 16)  # None (the window's size) besides
    assert config.int_limits(config.ReceptiveFieldParams, "kernel_size") == (1, 7)
    assert config.int_limits(config.ImageFiltersParams, "size") == (8, 160)
    assert config.int_limits(config.MnistParams, "index") == (0, 9999)
    assert config.int_limits(config.LocalConnectivityParams, "image_size") == (1, 1000)


def test_parameters_built_in_code_are_validated_but_their_files_are_read_only_from_a_config(tmp_path):
    with pytest.raises(ValueError, match="size"):
        config.ConvParams(size=100)
    with pytest.raises(ValueError, match="at most 8 cells"):  # the combinations too
        config.ConvParams(size=12)
    missing = str(tmp_path / "missing.pt")
    assert config.MnistParams(checkpoint=missing).checkpoint == missing  # the values module refuses it on use
    with pytest.raises(ConfigError, match="no such file"):
        parse_config({"scenes": [{"scene": "error_flow", "checkpoint": missing}]})


def test_numbers_and_arrays_are_stored_as_floats():
    params = parse_config({"scenes": [{"scene": "conv2d", "bias": 2, "input": [[1, 2], [3, 4]], "kernel": [[1]]}]})
    params = params.scenes[0].params
    assert params.bias == 2.0 and isinstance(params.bias, float)
    assert params.input == [[1.0, 2.0], [3.0, 4.0]] and all(isinstance(x, float) for row in params.input for x in row)


@pytest.mark.parametrize("scene_id, text", [
    ("conv2d", '{"seed": 0, "input": null, "kernel": null, "size": 5, "kernel_size": 3, "bias": 0.0, "stride": 1, '
               '"padding": 0, "dilation": 1}'),
    ("backprop_conv", '{"seed": 0, "input": null, "kernel": null, "size": 4, "kernel_size": 2, "bias": 0.0, '
                      '"stride": 1, "padding": 0, "dilation": 1, "delta": null}'),
    ("pooling", '{"seed": 0, "input": null, "input_size": 4, "mode": "max", "size": 2, "stride": null}'),
    ("error_flow", '{"seed": 0, "index": 0, "checkpoint": null, "input_image": null, "label": null}'),
])
def test_the_params_written_beside_a_clip_keep_their_keys_order(scene_id, text):
    """``<id>.json``'s "params": the base's keys first, a subclass's new keys after, overridden defaults in place."""
    import json

    from cnnviz.values import scene_json, scene_values

    params = config.SCENE_PARAMS[scene_id]()
    if scene_id == "error_flow":  # its values need MNIST; the params are the point here
        dumped = params.model_dump()
        # the lecture's network and data follow the scene's own keys (its model as a lecture file writes it)
        assert list(dumped)[-3:] == ["model", "train", "data"] and dumped["model"] == config.ModelConfig().to_dict()
        assert dumped["data"] is None  # MNIST
        assert json.dumps({k: v for k, v in dumped.items() if k not in ("model", "train", "data")}) == text
        return
    assert json.dumps(scene_json(scene_id, params, scene_values(scene_id, params))["params"]) == text


def test_a_relative_path_in_a_config_starts_at_its_folder_and_the_default_is_shipped(tmp_path):
    from cnnviz.paths import ASSETS

    shutil_photo = (ASSETS / "photo.png").read_bytes()
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "cat.png").write_bytes(shutil_photo)
    cfg = tmp_path / "my.yaml"
    cfg.write_text("scenes:\n  - scene: image_filters\n    image: pics/cat.png\n", encoding="utf-8")
    entry = config.load_config(cfg).entry("image_filters")
    assert entry.params.image_path() == tmp_path / "pics" / "cat.png"
    cfg.write_text("scenes:\n  - scene: image_filters\n", encoding="utf-8")
    assert config.load_config(cfg).entry("image_filters").params.image_path() == ASSETS / "photo.png"
