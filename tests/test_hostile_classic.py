"""Hostile and careless entries for the lenet and alexnet scenes: each is refused by the CLI with exit 2 and one
message naming the file, the scene, the key, the value and what is allowed; no traceback, no render."""

from __future__ import annotations

import pytest


from hostile_support import assert_refused


def scene(entry: str) -> str:
    return f"scenes:\n  - {entry}\n"


CASES = {
    "alexnet padding 6": (scene("{scene: alexnet, padding: 6}"), ["alexnet", "padding", "got 6", "from 0 to 5"]),
    "alexnet padding -1": (scene("{scene: alexnet, padding: -1}"), ["padding", "got -1", "from 0 to 5"]),
    "alexnet padding huge": (scene("{scene: alexnet, padding: " + str(10**40) + "}"), ["padding", "from 0 to 5"]),
    "alexnet padding 2.0": (scene("{scene: alexnet, padding: 2.0}"), ["padding", "got 2.0", "integer"]),
    "alexnet padding '2'": (scene("{scene: alexnet, padding: '2'}"), ["padding", "got '2'", "integer"]),
    "alexnet dropout_p 1": (scene("{scene: alexnet, dropout_p: 1}"), ["dropout_p", "got 1", "from 0.1 to 0.9"]),
    "alexnet dropout_p 0": (scene("{scene: alexnet, dropout_p: 0}"), ["dropout_p", "got 0", "from 0.1 to 0.9"]),
    "alexnet dropout_p nan": (scene("{scene: alexnet, dropout_p: .nan}"), ["dropout_p", "got nan", "NaN"]),
    "alexnet dropout_p inf": (scene("{scene: alexnet, dropout_p: .inf}"), ["dropout_p", "got inf", "infinity"]),
    "alexnet dropout_p huge": (scene("{scene: alexnet, dropout_p: " + str(10**400) + "}"),
                               ["dropout_p", "from 0.1 to 0.9"]),
    "alexnet dropout_p yes": (scene("{scene: alexnet, dropout_p: yes}"), ["dropout_p", "got True", "finite number"]),
    "alexnet dropout_p list": (scene("{scene: alexnet, dropout_p: [0.5]}"), ["dropout_p", "got [0.5]", "number"]),
    "alexnet dropout_seed -1": (scene("{scene: alexnet, dropout_seed: -1}"),
                                ["dropout_seed", "got -1", "from 0 to 4294967295"]),
    "alexnet dropout_seed 2**32": (scene("{scene: alexnet, dropout_seed: 4294967296}"),
                                   ["dropout_seed", "got 4294967296", "from 0 to 4294967295"]),
    "alexnet misspelt key": (scene("{scene: alexnet, dropout: 0.5}"),
                             ["unknown key 'dropout'", "allowed: dropout_p, dropout_seed, padding, seed"]),
    "lenet any key": (scene("{scene: lenet, padding: 2}"), ["lenet", "unknown key 'padding'", "allowed: seed"]),
    "lenet seed -1": (scene("{scene: lenet, seed: -1}"), ["lenet", "seed", "got -1"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_classic_entry_gets_exit_2_and_names_key_and_value(name, tmp_path, capsys):
    body, fragments = CASES[name]
    assert_refused("lenet" if "lenet" in name else "alexnet", body, fragments, tmp_path, capsys)