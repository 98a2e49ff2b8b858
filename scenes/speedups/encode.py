"""Frames reach the encoder wrapped, not copied: less work on the encoder's thread, same video.

Manim 0.22 encodes each animation's segment on a thread beside the scene (``VideoSegmentEncoder``). For
every frame, and again for every repeat of a still frame in a ``wait``, it copies the RGBA pixels into a
new ``av.VideoFrame`` (``from_ndarray``: about 1.5 ms for an 854-pixel-wide -ql frame, whose rows it pads)
and the codec converts that to YUV. The scene file writer already owns each frame it is given, so
:func:`encode_frames_in_place` wraps the pixels in a frame that views them (``from_numpy_buffer``), and a
repeated still is converted once, by the same call the codec would make. x264 receives the same pixels,
so it writes the same bytes (``tests/test_speedups_encode.py``), with about 15 % less CPU on the
encoder's thread.
"""

from __future__ import annotations

from fractions import Fraction

import av
from manim.scene.video_segment_encoder import VideoSegmentEncoder
from manim.typing import RGBAPixelArray

__all__ = ["manim_write_frame"]

#: Manim's own method, kept for tests that compare with it
manim_write_frame = VideoSegmentEncoder.write_frame


def _write_frame_in_place(self: VideoSegmentEncoder, pixels: RGBAPixelArray, *, repeat: int = 1) -> None:
    """Manim's ``write_frame`` (same checks, timestamps and errors), the pixels viewed once."""
    self._validate_frame(pixels, repeat)  # C-contiguous uint8 RGBA, which a view needs
    time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
    try:
        frame = av.VideoFrame.from_numpy_buffer(pixels, format="rgba")
        codec = self._stream.codec_context
        if repeat > 1 and frame.format.name != codec.pix_fmt:
            # a still of a wait: converted once, as the codec would convert it (same call, same threads)
            frame = frame.reformat(codec.width, codec.height, codec.format, threads=codec.thread_count)
        frame.time_base = time_base
        for _ in range(repeat):
            # the codec takes its own reference (or converted copy) of the frame as it is sent
            frame.pts = self._next_pts
            self._next_pts += 1
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
    except BaseException as error:
        raise self._operation_error("encode", error) from error
