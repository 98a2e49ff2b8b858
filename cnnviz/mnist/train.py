"""Train the lecture's CNN on MNIST, save it, resume it, load it.

The recipe is the course's: Adam (lr 1e-3), cross-entropy, batch 32, 5 epochs, inputs scaled to [0, 1].
The whole data set sits in memory as tensors on the training device and batches are taken by indexing
with a permutation: no DataLoader, no per-sample Python, so data handling costs next to nothing.

Determinism: the weights are initialised after ``torch.manual_seed(seed)`` and epoch ``e`` (1-based)
shuffles with its own ``torch.Generator`` seeded ``seed + e``. A resumed run therefore replays exactly
the batches an uninterrupted run would have seen; with the optimiser state and RNG state restored from
the checkpoint, it ends with the same weights (same device, same thread count).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
import torch.nn.functional as F

from ..paths import atomic_write
from .data import cache_dir, load_mnist
from .model import MnistCNN, ModelConfig

__all__ = [
    "CHECKPOINT_NAME",
    "HISTORY_NAME",
    "Checkpoint",
    "CheckpointError",
    "DeviceError",
    "EpochRecord",
    "ProgressBar",
    "TrainResult",
    "TrainSettings",
    "TrainingInterrupted",
    "cpu_threads",
    "default_out_dir",
    "ensure_trained",
    "evaluate",
    "load_checkpoint",
    "resolve_device",
    "to_tensors",
    "train",
    "train_epoch",
]

CHECKPOINT_NAME = "mnist_cnn.pt"
HISTORY_NAME = "history.json"
_FORMAT = 1  # bump when the checkpoint's layout changes
_EVAL_BATCH = 1000  # evaluation needs no gradients: big batches are just faster


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, or does not match the architecture."""


class DeviceError(ValueError):
    """The requested device is unknown or not available on this machine."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; the last completed epoch is saved at ``checkpoint`` (if any)."""

    def __init__(self, epochs_done: int, checkpoint: Path | None) -> None:
        super().__init__(epochs_done, checkpoint)
        self.epochs_done = epochs_done
        self.checkpoint = checkpoint


