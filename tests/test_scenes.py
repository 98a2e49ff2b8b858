"""Every scene renders at a tiny resolution with plain ``manim``, writes its JSON, and stays in frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.registry import SCENES

ROOT = Path(__file__).resolve().parents[1]
READY = [s for s in SCENES if (ROOT / s.path).exists()]


def manim_tiny(scene_file: Path, cls: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run plain manim on one scene at 160x90, 5 fps, media in ``tmp_path/media``; the finished process."""
    cmd = [sys.executable, "-m", "manim", "render", "-r", "160,90", "--frame_rate", "5", "--media_dir",
           str(tmp_path / "media"), "--disable_caching", "-v", "WARNING", str(scene_file), cls]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CNNVIZ_") or k == "CNNVIZ_DATA_DIR"}
    return subprocess.run(cmd, cwd=tmp_path, env={**full_env, **env}, capture_output=True, text=True, timeout=600)


#: scenes whose every frame keeps the layout rules (no glyph under 16 px at 480 lines, nothing within 5 % of
#: an edge); measured on the default lecture, 2026-12-02
LAYOUT_CLEAN = {"conv1d", "conv2d", "dilated", "stride_padding", "pooling", "transposed", "image_filters",
                "receptive_field", "backprop_conv", "backprop_pool", "group_conv", "depthwise_separable", "lenet",
                "alexnet", "residual", "conv_theorem", "local_connectivity", "mnist_training", "inception",
                "trends", "multichannel", "error_flow", "mnist_architecture",
                "mnist_features"}
#: the forward-operation scenes ask before they show (LectureScene.ask): the deck holds on the question
ASKS = {"conv1d", "conv2d", "dilated", "stride_padding", "pooling", "transposed", "residual", "inception", "trends"}


