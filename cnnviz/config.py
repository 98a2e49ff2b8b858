"""Lecture configuration: YAML (``yaml.safe_load`` only) validated into typed objects.

Shape of a lecture file::

    title: Convolutional Neural Networks
    language: en          # en | zh
    theme: dark           # dark | solarized
    scenes:               # in lecture order
      - scene: conv2d
        stride: 1
        padding: 0

Each scene's parameters are a pydantic model (:class:`SceneParams`) declaring each key once, with the bound its
type carries. Every mistake raises :class:`ConfigError` naming the file, the key, the value and what is
allowed: :func:`parse_config` words the first of the errors pydantic reports.
"""

from __future__ import annotations

import math
import os
import typing
from pathlib import Path
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import numpy as np
from annotated_types import Ge, Le
from pydantic import (BaseModel, ConfigDict, Field, PlainValidator, SerializeAsAny, StringConstraints,
                      ValidationError, ValidationInfo, field_serializer, model_validator)
from pydantic_core import PydanticCustomError

from . import shapes
from .paths import ASSETS, user_command

__all__ = [  # and the scenes' parameter classes, named in cnnviz/registry.py
    "COURSE", "DEFAULT_CONFIG", "SCENE_PARAMS", "ConfigError", "LectureConfig", "SceneEntry", "SceneParams", "int_limits",
    "load_config", "params_class", "parse_config", "read_yaml", "repo_path", "scene_entry", "show",
]

DEFAULT_CONFIG = ASSETS / "lecture.yaml"
#: the shipped course (``render.py course``): the operations, then the networks
COURSE = (DEFAULT_CONFIG, ASSETS / "networks.yaml")


#: the keys whose values are paths: a relative one in a config file starts at that file's folder
PATH_KEYS = ("image", "checkpoint", "input_image")


def repo_path(path: str) -> Path:
    """A path from parameters: ``~`` expanded; a relative one starts at the folder of the shipped files
    (:data:`cnnviz.paths.ASSETS`, where the default lecture and photo lie). :func:`parse_config` has made a
    relative path in a config file absolute from that file's folder already."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ASSETS / p


class ConfigError(ValueError):
    """A lecture configuration that cannot be used; the message says where and what is allowed."""


#: the largest value of an integer parameter without a range of its own: all of them are sizes, strides and
#: counts of something drawn cell by cell
MAX_INT = 16
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds
MAX_ABS_NUMBER = 1e6  # numbers in arrays and biases: drawn in a cell, and exact in float64 sums
MAX_ARRAY_CELLS = 1024
MAX_ARRAY_DEPTH = 4
MAX_STRING = 500  # characters of a title or a path
MAX_CONFIG_BYTES = 256 * 1024  # the shipped lecture is 2 KB
MAX_YAML_DEPTH = 12  # nesting of mappings and lists (a 4-D kernel in a scene entry is 7 deep)
MAX_YAML_NODES = 100_000  # nodes after expanding aliases (the shipped lecture has ~250)
MAX_IMAGE_PIXELS = 4096 * 4096
TOP_KEYS = ("title", "language", "theme", "model", "train", "data", "scenes")
#: the keys a lecture sets once for all its MNIST scenes (one network is trained, shown and explained)
NETWORK_KEYS = ("model", "train")
#: the MNIST scenes that send one digit through the network and draw it (ModelConfig.refuse_for_scene)
DIGIT_SCENES = ("error_flow", "mnist_features")
#: classes those scenes draw (a cell or a bar each)
MAX_DRAWN_CLASSES = 10
#: layers error_flow lists beside its panels (a row each, with the input's)
ERROR_FLOW_MAX_LAYERS = 16
#: the validation context under which a model also reads the files it names (``image:``, ``checkpoint:``)
READ_FILES = {"read_files": True}


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message never prints a huge or hostile value whole."""
    big = f"<a {type(value).__name__} of {len(value)} items>" if isinstance(value, (list, dict)) else ""
    try:
        text = repr(value) if not big or _small(value) else big
    except (RecursionError, ValueError):  # recursive, or an integer too long to print
        text = big or f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 5] + " …" + text[-3:]


def _small(value: Any, budget: list[int] | None = None) -> bool:
    budget = budget if budget is not None else [200]
    budget[0] -= 1
    if budget[0] < 0:
        return False
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return all(_small(v, budget) for v in items)


# ---------------------------------------------------------------- value types
def _refused(message: str) -> PydanticCustomError:
    # the message travels in the context: a template would read the braces of a shown mapping as fields
    return PydanticCustomError("cnnviz", "{message}", {"message": message})


NOT_A_NUMBER = "must be a finite number"


def _number_error(value: Any) -> str | None:
    """Why ``value`` is not a number the lecture can draw, or None. Python compares an integer with a float
    exactly, without converting it, so one with hundreds of digits is refused, not overflowed."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return NOT_A_NUMBER
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number, not NaN or infinity"
    return None if abs(value) <= MAX_ABS_NUMBER else f"must be between {-MAX_ABS_NUMBER:g} and {MAX_ABS_NUMBER:g}"


def _number(value: Any) -> float:
    why = _number_error(value)
    if why:
        raise _refused(f"got {show(value)}; {why}")
    return float(value)


def _array_error(value: Any) -> str | None:
    """Why ``value`` is not a (nested) list of drawable numbers, or None; iterative, bounded."""
    stack, cells = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list):
            if depth > MAX_ARRAY_DEPTH:
                return f"must be a (nested) list of numbers at most {MAX_ARRAY_DEPTH} levels deep"
            stack.extend((x, depth + 1) for x in item)
            continue
        cells += 1
        if cells > MAX_ARRAY_CELLS:
            return f"must hold at most {MAX_ARRAY_CELLS} numbers"
        why = _number_error(item)
        if why == NOT_A_NUMBER:
            return "must be a (nested) list of numbers of equal lengths"
        if why:
            return f"must contain only finite numbers from {-MAX_ABS_NUMBER:g} to {MAX_ABS_NUMBER:g} (got {show(item)})"
    return None


def _array(ndim: int) -> Any:
    """The type of an array key of ``ndim`` dimensions: a non-empty (nested) list of numbers, stored as floats."""

    def validate(value: Any) -> list[Any]:
        why = _array_error(value) if isinstance(value, list) else \
            f"must be a (nested) list of numbers with {ndim} dimension(s)"
        if why is None:
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError, OverflowError):
                why = "must be a (nested) list of numbers of equal lengths"
        if why:
            raise _refused(f"got {show(value)}; {why}")
        if arr.ndim != ndim:
            raise _refused(f"got an array of shape {arr.shape}; must have {ndim} dimension(s)")
        if arr.size == 0:
            raise _refused(f"got {show(value)}; must be non-empty")
        return arr.tolist()

    return Annotated[list, PlainValidator(validate)]


Count = Annotated[int, Field(ge=1, le=MAX_INT)]
Offset = Annotated[int, Field(ge=0, le=MAX_INT)]
Number = Annotated[float, PlainValidator(_number)]  # `bias: 2` is 2.0; true is no number
Text = Annotated[str, StringConstraints(max_length=MAX_STRING, pattern=r"^[^\x00]*$")]
Array1, Array2, Array3, Array4 = (_array(n) for n in (1, 2, 3, 4))
#: frozen: parameters key the render cache; forbid: a misspelt key is a mistake, never ignored; strict: a
#: value is what YAML says it is (no "3" for 3)
MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=True)
M = TypeVar("M", bound=BaseModel)


# ---------------------------------------------------------------- scene parameters
class SceneParams(BaseModel):
    """Base of every scene's parameters: a frozen, strict model that refuses unknown keys.

    A subclass declares each key once, with its default and a type that carries its bound: ``Count`` (an
    integer from 1 to :data:`MAX_INT`), ``Offset`` (from 0), ``int = Field(default, ge=.., le=..)`` for a
    range of its own, ``Number`` (a float within :data:`MAX_ABS_NUMBER`), ``Text``, a ``Literal`` of
    choices, ``Array1`` to ``Array4`` (a (nested) list of numbers of that many dimensions). ``check()``
    refuses combinations of keys, ``check_files()`` files that keys name; both raise ValueError.
    """

    model_config = MODEL_CONFIG
    seed: int = Field(0, ge=0, le=MAX_SEED)  # seeds the small integers used where `input`/`kernel` are omitted

    def check(self) -> None:
        """Refuse impossible combinations; raise ValueError naming the keys involved."""

    def check_files(self) -> None:
        """Refuse a file the parameters name that cannot be used (ValueError). Run where a config is read
        (context :data:`READ_FILES`); code that builds parameters gets the values module's own error."""

    @model_validator(mode="after")
    def _fit_together(self, info: ValidationInfo) -> SceneParams:
        self.check()
        if info.context and info.context.get("read_files"):
            self.check_files()
        return self


