"""``render.py slides``: the lecture as a reveal.js slide deck, one step per Manim section."""

from __future__ import annotations

from pathlib import Path

import click

from ..paths import user_command
from . import UserError
from .options import render_options
from .render import load_lecture, run_render


def ensure_sections(scene_ids: list[str], config_path: Path | None, opts: dict) -> None:
    """Render what is missing, including the section clips of clips that were cached without them."""
    from ..web.deck import sections_ready

    run_render(scene_ids, config_path, **opts)
    missing = [i for i in scene_ids if not sections_ready(opts["out_dir"], i)]
    if missing:
        click.echo(f"rendering again for their section clips: {', '.join(missing)}", err=True)
        run_render(missing, config_path, **{**opts, "force": True})
        still = [i for i in missing if not sections_ready(opts["out_dir"], i)]
        if still:
            raise click.ClickException(f"Manim left no section clips for {', '.join(still)} "
                                       f"(expected {opts['out_dir'] / 'sections' / still[0] / 'sections.json'})")


@click.command("slides")
@click.argument("scene_ids", nargs=-1, metavar="[ID...]")
@click.option("--embed", "embed_id", metavar="ID",
              help="Print the snippet that puts scene ID (with its steps) into your own reveal.js deck.")
@render_options
def command(scene_ids: tuple[str, ...], embed_id: str | None, config_path: Path | None, **opts) -> None:
    """Build a reveal.js slide deck: OUT/slides/index.html, one slide per scene.

    Each Manim section of a scene is a step: the first plays when the slide opens, every key
    press (→, space) plays the next one, which then holds on its last frame. Scenes default to
    those of the lecture config; clips not yet rendered (or changed) are rendered first. The
    folder OUT/slides/ plays offline as it is (reveal.js and the clips are copied into it).
    OUT/slides/embed-<id>.html holds, per scene, the snippet for an existing reveal.js deck.

    \b
    Examples:
      python render.py slides
      python render.py slides conv2d pooling -q h --theme solarized
      python render.py slides --embed conv2d > conv2d-snippet.html
    """
    from ..web.deck import copy_media, embed_snippet

    if opts["format"] not in ("mp4", "webm"):
        raise UserError(f"--format {opts['format']}: slides play video; use --format mp4 or webm")
    if opts["transparent"] and opts["format"] == "mp4":
        raise UserError("--transparent with mp4 makes QuickTime .mov clips, which browsers do not play; "
                        "use --transparent --format webm")
    lecture = load_lecture(config_path)
    ids = list(scene_ids) or [e.scene for e in lecture.scenes]
    if embed_id:
        ids = [embed_id]
    if not ids:
        raise UserError(f"{lecture.source}: the lecture has no scenes; add a `scenes:` list or name scene ids")
    ensure_sections(ids, config_path, opts)

    if embed_id:
        scene = deck_scenes(ids, lecture, opts)[0]
        slides = opts["out_dir"] / "slides"
        copy_media(scene, slides)
        snippet = embed_snippet(scene, theme=opts["theme"] or lecture.theme, language=opts["language"] or
                                lecture.language)
        path = slides / f"embed-{embed_id}.html"
        path.write_text(snippet, encoding="utf-8")
        click.echo(snippet)
        click.echo(f"(also in {path}; its clips are in {slides / 'media' / embed_id}/)", err=True)
        return
    write_deck(ids, lecture, opts)


def deck_scenes(ids: list[str], lecture, opts: dict) -> list:
    from ..registry import scene_spec
    from ..web.deck import DeckScene, load_steps

    language = opts["language"] or lecture.language
    return [DeckScene(i, scene_spec(i).title(language), load_steps(opts["out_dir"], i)) for i in ids]


def write_deck(ids: list[str], lecture, opts: dict, *, folder: str = "slides"):
    """Build OUT/<folder>/ from rendered clips and their sections; report where it is."""
    from ..web.deck import build_deck

    scenes = deck_scenes(ids, lecture, opts)
    deck = build_deck(opts["out_dir"], scenes, title=lecture.title, language=opts["language"] or lecture.language,
                      theme=opts["theme"] or lecture.theme, folder=folder)
    steps = sum(len(s.steps) for s in scenes)
    click.echo(f"\n{deck.index}: {len(scenes)} scene(s), {steps} steps; open it in a browser (works offline).\n"
               f"Embed snippets per scene: {deck.index.parent}/embed-<id>.html "
               f"(or: {user_command('slides')} --embed ID)")
    return deck
