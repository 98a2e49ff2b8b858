"""The trained MNIST network the MNIST scenes read: which checkpoint, and its model.

Order of preference: the scene's ``checkpoint`` param (it must hold the lecture's model); for the course's
model and recipe, the checkpoint shipped in ``cnnviz/assets/mnist`` (produced by ``render.py train --out
cnnviz/assets/mnist``, so the default lecture needs no training); else the cache folder's for this model
and recipe (``networks/<name>-<hash>/``: a changed model, recipe or own data set trains afresh, an unchanged
one is reused), trained there first (with progress) when there is none. Never a random-weight network passed off
as trained.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from ..config import MnistParams, ModelConfig, TrainConfig
from ..paths import ASSETS, cache_dir, user_command

__all__ = ["SHIPPED_DIR", "checkpoint_path", "load_trained", "network_dir"]

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
    data = getattr(params, "data", None)
    course = params.model == ModelConfig() and params.train == TrainConfig() and data is None
    shipped = SHIPPED_DIR / CHECKPOINT_NAME
    if course and shipped.is_file():
        return shipped
    from ..mnist.train import TrainSettings

    out = network_dir(params.model, params.train, data) if not course else cache_dir()
    if (out / CHECKPOINT_NAME).is_file() and not train_if_missing:
        return out / CHECKPOINT_NAME
    if not train_if_missing:
        raise FileNotFoundError(out / CHECKPOINT_NAME)
    # the course's model in the cache folder: whatever recipe `train` gave it there (as before models were
    # described); any other model: its own folder, keyed by model and recipe
    return ensure_trained(out, progress=True, config=params.model,
                          settings=None if course else TrainSettings.of(params.train), data=data)


def network_dir(model: ModelConfig, recipe: TrainConfig, data: str | Path | None = None) -> Path:
    """The cache folder of one model trained with one recipe on one data set: ``<cache>/networks/<name>-<hash>``,
    the hash of both descriptions and, for the teacher's own ``data``, of its contents
    (:func:`cnnviz.own_data.content_digest`: the file's bytes, or the folder's file list and bytes), so a changed
    layer, learning rate or data set trains afresh, and an unchanged one is reused. MNIST keeps the hash of
    the two descriptions alone (MNIST never changes: its files are checked against their SHA-256)."""
    described: list[object] = [model.to_dict(), recipe.model_dump()]
    if data is not None:
        from ..own_data import content_digest

        described.append({"data": content_digest(data)})
    text = json.dumps(described, sort_keys=True)
    return cache_dir() / "networks" / f"{model.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


@lru_cache(maxsize=4)
def _load(path: str, stamp: tuple[int, int], model: ModelConfig):
    from ..mnist.train import load_checkpoint

    return load_checkpoint(path, config=model)


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
    ckpt = _load(str(path), (st.st_mtime_ns, st.st_size) if st else (0, 0), params.model)
    if not ckpt.complete:
        raise unfinished_error(ckpt)
    data = getattr(params, "data", None)
    if data is not None or ckpt.data_digest is not None:  # trained on the data the lecture names, or refused
        from ..mnist.train import CheckpointError
        from ..own_data import content_digest

        expected = content_digest(data) if data is not None else None
        if ckpt.data_digest != expected:
            def what(d: str | None) -> str:
                return "MNIST" if d is None else f"the data set of SHA-256 {d[:12]}…"
            raise CheckpointError(f"{path}: checkpoint field 'data_digest' says it was trained on "
                                  f"{what(ckpt.data_digest)}, but the lecture's data is {what(expected)}"
                                  f"{f' ({data})' if data else ''}; allowed: a checkpoint trained on it (leave "
                                  "`checkpoint` out to train one)", path=path, field="data_digest")
    return ckpt
