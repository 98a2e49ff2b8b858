"""``render.py lecture``: every scene of the lecture config, in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from . import UserError
from .options import render_options
from .gallery import write_gallery
from .render import load_lecture, run_render, shell_scene_env
from .slides import ensure_sections, write_deck


@click.command("lecture")
@render_options
def command(config_path: Path | None, **opts) -> None:
    """Render every scene of the lecture config (default: cnnviz/assets/lecture.yaml) and join them.

    Writes OUT/<id>.mp4, OUT/<id>.json and the subtitles OUT/<id>.srt/.vtt per scene, OUT/lecture.mp4 with
    the narration, a subtitle track and one chapter per scene (titled in the chosen language), the chapters
    also as OUT/lecture.chapters.vtt, the subtitles as OUT/lecture.srt/.vtt, the slide deck
    OUT/slides/index.html (one step per Manim section, plays offline) and OUT/gallery.html.

    \b
    Examples:
      python render.py lecture
      python render.py lecture --config my_lecture.yaml -q h --language zh
    """
    lecture = load_lecture(config_path)
    make_lecture(lecture, config_path, opts)
    click.echo(f"{write_gallery(opts['out_dir'])}: every clip with its parameters and numbers")


@dataclass(frozen=True)
class LectureMade:
    """What :func:`make_lecture` wrote: the joined video, its length, its chapters and the deck (None for a
    format the deck cannot play)."""

    video: Path
    seconds: float
    chapters: int
    deck: Path | None


def make_lecture(lecture, config_path: Path | None, opts: dict, *, name: str = "lecture",
                 slides: str = "slides") -> LectureMade:
    """Render the lecture's scenes into OUT and join them: OUT/<name>.mp4 (with narration, subtitles and
    chapters), OUT/<name>.srt/.vtt/.chapters.vtt and the deck OUT/<slides>/index.html."""
    import json

    from ..assemble import join_clips
    from ..registry import scene_spec
    from ..subtitles import cues_from_json

    if not lecture.scenes:
        raise UserError(f"{lecture.source}: the lecture has no scenes; add a `scenes:` list")
    results = run_render([e.scene for e in lecture.scenes], config_path, **opts)
    language = opts["language"] or shell_scene_env().language or lecture.language
    target = opts["out_dir"] / f"{name}.mp4"
    cues = [cues_from_json(json.loads((opts["out_dir"] / f"{r.scene}.json").read_text(encoding="utf-8")))
            for r in results]
    chapters = join_clips([(r.clip, scene_spec(r.scene).title(language)) for r in results], target, cues=cues,
                          language=language)
    click.echo(f"\n{target}: {len(chapters)} chapters, {chapters[-1].end:.1f} s (chapters also in "
               f"{target.with_suffix('.chapters.vtt')}, subtitles in {target.with_suffix('.srt')} and "
               f"{target.with_suffix('.vtt')})")
    ids = [r.scene for r in results]
    deck = None
    if opts["format"] in ("mp4", "webm") and not (opts["transparent"] and opts["format"] == "mp4"):
        from ..web.deck import sections_ready

        if not all(sections_ready(opts["out_dir"], i) for i in ids):
            ensure_sections(ids, config_path, opts)  # cached clips rendered before sections were kept
        deck = write_deck(ids, lecture, opts, folder=slides).index
    return LectureMade(target, chapters[-1].end, len(chapters), deck)