@dataclass(frozen=True)
class TrainSettings:
    """What determines a training run's result (besides device); saved in the checkpoint.

    ``train_limit`` / ``test_limit`` use only the first N digits of a split (quick tries, tests).
    """

    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    train_limit: int | None = None
    test_limit: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer; got {getattr(self, name)!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number; got {self.lr!r}")
        for name in ("train_limit", "test_limit"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None; got {v!r}")

    def same_run(self, other: TrainSettings) -> bool:
        """Whether ``other`` continues this run: everything equal except the number of epochs."""
        return {**asdict(self), "epochs": 0} == {**asdict(other), "epochs": 0}


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's line of ``history.json``."""

    epoch: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float
    device: str


@dataclass(frozen=True)
class Checkpoint:
    """A loaded ``mnist_cnn.pt``: the model (eval mode, on ``map_location``) and how it was made."""

    path: Path
    model: MnistCNN
    config: ModelConfig
    settings: TrainSettings
    epoch: int
    history: list[EpochRecord]
    device: str
    optimizer_state: dict[str, Any] = field(repr=False)
    rng_state: dict[str, Any] = field(repr=False)

    @property
    def complete(self) -> bool:
        """Whether every epoch the run asked for is done."""
        return self.epoch >= self.settings.epochs


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` leaves behind."""

    checkpoint: Path
    history_path: Path
    history: list[EpochRecord]
    model: MnistCNN
    device: str


def default_out_dir() -> Path:
    """Where training writes by default: the cnnviz cache folder."""
    return cache_dir()


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"``: CUDA if available, else Apple MPS, else CPU; any other name must be available.

    Raises
    ------
    DeviceError
        Unknown name, or a device this machine does not have.
    """
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps is not None and mps.is_available())
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError("--device cuda: no CUDA GPU is available here (this torch build: "
                              f"{torch.__version__}); use --device auto or cpu")
        return torch.device("cuda")
    if name == "mps":
        if not has_mps:
            raise DeviceError("--device mps: Apple MPS is not available here; use --device auto or cpu")
        return torch.device("mps")
    raise DeviceError(f"unknown device {name!r}; expected auto, cuda, mps or cpu")


@contextmanager
def cpu_threads(threads: int | None = None) -> Iterator[int]:
    """Run a block with ``threads`` intra-op CPU threads (default: torch's, capped), then restore.

    torch starts one thread per physical core of the host, which in a container can exceed the cores
    this process may use; oversubscribed threads make CPU training several times slower, so the
    default is capped at the usable cores. On a CPU that other programs keep busy, fewer threads
    (even 1) can be much faster: every op waits for its slowest thread.

    Yields
    ------
    int
        The thread count in force.
    """
    before = torch.get_num_threads()
    n = before if threads is None else int(threads)
    if n < 1:
        raise ValueError(f"threads must be a positive integer; got {threads!r}")
    if threads is None and hasattr(os, "sched_getaffinity"):
        n = min(n, len(os.sched_getaffinity(0)))
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)


def to_tensors(images: np.ndarray, labels: np.ndarray, device: torch.device | str = "cpu",
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 ``(N, 28, 28)`` images and labels → float32 ``(N, 1, 28, 28)`` in [0, 1] and int64, on ``device``."""
    x = torch.from_numpy(np.asarray(images, dtype=np.uint8).copy()).to(device)
    x = x.unsqueeze(1).to(torch.float32).div_(255.0)
    y = torch.from_numpy(np.asarray(labels).astype(np.int64)).to(device)
    return x, y


class ProgressBar:
    """A one-line progress bar on a text stream, redrawn with ``\\r`` a few times per second at most.

    Redrawing on every step would cost a device sync (``.item()``) and a write per step; here a step
    costs one clock read unless the interval has passed.
    """

    def __init__(self, total: int, *, stream: IO[str] | None = None, interval: float | None = None,
                 width: int = 30) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)()
        # a log file gets few redraws: each lands in the file
        self.interval = interval if interval is not None else (0.25 if isatty else 10.0)
        self.width = width
        self.start = time.perf_counter()
        self._next = self.start + self.interval
        self._drawn = False

    def due(self) -> bool:
        """Whether a redraw is due; cheap enough to call every step."""
        return time.perf_counter() >= self._next

    def _bar(self, step: int) -> str:
        filled = self.width * step // max(self.total, 1)
        arrow = ">" if filled < self.width else ""
        return "[" + "=" * filled + arrow + "." * (self.width - filled - len(arrow)) + "]"

    def draw(self, step: int, metrics: dict[str, float]) -> None:
        """Redraw for ``step`` steps done, with ``metrics`` (name → value)."""
        now = time.perf_counter()
        rate = step / max(now - self.start, 1e-9)
        digits = len(str(self.total))
        text = (f"{step:>{digits}}/{self.total} {self._bar(step)} {rate:6.1f} steps/s"
                + "".join(f" - {k}: {v:.4f}" for k, v in metrics.items()))
        self.stream.write("\r" + text + "\x1b[K" * bool(getattr(self.stream, "isatty", lambda: False)()))
        self.stream.flush()
        self._drawn = True
        self._next = now + self.interval

    def finish(self, line: str) -> None:
        """Replace the bar with ``line`` (the epoch's summary) and end the line."""
        self.stream.write(("\r" if self._drawn else "") + line + "\n")
        self.stream.flush()

    def abandon(self) -> None:
        """End the bar's line (after an interruption) so the next message starts clean."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def train_epoch(model: MnistCNN, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, *,
                batch_size: int, shuffle_seed: int, progress: ProgressBar | None = None,
                ) -> tuple[float, float]:
    """One pass over ``(x, y)`` in batches shuffled by ``torch.Generator().manual_seed(shuffle_seed)``.

    Returns
    -------
    loss, accuracy : float
        Means over the epoch's samples, as Keras reports them (computed during the pass).
    """
    model.train()
    n = x.shape[0]
    # the permutation is drawn on the CPU so it is the same on every device
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(shuffle_seed)).to(x.device)
    steps = math.ceil(n / batch_size)
    # running sums stay on the device: reading them (a sync) happens only when the bar redraws
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    for step in range(steps):
        idx = perm[step * batch_size:(step + 1) * batch_size]
        xb, yb = x[idx], y[idx]
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * yb.shape[0]
        correct += (logits.detach().argmax(1) == yb).sum()
        if progress is not None and progress.due():
            seen = min((step + 1) * batch_size, n)
            progress.draw(step + 1, {"loss": loss_sum.item() / seen, "accuracy": correct.item() / seen})
    return loss_sum.item() / n, correct.item() / n


@torch.no_grad()
def evaluate(model: MnistCNN, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = _EVAL_BATCH,
             ) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``."""
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    for i in range(0, x.shape[0], batch_size):
        logits = model(x[i:i + batch_size])
        yb = y[i:i + batch_size]
        loss_sum += F.cross_entropy(logits, yb, reduction="sum").double()
        correct += (logits.argmax(1) == yb).sum()
    return loss_sum.item() / x.shape[0], correct.item() / x.shape[0]


def _rng_state() -> dict[str, Any]:
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    # RNG states must be CPU byte tensors, wherever map_location put the checkpoint's tensors
    torch.set_rng_state(state["torch"].cpu())
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


def _save(out: Path, model: MnistCNN, optimizer: torch.optim.Optimizer, settings: TrainSettings, epoch: int,
          history: list[EpochRecord], device: str) -> Path:
    ckpt = {
        "format": _FORMAT,
        "model": model.state_dict(),
        "config": model.config.to_dict(),
        "settings": asdict(settings),
        "epoch": epoch,
        "optimizer": optimizer.state_dict(),
        "rng": _rng_state(),
        "history": [asdict(r) for r in history],
        "device": device,
    }
    path = out / CHECKPOINT_NAME
    atomic_write(path, lambda fh: torch.save(ckpt, fh))
    text = json.dumps({"epochs": [asdict(r) for r in history]}, indent=2) + "\n"
    atomic_write(out / HISTORY_NAME, lambda fh: fh.write(text.encode()))
    return path


_REQUIRED = ("format", "model", "config", "settings", "epoch", "optimizer", "rng", "history", "device")


def load_checkpoint(path: str | os.PathLike[str], *, config: ModelConfig | None = None,
                    map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`train` (``torch.load(weights_only=True)``: no pickled code).

    Parameters
    ----------
    path
        The ``mnist_cnn.pt`` file.
    config
        The architecture the caller expects; a checkpoint of another one is refused.
    map_location
        Where the tensors go.

    Raises
    ------
    CheckpointError
        File missing or unreadable, layout unknown, or weights not matching the architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint; train one with `python render.py train`")
    try:
        raw = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # zip, pickle and weights-only errors have no common base
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(raw, dict) or any(k not in raw for k in _REQUIRED):
        keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise CheckpointError(f"{path}: not a cnnviz MNIST checkpoint (has {keys}; needs {list(_REQUIRED)})")
    if raw["format"] != _FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {raw['format']!r}, this cnnviz reads {_FORMAT}")
    try:
        saved = ModelConfig.from_dict(raw["config"])
        settings = TrainSettings(**raw["settings"])
        history = [EpochRecord(**r) for r in raw["history"]]
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged metadata ({exc})") from None
    if config is not None and saved != config:
        raise CheckpointError(f"{path}: checkpoint is for architecture {saved}, expected {config}; "
                              "retrain (python render.py train) or delete it")
    model = MnistCNN(saved)
    try:
        model.load_state_dict(raw["model"], strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise CheckpointError(f"{path}: weights do not match the architecture {saved}: {detail}") from None
    model.to(map_location).eval()
    return Checkpoint(path=path, model=model, config=saved, settings=settings, epoch=int(raw["epoch"]),
                      history=history, device=str(raw["device"]), optimizer_state=raw["optimizer"],
                      rng_state=raw["rng"])


def _epoch_line(rec: EpochRecord, steps: int) -> str:
    return (f"{steps}/{steps} - {rec.seconds:.1f}s {1000 * rec.seconds / max(steps, 1):.0f}ms/step"
            f" - loss: {rec.train_loss:.4f} - accuracy: {rec.train_acc:.4f}"
            f" - test_loss: {rec.test_loss:.4f} - test_accuracy: {rec.test_acc:.4f}")


def train(
    *,
    epochs: int = 5,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    device: str = "auto",
    data_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = True,
    train_limit: int | None = None,
    test_limit: int | None = None,
    config: ModelConfig | None = None,
    threads: int | None = None,
    stream: IO[str] | None = None,
) -> TrainResult:
    """Train the lecture's CNN, saving ``mnist_cnn.pt`` and ``history.json`` after every epoch.

    Parameters
    ----------
    epochs, batch_size, lr, seed
        The recipe (defaults: the course's, seed 0).
    device
        ``"auto"``, ``"cuda"``, ``"mps"`` or ``"cpu"`` (see :func:`resolve_device`).
    data_dir
        MNIST folder, as for :func:`cnnviz.mnist.load_mnist`.
    out_dir
        Where the two files go; default :func:`default_out_dir`.
    resume
        Continue the run saved in ``out_dir`` from its last completed epoch (same settings but
        ``epochs``); without a checkpoint there, start afresh.
    progress
        Draw a progress bar and print one summary line per epoch on ``stream`` (default stderr).
    train_limit, test_limit
        Use only the first N digits of each split.
    config
        Architecture; default :class:`ModelConfig` ().
    threads
        CPU threads while training (see :func:`cpu_threads`); torch's setting is restored afterwards.

    Raises
    ------
    TrainingInterrupted
        On Ctrl-C; the last completed epoch is on disk.
    CheckpointError
        ``resume`` with a checkpoint of another run or architecture.
    DeviceError, cnnviz.mnist.MnistDataError
        No such device; no MNIST.
    """
    settings = TrainSettings(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                             train_limit=train_limit, test_limit=test_limit)
    dev = resolve_device(device)
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    with cpu_threads(threads):
        return _train(settings, config if config is not None else ModelConfig(), dev, data_dir, out, resume,
                      progress, stream if stream is not None else sys.stderr)


def _train(settings: TrainSettings, config: ModelConfig, dev: torch.device, data_dir: str | os.PathLike[str] | None,
           out: Path, resume: bool, progress: bool, say: IO[str]) -> TrainResult:
    epochs, batch_size, lr, seed = settings.epochs, settings.batch_size, settings.lr, settings.seed
    train_limit, test_limit = settings.train_limit, settings.test_limit

    ckpt_path = out / CHECKPOINT_NAME
    previous: Checkpoint | None = None
    if resume and ckpt_path.exists():
        previous = load_checkpoint(ckpt_path, config=config, map_location=dev)
        if not previous.settings.same_run(settings):
            raise CheckpointError(f"{ckpt_path}: saved run has settings {previous.settings}; cannot resume it "
                                  f"with {settings} (only --epochs may change)")
    elif resume and progress:
        say.write(f"nothing to resume in {out}; training from the start\n")

    # data first: a missing data set should fail before any work
    tr_images, tr_labels = load_mnist("train", data_dir)
    te_images, te_labels = load_mnist("test", data_dir)
    x_train, y_train = to_tensors(tr_images[:train_limit], tr_labels[:train_limit], dev)
    x_test, y_test = to_tensors(te_images[:test_limit], te_labels[:test_limit], dev)

    torch.manual_seed(seed)  # before the model is built: the initial weights depend on it
    model = MnistCNN(config)
    if previous is not None:
        model.load_state_dict(previous.model.state_dict())
    model.to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: list[EpochRecord] = []
    start_epoch = 0
    if previous is not None:
        optimizer.load_state_dict(previous.optimizer_state)
        _set_rng_state(previous.rng_state)
        history = list(previous.history[:previous.epoch])
        start_epoch = previous.epoch
        if progress:
            say.write(f"resuming from epoch {start_epoch} of {epochs} ({ckpt_path})\n")

    steps = math.ceil(x_train.shape[0] / batch_size)
    saved: Path | None = ckpt_path if previous is not None else None
    for epoch in range(start_epoch + 1, epochs + 1):
        bar = ProgressBar(steps, stream=say) if progress else None
        if progress:
            say.write(f"Epoch {epoch}/{epochs}\n")
        t0 = time.perf_counter()
        try:
            train_loss, train_acc = train_epoch(model, optimizer, x_train, y_train, batch_size=batch_size,
                                                shuffle_seed=seed + epoch, progress=bar)
            test_loss, test_acc = evaluate(model, x_test, y_test)
        except KeyboardInterrupt:
            if bar is not None:
                bar.abandon()
            raise TrainingInterrupted(epoch - 1, saved) from None
        rec = EpochRecord(epoch=epoch, train_loss=train_loss, train_acc=train_acc, test_loss=test_loss,
                          test_acc=test_acc, seconds=round(time.perf_counter() - t0, 3), device=str(dev))
        history.append(rec)
        try:
            saved = _save(out, model, optimizer, settings, epoch, history, str(dev))
        except KeyboardInterrupt:  # the atomic write left the previous epoch's files intact
            raise TrainingInterrupted(epoch - 1, saved) from None
        if bar is not None:
            bar.finish(_epoch_line(rec, steps))
    assert saved is not None  # a fresh run trains at least one epoch; a resumed one was saved before
    optimizer.zero_grad(set_to_none=True)  # hand back a model without the last step's stale gradients
    model.eval()
    return TrainResult(checkpoint=saved, history_path=out / HISTORY_NAME, history=history, model=model,
                       device=str(dev))


def ensure_trained(out_dir: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
                   progress: bool = True) -> Path:
    """Path of a fully trained checkpoint in ``out_dir``, training (or finishing) one if needed.

    The lecture calls this so that it works from nothing: the first call trains with the default
    settings (about a minute per epoch on a laptop CPU, seconds on a GPU); later calls return at once.

    Raises
    ------
    CheckpointError
        A checkpoint exists but is unreadable or of another architecture (it is not overwritten).
    """
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    path = out / CHECKPOINT_NAME
    if path.exists():
        ckpt = load_checkpoint(path, config=ModelConfig())
        if ckpt.complete:
            return path
        s = ckpt.settings  # an interrupted run: finish it as it was started
        return train(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, seed=s.seed, train_limit=s.train_limit,
                     test_limit=s.test_limit, data_dir=data_dir, out_dir=out, resume=True,
                     progress=progress).checkpoint
    return train(data_dir=data_dir, out_dir=out, progress=progress).checkpoint

