"""``render.py lecture``: every scene of the lecture config, in order."""

from __future__ import annotations

from pathlib import Path

import click

from .options import render_options
from .render import load_lecture, run_render


@click.command("lecture")
@render_options
def command(config_path: Path | None, **opts) -> None:
    """Render every scene of the lecture config (default: assets/lecture.yaml) in lecture order.

    \b
    Examples:
      python render.py lecture
      python render.py lecture --config my_lecture.yaml -q h --language zh
    """
    lecture = load_lecture(config_path)
    run_render([e.scene for e in lecture.scenes], config_path, **opts)
