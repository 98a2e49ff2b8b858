"""The narration's sound track, encoded the same way every time.

Manim encodes a narrated clip's sound as 48 kHz stereo AAC, and FFmpeg's AAC encoder does not give the same
bytes twice for stereo: of eight encodings of one narration's WAV in fresh processes, seven gave one stream
and one another (a few hundred milliseconds decoded differently; mono gave the same bytes eight times out of
eight). That made the first and second narrated render of a clip differ in their sound. So the scene keeps
the narration it mixed (``narration.wav``: Manim's own mix, the same samples), has Manim write the video alone
(its stereo encoding, then thrown away, cost 2.4 s a minute of narration at -ql) and encodes the mix here as
mono AAC at 48 kHz (FFmpeg's ``fast`` AAC coder: a third of the default ``twoloop`` coder's CPU, 0.45 against
1.4 s a minute of narration, deterministic too, and for espeak-ng's speech no worse: 25 against 21 dB SNR to
the mix, files 7 % larger), which it muxes into the clip (``scenes.common.LectureScene.render``); a render in chunks
(:mod:`cnnviz.chunks`) adds the same track to its joined clip. A narrator's voice is one channel: nothing is
lost.

A whole render need not wait for that encoding at its end: :class:`NarrationEncoder` encodes the mix in a
process of its own while the scene is still drawing (PyAV's encoder holds the GIL, so a thread would not
help), fed the samples that no later line can change, and gives the same bytes as :func:`encode_narration`
of the finished WAV (the resampler and the encoder do not depend on how their input is cut).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import av
import numpy as np

__all__ = ["SOUND_RATE", "NarrationEncoder", "encode_narration", "replace_sound"]

SOUND_RATE = 48000
#: FFmpeg's AAC encoder options: its fast coder (see above)
AAC_OPTIONS = {"aac_coder": "fast"}


def encode_narration(wav: Path, aac: Path) -> None:
    """``wav`` (any rate and layout) as mono AAC at :data:`SOUND_RATE` in ``aac`` (ADTS), the same bytes each time."""
    tmp = aac.with_name(f".{aac.name}.tmp")
    try:
        with av.open(str(wav)) as source:
            _encode(source.decode(audio=0), str(tmp))
        os.replace(tmp, aac)
    finally:
        tmp.unlink(missing_ok=True)


def _encode(frames: Iterable[av.AudioFrame], target: str | IO[bytes]) -> None:
    """``frames`` as mono AAC at :data:`SOUND_RATE`, written to ``target`` (a path or a binary file) as ADTS."""
    with av.open(target, "w", format="adts") as out:
        stream = out.add_stream("aac", rate=SOUND_RATE, layout="mono", options=AAC_OPTIONS)
        # resampled explicitly, to the encoder's own format: no conversion left to the encoder
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=SOUND_RATE)
        for frame in itertools.chain(frames, [None]):  # lazily: the frames may still be coming
            for chunk in resampler.resample(frame):
                for packet in stream.encode(chunk):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


#: sample width in bytes -> PyAV's packed sample format (pydub's and WAV's samples are packed, little-endian)
_SAMPLE_FORMATS = {1: ("u8", np.uint8), 2: ("s16", np.dtype("<i2")), 4: ("s32", np.dtype("<i4"))}
_LAYOUTS = {1: "mono", 2: "stereo"}


class NarrationEncoder:
    """A sound track encoded as :func:`encode_narration` would encode it once mixed, while it is still being mixed.

    The samples given to :meth:`feed` (packed PCM, as a WAV holds them) go to an encoding process as they come;
    :meth:`finish` waits for it and writes ``aac`` (complete or not at all). Nothing is left behind when the
    caller dies or calls :meth:`abandon`: the process writes into an unnamed temporary file.

    Parameters
    ----------
    aac
        Where :meth:`finish` writes the track (ADTS).
    rate, channels, sample_width
        The samples' frame rate (Hz), channel count (1 or 2) and width in bytes (1, 2 or 4).

    Examples
    --------
    >>> encoder = NarrationEncoder(Path("narration.aac"), rate=22050, channels=1, sample_width=2)  # doctest: +SKIP
    >>> encoder.feed(samples_so_far); ...; encoder.feed(the_rest)                                # doctest: +SKIP
    >>> encoder.finish()                                                                         # doctest: +SKIP
    True
    """

    def __init__(self, aac: Path, *, rate: int, channels: int, sample_width: int) -> None:
        if channels not in _LAYOUTS or sample_width not in _SAMPLE_FORMATS or rate <= 0:
            raise ValueError(f"cannot encode {channels} channels of {sample_width}-byte samples at {rate} Hz")
        self.aac = aac
        self.format = (rate, channels, sample_width)
        self.fed = 0  #: bytes fed so far
        self._ended = False
        self._digest = hashlib.blake2b()
        self._output = tempfile.TemporaryFile()
        root = str(Path(__file__).resolve().parents[1])
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {root!r}); import cnnviz.sound as s; s._encode_stdin()",
             str(rate), str(channels), str(sample_width)],
            stdin=subprocess.PIPE, stdout=self._output, stderr=subprocess.DEVNULL)
        # writing into the pipe blocks while the process is busy: a thread does it, the caller goes on
        self._chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._pump = threading.Thread(target=self._write_chunks, name="cnnviz-narration-encoder", daemon=True)
        self._pump.start()

    def digest(self) -> bytes:
        """The BLAKE2b digest of every byte fed so far (to check that they are still the mix's first bytes)."""
        return self._digest.digest()

    def feed(self, data: bytes) -> None:
        """Encode ``data`` next: samples that will not change any more."""
        if self._ended:
            raise RuntimeError("the narration's encoding has ended")
        if data:
            self.fed += len(data)
            self._digest.update(data)
            self._chunks.put(bytes(data))

    def finish(self, timeout: float = 120) -> bool:
        """Wait for the encoding of everything fed and write :attr:`aac`; whether that worked."""
        if self._ended:
            return False
        self._ended = True
        self._chunks.put(None)
        self._pump.join(timeout)
        try:
            ok = self._process.wait(timeout) == 0
        except subprocess.TimeoutExpired:
            ok = False
        if not ok:
            self.abandon()
            return False
        tmp = self.aac.with_name(f".{self.aac.name}.tmp")
        try:
            self._output.seek(0)
            with open(tmp, "wb") as out:
                shutil.copyfileobj(self._output, out)
            os.replace(tmp, self.aac)
        finally:
            tmp.unlink(missing_ok=True)
            self._output.close()
        return True

    def abandon(self) -> None:
        """Stop the encoding and keep nothing of it."""
        self._ended = True
        self._chunks.put(None)
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._output.close()

    def _write_chunks(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (chunk := self._chunks.get()) is not None:
                stdin.write(chunk)
            stdin.close()
        except (BrokenPipeError, ValueError):  # the process ended (abandon, or it failed: finish says so)
            pass


def _frames_from(stream: IO[bytes], rate: int, channels: int, sample_width: int) -> Iterator[av.AudioFrame]:
    """Packed PCM read from ``stream`` until its end, as audio frames with their time stamps."""
    name, dtype = _SAMPLE_FORMATS[sample_width]
    frame_width, pts, rest = channels * sample_width, 0, b""
    while block := stream.read(1 << 16):
        block = rest + block
        whole = len(block) - len(block) % frame_width
        block, rest = block[:whole], block[whole:]
        if not block:
            continue
        samples = np.frombuffer(block, dtype=dtype).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format=name, layout=_LAYOUTS[channels])
        frame.sample_rate, frame.pts, frame.time_base = rate, pts, Fraction(1, rate)
        pts += samples.shape[1] // channels
        yield frame


def _encode_stdin() -> None:
    """The encoding process of :class:`NarrationEncoder`: PCM on stdin (rate, channels, width in argv), ADTS out."""
    rate, channels, sample_width = (int(a) for a in sys.argv[1:4])
    out: Any = os.fdopen(sys.stdout.fileno(), "wb", closefd=False)
    _encode(_frames_from(sys.stdin.buffer, rate, channels, sample_width), out)
    out.flush()


def replace_sound(movie: Path, aac: Path) -> None:
    """``movie``'s video packets (not re-encoded) with ``aac`` as its sound, in place (temp file, then rename)."""
    tmp = movie.with_name(f".{movie.name}.sound.mp4")
    try:
        with av.open(str(movie)) as vin, av.open(str(aac)) as ain, av.open(str(tmp), "w") as out:
            vstream, astream = vin.streams.video[0], ain.streams.audio[0]
            vout = out.add_stream_from_template(template=vstream)
            aout = out.add_stream_from_template(template=astream)
            for source, stream, target in ((vin, vstream, vout), (ain, astream, aout)):
                for packet in source.demux(stream):
                    if packet.dts is None:  # the demuxer's flushing packets
                        continue
                    packet.stream = target
                    out.mux(packet)
        os.replace(tmp, movie)
    finally:
        tmp.unlink(missing_ok=True)
