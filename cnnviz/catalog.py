"""Old name of :mod:`cnnviz.registry` (kept while the web modules move over); use the registry."""

from .registry import SCENES, SceneSpec as SceneInfo, scene_spec as scene_info

__all__ = ["SCENES", "SceneInfo", "scene_info"]
