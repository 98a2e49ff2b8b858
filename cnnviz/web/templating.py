"""The web pages' Jinja2 templates and static files, read from the installed package.

Templates are in ``cnnviz/web/templates/``, static files (CSS, JavaScript) in ``cnnviz/web/static/``; both are
package data (``[tool.setuptools.package-data]`` in ``pyproject.toml``), found through ``importlib.resources``,
so a plain ``pip install`` ships them. The pages inline the static files rather than link them: the deck must
play opened from disk with nothing beside it but its own folder, and an embed snippet is one paste.

Every template writes HTML and is autoescaped. A value that goes inside ``<script>`` goes through Jinja's
``tojson`` filter, which writes ``<``, ``>``, ``&`` and ``'`` as ``\\u003c`` and so on, so no string can end the
script early.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["PACKAGE", "environment", "render", "static_markup"]

PACKAGE = "cnnviz.web"

# What would end the <style> or <script> a static file is inlined into, or turn the rest of a script into
# an HTML comment ("<!--" starts the script data escaped state).
_BREAKS_RAW_TEXT = re.compile(r"</(script|style)|<!--", re.IGNORECASE)


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment of the web pages (built on first use).

    Returns
    -------
    jinja2.Environment
        Templates from ``cnnviz.web/templates``, autoescaped; an undefined variable is an error rather than an
        empty string, and a template's trailing newline is kept (pages end with one).
    """
    return jinja2.Environment(
        loader=jinja2.PackageLoader(PACKAGE, "templates"),
        autoescape=True,  # every template here writes HTML, whatever its name
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,  # a line holding only a {% tag %} leaves no blank line in the page
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """The page that template ``name`` makes of ``context``.

    Parameters
    ----------
    name
        A file in ``cnnviz/web/templates/``, such as ``"deck.html.j2"``.
    **context
        The template's variables; each is escaped where it is put, unless it is :class:`markupsafe.Markup`.

    Returns
    -------
    str
        The rendered page.
    """
    return environment().get_template(name).render(**context)


@cache
def static_markup(name: str) -> Markup:
    """Static file ``name`` as markup to inline in the page's ``<style>`` or ``<script>``, unescaped.

    Parameters
    ----------
    name
        A file in ``cnnviz/web/static/``, such as ``"steps.js"``.

    Returns
    -------
    markupsafe.Markup
        The file's text. It is the package's own code, so it is trusted, but it is checked not to close the
        element it goes into.

    Raises
    ------
    ValueError
        If the text holds ``</script``, ``</style`` or ``<!--``.
    """
    text = (files(PACKAGE) / "static" / name).read_text(encoding="utf-8")
    if match := _BREAKS_RAW_TEXT.search(text):
        raise ValueError(f"static/{name}: {match.group(0)!r} would break the element it is inlined into")
    return Markup(text)
