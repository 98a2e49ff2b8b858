"""Option decorators shared by the commands that render."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = ["config_option", "render_options"]


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="Lecture YAML (default: cnnviz/assets/lecture.yaml).")(f)


def render_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--config, -q, --language, --theme, --jobs, --force, --format, --transparent, --voice, --data-dir,
    --chunk-seconds, --cluster, --store, --out."""
    for opt in reversed([
        config_option,
        click.option("-q", "--quality", type=click.Choice(["l", "m", "h", "k"]), default="l", show_default=True,
                     help="480p15, 720p30, 1080p60 or 2160p60."),
        click.option("--language", type=click.Choice(["en", "zh"]), default=None,
                     help="Caption language (default: the config's)."),
        click.option("--theme", type=click.Choice(["dark", "solarized"]), default=None,
                     help="Colour theme (default: the config's)."),
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
