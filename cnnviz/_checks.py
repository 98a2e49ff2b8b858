"""Argument checking shared by every op: clear ``ValueError``s, nothing clipped or guessed."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = ["as_float_array", "as_int", "as_pair", "check_ndim"]

IntOrPair = int | tuple[int, int]


def as_float_array(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array, refusing non-numeric, empty, NaN and infinite input."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a numeric array; got {type(x).__name__} ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers; it contains NaN or infinity")
    return arr


def as_int(value: Any, name: str, *, minimum: int) -> int:
    """Return ``value`` as an int ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if not isinstance(value, Integral):
        if isinstance(value, Real) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return value


def as_pair(value: Any, name: str, *, minimum: int) -> tuple[int, int]:
    """Return ``value`` (an int or a pair of ints) as a pair, each ``>= minimum``."""
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints; got {tuple(value)!r}")
        return (as_int(value[0], f"{name}[0]", minimum=minimum), as_int(value[1], f"{name}[1]", minimum=minimum))
    v = as_int(value, name, minimum=minimum)
    return (v, v)


def check_ndim(arr: np.ndarray, name: str, allowed: tuple[int, ...], meaning: str) -> None:
    """Refuse an array whose number of dimensions is not in ``allowed``."""
    if arr.ndim not in allowed:
        raise ValueError(f"{name} must have shape {meaning}; got shape {arr.shape}")
