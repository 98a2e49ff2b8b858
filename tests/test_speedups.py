"""The render-speed measures (``scenes/speedups/drawing.py``, ``speedups/copies.py``, ``speedups/paths.py``, ``speedups/latex.py``;
``speedups/interpolate.py`` and ``speedups/ahead.py`` have test modules of their own) keep every pixel: unit checks
against Manim's own code, and frame hashes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from manim import (DOWN, LEFT, RED, RIGHT, UP, Circle, Create, Dot, FadeIn, FadeOut, Group, ImageMobject, ManimColor,
                   MathTex, Mobject, Polygon, Rotate, Square, Text, Transform, UpdateFromFunc, VGroup, VMobject, Wait,
                   Write)
from manim.camera.camera import Camera

import scenes.speedups.copies
import scenes.speedups.drawing
from scenes import speedups
from scenes.kit import conceal, reveal
from scenes.speedups.drawing import (cached_formula, cached_text, forget_display_lists, frame_extent, keep_display_lists,
                                     raise_moving, updaters_in_play)
from scenes.speedups.copies import _fade_out_begin, _fast_deepcopy, manim_deepcopy, manim_fade_out_begin
from scenes.speedups.ahead import reference_spoken, reference_typeset
from scenes.speedups.paths import _fast_set_path, manim_cairo_path

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("speedups_installed")


def begun(*animations):
    for a in animations:
        a.begin()
    return list(animations)


def names(mobjects):
    return [m.name for m in mobjects]


def named(mob, name):
    mob.name = name
    return mob


# ----------------------------------------------------------------- raise_moving
def test_animated_mobject_rises_above_still_ones_it_does_not_touch():
    box = named(Square(0.5).move_to(LEFT * 4), "box")
    grid = named(Square(2).move_to(RIGHT * 2), "grid")
    caption = named(Text("caption").to_edge(DOWN), "caption")
    scene = [box, grid, caption]
    raise_moving(scene, begun(Transform(box, Square(0.5).move_to(LEFT * 3))))
    assert names(scene) == ["grid", "caption", "box"]


def test_animated_mobject_stays_below_a_still_one_it_reaches():
    box = named(Square(0.5).move_to(LEFT * 4), "box")
    over = named(Circle(0.5).move_to(LEFT * 2), "over")  # drawn over the box's path
    scene = [box, over]
    raise_moving(scene, begun(Transform(box, Square(0.5).move_to(LEFT * 1))))  # passes under `over`
    assert names(scene) == ["box", "over"]


def test_reach_includes_the_target_not_only_the_start():
    box = named(Square(0.5).move_to(LEFT * 4), "box")
    far = named(Circle(0.3).move_to(RIGHT * 4), "far")
    scene = [box, far]
    raise_moving(scene, begun(Transform(box, Square(0.5).move_to(RIGHT * 4))))
    assert names(scene) == ["box", "far"]


def test_order_is_left_alone_when_an_animation_may_leave_its_boxes():
    box = named(Square(0.5).move_to(LEFT * 4), "box")
    far = named(Circle(0.3).move_to(RIGHT * 4), "far")
    scene = [box, far]
    raise_moving(scene, begun(Rotate(box, angle=1.0, about_point=np.array([0.0, 3.0, 0.0]))))
    assert names(scene) == ["box", "far"]


def test_a_raised_mobject_never_passes_an_unraised_moving_one_it_touches():
    low = named(Square(0.5).move_to(LEFT * 4), "low")
    mid = named(Square(0.5).move_to(LEFT * 3.8), "mid")  # overlaps `low`
    top = named(Circle(0.5).move_to(LEFT * 2), "top")  # still, in `mid`'s way
    scene = [low, mid, top]
    raise_moving(scene, begun(FadeIn(low), Transform(mid, Square(0.5).move_to(LEFT * 2))))
    assert names(scene) == ["low", "mid", "top"]


def test_a_group_whose_part_animates_rises_whole():
    parts = named(VGroup(Square(0.4).move_to(UP * 2), Square(0.4).move_to(UP * 2 + RIGHT)), "parts")
    still = named(Circle(0.4).move_to(DOWN * 2), "still")
    scene = [parts, still]
    raise_moving(scene, begun(Transform(parts[1], Square(0.4).move_to(UP * 2 + RIGHT * 2))))
    assert names(scene) == ["still", "parts"]


def test_a_part_fading_in_place_rises_with_its_group_unless_a_still_one_covers_it():
    parts = named(VGroup(Square(0.4).move_to(UP * 2), Square(0.4).move_to(UP * 2 + RIGHT)), "parts")
    still = named(Circle(0.4).move_to(DOWN * 2), "still")
    scene = [parts, still]
    raise_moving(scene, begun(conceal(parts[1])))  # an OpacityFade draws within its mobject's box
    assert names(scene) == ["still", "parts"]
    over = named(Circle(0.4).move_to(UP * 2 + RIGHT), "over")  # drawn over the fading part
    scene = [parts, over]
    raise_moving(scene, begun(reveal(parts[1])))
    assert names(scene) == ["parts", "over"]


# ----------------------------------------------------------------- copies and cached text
def test_cached_text_equals_a_fresh_text_and_is_a_new_object_each_time():
    kw = dict(font="Noto Sans Mono CJK SC", font_size=26, color="#ECECEC")
    fresh = Text("-0.25", **kw)
    a, b = cached_text("-0.25", **kw), cached_text("-0.25", **kw)
    assert a is not b
    for x, y in zip(fresh.family_members_with_points(), a.family_members_with_points(), strict=True):
        np.testing.assert_array_equal(x.points, y.points)
        np.testing.assert_array_equal(x.fill_rgbas, y.fill_rgbas)
    a.shift(RIGHT)  # moving one copy leaves the next untouched
    np.testing.assert_array_equal(cached_text("-0.25", **kw).get_center(), fresh.get_center())


def test_cached_texts_drop_the_svg_groups_only_a_formula_reads_again():
    assert "id_to_vgroup_dict" not in cached_text("a b", font_size=20).__dict__
    assert cached_formula("a + b").id_to_vgroup_dict  # set_color_by_tex and get_part_by_tex use it


def test_copies_share_the_parsed_glyph_paths_and_keep_their_points():
    text = Text("δ 0.5", font="Noto Sans CJK SC")
    copy = text.copy()
    for x, y in zip(text.family_members_with_points(), copy.family_members_with_points(), strict=True):
        assert y.path_obj is x.path_obj
        np.testing.assert_array_equal(x.points, y.points)
        assert y.points is not x.points


# ----------------------------------------------------------------- fast copies
def assert_same_structure(a, b, path="copy", seen=None):
    """``a`` and ``b`` equal attribute by attribute (arrays: values, dtype and memory layout)."""
    seen = {} if seen is None else seen
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and (a.size == 0 or a.strides == b.strides), path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_structure(x, y, f"{path}[{i}]", seen)
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert_same_structure(a[k], b[k], f"{path}.{k}", seen)
    elif hasattr(a, "__dict__") and not callable(a):
        if id(a) not in seen:
            seen[id(a)] = True
            drop = ("original_id",)
            assert_same_structure({k: v for k, v in vars(a).items() if k not in drop},
                                  {k: v for k, v in vars(b).items() if k not in drop}, path, seen)
    else:
        assert a == b or a is b, path


def deep_copied(mobject, deepcopy_method):
    saved = Mobject.__deepcopy__
    Mobject.__deepcopy__ = deepcopy_method
    try:
        return copy.deepcopy(mobject)
    finally:
        Mobject.__deepcopy__ = saved


def test_fast_copy_equals_manims_copy_attribute_by_attribute():
    shared = Circle().set_fill(RED, 0.5)
    square = Square().rotate(0.3)
    square.shared_points = shared.points  # an array two mobjects hold: shared in the copy as well
    square.colors = [ManimColor("#58C4DD"), {"k": np.arange(3.0)}]
    square.fortran = np.asfortranarray(np.ones((3, 2)))  # layout kept, as ndarray.__deepcopy__ keeps it
    square.add_updater(lambda m: m)
    group = VGroup(cached_text("δ 0.25", font_size=30), MathTex(r"\delta"), shared, square)
    manims, ours = deep_copied(group, manim_deepcopy), deep_copied(group, _fast_deepcopy)
    assert_same_structure(manims, ours)
    assert ours[3].shared_points is ours[2].points and ours[2].points is not shared.points
    for original, copied in zip(group.get_family(), ours.get_family(), strict=True):
        assert copied is not original and copied.points is not original.points
    assert ours[3].colors[0] is not square.colors[0]


def faded_out(mobject, begin, alphas):
    """The family's points and colours of ``FadeOut(mobject)`` begun with ``begin``, at each alpha."""
    animation = FadeOut(mobject, shift=UP * 0.5)
    begin(animation)
    states = []
    for alpha in alphas:
        animation.interpolate(alpha)
        states.append([(m.points.copy(), m.fill_rgbas.copy(), m.stroke_rgbas.copy(), m.stroke_width)
                       for m in mobject.family_members_with_points()])
    return animation, states


