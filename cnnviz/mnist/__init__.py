"""MNIST for the lecture: the real data, the course's CNN trained on it, and the values scenes read.

``data`` finds, downloads and verifies the IDX files; ``model`` is the Keras listing in PyTorch;
``train`` trains, checkpoints and resumes it; ``values`` turns the trained model into plain numpy
for the scenes. Like all of cnnviz, nothing here imports manim.

The training function is ``cnnviz.mnist.train.train``; it is not re-exported here, where the name
``train`` must stay the submodule (``cnnviz.mnist.train.train_epoch`` and friends).
"""

from .data import MnistDataError, cache_dir, download_mnist, load_mnist, resolve_data_dir
from .model import LayerInfo, MnistCNN, ModelConfig, layer_summary
from .train import (
    Checkpoint,
    CheckpointError,
    DeviceError,
    EpochRecord,
    OutDirError,
    TrainingInterrupted,
    TrainResult,
    TrainSettings,
    check_checkpoint,
    ensure_trained,
    load_checkpoint,
    resolve_device,
)
from .values import (
    Architecture,
    BackpropMismatchError,
    DigitBackprop,
    DigitValues,
    architecture,
    digit_backprop,
    digit_values,
    training_history,
)

__all__ = [
    "Architecture",
    "BackpropMismatchError",
    "Checkpoint",
    "CheckpointError",
    "DeviceError",
    "DigitBackprop",
    "DigitValues",
    "EpochRecord",
    "LayerInfo",
    "MnistCNN",
    "MnistDataError",
    "ModelConfig",
    "OutDirError",
    "TrainResult",
    "TrainSettings",
    "TrainingInterrupted",
    "architecture",
    "cache_dir",
    "check_checkpoint",
    "digit_backprop",
    "digit_values",
    "download_mnist",
    "ensure_trained",
    "layer_summary",
    "load_checkpoint",
    "load_mnist",
    "resolve_data_dir",
    "resolve_device",
    "training_history",
]
