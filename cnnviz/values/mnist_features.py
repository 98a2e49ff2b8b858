"""Values of the ``mnist_features`` scene: inside the trained MNIST network for one digit: test digit
``index``, or the teacher's ``input_image`` prepared as MNIST's were (its ``label`` optional: without it the
scene shows the prediction and claims no true class).

The digit, the first conv layer's learned kernels (up to :data:`MAX_KERNELS` drawn, two also in numbers), a
selection of feature maps after the conv and pooling layers (:func:`stage_layers`; the ``SHOWN`` most active
channels of each, a pooling layer showing its input's), and the softmax output with the prediction, for any
model with a conv layer. Pictures are 8-bit RGB made
here: kernels with a diverging map on one shared scale, activations grey from 0 to the largest value
shown for that layer (so maps of one layer compare), the digit as the network sees it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import MnistParams, shape_text
from . import SceneValues, fmt
from .mnist_display import digit_input, signed_rgb, unsigned_rgb

SHOWN = 8  # feature maps drawn per layer
MAX_STAGES = 5  # columns of feature maps (the first and last layers always among them)
MAX_KERNELS = 32  # first-layer kernels drawn


def stage_layers(layers: list) -> list:
    """The layers whose maps the scene shows: every conv and pooling layer, a conv that batch norm follows
    replaced by that batch norm (its output, after its activation, is the layer's response); at most
    :data:`MAX_STAGES` of them, evenly spread, the first and the last included."""
    out = []
    for i, lv in enumerate(layers):
        if lv.kind in ("conv", "maxpool", "avgpool"):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            out.append(nxt if lv.kind == "conv" and nxt is not None and nxt.kind == "batchnorm" else lv)
    if len(out) > MAX_STAGES:
        out = [out[round(k)] for k in np.linspace(0, len(out) - 1, MAX_STAGES)]
    return out


def spoken_probability(q: float) -> str:
    """A probability for a spoken line: 3 decimals, more when those would say 0 or 1 of a value that is
    neither (a confident network gives 0.9999971 and 0.0000016)."""
    q = float(q)
    gap = min(q, 1.0 - q)
    places = max(3, 1 - int(np.floor(np.log10(gap)))) if 0.0 < gap < 0.0005 else 3
    return fmt(q, places)


def compute(p: MnistParams) -> SceneValues:
    p.model.refuse_for_scene("mnist_features")
    from ..mnist.values import digit_values

    din = digit_input(p)
    rows = {r.name: r for r in p.model.shapes()}
    first_conv = next(r for r in rows.values() if r.kind == "conv")
    # one digit through the network; an own digit's class is din.label (None when the config does not say)
    dv = digit_values(din.model, din.image[None], np.array([din.label or 0]), 0)
    kernel_scale = float(np.max(np.abs(dv.kernels)))
    arrays: dict = {"index": din.index, "input": din.record, "label": din.label, "prediction": dv.prediction,
                    "image": dv.image,
                    "kernels": dv.kernels, "kernel_biases": dv.biases, "kernel_scale": kernel_scale,
                    "probabilities": dv.probabilities}
    stages = []
    channels: list[int] = []
    names = [lv.name for lv in dv.layers]
    shown_before: str | None = None
    for lv in stage_layers(dv.layers):
        name = lv.name
        feeds = shown_before is not None and names.index(name) == names.index(shown_before) + 1
        # pooling right after a layer shown keeps its channels (the same ones, smaller); any other layer shows its
        # most active channels, by mean activation, in channel order
        if not (lv.kind.endswith("pool") and feeds):
            channels = sorted(int(c) for c in np.argsort(-lv.a.reshape(len(lv.a), -1).mean(1), kind="stable")[:SHOWN])
        maps = lv.a[channels]
        scale = float(np.max(maps)) or 1.0
        layer = rows[name].layer
        arrays.update({f"{name}_channels": channels, f"{name}_maps": maps, f"{name}_display_scale": scale})
        stages.append({"name": name, "kind": lv.kind, "shape": shape_text(lv.a.shape),
                       "channels": channels, "total": len(lv.a), "pictures": [unsigned_rgb(m, scale) for m in maps],
                       "relu": lv.activation == "relu", "side_in": rows[name].input_shape[1],
                       "side_out": rows[name].output_shape[1],
                       "halves": lv.kind.endswith("pool") and layer.size == 2 and (layer.stride or 2) == 2
                       and layer.padding == 0})
        shown_before = name
    arrays["stages"] = [st["name"] for st in stages]
    # two kernels also in numbers (one of 5×5 or more, whose grid is wide): those of the first maps shown, where
    # those are the first conv layer's
    first, count = stages[0], 2 if first_conv.layer.kernel <= 3 else 1
    numbered = (first["channels"] if first["kind"] in ("conv", "batchnorm") else [0, 1])[:count]
    numbered = [c for c in numbered if c < min(len(dv.kernels), MAX_KERNELS)]
    arrays["kernels_in_numbers"] = numbered
    order = np.argsort(-dv.probabilities, kind="stable")
    data = {
        "image_rgb": unsigned_rgb(dv.image, 1.0),
        "kernel_pictures": [signed_rgb(k, kernel_scale) for k in dv.kernels[:MAX_KERNELS]],
        "kernel_layer": first_conv.name, "kernel_count": len(dv.kernels), "kernel_size": first_conv.layer.kernel,
        "numbered": [(c, np.round(dv.kernels[c], 2)) for c in numbered],
        "stages": stages,
        "prob_text": [fmt(q, 3) for q in dv.probabilities],
        "runner_up": int(order[1]),
        "spoken_p": {int(k): spoken_probability(dv.probabilities[k]) for k in order[:2]},
        "label": din.label, "prediction": dv.prediction,
        "opening": din.opening, "own": din.own, "name": din.name, "index": din.index,
        # a test sample of the lecture's own data (its folder or file name), not an MNIST digit
        "sample_of": Path(str(p.data)).name if getattr(p, "data", None) is not None else None,
    }
    arrays["probabilities_shown"] = data["prob_text"]
    arrays["probabilities_spoken"] = data["spoken_p"]
    arrays["kernels_shown"] = [k for _, k in data["numbered"]]
    return SceneValues(arrays, data)
