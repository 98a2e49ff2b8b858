"""scenes.kit, the public scene kit: the lecture's grids drawn exactly as today, numbers that fit their cells,
sliding windows for every window trace (in frame, numbers from the trace, texts swapped by fading), tensor
volumes, feature maps, an import that patches nothing in Manim, and the teacher's example rendered with plain
``manim`` from a folder outside the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from manim import FadeIn, Scene, Text, Transform, VGroup, VMobject, Wait, config, tempconfig

import scenes.kit as kit
from cnnviz import avg_pool2d_trace, conv1d_trace, conv2d_trace, max_pool2d_trace
from cnnviz.theme import THEMES, Theme, diverging_rgb, hex_rgb, ramp_rgb
from cnnviz.values import fmt
from scenes.kit.style import NUMBER_HEIGHT, NUMBER_WIDTH, min_glyph_height, safe_size

ROOT = Path(__file__).resolve().parents[1]
TEACHER = ROOT / "examples" / "teacher_conv.py"


# ----------------------------------------------------------------- helpers
@pytest.fixture(autouse=True, scope="module")
def own_text_cache(tmp_path_factory):
    """Manim's Text writes its SVGs under the media folder: one of our own, not one other test runs share."""
    old = config.media_dir
    config.media_dir = str(tmp_path_factory.mktemp("kit-media"))
    yield
    config.media_dir = old


def drawn(mobject) -> list[tuple]:
    """Everything Cairo reads from a mobject's family, member by member: type, points, colours, widths."""
    out = []
    for m in mobject.get_family():
        row: tuple = (type(m).__name__, len(m.submobjects), m.points.round(12).tobytes())
        if isinstance(m, VMobject):
            row += (m.get_fill_rgbas().tobytes(), m.get_stroke_rgbas().tobytes(), float(m.get_stroke_width()),
                    m.get_stroke_rgbas(background=True).tobytes(), float(m.get_stroke_width(background=True)))
        out.append(row)
    return out


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}


def dry_scene() -> Scene:
    """A scene that plays each animation straight to its end, drawing nothing (under ``tempconfig(DRY)``)."""
    return Scene(skip_animations=True)


DRY = {"dry_run": True, "disable_caching": True, "verbosity": "WARNING", "progress_bar": "none", "pixel_width": 854,
       "pixel_height": 480}


def within(box_of, outer: tuple[float, float, float, float], tol: float = 1e-6) -> bool:
    x0, y0, x1, y1 = box_of
    return x0 >= outer[0] - tol and y0 >= outer[1] - tol and x1 <= outer[2] + tol and y1 <= outer[3] + tol


def box(m) -> tuple[float, float, float, float]:
    (x0, y0, _), (x1, y1, _) = m.get_corner([-1, -1, 0]), m.get_corner([1, 1, 0])
    return float(x0), float(y0), float(x1), float(y1)


def overlap(a, b, gap: float = 0.0) -> bool:
    return a[0] < b[2] - gap and b[0] < a[2] - gap and a[1] < b[3] - gap and b[1] < a[3] - gap


def safe_box() -> tuple[float, float, float, float]:
    w, h = safe_size()
    return -w / 2, -h / 2, w / 2, h / 2


# ----------------------------------------------------------------- the lecture draws with the kit
GRID_CASES = [
    (np.arange(9.0).reshape(3, 3), "input", dict(cell=0.6, font_size=26)),
    (conv2d_trace(np.arange(9.0).reshape(3, 3) - 4, np.ones((2, 2)), padding=1).padded_input, "input",
     dict(cell=0.5, font_size=21.5,
          padding_mask=conv2d_trace(np.arange(9.0).reshape(3, 3) - 4, np.ones((2, 2)), padding=1).padding_mask)),
    (np.zeros((4, 4)), "output", dict(cell=0.62, font_size=26, show_values=False)),
    ([0.25, -1.5, 3.0, 12.75], "kernel", dict(cell=0.45, font_size=19, digits=1, fill_opacity=0.3)),
    ([[-123.45, 7], [0.5, 1e3]], "gradient", dict(cell=0.4, font_size=26)),  # narrowed to 0.86 of the cell
]


def test_the_lectures_grid_and_outlines_are_the_kits():
    """One visual language: scenes.common's NumberGrid is the kit's (the lecture's argument order, font 26, its
    cached text builder), and its window outlines are the kit's functions."""
    from scenes import common
    from scenes.speedups.drawing import cached_text

    grid = common.NumberGrid([[1, 2]], common.THEMES["dark"], common.THEMES["dark"].kernel)
    assert isinstance(grid, kit.NumberGrid) and grid.text_builder is cached_text and grid.font_size == 26
    assert common.cells_box is kit.cells_box and common.taps_box is kit.taps_box


@pytest.mark.usefixtures("speedups_installed")
@pytest.mark.parametrize("name", ["dark", "solarized"])
def test_a_grid_built_with_the_lectures_cached_builder_draws_as_with_manims_text(name):
    """The lecture passes its cached text builder; every grid, number and outline is drawn as with plain Text."""
    from scenes.speedups.drawing import cached_text

    theme = getattr(Theme, name)()
    for values, role, kw in GRID_CASES:
        plain = kit.NumberGrid(values, theme=theme, role=role, **kw)
        cached = kit.NumberGrid(values, theme=theme, role=role, text=cached_text, **kw)
        assert drawn(cached) == drawn(plain)
        i, j = plain.shape[0] - 1, plain.shape[1] - 1
        for args in [dict(), dict(muted=True), dict(color=theme.highlight)]:
            assert drawn(cached.number_for(i, j, -2.5, **args)) == drawn(plain.number_for(i, j, -2.5, **args))
        cells = [(a, b) for a in range(min(plain.shape[0], 2)) for b in range(min(plain.shape[1], 2))]
        assert drawn(kit.cells_box(cached, cells, theme.kernel)) == drawn(kit.cells_box(plain, cells, theme.kernel))


