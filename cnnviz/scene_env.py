"""How the render pipeline talks to a scene process: one typed structure, written and read here only.

The pipeline runs each scene in its own ``manim render`` process and tells it, through environment
variables, what to render and where to put it. :class:`SceneEnv` is that message: the pipeline builds one
and merges :meth:`SceneEnv.to_environ` into the child's environment; the scene (``LectureScene.setup``)
reads it back with :meth:`SceneEnv.from_environ`. A plain ``manim render scenes/conv2d.py …`` run sets
none of them and gets the defaults (the default lecture, its language and theme).

========================  ==============================================================================
variable                  meaning
========================  ==============================================================================
``CNNVIZ_CONFIG``         the lecture YAML (default: the shipped ``lecture.yaml``)
``CNNVIZ_LANGUAGE``       ``en`` or ``zh``: overrides the config's language
``CNNVIZ_THEME``          ``dark`` or ``solarized``: overrides the config's theme
``CNNVIZ_JSON_DIR``       where ``<id>.json`` is written (default: beside the video)
``CNNVIZ_VALUES``         a file of values the pipeline computed (:func:`cnnviz.values.save_values`)
``CNNVIZ_MANIM_CACHE``    a folder for LaTeX and Pango output that outlives the render's media folder
``CNNVIZ_BUILD_AHEAD``    ``1``: a helper process may typeset texts ahead on a free core (default ``1``)
``CNNVIZ_EXIT_AFTER_RENDER``  ``1``: the process exits right after writing its files (skips teardown)
``CNNVIZ_SPEEDUPS``       ``0`` turns the render speed-ups off (default ``1``; see ``scenes.speedups``)
``CNNVIZ_PLAN``           a folder: the scene also writes its plan (each animation's frames and section) and its
                          whole narration track there, for a render in chunks (:mod:`cnnviz.chunks`)
``CNNVIZ_VOICE``          who narrates: ``espeak`` (default), ``none`` or a folder of recordings (:mod:`cnnviz.narration`)
``CNNVIZ_DATA_DIR``       the MNIST folder (read by :mod:`cnnviz.mnist.data`; set by the user or ``--data-dir``)
========================  ==============================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROTOCOL_VARIABLES", "SceneEnv", "SceneEnvError"]

LANGUAGES = ("en", "zh")
THEMES = ("dark", "solarized")


class SceneEnvError(ValueError):
    """An environment variable of the protocol has a value that is not allowed; the message names it."""


@dataclass(frozen=True)
class SceneEnv:
    """What a scene process is told by its parent (all optional: ``None`` means "not set")."""

    config: Path | None = None
    language: str | None = None
    theme: str | None = None
    json_dir: Path | None = None
    values: Path | None = None
    manim_cache: Path | None = None
    build_ahead: bool = True
    exit_after_render: bool = False
    speedups: bool = True
    voice: str | None = None
    plan: Path | None = None

    _PATHS = {"config": "CNNVIZ_CONFIG", "json_dir": "CNNVIZ_JSON_DIR", "values": "CNNVIZ_VALUES",
              "manim_cache": "CNNVIZ_MANIM_CACHE", "plan": "CNNVIZ_PLAN"}
    _CHOICES = {"language": ("CNNVIZ_LANGUAGE", LANGUAGES), "theme": ("CNNVIZ_THEME", THEMES)}
    _TEXTS = {"voice": "CNNVIZ_VOICE"}
    _FLAGS = {"build_ahead": ("CNNVIZ_BUILD_AHEAD", True), "exit_after_render": ("CNNVIZ_EXIT_AFTER_RENDER", False),
              "speedups": ("CNNVIZ_SPEEDUPS", True)}

    def __post_init__(self) -> None:
        for name, (variable, allowed) in self._CHOICES.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise SceneEnvError(f"{variable}: got {value!r}; allowed: {', '.join(allowed)}")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SceneEnv:
        """Read the protocol's variables (empty ones count as unset); :class:`SceneEnvError` names a bad one."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        for name, variable in cls._PATHS.items():
            if env.get(variable):
                kwargs[name] = Path(env[variable])
        for name, (variable, _) in cls._CHOICES.items():
            if env.get(variable):
                kwargs[name] = env[variable]
        for name, variable in cls._TEXTS.items():
            if env.get(variable):
                kwargs[name] = env[variable]
        for name, (variable, default) in cls._FLAGS.items():
            value = env.get(variable, "")
            if value:
                if value not in ("0", "1"):
                    raise SceneEnvError(f"{variable}: got {value!r}; allowed: 0, 1")
                kwargs[name] = value == "1"
            else:
                kwargs[name] = default
        return cls(**kwargs)  # type: ignore[arg-type]

    def to_environ(self) -> dict[str, str]:
        """The variables to set in a child's environment (unset fields are left out)."""
        env: dict[str, str] = {}
        for name, variable in self._PATHS.items():
            value = getattr(self, name)
            if value is not None:
                env[variable] = str(Path(value).resolve())
        for name, (variable, _) in self._CHOICES.items():
            value = getattr(self, name)
            if value is not None:
                env[variable] = value
        for name, variable in self._TEXTS.items():
            value = getattr(self, name)
            if value is not None:
                env[variable] = value
        for name, (variable, _) in self._FLAGS.items():
            env[variable] = "1" if getattr(self, name) else "0"
        return env

    @staticmethod
    def child_environ(base: Mapping[str, str], scene_env: SceneEnv) -> dict[str, str]:
        """``base`` (the parent's environment) without any protocol variable it had, plus ``scene_env``'s:
        a variable the user exported in the shell never leaks into a render beside the pipeline's own."""
        kept = {k: v for k, v in base.items() if k not in PROTOCOL_VARIABLES}
        return {**kept, **scene_env.to_environ()}


PROTOCOL_VARIABLES = frozenset([*SceneEnv._PATHS.values(), *SceneEnv._TEXTS.values(), *(v for v, _ in SceneEnv._CHOICES.values()),
                                *(v for v, _ in SceneEnv._FLAGS.values())])