class LocalConnectivityParams(SceneParams):
    image_size: int = Field(100, ge=1, le=1000)
    window: Count = 3

    def check(self) -> None:
        if self.window > self.image_size:
            raise ValueError(f"window ({self.window}) must not be larger than image_size ({self.image_size})")


class Conv1dParams(SceneParams):
    input: Array1 | None = None
    kernel: Array1 | None = None
    length: int = Field(6, ge=1, le=12)  # of the seeded input, when `input` is omitted; cells in one row on screen
    kernel_size: Count = 3

    def check(self) -> None:
        n = _shape_or(self.input, (self.length,))[0]
        k = _shape_or(self.kernel, (self.kernel_size,))[0]
        _guard(("input", "kernel"), lambda: shapes.conv_output_size(n, k))
        if n > 12:
            raise ValueError(f"input has {n} values; at most 12 fit on screen")


class ConvParams(SceneParams):
    """A single-channel 2-D convolution."""

    input: Array2 | None = None
    kernel: Array2 | None = None
    size: Count = 5  # of the seeded input
    kernel_size: Count = 3
    bias: Number = 0.0
    stride: Count = 1
    padding: Offset = 0
    dilation: Count = 1

    def input_shape(self) -> tuple[int, int]:
        return _shape_or(self.input, (self.size, self.size))  # type: ignore[return-value]

    def kernel_shape(self) -> tuple[int, int]:
        return _shape_or(self.kernel, (self.kernel_size,) * 2)  # type: ignore[return-value]

    #: the widest padded input and kernel the conv2d scene draws legibly (its subclasses check their own)
    MAX_PADDED: ClassVar[int] = 8
    MAX_KERNEL: ClassVar[int] = 5

    def check(self) -> None:
        for axis in (0, 1):
            _guard(("input", "kernel", "stride", "padding", "dilation"), lambda a=axis: shapes.conv_output_size(
                self.input_shape()[a], self.kernel_shape()[a], stride=self.stride, padding=self.padding,
                dilation=self.dilation))
        padded = max(self.input_shape()) + 2 * self.padding
        if padded > self.MAX_PADDED or max(self.kernel_shape()) > self.MAX_KERNEL:
            raise ValueError(f"input + 2*padding ({max(self.input_shape())} + 2*{self.padding} = {padded}) must be at "
                             f"most {self.MAX_PADDED} cells and the kernel at most {self.MAX_KERNEL}x{self.MAX_KERNEL} "
                             f"to stay legible")


class ReceptiveFieldParams(SceneParams):
    layers: int = Field(2, ge=1, le=6)
    kernel_size: int = Field(3, ge=1, le=7)
    stride: int = Field(1, ge=1, le=4)
    dilation: int = Field(1, ge=1, le=4)
    table_depth: int = Field(4, ge=1, le=6)  # the closing table: depths 1..table_depth
    table_stride: int = Field(2, ge=1, le=4)  # its row with strided layers
    table_dilation: int = Field(2, ge=1, le=4)  # its row with dilated layers

    def check(self) -> None:
        layer = shapes.Layer(kernel_size=self.kernel_size, stride=self.stride, dilation=self.dilation)
        size = shapes.receptive_field([layer] * self.layers)[-1].size
        if size > 13:  # the widest map the scene draws
            raise ValueError(f"layers, kernel_size, stride, dilation give a receptive field of {size}x{size}; "
                             f"at most 13x13 can be drawn")


class StridePaddingParams(ConvParams):
    MAX_PADDED: ClassVar[int] = 10
    size: Count = 6
    stride: Count = 2
    padding: Offset = 1

    def check(self) -> None:
        super().check()
        if self.dilation != 1:
            raise ValueError("dilation must be 1 here; the dilated scene shows dilation")


class MultichannelParams(SceneParams):
    input: Array3 | None = None  # (C_in, H, W)
    kernel: Array4 | None = None  # (C_out, C_in, k, k)
    bias: Array1 | None = None
    in_channels: Count = 3
    out_channels: Count = 2
    size: Count = 4
    kernel_size: Count = 3

    def array_shapes(self) -> tuple[tuple[int, int, int], tuple[int, int, int, int]]:
        """(C_in, H, W) of the input and (C_out, C_in, kh, kw) of the kernel, given or seeded."""
        x = _shape_or(self.input, (self.in_channels, self.size, self.size))
        w = _shape_or(self.kernel, (self.out_channels, x[0], self.kernel_size, self.kernel_size))
        return x, w  # type: ignore[return-value]

    def check(self) -> None:
        (c_in, h, w), (c_out, k_in, kh, kw) = self.array_shapes()
        if k_in != c_in:
            raise ValueError(f"kernel has {k_in} input channels but input has {c_in}")
        if self.bias is not None and len(self.bias) != c_out:
            raise ValueError(f"bias has {len(self.bias)} values but there are {c_out} output channels (one each)")
        _guard(("input", "size", "kernel", "kernel_size"), lambda: (shapes.conv_output_size(h, kh),
                                                                     shapes.conv_output_size(w, kw)))
        if c_in > 4 or c_out > 3 or max(h, w) > 5 or c_in * w > 16:
            raise ValueError(f"at most 4 input channels (C_in x W <= 16 cells side by side) and 3 output channels "
                             f"of at most 5x5 can be drawn legibly; got C_in={c_in}, C_out={c_out}, {h}x{w}")


class PoolingParams(SceneParams):
    input: Array2 | None = None
    input_size: Count = 4
    mode: Literal["max", "avg"] = "max"
    size: Count = 2
    stride: int | None = Field(None, ge=1, le=MAX_INT)  # None: the window's size

    def check(self) -> None:
        hw = _shape_or(self.input, (self.input_size,) * 2)
        for n in hw:
            _guard(("input", "size", "stride"), lambda n=n: shapes.pool_output_size(n, self.size, stride=self.stride))
        if max(hw) > 8:
            raise ValueError(f"the input is {hw[0]}x{hw[1]}; at most 8x8 can be drawn legibly")


class TransposedParams(SceneParams):
    input: Array2 | None = None
    kernel: Array2 | None = None
    size: Count = 2
    kernel_size: Count = 3
    stride: Count = 2
    padding: Offset = 0
    output_padding: Offset = 0
    dilation: Count = 1
    # the closing "odd" case: same input, kernel and stride, this padding, output_padding 1 (needs stride >= 2)
    odd_padding: Count = 1

    def check(self) -> None:
        ns = _shape_or(self.input, (self.size,) * 2)
        ks = _shape_or(self.kernel, (self.kernel_size,) * 2)
        outs = []
        for n, k in zip(ns, ks):
            _guard(("stride", "padding", "output_padding", "dilation"), lambda n=n, k=k: outs.append(
                shapes.conv_transpose_output_size(n, k, stride=self.stride, padding=self.padding,
                                                  output_padding=self.output_padding, dilation=self.dilation)))
            if max(self.stride, self.dilation) > 1:
                _guard(("stride", "odd_padding", "dilation"), lambda n=n, k=k: shapes.conv_transpose_output_size(
                    n, k, stride=self.stride, padding=self.odd_padding, output_padding=1, dilation=self.dilation))
        # what the scene draws: the scatter canvas (before cropping p) and the direct view's spread, padded input
        canvas = [(n - 1) * self.stride + self.dilation * (k - 1) + 1 + self.output_padding for n, k in zip(ns, ks)]
        spread = [(n - 1) * self.stride + 1 + 2 * (self.dilation * (k - 1) - self.padding) + self.output_padding
                  for n, k in zip(ns, ks)]
        if max(ns) > 3 or max(canvas) > 8 or max(spread) > 8:
            raise ValueError(f"a {ns[0]}x{ns[1]} input giving a {outs[0]}x{outs[1]} output is too big to draw; "
                             f"at most 3x3 in, an 8x8 sum before cropping and an 8x8 direct-convolution input")