def test_fade_out_with_one_copy_less_interpolates_as_manims():
    group = VGroup(cached_text("δ 0.25", font_size=30), Square().set_fill(RED, 0.4), Circle())
    alphas = [0.0, 0.37, 0.9, 1.0]
    manims_anim, manims = faded_out(group.copy(), manim_fade_out_begin, alphas)
    ours_anim, ours = faded_out(group.copy(), _fade_out_begin, alphas)
    assert ours_anim.target_copy is ours_anim.target_mobject  # the copy it saves
    assert manims_anim.target_copy is not manims_anim.target_mobject
    for frame_ours, frame_manims in zip(ours, manims, strict=True):
        for a, b in zip(frame_ours, frame_manims, strict=True):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_array_equal(x, y)


def test_fade_out_of_a_mobject_with_updaters_copies_as_manim_does():
    square = Square().add_updater(lambda m, dt: m.shift(RIGHT * dt))
    animation, _ = faded_out(square, _fade_out_begin, [0.5])
    assert animation.target_copy is not animation.target_mobject


def extent_cases() -> list[Mobject]:
    picture = ImageMobject(np.zeros((4, 6, 4), dtype=np.uint8)).move_to(LEFT * 3)
    one_point = VMobject().set_points(np.array([[1.0, 2.0, 0.0]]))
    # handles far above the anchors: a VMobject's boundary is its anchors, a plain Group's every point
    arch = VMobject().set_points(np.array([[0.0, 0, 0], [0, 5, 0], [1, 5, 0], [1, 0, 0]]))
    return [Square().rotate(0.3), Circle().move_to(RIGHT * 7), cached_text("卷积 0.25", font="Noto Sans CJK SC"),
            MathTex(r"\frac{\partial L}{\partial W}"), VGroup(Dot(UP * 3), Square(0.2).move_to(DOWN * 5)),
            Group(picture, Square(0.5)), Group(VGroup(Circle()), Dot(LEFT * 9)), one_point, VGroup(one_point.copy()),
            VGroup(), VGroup(VMobject()), Group(), arch, VGroup(arch.copy(), Dot()), Group(arch.copy(), Dot())]


