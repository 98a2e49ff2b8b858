"""``render.py gallery``: one HTML page with every rendered clip, its poster, parameters and numbers."""

from __future__ import annotations

from pathlib import Path

import click

from ..paths import user_command
from . import UserError


def out_option(f):
    return click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
                        show_default=True, help="Folder of rendered clips (render.py render … --out).")(f)


def write_gallery(out_dir: Path, *, live: bool = False) -> Path:
    """Build OUT/gallery.html; nothing to show is the user's mistake (exit 2)."""
    from ..web.gallery import build_gallery

    try:
        return build_gallery(out_dir, live=live)
    except FileNotFoundError as exc:
        raise UserError(f"{exc}; render some first, e.g. {user_command('render')} conv2d --out {out_dir}") from None
    except OSError as exc:
        raise UserError(f"--out {out_dir}: cannot write the gallery there ({exc.strerror or exc})") from None


@click.command("gallery")
@out_option
def command(out_dir: Path) -> None:
    """Write OUT/gallery.html: every rendered clip with its poster frame (OUT/posters/<id>.png),
    title, parameters and numbers (from OUT/<id>.json), playable in the browser.

    Renders nothing; it shows what `render`, `lecture` or `slides` left in OUT.
    `preview` serves the same page and re-renders on changes.

    \b
    Examples:
      python render.py gallery
      python render.py gallery --out clips
    """
    page = write_gallery(out_dir)
    click.echo(f"{page}: open it in a browser")
