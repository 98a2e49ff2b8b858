"""The kit's stepping pieces built like SlidingWindow: ScatterWindow (transposed convolution), RoutingWindow
(backprop through pooling) and ChannelSum (multi-channel convolution), and the helpers that fit a piece to a
lecture (recast, as_padding, worded). Built from real traces: as many steps as the trace, one PieceStep each
(the piece stays one mobject of the scene, texts change by fading), every number drawn is the trace's, the
piece stays in frame; importing them patches nothing."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from manim import FadeIn, Scene, Text, Transform, VGroup, VMobject, config, tempconfig

import scenes.kit as kit
from cnnviz import conv2d_trace, conv_transpose2d_trace
from cnnviz.config import BackpropPoolParams, MultichannelParams, TransposedParams
from cnnviz.theme import Theme
from cnnviz.values import fmt, scene_values
from scenes.kit.style import safe_size

from test_kit import import_and_compare  # the snapshot of Manim's classes, names and config


@pytest.fixture(autouse=True, scope="module")
def own_text_cache(tmp_path_factory):
    """Manim's Text writes its SVGs under the media folder: one of our own."""
    old = config.media_dir
    config.media_dir = str(tmp_path_factory.mktemp("kit-pieces-media"))
    yield
    config.media_dir = old


DRY = {"dry_run": True, "disable_caching": True, "verbosity": "WARNING", "pixel_width": 854, "pixel_height": 480}


def dry_scene() -> Scene:
    return Scene(skip_animations=True)


def box(m) -> tuple[float, float, float, float]:
    (x0, y0, _), (x1, y1, _) = m.get_corner([-1, -1, 0]), m.get_corner([1, 1, 0])
    return float(x0), float(y0), float(x1), float(y1)


def within(b, outer, tol: float = 1e-3) -> bool:
    return b[0] >= outer[0] - tol and b[1] >= outer[1] - tol and b[2] <= outer[2] + tol and b[3] <= outer[3] + tol


def safe_box() -> tuple[float, float, float, float]:
    w, h = safe_size()
    return -w / 2, -h / 2, w / 2, h / 2


def leaves(anim):
    subs = getattr(anim, "animations", None)
    return [anim] if subs is None else [leaf for a in subs for leaf in leaves(a)]


def texts_of(mobject) -> list[str]:
    return [m.text for m in mobject.get_family() if isinstance(m, Text)]


def is_visible(mobject) -> bool:
    return any(m.get_fill_opacity() > 0 or m.get_stroke_opacity() > 0 for m in mobject.family_members_with_points())


def visible_numbers(grid: kit.NumberGrid) -> dict[tuple[int, int], str]:
    """What each cell of ``grid`` shows: its visible number (exactly one per filled cell)."""
    shown: dict[tuple[int, int], str] = {}
    for number in grid.numbers:
        if not is_visible(number):
            continue
        cell = min(np.ndindex(grid.shape), key=lambda c: np.linalg.norm(grid.cell(*c).get_center() - number.get_center()))
        assert np.allclose(number.get_center(), grid.cell(*cell).get_center(), atol=1e-6)
        assert cell not in shown, f"two numbers visible in cell {cell}"
        shown[cell] = number.text
    return shown


def play_all(piece, check_step) -> Scene:
    """Play every step in a dry scene, checking each step as it plays; then conclude."""
    scene = dry_scene()
    scene.play(FadeIn(piece))
    steps = list(range(piece.n_steps))
    for n, anim in zip(steps, piece.steps()):
        assert isinstance(anim, kit.PieceStep) and anim.mobject is piece
        for leaf in leaves(anim):  # texts change by fading: a transform never changes a text
            if isinstance(leaf, Transform):
                assert texts_of(leaf.mobject) == texts_of(leaf.target_mobject)
        scene.play(anim)
        assert scene.mobjects == [piece]
        check_step(n)
        assert within(box(piece), safe_box())
    assert list(piece.steps()) == []  # a second call yields nothing
    scene.play(piece.conclude())
    assert scene.mobjects == [piece]
    assert not any(is_visible(m) for m in [*piece.marks(), *piece.transients])
    return scene


def shown_panel(piece) -> VMobject | None:
    visible = [m for m in piece.transients if is_visible(m)]
    assert len(visible) <= 1
    return visible[0] if visible else None