def test_frame_extent_gives_manims_corners():
    for mob in extent_cases():
        extent = frame_extent(mob)
        low, high = mob.get_corner(LEFT + DOWN), mob.get_corner(RIGHT + UP)
        if extent is None:  # no boundary points: Manim reports the origin
            assert not low.any() and not high.any()
        else:
            assert extent == (low[0], low[1], high[0], high[1]), mob


# ----------------------------------------------------------------- fast Cairo paths
class RecordingContext:
    """Stands in for a ``cairo.Context``: records the path calls, with every number as a Python float (the
    matrix and the path copy the fast path keeps are not path calls)."""

    def __init__(self):
        self.calls = []

    def get_matrix(self):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    def copy_path(self):
        return None

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, *map(float, args)))


def path_calls(set_path, vmobject) -> list:
    ctx = RecordingContext()
    set_path(Camera(), ctx, vmobject)
    return ctx.calls


def path_cases() -> list[VMobject]:
    broken = VMobject().set_points(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 0],  # two subpaths
                                             [5, 5, 0], [6, 5, 0], [6, 6, 0], [5, 5, 0]], dtype=float))
    near = VMobject().set_points(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [2, 2, 0],  # anchors 1e-7 apart
                                           [2, 2 + 1e-7, 0], [3, 2, 0], [3, 3, 0], [0, 0, 0]], dtype=float))
    huge = VMobject().set_points(np.array([[1e308, 0, 0], [0, 0, 0], [0, 1, 0], [-1e308, 0, 0],  # overflows
                                           [-1e308, 0, 0], [1, 0, 0], [1, 1, 0], [1e308, 0, 0]]))
    bad = VMobject().set_points(np.array([[np.nan, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0]]))
    return [*Text("卷积 0.25", font="Noto Sans CJK SC").family_members_with_points(),
            *MathTex(r"\frac{\partial L}{\partial W}").family_members_with_points(),
            Circle(), Square().rotate(0.4), Polygon(LEFT, UP, RIGHT), broken, near, huge, bad, VMobject(),
            VMobject().set_points(np.zeros((2, 3)))]