class DilatedParams(ConvParams):
    MAX_PADDED: ClassVar[int] = 9
    size: Count = 7
    dilation: Count = 2


class ImageFiltersParams(SceneParams):
    image: Text = "photo.png"  # the shipped photo; see repo_path
    size: int = Field(96, ge=8, le=160)  # the photo is resized to size x size (grey) before filtering

    def image_path(self) -> Path:
        return repo_path(self.image)

    def check_files(self) -> None:
        if not self.image_path().is_file():
            raise ValueError(f"image {self.image!r} not found (looked at {self.image_path()})")
        check_image(self.image_path(), "image")


class BackpropConvParams(ConvParams):
    MAX_KERNEL: ClassVar[int] = 4
    size: Count = 4
    kernel_size: Count = 2
    delta: Array2 | None = None

    def check(self) -> None:
        super().check()
        if self.dilation != 1:
            raise ValueError("dilation must be 1 here; the dilated scene shows dilation")
        out = tuple(shapes.conv_output_size(n, k, stride=self.stride, padding=self.padding)
                    for n, k in zip(self.input_shape(), self.kernel_shape()))
        if self.delta is not None and tuple(np.shape(self.delta)) != out:
            raise ValueError(f"delta has shape {tuple(np.shape(self.delta))}; it is dL/dZ, so it must have the "
                             f"shape of the layer's output {out} (input, kernel, stride, padding)")


class BackpropPoolParams(PoolingParams):
    delta: Array2 | None = None

    def check(self) -> None:
        super().check()  # refuses inputs larger than 8x8
        shape = _shape_or(self.input, (self.input_size,) * 2)
        out = tuple(shapes.pool_output_size(n, self.size, stride=self.stride) for n in shape)
        if self.delta is not None and tuple(np.shape(self.delta)) != out:
            raise ValueError(f"delta has shape {tuple(np.shape(self.delta))}; it is the error term of the pooled "
                             f"layer, so it must have the pooled output's shape {out} (input, size, stride)")


# ---------------------------------------------------------------- the MNIST scenes' network: model and training
#: bounds of a model description: a lecture's network is a small CNN, trained on a CPU in minutes
MAX_MODEL_LAYERS = 32
MAX_CHANNELS = 1024
MAX_UNITS = 4096
MAX_INPUT_SIDE = 256
MAX_MODEL_PARAMS = 20_000_000
#: the training recipe's bounds (cnnviz.mnist.train checks a checkpoint's settings against the same)
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 4096


class _Layer(BaseModel):
    """One layer of a model description; ``kind`` is its key in the YAML list (``- conv: {...}``)."""

    model_config = MODEL_CONFIG
    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {self.kind: self.model_dump()}


class ConvLayer(_Layer):
    """``conv``: a 2-D convolution, ``filters`` kernels of ``kernel``×``kernel`` (Keras's Conv2D)."""

    kind: ClassVar[str] = "conv"
    filters: int = Field(ge=1, le=MAX_CHANNELS)
    kernel: int = Field(ge=1, le=15)
    stride: int = Field(1, ge=1, le=8)
    padding: int = Field(0, ge=0, le=8)
    dilation: int = Field(1, ge=1, le=8)
    groups: int = Field(1, ge=1, le=MAX_CHANNELS)
    activation: Literal["relu", "none"] = "none"  # Keras's default: none (linear)


class PoolLayer(_Layer):
    """``pool``: max or average pooling over ``size``×``size`` windows (stride: the size unless given)."""

    kind: ClassVar[str] = "pool"
    mode: Literal["max", "avg"] = "max"
    size: int = Field(2, ge=1, le=8)
    stride: int | None = Field(None, ge=1, le=8)
    padding: int = Field(0, ge=0, le=4)


class FlattenLayer(_Layer):
    """``flatten``: a C×H×W volume lined up into one vector of C·H·W numbers."""

    kind: ClassVar[str] = "flatten"


class DenseLayer(_Layer):
    """``dense``: a fully connected layer of ``units`` units (the last one: one score per class)."""

    kind: ClassVar[str] = "dense"
    units: int = Field(ge=1, le=MAX_UNITS)
    activation: Literal["relu", "none", "softmax"] = "none"


class DropoutLayer(_Layer):
    """``dropout``: in training each value is zeroed with probability ``p`` (the rest scaled by 1/(1 − p));
    off at evaluation."""

    kind: ClassVar[str] = "dropout"
    p: Number = 0.5

    @model_validator(mode="after")
    def _probability(self) -> DropoutLayer:
        if not 0 <= self.p < 1:
            raise ValueError(f"p: got {self.p}; must be a probability from 0 to below 1")
        return self


class BatchNormLayer(_Layer):
    """``batchnorm``: each channel (or unit) normalised by its batch statistics, then scaled and shifted
    (running statistics at evaluation)."""

    kind: ClassVar[str] = "batchnorm"
    activation: Literal["relu", "none"] = "none"


LAYER_KINDS: dict[str, type[_Layer]] = {cls.kind: cls for cls in (
    ConvLayer, PoolLayer, FlattenLayer, DenseLayer, DropoutLayer, BatchNormLayer)}
#: names in a model: the kind and a count per kind (conv1, pool1, conv2, …; a single flatten is "flatten")
_NAME_STEM = {"conv": "conv", "pool": "pool", "flatten": "flatten", "dense": "dense", "dropout": "dropout",
              "batchnorm": "bn"}


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as the course writes it: ``1×28×28`` (C×H×W), ``576`` for a flat vector."""
    return "×".join(str(n) for n in shape)


def _layer(index: int, item: Any) -> _Layer:
    """One entry of ``layers:`` (``{conv: {filters: 8, kernel: 3}}``) as its layer model; mistakes name the
    entry's index and kind."""
    if isinstance(item, _Layer):
        return item
    kinds = ", ".join(LAYER_KINDS)
    if not isinstance(item, dict) or len(item) != 1:
        raise _refused(f"layers[{index}]: got {show(item)}; each layer is a mapping of one kind to its options, "
                       f"e.g. {{conv: {{filters: 8, kernel: 3}}}}; kinds: {kinds}")
    (kind, options), = item.items()
    if kind not in LAYER_KINDS:
        raise _refused(f"layers[{index}]: unknown layer kind {show(kind)}; allowed: {kinds}")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise _refused(f"layers[{index}] ({kind}): got {show(options)}; its options are a mapping, e.g. "
                       f"{{}} for none")
    try:
        return _validated(LAYER_KINDS[kind], options, f"layers[{index}] ({kind})", scene=kind)
    except ConfigError as exc:
        raise _refused(str(exc).replace(f"for scene {kind!r}", f"for a {kind} layer")) from None


@dataclass(frozen=True)
class LayerShape:
    """A model's layer as its description determines it: name, kind, output shape and parameter count."""

    name: str
    kind: str  # "conv", "maxpool", "avgpool", "flatten", "dense", "dropout", "batchnorm"
    layer: _Layer
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int