#: the lecture's colours by role as scenes/common.py had them before cnnviz/theme.py (background, text, muted,
#: input, kernel, output, gradient, padding, highlight): the kit must draw in exactly these
LECTURE_COLOURS = {
    "dark": ("#16181d", "#ECECEC", "#9AA0A6", "#58C4DD", "#F0AC5F", "#83C167", "#FC6255", "#6B6F76", "#FFFF66"),
    "solarized": ("#FDF6E3", "#073642", "#657B83", "#268BD2", "#E07B00", "#859900", "#DC322F", "#93A1A1",
                  "#B58900"),
}


def test_themes_keep_the_lectures_colours():
    from scenes import common

    roles = ("background", "text", "muted", "input", "kernel", "output", "gradient", "padding", "highlight")
    for name, colours in LECTURE_COLOURS.items():
        new = THEMES[name]
        assert new.name == name and new == getattr(Theme, name)() == common.THEMES[name]
        assert tuple(getattr(new, r) for r in roles) == colours
        assert {new.negative, new.positive}.isdisjoint(colours)
    assert kit.Theme is Theme


# ----------------------------------------------------------------- numbers sized from the cell, in one place
@pytest.mark.parametrize("cell", [0.3, 0.45, 0.62, 0.9])
@pytest.mark.parametrize("values", [[[0, 1], [2, 3]], [[-12, 7], [15, -3]], [[0.25, -1.75], [12.5, 3]],
                                    [[-123.45, 0], [1, 2]]])
@pytest.mark.parametrize("legible", [True, False])
def test_derived_font_size_fits_every_number_in_its_cell(cell, values, legible):
    g = kit.NumberGrid(values, cell=cell, legible=legible)
    side = g.cell_size
    assert side == cell if not legible else side >= cell
    digit = Text("0", font=kit.MONO, font_size=g.font_size)  # (Pango rounds small sizes: 2 % leeway)
    assert digit.height <= NUMBER_HEIGHT * side * 1.02
    for n in g.numbers:
        assert n.width <= NUMBER_WIDTH * side * 1.02  # room on each side of the widest number
        assert n.height <= 0.5 * side
        if legible:  # every number's tallest glyph 16 px tall at 480 lines, at the least
            assert max(ch.height for ch in n.submobjects) >= min_glyph_height() * 0.99
    if all(len(fmt(v)) <= 2 for v in np.ravel(values)):  # short numbers take the full height
        assert digit.height == pytest.approx(NUMBER_HEIGHT * side, rel=0.02)
    if legible and side > cell * 1.001:  # widened only as far as legibility needs
        assert side == pytest.approx(kit.legible_cell([fmt(v) for v in np.ravel(values)]), rel=1e-6)
    assert g.number_for(0, 0, values[0][0]).width <= NUMBER_WIDTH * side * 1.02


def test_number_grid_defaults_and_empty_cells():
    g = kit.NumberGrid([[1.0, np.nan], [3.0, 4.0]])
    assert g.color.to_hex() == Theme.dark().input and g.cell_size == pytest.approx(0.6, abs=0.05)
    assert len(g.numbers) == 3 and kit.NumberGrid([[1.0]], legible=False).cell_size == 0.6
    with pytest.raises(KeyError):
        g.number(0, 1)
    assert kit.NumberGrid([[1.0]], color="#123456").color.to_hex() == "#123456"
    with pytest.raises(ValueError, match="unknown colour role"):
        kit.NumberGrid([[1.0]], role="nope")


# ----------------------------------------------------------------- importing the kit changes nothing in Manim
SNAPSHOT = r"""
import inspect, json, sys
import manim, svgelements
from manim.camera.camera import Camera
from manim.renderer.cairo_renderer import CairoRenderer
from manim.scene.scene_file_writer import SceneFileWriter
from manim.mobject.svg.svg_mobject import SVGMobject, VMobjectFromSVGPath
from manim.scene.video_segment_encoder import VideoSegmentEncoder
from manim.utils import tex_file_writing

classes = [manim.Mobject, manim.VMobject, manim.VGroup, manim.Group, manim.Text, manim.MathTex, manim.Tex,
           manim.SingleStringMathTex, SVGMobject, VMobjectFromSVGPath, manim.ImageMobject, manim.Animation,
           manim.Transform, manim.FadeIn, manim.FadeOut, manim.AnimationGroup, manim.Succession, manim.Scene,
           Camera, CairoRenderer, SceneFileWriter, VideoSegmentEncoder, svgelements.Path, svgelements.Shape,
           svgelements.SVG]

def snapshot():
    snap = {}
    for cls in classes:
        for klass in cls.__mro__:
            for name, value in vars(klass).items():
                snap[f"{cls.__module__}.{cls.__qualname__}:{klass.__qualname__}.{name}"] = id(value)
        snap[f"{cls.__qualname__}.__deepcopy__ (static)"] = id(inspect.getattr_static(cls, "__deepcopy__", None))
    for module in (manim, tex_file_writing):
        for name in dir(module):
            snap[f"{module.__name__}.{name}"] = id(getattr(module, name))
    for key in manim.config:
        snap[f"config.{key}"] = repr(manim.config[key])
    return snap

before = snapshot()
STATEMENT
after = snapshot()
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps({"changed": changed, "modules": sorted(m for m in sys.modules if m.startswith("scenes"))}))
"""