# ----------------------------------------------------------------- ScatterWindow
def scatter_traces() -> dict[str, object]:
    x, w = np.array([[1.0, 2], [3, 1]]), np.array([[1.0, 0, -1], [2, 1, 0], [0, 1, 1]])
    return {
        "lecture": scene_values("transposed", TransposedParams()).data["trace"],
        "padding 1": conv_transpose2d_trace(x, w, stride=2, padding=1),
        "output_padding 1": conv_transpose2d_trace(x, w, stride=2, output_padding=1),
        "dilation 2, stride 1, decimals": conv_transpose2d_trace(x / 4, w[:2, :2], dilation=2),
        "3x3 input, overlapping": conv_transpose2d_trace(np.arange(9.0).reshape(3, 3) - 4, w, stride=1),
    }


@pytest.mark.parametrize("name", list(scatter_traces()))
def test_a_scatter_window_plays_one_step_per_input_cell_with_the_traces_numbers(name):
    trace = scatter_traces()[name]
    with tempconfig(DRY):
        piece = kit.ScatterWindow(trace, theme=Theme.solarized(), detailed=2)
        assert piece.n_steps == len(trace.scatter) == trace.input.size
        assert piece.input.shape == trace.input.shape and piece.canvas.shape == trace.canvas.shape
        assert within(box(piece), safe_box())

        def check(n):
            st = trace.scatter[n]
            panel = shown_panel(piece)
            if n < 2:  # the scaled copy: its numbers and a_i × W
                words = texts_of(panel)
                assert words == [fmt(v) for v in st.contribution.ravel()] + [f"{fmt(st.value)}×W"]
            else:
                assert panel is None
            # the canvas shows the running sums of the cells reached so far
            reached = {tuple(c) for s in trace.scatter[:n + 1] for c in s.cells}
            assert visible_numbers(piece.canvas) == {c: fmt(st.canvas[c]) for c in reached}
            assert np.allclose(piece.in_box.get_center(), piece.input.cell(*st.in_pos).get_center())

        play_all(piece, check)
        expected = {(i, j): fmt(trace.canvas[i, j]) for i, j in np.ndindex(trace.canvas.shape)}
        assert visible_numbers(piece.canvas) == expected  # conclude filled the cells no copy reached
        # the crop keeps the output: outside it numbers are muted, as are cells no copy reached
        p0, p1 = trace.padding
        oh, ow = trace.output.shape
        assert box(piece.crop_box()) == pytest.approx(box(kit.cells_box(piece.canvas, [(p0, p1), (p0 + oh - 1,
                                                                                               p1 + ow - 1)], "#000")))
        reached = {tuple(c) for s in trace.scatter for c in s.cells}
        t = Theme.solarized()
        for (i, j), number in piece.canvas._number_at.items():
            inside = p0 <= i < p0 + oh and p1 <= j < p1 + ow
            if inside:
                assert fmt(trace.output[i - p0, j - p1]) == number.text
            colour = t.text if inside and (i, j) in reached else t.muted
            assert number.get_color().to_hex() == colour, ((i, j), inside)


def test_scatter_window_refuses_other_traces_and_names():
    with pytest.raises(TypeError, match="TransposedConvTrace"):
        kit.ScatterWindow(conv2d_trace(np.ones((3, 3)), np.ones((2, 2))))
    with pytest.raises(ValueError, match="three texts"):
        kit.ScatterWindow(scatter_traces()["lecture"], names=("a", "W"))


# ----------------------------------------------------------------- RoutingWindow
def routings() -> dict[str, object]:
    lecture = BackpropPoolParams(input=[[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]],
                                 delta=[[1, -2], [3, 4]])
    overlapping = BackpropPoolParams(input_size=4, size=2, stride=1, seed=3)
    out = {}
    for label, params in (("lecture", lecture), ("stride 1, overlapping", overlapping),
                          ("5x5, stride 2", BackpropPoolParams(input_size=5, size=2, seed=5))):
        for mv in scene_values("backprop_pool", params).data["modes"]:
            out[f"{label}, {mv.mode}"] = mv
    return out


