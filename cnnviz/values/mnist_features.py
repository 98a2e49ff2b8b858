"""Values of the ``mnist_features`` scene: inside the trained MNIST network for one digit: test digit
``index``, or the teacher's ``input_image`` prepared as MNIST's were (its ``label`` optional: without it the
scene shows the prediction and claims no true class).

The digit, the 32 learned first-layer kernels (all drawn, two also in numbers), a selection of feature
maps after every conv and pool layer (the ``SHOWN`` most active channels of each conv layer; its pool
shows the same channels), and the softmax output with the prediction. Pictures are 8-bit RGB made
here: kernels with a diverging map on one shared scale, activations grey from 0 to the largest value
shown for that layer (so maps of one layer compare), the digit as the network sees it.
"""

from __future__ import annotations

import numpy as np

from ..config import MnistParams
from . import SceneValues, fmt
from .mnist_display import digit_input, signed_rgb, unsigned_rgb

SHOWN = 8  # feature maps drawn per layer
STAGES = ("conv1", "pool1", "conv2", "pool2", "conv3")


def spoken_probability(q: float) -> str:
    """A probability for a spoken line: 3 decimals, more when those would say 0 or 1 of a value that is
    neither (a confident network gives 0.9999971 and 0.0000016)."""
    q = float(q)
    gap = min(q, 1.0 - q)
    places = max(3, 1 - int(np.floor(np.log10(gap)))) if 0.0 < gap < 0.0005 else 3
    return fmt(q, places)


def compute(p: MnistParams) -> SceneValues:
    p.model.refuse_unless_course_shaped("mnist_features")
    from ..mnist.values import digit_values

    din = digit_input(p)
    # one digit through the network; an own digit's class is din.label (None when the config does not say)
    dv = digit_values(din.model, din.image[None], np.array([din.label or 0]), 0)
    kernel_scale = float(np.max(np.abs(dv.kernels)))
    arrays: dict = {"index": din.index, "input": din.record, "label": din.label, "prediction": dv.prediction,
                    "image": dv.image,
                    "kernels": dv.kernels, "kernel_biases": dv.biases, "kernel_scale": kernel_scale,
                    "probabilities": dv.probabilities}
    stages = []
    channels: list[int] = []
    for name in STAGES:
        lv = dv.layer(name)
        if lv.kind == "conv":  # the most active channels, by mean activation, in channel order
            channels = sorted(int(c) for c in np.argsort(-lv.a.reshape(len(lv.a), -1).mean(1), kind="stable")[:SHOWN])
        maps = lv.a[channels]
        scale = float(np.max(maps)) or 1.0
        arrays.update({f"{name}_channels": channels, f"{name}_maps": maps, f"{name}_display_scale": scale})
        stages.append({"name": name, "shape": "×".join(str(n) for n in lv.a.shape), "channels": channels,
                       "total": len(lv.a), "pictures": [unsigned_rgb(m, scale) for m in maps]})
    numbered = arrays["conv1_channels"][:2]  # two kernels also in numbers: those of the first conv1 maps shown
    arrays["kernels_in_numbers"] = numbered
    order = np.argsort(-dv.probabilities, kind="stable")
    data = {
        "image_rgb": unsigned_rgb(dv.image, 1.0),
        "kernel_pictures": [signed_rgb(k, kernel_scale) for k in dv.kernels],
        "numbered": [(c, np.round(dv.kernels[c], 2)) for c in numbered],
        "stages": stages,
        "prob_text": [fmt(q, 3) for q in dv.probabilities],
        "runner_up": int(order[1]),
        "spoken_p": {int(k): spoken_probability(dv.probabilities[k]) for k in order[:2]},
        "label": din.label, "prediction": dv.prediction,
        "opening": din.opening, "own": din.own, "name": din.name, "index": din.index,
    }
    arrays["probabilities_shown"] = data["prob_text"]
    arrays["probabilities_spoken"] = data["spoken_p"]
    arrays["kernels_shown"] = [k for _, k in data["numbered"]]
    return SceneValues(arrays, data)
