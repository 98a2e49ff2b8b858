"""``render.py list``: the scene ids in lecture order.

On a terminal a table (id, title, summary); piped or redirected, one plain line per scene
(``id  title — summary``), so that ``render.py list | cut -d' ' -f1`` gives the ids.
"""

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
    from ..console import out_console, scene_table

    console = out_console()
    if console.is_terminal:
        console.print(scene_table(SCENES))
        return
    width = max(len(s.id) for s in SCENES)
    for s in SCENES:
        click.echo(f"{s.id:<{width}}  {s.title_en} — {s.summary}")
