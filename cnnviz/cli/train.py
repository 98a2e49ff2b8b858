"""``python render.py train``: train the lecture's CNN on MNIST and save it for the scenes."""

from __future__ import annotations

from pathlib import Path

import click

from . import UserError

__all__ = ["command"]

# The bounds live in cnnviz.mnist.train (MAX_EPOCHS, ...), which imports torch; they are repeated here so
# that `--help` stays fast, and a test holds the two equal.
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 4096
MAX_SEED = 2**32 - 1
MAX_THREADS = 256


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--epochs", type=click.IntRange(1, MAX_EPOCHS), default=5, show_default=True,
              help=f"Epochs to train, 1 to {MAX_EPOCHS}.")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH_SIZE), default=32, show_default=True,
              help=f"Samples per step, 1 to {MAX_BATCH_SIZE} (larger batches need gigabytes for the activations).")
@click.option("--device", type=click.Choice(["auto", "cuda", "mps", "cpu"]), default="auto", show_default=True,
              help="auto: CUDA if available, else Apple MPS, else CPU.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
              help=f"Seeds the initial weights and the shuffles, 0 to {MAX_SEED} (2**32 - 1).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with the MNIST IDX files [default: $CNNVIZ_DATA_DIR, else ~/.cache/cnnviz/mnist; "
                   "missing files are downloaded].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where mnist_cnn.pt and history.json go, created if missing; checked to be writable before "
                   "training starts [default: ~/.cache/cnnviz].")
@click.option("--resume", is_flag=True, help="Continue the run saved in --out from its last completed epoch.")
@click.option("--train-limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N training digits (quick tries).")
@click.option("--test-limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N test digits (quick tries).")
@click.option("--threads", type=click.IntRange(1, MAX_THREADS), default=None,
              help=f"CPU threads, 1 to {MAX_THREADS} [default: torch's, capped at the usable cores]; on a busy "
                   "CPU 1 can be faster.")
def command(epochs: int, batch_size: int, device: str, seed: int, data_dir: Path | None, out_dir: Path | None,
            resume: bool, train_limit: int | None, test_limit: int | None, threads: int | None) -> None:
    """Train the lecture's CNN (the course's Keras model) on MNIST.

    Adam (lr 1e-3), cross-entropy, batch 32, 5 epochs by default. After every epoch the model is saved
    (mnist_cnn.pt) with its history (history.json); Ctrl-C keeps the last completed epoch, and --resume
    continues from it with the same result as an uninterrupted run. A damaged checkpoint is refused
    with the field that is wrong.

    \b
    Examples:
      python render.py train
      python render.py train --epochs 1 --device cpu --out out/quick
      python render.py train --resume
    """
    # torch is imported only now: `render.py --help` stays fast
    from cnnviz.mnist.data import MnistDataError
    from cnnviz.mnist.train import (CheckpointError, DeviceError, OutDirError, TrainingInterrupted, check_out_dir,
                                    default_out_dir, train)

    out = out_dir if out_dir is not None else default_out_dir()
    try:
        check_out_dir(out)  # before any work: an impossible --out must not cost an epoch
    except OutDirError as exc:
        raise UserError(f"--out {out}: {str(exc).removeprefix(f'{out}: ').removeprefix(f'{out} ')}") from None
    try:
        result = train(epochs=epochs, batch_size=batch_size, device=device, seed=seed, data_dir=data_dir,
                       out_dir=out, resume=resume, train_limit=train_limit, test_limit=test_limit,
                       threads=threads)
    except TrainingInterrupted as exc:
        where = (f"epoch {exc.epochs_done} is saved in {exc.checkpoint}; continue with --resume"
                 if exc.checkpoint is not None else "no epoch was completed, nothing saved")
        click.echo(f"\ninterrupted: {where}", err=True)
        raise click.exceptions.Exit(130) from None
    except KeyboardInterrupt:  # before the first epoch began (loading data, building the model)
        click.echo("\ninterrupted: no epoch was completed, nothing saved", err=True)
        raise click.exceptions.Exit(130) from None
    except OutDirError as exc:
        raise UserError(f"--out {out}: {exc}") from None
    except (MnistDataError, CheckpointError, DeviceError) as exc:
        raise UserError(str(exc)) from None
    last = result.history[-1] if result.history else None
    summary = f"test accuracy {last.test_acc:.4f} after epoch {last.epoch}; " if last else ""
    click.echo(f"{summary}saved {result.checkpoint} and {result.history_path}", err=True)
