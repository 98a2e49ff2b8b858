"""The render-speed measures of ``scenes/speed.py`` keep every pixel: unit checks and frame hashes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from manim import DOWN, LEFT, RIGHT, UP, Circle, FadeIn, Rotate, Square, Text, Transform, VGroup

from scenes.speed import cached_text, raise_moving, share_parsed_svg_paths

ROOT = Path(__file__).resolve().parents[1]


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


def test_copies_share_the_parsed_glyph_paths_and_keep_their_points():
    share_parsed_svg_paths()
    text = Text("δ 0.5", font="Noto Sans CJK SC")
    copy = text.copy()
    for x, y in zip(text.family_members_with_points(), copy.family_members_with_points(), strict=True):
        assert y.path_obj is x.path_obj
        np.testing.assert_array_equal(x.points, y.points)
        assert y.points is not x.points


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
    elif sys.argv[1] == "naive":  # raise without looking at overlaps: must change pixels in the probe scene
        import scenes.speed
        scenes.speed._overlap = lambda a, b: False
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
            self.play(FadeOut(box), FadeIn(Square(0.5).move_to(UP * 2)), run_time=0.6)
''')


def frame_hashes(mode: str, scene_file: Path, cls: str, tmp_path: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", HASHER, mode, str(scene_file), cls, str(tmp_path / mode)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    line = [s for s in done.stdout.splitlines() if s.startswith("HASHES")]
    assert done.returncode == 0 and line, done.stdout[-2000:] + done.stderr[-2000:]
    return line[0].split()[1:]


@pytest.mark.slow
def test_raising_keeps_every_frame_of_a_probe_scene_where_naive_raising_would_not(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    off, on, naive = (frame_hashes(m, probe, "Probe", tmp_path) for m in ("off", "on", "naive"))
    assert len(off) > 5
    assert on == off
    assert naive != off  # the probe can tell: drawing the box over the circle shows


@pytest.mark.slow
def test_raising_keeps_every_frame_of_a_lecture_scene(tmp_path):
    scene = ROOT / "scenes" / "conv2d.py"
    assert frame_hashes("on", scene, "SlideKernelOverImage", tmp_path) == \
        frame_hashes("off", scene, "SlideKernelOverImage", tmp_path)


def test_built_texts_are_kept_on_disk_and_come_back_equal(tmp_path, monkeypatch):
    from manim import config

    from scenes.speed import _stored_text

    monkeypatch.setattr(config, "text_dir", str(tmp_path / "texts"))
    kwargs = (("color", "#ECECEC"), ("font", "Noto Sans CJK SC"), ("font_size", 26))
    built = _stored_text("The kernel slides over the input.", kwargs)
    stored = list((tmp_path / "texts" / "built").glob("*.pkl"))
    assert len(stored) == 1
    again = _stored_text("The kernel slides over the input.", kwargs)  # read back from the file
    assert again is not built
    for x, y in zip(built.family_members_with_points(), again.family_members_with_points(), strict=True):
        np.testing.assert_array_equal(x.points, y.points)
        np.testing.assert_array_equal(x.fill_rgbas, y.fill_rgbas)
    stored[0].write_bytes(b"truncated")  # a broken file is rebuilt, not trusted
    np.testing.assert_array_equal(_stored_text("The kernel slides over the input.", kwargs).get_all_points(),
                                  built.get_all_points())


def test_compositing_a_picture_in_its_box_gives_the_whole_frame_composite():
    from PIL import Image

    from scenes.speed import _overlay_in_box

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