def import_and_compare(statement: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SNAPSHOT.replace("STATEMENT", statement)], capture_output=True,
                          text=True, timeout=300, env=clean_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_kit_changes_nothing_in_manim():
    """Identities of every attribute of Manim's main classes (and svgelements.Path.__deepcopy__, which the
    lecture's speed measures replace), of every name in ``manim`` and every config value: unchanged by
    ``import scenes.kit``, which also loads none of the lecture's scene modules."""
    result = import_and_compare("import scenes.kit")
    assert result["changed"] == []
    assert not [m for m in result["modules"] if m.startswith(("scenes.common", "scenes.speed"))], result["modules"]
    assert "scenes.kit.window" in result["modules"]


def test_the_manim_snapshot_sees_the_lectures_speedups():
    """The same snapshot does see what the lecture's speed-ups replace: the test above could fail."""
    changed = import_and_compare("import scenes.speedups; assert scenes.speedups.install()")["changed"]
    assert any("Path.__deepcopy__" in k for k in changed), changed[:20]
    assert any("Camera" in k and "set_cairo_context_path" in k for k in changed), changed[:20]
    assert any(k.endswith("tex_file_writing.compile_tex") for k in changed), changed[:20]


def test_the_kit_imports_nothing_of_the_lecture_scenes():
    for path in (ROOT / "scenes" / "kit").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for banned in ("scenes.common", "scenes.speed", "from ..", "import scenes"):
            assert banned not in source, f"{path.name} mentions {banned!r}"


# ----------------------------------------------------------------- sliding windows
def traces() -> dict[str, tuple]:
    rng = np.random.default_rng(3)
    ints = lambda *shape: rng.integers(-9, 10, shape).astype(float)  # noqa: E731
    return {
        "conv2d, stride 2, padding 1": (conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), stride=2,
                                                     padding=1), {}),
        # (legible=False: too many cells, or too wide numbers, to fit the frame legibly at 480 lines; see
        # test_a_sliding_window_is_legible_or_refuses_to_build)
        "conv2d 6x6, padding 1, bias (8x8 padded)": (conv2d_trace(ints(6, 6), ints(3, 3), padding=1, bias=-1.5),
                                                     {"legible": False}),
        "conv2d 8x8, padding 0": (conv2d_trace(ints(8, 8), ints(3, 3)), {"legible": False}),
        "conv2d, dilation 2": (conv2d_trace(ints(7, 7), ints(3, 3), dilation=2), {"panel": "auto"}),
        "conv2d, decimals": (conv2d_trace(ints(4, 5) / 4, np.array([[0.5, -0.25], [1.0, 0.125]])),
                             {"legible": False}),
        "depthwise conv2d, channel 1": (conv2d_trace(ints(2, 4, 4), ints(2, 1, 2, 2), groups=2), {"channel": 1}),
        "conv1d, padding 1": (conv1d_trace(ints(10), ints(3), padding=1), {}),
        "conv1d, dilation 2, bias": (conv1d_trace(ints(7), np.array([0.5, -1.0]), dilation=2, bias=0.25), {}),
        "conv1d short, row": (conv1d_trace(ints(5), ints(2)), {}),
        "max pool": (max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2), {}),
        "max pool, padding, stride 1": (max_pool2d_trace(ints(5, 5), 3, stride=1, padding=1),
                                        {"detailed": 3, "panel": "auto"}),
        "avg pool, padding": (avg_pool2d_trace(ints(5, 5) / 4, 3, stride=2, padding=1), {"legible": False}),
        "avg pool 4x4": (avg_pool2d_trace(np.array([[1.0, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [0, 3, 4, 6]]), 2),
                         {}),
        "max pool, 2 channels, channel 1": (max_pool2d_trace(ints(2, 4, 4), 2), {"channel": 1}),
    }


TRACES = traces()


def leaf_animations(anim):
    subs = getattr(anim, "animations", None)
    if subs is None:
        return [anim]
    return [leaf for a in subs for leaf in leaf_animations(a)]


def is_visible(mobject) -> bool:
    return any(m.get_fill_opacity() > 0 or m.get_stroke_opacity() > 0 for m in mobject.family_members_with_points())


def texts_of(mobject) -> list[str]:
    return [m.text for m in mobject.get_family() if isinstance(m, Text)]


def tallest_glyph_px(text: Text) -> float:
    """The height of a text's tallest glyph in pixels at 480 lines (as LectureScene.layout_check reads it)."""
    return max(g.height for g in text.submobjects) * 480 / config.frame_height


@pytest.mark.parametrize("name", list(TRACES))
def test_a_sliding_window_is_legible_or_refuses_to_build(name):
    """By default every text a window writes (grids, names, notes, the panels of its detailed steps) is at least
    16 px tall at 480 lines (a fitted window: 16 px less what its last fitting took, at most 3 %); a window
    that cannot be refuses to build, and then it is, built without the rule, under 16 px somewhere."""
    trace, options = TRACES[name]
    options = {k: v for k, v in options.items() if k != "legible"}

    def smallest(window) -> float:
        sizes = []
        with tempconfig(DRY):
            scene = dry_scene()
            scene.play(FadeIn(window))
            for n, anim in enumerate(window.steps()):
                if n == 2:
                    break
                scene.play(anim)
                sizes += [tallest_glyph_px(m) for m in window.get_family() if isinstance(m, Text)
                          and m.submobjects and any(ch.isalnum() for ch in m.text) and is_visible(m)]
        return min(sizes)

    try:
        window = kit.SlidingWindow(trace, theme=Theme.solarized(), **options)
    except ValueError as exc:
        assert "legible" in str(exc) and "scene units" in str(exc)
        assert smallest(kit.SlidingWindow(trace, theme=Theme.solarized(), legible=False, **options)) < 15.4
        return
    assert smallest(window) >= 16 * kit.window.FIT_SLACK * 0.99, name


