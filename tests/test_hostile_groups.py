"""Hostile and careless entries for group_conv and depthwise_separable: each gets exit 2 and one message naming
the file, the scene, the key and the value; no traceback, nothing rendered."""

from __future__ import annotations

import pytest


from hostile_support import assert_refused


def scene(entry: str) -> str:
    return f"scenes:\n  - {entry}\n"


# name: (config text, fragments the message must contain besides the file name)
CASES: dict[str, tuple[str, list[str]]] = {
    "groups not dividing in_channels": (scene("{scene: group_conv, in_channels: 4, groups: 3}"),
                                        ["group_conv", "groups (3) must divide in_channels (4)"]),
    "groups not dividing out_channels": (scene("{scene: group_conv, in_channels: 4, out_channels: 6, groups: 4}"),
                                         ["group_conv", "groups (4) must divide out_channels (6)"]),
    "groups 0": (scene("{scene: group_conv, groups: 0}"), ["group_conv", "groups", "got 0", "from 1 to 4"]),
    "groups 10**30": (scene("{scene: group_conv, groups: " + str(10**30) + "}"), ["groups", "from 1 to 4"]),
    "groups a string": (scene("{scene: group_conv, groups: '2'}"), ["groups", "'2'", "must be an integer"]),
    "groups a float": (scene("{scene: group_conv, groups: 2.0}"), ["groups", "2.0", "must be an integer"]),
    "in_channels 9": (scene("{scene: group_conv, in_channels: 9}"), ["in_channels", "got 9", "from 1 to 8"]),
    "out_channels -1": (scene("{scene: group_conv, out_channels: -1}"), ["out_channels", "got -1", "from 1 to 8"]),
    "group kernel larger than input": (scene("{scene: group_conv, size: 2, kernel_size: 3}"),
                                       ["group_conv", "size, kernel_size do not fit together"]),
    "size 100": (scene("{scene: group_conv, size: 100}"), ["size", "got 100", "from 1 to 5"]),
    "one group too wide to draw": (scene("{scene: group_conv, in_channels: 8, out_channels: 8, groups: 1}"),
                                   ["group_conv", "in_channels / groups = 8", "legibly"]),
    "group_conv unknown key": (scene("{scene: group_conv, group: 2}"), ["group_conv", "'group'", "allowed:",
                                                                        "groups"]),
    "depthwise groups not in_channels": (scene("{scene: depthwise_separable, in_channels: 3, groups: 1}"),
                                         ["depthwise_separable", "groups (1) must equal in_channels (3)",
                                          "g = C_in = C_out"]),
    "depthwise groups 100": (scene("{scene: depthwise_separable, groups: 100}"), ["groups", "got 100", "from 1 to 4"]),
    "depthwise in_channels 5": (scene("{scene: depthwise_separable, in_channels: 5}"),
                                ["in_channels", "got 5", "from 1 to 4"]),
    "depthwise kernel_size 0": (scene("{scene: depthwise_separable, kernel_size: 0}"),
                                ["kernel_size", "got 0", "from 1 to 4"]),
    "depthwise too wide": (scene("{scene: depthwise_separable, in_channels: 4, size: 4}"),
                           ["depthwise_separable", "in_channels (4)", "at most 12 cells side by side"]),
    "depthwise maps too large beside the 1x1 kernels": (scene("{scene: depthwise_separable, in_channels: 2, "
                                                             "out_channels: 3, kernel_size: 2, size: 5}"),
                                                       ["out_channels (3)", "4x4", "at most 3x3"]),
    "depthwise column too tall": (scene("{scene: depthwise_separable, in_channels: 4, kernel_size: 2, size: 3}"),
                                  ["in_channels x (output size + 1) = 4 x 3 <= 10"]),
    "depthwise kernel larger than input": (scene("{scene: depthwise_separable, size: 2, kernel_size: 3}"),
                                           ["size, kernel_size do not fit together"]),
    "depthwise input not taken": (scene("{scene: depthwise_separable, input: [[1]]}"),
                                  ["depthwise_separable", "'input'", "allowed:"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_group_entry_gets_exit_2_and_a_message_naming_the_key(name, tmp_path, capsys):
    body, fragments = CASES[name]
    assert_refused("group_conv", body, fragments, tmp_path, capsys)