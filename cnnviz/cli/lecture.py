"""``render.py lecture``: every scene of the lecture config, in order."""

from __future__ import annotations

from pathlib import Path

import click

from . import UserError
from .options import render_options
from .render import load_lecture, run_render


@click.command("lecture")
@render_options
def command(config_path: Path | None, **opts) -> None:
    """Render every scene of the lecture config (default: assets/lecture.yaml) and join them.

    Writes OUT/<id>.mp4 and OUT/<id>.json per scene, and OUT/lecture.mp4 with one chapter per
    scene (titled in the chosen language), the chapters also as OUT/lecture.vtt.

    \b
    Examples:
      python render.py lecture
      python render.py lecture --config my_lecture.yaml -q h --language zh
    """
    from ..assemble import join_clips
    from ..catalog import scene_info

    lecture = load_lecture(config_path)
    if not lecture.scenes:
        raise UserError(f"{lecture.source}: the lecture has no scenes; add a `scenes:` list")
    results = run_render([e.scene for e in lecture.scenes], config_path, **opts)
    language = opts["language"] or lecture.language
    target = opts["out_dir"] / "lecture.mp4"
    chapters = join_clips([(r.clip, scene_info(r.scene).title(language)) for r in results], target)
    click.echo(f"\n{target}: {len(chapters)} chapters, {chapters[-1].end:.1f} s "
               f"(chapters also in {target.with_suffix('.vtt')})")
