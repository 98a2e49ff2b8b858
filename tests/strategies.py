"""Hypothesis strategies shared by the core's tests: one axis of a conv, pool or transposed conv."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def rng_array(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def conv_axis(draw, max_k=3, max_s=3, max_p=2, max_d=2, max_q=3):
    """(n, k, s, p, d) along one axis with a valid output; n - k_eff + 2p leaves any remainder mod s."""
    k = draw(st.integers(1, max_k))
    d = draw(st.integers(1, max_d))
    s = draw(st.integers(1, max_s))
    p = draw(st.integers(0, max_p))
    eff = d * (k - 1) + 1
    q = draw(st.integers(0, max_q))
    r = draw(st.integers(0, s - 1))  # the part of the padded input the floor leaves unused
    n = eff - 2 * p + s * q + r
    while n < 1:
        n += s  # keeps the remainder r
    return n, k, s, p, d


@st.composite
def pool_axis(draw, max_k=3, max_s=3, max_extra=5):
    """(n, k, s, p) with padding at most half the window, as torch requires."""
    k = draw(st.integers(1, max_k))
    p = draw(st.integers(0, k // 2))
    s = draw(st.integers(1, max_s))
    n = max(1, k - 2 * p) + draw(st.integers(0, max_extra))
    return n, k, s, p


@st.composite
def transpose_axis(draw, max_i=4, max_k=3, max_s=3, max_d=2):
    """(i, k, s, p, a, d): output_padding a < max(s, d) and an output at least 1 long."""
    i = draw(st.integers(1, max_i))
    k = draw(st.integers(1, max_k))
    s = draw(st.integers(1, max_s))
    d = draw(st.integers(1, max_d))
    a = draw(st.integers(0, max(s, d) - 1))
    p = draw(st.integers(0, (s * (i - 1) + a + d * (k - 1)) // 2))
    return i, k, s, p, a, d
