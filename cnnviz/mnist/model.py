"""The lecture's CNN: the course's Keras listing rebuilt in PyTorch.

Keras::

    Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))
    MaxPooling2D((2, 2))
    Conv2D(64, (3, 3), activation="relu")
    MaxPooling2D((2, 2))
    Conv2D(64, (3, 3), activation="relu")
    Flatten()
    Dense(64, activation="relu")
    Dense(10, activation="softmax")

93,322 parameters. Softmax is not a module here: training uses ``cross_entropy`` on the logits (the
numerically stable fusion of softmax and log-loss) and prediction applies :func:`torch.softmax`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

__all__ = ["LayerActivation", "LayerInfo", "MnistCNN", "ModelConfig", "layer_kind", "layer_summary"]


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the architecture; saved inside every checkpoint (as a plain dict).

    Parameters
    ----------
    conv_channels
        Output channels of each conv layer; a 2×2 max-pool follows every conv but the last.
    kernel_size
        Side of every (square, unpadded, stride-1) conv kernel.
    pool_size
        Side and stride of every max-pool window.
    dense
        Units of the hidden dense layer.
    num_classes
        Units of the output layer.
    input_size
        Side of the square input image.
    in_channels
        Channels of the input image.
    """

    conv_channels: tuple[int, ...] = (32, 64, 64)
    kernel_size: int = 3
    pool_size: int = 2
    dense: int = 64
    num_classes: int = 10
    input_size: int = 28
    in_channels: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "conv_channels", tuple(int(c) for c in self.conv_channels))
        if not self.conv_channels or min(self.conv_channels) < 1:
            raise ValueError(f"conv_channels must be a non-empty tuple of positive ints; got {self.conv_channels}")
        for f in fields(self):
            if f.name != "conv_channels" and (not isinstance(getattr(self, f.name), int) or getattr(self, f.name) < 1):
                raise ValueError(f"{f.name} must be a positive int; got {getattr(self, f.name)!r}")
        if self.feature_size < 1:
            raise ValueError(f"input_size {self.input_size} is too small for {len(self.conv_channels)} conv layers")

    @property
    def feature_size(self) -> int:
        """Side of the last conv layer's output (3 for the lecture's network)."""
        n = self.input_size
        for i in range(len(self.conv_channels)):
            n = n - self.kernel_size + 1
            if i < len(self.conv_channels) - 1:
                n //= self.pool_size  # floor, as both Keras and torch pool with 'valid' padding
        return n

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, ints), so ``torch.load(weights_only=True)`` can read it back."""
        d = asdict(self)
        d["conv_channels"] = list(self.conv_channels)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys are refused, missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown ModelConfig fields {sorted(unknown)}")
        return cls(**dict(d))


@dataclass(frozen=True)
class LayerInfo:
    """One row of the Keras-style summary.

    ``output_shape`` is ``(C, H, W)`` for conv and pool layers and ``(N,)`` for flat ones; ``activation``
    is what Keras fuses into the layer (``"relu"``, ``"softmax"``) or ``None``.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    activation: str | None = None


@dataclass(frozen=True)
class LayerActivation:
    """A layer's output for a batch: ``z`` before its activation, ``a`` after (the same tensor if none)."""

    name: str
    kind: str
    z: torch.Tensor
    a: torch.Tensor
    activation: str | None


class MnistCNN(nn.Module):
    """The lecture's CNN; ``forward`` returns logits (apply softmax for probabilities).

    The layers live in ``self.layers`` (an ``nn.ModuleDict``, in order: ``conv1, pool1, conv2, pool2,
    conv3, flatten, dense1, dense2``), one module per Keras layer, so a forward hook on any of them sees
    that layer's pre-activation output Z; :meth:`trace` returns Z and the activation A of every layer.
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config = config if config is not None else ModelConfig()
        layers: dict[str, nn.Module] = {}
        self.activations: dict[str, str | None] = {}
        c_in = config.in_channels
        n_conv = len(config.conv_channels)
        for i, c_out in enumerate(config.conv_channels, start=1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, config.kernel_size)  # Keras: padding="valid", stride 1
            self.activations[f"conv{i}"] = "relu"
            if i < n_conv:
                layers[f"pool{i}"] = nn.MaxPool2d(config.pool_size)
                self.activations[f"pool{i}"] = None
            c_in = c_out
        # Keras flattens channels-last (H, W, C): 3×3×64 → 576 in (h, w, c) order; we flatten (c, h, w).
        # The order is only a fixed permutation of dense1's input rows, so nothing learnable differs.
        layers["flatten"] = nn.Flatten()
        self.activations["flatten"] = None
        layers["dense1"] = nn.Linear(c_in * config.feature_size**2, config.dense)
        self.activations["dense1"] = "relu"
        layers["dense2"] = nn.Linear(config.dense, config.num_classes)
        self.activations["dense2"] = "softmax"  # applied by the loss / by predict, not in forward
        self.layers = nn.ModuleDict(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` of images ``(B, in_channels, input_size, input_size)`` in [0, 1]."""
        for name, layer in self.layers.items():
            x = layer(x)
            if self.activations[name] == "relu":
                x = torch.relu(x)
        return x

    def trace(self, x: torch.Tensor) -> list[LayerActivation]:
        """Every layer's Z and A for ``x``; the last layer's A is the softmax probabilities.

        Differentiable: call ``retain_grad()`` on a ``z`` to read ``∂L/∂Z`` after ``backward``.
        """
        out: list[LayerActivation] = []
        for name, layer in self.layers.items():
            z = layer(x)
            act = self.activations[name]
            a = torch.relu(z) if act == "relu" else torch.softmax(z, dim=1) if act == "softmax" else z
            out.append(LayerActivation(name, layer_kind(layer), z, a, act))
            x = a if act != "softmax" else z
        return out


def layer_kind(layer: nn.Module) -> str:
    """``"conv"``, ``"maxpool"``, ``"flatten"`` or ``"dense"``: the Keras layer a module stands for."""
    for cls, kind in ((nn.Conv2d, "conv"), (nn.MaxPool2d, "maxpool"), (nn.Flatten, "flatten"), (nn.Linear, "dense")):
        if isinstance(layer, cls):
            return kind
    raise TypeError(f"unexpected layer {type(layer).__name__}")


@torch.no_grad()
def layer_summary(model: MnistCNN) -> list[LayerInfo]:
    """Keras-style summary of ``model``, measured by running a dummy image through the real layers.

    Returns
    -------
    list of LayerInfo
        One per layer in order; ``sum(r.params for r in rows)`` is the model's parameter count
        (93,322 for the lecture's network).
    """
    cfg = model.config
    p = next(model.parameters())
    dummy = torch.zeros(1, cfg.in_channels, cfg.input_size, cfg.input_size, dtype=p.dtype, device=p.device)
    rows = []
    for act, (name, layer) in zip(model.trace(dummy), model.layers.items()):
        rows.append(LayerInfo(
            name=name,
            kind=act.kind,
            output_shape=tuple(act.z.shape[1:]),
            params=sum(t.numel() for t in layer.parameters()),
            activation=act.activation,
        ))
    return rows