def test_fast_cairo_path_makes_the_same_calls_as_manims():
    for vmobject in path_cases():
        assert path_calls(_fast_set_path, vmobject) == path_calls(manim_cairo_path, vmobject), vmobject


def drawn(set_path, vmobjects, camera) -> tuple[list, bytes]:
    """Each mobject's Cairo path and the pixels of filling and stroking them all, on the camera's context."""
    camera.reset()
    ctx = camera.get_cairo_context(camera.pixel_array)
    paths = []
    for vmobject in vmobjects:
        ctx.new_path()
        set_path(camera, ctx, vmobject)
        paths.append(list(ctx.copy_path()))
        ctx.set_source_rgba(1, 1, 1, 0.5)
        ctx.fill_preserve()
        ctx.set_line_width(0.02)
        ctx.stroke()
    return paths, camera.pixel_array.tobytes()


def test_a_kept_path_is_the_path_and_the_pixels_manims_call_makes_until_the_points_change():
    camera = Camera()
    cases = [m for m in path_cases() if len(m.points)]
    manims = drawn(manim_cairo_path, cases, camera)
    scenes.speedups.paths._kept_paths.clear()
    assert drawn(_fast_set_path, cases, camera) == manims  # built, and kept
    assert len(scenes.speedups.paths._kept_paths) == len(cases)
    assert drawn(_fast_set_path, cases, camera) == manims  # handed back from what was kept
    for m in cases:
        m.points[:, 0] += 0.25  # in place: the same arrays, other points
    assert drawn(_fast_set_path, cases, camera) == drawn(manim_cairo_path, cases, camera)


# ----------------------------------------------------------------- pixels, frame by frame
HASHER = textwrap.dedent('''
    import hashlib, sys
    from manim.scene.scene_file_writer import SceneFileWriter
    hashes = []
    write = SceneFileWriter.write_frame
    def hashed(self, pixels, *, repeat=1):
        hashes.extend([hashlib.sha1(pixels.tobytes()).hexdigest()] * repeat)
        return write(self, pixels, repeat=repeat)
    SceneFileWriter.write_frame = hashed
    if sys.argv[1] == "off":
        import scenes.common
        scenes.common.raise_moving = lambda mobjects, animations: None
    elif sys.argv[1] == "manim":  # every speed-up off (scenes.speedups.PATCHES and the scene's hooks)
        import os
        os.environ["CNNVIZ_SPEEDUPS"] = "0"
    elif sys.argv[1] == "unverified":  # a Manim the speed-ups were not verified on: skipped, one warning
        import scenes.speedups
        scenes.speedups.manim_version = lambda: "0.99.0"
    elif sys.argv[1] == "naive":  # raise without looking at overlaps: must change pixels in the probe scene
        import scenes.speedups.drawing
        scenes.speedups.drawing._overlap = lambda a, b: False
    from manim.__main__ import main
    path, cls, media = sys.argv[2:5]
    sys.argv = ["manim", "render", "-r", "160,90", "--frame_rate", "5", "--disable_caching", "--media_dir", media,
                "-v", "ERROR", "--progress_bar", "none", path, cls]
    try:
        main()
    except SystemExit:
        pass
    print("HASHES", " ".join(hashes))
''')