def test_a_window_in_a_small_region_refuses_and_a_legible_grid_widens_for_a_mean():
    trace = avg_pool2d_trace(np.arange(16.0).reshape(4, 4), 2)  # means 2.5 … 12.5: wider than the input's 0 … 15
    with pytest.raises(ValueError, match=r"region \(-1.0, -1.0, 1.0, 1.0\) with its numbers and texts legible"):
        kit.SlidingWindow(trace, region=(-1.0, -1.0, 1.0, 1.0))
    small = kit.SlidingWindow(trace, region=(-1.0, -1.0, 1.0, 1.0), legible=False)
    assert small.width <= 2.0
    window = kit.SlidingWindow(trace, cell=0.5, fit=False)
    assert window.output.cell_size > window.input.cell_size > 0.5
    for n in window.input.numbers:
        assert tallest_glyph_px(n) >= 16 * 0.99  # (Pango rounds font sizes a little)
    filled = window.output.number_for(0, 0, float(trace.output[0, 0]))
    assert filled.width <= 0.8 * window.output.cell_size * 1.02 and tallest_glyph_px(filled) >= 16 * 0.99


@pytest.mark.parametrize("module", ["style", "grid", "window", "adapt"])
def test_the_kits_docstring_examples_hold(module):
    import doctest
    import importlib

    with tempconfig(DRY):
        result = doctest.testmod(importlib.import_module(f"scenes.kit.{module}"), extraglobs={"np": np},
                                 optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("name", list(TRACES))
def test_a_sliding_window_plays_every_step_in_frame_with_the_traces_numbers(name):
    trace, options = TRACES[name]
    channel = options.get("channel", 0)
    with tempconfig(DRY):
        scene = dry_scene()
        window = kit.SlidingWindow(trace, theme=Theme.solarized(), **options)
        steps = [s for s in trace.steps if getattr(s, "out_channel", getattr(s, "channel", 0)) == channel]
        assert window.n_steps == len(steps)
        assert within(box(window), safe_box()), (box(window), safe_box())
        # nothing overlaps: grids, operators, names, the note
        fixed = [m for m in [*window.body, *window.name_labels, window.note] if len(m.get_family()) > 1
                 or isinstance(m, Text)]
        if window.layout == "column":
            fixed = [m for line in window.body for m in line]
        fixed = [part for m in fixed for part in ([*m] if isinstance(m, VGroup) and not isinstance(
            m, kit.NumberGrid) and window.view.kind != "conv" and m is window.ops else [m])]
        for a in fixed:
            for b in fixed:
                if a is not b:
                    assert not overlap(box(a), box(b)), (name, a, b)
        scene.play(FadeIn(window))
        for n, (anim, step) in enumerate(zip(window.steps(), steps)):
            assert isinstance(anim, kit.WindowStep) and anim.mobject is window
            for leaf in leaf_animations(anim):  # texts change by fading: a transform never changes a text
                if isinstance(leaf, Transform):
                    assert texts_of(leaf.mobject) == texts_of(leaf.target_mobject)
            scene.play(anim)
            assert scene.mobjects == [window]  # the window stays one mobject of the scene
            visible = [m for m in window.transients if is_visible(m)]
            detailed = options.get("detailed") is None or n < options["detailed"]
            assert len(visible) == (1 if detailed else 0)
            if detailed:  # the panel: in frame, below the grids, the step's numbers
                panel = visible[0][0]  # (with max pooling, [1] marks the maximum in the input)
                assert within(box(panel), safe_box(), tol=1e-3), name
                for part in fixed:
                    assert not overlap(box(panel), box(part)), (name, part)
                words = texts_of(panel)  # (Text.text drops spaces)
                if hasattr(step, "total"):
                    assert f"Σ={fmt(step.total)}" in words
                    grid_values = np.ravel(step.products)
                else:
                    assert (f"max={fmt(step.value)}" if trace.mode == "max"
                            else f"Σ÷{step.divisor}={fmt(step.value)}") in words
                    if trace.mode == "max":  # the maximum marked in the input, on the step's chosen cell
                        mark = visible[0][1]
                        assert np.allclose(mark.get_center(), window.input.cell(*step.cells[step.chosen]).get_center())
                    grid_values = np.ravel(step.patch)
                assert words[1:1 + len(grid_values)] == [fmt(v) for v in grid_values]  # header, then the grid
        assert scene.mobjects == [window]
        out = window.output
        expected = np.asarray(trace.output, float)
        has_channels = (trace.kernel.ndim == len(trace.stride) + 2 if hasattr(trace, "kernel")
                        else trace.padded_input.ndim == 3)
        expected = np.atleast_2d(expected[channel] if has_channels else expected)
        assert {k: v.text for k, v in out._number_at.items()} == {
            (i, j): fmt(expected[i, j]) for i in range(expected.shape[0]) for j in range(expected.shape[1])}
        for (i, j), number in out._number_at.items():  # (Pango's widths are not quite linear: 2 % leeway)
            assert np.allclose(number.get_center(), out.cell(i, j).get_center())
            assert number.width <= NUMBER_WIDTH * out.cell(i, j).width * 1.02
        # the window ends on the last step's cells
        last = steps[-1].cells
        cells = [(0, c[0]) if len(c) == 1 else c for c in last]
        if window.view.dilated:
            assert np.allclose(window.window.get_center(), kit.taps_box(window.input, cells, "#000").get_center())
        else:
            assert np.allclose(box(window.window), box(kit.cells_box(window.input, cells, "#000")), atol=1e-6)
        assert within(box(window), safe_box(), tol=1e-3)
        scene.play(window.conclude())
        assert not any(is_visible(m) for m in [window.window, window.out_box, *window.transients])
        assert is_visible(window.output)


def test_the_teachers_window_has_numbers_at_least_16_pixels_tall_at_480p():
    trace = conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), stride=2, padding=1)
    with tempconfig(DRY):
        window = kit.SlidingWindow(trace)
        px = config.pixel_height / config.frame_height
        for grid in (window.input, window.kernel):
            digit = [n for n in grid.numbers if n.text == "1"][0]
            assert Text("0", font=kit.MONO, font_size=grid.font_size).height * px >= 16
            assert digit.height * px >= 16
        assert window.cell_size * px >= 36


