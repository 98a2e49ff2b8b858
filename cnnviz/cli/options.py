"""Option decorators shared by the commands that render."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = ["ChoiceList", "config_option", "course_options", "render_options"]


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="Lecture YAML (default: cnnviz/assets/lecture.yaml).")(f)


class ChoiceList(click.ParamType):
    """A comma-separated list of choices (``en,zh``), each checked, in the order given, without repeats."""

    name = "list"

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def get_metavar(self, param: Any, ctx: Any = None) -> str:
        return "[" + "|".join(self.choices) + "][,…]"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        items = [v.strip() for v in str(value).split(",") if v.strip()]
        bad = [v for v in items if v not in self.choices]
        if bad or not items:
            self.fail(f"{value!r}: each of a comma-separated list must be one of {', '.join(self.choices)}", param, ctx)
        return tuple(dict.fromkeys(items))


def render_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--config, -q, --language, --theme, --jobs, --force, --format, --transparent, --voice, --data-dir,
    --chunk-seconds, --cluster, --store, --out."""
    return _render_options(f, many=False)


def course_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`render_options` with ``--language`` and ``--theme`` taking comma-separated lists (``en,zh``)."""
    return _render_options(f, many=True)


def _render_options(f: Callable[..., Any], *, many: bool) -> Callable[..., Any]:
    languages, themes = ("en", "zh"), ("dark", "solarized")
    for opt in reversed([
        config_option,
        click.option("-q", "--quality", type=click.Choice(["l", "m", "h", "k"]), default="l", show_default=True,
                     help="480p15, 720p30, 1080p60 or 2160p60."),
        click.option("--language", type=ChoiceList(languages) if many else click.Choice(languages), default=None,
                     help="Caption language (default: the config's)" +
                          ("; several, comma-separated (en,zh), render the course in each, into OUT/<language>-<theme>/."
                           if many else ".")),
        click.option("--theme", type=ChoiceList(themes) if many else click.Choice(themes), default=None,
                     help="Colour theme (default: the config's)" +
                          ("; several, comma-separated, as --language." if many else ".")),
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="cores",
                     help="Scenes rendered in parallel."),
        click.option("--force", is_flag=True, help="Render again even when nothing changed."),
        click.option("--format", "format", type=click.Choice(["mp4", "webm", "gif", "png"]), default="mp4",
                     show_default=True, help="Clip format; png writes the last frame (a poster still)."),
        click.option("--transparent", is_flag=True, help="Transparent background (MP4 becomes .mov)."),
        click.option("--voice", default=None, metavar="espeak|none|DIR",
                     help="Who narrates: espeak (offline text-to-speech, the default), none (silent, captions at "
                          "reading speed) or a folder of your recordings, DIR/<scene id>/001.wav … "
                          "(the scene re-times itself to them)."),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="MNIST folder for the MNIST scenes (default: $CNNVIZ_DATA_DIR, else the cache)."),
        click.option("--chunk-seconds", type=click.FloatRange(min=0), default=None, metavar="S",
                     help="Render each scene in chunks of about S seconds of video, joined without re-encoding "
                          "into the same frames (default: 15 with --cluster, else 0: whole scenes)."),
        click.option("--cluster", default=None, metavar="tcp://HOST:8786",
                     help="Run the chunks on a Dask distributed scheduler and its workers (README, \"Rendering on a "
                          "cluster\"); default: --jobs local processes."),
        click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder of finished plans and chunks shared by this client and the workers (a shared file "
                          "system on a cluster; default: ~/.cache/cnnviz/store)."),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
                     show_default=True, help="Output folder."),
    ]):
        f = opt(f)
    return f