PROBE = textwrap.dedent('''
    from manim import DOWN, LEFT, RIGHT, UP, Circle, FadeIn, FadeOut, Square, Transform
    from scenes.common import LectureScene
    from scenes.kit import conceal


    class Probe(LectureScene):
        """Overlapping and separate mobjects, animated from low in the drawing order."""

        scene_id = "conv2d"

        def construct(self):
            box = Square(1.0, color="#58C4DD", fill_opacity=0.8).move_to(LEFT * 3)
            over = Circle(0.8, color="#F0AC5F", fill_opacity=0.8).move_to(LEFT * 1.5)
            aside = Square(0.8, color="#83C167", fill_opacity=0.8).move_to(RIGHT * 3 + UP)
            self.add(box, over, aside)
            self.play(Transform(box, box.copy().move_to(LEFT * 1.2)), run_time=0.6)  # under `over`
            self.play(Transform(aside, aside.copy().move_to(RIGHT * 3 + DOWN)), run_time=0.6)  # alone
            self.play(conceal(box), conceal(aside), run_time=0.6)  # fades in place: under `over`, alone
            self.play(FadeOut(box), FadeIn(Square(0.5).move_to(UP * 2)), run_time=0.6)
''')


def frame_hashes(modes: Sequence[str], scene_file: Path, cls: str, tmp_path: Path) -> list[list[str]]:
    """Each mode's frame hashes of ``cls``; the modes render at once (independent processes, media folders of
    their own: on the suite's two cores a pair takes little more than one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    runs = []
    for mode in modes:
        (tmp_path / mode).mkdir()
        # files, not pipes: nothing blocks on a full pipe; stderr apart, so nothing lands inside the HASHES line
        with open(tmp_path / mode / "out.txt", "w") as out, open(tmp_path / mode / "err.txt", "w") as err:
            runs.append(subprocess.Popen([sys.executable, "-c", HASHER, mode, str(scene_file), cls, str(tmp_path / mode)],
                                         cwd=ROOT, env=env, stdout=out, stderr=err))
    try:
        for run in runs:
            run.wait(timeout=600)
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    hashes = []
    for mode, run in zip(modes, runs, strict=True):
        out, err = ((tmp_path / mode / name).read_text() for name in ("out.txt", "err.txt"))
        line = [s for s in out.splitlines() if s.startswith("HASHES")]
        assert run.returncode == 0 and line, f"{mode}: {out[-2000:]}{err[-2000:]}"
        hashes.append(line[0].split()[1:])
    return hashes


@pytest.mark.slow
def test_raising_keeps_every_frame_of_a_probe_scene_where_naive_raising_would_not(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    off, on, naive = frame_hashes(("off", "on", "naive"), probe, "Probe", tmp_path)
    assert len(off) > 5
    assert on == off
    assert naive != off  # the probe can tell: drawing the box over the circle shows


@pytest.mark.slow
@pytest.mark.parametrize("scene_id, cls", [("conv2d", "SlideKernelOverImage"),  # fades, captions, numbers
                                           ("backprop_conv", "BackpropThroughConv"),  # replacements, rotation
                                           ("receptive_field", "GrowReceptiveField")])  # .animate
def test_speed_measures_keep_every_frame_of_a_lecture_scene(scene_id, cls, tmp_path):
    scene = ROOT / "scenes" / f"{scene_id}.py"
    on, manim = frame_hashes(("on", "manim"), scene, cls, tmp_path)
    assert on == manim
    # what a first render builds ahead (assets/typeset-ahead.json) is what this scene shows
    doc = json.loads(next((tmp_path / "on").rglob(f"{scene_id}.json")).read_text(encoding="utf-8"))
    assert doc["formulas"] and [(k, t, o) for k, t, o in doc["typeset"]] == reference_typeset(scene_id)
    # and the lines it speaks ahead (espeak-ng on a thread) are the lines it speaks
    assert [line["text"] for line in doc["narration"]] == reference_spoken(scene_id, doc["language"])


@pytest.mark.parametrize("kind, text", [("text", "The kernel slides over the input."),
                                        ("tex", r"\frac{\partial L}{\partial W} = A \otimes \delta")])
def test_built_texts_and_formulas_are_kept_on_disk_and_come_back_equal(kind, text, tmp_path, monkeypatch):
    from manim import config

    from scenes.speedups.drawing import _stored

    monkeypatch.setattr(config, "text_dir", str(tmp_path / "cache"))
    kwargs = (("color", "#ECECEC"), ("font_size", 26)) + ((("font", "Noto Sans CJK SC"),) if kind == "text" else ())
    built = _stored(kind, text, kwargs)
    stored = list((tmp_path / "cache" / "built").glob("*.pkl"))
    assert len(stored) == 1
    again = _stored(kind, text, kwargs)  # read back from the file
    assert again is not built
    assert_same_structure(built, again)
    fresh = (Text if kind == "text" else MathTex)(text, **dict(kwargs))
    for x, y in zip(fresh.family_members_with_points(), again.family_members_with_points(), strict=True):
        np.testing.assert_array_equal(x.points, y.points)
        np.testing.assert_array_equal(x.fill_rgbas, y.fill_rgbas)
    stored[0].write_bytes(b"truncated")  # a broken file is rebuilt, not trusted
    np.testing.assert_array_equal(_stored(kind, text, kwargs).get_all_points(), built.get_all_points())


# ----------------------------------------------------------------- LaTeX with a preloaded preamble
def test_preloaded_format_gives_the_same_svg_and_falls_back_when_broken(tmp_path, monkeypatch):
    from manim import config
    from manim.utils import tex_file_writing

    import scenes.speedups.latex as fast

    monkeypatch.setattr(fast, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(fast, "_formats", {})
    monkeypatch.setattr(config, "no_latex_cleanup", True)  # keep LaTeX's log
    svgs = {}
    for name, compile_tex in (("manim", fast.manim_compile_tex), ("preloaded", fast._compile_tex)):
        monkeypatch.setattr(config, "tex_dir", str(tmp_path / name))
        monkeypatch.setattr(tex_file_writing, "compile_tex", compile_tex)
        svgs[name] = tex_file_writing.tex_to_svg_file(r"\delta^{l} = \delta^{l+1} \tilde{\otimes} \mathrm{rot180}(W)",
                                                      environment="align*").read_bytes()
    assert svgs["preloaded"] == svgs["manim"]
    (log,) = (tmp_path / "preloaded").glob("*.log")
    assert "format=preamble" in log.read_text().splitlines()[0]  # LaTeX ran on the dumped preamble
    (fmt,) = (tmp_path / "cache" / "latex").glob("*.fmt")
    fmt.write_bytes(b"not a format")  # e.g. left by another TeX Live: Manim's own call, then it is dropped
    monkeypatch.setattr(config, "tex_dir", str(tmp_path / "again"))
    again = tex_file_writing.tex_to_svg_file(r"\delta^{l} = \delta^{l+1} \tilde{\otimes} \mathrm{rot180}(W)",
                                             environment="align*").read_bytes()
    assert again == svgs["manim"] and not fmt.exists()
    with pytest.raises(ValueError):  # a wrong formula still fails as in Manim
        tex_file_writing.tex_to_svg_file(r"\notamacro x", environment="align*")
    (tmp_path / "a file").write_text("")
    monkeypatch.setattr(fast, "cache_dir", lambda: tmp_path / "a file" / "cache")  # cannot be created
    monkeypatch.setattr(fast, "_formats", {})
    monkeypatch.setattr(config, "tex_dir", str(tmp_path / "unwritable cache"))
    assert fast.format_for_preamble(r"\documentclass{article}") is None
    assert tex_file_writing.tex_to_svg_file(r"\delta", environment="align*").exists()


def test_a_formula_needed_while_the_format_is_built_ahead_does_not_wait_and_the_format_is_built_once(
        tmp_path, monkeypatch):
    import threading

    from manim import config

    import scenes.speedups.latex as fast

    monkeypatch.setattr(fast, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(fast, "_formats", {})
    monkeypatch.setattr(fast.tex_file_writing, "compile_tex", fast._compile_tex)
    builds, started, go_on = [], threading.Event(), threading.Event()
    build = fast._build_format

    def held(preamble, target):  # the format's build, held until the formula below is done
        builds.append(target)
        started.set()
        go_on.wait(timeout=30)
        build(preamble, target)

    monkeypatch.setattr(fast, "_build_format", held)
    fast.format_ahead()
    assert started.wait(timeout=30)
    formula = r"\delta^{l} = \delta^{l+1} \tilde{\otimes} \mathrm{rot180}(W)"
    svgs, done = {}, threading.Event()

    def typeset(name):
        monkeypatch.setattr(config, "tex_dir", str(tmp_path / name))
        svgs[name] = fast.tex_file_writing.tex_to_svg_file(formula, environment="align*").read_bytes()
        done.set()

    threading.Thread(target=typeset, args=("meanwhile",), daemon=True).start()
    finished_meanwhile = done.wait(timeout=20)  # it would wait for go_on (30 s) if it waited for the format
    go_on.set()
    assert finished_meanwhile
    code = fast.tex_file_writing.config["tex_template"].get_texcode_for_expression_in_env(r"\delta", "align*")
    fmt = fast.format_for_preamble(code[: code.index(fast._BEGIN)])  # waits for the thread's build: its format
    assert fmt is not None and fmt.exists() and builds == [fmt]
    monkeypatch.setattr(fast.tex_file_writing, "compile_tex", fast.manim_compile_tex)
    typeset("manim")
    assert svgs["meanwhile"] == svgs["manim"]


def test_compositing_a_picture_in_its_box_gives_the_whole_frame_composite():
    from PIL import Image

    from scenes.speedups.drawing import _overlay_in_box

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (90, 160, 4), dtype=np.uint8)
    overlay = np.zeros_like(frame)  # a picture pasted into a transparent frame, as Manim does
    overlay[20:50, 30:70] = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    whole = np.array(Image.alpha_composite(Image.fromarray(frame, "RGBA"), Image.fromarray(overlay, "RGBA")))

    class Cam:
        image_mode = "RGBA"

    boxed = frame.copy()
    _overlay_in_box(Cam(), boxed, Image.fromarray(overlay, "RGBA"))
    np.testing.assert_array_equal(boxed, whole)
    untouched = frame.copy()
    _overlay_in_box(Cam(), untouched, Image.fromarray(np.zeros_like(frame), "RGBA"))
    np.testing.assert_array_equal(untouched, frame)


# ----------------------------------------------------------------- per-play measures
def scene(mobjects, animations, updaters=()):
    for a in animations:
        a.begin()
    return SimpleNamespace(mobjects=mobjects, animations=animations, updaters=list(updaters), meshes=[])


def test_a_play_with_no_updater_anywhere_has_none_in_play():
    shown, moving = Square(), Circle()
    assert not updaters_in_play(scene([shown, moving], [FadeIn(moving), Write(Text("a")), Wait(0.5)]))
    assert not updaters_in_play(scene([shown], [conceal(shown)]))  # the kit's fade writes alphas, runs no code


def test_an_updater_on_a_mobject_a_copy_the_scene_or_a_code_running_animation_counts():
    ticking = Square().add_updater(lambda m, dt: None)
    assert updaters_in_play(scene([VGroup(Circle(), ticking)], [FadeIn(Circle())]))  # deep in a still group
    copy_with_updater = Square()
    animation = Transform(Circle(), copy_with_updater)  # the target's copy carries the updater
    copy_with_updater.add_updater(lambda m, dt: None)
    assert updaters_in_play(scene([], [animation]))
    assert updaters_in_play(scene([], [FadeIn(Circle())], updaters=[lambda dt: None]))
    assert updaters_in_play(scene([], [UpdateFromFunc(Circle(), lambda m: None)]))
    before_begin = SimpleNamespace(mobjects=[], animations=[FadeIn(ticking.copy())], updaters=[], meshes=[])
    assert updaters_in_play(before_begin)  # the scene asks before the animations begin


def test_display_lists_are_flattened_once_per_play_and_only_where_nothing_can_change(monkeypatch):
    calls, manims = [], scenes.speedups.drawing.manim_mobjects_to_display

    def counted(camera, mobjects, *args):
        calls.append(1)
        return manims(camera, mobjects, *args)

    camera = Camera()
    shown = [VGroup(Square(), Circle()), Text("ab")]
    expected = manims(camera, shown)
    monkeypatch.setattr(scenes.speedups.drawing, "manim_mobjects_to_display", counted)
    monkeypatch.setattr(Camera, "get_mobjects_to_display", scenes.speedups.drawing._kept_mobjects_to_display)
    keep_display_lists(camera, [FadeIn(shown[1]), Wait(1), conceal(shown[0][1])], updaters=False)
    assert [camera.get_mobjects_to_display(shown) for _ in range(3)] == [expected] * 3
    assert len(calls) == 1
    forget_display_lists(camera)
    camera.get_mobjects_to_display(shown)
    assert len(calls) == 2
    for animations, updaters in (([Create(Square())], False), ([FadeIn(shown[1])], True)):
        keep_display_lists(camera, animations, updaters=updaters)
        camera.get_mobjects_to_display(shown)
        camera.get_mobjects_to_display(shown)
    assert len(calls) == 6  # Create may empty a member's points between frames; updaters may change anything


def test_install_replaces_every_listed_attribute_and_uninstall_restores_manims_own():
    speedups.uninstall()
    try:
        before = [p.owner().__dict__.get(p.attribute) for p in speedups.PATCHES]
        assert speedups.install() and speedups.active()
        assert all(p.owner().__dict__.get(p.attribute) is p.replacement() for p in speedups.PATCHES)
        speedups.uninstall()
        assert not speedups.active()
        assert [p.owner().__dict__.get(p.attribute) for p in speedups.PATCHES] == before
        assert Mobject.__deepcopy__ is scenes.speedups.copies.manim_deepcopy
    finally:
        speedups.install()  # as the module's fixture expects


def test_on_an_unverified_manim_nothing_is_installed_and_one_warning_line_says_so(monkeypatch, caplog):
    import logging

    speedups.uninstall()
    monkeypatch.setattr(speedups, "manim_version", lambda: "0.99.0")
    monkeypatch.setattr(speedups, "_warned", False)
    try:
        with caplog.at_level(logging.WARNING, logger="cnnviz.speedups"):
            assert not speedups.install()
            assert not speedups.install()
        assert not speedups.active() and Mobject.__deepcopy__ is scenes.speedups.copies.manim_deepcopy
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 1 and "0.99.0" in messages[0] and "0.22.0" in messages[0]
        assert not speedups.install(enabled=False)
    finally:
        monkeypatch.undo()
        speedups.install()


@pytest.mark.slow
def test_a_lecture_scene_renders_the_same_frames_on_an_unverified_manim(tmp_path):
    scene = ROOT / "scenes" / "conv2d.py"
    unverified, manim = frame_hashes(("unverified", "manim"), scene, "SlideKernelOverImage", tmp_path)
    assert unverified == manim