def test_a_window_follows_its_mobject_when_the_teacher_moves_and_scales_it():
    trace = max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2)
    with tempconfig(DRY):
        scene = dry_scene()
        window = kit.SlidingWindow(trace, labels=False)
        window.scale(0.5).to_corner([-1, 1, 0])
        scene.add(window)
        for step in window.steps():
            scene.play(step)
        assert within(box(window.transients), box(window), tol=1e-3)
        number = window.output.number(1, 1)
        assert np.allclose(number.get_center(), window.output.cell(1, 1).get_center())
        assert number.height == pytest.approx(window.input.number(0, 0).height * 1.0, rel=0.05)


def test_sliding_window_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="one input channel"):
        kit.SlidingWindow(conv2d_trace(np.ones((2, 3, 3)), np.ones((1, 2, 2, 2))))
    with pytest.raises(ValueError, match="channel must be"):
        kit.SlidingWindow(max_pool2d_trace(np.ones((2, 4, 4)), 2), channel=2)
    with pytest.raises(TypeError, match="ConvTrace"):
        kit.SlidingWindow(np.ones((3, 3)))
    with pytest.raises(ValueError, match="layout"):
        kit.SlidingWindow(max_pool2d_trace(np.ones((4, 4)), 2), layout="column")


# ----------------------------------------------------------------- what the lecture's scenes ask of a window
LECTURE_REGION = (-6.4, -3.0, 6.4, 2.9)  # between a title and a caption band


def lecture_traces() -> dict[str, tuple]:
    rng = np.random.default_rng(5)
    ints = lambda *shape: rng.integers(-3, 4, shape).astype(float)  # noqa: E731
    common = dict(symbols=("A", "W", "Z"), region=LECTURE_REGION, panel="auto", cell=1.0, text_size=28, detailed=3)
    return {
        "conv2d 5x5, aside, field": (conv2d_trace(ints(5, 5), ints(3, 3)), dict(common, field=3)),
        "conv2d 7x7 dilated, zh": (conv2d_trace(ints(7, 7), ints(3, 3), dilation=2), dict(common, language="zh")),
        "conv2d 6x6 stride 2 padding 1, names, no note": (
            conv2d_trace(ints(6, 6), ints(3, 3), stride=2, padding=1),
            dict(common, names=("input 6×6, p = 1", "kernel c = 3", "output, s = 2"), note=False, number_height=0.5)),
        "conv2d, holes": (conv2d_trace(ints(6, 6), ints(2, 2), dilation=2, bias=1.0), dict(common, holes=True)),
        "conv1d stacked, indices, sum": (conv1d_trace(ints(6), ints(3)), dict(
            symbols=("x", "w", "a"), indices=True, layout="stacked", working="sum", region=LECTURE_REGION, cell=1.0,
            text_size=28, hold=0.5)),
        "conv1d stacked, padding, dilation, bias, zh": (conv1d_trace(ints(7), ints(2), padding=1, dilation=2, bias=0.5),
                                                        dict(symbols=("x", "w", "a"), indices=True, layout="stacked",
                                                             working="sum", language="zh")),
        "max pool, aside, zh": (max_pool2d_trace(ints(6, 6), 2), dict(panel="aside", language="zh", detailed=2)),
    }


LECTURE_TRACES = lecture_traces()


@pytest.mark.parametrize("name", list(LECTURE_TRACES))
def test_a_lecture_window_plays_in_its_region_without_overlaps_or_morphing_texts(name):
    trace, options = LECTURE_TRACES[name]
    region = options.get("region", safe_box())
    with tempconfig(DRY):
        scene = dry_scene()
        window = kit.SlidingWindow(trace, theme=Theme.dark(), **options)
        assert within(box(window), region, tol=1e-3), (box(window), region)
        centre = ((region[0] + region[2]) / 2, (region[1] + region[3]) / 2)
        assert np.allclose(window.get_center()[:2], centre)
        # grids, names, cell names, note and the panel's room: none overlaps another
        fixed = [window.input, window.output, *window.name_labels, *[n for g in window.cell_names for n in g],
                 window.panel_area] + ([window.kernel] if window.kernel is not None else [])
        if isinstance(window.note, Text):
            fixed.append(window.note)
        for a in fixed:
            for b in fixed:
                if a is not b:
                    assert not overlap(box(a), box(b), gap=1e-6), (name, a, b)
        if window.layout == "row":  # names on one line keep their distance
            for a, b in zip(window.name_labels, window.name_labels[1:]):
                assert b.get_left()[0] - a.get_right()[0] >= 0.25 * window.cell_size * window._scale_now(), name
        scene.add(window)
        for n, anim in enumerate(window.steps()):
            for leaf in leaf_animations(anim):  # texts change by fading: a transform never changes a text
                if isinstance(leaf, Transform):
                    assert texts_of(leaf.mobject) == texts_of(leaf.target_mobject)
            assert anim.run_time == pytest.approx(window.step_time(n))
            scene.play(anim)
            assert scene.mobjects == [window]
            visible = [m for m in window.transients if is_visible(m)]
            assert len(visible) == (1 if window.is_detailed(n) else 0)
            if visible:
                assert within(box(visible[0][0]), box(window.panel_area), tol=1e-3), name
            if window.layout == "stacked":  # the kernel rides under the window's first cell
                cell = window.view.steps[n].cells[0]
                assert window.kernel.get_left()[0] == pytest.approx(window.input.cell(*cell).get_left()[0])
        assert within(box(window), region, tol=1e-3)
        scene.play(window.conclude())
        room = window.panel_room()
        assert within(box(room), box(window), tol=1e-6) and room.width >= window.panel_area.width - 1e-9


