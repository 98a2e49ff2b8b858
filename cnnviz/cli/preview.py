"""``render.py preview``: the gallery on localhost, re-rendered and reloaded as the sources change."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

import click

from . import UserError
from .gallery import out_option, write_gallery
from .options import config_option
from .render import load_lecture, run_render


def has_display() -> bool:
    """Whether a window can open: X11/Wayland on Linux and the BSDs; macOS and Windows always have one."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_interactive(scene_id: str, config_path: Path | None, language: str | None, theme: str | None) -> int:
    """Manim's own OpenGL window for one scene (plays it; the window takes keys and the mouse)."""
    from ..catalog import scene_info
    from ..config import DEFAULT_CONFIG
    from ..pipeline import ROOT

    if not has_display():
        raise UserError("--interactive opens a window, and there is no display here (neither DISPLAY nor "
                        "WAYLAND_DISPLAY is set); run it on a desktop, or use `python render.py preview "
                        f"{scene_id} --watch` and open the page in a browser")
    info = scene_info(scene_id)
    env = {**os.environ, "CNNVIZ_CONFIG": str(Path(config_path or DEFAULT_CONFIG).resolve())}
    for name, value in (("CNNVIZ_LANGUAGE", language), ("CNNVIZ_THEME", theme)):
        if value:
            env[name] = value
    cmd = [sys.executable, "-m", "manim", "render", "-ql", "-p", "--renderer=opengl", str(ROOT / info.path),
           info.cls]
    click.echo(" ".join(cmd), err=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def rerender(scene_ids: list[str], config_path: Path | None, out_dir: Path, language: str | None,
             theme: str | None, live) -> None:
    """Render again at low quality (the cache skips what did not change); report into the page."""
    from ..config import ConfigError, load_config
    from ..pipeline import RenderOptions, render_scenes

    live.set(status=f"rendering {', '.join(scene_ids)} …", state="rendering")
    click.echo(f"{time.strftime('%H:%M:%S')} rendering {', '.join(scene_ids)}", err=True)
    try:
        lecture = load_config(config_path)
    except ConfigError as exc:
        live.set(status=str(exc), state="error")
        click.echo(f"  {exc}", err=True)
        return
    opts = RenderOptions(quality="l", out_dir=out_dir, language=language, theme=theme, jobs=1, values_here=False)
    results = render_scenes(scene_ids, lecture, opts, config_path=config_path)
    failed = [r for r in results if not r.ok]
    for r in results:
        click.echo(f"  {r.scene}: {'FAILED' if not r.ok else 'cached' if r.cached else f'{r.seconds:.1f} s'}",
                   err=True)
    write_gallery(out_dir, live=True)
    if failed:
        live.set(status="\n\n".join(f"{r.scene} failed:\n{r.error}" for r in failed), state="error", bump=True)
    else:
        live.set(status="", state="idle", bump=True)


@click.command("preview")
@click.argument("scene_ids", nargs=-1, metavar="[ID...]")
@click.option("--watch", is_flag=True,
              help="Re-render (at -ql) when the config or a source changes (scenes/<file>.py, scenes/common.py, "
                   "cnnviz/**); the open page reloads.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option("--interactive", is_flag=True,
              help="Play one scene in Manim's own OpenGL window instead (needs a display).")
@config_option
@click.option("--language", type=click.Choice(["en", "zh"]), default=None,
              help="Caption language (default: the config's).")
@click.option("--theme", type=click.Choice(["dark", "solarized"]), default=None,
              help="Colour theme (default: the config's).")
@out_option
def command(scene_ids: tuple[str, ...], watch: bool, port: int, open_browser: bool, interactive: bool,
            config_path: Path | None, language: str | None, theme: str | None, out_dir: Path) -> None:
    """Serve the gallery of OUT on http://127.0.0.1:PORT/ until Ctrl-C.

    Scenes named are rendered first (at -ql); with --watch they (or, if none is named, every
    scene in the gallery) are rendered again when their config or code changes, and the page
    in the browser reloads by itself. --interactive plays one scene in Manim's OpenGL window.

    \b
    Examples:
      python render.py preview
      python render.py preview conv2d --watch --open
      python render.py preview conv2d --interactive
    """
    from ..catalog import SCENES

    known = [s.id for s in SCENES]
    unknown = [i for i in scene_ids if i not in known]
    if unknown:
        raise UserError(f"unknown scene id(s): {', '.join(unknown)}; see `render.py list` for: {', '.join(known)}")
    if interactive:
        if len(scene_ids) != 1:
            raise UserError("--interactive plays one scene: name exactly one id, e.g. "
                            "python render.py preview conv2d --interactive")
        load_lecture(config_path)  # config mistakes as a clear message before Manim starts
        raise SystemExit(run_interactive(scene_ids[0], config_path, language, theme))

    from ..web.gallery import LiveState, PreviewServer, Watcher, scan, watched_files

    if scene_ids:
        run_render(list(scene_ids), config_path, quality="l", out_dir=out_dir, language=language, theme=theme,
                   jobs=1, force=False, format="mp4", transparent=False)
    page = write_gallery(out_dir, live=True)
    live = LiveState()
    try:
        server = PreviewServer(out_dir, port, live=live).start()
    except OSError as exc:
        raise UserError(f"--port {port}: cannot serve there ({exc.strerror or exc}); try another port, or "
                        "--port 0 for any free one") from None
    url = server.url + page.name
    watching = list(scene_ids) or [item.id for item in scan(out_dir)]
    click.echo(f"serving {out_dir} at {url} (Ctrl-C stops)")
    if watch:
        click.echo(f"watching the sources of {', '.join(watching)}; changes render again at -ql", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        if not watch:
            while True:
                time.sleep(3600)
        watcher = Watcher(watched_files(watching, config_path), watching)
        while True:
            time.sleep(1.0)
            files, redo = watcher.changed()
            if redo:
                click.echo(f"changed: {', '.join(str(f) for f in files)}", err=True)
                rerender(redo, config_path, out_dir, language, theme, live)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.close()