class ModelConfig(BaseModel):
    """A CNN described as a lecture file writes it (``model:``), Keras-like; the course's network by default.

    ::

        model:
          name: tiny
          input: [1, 28, 28]        # C×H×W
          layers:
            - conv: {filters: 8, kernel: 3, stride: 2, padding: 1, activation: relu}
            - pool: {mode: max, size: 2}
            - flatten: {}
            - dense: {units: 10}    # the last layer: one score per class (softmax in the loss)

    Validated before any work: every layer's input must fit it (a window no larger than the padded map, a
    dense layer on a flat vector, groups that divide the channels) and the last layer is a dense layer of
    ``classes`` units. Saved inside every checkpoint (:meth:`to_dict`, plain types).
    """

    model_config = MODEL_CONFIG
    name: Annotated[str, StringConstraints(max_length=40, pattern=r"^[\w.-]+$")] = "course"
    input: Annotated[tuple[int, int, int], PlainValidator(lambda v: _input_shape(v))] = (1, 28, 28)
    classes: int = Field(10, ge=2, le=MAX_UNITS)
    layers: Annotated[tuple[SerializeAsAny[_Layer], ...], PlainValidator(lambda v: _layers(v))] = ()

    @field_serializer("input")
    def _dump_input(self, shape: tuple[int, int, int]) -> list[int]:
        return list(shape)

    @field_serializer("layers")
    def _dump_layers(self, layers: tuple[_Layer, ...]) -> list[dict[str, Any]]:
        return [layer.to_dict() for layer in layers]  # as the YAML writes them: the kind is the key

    @model_validator(mode="after")
    def _fits(self) -> ModelConfig:
        if not self.layers:  # the course's network (cnnviz/mnist/model.py's docstring)
            object.__setattr__(self, "layers", COURSE_LAYERS)
        try:
            self.shapes()
        except ValueError as exc:
            raise _refused(str(exc)) from None
        return self

    def shapes(self) -> list[LayerShape]:
        """Each layer's name, kind, input and output shape and parameter count; ValueError for a layer whose
        input does not fit it, naming the layer's index and kind, its input shape and why."""
        rows: list[LayerShape] = []
        shape: tuple[int, ...] = tuple(self.input)
        counts: dict[str, int] = {}
        total = 0
        kinds = [layer.kind for layer in self.layers]
        for i, layer in enumerate(self.layers):
            where = f"layers[{i}] ({layer.kind}, input {shape_text(shape)})"
            flat = len(shape) == 1
            kind = layer.kind
            params = 0
            if isinstance(layer, (ConvLayer, PoolLayer, FlattenLayer)) and flat:
                raise ValueError(f"{where}: the input is already flat; a {layer.kind} layer needs a C×H×W volume "
                                 "(put it before the flatten layer)")
            if isinstance(layer, ConvLayer):
                c = shape[0]
                if c % layer.groups or layer.filters % layer.groups:
                    raise ValueError(f"{where}: groups {layer.groups} must divide both the {c} input channels and "
                                     f"the {layer.filters} filters")
                try:
                    h, w = (shapes.conv_output_size(n, layer.kernel, stride=layer.stride, padding=layer.padding,
                                                    dilation=layer.dilation) for n in shape[1:])
                except ValueError as exc:
                    raise ValueError(f"{where}: the input is too small: {exc}") from None
                params = layer.filters * (c // layer.groups) * layer.kernel ** 2 + layer.filters
                out: tuple[int, ...] = (layer.filters, h, w)
            elif isinstance(layer, PoolLayer):
                kind = f"{layer.mode}pool"
                try:
                    h, w = (shapes.pool_output_size(n, layer.size, stride=layer.stride, padding=layer.padding)
                            for n in shape[1:])
                except ValueError as exc:
                    raise ValueError(f"{where}: {exc}") from None
                out = (shape[0], h, w)
            elif isinstance(layer, FlattenLayer):
                out = (math.prod(shape),)
            elif isinstance(layer, DenseLayer):
                if not flat:
                    raise ValueError(f"{where}: a dense layer needs a flat vector; put `- flatten: {{}}` before it")
                params = layer.units * shape[0] + layer.units
                out = (layer.units,)
                if layer.activation == "softmax" and i != len(self.layers) - 1:
                    raise ValueError(f"{where}: softmax belongs to the last layer only; use relu or none")
            elif isinstance(layer, BatchNormLayer):
                params = 2 * shape[0]  # a scale and a shift per channel (or unit)
                out = shape
            else:  # dropout
                out = shape
            stem = _NAME_STEM[layer.kind]
            counts[stem] = counts.get(stem, 0) + 1
            single = layer.kind == "flatten" and kinds.count("flatten") == 1
            rows.append(LayerShape(stem if single else f"{stem}{counts[stem]}", kind, layer, shape, out, params))
            total += params
            shape = out
        last = self.layers[-1]
        if not isinstance(last, DenseLayer) or last.units != self.classes:
            raise ValueError(f"layers[{len(self.layers) - 1}] ({last.kind}, output {shape_text(shape)}): the last "
                             f"layer must be a dense layer of {self.classes} units (classes), one score per class")
        if last.activation == "relu":
            raise ValueError(f"layers[{len(self.layers) - 1}] (dense): the last layer's scores go to softmax; its "
                             "activation must be none or softmax")
        if total > MAX_MODEL_PARAMS:
            raise ValueError(f"the model has {total:,} parameters; at most {MAX_MODEL_PARAMS:,} (a lecture's "
                             "network trains on a CPU)")
        return rows

    def refuse_for_scene(self, scene_id: str) -> None:
        """ValueError, naming the scene, the model and what the scene can draw, for a model that scene cannot
        show: ``error_flow`` and ``mnist_features`` draw the digit as one greyscale picture and one cell (or
        bar) per class; ``mnist_features`` shows the kernels of the first conv layer; ``error_flow`` lists the
        layers beside its panels (:data:`ERROR_FLOW_MAX_LAYERS`)."""
        if scene_id not in DIGIT_SCENES:
            return
        rows = self.shapes()
        what = f"scene {scene_id}: the model {self.name!r}"
        if self.input[0] != 1:
            raise ValueError(f"{what} reads {self.input[0]} channels; the scene draws the digit it sends through "
                             "the network as one greyscale picture: input [1, H, W]")
        if self.classes > MAX_DRAWN_CLASSES:
            raise ValueError(f"{what} has {self.classes} classes; the scene draws one cell per class, at most "
                             f"{MAX_DRAWN_CLASSES}")
        if scene_id == "mnist_features" and not any(r.kind == "conv" for r in rows):
            raise ValueError(f"{what} has no conv layer ({', '.join(r.name for r in rows)}); the scene shows the "
                             "first conv layer's learned kernels and the feature maps: add a conv layer")
        if scene_id == "error_flow" and len(rows) > ERROR_FLOW_MAX_LAYERS:
            raise ValueError(f"{what} has {len(rows)} layers; the scene lists the layers beside its panels, at most "
                             f"{ERROR_FLOW_MAX_LAYERS} (mnist_architecture shows any depth)")

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, ints, strings), so ``torch.load(weights_only=True)`` reads it back."""
        return self.model_dump()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; also reads the fixed architecture of checkpoints written before models
        were described layer by layer (``conv_channels``, ``kernel_size``, ``dense``, …)."""
        if isinstance(d, dict) and "conv_channels" in d:
            return cls._legacy(d)
        if not isinstance(d, dict):
            raise ValueError(f"got {show(d)}; a model is a mapping with input and layers")
        try:
            return _validated(cls, d, "model", scene="model")
        except ConfigError as exc:  # the same words as in a lecture file
            raise ValueError(str(exc).replace(" for scene 'model'", "")) from None

    @classmethod
    def _legacy(cls, d: dict[str, Any]) -> ModelConfig:
        known = {"conv_channels", "kernel_size", "pool_size", "dense", "num_classes", "input_size", "in_channels"}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown ModelConfig fields {sorted(unknown)}")
        o = {"kernel_size": 3, "pool_size": 2, "dense": 64, "num_classes": 10, "input_size": 28, "in_channels": 1,
             **d}
        channels = o["conv_channels"]
        if not isinstance(channels, (list, tuple)) or not channels or not all(
                isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in channels):
            raise ValueError(f"conv_channels must be a non-empty list of positive integers; got {show(channels)}")
        layers: list[dict[str, Any]] = []
        for n, c in enumerate(channels):
            layers.append({"conv": {"filters": c, "kernel": o["kernel_size"], "activation": "relu"}})
            if n < len(channels) - 1:
                layers.append({"pool": {"mode": "max", "size": o["pool_size"]}})
        layers += [{"flatten": {}}, {"dense": {"units": o["dense"], "activation": "relu"}},
                   {"dense": {"units": o["num_classes"], "activation": "softmax"}}]
        return cls.from_dict({"input": [o["in_channels"], o["input_size"], o["input_size"]],
                              "classes": o["num_classes"], "layers": layers})


