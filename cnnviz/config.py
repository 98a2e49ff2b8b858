"""Lecture configuration: YAML (``yaml.safe_load`` only) validated into typed objects.

Shape of a lecture file::

    title: Convolutional Neural Networks
    language: en          # en | zh
    theme: dark           # dark | solarized
    scenes:               # in lecture order
      - scene: conv2d
        stride: 1
        padding: 0

Every mistake raises :class:`ConfigError` naming the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Union

import numpy as np

from . import shapes

__all__ = [
    "DEFAULT_CONFIG",
    "SCENE_PARAMS",
    "ConfigError",
    "LectureConfig",
    "SceneEntry",
    "load_config",
    "parse_config",
    "scene_entry",
]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "assets" / "lecture.yaml"
Array = list  # a nested list of numbers in YAML, an ndarray once validated


class ConfigError(ValueError):
    """A lecture configuration that cannot be used; the message says where and what is allowed."""


# ---------------------------------------------------------------- scene parameters
@dataclass(frozen=True)
class SceneParams:
    """Base of every scene's parameters. ``ARRAY_NDIM`` gives the allowed ndim of array fields."""

    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {}
    seed: int = 0  # seeds the small integers used where `input`/`kernel` are omitted

    def check(self) -> None:
        """Refuse impossible combinations; raise ValueError naming the keys involved."""


@dataclass(frozen=True)
class LocalConnectivityParams(SceneParams):
    image_size: int = 100
    window: int = 3

    def check(self) -> None:
        if self.window > self.image_size:
            raise ValueError(f"window ({self.window}) must not be larger than image_size ({self.image_size})")


@dataclass(frozen=True)
class Conv1dParams(SceneParams):
    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (1,), "kernel": (1,)}
    input: Array | None = None
    kernel: Array | None = None
    length: int = 6  # of the seeded input, when `input` is omitted
    kernel_size: int = 3

    def check(self) -> None:
        n = _shape_or(self.input, (self.length,))[0]
        k = _shape_or(self.kernel, (self.kernel_size,))[0]
        _guard(("input", "kernel"), lambda: shapes.conv_output_size(n, k))
        if n > 12:
            raise ValueError(f"input has {n} values; at most 12 fit on screen")


@dataclass(frozen=True)
class ConvParams(SceneParams):
    """A single-channel 2-D convolution."""

    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (2,), "kernel": (2,)}
    input: Array | None = None
    kernel: Array | None = None
    size: int = 5  # of the seeded input
    kernel_size: int = 3
    bias: float = 0.0
    stride: int = 1
    padding: int = 0
    dilation: int = 1

    def input_shape(self) -> tuple[int, int]:
        return _shape_or(self.input, (self.size, self.size))  # type: ignore[return-value]

    def kernel_shape(self) -> tuple[int, int]:
        return _shape_or(self.kernel, (self.kernel_size,) * 2)  # type: ignore[return-value]

    def check(self) -> None:
        for axis in (0, 1):
            _guard(("input", "kernel", "stride", "padding", "dilation"), lambda a=axis: shapes.conv_output_size(
                self.input_shape()[a], self.kernel_shape()[a], stride=self.stride, padding=self.padding,
                dilation=self.dilation))


@dataclass(frozen=True)
class ReceptiveFieldParams(SceneParams):
    layers: int = 2
    kernel_size: int = 3
    stride: int = 1
    dilation: int = 1
    table_depth: int = 4  # the closing table: depths 1..table_depth
    table_stride: int = 2  # its row with strided layers
    table_dilation: int = 2  # its row with dilated layers

    def check(self) -> None:
        layer = shapes.Layer(kernel_size=self.kernel_size, stride=self.stride, dilation=self.dilation)
        size = shapes.receptive_field([layer] * self.layers)[-1].size
        if size > 13:  # the widest map the scene draws
            raise ValueError(f"layers, kernel_size, stride, dilation give a receptive field of {size}x{size}; "
                             f"at most 13x13 can be drawn")
        if self.table_depth > 6:
            raise ValueError(f"table_depth must be at most 6; got {self.table_depth}")