def test_the_lectures_names_symbols_and_notes_in_english_and_chinese():
    trace = conv2d_trace(np.arange(36.0).reshape(6, 6), np.ones((3, 3)), stride=2, padding=1, dilation=1)
    with tempconfig(DRY):  # (the panel aside: below the grids an 8×8 padded input is not legible in the frame)
        en = kit.SlidingWindow(trace, symbols=("A", "W", "Z"), field=5, panel="auto")
        zh = kit.SlidingWindow(trace, symbols=("A", "W", "Z"), field=(5, 5), language="zh", panel="auto")
        plain = kit.SlidingWindow(trace, language="zh", panel="auto")
        assert [t.text for t in en.name_labels] == ["inputA", "kernelW", "outputZ"]  # (Text.text drops spaces)
        assert [t.text for t in zh.name_labels] == ["输入A", "卷积核W", "输出Z"]
        assert [t.text for t in plain.name_labels] == ["输入", "卷积核", "输出"]
        assert en.note.text == "stride2·padding1·receptivefield5×5"
        assert zh.note.text == "步长2·补零1·感受野5×5"
        head = texts_of(next(en.steps()).animations[1].mobject)[0]
        assert head == "A⊙W="
        assert texts_of(next(plain.steps()).animations[1].mobject)[0] == "输入⊙卷积核="
        pool = kit.SlidingWindow(max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2, stride=1), language="zh")
        assert pool.note.text == "步长1" and "最大值2×2" in texts_of(pool.ops)
        panel = texts_of(next(pool.steps()).animations[1].mobject)
        # the panel's result in the window's language: the largest of 0, 1, 4 and 5
        assert panel[0] == "窗口" and panel[-1] == "最大值=5"
        en_pool = kit.SlidingWindow(max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2, stride=1))
        assert texts_of(next(en_pool.steps()).animations[1].mobject)[-1] == "max=5"
    with pytest.raises(ValueError, match="language"):
        kit.SlidingWindow(trace, language="fr")
    with pytest.raises(ValueError, match="three letters"):
        kit.SlidingWindow(trace, symbols=("A", "W"))
    with pytest.raises(ValueError, match="indices"):
        kit.SlidingWindow(trace, symbols=("A", "W", "Z"), indices=True)


def test_pacing_sections_and_the_hook_before_each_step():
    trace = conv2d_trace(np.arange(25.0).reshape(5, 5), np.ones((3, 3)))
    times = [3.0, 3.0, 3.0, 1.8, 1.0, 0.6, 0.5, 0.5, 0.5]
    with tempconfig(DRY):
        scene = dry_scene()
        window = kit.SlidingWindow(trace, detailed=3, run_times=times, hold=0.6)
        assert [window.step_time(n) for n in range(9)] == [3.6, 3.6, 3.6, *times[3:]]
        assert [window.section_name(n) for n in range(9)] == ["step 1", "step 2", "step 3", "remaining steps",
                                                              None, None, None, None, None]
        assert window.section_name(8, last_own_section=True) == "step 9"
        calls = []
        scene.add(window)
        for n, step in enumerate(window.steps(lambda k: calls.append(("before", k)), section=calls.append,
                                              last_own_section=True)):
            calls.append(("play", n))
            if n < 3:  # a detailed step holds its panel at the end
                assert isinstance(step.animations[-1], Wait) and step.animations[-1].run_time == 0.6
            scene.play(step)
        assert calls[:6] == ["step 1", ("before", 0), ("play", 0), "step 2", ("before", 1), ("play", 1)]
        assert calls[9:13] == ["remaining steps", ("before", 3), ("play", 3), ("before", 4)]
        assert calls[-3:] == ["step 9", ("before", 8), ("play", 8)]
        default = kit.SlidingWindow(trace, detailed=2)
        assert [default.step_time(n) for n in (0, 1, 2)] == [2.0, 2.0, 0.6]
    with pytest.raises(ValueError, match="one time per step"):
        kit.SlidingWindow(trace, run_times=[1.0])


def test_a_window_shows_its_parts_in_stages():
    trace = conv2d_trace(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), padding=1)
    with tempconfig(DRY):
        scene = dry_scene()
        window = kit.SlidingWindow(trace, symbols=("A", "W", "Z"))
        first, rest = window.reveal("input"), window.reveal("kernel", "output", "note")
        assert not is_visible(window.input) and not is_visible(window.kernel) and not is_visible(window.note)
        assert not any(is_visible(m) for m in window.name_labels)
        scene.add(window)
        scene.play(first)
        assert is_visible(window.input) and is_visible(window.name_labels[0]) and not is_visible(window.kernel)
        scene.play(rest)
        assert all(is_visible(m) for m in [window.kernel, window.output, window.note, *window.ops, *window.name_labels])
        assert scene.mobjects == [window]
        scene.play(window.conceal("kernel"))
        assert not is_visible(window.kernel) and not is_visible(window.ops[0]) and is_visible(window.input)
        with pytest.raises(ValueError, match="unknown parts"):
            window.parts("panel")


