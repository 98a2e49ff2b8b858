"""The one scene registry: everything the program knows about a scene, in one entry.

An entry names the scene's id, its parameters class (the keys its lecture-config entry takes), its values
module (``compute(params) -> SceneValues``), its Manim file and class, its titles in English and Chinese,
whether it needs the trained MNIST network or MNIST digits, and the helper files its scene file imports
besides the shared kit. From it come the config's parameter classes, the set of MNIST scenes, the render
cache's key and the preview watcher's file list (:func:`source_files`: one list feeds both).

Plain data, so ``render.py list`` and chapter titles need neither manim nor torch; the parameters class and
the values module are imported on first use.

Adding a scene (see README, "Adding a scene"): a values module ``cnnviz/values/<id>.py``, a scene file
``scenes/<id>.py`` and one :class:`SceneSpec` in :data:`SCENES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "SCENES", "SceneSpec", "UnknownSceneError", "scene_ids", "scene_spec", "source_files"]

ROOT = Path(__file__).resolve().parent.parent


class UnknownSceneError(KeyError):
    """A scene id that the registry does not know; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError's own str() is the repr of its argument
        return str(self.args[0])


@dataclass(frozen=True)
class SceneSpec:
    """One scene, as the whole program sees it.

    Parameters
    ----------
    id
        The scene id used in configs, on the command line and as the clip's file name.
    scene_class
        The Manim ``Scene`` class in ``scenes/<scene_file>.py``.
    title_en, title_zh
        Chapter and slide titles.
    summary
        One line for ``render.py list``.
    params
        ``"module:Class"`` of the parameters model (a :class:`cnnviz.config.SceneParams`).
    scene_file
        The file ``scenes/<scene_file>.py`` (default: the id).
    values
        The values module (default ``cnnviz.values.<id>``).
    needs_network
        The scene shows the trained MNIST network (trained first where no checkpoint exists).
    reads_mnist
        The scene reads MNIST test digits (the data must be there before it renders).
    depends
        Files under the repository root that the scene file imports besides the shared kit
        (``scenes/common.py``, ``scenes/kit/``, ``scenes/speedups/``), e.g. ``scenes/backprop_parts.py``.
    assets
        Files under the repository root that its values read (the photo, the checkpoint).
    """

    id: str
    scene_class: str
    title_en: str
    title_zh: str
    summary: str
    params: str = "cnnviz.config:SceneParams"
    scene_file: str = ""
    values: str = ""
    needs_network: bool = False
    reads_mnist: bool = False
    depends: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()

    # ------------------------------------------------------------------ derived
    def title(self, language: str) -> str:
        """The scene's title in ``language`` ("en" or "zh")."""
        return self.title_zh if language == "zh" else self.title_en

    @property
    def cls(self) -> str:
        """The Manim class name (as ``manim render FILE CLS`` takes it)."""
        return self.scene_class

    @property
    def module(self) -> str:
        return self.scene_file or self.id

    @property
    def path(self) -> str:
        """The scene file, relative to the repository root."""
        return f"scenes/{self.module}.py"

    @property
    def values_module(self) -> str:
        return self.values or f"cnnviz.values.{self.id}"

    def params_class(self) -> type:
        """The parameters model (imported on first use)."""
        module, _, name = self.params.partition(":")
        return getattr(importlib.import_module(module), name)

    def compute(self, params: Any) -> Any:
        """Run the values module's ``compute(params)``."""
        return importlib.import_module(self.values_module).compute(params)


_MNIST = "cnnviz.config:MnistParams"
_SHIPPED_NETWORK = ("cnnviz/assets/mnist/mnist_cnn.pt", "cnnviz/assets/mnist/history.json")

