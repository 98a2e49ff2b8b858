"""``render.py course [FILE...]``: several lectures, each joined into its own video and deck, one index page."""

from __future__ import annotations

from pathlib import Path

import click

from . import UserError
from .gallery import write_gallery
from .lecture import make_lecture
from .options import render_options
from .render import load_lecture


@click.command("course")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path), metavar="[FILE...]")
@render_options
def command(files: tuple[Path, ...], config_path: Path | None, **opts) -> None:
    """Render a course: every lecture file in order (default: the shipped course, the operations then the
    networks), each joined into OUT/<file name>.mp4 with its chapters and subtitles and its own slide deck
    OUT/slides-<file name>/index.html; one gallery of every clip, OUT/gallery.html, and the course's index
    page, OUT/index.html, linking them all (the folder plays offline).

    \b
    Examples:
      python render.py course
      python render.py course lectures/01-mine.yaml lectures/02-mine.yaml -q h --language zh
    """
    from ..config import COURSE

    if config_path is not None:
        raise UserError("--config names one lecture; a course takes its lecture files as arguments: "
                        f"course {config_path} [FILE...]")
    paths = list(files) or list(COURSE)
    names = [p.stem for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"two lecture files are called {twice[0]!r}: each lecture's video is OUT/<file name>.mp4, "
                        "so the names must differ")
    lectures = [load_lecture(p) for p in paths]  # every file checked before any work
    seen: dict[str, str] = {}
    for path, lecture in zip(paths, lectures):
        for entry in lecture.scenes:
            if entry.scene in seen:
                raise UserError(f"{path}: scene {entry.scene!r} is also in {seen[entry.scene]}; a scene's clip "
                                "is OUT/<id>.mp4, so each scene may be in one lecture of a course")
            seen[entry.scene] = str(path)
    from ..web.course import CourseLecture, build_course_index

    made = []
    for path, lecture in zip(paths, lectures):
        click.echo(f"\n== {lecture.title} ({path})", err=True)
        done = make_lecture(lecture, path, opts, name=path.stem, slides=f"slides-{path.stem}")
        deck = done.deck.relative_to(opts["out_dir"]).as_posix() if done.deck is not None else None
        made.append(CourseLecture(path.stem, lecture.title, str(path), done.video.name, deck, done.chapters,
                                  done.seconds))
    language = opts["language"] or lectures[0].language
    index = build_course_index(opts["out_dir"], made, title=COURSE_TITLE if not files else lectures[0].title,
                               language=language)
    click.echo(f"{write_gallery(opts['out_dir'])}: every clip with its parameters and numbers")  # links the index
    click.echo(f"{index}: the course, {len(made)} lecture(s)")


COURSE_TITLE = "Convolutional Neural Networks"
