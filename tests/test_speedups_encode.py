"""Frames handed to the encoder without a copy (``scenes/speedups/encode.py``): the same video as Manim's."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from manim._config.video_encoder import VideoEncoderSpec
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from scenes.speedups.encode import _write_frame_in_place, manim_write_frame

pytestmark = pytest.mark.usefixtures("speedups_installed")

LIBX264 = ("mp4", "libx264", "yuv420p", (("crf", "23"),))
QTRLE = ("mov", "qtrle", "argb", ())  # what Manim writes for transparent MP4: RGBA straight to the codec


def frames(width: int, height: int, count: int = 12) -> list[tuple[int, np.ndarray]]:
    """A short animation: a coloured square moving over a gradient, with stills repeated as in a wait."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    out = []
    for i in range(count):
        px = np.zeros((height, width, 4), np.uint8)
        px[..., 0], px[..., 1], px[..., 2], px[..., 3] = (x * 255) // width, (y * 255) // height, 20 * i, 255
        left = 3 + 5 * i
        px[10:40, left:left + 30, :3] = rng.integers(0, 256, 3)
        out.append((3 if i % 4 == 0 else 1, px))
    return out


def encode(write, path: Path, profile, width: int, height: int) -> list[bytes]:
    container, codec, pixel_format, options = profile
    spec = VideoEncoderSpec(container, codec, pixel_format, width, height, Fraction(15), options)
    encoder = VideoSegmentEncoder(target=path, spec=spec)
    for repeat, px in frames(width, height):
        write(encoder, px, repeat=repeat)
    encoder.finish()
    with av.open(str(path)) as video:
        return [bytes(p) for p in video.demux(video=0) if p.size]


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as video:
        return [f.to_ndarray(format="rgba") for f in video.decode(video=0)]


@pytest.mark.parametrize("profile", [LIBX264, QTRLE], ids=["h264", "qtrle"])
def test_same_video_as_manims_writer(tmp_path, profile):
    # 256 px: Manim's copy has no row padding at this width, so its bytes are deterministic too
    ours = encode(_write_frame_in_place, tmp_path / f"ours.{profile[0]}", profile, 256, 144)
    manims = encode(manim_write_frame, tmp_path / f"manim.{profile[0]}", profile, 256, 144)
    assert ours == manims
    assert len(decoded(tmp_path / f"ours.{profile[0]}")) == sum(r for r, _ in frames(256, 144))


def test_a_854_pixel_wide_frame_is_encoded_whole_and_alike_each_time(tmp_path):
    # 854 px wide, as -ql: a view's rows are 3416 bytes, not padded to an alignment as Manim's copies are.
    # With the pipeline's -ql x264 options: x264's AVX-512 code reads uninitialised memory at this width
    # (cnnviz.pipeline._x264_without_avx512), which would make two encodes differ on such a CPU.
    from cnnviz.pipeline import ENCODER_OPTIONS

    profile = (*LIBX264[:3], LIBX264[3] + tuple(sorted(ENCODER_OPTIONS["l"].items())))
    first = encode(_write_frame_in_place, tmp_path / "a.mp4", profile, 854, 120)
    again = encode(_write_frame_in_place, tmp_path / "b.mp4", profile, 854, 120)
    assert first == again
    # and what is shown is the frames given (lossy codec: close, not equal)
    shown = decoded(tmp_path / "a.mp4")
    given = [px for r, px in frames(854, 120) for _ in range(r)]
    assert len(shown) == len(given)
    for got, want in zip(shown, given):
        assert np.abs(got[..., :3].astype(int) - want[..., :3]).mean() < 3


def test_bad_frames_are_refused_as_manim_does(tmp_path):
    spec = VideoEncoderSpec(*LIBX264[:3], 64, 32, Fraction(15), LIBX264[3])
    encoder = VideoSegmentEncoder(target=tmp_path / "x.mp4", spec=spec)
    px = np.zeros((32, 64, 4), np.uint8)
    with pytest.raises(ValueError, match="C-contiguous"):
        _write_frame_in_place(encoder, np.asfortranarray(px), repeat=1)
    with pytest.raises(ValueError, match="shape"):
        _write_frame_in_place(encoder, px[:, :60].copy(), repeat=1)
    with pytest.raises(ValueError, match="positive"):
        _write_frame_in_place(encoder, px, repeat=0)
    encoder.abort()