SCENES: tuple[SceneSpec, ...] = (
    SceneSpec("local_connectivity", "CountWeightsOfLocalWindow",
              "Local connectivity, weight sharing", "局部连接与权重共享",
              "a fully connected neuron needs 10,000 weights; a shared 3x3 kernel needs 9",
              params="cnnviz.config:LocalConnectivityParams"),
    SceneSpec("conv1d", "SlideKernelAlongRow", "1D convolution", "一维卷积",
              "a kernel slides along a row; products and sums; cross-correlation vs convolution",
              params="cnnviz.config:Conv1dParams"),
    SceneSpec("conv2d", "SlideKernelOverImage", "2D convolution", "二维卷积",
              "input, kernel and output grids; each output cell as products and their sum",
              params="cnnviz.config:ConvParams"),
    SceneSpec("receptive_field", "GrowReceptiveField", "Receptive field", "感受野",
              "two stacked 3x3 convolutions see a 5x5 region; growth with depth, stride and dilation",
              params="cnnviz.config:ReceptiveFieldParams"),
    SceneSpec("stride_padding", "StrideAndPadding", "Stride and padding", "步长与补零",
              "narrow, wide and same convolution; the output size formula evaluated live",
              params="cnnviz.config:StridePaddingParams"),
    SceneSpec("multichannel", "SumOverInputChannels", "Multi-channel convolution", "多通道卷积",
              "C×H×W volumes, one map per kernel (Z = A ⊗ W + b); one cell in detail: per-channel sums plus "
              "bias; 1x1 convolution",
              params="cnnviz.config:MultichannelParams", depends=("scenes/multichannel_parts.py",)),
    SceneSpec("group_conv", "SplitChannelsIntoGroups", "Group convolution", "分组卷积",
              "channels split into g groups, each with its own kernels; C_out(C_in/g)c^2 + C_out parameters",
              params="cnnviz.config:GroupConvParams"),
    SceneSpec("depthwise_separable", "DepthwiseThenPointwise", "Depthwise separable convolution", "深度可分离卷积",
              "one kernel per channel, then a 1x1 convolution; parameters and multiply-adds vs a standard one",
              params="cnnviz.config:DepthwiseSeparableParams"),
    SceneSpec("pooling", "PoolWindows", "Pooling", "池化层",
              "max and mean pooling with values; translation invariance shown",
              params="cnnviz.config:PoolingParams"),
    SceneSpec("transposed", "TransposedConvolution", "Transposed convolution", "转置卷积",
              "convolution as a sparse matrix C, transposed convolution as C^T, scatter-add, direct view",
              params="cnnviz.config:TransposedParams", depends=("scenes/transposed_parts.py",)),
    SceneSpec("dilated", "DilatedKernel", "Dilated convolution", "空洞卷积",
              "a kernel with holes; effective size k + (k-1)(r-1)",
              params="cnnviz.config:DilatedParams"),
    SceneSpec("image_filters", "FilterPhotograph", "Image filtering", "图像滤波",
              "a real photograph blurred and edge-filtered by cnnviz",
              params="cnnviz.config:ImageFiltersParams", assets=("cnnviz/assets/photo.png",)),
    SceneSpec("backprop_conv", "BackpropThroughConv", "Backprop through a conv layer", "卷积层的反向传播",
              "dL/db, dL/dW = A * delta, dL/dA = rot180(W) full-conv delta",
              params="cnnviz.config:BackpropConvParams", depends=("scenes/backprop_parts.py",)),
    SceneSpec("backprop_pool", "BackpropThroughPooling", "Backprop through pooling", "池化层的反向传播",
              "up(delta): max routes to the argmax, mean spreads evenly",
              params="cnnviz.config:BackpropPoolParams"),
    SceneSpec("error_flow", "ErrorFlowThroughCNN", "Error flow through a CNN", "误差项的反向传播",
              "real error terms of one test digit flowing back through the trained network",
              params=_MNIST, needs_network=True, reads_mnist=True, depends=("scenes/mnist_maps.py",),
              assets=_SHIPPED_NETWORK),
    SceneSpec("mnist_architecture", "MnistArchitecture", "The MNIST CNN", "MNIST 卷积网络",
              "the course's model layer by layer, shapes and parameter counts from the real model",
              params=_MNIST, needs_network=True, assets=_SHIPPED_NETWORK),
    SceneSpec("mnist_training", "MnistTrainingHistory", "Training", "训练过程",
              "the real training history, loss and accuracy per epoch",
              params=_MNIST, needs_network=True, assets=_SHIPPED_NETWORK),
    SceneSpec("mnist_features", "InsideTrainedNetwork", "Inside the trained network", "训练好的网络内部",
              "a real digit, learned kernels, feature maps, softmax",
              params=_MNIST, needs_network=True, reads_mnist=True, depends=("scenes/mnist_maps.py",),
              assets=_SHIPPED_NETWORK),
    SceneSpec("lenet", "LeNetWalk", "LeNet-5", "LeNet-5",
              "LeNet-5 layer by layer: shapes and parameters from the built network; C3's 60 kernels, C5's 1920",
              depends=("scenes/classic_parts.py",)),
    SceneSpec("alexnet", "AlexNetWalk", "AlexNet", "AlexNet",
              "AlexNet layer by layer: 11x11 stride 4 to 55x55 (p = 2 or 3), two GPUs, ReLU and dropout",
              params="cnnviz.config:AlexNetParams", depends=("scenes/classic_parts.py",)),
    SceneSpec("residual", "ShortcutKeepsTheGradient", "Residual networks", "残差网络",
              "y = F(x) + x with real numbers; the gradient at layer 1 of a deep plain vs shortcut stack on MNIST",
              params="cnnviz.config:ResidualParams", reads_mnist=True),
    SceneSpec("conv_theorem", "MultiplyInFrequency", "The convolution theorem", "卷积定理",
              "the photo blurred through the FFT: F(A) times F(W), back, equal to torch's convolution; low/high-pass",
              params="cnnviz.config:ConvTheoremParams", assets=("cnnviz/assets/photo.png",)),
    SceneSpec("inception", "BranchesJoinAlongChannels", "The Inception module", "Inception 模块",
              "1x1, 3x3, 5x5 and pool branches concatenated; the 1x1 bottleneck's saving; GoogLeNet; two 3x3 for a 5x5",
              params="cnnviz.config:InceptionParams"),
    SceneSpec("trends", "SmallerDeeperAllConvolutional", "Trends in CNN design", "卷积网络的发展趋势",
              "3×3 stacks vs one large kernel (same r, fewer weights); the classic nets' depths; stride 2 for pooling",
              params="cnnviz.config:TrendsParams"),
)


