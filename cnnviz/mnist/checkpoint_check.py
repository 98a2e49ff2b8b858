"""The check a lecture config's ``checkpoint:`` gets before anything renders.

``check_checkpoint_file(path)`` is :func:`cnnviz.mnist.train.check_checkpoint` with what the MNIST scenes
need: the lecture's model and a finished run. It raises :class:`CheckpointError` (a ValueError)
whose message names the file, the bad field and what is allowed.
"""

from __future__ import annotations

import os

from ..config import ModelConfig
from .train import CheckpointError, check_checkpoint

__all__ = ["CheckpointError", "check_checkpoint_file"]


def check_checkpoint_file(path: str | os.PathLike[str], config: ModelConfig | None = None) -> None:
    """Refuse a checkpoint the MNIST scenes could not use: missing, a folder, not a checkpoint, a damaged
    field, another model than ``config`` (the lecture's; default the course's), or a run that stopped before
    its last epoch.

    Raises
    ------
    CheckpointError
        ``<path>: <problem>; allowed: <what>`` or, for one field,
        ``<path>: checkpoint field '<field>' is <what it is>; allowed: <what>``; ``.path`` and ``.field``
        (None for the file as a whole) hold the two names.
    """
    check_checkpoint(path, config=config if config is not None else ModelConfig(), complete=True)
