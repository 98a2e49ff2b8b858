"""The lecture's scenes: id, where the Manim class lives, and titles in both languages.

Plain data, so ``render.py list`` and chapter titles need neither manim nor torch.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCENES", "SceneInfo", "scene_info"]


@dataclass(frozen=True)
class SceneInfo:
    id: str
    module: str  # file scenes/<module>.py
    cls: str  # the Manim Scene class in it
    title_en: str
    title_zh: str
    summary: str

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh" else self.title_en

    @property
    def path(self) -> str:
        return f"scenes/{self.module}.py"


SCENES: tuple[SceneInfo, ...] = (
    SceneInfo("local_connectivity", "local_connectivity", "CountWeightsOfLocalWindow",
              "Local connectivity and weight sharing", "局部连接与权重共享",
              "a fully connected neuron needs 10,000 weights; a shared 3x3 kernel needs 9"),
    SceneInfo("conv1d", "conv1d", "SlideKernelAlongRow", "1D convolution", "一维卷积",
              "a kernel slides along a row; products and sums; cross-correlation vs convolution"),
    SceneInfo("conv2d", "conv2d", "SlideKernelOverImage", "2D convolution", "二维卷积",
              "input, kernel and output grids; each output cell as products and their sum"),
    SceneInfo("receptive_field", "receptive_field", "GrowReceptiveField", "Receptive field", "感受野",
              "two stacked 3x3 convolutions see a 5x5 region; growth with depth, stride and dilation"),
    SceneInfo("stride_padding", "stride_padding", "StrideAndPadding", "Stride and padding", "步长与补零",
              "narrow, wide and same convolution; the output size formula evaluated live"),
    SceneInfo("multichannel", "multichannel", "SumOverInputChannels", "Multi-channel convolution", "多通道卷积",
              "one kernel per input channel summed plus bias; C_out maps; 1x1 convolution"),
    SceneInfo("pooling", "pooling", "PoolWindows", "Pooling", "池化层",
              "max and mean pooling with values; translation invariance shown"),
    SceneInfo("transposed", "transposed", "TransposedConvolution", "Transposed convolution", "转置卷积",
              "convolution as a sparse matrix C, transposed convolution as C^T, scatter-add, direct view"),
    SceneInfo("dilated", "dilated", "DilatedKernel", "Dilated convolution", "空洞卷积",
              "a kernel with holes; effective size k + (k-1)(r-1)"),
    SceneInfo("image_filters", "image_filters", "FilterPhotograph", "Image filtering", "图像滤波",
              "a real photograph blurred and edge-filtered by cnnviz"),
    SceneInfo("backprop_conv", "backprop_conv", "BackpropThroughConv", "Backprop through a conv layer",
              "卷积层的反向传播", "dL/db, dL/dW = A * delta, dL/dA = rot180(W) full-conv delta"),
    SceneInfo("backprop_pool", "backprop_pool", "BackpropThroughPooling", "Backprop through pooling",
              "池化层的反向传播", "up(delta): max routes to the argmax, mean spreads evenly"),
    SceneInfo("error_flow", "error_flow", "ErrorFlowThroughCNN", "Error flow through a CNN", "误差项的反向传播",
              "real error terms of one test digit flowing back through the trained network"),
    SceneInfo("mnist_architecture", "mnist_architecture", "MnistArchitecture", "The MNIST CNN", "MNIST 卷积网络",
              "the course's model layer by layer, shapes and parameter counts from the real model"),
    SceneInfo("mnist_training", "mnist_training", "MnistTrainingHistory", "Training", "训练过程",
              "the real training history, loss and accuracy per epoch"),
    SceneInfo("mnist_features", "mnist_features", "InsideTrainedNetwork", "Inside the trained network",
              "训练好的网络内部", "a real digit, learned kernels, feature maps, softmax"),
)


def scene_info(scene_id: str) -> SceneInfo:
    for info in SCENES:
        if info.id == scene_id:
            return info
    raise KeyError(scene_id)