@pytest.mark.parametrize("name", list(routings()))
def test_a_routing_window_plays_one_step_per_window_with_the_traces_numbers(name):
    routing = routings()[name]
    back, steps = routing.back, routing.steps
    with tempconfig(DRY):
        piece = kit.RoutingWindow(routing, theme=Theme.dark(), detailed=2)
        assert piece.n_steps == len(steps) == len(back.trace.steps)
        assert {(i, j): n.text for (i, j), n in piece.output._number_at.items()} == {
            c: fmt(back.trace.output[c]) for c in np.ndindex(back.trace.output.shape)}
        assert {c: n.text for c, n in piece.delta._number_at.items()} == {
            c: fmt(back.delta[c]) for c in np.ndindex(back.delta.shape)}
        assert within(box(piece), safe_box())
        written: set[tuple[int, int]] = set()

        def check(n):
            st = steps[n]
            panel = shown_panel(piece)
            if n < 2:
                words = texts_of(panel)
                head = (f"δ={fmt(st.delta)}" if routing.mode == "max"
                        else f"δ÷{st.divisor}={fmt(float(np.ravel(st.shares)[0]))}")
                assert words == [head, "→"]
                if routing.mode == "max":  # the maximum marked in A, on the step's argmax
                    mark = panel[1]
                    assert np.allclose(mark.get_center(), piece.input.cell(*st.chosen).get_center())
            else:
                assert panel is None
            for cell, share in zip(st.cells, np.ravel(st.shares)):
                if share != 0 or tuple(cell) not in written:
                    written.add(tuple(cell))
            assert visible_numbers(piece.grad) == {c: fmt(st.running[c]) for c in written}

        play_all(piece, check)
        assert visible_numbers(piece.grad) == {c: fmt(back.grad_input[c]) for c in np.ndindex(back.grad_input.shape)}


def test_routing_window_refuses_what_it_cannot_draw():
    with pytest.raises(TypeError, match="routing"):
        kit.RoutingWindow(conv2d_trace(np.ones((3, 3)), np.ones((2, 2))))
    with pytest.raises(ValueError, match="four texts"):
        kit.RoutingWindow(routings()["lecture, max"], names=("A", "δ"))


# ----------------------------------------------------------------- ChannelSum
def channel_cases() -> dict[str, tuple]:
    out = {}
    for label, params in (("lecture", MultichannelParams(in_channels=3, out_channels=2, size=4)),
                          ("2 in, 3 out, 2x2 kernels", MultichannelParams(in_channels=2, out_channels=3, size=3,
                                                                          kernel_size=2, seed=4))):
        v = scene_values("multichannel", params)
        out[label] = (v.data["trace"], v.arrays["channel_sums"], {})
    rng = np.random.default_rng(2)
    padded = conv2d_trace(rng.integers(-2, 3, (2, 3, 3)).astype(float), rng.integers(-1, 2, (1, 2, 2, 2)).astype(float),
                          padding=1, stride=2, bias=[0.5])
    # (a test may add up products: it checks that the piece draws what it is given)
    sums = [[float(s.products[c].sum()) for c in range(2)] for s in padded.steps]
    out["padding 1, stride 2, bias 0.5"] = (padded, sums, {"output_columns": 1})
    out["no channel sums"] = (padded, None, {})
    return out


def term(v: float) -> str:
    return f"({fmt(v)})" if v < 0 else fmt(v)


@pytest.mark.parametrize("name", list(channel_cases()))
def test_a_channel_sum_plays_one_step_per_output_cell_with_the_traces_numbers(name):
    trace, sums, options = channel_cases()[name]
    c_out, c_in = trace.kernel.shape[:2]
    with tempconfig(DRY):
        piece = kit.ChannelSum(trace, channel_sums=sums, theme=Theme.solarized(), detailed=3, **options)
        assert piece.n_steps == len(trace.steps)
        assert len(piece.inputs) == c_in and len(piece.outputs) == c_out and len(piece.kernels) == c_out
        for ch, grid in enumerate(piece.inputs):
            assert {c: n.text for c, n in grid._number_at.items()} == {
                c: fmt(trace.padded_input[ch][c]) for c in np.ndindex(grid.shape)}
        for o in range(c_out):
            for ch in range(c_in):
                assert [n.text for n in piece.kernels[o][ch].numbers] == [fmt(x) for x in trace.kernel[o, ch].ravel()]
            assert texts_of(piece.biases[o]) == [f"b{kit.subscript(o + 1)}={fmt(trace.bias[o])}"]
        assert within(box(piece), safe_box())

        def check(n):
            st = trace.steps[n]
            # only the kernels of the step's output channel show
            assert [is_visible(VGroup(k, names)) for k, names in zip(piece.kernels, piece.kernel_names)] == [
                o == st.out_channel for o in range(c_out)]
            for grid, window in zip(piece.inputs, piece.boxes):
                assert box(window) == pytest.approx(box(kit.cells_box(grid, st.cells, "#000")))
            panel = shown_panel(piece)
            if n < 3:
                words = texts_of(panel)
                if sums is None:
                    assert words == [f"Σ+b={fmt(st.total)}+{term(st.bias)}={fmt(st.value)}"]
                else:
                    expected = [term(sums[n][0])]
                    for s in sums[n][1:]:
                        expected += [term(s), "+"]
                    assert words == expected + [f"+{term(st.bias)}", f"={fmt(st.value)}"]
                    for ch in range(c_in):  # each channel's sum under its kernel
                        assert panel[0 if ch == 0 else 2 * ch - 1].get_x() == pytest.approx(
                            piece.kernels[0][ch].get_x())
                    assert panel.get_top()[1] < piece.kernels.get_bottom()[1]
            else:
                assert panel is None

        play_all(piece, check)
        for o, grid in enumerate(piece.outputs):
            assert visible_numbers(grid) == {c: fmt(trace.output[o][c]) for c in np.ndindex(grid.shape)}