@dataclass(frozen=True)
class StridePaddingParams(ConvParams):
    size: int = 6
    stride: int = 2
    padding: int = 1

    def check(self) -> None:
        super().check()
        if self.dilation != 1:
            raise ValueError("dilation must be 1 here; the dilated scene shows dilation")
        if max(self.input_shape()) + 2 * self.padding > 10:
            raise ValueError(f"the padded input ({max(self.input_shape())} + 2*{self.padding}) must be at most 10 "
                             f"cells wide to stay legible")


@dataclass(frozen=True)
class MultichannelParams(SceneParams):
    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (3,), "kernel": (4,), "bias": (1,)}
    input: Array | None = None  # (C_in, H, W)
    kernel: Array | None = None  # (C_out, C_in, k, k)
    bias: Array | None = None
    in_channels: int = 3
    out_channels: int = 2
    size: int = 4
    kernel_size: int = 3

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


@dataclass(frozen=True)
class PoolingParams(SceneParams):
    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (2,)}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"mode": ("max", "avg")}
    input: Array | None = None
    input_size: int = 4
    mode: Literal["max", "avg"] = "max"
    size: int = 2
    stride: int | None = None

    def check(self) -> None:
        hw = _shape_or(self.input, (self.input_size,) * 2)
        for n in hw:
            _guard(("input", "size", "stride"), lambda n=n: shapes.pool_output_size(n, self.size, stride=self.stride))
        if max(hw) > 8:
            raise ValueError(f"the input is {hw[0]}x{hw[1]}; at most 8x8 can be drawn legibly")


@dataclass(frozen=True)
class TransposedParams(SceneParams):
    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (2,), "kernel": (2,)}
    input: Array | None = None
    kernel: Array | None = None
    size: int = 2
    kernel_size: int = 3
    stride: int = 2
    padding: int = 0
    output_padding: int = 0
    dilation: int = 1
    # the closing "odd" case: same input, kernel and stride, this padding, output_padding 1 (needs stride >= 2)
    odd_padding: int = 1

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


@dataclass(frozen=True)
class DilatedParams(ConvParams):
    size: int = 7
    dilation: int = 2

    def check(self) -> None:
        super().check()
        if max(self.input_shape()) + 2 * self.padding > 9:
            raise ValueError(f"the padded input ({max(self.input_shape())} + 2*{self.padding}) must be at most 9 "
                             f"cells wide to stay legible")


@dataclass(frozen=True)
class ImageFiltersParams(SceneParams):
    image: str = "assets/photo.png"  # relative paths start at the repository root
    size: int = 96  # the photo is resized to size x size (grey) before filtering

    def image_path(self) -> Path:
        p = Path(self.image).expanduser()
        return p if p.is_absolute() else DEFAULT_CONFIG.parent.parent / p

    def check(self) -> None:
        if not 8 <= self.size <= 160:
            raise ValueError(f"size must be between 8 and 160 pixels; got {self.size}")
        if not self.image_path().is_file():
            raise ValueError(f"image {self.image!r} not found (looked at {self.image_path()})")


@dataclass(frozen=True)
class BackpropConvParams(ConvParams):
    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (2,), "kernel": (2,), "delta": (2,)}
    size: int = 4
    kernel_size: int = 2
    delta: Array | None = None

    def check(self) -> None:
        super().check()
        if self.dilation != 1:
            raise ValueError("dilation must be 1 here; the dilated scene shows dilation")
        if max(self.input_shape()) + 2 * self.padding > 8 or max(self.kernel_shape()) > 4:
            raise ValueError(f"input + 2*padding ({max(self.input_shape())} + 2*{self.padding}) must be at most 8 "
                             f"and the kernel at most 4x4 to stay legible")
        out = tuple(shapes.conv_output_size(n, k, stride=self.stride, padding=self.padding)
                    for n, k in zip(self.input_shape(), self.kernel_shape()))
        if self.delta is not None and tuple(np.shape(self.delta)) != out:
            raise ValueError(f"delta has shape {tuple(np.shape(self.delta))}; it is dL/dZ, so it must have the "
                             f"shape of the layer's output {out} (input, kernel, stride, padding)")


