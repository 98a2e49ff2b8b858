"""The trained MNIST network the MNIST scenes read: which checkpoint, and its model.

Order of preference: the scene's ``checkpoint`` param; the checkpoint shipped in ``assets/mnist``
(produced by ``render.py train --out assets/mnist``, so the default lecture needs no training);
else the cache folder's, trained there first (with progress) when there is none. Never a
random-weight network passed off as trained.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..config import MnistParams

__all__ = ["SHIPPED_DIR", "checkpoint_path", "load_trained"]

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "mnist"


def checkpoint_path(params: MnistParams, *, train_if_missing: bool = True) -> Path:
    """The checkpoint the scene uses (see the module docstring)."""
    from ..mnist.train import CHECKPOINT_NAME, ensure_trained

    if params.checkpoint:
        path = Path(params.checkpoint)
        if not path.is_file():
            raise ValueError(f"checkpoint: {path} does not exist; train one with `python render.py train --out "
                             f"{path.parent}` or leave `checkpoint` out to use the shipped one")
        return path
    shipped = SHIPPED_DIR / CHECKPOINT_NAME
    if shipped.is_file():
        return shipped
    if not train_if_missing:
        raise FileNotFoundError(shipped)
    return ensure_trained(progress=True)


@lru_cache(maxsize=4)
def _load(path: str):
    from ..mnist.model import ModelConfig
    from ..mnist.train import load_checkpoint

    return load_checkpoint(path, config=ModelConfig())


def load_trained(params: MnistParams):
    """The loaded :class:`cnnviz.mnist.Checkpoint` (``.model`` in eval mode, ``.history``) for ``params``;
    refuses an unfinished one, which is not a trained network."""
    ckpt = _load(str(checkpoint_path(params)))
    if not ckpt.complete:
        raise ValueError(f"checkpoint {ckpt.path} stopped after epoch {ckpt.epoch} of {ckpt.settings.epochs}; "
                         f"finish it with `python render.py train --resume --out {ckpt.path.parent}`")
    return ckpt