def test_a_channel_sum_writes_its_names_at_the_size_asked_and_its_numbers_as_before():
    trace, sums, _ = channel_cases()["lecture"]
    with tempconfig(DRY):
        plain = kit.ChannelSum(trace, channel_sums=sums, cell=0.6, fit=False)
        named = kit.ChannelSum(trace, channel_sums=sums, cell=0.6, fit=False, name_font_size=30)
        assert plain.text_size == pytest.approx(36 * 0.6) and named.text_size == 30
        for mob in (named.input_names, named.kernel_names[0], named.output_names):
            assert all(n.font_size == pytest.approx(30) for n in mob)
        # the grids, the biases and the working keep the cell's sizes; the names sit by their grids as before
        for a, b in zip([*plain.inputs, *plain.kernels[0], *plain.outputs], [*named.inputs, *named.kernels[0],
                                                                          *named.outputs]):
            assert a.font_size == b.font_size and a.cell_size == b.cell_size
        assert [m.font_size for m in named.biases] == [m.font_size for m in plain.biases]
        for name, grid in zip(named.input_names, named.inputs):
            assert name.get_bottom()[1] == pytest.approx(grid.get_top()[1] + 0.15 * 0.6)
        assert named.height > plain.height  # larger names: a taller piece, nothing overlapping
        for name, grid, kernel in zip(named.kernel_names[0], named.inputs, named.kernels[0]):  # between the two
            assert kernel.get_top()[1] < name.get_bottom()[1] < name.get_top()[1] < grid.get_bottom()[1]
        with pytest.raises(ValueError, match="name_font_size"):
            kit.ChannelSum(trace, channel_sums=sums, name_font_size=0)


def test_a_channel_sum_with_large_names_keeps_its_rows_of_output_maps_apart():
    trace, sums, _ = channel_cases()["2 in, 3 out, 2x2 kernels"]
    with tempconfig(DRY):
        for size in (None, 30, 40):
            piece = kit.ChannelSum(trace, channel_sums=sums, cell=0.5, fit=False, output_columns=2,
                                   name_font_size=size)
            # the third map starts a second row: its name under the first map's bias, nothing overlapping
            assert piece.outputs[2].get_x() == pytest.approx(piece.outputs[0].get_x())
            assert piece.output_names[2].get_top()[1] < piece.biases[0].get_bottom()[1]


def test_channel_sum_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="no groups"):
        kit.ChannelSum(conv2d_trace(np.ones((3, 3)), np.ones((2, 2))))
    with pytest.raises(ValueError, match="no groups"):
        kit.ChannelSum(conv2d_trace(np.ones((2, 3, 3)), np.ones((2, 1, 2, 2)), groups=2))
    trace, sums, _ = channel_cases()["lecture"]
    with pytest.raises(ValueError, match="channel_sums"):
        kit.ChannelSum(trace, channel_sums=sums[:-1])
    with pytest.raises(TypeError, match="ConvTrace"):
        kit.ChannelSum(np.ones((2, 3, 3)))


# ----------------------------------------------------------------- legibility, scaling, fitting helpers
def digit_height(grid: kit.NumberGrid) -> float:
    """The height of the grid's single-digit numbers as drawn (after any scaling)."""
    return max(n.height for n in grid.numbers if n.text in "0123456789")