@dataclass(frozen=True)
class BackpropPoolParams(PoolingParams):
    ARRAY_NDIM: ClassVar[dict[str, tuple[int, ...]]] = {"input": (2,), "delta": (2,)}
    delta: Array | None = None

    def check(self) -> None:
        super().check()  # refuses inputs larger than 8x8
        shape = _shape_or(self.input, (self.input_size,) * 2)
        out = tuple(shapes.pool_output_size(n, self.size, stride=self.stride) for n in shape)
        if self.delta is not None and tuple(np.shape(self.delta)) != out:
            raise ValueError(f"delta has shape {tuple(np.shape(self.delta))}; it is the error term of the pooled "
                             f"layer, so it must have the pooled output's shape {out} (input, size, stride)")


@dataclass(frozen=True)
class MnistParams(SceneParams):
    index: int = 0  # which test digit
    checkpoint: str | None = None  # default: train one into the cache folder when none exists


SCENE_PARAMS: dict[str, type[SceneParams]] = {
    "local_connectivity": LocalConnectivityParams,
    "conv1d": Conv1dParams,
    "conv2d": ConvParams,
    "receptive_field": ReceptiveFieldParams,
    "stride_padding": StridePaddingParams,
    "multichannel": MultichannelParams,
    "pooling": PoolingParams,
    "transposed": TransposedParams,
    "dilated": DilatedParams,
    "image_filters": ImageFiltersParams,
    "backprop_conv": BackpropConvParams,
    "backprop_pool": BackpropPoolParams,
    "error_flow": MnistParams,
    "mnist_architecture": MnistParams,
    "mnist_training": MnistParams,
    "mnist_features": MnistParams,
}
"""Scene id → its parameter class, in lecture order."""


def _shape_or(array: Any, default: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a configured array, or ``default``: the shape of the seeded one used when it is omitted."""
    return tuple(np.shape(array)) if array is not None else default


def _guard(keys: tuple[str, ...], check: typing.Callable[[], Any]) -> None:
    try:
        check()
    except ValueError as exc:
        raise ValueError(f"{', '.join(keys)} do not fit together: {exc}") from None


# ---------------------------------------------------------------- lecture
@dataclass(frozen=True)
class SceneEntry:
    scene: str
    params: SceneParams


@dataclass(frozen=True)
class LectureConfig:
    title: str = "Convolutional Neural Networks"
    language: Literal["en", "zh"] = "en"
    theme: Literal["dark", "solarized"] = "dark"
    scenes: tuple[SceneEntry, ...] = field(default_factory=tuple)
    source: str = "<defaults>"

    def entry(self, scene_id: str) -> SceneEntry:
        """This lecture's entry for ``scene_id``, or the defaults when it has none."""
        if scene_id not in SCENE_PARAMS:
            raise ConfigError(f"unknown scene id {scene_id!r}; allowed: {', '.join(SCENE_PARAMS)}")
        for e in self.scenes:
            if e.scene == scene_id:
                return e
        return SceneEntry(scene_id, SCENE_PARAMS[scene_id]())


MAY_BE_ZERO = {"padding", "output_padding", "seed", "index"}  # every other integer parameter must be >= 1
TOP_KEYS = {"title": str, "language": ("en", "zh"), "theme": ("dark", "solarized"), "scenes": list}


def _type_name(tp: Any) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _coerce(value: Any, tp: Any, where: str, ndim: tuple[int, ...] | None, choices: tuple | None) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where, ndim, choices)
    if origin is Literal:
        choices = typing.get_args(tp)
        if value not in choices:
            raise ConfigError(f"{where}: got {value!r}; allowed: {', '.join(map(str, choices))}")
        return value
    if tp is list or origin is list:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: got {value!r}; must be a (nested) list of numbers of equal lengths") from None
        if ndim and arr.ndim not in ndim:
            raise ConfigError(f"{where}: got an array of shape {arr.shape}; must have {' or '.join(map(str, ndim))} "
                              f"dimension(s)")
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ConfigError(f"{where}: got {value!r}; must be non-empty and contain only finite numbers")
        return arr.tolist()
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: got {value!r}; must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: got {value!r}; must be an integer")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ConfigError(f"{where}: got {value!r}; must be a finite number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: got {value!r}; must be a string")
        return value
    raise TypeError(f"unsupported config type {tp}")  # a bug in SCENE_PARAMS, not a user mistake


