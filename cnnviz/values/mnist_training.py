"""Values of the ``mnist_training`` scene: the trained checkpoint's own history, epoch by epoch.

Loss and accuracy per epoch, train and test, exactly as training recorded them (the checkpoint's
``history``, the same records as the ``history.json`` beside it), plus the device and seconds per epoch
of that run. Axis ranges and ticks are chosen here, so the scene only draws.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np

from ..config import MnistParams
from . import SceneValues, fmt
from .mnist_model import load_trained


def percent(acc: float) -> str:
    """An accuracy as written on screen: a percentage with two decimals (99.00%, never 99%)."""
    return f"{100 * acc:.2f}%"


def _ticks(low: float, high: float, step: float) -> list[float]:
    n = int(round((high - low) / step))
    return [round(low + i * step, 10) for i in range(n + 1)]


#: the most tick intervals on an axis: the plot is 2.8 units (168 px at 480p) tall, its tick labels 16 px
MAX_INTERVALS = 7
_LOSS_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
_ACC_STEPS = (1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0)


def axis_steps(losses: list[float], accuracies: list[float]) -> tuple[float, float, float, float]:
    """(loss step, loss top, accuracy step, accuracy low) of the two plots.

    Loss: 0 up to the largest loss rounded up to a step of 0.05 (0.1 beyond 0.5); accuracy in percent: from the
    lowest rounded down to a whole percent, by steps of 1 (a range up to 8 points) or 5, up to 100. Where that
    gives more than :data:`MAX_INTERVALS` intervals (a short run on a small data set: loss 1.2, accuracy from
    30 %), the step grows to the next of 0.1, 0.2, 0.25, 0.5, 1, 2, … (loss) or 2, 5, 10, 20, 25, 50 (%) until the
    tick labels keep apart."""
    top = max(losses)
    loss_step = 0.05 if top <= 0.5 else 0.1
    for step in _LOSS_STEPS:
        if step >= loss_step:
            loss_step = step
            if math.ceil(top / step - 1e-9) <= MAX_INTERVALS:
                break
    loss_top = loss_step * math.ceil(top / loss_step - 1e-9)
    floor_low = float(min(99, math.floor(min(100 * a for a in accuracies))))
    acc_step = 1.0 if 100 - floor_low <= 8 else 5.0
    for step in _ACC_STEPS:
        if step >= acc_step:
            acc_step = step
            if math.ceil((100 - floor_low) / step) <= MAX_INTERVALS:
                break
    acc_low = 100 - acc_step * math.ceil((100 - floor_low) / acc_step)
    return loss_step, loss_top, acc_step, acc_low


def compute(p: MnistParams) -> SceneValues:
    ckpt = load_trained(p)
    h = ckpt.history
    epochs = [r.epoch for r in h]
    train_loss, test_loss = [r.train_loss for r in h], [r.test_loss for r in h]
    train_acc, test_acc = [r.train_acc for r in h], [r.test_acc for r in h]
    seconds = [r.seconds for r in h]
    devices = sorted({r.device for r in h})
    loss_step, loss_top, acc_step, acc_low = axis_steps(train_loss + test_loss, train_acc + test_acc)
    arrays = {
        "epochs": epochs,
        "train_loss": train_loss, "test_loss": test_loss,
        "train_acc": train_acc, "test_acc": test_acc,
        "train_acc_pct": [100 * a for a in train_acc], "test_acc_pct": [100 * a for a in test_acc],
        "seconds": seconds, "device": devices[0] if len(devices) == 1 else "/".join(devices),
        "train_loss_text": [fmt(v, 3) for v in train_loss], "test_loss_text": [fmt(v, 3) for v in test_loss],
        "train_acc_text": [percent(v) for v in train_acc], "test_acc_text": [percent(v) for v in test_acc],
        "seconds_text": [fmt(v, 1) for v in seconds],
        "mean_seconds": float(np.mean(seconds)), "mean_seconds_text": fmt(float(np.mean(seconds)), 1),
        "final_test_acc": test_acc[-1], "final_test_acc_text": percent(test_acc[-1]),
        "final_train_acc_text": percent(train_acc[-1]),
        "epoch_range": [0, epochs[-1] + 0.5, 1], "epoch_ticks": epochs,
        "loss_range": [0.0, loss_top, loss_step], "loss_ticks": _ticks(0.0, loss_top, loss_step),
        "loss_ticks_text": [fmt(v, 2) for v in _ticks(0.0, loss_top, loss_step)],
        "acc_range": [acc_low, 100.0, acc_step], "acc_ticks": _ticks(acc_low, 100.0, acc_step),
        "acc_ticks_text": [f"{fmt(v)}%" for v in _ticks(acc_low, 100.0, acc_step)],
        "settings": asdict(ckpt.settings),
        # the first epoch's training accuracy (a running mean while the network learned) below its test accuracy:
        # the narration explains that gap only where there is one
        "first_train_below_test": bool(train_acc[0] < test_acc[0]),
    }
    return SceneValues(arrays, {"checkpoint": str(ckpt.path)})