def scene_ids() -> list[str]:
    """Every scene id, in lecture order."""
    return [s.id for s in SCENES]


def scene_spec(scene_id: Any) -> SceneSpec:
    """The entry of ``scene_id``; :class:`UnknownSceneError` (a KeyError) naming the known ids otherwise."""
    for spec in SCENES:
        if spec.id == scene_id:
            return spec
    raise UnknownSceneError(f"unknown scene id {scene_id!r}; allowed: {', '.join(scene_ids())}")


# Shared by every scene: the kit, the lecture's scene base, the opt-in speed-ups, and the computation core
# (less the command line, web pages, pipeline and joining, which a clip's pixels do not depend on).
SHARED_SCENE_FILES = ("scenes/__init__.py", "scenes/common.py")
SHARED_SCENE_DIRS = ("scenes/kit", "scenes/speedups")
NOT_IN_CLIPS = ("cnnviz/cli/", "cnnviz/web/", "cnnviz/pipeline.py", "cnnviz/assemble.py")


def _python_files(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*.py")) if "__pycache__" not in p.parts)


def source_files(scene_id: str, root: Path = ROOT) -> list[Path]:
    """What the clip of ``scene_id`` depends on, existing files only: its scene file and helpers, the shared
    scene modules, the computation core and the assets its values read.

    The render cache hashes these files and ``preview --watch`` watches them: one list for both, so an
    edit that changes a clip always renders it again, in the pipeline and in the preview alike.
    """
    spec = scene_spec(scene_id)
    files = [root / spec.path, *(root / d for d in spec.depends), *(root / f for f in SHARED_SCENE_FILES)]
    for folder in SHARED_SCENE_DIRS:
        files += _python_files(root / folder)
    files += [f for f in _python_files(root / "cnnviz") if not f.relative_to(root).as_posix().startswith(NOT_IN_CLIPS)]
    files += [root / a for a in spec.assets]
    files.append(root / "scenes" / "scripts" / f"{spec.id}.yaml")  # its words (cnnviz.script), when it has some
    return [f for f in dict.fromkeys(files) if f.is_file()]  # each once, in this order
