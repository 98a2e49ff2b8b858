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
import stat
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from ..paths import OutDirError, atomic_write, check_out_dir, user_command
from .data import cache_dir, load_mnist
from ..own_data import check_fits, content_digest, load_data
from ..config import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_SEED, TrainConfig
from .model import MnistCNN, ModelConfig, describe_model

if TYPE_CHECKING:
    from ..console import TrainProgress

__all__ = [
    "CHECKPOINT_NAME",
    "HISTORY_NAME",
    "Checkpoint",
    "CheckpointError",
    "DeviceError",
    "EpochRecord",
    "TrainResult",
    "TrainSettings",
    "MAX_BATCH_SIZE",
    "MAX_CHECKPOINT_BYTES",
    "MAX_EPOCHS",
    "MAX_SEED",
    "MAX_THREADS",
    "OutDirError",
    "StepProgress",
    "TrainingInterrupted",
    "check_checkpoint",
    "check_out_dir",
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


# Bounds of the training settings: past them a run cannot work (seeds torch refuses, thread counts that
# exhaust the machine, batches whose activations need many GB) or is surely a typo (a thousand epochs).
# MAX_EPOCHS, MAX_BATCH_SIZE and MAX_SEED (numpy's and torch's common range) are the lecture config's `train:`
# bounds, imported from cnnviz.config.
MAX_THREADS = 256
MAX_CHECKPOINT_BYTES = 256 * 2**20  # the lecture's checkpoint is about 1.1 MB


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, damaged, or does not match the architecture.

    The message names the file, the bad field (``epoch``, ``optimizer.param_groups[0].lr``, …) and what is
    allowed; ``path`` and ``field`` hold the first two (``field`` is None when the file as a whole is bad).
    """

    def __init__(self, message: str, *, path: Path | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.field = field


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _show(v: Any, limit: int = 60) -> str:
    """What ``v`` is, briefly: a value never prints whole (a hostile file's may be huge)."""
    if isinstance(v, torch.Tensor):
        return f"a {str(v.dtype).removeprefix('torch.')} tensor of shape {tuple(v.shape)}"
    if isinstance(v, dict):
        if not v:
            return "an empty dict"
        keys = sorted((str(k) for k in v), key=str)
        return "a dict with keys " + ", ".join(keys[:8]) + (", …" if len(keys) > 8 else "")
    if isinstance(v, (list, tuple)):
        return f"a {type(v).__name__} of {len(v)} item{'s' * (len(v) != 1)}"
    if v is None or isinstance(v, (bool, int, float, str, bytes)):
        text = repr(v) if not (isinstance(v, int) and abs(v) > 10**30) else f"a {len(str(abs(v)))}-digit number"
        text = text if len(text) <= limit else text[:limit - 1] + "…"
        kind = type(v).__name__
        return text if v is None or isinstance(v, bool) else f"{text} ({'an' if kind[0] in 'aeiou' else 'a'} {kind})"
    return f"a {type(v).__name__}"


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
        for name, low, high in (("epochs", 1, MAX_EPOCHS), ("batch_size", 1, MAX_BATCH_SIZE),
                                ("seed", 0, MAX_SEED)):
            v = getattr(self, name)
            if not _is_int(v) or not low <= v <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high}; got {_show(v)}")
        if not (_is_real(self.lr) and math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise ValueError(f"lr must be a number in (0, 1]; got {_show(self.lr)}")
        for name in ("train_limit", "test_limit"):
            v = getattr(self, name)
            if v is not None and (not _is_int(v) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None; got {_show(v)}")

    @classmethod
    def of(cls, recipe: TrainConfig) -> TrainSettings:
        """The settings of a lecture's ``train:`` (the whole data set)."""
        return cls(epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr, seed=recipe.seed)

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
    #: SHA-256 of the teacher's own data set it was trained on (cnnviz.own_data.content_digest); None: MNIST
    data_digest: str | None = None

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
    n = before if threads is None else threads
    if threads is not None and (not _is_int(n) or not 1 <= n <= MAX_THREADS):
        raise ValueError(f"threads must be an integer from 1 to {MAX_THREADS}; got {_show(threads)}")
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


class StepProgress(Protocol):
    """What :func:`train_epoch` tells of its progress (:class:`cnnviz.console.TrainProgress` listens)."""

    def due(self) -> bool:
        """Whether to :meth:`draw` now; asked every step, so it must cost next to nothing."""

    def draw(self, step: int, metrics: dict[str, float]) -> None:
        """``step`` steps done, with the running ``metrics`` (name → value)."""


def train_epoch(model: MnistCNN, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, *,
                batch_size: int, shuffle_seed: int, progress: StepProgress | None = None,
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
          history: list[EpochRecord], device: str, data_digest: str | None = None) -> Path:
    ckpt = {
        "data_digest": data_digest,  # optional (older checkpoints lack it: MNIST)
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
_RECORD_FIELDS = tuple(f.name for f in fields(EpochRecord))
_SETTINGS_FIELDS = tuple(f.name for f in fields(TrainSettings))


class _Fields:
    """Raises :class:`CheckpointError` for one file, naming the field and what it may be."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, field: str | None, problem: str, allowed: str, *, about: str | None = None) -> CheckpointError:
        """``<path>: checkpoint field '<field>' <problem>; allowed: <allowed>`` (no field: the whole file);
        ``about`` sets ``.field`` without naming it in front (the problem names it)."""
        where = f"{self.path}: " + (f"checkpoint field '{field}' " if field else "")
        return CheckpointError(f"{where}{problem}; allowed: {allowed}", path=self.path, field=field or about)

    def bad(self, field: str, value: Any, allowed: str) -> CheckpointError:
        return self.error(field, f"is {_show(value)}", allowed)

    def dict_(self, field: str, value: Any, allowed: str) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise self.bad(field, value, allowed)
        return value

    def number(self, field: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
        ok = _is_real(value) and math.isfinite(value) and (low < value if low_open else low <= value) \
            and value <= high
        if not ok:
            raise self.bad(field, value, f"a number in {'(' if low_open else '['}{low:g}, {high:g}]")
        return float(value)

    def tensor(self, field: str, value: Any, shape: tuple[int, ...] | None, *, dtype: torch.dtype | None = None,
               nonnegative: bool = False) -> torch.Tensor:
        kind = str(dtype).removeprefix("torch.") if dtype is not None else "float"
        want = (f"a {kind} tensor" + (f" of shape {shape}" if shape is not None else "")
                + ("" if dtype is not None else " with finite values") + (" >= 0" if nonnegative else ""))
        if not isinstance(value, torch.Tensor) or (shape is not None and tuple(value.shape) != shape) or \
                (value.dtype != dtype if dtype is not None else not value.is_floating_point()):
            raise self.bad(field, value, want)
        if dtype is None and not (bool(torch.isfinite(value).all()) and (not nonnegative or bool((value >= 0).all()))):
            bad = "NaN, infinite or negative" if nonnegative else "NaN or infinite"
            raise self.error(field, f"is {_show(value)} with {bad} values", want)
        return value


def _validated(raw: Any, path: Path, config: ModelConfig | None,
               ) -> tuple[ModelConfig, TrainSettings, int, list[EpochRecord], str]:
    """Check every field of a loaded checkpoint except the model's weights and the optimizer's state
    (which need the model); the file's own config, settings, epoch, history and device."""
    f = _Fields(path)
    if not isinstance(raw, dict):
        raise f.error(None, f"not a cnnviz MNIST checkpoint (it holds {_show(raw)})",
                      f"a dict with the fields {', '.join(_REQUIRED)}, as `{user_command('train')}` writes")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise f.error(None, f"not a cnnviz MNIST checkpoint: field{'s' * (len(missing) > 1)} "
                      f"{', '.join(repr(k) for k in missing)} missing (it has {_show(raw)})",
                      f"a dict with the fields {', '.join(_REQUIRED)}, as `{user_command('train')}` writes",
                      about=missing[0] if len(missing) == 1 else None)
    if not _is_int(raw["format"]) or raw["format"] != _FORMAT:
        raise f.bad("format", raw["format"], f"{_FORMAT} (the layout this cnnviz reads)")

    cfg = f.dict_("config", raw["config"], "a dict of ModelConfig fields")
    try:
        saved = ModelConfig.from_dict(cfg)
    except (TypeError, ValueError) as exc:
        raise f.error("config", f"is damaged ({exc})", "a model description (name, input, classes, layers) "
                      "as the lecture's `model:` writes it") from None
    if config is not None and saved != config:
        raise f.error("config", f"is for the model {describe_model(saved)}",
                      f"the model {describe_model(config)}; retrain ({user_command('train')}) or delete it")

    st = f.dict_("settings", raw["settings"], "a dict with " + ", ".join(_SETTINGS_FIELDS))
    unknown = sorted(str(k) for k in st if k not in _SETTINGS_FIELDS)
    absent = [k for k in _SETTINGS_FIELDS if k not in st]
    if unknown or absent:
        raise f.error("settings", "has " + "; ".join(
            ([f"unknown key(s) {', '.join(unknown)}"] if unknown else []) +
            ([f"no {', '.join(absent)}"] if absent else [])), "exactly the keys " + ", ".join(_SETTINGS_FIELDS))
    try:
        settings = TrainSettings(**st)
    except (TypeError, ValueError) as exc:
        name = next((k for k in _SETTINGS_FIELDS if str(exc).startswith(k + " ")), None)
        field_name = f"settings.{name}" if name else "settings"
        text = str(exc)
        problem, _, allowed = text.partition(" must be ")
        got = allowed.rpartition("; got ")[2] if "; got " in allowed else ""
        allowed = allowed.rpartition("; got ")[0] or allowed
        raise f.error(field_name, f"is {got}" if got else f"is damaged ({text})", allowed) from None

    epoch = raw["epoch"]
    if not _is_int(epoch) or not 1 <= epoch <= settings.epochs:
        raise f.bad("epoch", epoch, f"an integer from 1 to {settings.epochs} (settings.epochs)")

    hist = raw["history"]
    if not isinstance(hist, list) or len(hist) != epoch:
        raise f.bad("history", hist, f"a list of {epoch} epoch record{'s' * (epoch != 1)} (one per epoch done)")
    history = []
    for i, rec in enumerate(hist):
        name = f"history[{i}]"
        rec = f.dict_(name, rec, "a dict with " + ", ".join(_RECORD_FIELDS))
        if sorted(map(str, rec)) != sorted(_RECORD_FIELDS):
            raise f.bad(name, rec, "a dict with exactly the keys " + ", ".join(_RECORD_FIELDS))
        if not _is_int(rec["epoch"]) or rec["epoch"] != i + 1:
            raise f.bad(f"{name}.epoch", rec["epoch"], f"{i + 1} (records are in epoch order)")
        for k, high in (("train_loss", 1e6), ("test_loss", 1e6), ("train_acc", 1.0), ("test_acc", 1.0),
                        ("seconds", 1e7)):
            f.number(f"{name}.{k}", rec[k], 0.0, high)
        if not isinstance(rec["device"], str) or not rec["device"] or len(rec["device"]) > 64:
            raise f.bad(f"{name}.device", rec["device"], "a device name such as 'cpu' or 'cuda'")
        history.append(EpochRecord(**rec))

    device = raw["device"]
    if not isinstance(device, str) or not device or len(device) > 64:
        raise f.bad("device", device, "a device name such as 'cpu' or 'cuda'")
    return saved, settings, epoch, history, device


def _check_weights(f: _Fields, weights: Any, expected: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    weights = f.dict_("model", weights, f"a state dict of the {len(expected)} tensors {', '.join(expected)}")
    unknown = sorted(str(k) for k in weights if k not in expected)
    absent = [k for k in expected if k not in weights]
    if unknown or absent:
        detail = "; ".join(([f"unknown {', '.join(unknown[:8])}"] if unknown else [])
                           + ([f"no {', '.join(absent)}"] if absent else []))
        raise f.error("model", f"does not match the architecture ({detail})",
                      f"exactly the tensors {', '.join(expected)}")
    for k, shape in expected.items():
        value = weights[k]
        if isinstance(value, torch.Tensor) and tuple(value.shape) != shape:
            raise f.error(f"model.{k}", f"is {_show(value)}: the weights do not match the architecture",
                          f"a float tensor of shape {shape}")
        if k.endswith(".num_batches_tracked"):  # batch norm's counter of the batches it has seen
            f.tensor(f"model.{k}", value, shape, dtype=torch.int64, nonnegative=True)
        else:
            f.tensor(f"model.{k}", value, shape)
    return weights


def _check_optimizer(f: _Fields, state: Any, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    n = len(shapes)
    opt = f.dict_("optimizer", state, "Adam's state dict: a dict with 'state' and 'param_groups'")
    for key in ("state", "param_groups"):
        if key not in opt:
            raise f.bad("optimizer", opt, "Adam's state dict: a dict with 'state' and 'param_groups'")
    groups = opt["param_groups"]
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
        raise f.bad("optimizer.param_groups", groups, "a list of one dict (one parameter group)")
    group = groups[0]
    if group.get("params") != list(range(n)):
        raise f.bad("optimizer.param_groups[0].params", group.get("params"), f"the list 0, 1, …, {n - 1}")
    f.number("optimizer.param_groups[0].lr", group.get("lr"), 0.0, 1.0, low_open=True)
    f.number("optimizer.param_groups[0].eps", group.get("eps"), 0.0, 1.0, low_open=True)
    f.number("optimizer.param_groups[0].weight_decay", group.get("weight_decay", 0), 0.0, 1.0)
    betas = group.get("betas")
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(_is_real(b) and 0 <= b < 1 for b in betas)):
        raise f.bad("optimizer.param_groups[0].betas", betas, "two numbers in [0, 1)")
    per_param = f.dict_("optimizer.state", opt["state"], f"a dict from parameter index (0 to {n - 1}) to its state")
    for i, entry in per_param.items():
        if not _is_int(i) or not 0 <= i < n:
            raise f.bad("optimizer.state", per_param, f"a dict from parameter index (0 to {n - 1}) to its state")
        name = f"optimizer.state[{i}]"
        entry = f.dict_(name, entry, "a dict with step, exp_avg and exp_avg_sq")
        if any(k not in entry for k in ("step", "exp_avg", "exp_avg_sq")):
            raise f.bad(name, entry, "a dict with step, exp_avg and exp_avg_sq")
        step = entry["step"]
        if isinstance(step, torch.Tensor) and step.numel() == 1 and step.is_floating_point():
            step = step.item()
        f.number(f"{name}.step", step, 0.0, 1e12)
        f.tensor(f"{name}.exp_avg", entry["exp_avg"], shapes[i])
        f.tensor(f"{name}.exp_avg_sq", entry["exp_avg_sq"], shapes[i], nonnegative=True)
    return opt


def _check_rng(f: _Fields, rng: Any) -> dict[str, Any]:
    size = torch.get_rng_state().numel()
    rng = f.dict_("rng", rng, f"a dict with 'torch' (a uint8 tensor of {size} bytes) and 'cuda' (a list)")
    if "torch" not in rng:
        raise f.bad("rng", rng, f"a dict with 'torch' (a uint8 tensor of {size} bytes) and 'cuda' (a list)")
    state = f.tensor("rng.torch", rng["torch"], (size,), dtype=torch.uint8)
    before = torch.get_rng_state()
    try:  # what torch itself accepts decides; the generator is put back at once
        torch.set_rng_state(state.cpu())
    except (RuntimeError, ValueError, TypeError) as exc:
        raise f.error("rng.torch", f"is not a CPU generator state ({exc})",
                      "the state torch.get_rng_state() returns") from None
    finally:
        torch.set_rng_state(before)
    cuda = rng.get("cuda", [])
    if not isinstance(cuda, (list, tuple)) or len(cuda) > 1024:
        raise f.bad("rng.cuda", cuda, "a list of uint8 tensors (one per CUDA GPU; empty without)")
    for i, t in enumerate(cuda):
        if not (isinstance(t, torch.Tensor) and t.dtype == torch.uint8 and t.dim() == 1 and t.numel() <= 2**16):
            raise f.bad(f"rng.cuda[{i}]", t, "a 1-D uint8 tensor (a CUDA generator state)")
    return rng


def _check_data_digest(f: _Fields, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)):
        return value
    raise f.bad("data_digest", value, "None (MNIST) or the 64 hex digits of a SHA-256 (the own data set's)")


def load_checkpoint(path: str | os.PathLike[str], *, config: ModelConfig | None = None,
                    map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load and validate a checkpoint written by :func:`train` (``torch.load(weights_only=True)``: no
    pickled code is ever run).

    Every field is checked before anything uses it: the layout version, the architecture, the settings,
    ``epoch`` against ``settings.epochs``, one history record per epoch, the weights (names, shapes, finite),
    Adam's state (one group, a state of each parameter's shape) and the RNG state torch accepts.

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
        File missing, a folder, too large or unreadable; or a field damaged. The message names the file,
        the field and what is allowed (``<path>: checkpoint field '<field>' is <what>; allowed: <what>``).
    """
    path = Path(path)
    f = _Fields(path)
    how = f"a file written by `{user_command('train')}` (mnist_cnn.pt)"
    try:
        st = path.stat()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        problem = "no such checkpoint" if isinstance(exc, FileNotFoundError) else \
            f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
        raise f.error(None, problem, how + f"; train one with `{user_command('train')} --out DIR`") from None
    if stat.S_ISDIR(st.st_mode):
        hint = f" (that folder's {CHECKPOINT_NAME})" if (path / CHECKPOINT_NAME).is_file() else ""
        raise f.error(None, "is a folder, not a checkpoint file", f"{how}{hint}")
    if not stat.S_ISREG(st.st_mode):
        raise f.error(None, "is not a regular file (a device, pipe or socket)", how)
    if st.st_size > MAX_CHECKPOINT_BYTES:
        raise f.error(None, f"is too large for a checkpoint ({st.st_size} bytes)",
                      f"{how}, at most {MAX_CHECKPOINT_BYTES} bytes")
    try:
        with warnings.catch_warnings():  # a hostile file's oddities are refused below, not warned about
            warnings.simplefilter("ignore")
            raw = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # zip, pickle and weights-only errors have no common base
        first = (str(exc).strip().splitlines() or [""])[0]
        first = first if len(first) <= 200 else first[:199] + "…"
        raise f.error(None, f"not a readable checkpoint ({type(exc).__name__}: {first})", how) from None
    saved, settings, epoch, history, device = _validated(raw, path, config)
    with torch.device("meta"):  # the expected shapes, without allocating a possibly huge model
        expected = {k: tuple(v.shape) for k, v in MnistCNN(saved).state_dict().items()}
    weights = _check_weights(f, raw["model"], expected)
    model = MnistCNN(saved)
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:  # unreachable past _check_weights; kept as the last word
        detail = " ".join(str(exc).split())
        raise f.error("model", f"weights do not match the architecture {saved}: {detail}",
                      "the tensors of that architecture") from None
    model.to(map_location).eval()
    shapes = [tuple(p.shape) for p in model.parameters()]
    # (not tried on a real Adam here: its first construction costs ~1 s of imports; resuming tries it)
    optimizer_state = _check_optimizer(f, raw["optimizer"], shapes)
    rng_state = _check_rng(f, raw["rng"])
    return Checkpoint(path=path, model=model, config=saved, settings=settings, epoch=epoch, history=history,
                      device=device, optimizer_state=optimizer_state, rng_state=rng_state,
                      data_digest=_check_data_digest(f, raw.get("data_digest")))


def check_checkpoint(path: str | os.PathLike[str], *, config: ModelConfig | None = ModelConfig(),
                     complete: bool = False) -> None:
    """Validate the checkpoint at ``path`` the way :func:`load_checkpoint` does, and return nothing.

    ``config`` is the architecture demanded (default: the lecture's); ``complete=True`` also refuses a run
    that stopped before its last epoch (what the MNIST scenes need).

    Raises
    ------
    CheckpointError
        As :func:`load_checkpoint`; for ``complete``, ``field`` is ``"epoch"``.
    """
    ckpt = load_checkpoint(path, config=config)
    if complete and not ckpt.complete:
        raise unfinished_error(ckpt)


def unfinished_error(ckpt: Checkpoint) -> CheckpointError:
    """The refusal of a run that stopped before its last epoch (not a trained network), naming ``epoch``."""
    return _Fields(ckpt.path).error(
        "epoch", f"is {ckpt.epoch}: the run stopped before its last epoch",
        f"{ckpt.settings.epochs} (settings.epochs, a finished run); finish it with "
        f"`{user_command('train')} --resume --out {ckpt.path.parent}`")


def _display(epochs: int, steps: int, done: int, say: IO[str]) -> TrainProgress:
    """Training's progress display on ``say`` (rich's; imported only when a run shows progress)."""
    from ..console import TrainProgress

    return TrainProgress(epochs, steps, done=done, file=say)


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
    data: str | os.PathLike[str] | None = None,
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
    data
        The teacher's own data set in place of MNIST (:func:`cnnviz.own_data.load_data`: a folder of class
        folders or an ``.npz``); ``config``'s input and last layer must fit it. ``data_dir`` is then unused.

    Raises
    ------
    TrainingInterrupted
        On Ctrl-C; the last completed epoch is on disk.
    ValueError
        A setting out of its range (see :class:`TrainSettings`; ``threads`` 1 to :data:`MAX_THREADS`).
    CheckpointError
        ``resume`` with a damaged checkpoint, or one of another run or architecture.
    OutDirError
        ``out_dir`` cannot be created or written to (checked before any work).
    DeviceError, cnnviz.mnist.MnistDataError, cnnviz.own_data.DataError
        No such device; no MNIST; an unusable own data set, or one the model does not fit.
    """
    settings = TrainSettings(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                             train_limit=train_limit, test_limit=test_limit)
    dev = resolve_device(device)
    out = check_out_dir(Path(out_dir) if out_dir is not None else default_out_dir())
    with cpu_threads(threads):
        return _train(settings, config if config is not None else ModelConfig(), dev, data_dir, out, resume,
                      progress, stream if stream is not None else sys.stderr, data)


def _train(settings: TrainSettings, config: ModelConfig, dev: torch.device, data_dir: str | os.PathLike[str] | None,
           out: Path, resume: bool, progress: bool, say: IO[str],
           data: str | os.PathLike[str] | None = None) -> TrainResult:
    epochs, batch_size, lr, seed = settings.epochs, settings.batch_size, settings.lr, settings.seed
    train_limit, test_limit = settings.train_limit, settings.test_limit

    ckpt_path = out / CHECKPOINT_NAME
    previous: Checkpoint | None = None
    if resume and ckpt_path.exists():
        previous = load_checkpoint(ckpt_path, config=config, map_location=dev)
        if not previous.settings.same_run(settings):
            raise CheckpointError(f"{ckpt_path}: checkpoint field 'settings' is {previous.settings} (the saved "
                                  f"run); cannot resume it with {settings}; allowed: the saved run's settings "
                                  "(only --epochs may change)", path=ckpt_path, field="settings")
    elif resume and progress:
        say.write(f"nothing to resume in {out}; training from the start\n")

    # data first: a missing data set should fail before any work
    data_digest = content_digest(data) if data is not None else None
    if previous is not None and previous.data_digest != data_digest:
        def what(d: str | None) -> str:
            return "MNIST" if d is None else f"the data set of SHA-256 {d[:12]}…"
        raise CheckpointError(f"{ckpt_path}: checkpoint field 'data_digest' says it was trained on "
                              f"{what(previous.data_digest)}; cannot resume it on {what(data_digest)}; allowed: the "
                              "data it was trained on (or train afresh in another --out)", path=ckpt_path,
                              field="data_digest")
    if data is not None:  # the teacher's own (cnnviz.own_data: read, normalised to [0, 1], split, seeded)
        own = load_data(data)
        check_fits(own.info, config.input, config.classes, config.shapes()[-1].output_shape[0])
        x_train, y_train, x_test, y_test = (torch.from_numpy(a[:limit].copy()).to(dev) for a, limit in (
            (own.x_train, train_limit), (own.y_train, train_limit), (own.x_test, test_limit),
            (own.y_test, test_limit)))
    else:
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
        try:
            optimizer.load_state_dict(previous.optimizer_state)
        except Exception as exc:  # noqa: BLE001 - past load_checkpoint's checks any refusal is the file's
            raise _Fields(ckpt_path).error("optimizer", f"is not accepted by Adam ({type(exc).__name__}: {exc})",
                                           "the state dict torch.optim.Adam writes for this model") from None
        _set_rng_state(previous.rng_state)
        history = list(previous.history[:previous.epoch])
        start_epoch = previous.epoch
        if progress:
            say.write(f"resuming from epoch {start_epoch} of {epochs} ({ckpt_path})\n")

    steps = math.ceil(x_train.shape[0] / batch_size)
    saved: Path | None = ckpt_path if previous is not None else None
    display = _display(epochs, steps, start_epoch, say) if progress else None
    with display if display is not None else nullcontext():
        for epoch in range(start_epoch + 1, epochs + 1):
            if display is not None:
                display.print(f"Epoch {epoch}/{epochs}")
                display.begin_epoch()
            t0 = time.perf_counter()
            try:
                train_loss, train_acc = train_epoch(model, optimizer, x_train, y_train, batch_size=batch_size,
                                                    shuffle_seed=seed + epoch, progress=display)
                test_loss, test_acc = evaluate(model, x_test, y_test)
            except KeyboardInterrupt:
                raise TrainingInterrupted(epoch - 1, saved) from None
            rec = EpochRecord(epoch=epoch, train_loss=train_loss, train_acc=train_acc, test_loss=test_loss,
                              test_acc=test_acc, seconds=round(time.perf_counter() - t0, 3), device=str(dev))
            history.append(rec)
            try:
                saved = _save(out, model, optimizer, settings, epoch, history, str(dev), data_digest)
            except KeyboardInterrupt:  # the atomic write left the previous epoch's files intact
                raise TrainingInterrupted(epoch - 1, saved) from None
            if display is not None:
                display.end_epoch(_epoch_line(rec, steps), f"test_accuracy: {rec.test_acc:.4f}")
    assert saved is not None  # a fresh run trains at least one epoch; a resumed one was saved before
    optimizer.zero_grad(set_to_none=True)  # hand back a model without the last step's stale gradients
    model.eval()
    return TrainResult(checkpoint=saved, history_path=out / HISTORY_NAME, history=history, model=model,
                       device=str(dev))


def ensure_trained(out_dir: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
                   progress: bool = True, *, config: ModelConfig | None = None,
                   settings: TrainSettings | None = None, data: str | os.PathLike[str] | None = None) -> Path:
    """Path of a fully trained checkpoint of ``config`` (default: the course's model) trained with
    ``settings`` in ``out_dir``, training (or finishing) one if needed. Without ``settings`` a complete
    checkpoint of the model is taken whatever its recipe, and a fresh one is trained with the course's.

    ``data`` is the teacher's own data set (see :func:`train`); ``out_dir`` should then be keyed by it too
    (:func:`cnnviz.values.mnist_model.network_dir`).

    The lecture calls this so that it works from nothing: the first call trains (about a minute per epoch
    of the course's model on a laptop CPU, seconds on a GPU); later calls return at once.

    Raises
    ------
    CheckpointError
        A checkpoint exists but is unreadable, of another model or another recipe (it is not overwritten).
    """
    config = config if config is not None else ModelConfig()
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    path = out / CHECKPOINT_NAME
    if path.exists():
        ckpt = load_checkpoint(path, config=config)
        if settings is not None and ckpt.settings != settings:
            raise CheckpointError(f"{path}: checkpoint field 'settings' is {ckpt.settings}; allowed: {settings} "
                                  "(the lecture's `train:`); delete the file to train afresh", path=path,
                                  field="settings")
        if ckpt.complete:
            return path
        s = ckpt.settings  # an interrupted run: finish it as it was started
        return train(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, seed=s.seed, train_limit=s.train_limit,
                     test_limit=s.test_limit, data_dir=data_dir, out_dir=out, resume=True, config=config,
                     progress=progress, data=data).checkpoint
    # the course's model and recipe on MNIST: train's own defaults
    if settings is None and config == ModelConfig() and data is None:
        return train(data_dir=data_dir, out_dir=out, progress=progress).checkpoint
    s = settings if settings is not None else TrainSettings()
    return train(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, seed=s.seed, train_limit=s.train_limit,
                 test_limit=s.test_limit, data_dir=data_dir, out_dir=out, config=config,
                 progress=progress, data=data).checkpoint

