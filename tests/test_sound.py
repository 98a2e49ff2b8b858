"""cnnviz.sound: the narration encoded the same way every time, in place of a clip's sound."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from cnnviz.sound import SOUND_RATE, NarrationEncoder, encode_narration, replace_sound


def write_wav(path: Path, seconds: float = 3.0, rate: int = 22050) -> None:
    """A voice-like test signal (espeak-ng writes 22.05 kHz mono 16-bit)."""
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.05 * np.sin(2 * np.pi * 2400 * t)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((signal * 32767).astype("<i2").tobytes())


def test_the_same_narration_encodes_to_the_same_bytes_in_every_process(tmp_path):
    wav = tmp_path / "narration.wav"
    write_wav(wav)
    script = ("import sys, hashlib; from pathlib import Path; from cnnviz.sound import encode_narration; "
              "encode_narration(Path(sys.argv[1]), Path(sys.argv[2])); print(hashlib.sha256(Path(sys.argv[2]).read_bytes()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script, str(wav), str(tmp_path / f"{i}.aac")], capture_output=True,
                              text=True, check=True).stdout.strip() for i in range(4)}
    assert len(digests) == 1
    with av.open(str(tmp_path / "0.aac")) as c:
        stream = c.streams.audio[0]
        assert (stream.rate, stream.channels) == (SOUND_RATE, 1)
        seconds = sum(f.samples for f in c.decode(audio=0)) / SOUND_RATE
    assert abs(seconds - 3.0) < 0.1


def test_a_clips_sound_is_replaced_and_its_frames_kept(tmp_path):
    movie = tmp_path / "clip.mp4"
    with av.open(str(movie), "w") as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for k in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 8 * k, np.uint8), format="rgb24")
            for packet in s.encode(frame):
                out.mux(packet)
        for packet in s.encode():
            out.mux(packet)
    before = [hashlib.sha1(f.to_ndarray().tobytes()).hexdigest() for f in av.open(str(movie)).decode(video=0)]
    write_wav(tmp_path / "n.wav")
    encode_narration(tmp_path / "n.wav", tmp_path / "n.aac")
    replace_sound(movie, tmp_path / "n.aac")
    with av.open(str(movie)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
        assert [hashlib.sha1(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)] == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _decoded(path: Path) -> np.ndarray:
    resampler, parts = av.AudioResampler(format="flt", layout="mono", rate=SOUND_RATE), []
    with av.open(str(path)) as c:
        for frame in [*c.decode(audio=0), None]:
            parts += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
    return np.concatenate(parts)


def test_the_encoded_narration_sounds_like_its_mix(tmp_path):
    # the fast AAC coder (a third of the default's CPU) must still carry the voice: the decoded track, aligned
    # past the encoder's priming samples, is within 15 dB SNR of the mix it was made from (measured: ~25 dB)
    write_wav(tmp_path / "n.wav")
    encode_narration(tmp_path / "n.wav", tmp_path / "n.aac")
    source, decoded = _decoded(tmp_path / "n.wav"), _decoded(tmp_path / "n.aac")
    window = source[SOUND_RATE // 2: SOUND_RATE]
    lag = int(np.argmax(np.correlate(decoded[: SOUND_RATE + 4096], window, mode="valid"))) - SOUND_RATE // 2
    assert 0 <= lag <= 4096
    n = min(len(source), len(decoded) - lag)
    assert n > 2.5 * SOUND_RATE
    error = decoded[lag: lag + n] - source[:n]
    assert 10 * np.log10(np.sum(source[:n] ** 2) / np.sum(error ** 2)) > 15


def _pcm(path: Path) -> tuple[bytes, tuple[int, int, int]]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), (w.getframerate(), w.getnchannels(), w.getsampwidth())


def test_a_narration_encoded_while_it_is_mixed_is_the_same_bytes_as_the_finished_mix_encoded(tmp_path):
    # a scene feeds its encoder the mix as its lines are added, in pieces of any length (not whole samples)
    wav = tmp_path / "narration.wav"
    write_wav(wav, seconds=4.0)
    encode_narration(wav, tmp_path / "whole.aac")
    data, (rate, channels, width) = _pcm(wav)
    encoder = NarrationEncoder(tmp_path / "streamed.aac", rate=rate, channels=channels, sample_width=width)
    cuts = sorted(np.random.default_rng(0).choice(len(data), size=25, replace=False).tolist())
    for a, b in zip([0, *cuts], [*cuts, len(data)]):
        encoder.feed(data[a:b])
    assert encoder.fed == len(data) and encoder.digest() == hashlib.blake2b(data).digest()
    assert encoder.finish()
    assert (tmp_path / "streamed.aac").read_bytes() == (tmp_path / "whole.aac").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(RuntimeError):
        encoder.feed(b"\0\0")


def test_an_abandoned_narration_leaves_nothing_and_its_process_ends(tmp_path):
    encoder = NarrationEncoder(tmp_path / "n.aac", rate=22050, channels=1, sample_width=2)
    encoder.feed(b"\1\0" * 22050)
    encoder.abandon()
    assert encoder._process.poll() is not None
    assert not encoder.finish()
    assert list(tmp_path.iterdir()) == []


def test_the_encoding_starts_before_its_last_samples_come(tmp_path):
    # the point of encoding during the render: the encoder takes the frames as they come (it once read them
    # all before encoding one, and the render waited for the whole encoding at its end as before)
    from cnnviz.sound import _encode, _frames_from

    write_wav(tmp_path / "n.wav", seconds=30.0)
    data, (rate, channels, width) = _pcm(tmp_path / "n.wav")
    events: list[str] = []

    class Source(io.RawIOBase):
        def __init__(self) -> None:
            self.at = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = data[self.at: self.at + len(buffer)]
            buffer[: len(chunk)] = chunk
            self.at += len(chunk)
            events.append("read")
            return len(chunk)

    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            events.append("write")
            return len(b)

    _encode(_frames_from(io.BufferedReader(Source()), rate, channels, width), Sink())
    assert "write" in events and events.index("write") < len(events) - events[::-1].index("read") - 1, \
        "nothing was encoded before the last samples were read"


def test_the_encoder_refuses_a_sample_format_it_cannot_read(tmp_path):
    with pytest.raises(ValueError, match="3 channels"):
        NarrationEncoder(tmp_path / "n.aac", rate=22050, channels=3, sample_width=2)
