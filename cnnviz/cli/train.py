"""``python render.py train``: train the lecture's CNN on MNIST and save it for the scenes."""

from __future__ import annotations

from pathlib import Path

import click

from . import UserError

__all__ = ["command"]

# The bounds of the recipe are the lecture config's (cnnviz.config: no torch, so `--help` stays fast);
# MAX_THREADS is cnnviz.mnist.train's, repeated here (which imports torch), and a test holds the two equal.
from cnnviz.config import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_SEED  # noqa: E402
MAX_THREADS = 256


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A lecture file: train its `model:` with its `train:` recipe on its `data:` (default MNIST), into the "
                   "folder its MNIST scenes read [default: the course's model and recipe].")
@click.option("--epochs", type=click.IntRange(1, MAX_EPOCHS), default=None,
              help=f"Epochs to train, 1 to {MAX_EPOCHS} [default: the recipe's, 5 for the course].")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH_SIZE), default=None,
              help=f"Samples per step, 1 to {MAX_BATCH_SIZE} (larger batches need gigabytes for the activations) "
                   "[default: the recipe's, 32 for the course].")
@click.option("--device", type=click.Choice(["auto", "cuda", "mps", "cpu"]), default="auto", show_default=True,
              help="auto: CUDA if available, else Apple MPS, else CPU.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None,
              help=f"Seeds the initial weights and the shuffles, 0 to {MAX_SEED} (2**32 - 1) [default: the "
                   "recipe's, 0 for the course].")
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
def command(config_path: Path | None, epochs: int | None, batch_size: int | None, device: str, seed: int | None,
            data_dir: Path | None, out_dir: Path | None, resume: bool, train_limit: int | None,
            test_limit: int | None, threads: int | None) -> None:
    """Train the lecture's CNN (the course's Keras model, or a lecture file's `model:`) on MNIST.

    Adam (lr 1e-3), cross-entropy, batch 32, 5 epochs by default (a lecture file's `train:` sets its own). After every epoch the model is saved
    (mnist_cnn.pt) with its history (history.json); Ctrl-C keeps the last completed epoch, and --resume
    continues from it with the same result as an uninterrupted run. A damaged checkpoint is refused
    with the field that is wrong.

    \b
    Examples:
      python render.py train
      python render.py train --epochs 1 --device cpu --out out/quick
      python render.py train --resume
      python render.py train --config my_lecture.yaml
    """
    # torch is imported only now: `render.py --help` stays fast
    from cnnviz.mnist.data import MnistDataError
    from cnnviz.own_data import DataError
    from cnnviz.mnist.train import (CheckpointError, DeviceError, OutDirError, TrainingInterrupted, check_out_dir,
                                    default_out_dir, train)

    from cnnviz.config import ConfigError, ModelConfig, TrainConfig, load_config

    model, recipe = ModelConfig(), TrainConfig()
    data: str | None = None  # MNIST, unless the lecture names its own data set (`data:`)
    if config_path is not None:
        try:
            lecture = load_config(config_path)
        except (ConfigError, OSError) as exc:
            raise UserError(str(exc)) from None
        model, recipe, data = lecture.model, lecture.train, lecture.data
    given = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size), ("seed", seed)) if v is not None}
    recipe = recipe.model_copy(update=given)
    if out_dir is None and ((model, recipe) != (ModelConfig(), TrainConfig()) or data is not None):
        from cnnviz.values.mnist_model import network_dir

        out_dir = network_dir(model, recipe, data)  # where the lecture's MNIST scenes look for this network
        if train_limit or test_limit:  # a quick try on part of the data: beside it, never taken for it
            out_dir = out_dir.with_name(out_dir.name + "-subset")
    out = out_dir if out_dir is not None else default_out_dir()
    try:
        check_out_dir(out)  # before any work: an impossible --out must not cost an epoch
    except OutDirError as exc:
        raise UserError(f"--out {out}: {str(exc).removeprefix(f'{out}: ').removeprefix(f'{out} ')}") from None
    try:
        result = train(epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr, seed=recipe.seed,
                       device=device, data_dir=data_dir, out_dir=out, resume=resume, train_limit=train_limit,
                       test_limit=test_limit, threads=threads, config=model, data=data)
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
    except (MnistDataError, DataError, CheckpointError, DeviceError) as exc:
        raise UserError(str(exc)) from None
    last = result.history[-1] if result.history else None
    summary = f"test accuracy {last.test_acc:.4f} after epoch {last.epoch}; " if last else ""
    click.echo(f"{summary}saved {result.checkpoint} and {result.history_path}", err=True)
