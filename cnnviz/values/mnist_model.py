"""The trained MNIST network the MNIST scenes read: which checkpoint, and its model.

Order of preference: the scene's ``checkpoint`` param; the checkpoint shipped in ``cnnviz/assets/mnist``
(produced by ``render.py train --out cnnviz/assets/mnist``, so the default lecture needs no training);
else the cache folder's, trained there first (with progress) when there is none. Never a
random-weight network passed off as trained.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..config import MnistParams
from ..paths import ASSETS, user_command

__all__ = ["SHIPPED_DIR", "checkpoint_path", "load_trained"]

SHIPPED_DIR = ASSETS / "mnist"


def _param_path(params: MnistParams) -> Path:
    """The ``checkpoint`` param as a path, resolved the way the config resolves it."""
    resolve = getattr(params, "checkpoint_path", None)
    path = resolve() if callable(resolve) else None
    return Path(path) if path is not None else Path(str(params.checkpoint)).expanduser()


def checkpoint_path(params: MnistParams, *, train_if_missing: bool = True) -> Path:
    """The checkpoint the scene uses (see the module docstring).

    Raises
    ------
    cnnviz.mnist.CheckpointError
        The ``checkpoint`` param names no file (a ValueError; the message says what is allowed).
    FileNotFoundError
        No param, nothing shipped, and ``train_if_missing`` is false.
    """
    from ..mnist.train import CHECKPOINT_NAME, CheckpointError, ensure_trained

    if params.checkpoint:
        path = _param_path(params)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise CheckpointError(f"checkpoint: {path} {what}; allowed: a checkpoint file (mnist_cnn.pt) as "
                                  f"`{user_command('train')} --out {path.parent if not path.is_dir() else path}` "
                                  "writes it, or leave `checkpoint` out to use the shipped one", path=path)
        return path
    shipped = SHIPPED_DIR / CHECKPOINT_NAME
    if shipped.is_file():
        return shipped
    if not train_if_missing:
        raise FileNotFoundError(shipped)
    return ensure_trained(progress=True)


@lru_cache(maxsize=4)
def _load(path: str, stamp: tuple[int, int]):
    from ..mnist.model import ModelConfig
    from ..mnist.train import load_checkpoint

    return load_checkpoint(path, config=ModelConfig())


def load_trained(params: MnistParams):
    """The loaded :class:`cnnviz.mnist.Checkpoint` (``.model`` in eval mode, ``.history``) for ``params``,
    validated field by field (:func:`cnnviz.mnist.train.load_checkpoint`); refuses an unfinished one, which
    is not a trained network.

    Raises
    ------
    cnnviz.mnist.CheckpointError
        A ValueError naming the file, the bad field and what is allowed.
    """
    from ..mnist.train import unfinished_error

    path = checkpoint_path(params)
    try:
        st = path.stat()
    except OSError:
        st = None
    # keyed on the file's mtime and size too: a long-lived process sees a checkpoint written again
    ckpt = _load(str(path), (st.st_mtime_ns, st.st_size) if st else (0, 0))
    if not ckpt.complete:
        raise unfinished_error(ckpt)
    return ckpt
