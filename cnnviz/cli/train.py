"""``python render.py train``: train the lecture's CNN on MNIST and save it for the scenes."""

from __future__ import annotations

from pathlib import Path

import click

from . import UserError

__all__ = ["command"]


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--epochs", type=click.IntRange(min=1), default=5, show_default=True, help="Epochs to train.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True, help="Samples per step.")
@click.option("--device", type=click.Choice(["auto", "cuda", "mps", "cpu"]), default="auto", show_default=True,
              help="auto: CUDA if available, else Apple MPS, else CPU.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the initial weights and the shuffles.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with the MNIST IDX files [default: $CNNVIZ_DATA_DIR, else ~/.cache/cnnviz/mnist; "
                   "missing files are downloaded].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where mnist_cnn.pt and history.json go [default: ~/.cache/cnnviz].")
@click.option("--resume", is_flag=True, help="Continue the run saved in --out from its last completed epoch.")
@click.option("--train-limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N training digits (quick tries).")
@click.option("--test-limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N test digits (quick tries).")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="CPU threads [default: torch's, capped at the usable cores]; on a busy CPU 1 can be faster.")
def command(epochs: int, batch_size: int, device: str, seed: int, data_dir: Path | None, out_dir: Path | None,
            resume: bool, train_limit: int | None, test_limit: int | None, threads: int | None) -> None:
    """Train the lecture's CNN (the course's Keras model) on MNIST.

    Adam (lr 1e-3), cross-entropy, batch 32, 5 epochs by default. After every epoch the model is saved
    (mnist_cnn.pt) with its history (history.json); Ctrl-C keeps the last completed epoch, and --resume
    continues from it with the same result as an uninterrupted run.

    \b
    Examples:
      python render.py train
      python render.py train --epochs 1 --device cpu --out out/quick
      python render.py train --resume
    """
    # torch is imported only now: `render.py --help` stays fast
    from cnnviz.mnist.data import MnistDataError
    from cnnviz.mnist.train import CheckpointError, DeviceError, TrainingInterrupted, train

    try:
        result = train(epochs=epochs, batch_size=batch_size, device=device, seed=seed, data_dir=data_dir,
                       out_dir=out_dir, resume=resume, train_limit=train_limit, test_limit=test_limit,
                       threads=threads)
    except TrainingInterrupted as exc:
        where = (f"epoch {exc.epochs_done} is saved in {exc.checkpoint}; continue with --resume"
                 if exc.checkpoint is not None else "no epoch was completed, nothing saved")
        click.echo(f"\ninterrupted: {where}", err=True)
        raise click.exceptions.Exit(130) from None
    except (MnistDataError, CheckpointError, DeviceError) as exc:
        raise UserError(str(exc)) from None
    last = result.history[-1] if result.history else None
    summary = f"test accuracy {last.test_acc:.4f} after epoch {last.epoch}; " if last else ""
    click.echo(f"{summary}saved {result.checkpoint} and {result.history_path}", err=True)
