"""Hostile and careless ``residual`` entries: each refused with exit 2 and one message naming the file, the key,
the value and the range, before any work (no MNIST read, no network built)."""

from __future__ import annotations


import pytest

from cnnviz.config import ConfigError, ResidualParams, parse_config

from hostile_support import assert_refused

CASES = {
    "blocks 0": ("blocks: 0", ["blocks", "got 0", "from 1 to 16"]),
    "blocks 17": ("blocks: 17", ["blocks", "got 17", "from 1 to 16"]),
    "blocks 10**30": ("blocks: " + str(10**30), ["blocks", "from 1 to 16"]),
    "blocks as text": ("blocks: '10'", ["blocks", "'10'", "must be an integer"]),
    "blocks as float": ("blocks: 10.0", ["blocks", "10.0", "must be an integer"]),
    "blocks true": ("blocks: true", ["blocks", "True", "must be an integer"]),
    "channels 0": ("channels: 0", ["channels", "got 0", "from 4 to 16"]),
    "channels 3": ("channels: 3", ["channels", "got 3", "from 4 to 16"]),
    "channels 1024": ("channels: 1024", ["channels", "got 1024", "from 4 to 16"]),
    "batch_size 0": ("batch_size: 0", ["batch_size", "got 0", "from 1 to 256"]),
    "batch_size 60000": ("batch_size: 60000", ["batch_size", "got 60000", "from 1 to 256"]),
    "batch_size -1": ("batch_size: -1", ["batch_size", "got -1", "from 1 to 256"]),
    "size 5": ("size: 5", ["size", "got 5", "from 2 to 3"]),
    "size 1": ("size: 1", ["size", "got 1", "from 2 to 3"]),
    "seed -1": ("seed: -1", ["seed", "got -1", "from 0 to 4294967295"]),
    "seed 2**32": ("seed: " + str(2**32), ["seed", "from 0 to 4294967295"]),
    "unknown key": ("depth: 20", ["unknown key 'depth'", "allowed: batch_size, blocks, channels, seed, size"]),
    "a list for blocks": ("blocks: [1, 2]", ["blocks", "must be an integer"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_residual_entry_gets_exit_2_naming_file_key_and_value(name, tmp_path, capsys):
    entry, fragments = CASES[name]
    err = assert_refused("residual", f"scenes:\n  - scene: residual\n    {entry}\n", fragments, tmp_path, capsys)
    assert "(residual)" in err


def test_parameters_built_in_code_are_held_to_the_same_bounds():
    for key, value in (("blocks", 17), ("channels", 0), ("batch_size", 257), ("size", 4), ("seed", -1)):
        with pytest.raises(ValueError, match=key):
            ResidualParams(**{key: value})
    with pytest.raises(ConfigError, match="blocks"):
        parse_config({"scenes": [{"scene": "residual", "blocks": 99}]}, "t.yaml")
    assert ResidualParams().blocks == 10 and ResidualParams().channels == 8