def _params(scene_id: str, raw: dict[str, Any], where: str) -> SceneParams:
    cls = SCENE_PARAMS[scene_id]
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {key!r} for scene {scene_id!r}; allowed: "
                              f"{', '.join(sorted(fields))}")
        values[key] = _coerce(value, hints[key], f"{where}.{key}", cls.ARRAY_NDIM.get(key), None)
    params = cls(**values)
    for name in sorted(fields - set(cls.ARRAY_NDIM)):
        v, least = getattr(params, name), 0 if name in MAY_BE_ZERO else 1
        if isinstance(v, int) and not isinstance(v, bool) and v < least:
            raise ConfigError(f"{where}.{name}: got {v}; must be an integer >= {least}")
    try:
        params.check()
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return params


def parse_config(data: Any, source: str = "<config>") -> LectureConfig:
    """Validate an already-parsed YAML document into a :class:`LectureConfig`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with keys {', '.join(TOP_KEYS)}; "
                          f"got {type(data).__name__}")
    top: dict[str, Any] = {}
    for key, value in data.items():
        if key not in TOP_KEYS:
            raise ConfigError(f"{source}: unknown key {key!r}; allowed: {', '.join(TOP_KEYS)}")
        allowed = TOP_KEYS[key]
        if isinstance(allowed, tuple):
            if value not in allowed:
                raise ConfigError(f"{source}: {key}: got {value!r}; allowed: {', '.join(allowed)}")
        elif not isinstance(value, allowed):
            raise ConfigError(f"{source}: {key}: got {value!r}; must be {_type_name(allowed)}"
                              + (" (a list of scene entries)" if allowed is list else ""))
        top[key] = value
    entries: list[SceneEntry] = []
    seen: set[str] = set()
    for n, raw in enumerate(top.pop("scenes", [])):
        where = f"{source}: scenes[{n}]"
        if not isinstance(raw, dict) or "scene" not in raw:
            raise ConfigError(f"{where}: each entry must be a mapping with a 'scene' key, e.g. "
                              f"{{scene: conv2d, stride: 2}}; got {raw!r}")
        raw = dict(raw)
        scene_id = raw.pop("scene")
        if scene_id not in SCENE_PARAMS:
            raise ConfigError(f"{where}.scene: unknown scene id {scene_id!r}; allowed: {', '.join(SCENE_PARAMS)}")
        if scene_id in seen:
            raise ConfigError(f"{where}.scene: {scene_id!r} appears twice; each scene id may appear once")
        seen.add(scene_id)
        entries.append(SceneEntry(scene_id, _params(scene_id, raw, f"{where} ({scene_id})")))
    return LectureConfig(scenes=tuple(entries), source=source, **top)


def load_config(path: str | os.PathLike[str] | None = None) -> LectureConfig:
    """Read and validate a lecture YAML file (default: ``assets/lecture.yaml``)."""
    import yaml

    p = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the config file ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    return parse_config(data, str(p))


def scene_entry(scene_id: str) -> tuple[LectureConfig, SceneEntry]:
    """What a scene renders with: ``$CNNVIZ_CONFIG`` (default ``assets/lecture.yaml``), with
    ``$CNNVIZ_LANGUAGE`` / ``$CNNVIZ_THEME`` overriding the file's language and theme."""
    cfg = load_config(os.environ.get("CNNVIZ_CONFIG") or None)
    for key in ("language", "theme"):
        value = os.environ.get(f"CNNVIZ_{key.upper()}")
        if value:
            if value not in TOP_KEYS[key]:
                raise ConfigError(f"CNNVIZ_{key.upper()}: got {value!r}; allowed: {', '.join(TOP_KEYS[key])}")
            cfg = dataclasses.replace(cfg, **{key: value})
    return cfg, cfg.entry(scene_id)
