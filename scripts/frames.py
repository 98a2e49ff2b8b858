"""Pull still frames out of a clip to look at: python scripts/frames.py CLIP.mp4 OUT_DIR [N]

Writes N evenly spaced PNG frames (default 8) plus the last one, named by their time in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import av


def main() -> None:
    clip, out = Path(sys.argv[1]), Path(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    out.mkdir(parents=True, exist_ok=True)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    picks = sorted({round(i * (len(frames) - 1) / max(count - 1, 1)) for i in range(count)} | {len(frames) - 1})
    for n in picks:
        f = frames[n]
        f.to_image().save(out / f"{clip.stem}_{float(f.time):06.2f}s.png")
    print(f"{len(picks)} frames of {len(frames)} ({float(frames[-1].time):.1f} s) -> {out}")


if __name__ == "__main__":
    main()
