"""The course's two classic networks, LeNet-5 and AlexNet, described layer by layer and built in torch.

A network is a tuple of :class:`NetLayer` (what the course says about each layer). :func:`walk` computes each
layer's output shape with the shape arithmetic (:func:`cnnviz.conv_output_size`, :func:`cnnviz.pool_output_size`)
and its parameter count with the formulas ``C_out·(C_in/g)·c² + C_out`` and ``n_in·n_out + n_out``;
:func:`build` makes the same description an ``nn.Sequential`` (one named child per layer) and
:func:`check_walk` requires the two to agree: the shapes a zero tensor takes through the real modules and
the real modules' ``numel()``.

LeNet-5 (LeCun et al. 1998) as the course describes it: a 1×32×32 input, C1 six 5×5 maps, S2 2×2 average
pooling, C3 sixteen 5×5 maps each reading only the S2 maps of LeCun's Table I (:data:`LENET_C3_TABLE`: 60 of
the 6×16 channel pairs, the course's "60 kernels"), S4, C5 120 maps of 5×5 over all 16 (16×120 = 1920
kernels), F6 84 units, 10 outputs. Two simplifications, as in the course: S2/S4 are plain average pooling
(LeCun's also multiply by a trained coefficient and add a bias) and the output is a dense layer (LeCun's
is a layer of radial basis functions).

AlexNet (Krizhevsky et al. 2012): a 3×224×224 input, conv1 96 kernels of 11×11 stride 4 — on two GPUs, 48
each, every half reading all 3 input channels (the course's "two 11×11×3×48 kernels") — 3×3 stride-2 max
pooling, conv2/conv4/conv5 split between the GPUs (``groups=2``: each half reads only its own GPU's maps),
conv3 reading both, 256×6×6 = 9216 numbers into fc6 4096, fc7 4096, fc8 1000; ReLU after every layer but the
last, dropout on the outputs of fc6 and fc7. Local response normalisation, which changes no shape and has
no parameter, is left out.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import torch
from torch import nn

from ._checks import as_int
from .shapes import conv_output_size, pool_output_size

__all__ = [
    "ALEXNET_INPUT",
    "LENET_C3_TABLE",
    "LENET_INPUT",
    "LayerStep",
    "NetLayer",
    "PartialConv2d",
    "alexnet_layers",
    "build",
    "check_walk",
    "dropout_mask",
    "lenet_layers",
    "walk",
]

#: LeCun et al. 1998, Table I: for each of C3's 16 maps, the S2 maps it reads (columns 0–15 of the table)
LENET_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),              # three neighbours
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),  # four neighbours
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),                                      # four, not neighbours
    (0, 1, 2, 3, 4, 5),                                                            # all six
)
LENET_INPUT = (1, 32, 32)
ALEXNET_INPUT = (3, 224, 224)


@dataclass(frozen=True)
class NetLayer:
    """One layer as the course describes it.

    Parameters
    ----------
    name
        Its name (``C1``, ``conv1``, …).
    kind
        ``"conv"``, ``"pool"`` or ``"dense"``.
    size
        Output channels (conv) or units (dense); ignored for pooling.
    kernel, stride, padding
        The window: kernel size c, stride s, zero padding p (conv and pool).
    groups
        Channel groups of a convolution (AlexNet's two GPUs: 2).
    mode
        Pooling: ``"avg"`` or ``"max"``.
    activation
        ``"tanh"``, ``"relu"`` or ``""`` (none), after the layer.
    table
        A partial connection table: for each output map, the input maps it reads (LeNet's C3).
    dropout
        Dropout on the layer's output (after its activation) in training.
    """

    name: str
    kind: str
    size: int = 0
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    mode: str = "max"
    activation: str = ""
    table: tuple[tuple[int, ...], ...] | None = None
    dropout: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("conv", "pool", "dense"):
            raise ValueError(f"layer {self.name!r}: kind must be 'conv', 'pool' or 'dense'; got {self.kind!r}")
        if self.mode not in ("avg", "max"):
            raise ValueError(f"layer {self.name!r}: mode must be 'avg' or 'max'; got {self.mode!r}")
        if self.activation not in ("", "tanh", "relu"):
            raise ValueError(f"layer {self.name!r}: activation must be 'tanh', 'relu' or ''; got {self.activation!r}")
        for key in ("kernel", "stride", "groups"):
            as_int(getattr(self, key), f"layer {self.name!r}: {key}", minimum=1)
        as_int(self.padding, f"layer {self.name!r}: padding", minimum=0)
        if self.kind != "pool":
            as_int(self.size, f"layer {self.name!r}: size", minimum=1)
        if self.table is not None and len(self.table) != self.size:
            raise ValueError(f"layer {self.name!r}: the connection table has {len(self.table)} rows for "
                             f"{self.size} output maps")


def lenet_layers() -> tuple[NetLayer, ...]:
    """LeNet-5's layers (input :data:`LENET_INPUT`)."""
    return (
        NetLayer("C1", "conv", 6, kernel=5, activation="tanh"),
        NetLayer("S2", "pool", kernel=2, stride=2, mode="avg"),
        NetLayer("C3", "conv", 16, kernel=5, activation="tanh", table=LENET_C3_TABLE),
        NetLayer("S4", "pool", kernel=2, stride=2, mode="avg"),
        NetLayer("C5", "conv", 120, kernel=5, activation="tanh"),
        NetLayer("F6", "dense", 84, activation="tanh"),
        NetLayer("output", "dense", 10),
    )


def alexnet_layers(padding: int = 2) -> tuple[NetLayer, ...]:
    """AlexNet's layers (input :data:`ALEXNET_INPUT`); ``padding`` is conv1's (the notes' 2, the slide's 3)."""
    return (
        NetLayer("conv1", "conv", 96, kernel=11, stride=4, padding=padding, activation="relu"),
        NetLayer("pool1", "pool", kernel=3, stride=2),
        NetLayer("conv2", "conv", 256, kernel=5, padding=2, groups=2, activation="relu"),
        NetLayer("pool2", "pool", kernel=3, stride=2),
        NetLayer("conv3", "conv", 384, kernel=3, padding=1, activation="relu"),
        NetLayer("conv4", "conv", 384, kernel=3, padding=1, groups=2, activation="relu"),
        NetLayer("conv5", "conv", 256, kernel=3, padding=1, groups=2, activation="relu"),
        NetLayer("pool5", "pool", kernel=3, stride=2),
        NetLayer("fc6", "dense", 4096, activation="relu", dropout=True),
        NetLayer("fc7", "dense", 4096, activation="relu", dropout=True),
        NetLayer("fc8", "dense", 1000),
    )


@dataclass(frozen=True)
class LayerStep:
    """A layer's arithmetic: the shape it reads and gives (C×H×W, or (N,) once flat) and its parameters
    (``kernels`` of ``c×c`` weights — one per channel pair it connects — plus ``biases``)."""

    layer: NetLayer
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    kernels: int
    weights: int
    biases: int

    @property
    def params(self) -> int:
        return self.weights + self.biases


def walk(layers: tuple[NetLayer, ...], input_shape: tuple[int, int, int]) -> list[LayerStep]:
    """Each layer's output shape (the output-size formula ⌊(n + 2p − c)/s⌋ + 1) and parameter count.

    Examples
    --------
    >>> steps = walk(lenet_layers(), LENET_INPUT)
    >>> [s.out_shape for s in steps][:3], steps[2].kernels, steps[4].kernels
    ([(6, 28, 28), (6, 14, 14), (16, 10, 10)], 60, 1920)
    """
    shape: tuple[int, ...] = tuple(input_shape)
    steps = []
    for layer in layers:
        if layer.kind == "dense":
            n_in = 1
            for n in shape:
                n_in *= n
            out: tuple[int, ...] = (layer.size,)
            kernels, weights, biases = 0, n_in * layer.size, layer.size
        else:
            if len(shape) != 3:
                raise ValueError(f"layer {layer.name!r} needs a C×H×W input; got {shape}")
            c_in, h, w = shape
            if layer.kind == "pool":
                size = [pool_output_size(n, layer.kernel, stride=layer.stride, padding=layer.padding) for n in (h, w)]
                out, kernels, weights, biases = (c_in, *size), 0, 0, 0
            else:
                if c_in % layer.groups or layer.size % layer.groups:
                    raise ValueError(f"layer {layer.name!r}: groups ({layer.groups}) must divide both C_in ({c_in}) "
                                     f"and C_out ({layer.size})")
                size = [conv_output_size(n, layer.kernel, stride=layer.stride, padding=layer.padding) for n in (h, w)]
                out = (layer.size, *size)
                if layer.table is not None:
                    if any(not 0 <= i < c_in for row in layer.table for i in row):
                        raise ValueError(f"layer {layer.name!r}: its table names input maps outside 0..{c_in - 1}")
                    kernels = sum(len(row) for row in layer.table)
                else:
                    kernels = layer.size * (c_in // layer.groups)
                weights, biases = kernels * layer.kernel**2, layer.size
        steps.append(LayerStep(layer, shape, out, kernels, weights, biases))
        shape = out
    return steps


class PartialConv2d(nn.Module):
    """A convolution whose output map ``j`` reads only the input maps ``table[j]`` (LeNet's C3): one
    ``nn.Conv2d`` per output map over its own inputs, so its parameters are exactly the connected ones."""

    def __init__(self, table: tuple[tuple[int, ...], ...], kernel_size: int) -> None:
        super().__init__()
        self.table = table
        self.maps = nn.ModuleList(nn.Conv2d(len(row), 1, kernel_size) for row in table)
        for j, row in enumerate(table):
            self.register_buffer(f"inputs_{j}", torch.tensor(row), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(x.index_select(1, getattr(self, f"inputs_{j}")))
                          for j, conv in enumerate(self.maps)], dim=1)


_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def build(layers: tuple[NetLayer, ...], input_shape: tuple[int, int, int], *, dropout_p: float = 0.5) -> nn.Sequential:
    """The network as an ``nn.Sequential``, one child per layer, named as the layer (a child is itself a
    sequence: the layer's module, its activation, its dropout; a dense layer on a map flattens it first)."""
    children: OrderedDict[str, nn.Module] = OrderedDict()
    for step in walk(layers, input_shape):
        layer, parts = step.layer, []
        if layer.kind == "conv":
            c_in = step.in_shape[0]
            parts.append(PartialConv2d(layer.table, layer.kernel) if layer.table is not None else
                         nn.Conv2d(c_in, layer.size, layer.kernel, stride=layer.stride, padding=layer.padding,
                                   groups=layer.groups))
        elif layer.kind == "pool":
            pool = nn.AvgPool2d if layer.mode == "avg" else nn.MaxPool2d
            parts.append(pool(layer.kernel, stride=layer.stride, padding=layer.padding))
        else:
            if len(step.in_shape) > 1:
                parts.append(nn.Flatten())
            parts.append(nn.Linear(step.weights // layer.size, layer.size))
        if layer.activation:
            parts.append(_ACTIVATIONS[layer.activation]())
        if layer.dropout:
            parts.append(nn.Dropout(dropout_p))
        children[layer.name] = nn.Sequential(*parts)
    return nn.Sequential(children)


def check_walk(model: nn.Sequential, steps: list[LayerStep]) -> list[tuple[int, ...]]:
    """Forward a zero tensor through ``model`` child by child and require each output shape and each child's
    parameter count (``sum(p.numel())``) to be the arithmetic's; returns the shapes torch gave."""
    x = torch.zeros((1, *steps[0].in_shape))
    seen = []
    with torch.no_grad():
        for (name, child), step in zip(model.named_children(), steps, strict=True):
            x = child.eval()(x)
            got = tuple(x.shape[1:])
            numel = sum(p.numel() for p in child.parameters())
            if got != step.out_shape:
                raise AssertionError(f"{name}: the arithmetic gives {step.out_shape}, torch outputs {got}")
            if numel != step.params:
                raise AssertionError(f"{name}: the formula gives {step.params} parameters, the modules hold {numel}")
            seen.append(got)
    return seen


def dropout_mask(shape: tuple[int, ...], p: float, seed: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The mask ``torch.nn.Dropout(p)`` draws in training after ``torch.manual_seed(seed)``: 0 where a unit is
    dropped, ``1/(1 − p)`` where it is kept (so the kept units' sum keeps its expected value). Drawn with
    torch's own dropout on ones of the activations' ``dtype`` (the draw depends on it), inside a forked RNG
    (the caller's random state is left as it was)."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout p must be in [0, 1); got {p!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.nn.functional.dropout(torch.ones(shape, dtype=dtype), p, training=True)

