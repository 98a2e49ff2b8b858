"""``render.py course [FILE...]``: several lectures, each joined into its own video and deck, one index page."""

from __future__ import annotations

from pathlib import Path

import click

from . import UserError
from .gallery import write_gallery
from .lecture import make_lecture
from .options import course_options
from .render import load_lecture


@click.command("course")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path), metavar="[FILE...]")
@course_options
def command(files: tuple[Path, ...], config_path: Path | None, **opts) -> None:
    """Render a course: every lecture file in order (default: the shipped course, the operations then the
    networks), each joined into OUT/<file name>.mp4 with its chapters and subtitles and its own slide deck
    OUT/slides-<file name>/index.html; one gallery of every clip, OUT/gallery.html, and the course's index
    page, OUT/index.html, linking them all (the folder plays offline).

    \b
    With several languages or themes (--language en,zh --theme dark,solarized) the course is rendered in each,
    into OUT/<language>-<theme>/. With --cluster (or --chunk-seconds) every clip of every lecture, language and
    theme is one task graph of chunks, longest first, with the progress of the whole course.

    \b
    Examples:
      python render.py course
      python render.py course lectures/01-mine.yaml lectures/02-mine.yaml -q h --language zh
      python render.py course --language en,zh --theme dark,solarized -q h --cluster tcp://HOST:8786
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
    languages, themes = opts.pop("language") or (None,), opts.pop("theme") or (None,)
    combos = [(lang, theme) for lang in languages for theme in themes]
    out = opts["out_dir"]
    # a folder is named for what renders in it: the option's value, else the lectures' own when they agree
    own = {field: {getattr(lecture, field) for lecture in lectures} for field in ("language", "theme")}
    agreed = {field: next(iter(values)) if len(values) == 1 else "config" for field, values in own.items()}
    names = [(lang or agreed["language"], theme or agreed["theme"]) for lang, theme in combos]
    folders = [out if len(combos) == 1 else out / f"{lang}-{theme}" for lang, theme in names]
    if opts.get("cluster") or opts.get("chunk_seconds"):
        render_course_graph(paths, lectures, combos, folders, opts)  # every clip first, as one task graph
    for (lang, theme), (lang_name, theme_name), folder in zip(combos, names, folders):
        if len(combos) > 1:
            click.echo(f"\n=== {lang_name}, {theme_name}: {folder}", err=True)
        make_course(paths, lectures, {**opts, "language": lang, "theme": theme, "out_dir": folder}, bool(files))


def make_course(paths: list[Path], lectures: list, opts: dict, named: bool) -> None:
    """Each lecture joined with its deck, then the gallery and the course's index, into ``opts['out_dir']``."""
    from ..web.course import CourseLecture, build_course_index

    made = []
    for path, lecture in zip(paths, lectures):
        click.echo(f"\n== {lecture.title} ({path})", err=True)
        done = make_lecture(lecture, path, opts, name=path.stem, slides=f"slides-{path.stem}")
        deck = done.deck.relative_to(opts["out_dir"]).as_posix() if done.deck is not None else None
        made.append(CourseLecture(path.stem, lecture.title, str(path), done.video.name, deck, done.chapters,
                                  done.seconds))
    language = opts["language"] or lectures[0].language
    index = build_course_index(opts["out_dir"], made, title=lectures[0].title if named else COURSE_TITLE,
                               language=language)
    click.echo(f"{write_gallery(opts['out_dir'])}: every clip with its parameters and numbers")  # links the index
    click.echo(f"{index}: the course, {len(made)} lecture(s)")


def render_course_graph(paths: list[Path], lectures: list, combos: list, folders: list[Path], opts: dict) -> None:
    """Every clip of every lecture × language × theme rendered in chunks as one task graph (on ``--cluster`` or
    the local pool), with one progress bar for the whole course; the lectures are then joined from the clips."""
    import os

    from ..console import TaskProgress
    from ..graph import GraphEvents, Unit, chunkable, render_units
    from ..pipeline import RenderOptions
    from ..registry import scene_spec
    from .render import check_out_dir, checked_voice, ensure_network, open_cluster, shell_scene_env

    shell = shell_scene_env()
    base = {k: v for k, v in opts.items() if k != "data_dir"}
    if opts.get("data_dir") is not None:
        os.environ["CNNVIZ_DATA_DIR"] = str(opts["data_dir"].resolve())
    base["voice"] = checked_voice(opts.get("voice") or shell.voice)
    if base.get("chunk_seconds") is None:
        base["chunk_seconds"] = 15.0
    units = []
    for (lang, theme), folder in zip(combos, folders):
        check_out_dir(folder)
        options = RenderOptions(**{**base, "out_dir": folder, "language": lang or shell.language,
                                   "theme": theme or shell.theme}, speedups=shell.speedups)
        if not chunkable(options):
            return  # GIF, WebM, transparent: rendered whole, lecture by lecture
        for path, lecture in zip(paths, lectures):
            units += [Unit(scene_spec(e.scene), lecture, path, options) for e in lecture.scenes]
    for lecture in lectures:
        ensure_network([e.scene for e in lecture.scenes], lecture)
    engine = open_cluster(units[0].opts) if units[0].opts.cluster else None
    click.echo(f"rendering {len(units)} clip(s) of {len(lectures)} lecture(s) × {len(combos)} language/theme(s) "
               f"in chunks on {units[0].opts.cluster or f'{units[0].opts.jobs} local job(s)'}", err=True)
    failed = []
    with TaskProgress() as bar:
        events = GraphEvents(on_tasks=bar.update, on_message=bar.say,
                             on_done=lambda r, done, total: None if r.ok else failed.append(r))
        try:
            render_units(units, events=events, engine=engine)
        finally:
            if engine is not None:
                engine.close()
    if events.lost_workers:
        click.echo(f"{len(events.lost_workers)} worker(s) lost during the render; their tasks ran again elsewhere",
                   err=True)
    for r in failed:
        click.echo(f"\n{r.scene} failed:\n{r.error}", err=True)
    if failed:
        raise SystemExit(1)


COURSE_TITLE = "Convolutional Neural Networks"