def _input_shape(value: Any) -> tuple[int, int, int]:
    ok = isinstance(value, (list, tuple)) and len(value) == 3 and all(
        isinstance(n, int) and not isinstance(n, bool) for n in value)
    if not ok or not 1 <= value[0] <= 4 or not all(1 <= n <= MAX_INPUT_SIDE for n in value[1:]):
        raise _refused(f"input: got {show(value)}; must be [C, H, W]: 1 to 4 channels, sides 1 to {MAX_INPUT_SIDE}")
    return (int(value[0]), int(value[1]), int(value[2]))


def _layers(value: Any) -> tuple[_Layer, ...]:
    if not isinstance(value, (list, tuple)):
        raise _refused(f"layers: got {show(value)}; must be a list of layers, e.g. [{{conv: {{filters: 8, "
                       "kernel: 3}}}}, {flatten: {}}, {dense: {units: 10}}]")
    if len(value) > MAX_MODEL_LAYERS:
        raise _refused(f"layers: got {len(value)} layers; at most {MAX_MODEL_LAYERS}")
    return tuple(_layer(i, item) for i, item in enumerate(value))


#: the course's network (the Keras listing of cnnviz/mnist/model.py): 93,322 parameters
COURSE_LAYERS: tuple[_Layer, ...] = (
    ConvLayer(filters=32, kernel=3, activation="relu"), PoolLayer(mode="max", size=2),
    ConvLayer(filters=64, kernel=3, activation="relu"), PoolLayer(mode="max", size=2),
    ConvLayer(filters=64, kernel=3, activation="relu"), FlattenLayer(),
    DenseLayer(units=64, activation="relu"), DenseLayer(units=10, activation="softmax"),
)


class TrainConfig(BaseModel):
    """How the network is trained (``train:``): Adam, cross-entropy, seeded; saved with the checkpoint."""

    model_config = MODEL_CONFIG
    epochs: int = Field(5, ge=1, le=MAX_EPOCHS)
    batch_size: int = Field(32, ge=1, le=MAX_BATCH_SIZE)
    lr: Number = 1e-3
    seed: int = Field(0, ge=0, le=MAX_SEED)

    @model_validator(mode="after")
    def _rate(self) -> TrainConfig:
        if not 0 < self.lr <= 1:
            raise ValueError(f"lr: got {self.lr}; must be a learning rate above 0 and at most 1")
        return self


class MnistParams(SceneParams):
    index: int = Field(0, ge=0, le=9999)  # which test digit: MNIST has 10,000
    checkpoint: Text | None = None  # default: the shipped one for the course's model, else trained into the cache
    # your own digit (error_flow, mnist_features): a picture prepared as MNIST's were, in place of test digit
    # `index`; its class is unknown unless `label` says it (error_flow needs it for δ = p − y)
    input_image: Text | None = None
    label: int | None = Field(None, ge=0, le=9)
    # the lecture's network and recipe (its top-level `model:` and `train:`; one network for every MNIST scene)
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    data: Text | None = None  # the lecture's own data set (top-level `data:`, cnnviz.own_data); None: MNIST

    def checkpoint_path(self) -> Path | None:
        return None if self.checkpoint is None else repo_path(self.checkpoint)

    def input_image_path(self) -> Path | None:
        return None if self.input_image is None else repo_path(self.input_image)

    def check(self) -> None:
        if self.label is not None and self.input_image is None:
            raise ValueError(f"label {self.label} is the class of your own digit: give it with input_image "
                             "(test digit `index` has its label in MNIST)")

    def check_files(self) -> None:
        image = self.input_image_path()
        if image is not None:
            if not image.is_file():
                raise ValueError(f"input_image {self.input_image!r}: no such file (looked at {image}); give a "
                                 "picture of one handwritten digit (PNG, JPEG, …)")
            check_image(image, "input_image")
            from .mnist.digit import digit_steps

            try:
                digit_steps(image)
            except ValueError as exc:  # the digit module's message names the file and what is allowed
                raise ValueError(f"input_image: {exc}") from None
        path = self.checkpoint_path()
        if path is None:
            return
        if not path.exists():
            raise ValueError(f"checkpoint {self.checkpoint!r}: no such file (looked at {path}); give the "
                             f"mnist_cnn.pt that `{user_command('train')}` wrote, or leave checkpoint out")
        from .mnist.checkpoint_check import check_checkpoint_file

        try:
            check_checkpoint_file(path, config=self.model)
        except ValueError as exc:  # the checkpoint module's message names the file and the field
            raise ValueError(f"checkpoint: {exc}") from None


def check_image(path: Path, key: str) -> None:
    """Refuse a file that is not a picture Pillow can read, or one too large to filter (ValueError)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:
                raise ValueError(f"{key} {str(path)!r} is {w}x{h} pixels; at most {MAX_IMAGE_PIXELS} pixels "
                                 f"(4096x4096) are read")
            im.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{key} {str(path)!r} is not an image Pillow can read (PNG, JPEG, …): "
                         f"{type(exc).__name__}") from None


def params_class(scene_id: str) -> type[SceneParams]:
    """The parameters class of ``scene_id``, as its registry entry names it."""
    from .registry import scene_spec

    return scene_spec(scene_id).params_class()


def __getattr__(name: str) -> Any:
    # SCENE_PARAMS (scene id -> parameters class, in lecture order) comes from the registry, built on first
    # use: the registry names classes that may live in a scene's values module, which imports this one
    if name == "SCENE_PARAMS":
        from .registry import SCENES

        table = {spec.id: spec.params_class() for spec in SCENES}
        globals()["SCENE_PARAMS"] = table
        return table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _shape_or(array: Any, default: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a configured array, or ``default``: the shape of the seeded one used when it is omitted."""
    return tuple(np.shape(array)) if array is not None else default


def _guard(keys: tuple[str, ...], check: typing.Callable[[], Any]) -> None:
    try:
        check()
    except ValueError as exc:
        raise ValueError(f"{', '.join(keys)} do not fit together: {exc}") from None


def int_limits(cls: type[BaseModel], name: str) -> tuple[int, int]:
    """The allowed range of integer parameter ``name`` of ``cls``, as its field declares it (README: "Bounds")."""
    meta = cls.model_fields[name].metadata
    return next(m.ge for m in meta if isinstance(m, Ge)), next(m.le for m in meta if isinstance(m, Le))


# ---------------------------------------------------------------- lecture
class SceneEntry(BaseModel):
    """One entry of a lecture's ``scenes:``: the scene id and its validated parameters."""

    model_config = MODEL_CONFIG
    scene: str
    params: SerializeAsAny[SceneParams]  # dumped as the scene's own class, not as the base


class LectureConfig(BaseModel):
    """A validated lecture: its top-level keys, its scene entries in lecture order and the file it came from."""

    model_config = MODEL_CONFIG
    title: Text = "Convolutional Neural Networks"
    language: Literal["en", "zh"] = "en"
    theme: Literal["dark", "solarized"] = "dark"
    model: ModelConfig = ModelConfig()  # the MNIST scenes' network (default: the course's)
    train: TrainConfig = TrainConfig()  # and how it is trained
    data: Text | None = None  # what it is trained on: a folder of class folders or an .npz (default: MNIST)
    scenes: tuple[SceneEntry, ...] = ()
    source: str = "<defaults>"  # the file it was read from; not a key of the file

    def entry(self, scene_id: str) -> SceneEntry:
        """This lecture's entry for ``scene_id``, or the defaults when it has none."""
        cls = _known_params_class(scene_id, "scene")
        for e in self.scenes:
            if e.scene == scene_id:
                return e
        return SceneEntry(scene=scene_id, params=self._with_network(cls()))

    def _with_network(self, params: SceneParams) -> SceneParams:
        """An MNIST scene's parameters with this lecture's network (``model:``, ``train:``)."""
        if "model" not in type(params).model_fields:
            return params
        return params.model_copy(update={"model": self.model, "train": self.train, "data": self.data})

    def place(self, scene_id: str) -> dict[str, Any]:
        """Where ``scene_id`` stands in this lecture, as its clip shows it: the agenda (every scene id, in
        order) when it opens the lecture, and the scene that follows it; a scene outside the lecture has
        neither. The render cache keys on this too."""
        ids = [e.scene for e in self.scenes]
        if scene_id not in ids:
            return {"agenda": [], "next": None, "title": self.title}
        n = ids.index(scene_id)
        return {"agenda": ids if n == 0 and len(ids) > 1 else [], "next": ids[n + 1] if n + 1 < len(ids) else None,
                "title": self.title}


