"""The numbers the MNIST scenes draw, read from the real trained model: plain numpy and dataclasses.

Everything here runs the model in float64 (a copy; the caller's model is untouched), so the values
a scene shows and the layer-by-layer backpropagation below agree to ~1e-12, not float32's ~1e-6.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .model import LayerInfo, MnistCNN, layer_kind, layer_summary
from .train import HISTORY_NAME, EpochRecord
from ..paths import user_command

__all__ = [
    "Architecture",
    "BackpropMismatchError",
    "DigitBackprop",
    "DigitValues",
    "LayerGradients",
    "LayerValues",
    "architecture",
    "digit_backprop",
    "digit_values",
    "training_history",
]

# float64 agreement of the core's layer-by-layer backprop with autograd
BACKPROP_ATOL = 1e-10
BACKPROP_RTOL = 1e-7


class BackpropMismatchError(AssertionError):
    """The core's backprop disagrees with torch.autograd: a bug, never a rounding matter in float64."""


@dataclass(frozen=True)
class Architecture:
    """The network as a table: input shape, one :class:`LayerInfo` per layer, total parameter count."""

    input_shape: tuple[int, int, int]
    layers: list[LayerInfo]
    total_params: int


def architecture(model: MnistCNN) -> Architecture:
    """Each layer's name, kind, output shape and parameter count, measured on the real ``model``."""
    rows = layer_summary(model)
    return Architecture(input_shape=tuple(model.config.input), layers=rows, total_params=sum(r.params for r in rows))


