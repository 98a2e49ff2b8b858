"""``render.py render <id>...``: one clip and one JSON per scene."""

from __future__ import annotations

from pathlib import Path

import click

from ..paths import user_command
from . import UserError
from .options import render_options


def load_lecture(config_path: Path | None):
    """The lecture config, with config mistakes turned into a clear user error."""
    from ..config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def check_out_dir(out_dir: Path) -> None:
    """``--out`` created if missing and proven writable (a probe of this process's own, so two renders into one
    folder never trip over each other's probe)."""
    from ..paths import OutDirError, check_out_dir as writable

    try:
        writable(out_dir)
    except OutDirError as exc:
        raise UserError(f"--out {exc}") from None


def ensure_network(scene_ids: list[str], lecture) -> None:
    """Train the MNIST network here, with its progress bar in view, before any scene needs it.

    Scenes render in subprocesses whose output is captured, so training there would be silent.
    """
    from ..mnist import MnistDataError, load_mnist
    from ..registry import scene_spec
    from ..values.mnist_model import checkpoint_path

    if any(scene_spec(i).reads_mnist for i in scene_ids):
        try:
            load_mnist("test")
        except MnistDataError as exc:
            raise UserError(str(exc)) from None
    needs = [i for i in scene_ids if scene_spec(i).needs_network and not lecture.entry(i).params.checkpoint]
    if not needs:
        return

    try:
        checkpoint_path(lecture.entry(needs[0]).params, train_if_missing=False)
    except FileNotFoundError:
        click.echo(f"{', '.join(needs)} need(s) the trained MNIST network; training it once ({user_command('train')})",
                   err=True)
        try:
            checkpoint_path(lecture.entry(needs[0]).params)
        except MnistDataError as exc:
            raise UserError(str(exc)) from None


def check_scene_ids(scene_ids) -> None:
    """Refuse ids the registry does not know, naming them and the known ones."""
    from ..registry import scene_ids as known_ids

    known = known_ids()
    unknown = [i for i in scene_ids if i not in known]
    if unknown:
        raise UserError(f"unknown scene id(s): {', '.join(unknown)}; see `{user_command('list')}` for: {', '.join(known)}")


def shell_scene_env():
    """The scene-process variables the user exported (``CNNVIZ_LANGUAGE=zh`` …), checked before any work."""
    from ..scene_env import SceneEnv, SceneEnvError

    try:
        return SceneEnv.from_environ()
    except SceneEnvError as exc:
        raise UserError(str(exc)) from None


def checked_voice(value: str | None) -> str:
    """``--voice`` (or the exported ``CNNVIZ_VOICE``) as the scene processes take it, checked before any work:
    ``espeak`` (its program installed), ``none``, or a folder's absolute path."""
    from ..narration import VoiceError, check_voice, parse_voice

    try:
        voice = parse_voice(value)
        check_voice(voice)
    except VoiceError as exc:
        raise UserError(str(exc)) from None
    return str(voice)


def eta_seconds(elapsed: float, finished: list[str], scene_ids: list[str], expected: dict[str, float]) -> float:
    """Time left: ``elapsed`` scaled by the work left, weighing each scene by its recorded render time when
    every scene has one (scenes start longest first, so counting scenes would overestimate), else equally."""
    weight = expected if all(i in expected for i in scene_ids) else dict.fromkeys(scene_ids, 1.0)
    done = sum(weight[i] for i in finished)
    left = sum(weight[i] for i in scene_ids if i not in finished)
    return elapsed / done * left if done > 0 else 0.0


def open_cluster(options):
    """The ``--cluster`` engine, connected and its workers' versions checked before any work (else ``None``)."""
    if not options.cluster:
        return None
    from ..engine import EngineError, open_engine

    try:
        return open_engine(options.cluster, options.jobs)
    except EngineError as exc:
        raise UserError(str(exc)) from None


def run_render(scene_ids: list[str], config_path: Path | None, **opts) -> list:
    """Render, report each scene as it finishes and a summary table; exit 1 if any scene failed."""
    import os

    from ..pipeline import RenderOptions, expected_seconds, longest_first, render_scenes
    from ..console import SceneProgress, layout_warnings, out_console, summary_table

    data_dir = opts.pop("data_dir", None)
    if data_dir is not None:
        os.environ["CNNVIZ_DATA_DIR"] = str(data_dir.resolve())  # the scene processes inherit it

    check_scene_ids(scene_ids)
    scene_ids = list(dict.fromkeys(scene_ids))  # an id named twice is rendered once
    shell = shell_scene_env()
    lecture = load_lecture(config_path)
    check_out_dir(opts["out_dir"])
    # --language/--theme win; else what the shell exported (CNNVIZ_LANGUAGE, CNNVIZ_THEME), else the config's
    opts["language"] = opts.get("language") or shell.language
    opts["theme"] = opts.get("theme") or shell.theme
    opts["voice"] = checked_voice(opts.get("voice") or shell.voice)
    if opts.get("chunk_seconds") is None:
        opts["chunk_seconds"] = 15.0 if opts.get("cluster") else 0.0
    options = RenderOptions(**opts, speedups=shell.speedups)
    ensure_network(scene_ids, lecture)
    engine = open_cluster(options)

    expected, finished = expected_seconds(options), []
    click.echo(f"rendering {len(scene_ids)} scene(s) at -q{options.quality} with {options.jobs} job(s)", err=True)
    with SceneProgress(longest_first(scene_ids, options), options.jobs) as bar:
        def progress(res, done, total):
            state = "cached" if res.cached else ("ok" if res.ok else "FAILED")
            finished.append(res.scene)
            eta = eta_seconds(bar.elapsed, finished, list(scene_ids), expected)
            bar.scene_done(res.scene, state, res.seconds, done, total, eta)

        try:
            results = render_scenes(scene_ids, lecture, options, config_path=config_path, on_done=progress,
                                    engine=engine, on_message=lambda m: click.echo(m, err=True))
        finally:
            if engine is not None:
                engine.close()
    click.echo()
    out_console().print(summary_table(results))
    for line in layout_warnings(results):
        click.echo(line, err=True)
    failed = [r for r in results if not r.ok]
    for r in failed:
        click.echo(f"\n{r.scene} failed:\n{r.error}", err=True)
    if failed:
        raise SystemExit(1)
    return results


@click.command("render")
@click.argument("scene_ids", nargs=-1, required=True, metavar="ID...")
@render_options
def command(scene_ids: tuple[str, ...], config_path: Path | None, **opts) -> None:
    """Render scenes to OUT/<id>.mp4 with their numbers in OUT/<id>.json.

    \b
    Examples:
      python render.py render conv2d
      python render.py render conv2d pooling -q h --language zh --out clips
    """
    run_render(list(scene_ids), config_path, **opts)
