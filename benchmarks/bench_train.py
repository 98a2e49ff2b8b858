"""Benchmark: one epoch of cnnviz's MNIST training against a plain PyTorch loop, on CPU.

Run: ``.venv/bin/python benchmarks/bench_train.py [--repeats N] [--train-limit N]`` (same as
``python render.py bench-train``). Prints seconds per epoch of each side and their ratio (goal ≤ 1.10).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from cnnviz.cli.bench_train import command  # noqa: E402

if __name__ == "__main__":
    command(prog_name="bench_train.py")