def test_the_pieces_numbers_are_at_least_16_pixels_tall_at_480p_when_fitted():
    px = 480 / 8.0
    trace, sums, _ = channel_cases()["lecture"]
    with tempconfig(DRY):
        scatter = kit.ScatterWindow(scatter_traces()["lecture"])
        routing = kit.RoutingWindow(routings()["lecture, max"])
        channels = kit.ChannelSum(trace, channel_sums=sums)
        for grid in (scatter.input, scatter.kernel, routing.input, routing.output, routing.delta,
                     *channels.inputs, *channels.kernels[0]):
            assert digit_height(grid) * px >= 16, grid
        scene = dry_scene()
        scene.add(scatter, routing, channels)
        for piece, grid in ((scatter, scatter.canvas), (routing, routing.grad), (channels, channels.outputs[0])):
            for step in piece.steps():
                scene.play(step)
            assert digit_height(grid) * px >= 16, grid


def test_a_piece_follows_its_mobject_when_the_teacher_moves_and_scales_it():
    with tempconfig(DRY):
        scene = dry_scene()
        piece = kit.ScatterWindow(scatter_traces()["padding 1"], labels=False)
        piece.scale(0.5).to_corner([-1, 1, 0])
        scene.add(piece)
        for step in piece.steps():
            scene.play(step)
        scene.play(piece.conclude())
        number = piece.canvas.number(2, 2)
        assert np.allclose(number.get_center(), piece.canvas.cell(2, 2).get_center())
        assert number.height == pytest.approx(piece.input.number(0, 0).height, rel=0.1)
        assert within(box(piece.canvas.numbers), box(piece.canvas))


def test_recast_as_padding_and_worded():
    t = Theme.dark()
    g = kit.recast(t, input="gradient", output="gradient")
    assert (g.input, g.output, g.kernel, g.name) == (t.gradient, t.gradient, t.kernel, t.name)
    with pytest.raises(ValueError, match="unknown colour role"):
        kit.recast(t, input="nope")
    grid = kit.NumberGrid([[0.0, 1.0], [2.0, 0.0]], theme=t, role="gradient")
    kit.as_padding(grid, [[True, False], [False, True]])
    ref = kit.NumberGrid([[0.0]], theme=t, padding_mask=[[True]])
    assert grid.cell(0, 0).get_stroke_color().to_hex() == ref.cells[0].get_stroke_color().to_hex() == t.padding
    assert grid.cell(0, 1).get_stroke_color().to_hex() == t.gradient
    assert grid.number(1, 1).get_color().to_hex() == t.muted and grid.number(1, 0).get_color().to_hex() == t.text
    with pytest.raises(ValueError, match="mask"):
        kit.as_padding(grid, [[True]])
    built = []
    build = kit.worded({"window": "窗口"}, lambda s, **kw: built.append(s) or Text(s, **kw))
    assert build("window", font_size=20).text == "窗口" and build("max = 9", font_size=20).text == "max=9"
    assert built == ["窗口", "max = 9"]
    # a sliding window speaks the lecture's language through its text builder
    with tempconfig(DRY):
        from cnnviz import max_pool2d_trace

        window = kit.SlidingWindow(max_pool2d_trace(np.arange(16.0).reshape(4, 4), 2), text=kit.worded(
            {"window": "窗口", "max 2×2": "最大 2×2"}))
        assert "最大2×2" in texts_of(window.ops)
        step = next(window.steps())
        assert "窗口" in texts_of(window.transients)
        del step


@pytest.mark.parametrize("module", ["piece", "scatter", "routing", "channels", "adapt"])
def test_the_pieces_docstring_examples_hold(module):
    import importlib

    with tempconfig(DRY):
        result = doctest.testmod(importlib.import_module(f"scenes.kit.{module}"), extraglobs={"np": np},
                                 optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_importing_the_pieces_changes_nothing_in_manim():
    result = import_and_compare("import scenes.kit.scatter, scenes.kit.routing, scenes.kit.channels, "
                                "scenes.kit.adapt, scenes.kit.piece")
    assert result["changed"] == []
    assert not [m for m in result["modules"] if m.startswith(("scenes.common", "scenes.speed"))], result["modules"]
    assert {"scenes.kit.scatter", "scenes.kit.routing", "scenes.kit.channels"} <= set(result["modules"])
