"""What each lecture scene shows, computed: ``scene_values(scene_id, params)``.

One module per scene id (``cnnviz/values/<id>.py``) defines ``compute(params) -> SceneValues``.
Scenes draw ``SceneValues``; they never compute a number themselves. ``arrays`` holds every
number that appears on screen, under plain names, and is written to ``<id>.json`` beside the clip.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import SceneParams
from ..paths import atomic_write

__all__ = ["SceneValues", "fmt", "given_or_seeded", "load_values", "save_values", "scene_json", "scene_values",
           "seeded_ints"]


@dataclass
class SceneValues:
    """Values of one scene: ``arrays`` (everything shown, JSON-ready) and ``data`` (traces and the like)."""

    arrays: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None


def seeded_ints(seed: int, shape: tuple[int, ...], low: int, high: int) -> np.ndarray:
    """Small reproducible integers in ``[low, high]`` as float64, for omitted ``input``/``kernel``."""
    return np.random.default_rng(seed).integers(low, high + 1, size=shape).astype(np.float64)


def given_or_seeded(value: Any, seed: int, shape: tuple[int, ...], low: int, high: int) -> np.ndarray:
    """A configured array as float64, or, where the config omits it, :func:`seeded_ints` of ``shape``."""
    return np.asarray(value, float) if value is not None else seeded_ints(seed, shape, low, high)


def fmt(value: float, digits: int = 2) -> str:
    """How a number is written on screen: integers plainly, others rounded to ``digits`` decimals."""
    v = float(value)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def scene_values(scene_id: str, params: SceneParams | None = None) -> SceneValues:
    """Compute what scene ``scene_id`` shows for ``params`` (default parameters when ``None``), with the
    values module its registry entry names."""
    from ..registry import UnknownSceneError, scene_spec

    try:
        spec = scene_spec(scene_id)
    except UnknownSceneError as exc:
        raise ValueError(str(exc)) from None
    return spec.compute(params if params is not None else spec.params_class()())


def scene_json(scene_id: str, params: SceneParams, values: SceneValues) -> dict[str, Any]:
    """The ``<id>.json`` document: ``{"scene", "params", "arrays"}``."""
    return {"scene": scene_id, "params": _jsonable(params.model_dump()), "arrays": _jsonable(values.arrays)}


def _params_key(scene_id: str, params: SceneParams) -> str:
    return json.dumps([scene_id, _jsonable(params.model_dump())], sort_keys=True, default=str)


def save_values(path: Path, scene_id: str, params: SceneParams, values: SceneValues) -> None:
    """Store ``values`` for a scene process to read with :func:`load_values` (atomically, tagged with
    the scene and its parameters).

    The render pipeline computes every scene's values in its own process, where torch is imported
    once, and the Manim process of each scene reads them instead of importing torch again.
    """
    stored = {"key": _params_key(scene_id, params), "values": values}
    atomic_write(Path(path), lambda f: pickle.dump(stored, f, protocol=pickle.HIGHEST_PROTOCOL))


def load_values(path: Path, scene_id: str, params: SceneParams) -> SceneValues | None:
    """The values :func:`save_values` stored for exactly this scene and these parameters, else ``None``.

    Only for files this program wrote itself (pickle runs code from the file it reads).
    """
    try:
        with open(path, "rb") as f:
            stored = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError):
        return None
    return stored["values"] if stored.get("key") == _params_key(scene_id, params) else None