def test_stacked_1d_window_names_each_cell_and_writes_the_sum_out():
    trace = conv1d_trace(np.array([1.0, 2, 0, 3, 1, 2]), np.array([1.0, 0, -1]), padding=1)
    with tempconfig(DRY):
        scene = dry_scene()
        window = kit.SlidingWindow(trace, symbols=("x", "w", "a"), indices=True, layout="stacked", working="sum")
        xs, ws, outs = window.cell_names
        assert [texts_of(n) for n in xs] == [["x", str(k)] for k in range(1, 7)]  # the padding cells unnamed
        assert [texts_of(n) for n in ws] == [["w", str(k)] for k in range(1, 4)]
        assert [texts_of(n) for n in outs] == [["a", str(k)] for k in range(1, 7)]
        assert np.allclose(xs[0].get_x(), window.input.cell(0, 1).get_x())
        for n, step in enumerate(trace.steps):  # stride 1: a_n under the middle of its window
            middle = np.mean([window.input.cell(0, c[0]).get_x() for c in step.cells])
            assert window.output.cell(0, n).get_x() == pytest.approx(middle)
        scene.add(window)
        words = []
        for step in window.steps():
            scene.play(step)
            words.append(texts_of(window.transients[-1]))
        # a₁ = 0·w₁ + x₁w₂ + x₂w₃ (the padding's 0 muted), then the numbers from the trace
        assert words[0][:11] == ["a", "1", "=", "0", "w", "1", "+", "x", "1", "w", "2"]
        assert words[0][-2:] == ["=0×1+1×0+2×(-1)=", "-2"]
        assert words[2][-1] == fmt(trace.steps[2].total)
        # the kernel and its names rode along to the last window
        last = trace.steps[-1].cells
        assert window.kernel.get_left()[0] == pytest.approx(window.input.cell(0, last[0][0]).get_left()[0])
        assert ws[0].get_x() == pytest.approx(window.kernel.cell(0, 0).get_x())
    with pytest.raises(ValueError, match="1-D convolutions"):
        kit.SlidingWindow(conv2d_trace(np.ones((3, 3)), np.ones((2, 2))), layout="stacked")
    with pytest.raises(ValueError, match="pooling has none"):
        kit.SlidingWindow(max_pool2d_trace(np.ones((4, 4)), 2), working="sum")


def test_a_dilated_kernel_with_its_holes():
    trace = conv2d_trace(np.arange(49.0).reshape(7, 7), np.arange(9.0).reshape(3, 3) - 4, dilation=2)
    with tempconfig(DRY):
        window = kit.SlidingWindow(trace, holes=True, legible=False)  # (7×7 and 5×5 in a row: not legible at 480p)
        assert window.kernel.shape == (5, 5)
        assert sorted(window.kernel._number_at) == [(i, j) for i in (0, 2, 4) for j in (0, 2, 4)]
        assert [window.kernel.number(i, j).text for i in (0, 2, 4) for j in (0, 2, 4)] == [
            fmt(v) for v in trace.kernel.flat]
        assert window.kernel.cell(0, 1).get_fill_opacity() == 0
        assert kit.SlidingWindow(trace, legible=False).kernel.shape == (3, 3)


def test_number_height_makes_a_large_inputs_digits_taller_and_the_panels_in_proportion():
    trace = conv2d_trace(np.arange(36.0).reshape(6, 6) % 5, np.ones((3, 3)), padding=1)
    with tempconfig(DRY):
        plain = kit.SlidingWindow(trace, fit=False, cell=0.9)  # (cells legible as they are: none widened)
        tall = kit.SlidingWindow(trace, fit=False, cell=0.9, number_height=0.5)
        assert plain.input.cell_size == tall.input.cell_size == 0.9
        digit = lambda size: Text("0", font=kit.MONO, font_size=size).height  # noqa: E731
        assert digit(plain.input.font_size) == pytest.approx(NUMBER_HEIGHT * 0.9, rel=0.02)
        assert digit(tall.input.font_size) == pytest.approx(0.5 * 0.9, rel=0.02)
        assert tall.panel_font_size / plain.panel_font_size == pytest.approx(0.5 / NUMBER_HEIGHT, rel=0.02)


TYPESET_ORDER = r"""
import numpy as np
from manim import config
config.media_dir = MEDIA
from cnnviz import conv2d_trace
from scenes.kit import SlidingWindow
from scenes.speedups.drawing import cached_text, typeset_built
x = np.array([[3.0, -12, 7, 0.5], [1, 2, -3, 44], [5, -6, 8, 9], [0, 1, 2, 3]])
SlidingWindow(conv2d_trace(x, np.array([[1.0, -1], [0.25, 2]]), padding=1), text=cached_text, detailed=2, fit=False)
print([t for k, t, o in typeset_built()])
"""


