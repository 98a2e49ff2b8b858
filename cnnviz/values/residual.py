"""Values of the ``residual`` scene: a residual block y = F(x) + x with real numbers, and why it trains.

The block: a seeded ``size``×``size`` input x and two seeded 3×3 kernels W₁, W₂ (small integers, zero bias,
padding 1 so every map keeps the input's size); F(x) = (h(x ⊗ W₁)) ⊗ W₂ with h = ReLU, then y = F(x) + x
cell by cell. All in float64 with :func:`torch.nn.functional.conv2d`.

Why it trains: two stacks of the same layers on a real MNIST batch (``batch_size`` test digits chosen by
``seed``): a stem convolution 1 → C (C = ``channels``) with ReLU, then ``blocks`` blocks of
F = conv → ReLU → conv (C → C, 3×3, padding 1), a plain one (x ← F(x)) and one with shortcuts
(x ← F(x) + x), and a dense head to the 10 classes; PyTorch's default initialisation drawn after
``torch.manual_seed(seed)``, the same weights in both stacks; cross-entropy. The norm of the gradient of each
convolution's kernel, ‖∂ℒ/∂W_l‖, is measured with autograd (float64) per layer: in the plain stack it shrinks
by orders of magnitude on its way back to layer 1, with shortcuts it does not.

The forward view: with shortcuts the stack's output is the stem's output plus every block's F, x_L = x_0 +
Σ F(x_i) (the input "thrown back" into the output), checked here to float precision.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ..config import ResidualParams
from . import SceneValues, fmt, seeded_ints

__all__ = ["CLASSES", "KERNEL", "block_values", "compute", "gradient_norms", "mnist_batch", "stack_weights"]

KERNEL = 3  # every convolution here: 3×3, padding 1, so maps keep their size
CLASSES = 10
SIDE = 28  # MNIST's digits


@contextmanager
def _one_thread() -> Iterator[None]:
    """Torch on one thread: these small float64 convolutions ran 30× slower on the shared cores' thread pool."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def block_values(p: ResidualParams) -> dict[str, np.ndarray]:
    """The shown block on its seeded input: x, W₁, W₂, Z₁ = x ⊗ W₁, h(Z₁), F(x) = h(Z₁) ⊗ W₂ and
    y = F(x) + x."""
    x = seeded_ints(p.seed, (p.size, p.size), 0, 3)
    w1 = seeded_ints(p.seed + 1, (KERNEL, KERNEL), -1, 1)
    w2 = seeded_ints(p.seed + 2, (KERNEL, KERNEL), -1, 1)
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    z1 = F.conv2d(xt, torch.tensor(w1)[None, None], padding=KERNEL // 2)
    h1 = F.relu(z1)
    f = F.conv2d(h1, torch.tensor(w2)[None, None], padding=KERNEL // 2)
    y = f + xt
    return {"input": x, "kernel1": w1, "kernel2": w2, "z1": z1[0, 0].numpy(), "relu1": h1[0, 0].numpy(),
            "residual": f[0, 0].numpy(), "output": y[0, 0].numpy()}


def mnist_batch(p: ResidualParams) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """``batch_size`` MNIST test digits chosen by ``seed`` (float64 in [0, 1], N×1×28×28), their labels and
    their indices in the test split."""
    from ..mnist.data import load_mnist

    images, labels = load_mnist("test")
    index = np.sort(np.random.default_rng(p.seed).choice(len(images), size=p.batch_size, replace=False))
    x = torch.tensor(images[index], dtype=torch.float64)[:, None] / 255.0
    return x, torch.tensor(labels[index].astype(np.int64)), index


Pair = tuple[torch.Tensor, torch.Tensor]  # a layer's (weight, bias)


def stack_weights(p: ResidualParams) -> tuple[list[Pair], Pair]:
    """The convolutions' (weight, bias) and the head's, as PyTorch's default initialisation draws them after
    ``torch.manual_seed(seed)`` (in a forked RNG: the caller's random state is left as it was), in float64.
    One set for both stacks: they differ only in their shortcuts."""
    widths = [(1, p.channels)] + [(p.channels, p.channels)] * (2 * p.blocks)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(p.seed)
        convs = [torch.nn.Conv2d(i, o, KERNEL, padding=KERNEL // 2) for i, o in widths]
        head = torch.nn.Linear(p.channels * SIDE * SIDE, CLASSES)
    conv_params = [(c.weight.detach().double(), c.bias.detach().double()) for c in convs]
    return conv_params, (head.weight.detach().double(), head.bias.detach().double())


def gradient_norms(p: ResidualParams, shortcut: bool,
                   batch: tuple[torch.Tensor, torch.Tensor, np.ndarray] | None = None) -> dict[str, object]:
    """One stack's loss on the batch (default :func:`mnist_batch`) and ‖∂ℒ/∂W_l‖ of each of its convolutions
    (layer 1 the stem), by autograd; also the stem's output x_0, each block's F(x_i) and the stack's output."""
    x, labels, _ = batch if batch is not None else mnist_batch(p)
    conv_params, (head_w, head_b) = stack_weights(p)
    weights = [w.clone().requires_grad_(True) for w, _ in conv_params]
    with _one_thread():
        h = F.relu(F.conv2d(x, weights[0], conv_params[0][1], padding=KERNEL // 2))
        stem, branches = h, []
        for b in range(p.blocks):
            (_, b1), (_, b2) = conv_params[1 + 2 * b], conv_params[2 + 2 * b]
            f = F.conv2d(F.relu(F.conv2d(h, weights[1 + 2 * b], b1, padding=KERNEL // 2)), weights[2 + 2 * b], b2,
                         padding=KERNEL // 2)
            branches.append(f)
            h = f + h if shortcut else f
        loss = F.cross_entropy(F.linear(h.flatten(1), head_w, head_b), labels)
        loss.backward()
    return {"loss": float(loss.detach()), "norms": [float(w.grad.norm()) for w in weights],
            "stem": stem.detach(), "branches": [f.detach() for f in branches], "out": h.detach()}


def _layer_ticks(layers: int) -> list[int]:
    """The chart's layer numbers: 1, every fifth, and the last unless it crowds the fifth before it."""
    ticks = [1] + list(range(5, layers + 1, 5))
    return ticks + [layers] if layers - ticks[-1] >= 3 else ticks


def _log_ticks(values: list[float]) -> tuple[int, int]:
    """The chart's range of log₁₀ values: whole decades around every norm."""
    logs = [math.log10(v) for v in values if v > 0]
    return math.floor(min(logs)), math.ceil(max(logs))


def compute(p: ResidualParams) -> SceneValues:
    block = block_values(p)
    arrays: dict[str, object] = dict(block)
    arrays["size"] = p.size
    # the first cell of the addition, as the narrator reads it
    arrays["first_cell_text"] = {k: fmt(block[v][0, 0])
                                 for k, v in (("f", "residual"), ("x", "input"), ("y", "output"))}
    batch = mnist_batch(p)
    _, labels, index = batch
    plain, short = gradient_norms(p, False, batch), gradient_norms(p, True, batch)
    if min(plain["norms"] + short["norms"]) <= 0:
        raise ValueError("a layer's gradient is exactly zero (every ReLU dead on this batch); try another seed")
    lo, hi = _log_ticks(plain["norms"] + short["norms"])
    layers = len(plain["norms"])
    # the forward view: x_L = x_0 + Σ F(x_i), the identity path carrying the stem's output to the end
    unrolled = short["stem"] + sum(short["branches"])
    forward_error = float((short["out"] - unrolled).abs().max())
    if forward_error > 1e-9 * max(1.0, float(short["out"].abs().max())):
        raise AssertionError(f"x_L differs from x_0 + sum of F by {forward_error}")
    ratio = short["norms"][0] / plain["norms"][0]
    arrays.update({
        "batch_size": p.batch_size, "batch_index": index.tolist(), "batch_labels": labels.tolist(),
        "channels": p.channels, "blocks": p.blocks, "layers": layers, "layer_numbers": list(range(1, layers + 1)),
        "layer_ticks": _layer_ticks(layers),
        "plain_loss": plain["loss"], "shortcut_loss": short["loss"],
        "plain_norms": plain["norms"], "shortcut_norms": short["norms"],
        "plain_log_norms": [math.log10(v) for v in plain["norms"]],
        "shortcut_log_norms": [math.log10(v) for v in short["norms"]],
        "log_range": [lo, hi], "log_ticks": list(range(lo, hi + 1)),
        "log_tick_text": [str(k).replace("-", "−") for k in range(lo, hi + 1)],
        "first_layer_plain": plain["norms"][0], "first_layer_shortcut": short["norms"][0],
        "last_layer_plain": plain["norms"][-1], "last_layer_shortcut": short["norms"][-1],
        "first_layer_ratio": ratio, "first_layer_decades": math.log10(ratio),
        "plain_first_tex": _sci_tex(plain["norms"][0]), "shortcut_first_tex": _sci_tex(short["norms"][0]),
        "plain_last_tex": _sci_tex(plain["norms"][-1]), "shortcut_last_tex": _sci_tex(short["norms"][-1]),
        "ratio_tex": _sci_tex(ratio),
        "plain_first_text": _sci_text(plain["norms"][0]), "shortcut_first_text": _sci_text(short["norms"][0]),
        "forward_error_tex": _sci_tex(forward_error) if forward_error > 0 else "0",
        "forward_error_text": _sci_text(forward_error) if forward_error > 0 else "0",
        "decades_text": fmt(math.log10(ratio), 1),
        "forward_max_error": forward_error,
        "forward_stem_norm": float(short["stem"].norm()), "forward_branch_norm": float(sum(short["branches"]).norm()),
        "forward_out_norm": float(short["out"].norm()),
        "plain_loss_text": fmt(plain["loss"], 3), "shortcut_loss_text": fmt(short["loss"], 3),
    })
    return SceneValues(arrays)


def _sci_tex(v: float) -> str:
    """``v`` as "m × 10^k" with one decimal of m, in LaTeX (``1.2 \\times 10^{-8}``)."""
    k = math.floor(math.log10(abs(v)))
    m = v / 10**k
    if round(m, 1) >= 10:
        m, k = m / 10, k + 1
    return rf"{m:.1f} \times 10^{{{k}}}" if k != 0 else f"{m:.1f}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sci_text(v: float) -> str:
    """``v`` for a caption: "5.4 × 10⁻⁹", or plainly with two significant digits between 0.01 and 1000."""
    if 0.01 <= abs(v) < 1000:
        return f"{v:.2g}"
    k = math.floor(math.log10(abs(v)))
    m = v / 10**k
    if round(m, 1) >= 10:
        m, k = m / 10, k + 1
    return f"{m:.1f} × 10" + str(k).translate(_SUPERSCRIPT)
