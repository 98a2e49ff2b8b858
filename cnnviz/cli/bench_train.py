"""``python render.py bench-train``: one epoch of our training against a plain PyTorch loop, on CPU.

Both sides start from the same weights and see the same batches in the same order; the reference is
the textbook loop (``nn.Sequential``, index, forward, loss, backward, step) with nothing else, so the
ratio is what our model class, running metrics and progress bar cost. Runs alternate (ref, ours,
ours, ref, ...) so that a machine's drift hits both sides alike; the best time of each is compared.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from . import UserError

__all__ = ["BenchResult", "command", "run_benchmark"]


@dataclass(frozen=True)
class BenchResult:
    """Seconds per epoch of each run, and what was run."""

    ours_s: list[float]
    reference_s: list[float]
    samples: int
    steps: int
    threads: int
    max_weight_diff: float  # ours vs reference after the same epoch: 0.0 when the arithmetic is identical

    @property
    def ratio(self) -> float:
        """Best of ours over best of the reference (goal: ≤ 1.10)."""
        return min(self.ours_s) / min(self.reference_s)


def run_benchmark(*, data_dir: str | Path | None = None, repeats: int = 2, batch_size: int = 32, seed: int = 0,
                  train_limit: int | None = None, threads: int | None = None,
                  stream: IO[str] | None = None) -> BenchResult:
    """Time ``repeats`` epochs of :func:`cnnviz.mnist.train.train_epoch` and of a plain loop, on CPU.

    Parameters
    ----------
    data_dir
        MNIST folder, as for :func:`cnnviz.mnist.load_mnist`.
    repeats
        Epochs timed per side.
    batch_size, seed
        As in training; ``seed`` gives the initial weights, ``seed + 1`` the shuffle.
    train_limit
        Time on the first N training digits only.
    threads
        CPU threads for both sides; default as in training (:func:`cnnviz.mnist.train.cpu_threads`).
    stream
        Where our progress bar and the report lines go; default stderr.
    """
    from cnnviz.mnist.train import cpu_threads

    out = stream if stream is not None else sys.stderr
    with cpu_threads(threads) as n_threads:
        return _measure(data_dir, repeats, batch_size, seed, train_limit, n_threads, out)


def _measure(data_dir: str | Path | None, repeats: int, batch_size: int, seed: int, train_limit: int | None,
             n_threads: int, out: IO[str]) -> BenchResult:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cnnviz.mnist.data import load_mnist
    from cnnviz.mnist.model import MnistCNN
    from cnnviz.mnist.train import to_tensors, train_epoch

    from ..console import TrainProgress

    images, labels = load_mnist("train", data_dir)
    x, y = to_tensors(images[:train_limit], labels[:train_limit], "cpu")
    n = x.shape[0]
    steps = math.ceil(n / batch_size)
    torch.manual_seed(seed)
    init = MnistCNN()

    def ours_model() -> MnistCNN:
        m = MnistCNN(init.config)
        m.load_state_dict(init.state_dict())
        return m

    def reference_model() -> nn.Sequential:
        # the same layers as a textbook nn.Sequential, loaded with the same initial weights
        m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64),
                          nn.ReLU(), nn.Linear(64, 10))
        src = [p for p in init.parameters()]
        with torch.no_grad():
            for p, q in zip(m.parameters(), src, strict=True):
                p.copy_(q)
        return m

    def run_reference(limit: int | None = None) -> tuple[float, nn.Module]:
        m = reference_model()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        m.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 1))
        for i in range(0, n if limit is None else limit * batch_size, batch_size):
            idx = perm[i:i + batch_size]
            loss = F.cross_entropy(m(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return time.perf_counter() - t0, m

    def run_ours() -> tuple[float, nn.Module]:
        m = ours_model()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        with TrainProgress(1, steps, file=out) as bar:  # as training shows it: rich redraws on its own thread
            bar.begin_epoch()
            t0 = time.perf_counter()
            loss, acc = train_epoch(m, opt, x, y, batch_size=batch_size, shuffle_seed=seed + 1, progress=bar)
            seconds = time.perf_counter() - t0
            bar.end_epoch(f"ours: {seconds:.2f}s - loss: {loss:.4f} - accuracy: {acc:.4f}")
        return seconds, m

    run_reference(limit=30)  # warm-up: oneDNN picks and caches its kernels on first use
    ours_s: list[float] = []
    ref_s: list[float] = []
    last: dict[str, nn.Module] = {}
    for r in range(repeats):
        order = ("ref", "ours") if r % 2 == 0 else ("ours", "ref")
        for side in order:
            if side == "ref":
                s, last["ref"] = run_reference()
                ref_s.append(s)
                out.write(f"reference: {s:.2f}s\n")
            else:
                s, last["ours"] = run_ours()
                ours_s.append(s)
    with torch.no_grad():
        diff = max(float((p - q).abs().max()) for p, q in zip(last["ours"].parameters(), last["ref"].parameters()))
    return BenchResult(ours_s=ours_s, reference_s=ref_s, samples=n, steps=steps, threads=n_threads,
                       max_weight_diff=diff)


@click.command("bench-train", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--repeats", type=click.IntRange(min=1), default=2, show_default=True, help="Epochs timed per side.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with the MNIST IDX files [default: as for train].")
@click.option("--train-limit", type=click.IntRange(min=1), default=None,
              help="Time on the first N training digits only.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="CPU threads for both sides [default: torch's, capped at the usable cores].")
def command(repeats: int, data_dir: Path | None, train_limit: int | None, threads: int | None) -> None:
    """Time one training epoch (CPU) against a plain PyTorch loop; goal: ratio <= 1.10.

    \b
    Example:
      python render.py bench-train --repeats 3
    """
    from cnnviz.mnist.data import MnistDataError

    try:
        res = run_benchmark(data_dir=data_dir, repeats=repeats, train_limit=train_limit, threads=threads)
    except MnistDataError as exc:
        raise UserError(str(exc)) from None
    best_ours, best_ref = min(res.ours_s), min(res.reference_s)
    click.echo(f"samples {res.samples}, batch 32, {res.steps} steps/epoch, CPU threads {res.threads}")
    click.echo(f"reference loop: {best_ref:.2f} s/epoch (runs: {', '.join(f'{s:.2f}' for s in res.reference_s)})")
    click.echo(f"cnnviz train:   {best_ours:.2f} s/epoch (runs: {', '.join(f'{s:.2f}' for s in res.ours_s)})")
    click.echo(f"ratio (best ours / best reference): {res.ratio:.3f}  (goal <= 1.10)")
    click.echo(f"largest weight difference after one epoch, ours vs reference: {res.max_weight_diff:.3g}")
