"""Values of the ``backprop_conv`` scene: ∂L/∂b, ∂L/∂W and ∂L/∂A of one conv layer, step by step."""

from __future__ import annotations

from ..backprop import conv2d_backward_trace
from ..config import BackpropConvParams
from ..trace import conv2d_trace
from . import SceneValues, given_or_seeded
from .conv2d import conv_inputs


def compute(p: BackpropConvParams) -> SceneValues:
    a, w = conv_inputs(p)
    forward = conv2d_trace(a, w, stride=p.stride, padding=p.padding, bias=p.bias)
    delta = given_or_seeded(p.delta, p.seed + 2, forward.output.shape, -2, 2)
    tr = conv2d_backward_trace(a, w, delta, stride=p.stride, padding=p.padding)
    gk, gi = tr.grad_kernel, tr.grad_input
    arrays = {
        "input": a, "kernel": w, "bias": p.bias, "output": forward.output, "delta": delta,
        "grad_bias": float(tr.grads.grad_bias[0]),
        "grad_kernel": tr.grads.grad_kernel,
        "grad_input": tr.grads.grad_input,
        # what ∂L/∂W's steps show: A's patch ⊙ δ and its sum, one per kernel tap
        "grad_kernel_products": [s.products for s in gk.steps],
        "grad_kernel_sums": [s.total for s in gk.steps],
        # what ∂L/∂A's steps show: δ with zeros inserted/padded, rot180(W), patch ⊙ rot180(W) and sums
        "delta_padded": gi.direct_input,
        "rot180_kernel": gi.flipped_kernel,
        "grad_input_products": [s.products for s in gi.direct.steps],
        "grad_input_sums": [s.total for s in gi.direct.steps],
    }
    return SceneValues(arrays, {"trace": tr, "forward": forward, "delta": delta})
