"""Values of the ``backprop_pool`` scene: up(δ) through max and mean pooling, window by window.

Both modes are computed, the configured ``mode`` first; each mode's steps carry what lands in each
cell of the window (``shares``) and the running ∂L/∂A after the step (``running``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backprop import PoolBackward, avg_pool2d_backward, max_pool2d_backward
from ..config import BackpropPoolParams
from ..shapes import pool_output_size
from . import SceneValues, given_or_seeded


@dataclass(frozen=True)
class UpStep:
    """One window: δ at ``out_pos`` goes to ``cells`` (input coordinates) as ``shares``."""

    out_pos: tuple[int, int]
    cells: tuple[tuple[int, int], ...]
    delta: float
    shares: np.ndarray  # what each cell of the window receives, the window's shape
    chosen: tuple[int, int] | None  # max pooling: the argmax cell
    divisor: int | None  # mean pooling: the window's size
    running: np.ndarray  # ∂L/∂A after this window


@dataclass(frozen=True)
class ModeValues:
    mode: str
    back: PoolBackward
    steps: list[UpStep]


def _mode(mode: str, x: np.ndarray, delta: np.ndarray, p: BackpropPoolParams) -> ModeValues:
    fn = max_pool2d_backward if mode == "max" else avg_pool2d_backward
    back = fn(x, delta, p.size, stride=p.stride)
    running = np.zeros_like(x)
    steps = []
    for s in back.trace.steps:
        g = float(delta[s.out_pos])
        shares = np.zeros(s.patch.shape)
        if mode == "max":
            shares.flat[s.chosen] = g
        else:
            shares[:] = g / s.divisor
        for cell, share in zip(s.cells, shares.flat):
            running[cell] += share
        steps.append(UpStep(s.out_pos, s.cells, g, shares, s.argmax, s.divisor, running.copy()))
    assert np.allclose(running, back.grad_input)
    return ModeValues(mode, back, steps)


def compute(p: BackpropPoolParams) -> SceneValues:
    x = given_or_seeded(p.input, p.seed, (p.input_size,) * 2, 0, 9)
    out_shape = tuple(pool_output_size(n, p.size, stride=p.stride) for n in x.shape)
    delta = given_or_seeded(p.delta, p.seed + 1, out_shape, -3, 3)
    order = [p.mode] + [m for m in ("max", "avg") if m != p.mode]
    modes = {m: _mode(m, x, delta, p) for m in order}
    # window scenes name their arrays alike (README, "The numbers beside each clip"): the configured mode's
    # forward output is `output`, both modes' under `outputs`
    arrays = {"input": x, "delta": delta, "modes": order, "output": modes[p.mode].back.trace.output,
              "outputs": {m: mv.back.trace.output for m, mv in modes.items()},
              "grad_input": modes[p.mode].back.grad_input}
    for m, mv in modes.items():
        arrays[f"{m}_grad_input"] = mv.back.grad_input
        arrays[f"{m}_shares"] = [s.shares for s in mv.steps]
        arrays[f"{m}_running"] = [s.running for s in mv.steps]
        if m == "max":
            arrays["max_argmax"] = [s.chosen for s in mv.steps]
        else:
            arrays["avg_divisors"] = [s.divisor for s in mv.steps]
    return SceneValues(arrays, {"modes": [modes[m] for m in order], "delta": delta})
