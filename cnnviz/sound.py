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
"""

from __future__ import annotations

import os
from pathlib import Path

import av

__all__ = ["SOUND_RATE", "encode_narration", "replace_sound"]

SOUND_RATE = 48000
#: FFmpeg's AAC encoder options: its fast coder (see above)
AAC_OPTIONS = {"aac_coder": "fast"}


def encode_narration(wav: Path, aac: Path) -> None:
    """``wav`` (any rate and layout) as mono AAC at :data:`SOUND_RATE` in ``aac`` (ADTS), the same bytes each time."""
    tmp = aac.with_name(f".{aac.name}.tmp")
    try:
        with av.open(str(wav)) as source, av.open(str(tmp), "w", format="adts") as out:
            stream = out.add_stream("aac", rate=SOUND_RATE, layout="mono", options=AAC_OPTIONS)
            # resampled explicitly, to the encoder's own format: no conversion left to the encoder
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=SOUND_RATE)
            for frame in [*source.decode(audio=0), None]:
                for chunk in resampler.resample(frame):
                    for packet in stream.encode(chunk):
                        out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        os.replace(tmp, aac)
    finally:
        tmp.unlink(missing_ok=True)


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
