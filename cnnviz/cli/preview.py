"""``render.py preview``: the gallery on localhost, re-rendered and reloaded as the sources change."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any

import click

from ..paths import user_command
from . import UserError
from .gallery import out_option, write_gallery
from .options import config_option
from .render import check_scene_ids, load_lecture, run_render, shell_scene_env


def has_display() -> bool:
    """Whether a window can open: X11/Wayland on Linux and the BSDs; macOS and Windows always have one."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_interactive(scene_id: str, config_path: Path | None, language: str | None, theme: str | None) -> int:
    """Manim's own OpenGL window for one scene (plays it; the window takes keys and the mouse)."""
    from ..registry import scene_spec
    from ..config import DEFAULT_CONFIG
    from ..pipeline import MANIM_CONFIG, ROOT

    if not has_display():
        raise UserError("--interactive opens a window, and there is no display here (neither DISPLAY nor "
                        f"WAYLAND_DISPLAY is set); run it on a desktop, or use `{user_command('preview')} "
                        f"{scene_id} --watch` and open the page in a browser")
    info = scene_spec(scene_id)
    from ..scene_env import SceneEnv

    env = SceneEnv.child_environ(os.environ, SceneEnv(config=Path(config_path or DEFAULT_CONFIG), language=language,
                                                      theme=theme))
    cmd = [sys.executable, "-m", "manim", "render", "-ql", "-p", "--renderer=opengl", "--config_file", str(MANIM_CONFIG), str(ROOT / info.path),
           info.cls]
    click.echo(" ".join(cmd), err=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


# ---------------------------------------------------------------- warm renders
#: what the warm worker imports once: the slow imports of a scene process (torch ~1.7 s, Manim ~1.2 s). Only
#: third-party modules: cnnviz and the scenes are imported afresh in each render, so an edit always counts.
WARM_MODULES = ("numpy", "torch", "torch.nn.functional", "manim", "manim.__main__", "av", "PIL.Image", "yaml",
                "cloup")
_FRESH_PREFIXES = ("cnnviz", "scenes")


def warm_worker_main() -> None:
    """The warm worker: import :data:`WARM_MODULES`, then fork one child per request, which runs
    ``manim ARGS`` as a fresh ``python -m manim ARGS`` process would (its own cwd, environment, stdout and
    stderr files), with the imports already done. One JSON line per request on stdin, one per answer on stdout.

    Each child starts from the worker's pristine state, so renders never see each other's changes to Manim's
    global config; the worker itself never renders, holds no threads, and exits when its stdin closes.
    """
    import importlib
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the preview (which then closes our stdin)
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # an import that prints must not garble the protocol
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    answers.write(json.dumps({"ready": os.getpid()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _warm_child(request, answers.fileno())  # never returns
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")


def _warm_child(request: dict[str, Any], protocol_fd: int) -> None:
    import signal
    import traceback

    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC), 1)
        os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC), 2)
        os.close(protocol_fd)
        for name in [m for m in sys.modules if m.split(".", 1)[0] in _FRESH_PREFIXES]:
            del sys.modules[name]  # cnnviz and the scenes come from the files as they are now
        from manim.__main__ import main

        try:
            main(args=request["args"], prog_name="manim", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported as a failed render, as a crashed process would be
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class WarmRenderer:
    """Runs the pipeline's ``python -m manim …`` commands in forks of a warm worker (:func:`warm_worker_main`).

    A render then skips the scene process's imports (about 3 s of a -ql render of a few seconds). If the
    worker cannot start or dies, :meth:`run` returns None and the caller runs the command as a process.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.ready = threading.Event()
        self.lock = threading.Lock()

    def start(self) -> WarmRenderer:
        from ..pipeline import ROOT

        code = "from cnnviz.cli.preview import warm_worker_main; warm_worker_main()"
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        except OSError:
            return self
        threading.Thread(target=self._await_ready, name="cnnviz-warm-start", daemon=True).start()
        return self

    def _await_ready(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        if self.proc.stdout.readline().startswith('{"ready"'):
            self.ready.set()

    @staticmethod
    def handles(cmd: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether ``subprocess.run(cmd, *args, **kwargs)`` is a Manim render this worker can run."""
        return (isinstance(cmd, list) and cmd[:3] == [sys.executable, "-m", "manim"] and not args
                and set(kwargs) <= {"cwd", "env", "capture_output", "text"} and kwargs.get("capture_output") is True
                and kwargs.get("text") is True)

    def run(self, cmd: list[str], *, cwd: Any = None, env: dict[str, str] | None = None,
            wait: float = 30.0) -> subprocess.CompletedProcess[str] | None:
        """``cmd`` (``python -m manim ARGS``) in a fork of the worker, as ``subprocess.run(..., capture_output=True,
        text=True)`` returns it; None when the worker is not there (not started, still warming after ``wait``
        seconds, or dead)."""
        if self.proc is None or not self.ready.wait(wait) or self.proc.poll() is not None:
            return None
        fd_out, out_path = tempfile.mkstemp(prefix="cnnviz-warm-", suffix=".out")
        fd_err, err_path = tempfile.mkstemp(prefix="cnnviz-warm-", suffix=".err")
        os.close(fd_out)
        os.close(fd_err)
        request = {"args": [str(a) for a in cmd[3:]], "cwd": str(cwd or os.getcwd()),
                   "env": dict(os.environ if env is None else env), "stdout": out_path, "stderr": err_path}
        try:
            with self.lock:
                assert self.proc.stdin is not None and self.proc.stdout is not None
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
                answer = self.proc.stdout.readline()
            if not answer:  # the worker died
                return None
            code = json.loads(answer)["returncode"]
            read = lambda p: Path(p).read_text(encoding="utf-8", errors="replace")  # noqa: E731
            return subprocess.CompletedProcess(cmd, code, read(out_path), read(err_path))
        except (OSError, ValueError):
            return None
        finally:
            for p in (out_path, err_path):
                with contextlib.suppress(OSError):
                    os.unlink(p)

    def close(self) -> None:
        if self.proc is not None:
            if not self.ready.is_set():  # still importing: nothing to finish
                self.proc.kill()
            with contextlib.suppress(OSError):
                if self.proc.stdin:
                    self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None


def warm_runner(warm: WarmRenderer | None) -> Any:
    """The pipeline's ``run_manim`` for ``warm``: each scene's Manim command runs in a fork of the worker, anything
    it cannot run (or everything, when the worker is gone) as an ordinary subprocess."""
    if warm is None:
        return None

    def run(cmd: Any, *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        if warm.handles(cmd, args, kwargs):
            done = warm.run(cmd, cwd=kwargs.get("cwd"), env=kwargs.get("env"))
            if done is not None:
                return done
        return subprocess.run(cmd, *args, **kwargs)

    return run


def rerender(scene_ids: list[str], config_path: Path | None, out_dir: Path, language: str | None,
             theme: str | None, live, warm: WarmRenderer | None = None) -> None:
    """Render again at low quality (the cache skips what did not change); report into the page. With
    ``warm``, each scene renders in a fork of the warm worker."""
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
    opts = RenderOptions(quality="l", out_dir=out_dir, language=language, theme=theme, jobs=1, values_here=False,
                         run_manim=warm_runner(warm))
    results = render_scenes(scene_ids, lecture, opts, config_path=config_path)
    failed = [r for r in results if not r.ok]
    for r in results:
        click.echo(f"  {r.scene}: {'FAILED' if not r.ok else 'cached' if r.cached else f'{r.seconds:.1f} s'}",
                   err=True)
    try:
        write_gallery(out_dir, live=True)
    except click.ClickException as exc:  # e.g. every clip gone: say so in the page, keep watching
        failed_text = exc.format_message()
        click.echo(f"  {failed_text}", err=True)
        live.set(status=failed_text, state="error", bump=True)
        return
    if failed:
        live.set(status="\n\n".join(f"{r.scene} failed:\n{r.error}" for r in failed), state="error", bump=True)
    else:
        live.set(status="", state="idle", bump=True)


@click.command("preview")
@click.argument("scene_ids", nargs=-1, metavar="[ID...]")
@click.option("--watch", is_flag=True,
              help="Re-render (at -ql) when the config or a file the clip depends on changes (its scene file and "
                   "helpers, the shared scene modules, cnnviz's core, its assets); the open page reloads.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port); only this machine's browser can reach it.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option("--interactive", is_flag=True,
              help="Play one scene in Manim's own OpenGL window instead (needs a display).")
@config_option
@click.option("--language", type=click.Choice(["en", "zh"]), default=None,
              help="Caption language (default: the config's).")
@click.option("--theme", type=click.Choice(["dark", "solarized"]), default=None,
              help="Colour theme (default: the config's).")
@click.option("--warm/--no-warm", default=True, show_default=True,
              help="With --watch: render in forks of a worker that has Manim and torch imported already "
                   "(about 3 s less per render); --no-warm starts a fresh process each time.")
@out_option
def command(scene_ids: tuple[str, ...], watch: bool, port: int, open_browser: bool, interactive: bool,
            config_path: Path | None, language: str | None, theme: str | None, warm: bool, out_dir: Path) -> None:
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
    check_scene_ids(scene_ids)
    shell = shell_scene_env()  # as render does: the flags win, else what the shell exported
    language, theme = language or shell.language, theme or shell.theme
    if interactive:
        if len(scene_ids) != 1:
            raise UserError("--interactive plays one scene: name exactly one id, e.g. "
                            + user_command("preview conv2d --interactive"))
        load_lecture(config_path)  # config mistakes as a clear message before Manim starts
        raise SystemExit(run_interactive(scene_ids[0], config_path, language, theme))

    from ..web.gallery import scan
    from ..web.server import LiveState, PreviewServer
    from ..web.watch import Watcher, WatchError, watched_files

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
    if open_browser:
        webbrowser.open(url)
    try:
        if not watch:
            while True:
                time.sleep(3600)
        try:
            watcher = Watcher(watched_files(watching, config_path), watching).start()
        except WatchError as exc:
            raise UserError(str(exc)) from None
        worker = WarmRenderer().start() if warm and hasattr(os, "fork") else None
        click.echo(f"watching the sources of {', '.join(watching) or 'no scene (only the config)'}; changes "
                   "render again at -ql", err=True)
        try:
            while True:
                files, redo = watcher.changed(timeout=1.0)
                if redo:
                    click.echo(f"changed: {', '.join(str(f) for f in files)}", err=True)
                    rerender(redo, config_path, out_dir, language, theme, live, worker)
        finally:
            watcher.stop()
            if worker is not None:
                worker.close()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.close()
