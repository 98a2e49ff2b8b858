"""The ``render.py`` / ``cnnviz`` command line: a click group with one module per subcommand.

Subcommands are imported only when called, so ``--help`` and ``list`` answer without importing
torch or manim.
"""

from __future__ import annotations

import importlib
import sys

import click

from ..paths import user_command

__all__ = ["main", "UserError"]

# command name -> module under cnnviz.cli that defines `command`
COMMANDS: dict[str, str] = {
    "list": "list_scenes",
    "render": "render",
    "lecture": "lecture",
    "course": "course",
    "slides": "slides",
    "gallery": "gallery",
    "preview": "preview",
    "train": "train",
    "bench-train": "bench_train",
}


class UserError(click.ClickException):
    """A mistake on the user's side: one clear message, exit code 2, no traceback."""

    exit_code = 2


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, mod in COMMANDS.items() if importlib.util.find_spec(f"cnnviz.cli.{mod}")]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        try:
            return importlib.import_module(f"cnnviz.cli.{module}").command
        except ModuleNotFoundError as exc:
            if exc.name == f"cnnviz.cli.{module}":
                return None
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """cnnviz: lecture videos that teach convolutional neural networks; every number is computed.

    \b
    Examples:
      python render.py list
      python render.py render conv2d -q l
      python render.py lecture
      python render.py train --epochs 5
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``render.py`` and the ``cnnviz`` console script.

    Click's own handling, except that Ctrl-C exits 130 (the shell's convention for SIGINT) with one line,
    where click would print "Aborted!" and exit 1."""
    try:
        code = cli.main(args=argv if argv is not None else sys.argv[1:], prog_name=user_command(),
                        standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C (click turns it into Abort inside a command)
        click.echo("interrupted; nothing half-written was left under a finished name", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
