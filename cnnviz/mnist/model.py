"""The lecture's CNN, built in PyTorch from its description (:class:`cnnviz.config.ModelConfig`, a lecture's
``model:``); by default the course's Keras listing:

Keras::

    Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))
    MaxPooling2D((2, 2))
    Conv2D(64, (3, 3), activation="relu")
    MaxPooling2D((2, 2))
    Conv2D(64, (3, 3), activation="relu")
    Flatten()
    Dense(64, activation="relu")
    Dense(10, activation="softmax")

93,322 parameters. Any other Keras-like stack of conv, pool, flatten, dense, dropout and batchnorm layers is
built the same way, one module per layer. Softmax is not a module here: training uses ``cross_entropy`` on the logits (the
numerically stable fusion of softmax and log-loss) and prediction applies :func:`torch.softmax`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..config import (BatchNormLayer, ConvLayer, DenseLayer, DropoutLayer, FlattenLayer, LayerShape, ModelConfig,
                      PoolLayer)

__all__ = ["LayerActivation", "LayerInfo", "MnistCNN", "ModelConfig", "describe_model", "layer_kind", "layer_summary"]


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
    """A CNN built from a :class:`~cnnviz.config.ModelConfig` (default: the course's); ``forward`` returns
    logits (apply softmax for probabilities).

    The layers live in ``self.layers`` (an ``nn.ModuleDict``, in order, named as the description names them:
    ``conv1, pool1, conv2, pool2, conv3, flatten, dense1, dense2`` for the course's), one module per Keras
    layer, so a forward hook on any of them sees that layer's pre-activation output Z; :meth:`trace` returns
    Z and the activation A of every layer.
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config = config if config is not None else ModelConfig()
        self.activations: dict[str, str | None] = {}
        layers: dict[str, nn.Module] = {}
        for row in config.shapes():
            layers[row.name] = _module(row)
            act = getattr(row.layer, "activation", "none")
            self.activations[row.name] = None if act == "none" else act
        last = config.shapes()[-1].name
        self.activations[last] = "softmax"  # applied by the loss / by predict, not in forward
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


def describe_model(config: ModelConfig) -> str:
    """A model in one line for messages: its name and layers with their output shapes."""
    rows = ", ".join(f"{r.name} {'×'.join(map(str, r.output_shape))}" for r in config.shapes())
    return f"{config.name!r} ({'×'.join(map(str, config.input))} → {rows})"


def _module(row: LayerShape) -> nn.Module:
    """The torch module of one described layer (its input shape gives the channels or features it takes)."""
    layer, shape = row.layer, row.input_shape
    if isinstance(layer, ConvLayer):
        return nn.Conv2d(shape[0], layer.filters, layer.kernel, stride=layer.stride, padding=layer.padding,
                         dilation=layer.dilation, groups=layer.groups)
    if isinstance(layer, PoolLayer):
        pool = nn.MaxPool2d if layer.mode == "max" else nn.AvgPool2d  # Keras: padding="valid", floor
        return pool(layer.size, stride=layer.stride, padding=layer.padding)
    if isinstance(layer, FlattenLayer):
        # Keras flattens channels-last (H, W, C); we flatten (C, H, W). The order is only a fixed permutation
        # of the next dense layer's input rows, so nothing learnable differs.
        return nn.Flatten()
    if isinstance(layer, DenseLayer):
        return nn.Linear(shape[0], layer.units)
    if isinstance(layer, DropoutLayer):
        return nn.Dropout(layer.p)
    if isinstance(layer, BatchNormLayer):
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    raise TypeError(f"no module for a {layer.kind} layer")  # pragma: no cover - every kind is above


_KINDS = ((nn.Conv2d, "conv"), (nn.MaxPool2d, "maxpool"), (nn.AvgPool2d, "avgpool"), (nn.Flatten, "flatten"),
          (nn.Linear, "dense"), (nn.Dropout, "dropout"), (nn.BatchNorm2d, "batchnorm"), (nn.BatchNorm1d, "batchnorm"))


def layer_kind(layer: nn.Module) -> str:
    """``"conv"``, ``"maxpool"``, ``"avgpool"``, ``"flatten"``, ``"dense"``, ``"dropout"`` or ``"batchnorm"``:
    the Keras layer a module stands for."""
    for cls, kind in _KINDS:
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
    p = next(model.parameters())
    dummy = torch.zeros(1, *model.config.input, dtype=p.dtype, device=p.device)
    training = model.training
    model.eval()  # batch norm of a single dummy image: running statistics, as at evaluation
    rows = []
    for act, (name, layer) in zip(model.trace(dummy), model.layers.items()):
        rows.append(LayerInfo(
            name=name,
            kind=act.kind,
            output_shape=tuple(act.z.shape[1:]),
            params=sum(t.numel() for t in layer.parameters()),
            activation=act.activation,
        ))
    model.train(training)
    return rows