def _known_params_class(scene_id: Any, where: str) -> type[SceneParams]:
    from .registry import UnknownSceneError, scene_ids

    if not isinstance(scene_id, str):
        raise ConfigError(f"{where}: got {show(scene_id)}; must be a scene id (a string), one of: "
                          f"{', '.join(scene_ids())}")
    try:
        return params_class(scene_id)
    except UnknownSceneError:
        raise ConfigError(f"{where}: unknown scene id {show(scene_id)}; allowed: {', '.join(scene_ids())}") from None


def _validated(model: type[M], raw: dict[Any, Any], where: str, sep: str = ".", scene: str = "") -> M:
    """``model`` validated from ``raw`` (a scene's with its files read), or :class:`ConfigError` for the first,
    in the file's order of keys, of the mistakes pydantic found; ``where`` and ``sep`` put the key in words."""
    try:
        return model.model_validate(raw, context=READ_FILES if scene else None)
    except ValidationError as exc:
        order = {key: n for n, key in enumerate(raw)}
        err = min(exc.errors(include_url=False),
                  key=lambda e: order.get(e["loc"][0], len(order)) if e["loc"] else len(order))
    if not err["loc"]:  # a check() of several keys (ValueError), or a model's own refusal (_refused)
        ctx = err.get("ctx", {})
        raise ConfigError(f"{where}: {ctx['error'] if 'error' in ctx else ctx.get('message', err['msg'])}")
    key, kind = err["loc"][0], err["type"]
    if kind in ("extra_forbidden", "invalid_key"):  # in a scene entry (parse_config checks the top level's)
        raise ConfigError(f"{where}: unknown key {show(key)} for scene {scene!r}; allowed: "
                          f"{', '.join(sorted(model.model_fields))}")
    if kind == "missing":
        raise ConfigError(f"{where}{sep}{key}: missing; it has no default, so it must be given")
    if kind == "cnnviz":  # a number or an array: our validator's own words
        raise ConfigError(f"{where}{sep}{key}: {err['msg']}")
    if kind in ("int_type", "greater_than_equal", "less_than_equal"):
        allowed = "must be an integer from {} to {}".format(*int_limits(model, key))
    elif kind.startswith("string_"):
        allowed = f"must be a string of at most {MAX_STRING} characters"
    elif kind == "literal_error":
        # the choices may be numbers (trends: vgg, resnet)
        allowed = "allowed: " + ", ".join(map(str, typing.get_args(model.model_fields[key].annotation)))
    else:  # no other kind is declared above; pydantic's words rather than none
        allowed = err["msg"]
    raise ConfigError(f"{where}{sep}{key}: got {show(err['input'])}; {allowed}")


def parse_config(data: Any, source: str = "<config>") -> LectureConfig:
    """Validate an already-parsed YAML document into a :class:`LectureConfig`.

    Parameters
    ----------
    data
        What :func:`read_yaml` returned (None for an empty file).
    source
        The file's name, with which every message starts.

    Raises
    ------
    ConfigError
        For the first mistake in the file's order: the entry, key, value (cut short) and what is allowed.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with keys {', '.join(TOP_KEYS)}; "
                          f"got {type(data).__name__}")
    for key in data:  # by hand: `source` is a field of LectureConfig but no key of a file
        if key not in TOP_KEYS:
            raise ConfigError(f"{source}: unknown key {show(key)}; allowed: {', '.join(TOP_KEYS)}")
    scenes = data.get("scenes", [])
    if not isinstance(scenes, list):
        raise ConfigError(f"{source}: scenes: got {show(scenes)}; must be a list of scene entries")
    head = {k: v for k, v in data.items() if k not in ("scenes", *NETWORK_KEYS)}
    base = Path(source).resolve().parent if source not in ("<config>", "<defaults>") else None
    lecture = _validated(LectureConfig, {**head, "source": source}, source, sep=": ")
    lecture = lecture.model_copy(update=_network(data, source, base))
    lecture = _own_data(lecture, source, base)
    entries: list[SceneEntry] = []
    for n, raw in enumerate(scenes):
        where = f"{source}: scenes[{n}]"
        if not isinstance(raw, dict) or "scene" not in raw:
            raise ConfigError(f"{where}: each entry must be a mapping with a 'scene' key, e.g. "
                              f"{{scene: conv2d, stride: 2}}; got {show(raw)}")
        raw = dict(raw)
        scene_id = raw.pop("scene")
        if base is not None:  # a path in a file is read from the file's folder, as a teacher writes it
            for key in PATH_KEYS:
                value = raw.get(key)
                if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
                    raw[key] = str(base / value)
        _known_params_class(scene_id, f"{where}.scene")
        for key in (*NETWORK_KEYS, "data"):
            if key in raw:
                raise ConfigError(f"{where}.{key}: set `{key}:` at the top of the lecture file, not in a scene: "
                                  "every MNIST scene shows the same network")
        if any(e.scene == scene_id for e in entries):
            raise ConfigError(f"{where}.scene: {scene_id!r} appears twice; each scene id may appear once")
        cls = params_class(scene_id)
        if "model" in cls.model_fields:  # before validation: the checkpoint it names must hold this network
            raw.update(model=lecture.model, train=lecture.train, data=lecture.data)
        params = _validated(cls, raw, f"{where} ({scene_id})", scene=scene_id)
        entries.append(SceneEntry(scene=scene_id, params=params))
    for e in entries:  # δ = p − y at the output needs the true class: a picture of one's own must say it
        if e.scene == "error_flow" and getattr(e.params, "input_image", None) and e.params.label is None:
            raise ConfigError(f"{source}: scenes[{[x.scene for x in entries].index(e.scene)}] (error_flow): "
                              "input_image is given but label is not; allowed: label 0 to 9, the digit the picture "
                              "shows (error_flow's δ = p − y needs the true class)")
    for e in entries:  # before any work: a scene that cannot draw this network
        if e.scene in DIGIT_SCENES:
            try:
                lecture.model.refuse_for_scene(e.scene)
            except ValueError as exc:
                raise ConfigError(f"{source}: model: {exc}") from None
    return lecture.model_copy(update={"scenes": tuple(entries)})


def _network(data: dict[Any, Any], source: str, base: Path | None) -> dict[str, Any]:
    """The lecture's ``model:`` and ``train:``, validated; ``model:`` may name a YAML file of its own (relative
    to the lecture's folder) holding ``model:`` and, optionally, ``train:``."""
    raw = {key: data[key] for key in NETWORK_KEYS if key in data}
    where = source
    if isinstance(raw.get("model"), str):
        path = Path(raw["model"]).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_file():
            raise ConfigError(f"{source}: model: {show(raw['model'])} names no file (looked at {path}); allowed: a "
                              "mapping with input and layers, or a YAML file holding `model:` (and `train:`)")
        own = read_yaml(path)
        if not isinstance(own, dict) or "model" not in own or set(own) - set(NETWORK_KEYS):
            raise ConfigError(f"{path}: must be a mapping with the key model (and, optionally, train); got "
                              f"{show(own if not isinstance(own, dict) else sorted(map(str, own)))}")
        raw = {**own, **({"train": raw["train"]} if "train" in raw else {})}
        where = str(path)
    out: dict[str, Any] = {}
    for key, cls in (("model", ModelConfig), ("train", TrainConfig)):
        if key in raw:
            value = raw[key]
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key}: got {show(value)}; must be a mapping, e.g. "
                                  + ("{input: [1, 28, 28], layers: [...]}" if key == "model" else "{epochs: 3}"))
            try:
                out[key] = _validated(cls, value, f"{where}: {key}", scene=key)
            except ConfigError as exc:
                raise ConfigError(str(exc).replace(f" for scene {key!r}", "")) from None
    return out