def test_a_window_builds_its_texts_in_the_same_order_whatever_the_hash_seed(tmp_path):
    """A caching text builder is shown the same texts in the same order in every process (the lecture's
    list of texts to build ahead is a render's list): sizing fonts measures no set in its hash order."""
    orders = []
    for seed in ("1", "2", "3"):
        code = TYPESET_ORDER.replace("MEDIA", repr(str(tmp_path / seed)))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env={**clean_env(), "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr[-3000:]
        orders.append(done.stdout.strip().splitlines()[-1])
    assert orders[0] == orders[1] == orders[2] and "'-12'" in orders[0]


def test_an_aside_panel_sits_right_of_a_tall_input_and_auto_picks_the_larger_window():
    trace = conv2d_trace(np.arange(64.0).reshape(8, 8) % 7, np.ones((3, 3)))
    with tempconfig(DRY):  # (sized from the cell alone: below the grids, 8×8 is not legible in the region)
        aside = kit.SlidingWindow(trace, panel="aside", region=LECTURE_REGION, legible=False)
        below = kit.SlidingWindow(trace, panel="below", region=LECTURE_REGION, legible=False)
        auto = kit.SlidingWindow(trace, panel="auto", region=LECTURE_REGION, legible=False)
        assert aside.panel_area.get_left()[0] > aside.input.get_right()[0]
        top = aside.input.get_top()[1]
        assert aside.kernel.get_top()[1] == pytest.approx(top) and aside.output.get_top()[1] == pytest.approx(top)
        assert below.panel_area.get_top()[1] < below.input.get_bottom()[1]
        assert aside.cell_size * aside._scale_now() > below.cell_size * below._scale_now()
        assert auto.panel_place == "aside"
        wide = conv2d_trace(np.arange(6.0).reshape(2, 3), np.ones((2, 2)))
        assert kit.SlidingWindow(wide, panel="auto").panel_place == "below"
    with pytest.raises(ValueError, match="panel"):
        kit.SlidingWindow(trace, panel="left")
    with pytest.raises(ValueError, match="region"):
        kit.SlidingWindow(trace, region=(1, 1, 0, 2))


# ----------------------------------------------------------------- tensor volumes and feature maps
def test_tensor_volume_stacks_channels_up_and_right_behind_the_front_one():
    arr = np.arange(3 * 2 * 4, dtype=float).reshape(3, 2, 4)
    vol = kit.TensorVolume(arr, role="kernel", cell=0.5, shape_label=True)
    assert vol.shape == (3, 2, 4) and vol.label.text == "3×2×4" and vol.color.to_hex() == Theme.dark().kernel
    for c in range(3):
        assert np.array_equal(vol.grid(c).values, arr[c])
        assert vol.layer(c)[1] is vol.grid(c)
    for c in range(2):
        d = vol.grid(c + 1).get_center() - vol.grid(c).get_center()
        assert d[0] == pytest.approx(0.25) and d[1] == pytest.approx(0.25)
    # drawn back to front, the front channel last; numbers on the front channel only
    assert vol.layers.submobjects[-1] is vol.layer(0)
    assert [len(vol.grid(c).numbers) for c in range(3)] == [8, 0, 0]
    assert len(kit.TensorVolume(arr, show_values="all").grid(2).numbers) == 8
    empty = kit.TensorVolume((2, 3, 3), role="output")
    assert empty.shape == (2, 3, 3) and len(empty.grid(0).numbers) == 0
    with tempconfig(DRY):
        scene = dry_scene()
        scene.add(vol)
        scene.play(vol.spread(buff=0.2))
        boxes = [box(vol.grid(c)) for c in range(3)]
        assert boxes[0][2] < boxes[1][0] < boxes[1][2] < boxes[2][0]  # side by side, channel 0 first
        assert vol.label.get_top()[1] < min(b[1] for b in boxes)


def test_feature_map_colours_signed_and_unsigned_maps_by_the_theme():
    t = Theme.solarized()
    signed = kit.FeatureMap([[-2.0, 0.0], [1.0, 2.0]], theme=t, signed=True, height=3.0)
    f = signed.rgb.shape[0] // 2
    assert signed.rgb.shape == (2 * f, 2 * f, 3) and f >= 128
    assert tuple(signed.rgb[0, 0]) == hex_rgb(t.negative)
    assert tuple(signed.rgb[0, -1]) == hex_rgb(t.background)
    assert tuple(signed.rgb[-1, -1]) == hex_rgb(t.positive)
    assert np.array_equal(signed.rgb[::f, ::f], diverging_rgb([[-2.0, 0.0], [1.0, 2.0]], t))
    assert signed.image.height == pytest.approx(3.0) and signed.border.get_stroke_color().to_hex() == t.output
    plain = kit.FeatureMap(np.arange(4.0).reshape(2, 2), theme=t, role="input", upscale=3, width=2.0)
    assert plain.rgb.shape == (6, 6, 3) and plain.image.width == pytest.approx(2.0)
    assert tuple(plain.rgb[0, 0]) == hex_rgb(t.background) and tuple(plain.rgb[-1, -1]) == hex_rgb(t.input)
    assert np.array_equal(plain.rgb[::3, ::3], ramp_rgb(np.arange(4.0).reshape(2, 2), t, role="input"))
    assert kit.FeatureMap([[1.0]], border=False).border is None
    with pytest.raises(ValueError, match="2-D"):
        kit.FeatureMap(np.ones(3))


def test_colour_maps_clip_and_handle_flat_maps():
    t = Theme.dark()
    assert diverging_rgb([[0.0, 0.0]], t).tolist() == [[list(hex_rgb(t.background))] * 2]
    assert diverging_rgb([[5.0, -5.0]], t, limit=1.0).tolist() == [[list(hex_rgb(t.positive)),
                                                                   list(hex_rgb(t.negative))]]
    assert ramp_rgb([[3.0, 3.0]], t).tolist() == [[list(hex_rgb(t.background))] * 2]


# ----------------------------------------------------------------- the teacher's file, with plain manim
@pytest.mark.slow
def test_the_teachers_example_renders_with_plain_manim_from_another_folder(tmp_path):
    scenes = ["MyConv", "MyPool", "MyConvLight", "MyPoolLight"]
    cmd = [sys.executable, "-m", "manim", "render", "-r", "160,90", "--frame_rate", "5", "--media_dir",
           str(tmp_path / "media"), "--disable_caching", "-v", "WARNING", str(TEACHER), *scenes]
    done = subprocess.run(cmd, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in scenes:
        clips = list((tmp_path / "media").rglob(f"{name}.mp4"))
        assert len(clips) == 1 and clips[0].stat().st_size > 1000, (name, clips)


def test_the_teachers_example_is_the_documented_one():
    source = TEACHER.read_text(encoding="utf-8")
    for line in ["from scenes.kit import SlidingWindow, Theme", "window = SlidingWindow(trace, theme=self.theme)",
                 "self.play(FadeIn(window))", "for step in window.steps():", "max_pool2d_trace("]:
        assert line in source
    assert "scenes.common" not in source and "LectureScene" not in source