def training_history(path: str | os.PathLike[str]) -> list[EpochRecord]:
    """The epochs of a ``history.json`` (or of the one inside a training output folder)."""
    p = Path(path)
    if p.is_dir():
        p = p / HISTORY_NAME
    try:
        data = json.loads(p.read_text())
        return [EpochRecord(**r) for r in data["epochs"]]
    except FileNotFoundError:
        raise FileNotFoundError(f"{p}: no training history; train with `{user_command('train')}`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{p}: not a cnnviz training history ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True)
class LayerValues:
    """One layer's output for one digit: ``z`` before the activation, ``a`` after (equal if none)."""

    name: str
    kind: str
    activation: str | None
    z: np.ndarray
    a: np.ndarray


@dataclass(frozen=True)
class DigitValues:
    """Everything a forward-pass scene shows for one test digit."""

    index: int
    label: int
    image: np.ndarray  # (28, 28) in [0, 1], as the network sees it
    layers: list[LayerValues]
    kernels: np.ndarray  # (32, 3, 3): the learned first-layer kernels
    biases: np.ndarray  # (32,): their biases
    probabilities: np.ndarray  # (10,) softmax output
    prediction: int

    def layer(self, name: str) -> LayerValues:
        """The layer called ``name`` (``"conv1"``, ``"pool1"``, ..., ``"dense2"``)."""
        for lv in self.layers:
            if lv.name == name:
                return lv
        raise KeyError(f"no layer {name!r}; layers are {[lv.name for lv in self.layers]}")


def _float64(model: MnistCNN) -> MnistCNN:
    m = copy.deepcopy(model).cpu().double().eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def _as_input(image: np.ndarray) -> torch.Tensor:
    img = np.asarray(image)
    if img.ndim != 2:
        raise ValueError(f"image must have shape (H, W); got {img.shape}")
    # uint8 pixels are scaled as in training; floats are taken as already in [0, 1]
    x = img.astype(np.float64) / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
    return torch.from_numpy(x.copy())[None, None]


def digit_values(model: MnistCNN, images: np.ndarray, labels: np.ndarray, index: int) -> DigitValues:
    """Forward pass of test digit ``index``: its image, each layer's Z and A, kernels, probabilities.

    Parameters
    ----------
    model
        The trained network (not modified).
    images, labels
        E.g. ``load_mnist("test")``: uint8 ``(N, 28, 28)`` and ``(N,)``.
    index
        Which digit.
    """
    if not 0 <= index < len(images):
        raise IndexError(f"index {index} out of range for {len(images)} images")
    m = _float64(model)
    x = _as_input(images[index])
    with torch.no_grad():
        trace = m.trace(x)
    layers = [LayerValues(t.name, t.kind, t.activation, t.z[0].numpy().copy(), t.a[0].numpy().copy())
              for t in trace]
    conv1 = m.layers["conv1"]
    probs = layers[-1].a
    return DigitValues(
        index=int(index),
        label=int(labels[index]),
        image=x[0, 0].numpy().copy(),
        layers=layers,
        kernels=conv1.weight[:, 0].numpy().copy(),
        biases=conv1.bias.numpy().copy(),
        probabilities=probs,
        prediction=int(np.argmax(probs)),
    )


@dataclass(frozen=True)
class LayerGradients:
    """Backprop at one layer for one digit.

    ``delta`` is ``∂L/∂Z`` with Z the layer's pre-activation output (for pool and flatten layers, which
    have no activation, their output). ``grad_weight`` / ``grad_bias`` are ``None`` for layers without
    parameters. Values are the core's; they were checked equal to autograd's.
    """

    name: str
    kind: str
    z: np.ndarray
    delta: np.ndarray
    grad_weight: np.ndarray | None
    grad_bias: np.ndarray | None


@dataclass(frozen=True)
class DigitBackprop:
    """One digit's backward pass: loss, probabilities, and every layer's δ and gradients.

    ``layers`` is in forward order; ``autograd`` holds torch's values for the same keys
    (``"<layer>.delta"``, ``"<layer>.grad_weight"``, ``"<layer>.grad_bias"``) and ``max_abs_diff`` the
    largest difference found between the two.
    """

    label: int
    loss: float
    probabilities: np.ndarray
    layers: list[LayerGradients]
    grad_input: np.ndarray  # ∂L/∂X, the image's own error term
    autograd: dict[str, np.ndarray]
    max_abs_diff: float

    def layer(self, name: str) -> LayerGradients:
        """The layer called ``name``."""
        for lg in self.layers:
            if lg.name == name:
                return lg
        raise KeyError(f"no layer {name!r}; layers are {[lg.name for lg in self.layers]}")


def _autograd(m: MnistCNN, x: torch.Tensor, label: int) -> tuple[float, np.ndarray, dict[str, np.ndarray],
                                                                   dict[str, np.ndarray]]:
    """Torch's loss, probabilities, δ per layer and parameter gradients (float64)."""
    for p in m.parameters():
        p.requires_grad_(True)
        p.grad = None
    # the input too: every layer's output then has a gradient, a first layer without weights (flatten) as well
    trace = m.trace(x.clone().requires_grad_(True))
    for t in trace:
        t.z.retain_grad()
    loss = F.cross_entropy(trace[-1].z, torch.tensor([label]))
    loss.backward()
    torch_vals: dict[str, np.ndarray] = {}
    zs: dict[str, np.ndarray] = {}
    for t, (name, layer) in zip(trace, m.layers.items()):
        zs[name] = t.z[0].detach().numpy().copy()
        torch_vals[f"{name}.delta"] = t.z.grad[0].numpy().copy()
        if getattr(layer, "weight", None) is not None:
            torch_vals[f"{name}.grad_weight"] = layer.weight.grad.numpy().copy()
            torch_vals[f"{name}.grad_bias"] = layer.bias.grad.numpy().copy()
    probs = trace[-1].a[0].detach().numpy().copy()
    for p in m.parameters():
        p.requires_grad_(False)
        p.grad = None
    return float(loss.item()), probs, torch_vals, zs


def _conv_backward(layer: torch.nn.Conv2d, a_in: np.ndarray, delta: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A conv layer's ∂L/∂W, ∂L/∂b and ∂L/∂A (:func:`cnnviz.conv2d_backward`); with groups, each group of
    input channels and its own kernels on their own, side by side."""
    from cnnviz import conv2d_backward

    w, g = layer.weight.numpy(), layer.groups
    c_in, c_out = a_in.shape[0] // g, w.shape[0] // g
    gws, gbs, gas = [], [], []
    for k in range(g):
        part = conv2d_backward(a_in[k * c_in:(k + 1) * c_in], w[k * c_out:(k + 1) * c_out],
                               delta[k * c_out:(k + 1) * c_out], stride=layer.stride, padding=layer.padding,
                               dilation=layer.dilation)
        gws.append(part.grad_kernel)
        gbs.append(part.grad_bias)
        gas.append(part.grad_input)
    return np.concatenate(gws), np.concatenate(gbs), np.concatenate(gas)


def _batchnorm_backward(layer: torch.nn.modules.batchnorm._BatchNorm, a_in: np.ndarray, delta: np.ndarray,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch norm at evaluation (running statistics): ∂L/∂γ = Σ δ·â, ∂L/∂β = Σ δ, ∂L/∂A = δ·γ/√(σ² + ε),
    per channel (or unit), â the normalised input."""
    scale = 1.0 / np.sqrt(layer.running_var.numpy() + layer.eps)
    per = (slice(None),) + (None,) * (a_in.ndim - 1)  # a channel's numbers along H and W
    normalised = (a_in - layer.running_mean.numpy()[per]) * scale[per]
    axes = tuple(range(1, a_in.ndim))
    return ((delta * normalised).sum(axis=axes), delta.sum(axis=axes),
            delta * (layer.weight.numpy() * scale)[per])


def digit_backprop(model: MnistCNN, image: np.ndarray, label: int) -> DigitBackprop:
    """δ = ∂L/∂Z of every layer and the weight/bias gradients for one digit, with cross-entropy loss.

    Computed twice in float64: by ``torch.autograd``, and layer by layer, output to input, with the
    core's :func:`cnnviz.conv2d_backward`, :func:`cnnviz.max_pool2d_backward` and
    :func:`cnnviz.activation_backward` (dense layers and softmax + cross-entropy, ``δ = p − onehot``,
    in numpy here). The two must agree (``atol`` 1e-10) or :class:`BackpropMismatchError` is raised.

    Parameters
    ----------
    model
        The trained network (not modified).
    image
        ``(28, 28)``: uint8 pixels, or floats already in [0, 1].
    label
        The true class.
    """
    # imported here so that the forward values work even where the core lacks backprop
    from cnnviz import activation_backward, avg_pool2d_backward, max_pool2d_backward

    m = _float64(model)
    cfg = m.config
    if not 0 <= int(label) < cfg.classes:
        raise ValueError(f"label must be in 0..{cfg.classes - 1}; got {label!r}")
    label = int(label)
    x = _as_input(image)
    loss, probs, torch_vals, zs = _autograd(m, x, label)

    names = list(m.layers.keys())
    # the input each layer received: the previous layer's activation (the image for the first)
    inputs: dict[str, np.ndarray] = {}
    prev = x[0].numpy()
    for name in names:
        inputs[name] = prev
        act = m.activations[name]
        prev = np.maximum(zs[name], 0.0) if act == "relu" else zs[name]

    ours: dict[str, LayerGradients] = {}
    onehot = np.zeros(cfg.classes)
    onehot[label] = 1.0
    grad_a: np.ndarray | None = None  # ∂L/∂A of the layer being visited (its output after activation)
    for name in reversed(names):
        layer = m.layers[name]
        kind = layer_kind(layer)
        act = m.activations[name]
        z = zs[name]
        if act == "softmax":
            delta = probs - onehot  # softmax + cross-entropy, fused
        elif act == "relu":
            delta = activation_backward(z, grad_a, "relu")
        else:
            delta = grad_a  # no activation: Z is the output
        a_in = inputs[name]
        gw = gb = None
        if kind == "dense":
            w = layer.weight.numpy()
            gw, gb = np.outer(delta, a_in), delta.copy()
            grad_a = w.T @ delta
        elif kind == "conv":
            gw, gb, grad_a = _conv_backward(layer, a_in, delta)
        elif kind in ("maxpool", "avgpool"):
            backward = max_pool2d_backward if kind == "maxpool" else avg_pool2d_backward
            grad_a = backward(a_in, delta, layer.kernel_size, stride=layer.stride, padding=layer.padding).grad_input
        elif kind == "flatten":
            grad_a = delta.reshape(a_in.shape)
        elif kind == "dropout":  # off at evaluation: the identity, so δ passes unchanged
            grad_a = delta
        elif kind == "batchnorm":  # at evaluation an affine map per channel: z = γ·(a − μ)/√(σ² + ε) + β
            gw, gb, grad_a = _batchnorm_backward(layer, a_in, delta)
        ours[name] = LayerGradients(name, kind, z, np.asarray(delta), gw, gb)
    assert grad_a is not None
    layers = [ours[n] for n in names]

    max_diff = 0.0
    for key, theirs in torch_vals.items():
        name, what = key.split(".")
        mine = getattr(ours[name], what)
        if mine is None or mine.shape != theirs.shape:
            raise BackpropMismatchError(f"{key}: core gives {None if mine is None else mine.shape}, "
                                        f"autograd {theirs.shape}")
        diff = float(np.max(np.abs(mine - theirs)))
        max_diff = max(max_diff, diff)
        if not np.allclose(mine, theirs, rtol=BACKPROP_RTOL, atol=BACKPROP_ATOL):
            raise BackpropMismatchError(f"{key}: core and autograd differ by up to {diff:.3g}")
    return DigitBackprop(label=label, loss=loss, probabilities=probs, layers=layers, grad_input=grad_a,
                         autograd=torch_vals, max_abs_diff=max_diff)
