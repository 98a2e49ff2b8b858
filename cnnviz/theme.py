"""Colours by role: the one palette the scenes (``scenes.kit``) and the web pages (deck, gallery) share.

Plain data, no Manim: the pages are built without importing it.

Roles: ``input`` (A), ``kernel`` (W), ``output`` (Z), ``gradient`` (δ and ∂L/∂·), ``padding`` (inserted
zeros), ``highlight`` (the cell being looked at); ``negative``/``positive`` are the two ends of the diverging
palette for signed values (a map of weights or error terms), chosen to be none of the role colours;
``train``/``test`` draw what was measured on the training and on the test data (the training curves), again
none of the other colours (a teal and a purple: hues the roles above leave free).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["THEMES", "Theme", "diverging_rgb", "hex_rgb", "ramp_rgb", "theme_named"]


@dataclass(frozen=True)
class Theme:
    """Colours by role, as ``#RRGGBB`` strings.

    Examples
    --------
    >>> Theme.dark().input
    '#58C4DD'
    >>> Theme.solarized().background
    '#FDF6E3'
    """

    name: str
    background: str
    text: str
    muted: str
    input: str
    kernel: str
    output: str
    gradient: str
    padding: str
    highlight: str
    negative: str  # diverging palette: most negative ...
    positive: str  # ... most positive (zero is the background)
    train: str = "#3DD6B4"  # measured on the training data
    test: str = "#C77DFF"  # measured on the test data

    @classmethod
    def dark(cls) -> Theme:
        """Manim's dark background; the lecture's default."""
        return cls("dark", "#16181d", "#ECECEC", "#9AA0A6", "#58C4DD", "#F0AC5F", "#83C167", "#FC6255", "#6B6F76",
                   "#FFFF66", "#A48BF0", "#E77FB8", "#3DD6B4", "#C77DFF")

    @classmethod
    def solarized(cls) -> Theme:
        """Solarized light, to sit in slides like the course's own.

        Kernel: a yellower orange than Solarized's #CB4B16, which sits too close to the gradient red #DC322F
        (W and δ side by side in the backprop scenes looked alike).
        """
        return cls("solarized", "#FDF6E3", "#073642", "#657B83", "#268BD2", "#E07B00", "#859900", "#DC322F",
                   "#93A1A1", "#B58900", "#6C71C4", "#D33682", "#2AA198", "#8E44AD")

    def role(self, name: str) -> str:
        """The colour of a role by name (``"input"``, ``"kernel"``, ``"output"``, ``"gradient"``, …)."""
        if name not in ROLES:
            raise ValueError(f"unknown colour role {name!r}; allowed: {', '.join(ROLES)}")
        return getattr(self, name)


ROLES = ("background", "text", "muted", "input", "kernel", "output", "gradient", "padding", "highlight",
         "negative", "positive", "train", "test")

THEMES: dict[str, Theme] = {"dark": Theme.dark(), "solarized": Theme.solarized()}


def theme_named(name: str) -> Theme:
    """The theme called ``name`` (``dark`` or ``solarized``)."""
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; allowed: {', '.join(THEMES)}") from None


# ----------------------------------------------------------------- colour maps (for pictures of 2-D maps)
def hex_rgb(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` as three integers 0–255.

    Examples
    --------
    >>> hex_rgb("#58C4DD")
    (88, 196, 221)
    """
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"expected a colour as #RRGGBB, got {color!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _mix(low: str, high: str, t):  # t: array in [0, 1] -> uint8 (..., 3), low at 0, high at 1
    import numpy as np

    a = np.array(hex_rgb(low), float)
    b = np.array(hex_rgb(high), float)
    return np.rint(a + (b - a) * np.asarray(t, float)[..., None]).astype(np.uint8)


def diverging_rgb(values, theme: Theme, *, limit: float | None = None):
    """A signed 2-D map as RGB (uint8, ``values.shape + (3,)``) on the theme's diverging palette: ``-limit``
    is ``theme.negative``, 0 the background, ``+limit`` ``theme.positive``, linear in between (clipped).

    ``limit`` defaults to the largest ``|value|`` (an all-zero map is all background).

    Examples
    --------
    >>> diverging_rgb([[-1.0, 0.0, 1.0]], Theme.dark())[0].tolist()
    [[164, 139, 240], [22, 24, 29], [231, 127, 184]]
    """
    import numpy as np

    v = np.atleast_2d(np.asarray(values, float))
    top = float(np.max(np.abs(v))) if limit is None and v.size else float(limit or 0.0)
    t = np.clip(v / top, -1.0, 1.0) if top > 0 else np.zeros_like(v)
    return np.where((t < 0)[..., None], _mix(theme.background, theme.negative, -t),
                    _mix(theme.background, theme.positive, np.maximum(t, 0.0))).astype(np.uint8)


def ramp_rgb(values, theme: Theme, *, role: str = "output", color: str | None = None, low: float | None = None,
             high: float | None = None):
    """An unsigned 2-D map as RGB (uint8): ``low`` is the background, ``high`` the role's colour (or
    ``color``), linear in between (clipped). ``low``/``high`` default to the map's minimum and maximum.

    Examples
    --------
    >>> ramp_rgb([[0.0, 1.0]], Theme.dark(), role="input")[0].tolist()
    [[22, 24, 29], [88, 196, 221]]
    """
    import numpy as np

    v = np.atleast_2d(np.asarray(values, float))
    lo = float(np.min(v)) if low is None else float(low)
    hi = float(np.max(v)) if high is None else float(high)
    t = np.clip((v - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(v)
    return _mix(theme.background, color or theme.role(role), t)