def _own_data(lecture: LectureConfig, source: str, base: Path | None) -> LectureConfig:
    """The lecture with ``data:`` made absolute (from the file's folder), checked against ``model:`` before any
    work: the model's input must be the data's sample shape and its last layer one unit per class."""
    if lecture.data is None:
        return lecture
    from .own_data import DataError, check_fits, inspect_data

    path = Path(lecture.data).expanduser()
    path = base / path if base is not None and not path.is_absolute() else path
    try:
        info = inspect_data(path)
        check_fits(info, lecture.model.input, lecture.model.classes, lecture.model.shapes()[-1].output_shape[0])
    except DataError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return lecture.model_copy(update={"data": str(path)})


def read_yaml(path: Path) -> Any:
    """Parse the YAML file ``path`` (``yaml.safe_load`` semantics) with bounded work: at most
    :data:`MAX_CONFIG_BYTES` read (so ``/dev/zero`` is refused too), UTF-8 only, nesting at most
    :data:`MAX_YAML_DEPTH`, and at most :data:`MAX_YAML_NODES` nodes once aliases are expanded (a
    "billion laughs" document is refused before anything is built). :class:`ConfigError` names the file."""
    import yaml

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: the config file is larger than {MAX_CONFIG_BYTES // 1024} KiB; a lecture "
                          f"config is a few KB of YAML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                          f"save the config as UTF-8") from None
    if "\x00" in text:
        raise ConfigError(f"{path}: not a text file (it contains NUL bytes); a config is UTF-8 YAML")
    try:
        node = _compose_bounded(yaml, text, path)
        return yaml.SafeLoader(text).construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {_short(str(exc))}") from None
    except ValueError as exc:  # Python refuses to convert an integer of thousands of digits
        if "digits" not in str(exc):
            raise
        raise ConfigError(f"{path}: a number with thousands of digits; numbers in a lecture config are at most "
                          f"1e6 in size, counts and seeds at most 2**32") from None


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def _compose_bounded(yaml: Any, text: str, path: Path) -> Any:
    # depth first, from the event stream (iterative): the composer itself recurses once per level
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ConfigError(f"{path}: line {event.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} "
                                  f"levels deep; a lecture config needs at most about 7")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None
    # the size of the document with every alias expanded, counted over the node graph (each node once)
    size: dict[int, int] = {}
    stack, on_path = [(node, False)], set()
    while stack:
        n, done = stack.pop()
        if done:
            on_path.discard(id(n))
            children = [c for pair in n.value for c in pair] if isinstance(n, yaml.MappingNode) else \
                n.value if isinstance(n, yaml.SequenceNode) else []
            size[id(n)] = 1 + sum(size[id(c)] for c in children)
            if size[id(n)] > MAX_YAML_NODES:
                raise ConfigError(f"{path}: line {n.start_mark.line + 1}: expands to more than {MAX_YAML_NODES} "
                                  f"values through aliases (&/*); a lecture config has a few hundred")
            continue
        if id(n) in size:
            continue
        if id(n) in on_path:
            raise ConfigError(f"{path}: line {n.start_mark.line + 1}: an alias refers to itself; a config "
                              f"cannot contain itself")
        on_path.add(id(n))
        stack.append((n, True))
        children = [c for pair in n.value for c in pair] if isinstance(n, yaml.MappingNode) else \
            n.value if isinstance(n, yaml.SequenceNode) else []
        stack.extend((c, False) for c in children if id(c) not in size)
    return node


def load_config(path: str | os.PathLike[str] | None = None) -> LectureConfig:
    """Read and validate a lecture YAML file (default: the shipped ``cnnviz/assets/lecture.yaml``)."""
    p = Path(path) if path is not None else DEFAULT_CONFIG
    return parse_config(read_yaml(p), str(p))


def scene_entry(scene_id: str) -> tuple[LectureConfig, SceneEntry]:
    """What a scene renders with: ``$CNNVIZ_CONFIG`` (default the shipped ``cnnviz/assets/lecture.yaml``), with
    ``$CNNVIZ_LANGUAGE`` / ``$CNNVIZ_THEME`` overriding the file's language and theme (see
    :mod:`cnnviz.scene_env`)."""
    from .scene_env import SceneEnv, SceneEnvError

    try:
        env = SceneEnv.from_environ()
    except SceneEnvError as exc:
        raise ConfigError(str(exc)) from None
    cfg = load_config(env.config)
    overrides = {k: v for k, v in (("language", env.language), ("theme", env.theme)) if v}
    cfg = cfg.model_copy(update=overrides) if overrides else cfg  # SceneEnv checked both
    return cfg, cfg.entry(scene_id)


# ---------------------------------------------------------------- grouped and depthwise separable convolution
class GroupConvParams(SceneParams):
    """A group convolution: ``in_channels`` split into ``groups``, each with its own kernels (``group_conv``)."""

    in_channels: int = Field(4, ge=1, le=8)
    out_channels: int = Field(4, ge=1, le=8)
    groups: int = Field(2, ge=1, le=4)
    kernel_size: int = Field(3, ge=1, le=5)
    size: int = Field(4, ge=1, le=5)  # the seeded input is in_channels x size x size

    def check(self) -> None:
        for key, channels in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if channels % self.groups:
                raise ValueError(f"groups ({self.groups}) must divide {key} ({channels}): each group takes "
                                 f"{key} / groups channels")
        _guard(("size", "kernel_size"), lambda: shapes.conv_output_size(self.size, self.kernel_size))
        per_in, per_out = self.in_channels // self.groups, self.out_channels // self.groups
        # the scene works one group's output cells with that group's channels side by side (as multichannel)
        if per_in > 4 or per_out > 3 or per_in * self.size > 16:
            raise ValueError(f"one group has in_channels / groups = {per_in} input and out_channels / groups = "
                             f"{per_out} output channels of {self.size}x{self.size}; at most 4 inputs "
                             f"(x size <= 16 cells side by side) and 3 outputs per group can be drawn legibly")


class DepthwiseSeparableParams(SceneParams):
    """A depthwise convolution (one kernel per channel, ``groups = in_channels``) and a 1x1 pointwise one to
    ``out_channels`` (``depthwise_separable``)."""

    in_channels: int = Field(3, ge=1, le=4)
    out_channels: int = Field(4, ge=1, le=4)
    groups: int | None = Field(None, ge=1, le=4)  # None: in_channels, the only value a depthwise step takes
    kernel_size: int = Field(3, ge=1, le=4)
    size: int = Field(4, ge=1, le=5)  # the seeded input is in_channels x size x size

    def check(self) -> None:
        if self.groups is not None and self.groups != self.in_channels:
            raise ValueError(f"groups ({self.groups}) must equal in_channels ({self.in_channels}): a depthwise "
                             f"convolution has one group per channel (g = C_in = C_out); leave groups out, or "
                             f"use the group_conv scene for other groups")
        _guard(("size", "kernel_size"), lambda: shapes.conv_output_size(self.size, self.kernel_size))
        out = self.size - self.kernel_size + 1
        # drawn: the channels side by side with a kernel under each, the depthwise maps in a column beside them;
        # then the 1x1 step's output maps two by two beside its kernels
        if self.in_channels * self.size > 12 or self.size + self.kernel_size > 7 or self.in_channels * (out + 1) > 10:
            raise ValueError(f"in_channels ({self.in_channels}) channels of size {self.size} with a "
                             f"{self.kernel_size}x{self.kernel_size} kernel are too many cells to draw legibly: "
                             f"at most 12 cells side by side (in_channels x size), size + kernel_size <= 7 and "
                             f"in_channels x (output size + 1) = {self.in_channels} x {out + 1} <= 10")
        if out > 3 and self.out_channels > 1:
            raise ValueError(f"out_channels ({self.out_channels}) output maps of {out}x{out} (size - kernel_size + 1) "
                             f"do not fit beside the 1x1 kernels legibly: maps of at most 3x3, or out_channels 1")

    @property
    def group_count(self) -> int:
        """The depthwise step's groups: one per input channel."""
        return self.in_channels

# ---------------------------------------------------------------- the classic networks (cnnviz/classic.py)
DROPOUT_RANGE = (0.1, 0.9)  # the share of units dropped: beyond it the drawn mask keeps all or nothing


def _dropout_rate(value: Any) -> float:
    why = _number_error(value)
    lo, hi = DROPOUT_RANGE
    finite = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and
                                                                           math.isfinite(value))
    if finite and not lo <= value <= hi:  # also a huge one: its own range, not that of drawn numbers
        why = f"must be a number from {lo} to {hi} (the share of units dropout drops)"
    if why:
        raise _refused(f"got {show(value)}; {why}")
    return float(value)


