"""The examples in the core's docstrings are what a reader copies: they must stay true."""

from __future__ import annotations

import doctest

import pytest

import cnnviz.backprop
import cnnviz.ops
import cnnviz.shapes
import cnnviz.trace
import cnnviz.values


@pytest.mark.parametrize("module", [cnnviz.ops, cnnviz.shapes, cnnviz.trace, cnnviz.backprop, cnnviz.values],
                         ids=lambda m: m.__name__)
def test_docstring_examples_hold(module):
    result = doctest.testmod(module, extraglobs={"np": __import__("numpy")}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert module is cnnviz.values or result.attempted > 0, "the core documents each module with examples"