def render_tiny(info, tmp_path: Path, **env: str) -> tuple[Path, dict]:
    """Render one scene with plain manim at 160x90, 5 fps; return the clip and its JSON."""
    done = manim_tiny(ROOT / info.path, info.cls, tmp_path, **env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    clips = list((tmp_path / "media").rglob(f"{info.cls}.mp4"))
    assert len(clips) == 1, f"expected one clip, found {clips}"
    doc = json.loads((clips[0].parent / f"{info.id}.json").read_text(encoding="utf-8"))
    return clips[0], doc


@pytest.mark.parametrize("cls", ["Short", "Fails"])
def test_a_pipeline_scene_process_exits_early_only_after_a_whole_render(cls, tmp_path, short_and_failing_scenes):
    """The pipeline's scene processes skip Python's teardown (CNNVIZ_EXIT_AFTER_RENDER): a render that
    finished has written its clip and JSON and exits 0; one that failed still exits 1 with its error."""
    done = manim_tiny(short_and_failing_scenes, cls, tmp_path, CNNVIZ_EXIT_AFTER_RENDER="1")
    media = tmp_path / "media"
    if cls == "Short":
        assert done.returncode == 0, done.stderr[-3000:]
        clip = next(media.rglob("Short.mp4"))
        assert clip.stat().st_size > 500
        assert json.loads((clip.parent / "conv2d.json").read_text(encoding="utf-8"))["scene"] == "conv2d"
    else:
        assert done.returncode == 1
        assert "this scene fails on purpose" in done.stdout + done.stderr
        assert not list(media.rglob("Fails.mp4"))


@pytest.mark.slow
@pytest.mark.parametrize("info", READY, ids=[s.id for s in READY])
def test_scene_renders_in_frame_with_json(info, tmp_path):
    clip, doc = render_tiny(info, tmp_path)
    assert clip.stat().st_size > 1000
    assert doc["scene"] == info.id
    assert doc["arrays"], "the JSON must hold the numbers shown on screen"
    from cnnviz.script import load_script

    script = load_script(info.id)
    if script is not None:  # every line of the scene's script is spoken (no dead words), and in order of the file
        spoken = [n["key"] for n in doc["narration"] if n.get("key")]
        assert set(spoken) <= set(script.lines)
        # a line with `when:` is said only for some inputs (a layer kind the course's model does not have)
        assert set(script.always) <= set(spoken), f"script lines never said: {set(script.always) - set(spoken)}"
    # the layout rules (LectureScene.layout_check), held where a scene keeps them already (a ratchet: a scene
    # that comes to keep them joins the list); nothing may leave the 5 % safe area
    problems = doc["layout"]
    if info.id in LAYOUT_CLEAN:
        assert problems == [], problems
    assert not [p for p in problems if p["kind"] == "outside safe area"], problems
    if info.id in ASKS:  # at least one prediction step, its question spoken before the answer is shown
        assert doc["predictions"], "no prediction step"
        spoken = {n["key"]: n["start"] for n in doc["narration"] if n.get("key")}
        for ask in doc["predictions"]:
            assert ask["key"] in spoken and ask["text"]
    starts = [(n["start"], n["end"]) for n in doc["narration"]]
    assert all(e1 <= s2 + 1e-6 for (_, e1), (s2, _) in zip(starts, starts[1:])), "spoken lines overlap"
    assert doc["out_of_frame"] == [], "\n".join(doc["out_of_frame"])
    if (clip.parent / "narration.wav").exists():  # spoken (espeak-ng): the track encoded during the render
        assert sound_packets(clip) == encoded_mix(clip.parent / "narration.wav", tmp_path), \
            "the clip's sound is not the finished mix encoded (cnnviz.sound.NarrationEncoder)"


def sound_packets(path: Path) -> list[bytes]:
    """The AAC frames of ``path``'s sound (an ADTS file's packets without their 7-byte headers, as in a clip)."""
    import av

    with av.open(str(path)) as c:
        adts = c.format.name == "aac"
        return [bytes(p)[7:] if adts else bytes(p) for p in c.demux(audio=0) if p.size]


def encoded_mix(wav: Path, tmp_path: Path) -> list[bytes]:
    """``wav`` encoded after the render, as a render did before it streamed the encoding (its packets)."""
    from cnnviz.sound import encode_narration

    encode_narration(wav, tmp_path / "mix.aac")
    return sound_packets(tmp_path / "mix.aac")


@pytest.mark.slow
def test_chinese_solarized_variant_renders(tmp_path):
    info = next(s for s in READY if s.id == "conv2d")
    _, doc = render_tiny(info, tmp_path, CNNVIZ_LANGUAGE="zh", CNNVIZ_THEME="solarized")
    assert (doc["language"], doc["theme"]) == ("zh", "solarized")
    assert doc["out_of_frame"] == []


def test_a_scene_draws_the_values_the_pipeline_hands_it(tmp_path, monkeypatch, clean_cnnviz_env):
    """The pipeline computes values in its own process; the scene must draw those, not recompute them,
    and must recompute when the file is for other parameters."""
    from cnnviz.config import scene_entry
    from cnnviz.values import save_values, scene_values
    from scenes.conv2d import SlideKernelOverImage

    params = scene_entry("conv2d")[1].params
    handed = scene_values("conv2d", params)
    handed.arrays["handed_in"] = True
    save_values(tmp_path / "v.pkl", "conv2d", params, handed)
    monkeypatch.setenv("CNNVIZ_VALUES", str(tmp_path / "v.pkl"))
    scene = SlideKernelOverImage()
    scene.setup()
    assert scene.values.arrays.get("handed_in") is True
    save_values(tmp_path / "v.pkl", "conv2d", params.model_copy(update={"seed": params.seed + 1}), handed)
    scene = SlideKernelOverImage()
    scene.setup()
    assert "handed_in" not in scene.values.arrays


def test_the_pipeline_cache_folder_holds_latex_and_pango_output(tmp_path, monkeypatch, clean_cnnviz_env):
    from manim import config

    from scenes.conv2d import SlideKernelOverImage

    monkeypatch.setenv("CNNVIZ_MANIM_CACHE", str(tmp_path / "cache"))
    old = config.tex_dir, config.text_dir
    try:
        SlideKernelOverImage().setup()
        assert (config.get_dir("tex_dir"), config.get_dir("text_dir")) == (tmp_path / "cache" / "Tex",
                                                                            tmp_path / "cache" / "texts")
    finally:
        config.tex_dir, config.text_dir = old


@pytest.mark.parametrize("language", ["en", "zh"])
def test_pooling_puts_its_two_outputs_side_by_side_without_overlap(language, monkeypatch, clean_cnnviz_env):
    """After the first mode's walk its output moves aside and the second mode's comes in its place: the mean's
    cells are widened for "3.25", so the aside must be measured from the second output (and its name), not the
    first; seen in the lecture as the max grid over the mean grid's corner (2026-12-06). The row stays inside
    the safe area."""
    from manim import VGroup, config, tempconfig

    from scenes.common import SAFE_MARGIN
    from scenes.pooling import PoolWindows

    monkeypatch.setenv("CNNVIZ_LANGUAGE", language)
    monkeypatch.setenv("CNNVIZ_VOICE", "none")
    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "WARNING"}):
        scene = PoolWindows()
        scene.setup()
        wins = scene.windows()
        first, second = (wins[m] for m in scene.values.order)
        moved = VGroup(first.output, first.name_labels[-1]).copy().shift(scene.slot)
        beside = VGroup(second.output, second.name_labels[-1], second.ops)
        assert moved.get_left()[0] > beside.get_right()[0] + 0.1
        inside = config.frame_width / 2 * (1 - 2 * SAFE_MARGIN)
        assert -inside < first.get_left()[0] and moved.get_right()[0] < inside
