"""``render.py list``: the scene ids in lecture order, one line each."""

from __future__ import annotations

import click

from ..registry import SCENES


@click.command("list")
def command() -> None:
    """List the scene ids in lecture order.

    \b
    Example:
      python render.py list
    """
    width = max(len(s.id) for s in SCENES)
    for s in SCENES:
        click.echo(f"{s.id:<{width}}  {s.title_en} — {s.summary}")