DropoutRate = Annotated[float, PlainValidator(_dropout_rate)]


class AlexNetParams(SceneParams):
    """AlexNet's walk: conv1's zero padding (the reading notes' 2; the slide's 3 gives the same 55×55), and the
    dropout shown on fc6's real activations (``seed`` draws the network's weights and its input)."""

    padding: int = Field(2, ge=0, le=5)  # conv1's p: at most half its 11×11 kernel, beyond it only zeros are read
    dropout_p: DropoutRate = 0.5  # the share of units dropped; the course's 0.5
    dropout_seed: int = Field(0, ge=0, le=MAX_SEED)  # torch.manual_seed before the mask is drawn


# ---------------------------------------------------------------- residual networks (cnnviz/values/residual.py)
class ResidualParams(SceneParams):
    """A residual block y = F(x) + x on a seeded ``size``×``size`` input, and a plain and a shortcut stack of
    ``blocks`` such blocks (``channels`` wide) whose gradients are measured on ``batch_size`` MNIST test digits
    (``seed`` draws the block, the stacks' initialisation and the digits)."""

    size: int = Field(3, ge=2, le=3)  # the shown block's input: x, W₁, h, W₂, F(x) side by side stay legible
    blocks: int = Field(10, ge=1, le=16)  # blocks of two convolutions after the stem: 2·blocks + 1 layers
    # the stacks' width (the stem maps 1 → channels); narrower, every ReLU of a layer can be dead on the batch, and
    # a zero gradient has no place on the chart's log scale
    channels: int = Field(8, ge=4, le=16)
    batch_size: int = Field(32, ge=1, le=256)  # MNIST test digits in the measured batch: the values take ~a second


# ---------------------------------------------------------------- the convolution theorem (cnnviz/values/conv_theorem.py)
class ConvTheoremParams(ImageFiltersParams):
    """The photo (grey, ``size`` x ``size``) filtered by a blur and an edge kernel through the FFT
    (``conv_theorem``). Every kernel offered is symmetric under rot (180°), so the course's ⊗ (a
    cross-correlation) is the convolution the theorem is about."""

    size: int = Field(64, ge=16, le=96)  # FFT pictures of size x size; the JSON holds ~20 of them: 1.9 MB at 64, ~4 MB at 96
    blur: Literal["box3", "box5", "gaussian5"] = "box5"  # the low-pass kernel
    edge: Literal["laplacian4", "laplacian8"] = "laplacian4"  # the high-pass kernel (4 or 8 neighbours)


# ---------------------------------------------------------------- trends of CNN design (cnnviz/values/trends.py)
class TrendsParams(SceneParams):
    """The course's three trends of CNN design (``trends``): a stack of ``small_kernel``×``small_kernel``
    convolutions against one larger kernel of the same receptive field (``channels`` in and out), the depths of
    the classic networks (VGG and ResNet in the variants named), and a stride-2 convolution in place of
    convolution + 2×2 pooling on a ``channels``×``map_size``×``map_size`` map."""

    channels: int = Field(64, ge=1, le=1024)  # C in and out; above 1024 the counts outgrow a table cell
    small_kernel: int = Field(3, ge=3, le=5)  # the small kernel size c of the stacks; odd (checked)
    deepest_stack: int = Field(3, ge=2, le=4)  # stacks of 2 .. deepest_stack small kernels are compared
    vgg: Literal[11, 13, 16, 19] = 16  # the VGG configuration (A, B, D, E of Simonyan & Zisserman)
    resnet: Literal[18, 34, 50, 101, 152] = 152  # the ResNet variant (He et al. 2016, Table 1)
    map_size: int = Field(32, ge=4, le=512)  # H = W of the map that is halved; even (checked)
    pool: Literal["max", "avg"] = "max"  # the 2×2, stride-2 pooling the strided convolution replaces
    # the whole VGG network on a larger image, fully convolutional: at least 224 (fc6 as a 7×7 convolution)
    large_input: int = Field(384, ge=224, le=1024)

    def check(self) -> None:
        if self.map_size % 2:
            raise ValueError(f"map_size must be even (got {self.map_size}): on an odd size, 2×2 pooling floors "
                             f"and a stride-2 convolution with padding rounds up, so the two sizes differ")
        if self.small_kernel % 2 == 0:
            raise ValueError(f"small_kernel must be odd (got {self.small_kernel}): an even kernel has no centre, "
                             f"and no padding keeps the map's size for the stride-1 convolution")


# ---------------------------------------------------------------- an Inception module (cnnviz/values/inception.py)
class InceptionParams(SceneParams):
    """One Inception-v1 module on an ``in_channels`` x ``size`` x ``size`` input (``inception``): a 1x1 branch
    (``ch1x1``), a 1x1 bottleneck to ``ch3x3red`` then a 3x3 (``ch3x3``), a 1x1 to ``ch5x5red`` then a 5x5
    (``ch5x5``), a 3x3 max pool then a 1x1 (``pool_proj``), concatenated along channels. The defaults are
    GoogLeNet's inception (3a): 192×28×28 → 64 + 128 + 32 + 32 = 256 channels. The keys are torchvision's."""

    in_channels: int = Field(192, ge=2, le=1024)  # GoogLeNet's modules take 192 to 832
    size: int = Field(28, ge=3, le=56)  # H = W; GoogLeNet's modules work at 28, 14 and 7
    ch1x1: int = Field(64, ge=1, le=512)
    ch3x3red: int = Field(96, ge=1, le=512)  # the 1x1 bottleneck before the 3x3
    ch3x3: int = Field(128, ge=1, le=512)
    ch5x5red: int = Field(16, ge=1, le=512)  # the 1x1 bottleneck before the 5x5
    ch5x5: int = Field(32, ge=1, le=512)
    pool_proj: int = Field(32, ge=1, le=512)  # the 1x1 after the max pool

    def check(self) -> None:
        for key, reduced, k, out_key, out in (("ch3x3red", self.ch3x3red, 3, "ch3x3", self.ch3x3),
                                              ("ch5x5red", self.ch5x5red, 5, "ch5x5", self.ch5x5)):
            if reduced >= self.in_channels:
                raise ValueError(f"{key} ({reduced}) must be less than in_channels ({self.in_channels}): the 1x1 "
                                 f"convolution before the {k}x{k} is a bottleneck, it reduces the channels")
            # per output position: C_in·r + r·k²·C_out with the bottleneck, C_in·k²·C_out without
            if reduced * (self.in_channels + k * k * out) >= self.in_channels * k * k * out:
                raise ValueError(f"{key} ({reduced}) is too wide to save work before a {k}x{k} convolution to "
                                 f"{out_key} ({out}) channels from in_channels ({self.in_channels}): the bottleneck "
                                 f"must cost fewer multiply-adds than the {k}x{k} convolution alone")
