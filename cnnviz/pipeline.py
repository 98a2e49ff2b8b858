"""Render scenes into ``OUT/<id>.mp4`` and ``OUT/<id>.json``: one ``manim`` process per scene.

A separate process per scene keeps this module free of manim imports, lets scenes render in
parallel, and means one failing scene does not stop the others. Outputs appear atomically (rendered
into a work folder, then renamed), and a scene whose code, config entry and options are unchanged
is not rendered again. Scenes start longest first, by the render times recorded on this machine
(``~/.cache/cnnviz/render-seconds.json``), else those measured on the reference machine
(``cnnviz/assets/render-seconds.json``), so that parallel jobs finish together; a scene with neither starts
first, in the order given.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from pathlib import Path

from .config import DEFAULT_CONFIG, LectureConfig
from .paths import ASSETS, atomic_write, cache_dir, replace_folder
from .registry import ROOT, SceneSpec, scene_spec, source_files
from .scene_env import SceneEnv

__all__ = ["ENCODER_OPTIONS", "MANIM_CONFIG", "QUALITIES", "RenderOptions", "RenderResult", "cache_key", "input_files", "encoder_args",
           "expected_seconds", "longest_first", "manim_command", "recorded_seconds", "render_scenes"]

QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}


def _x264_without_avx512() -> dict[str, str]:
    """``x264-params`` that keep x264 off its AVX-512 code, on a CPU that has AVX-512 (else none).

    x264's AVX-512 ``mbtree_propagate_list`` handles 8 macroblocks a step and does not mask the steps past
    the end of a row: where the width in macroblocks is not a multiple of 8 (-ql: 854 px, 54 macroblocks;
    -qm/-qh/-qk are 80/120/240) it adds stale values from x264's own uninitialised buffers into the
    macroblock-tree costs, so the same frames encoded to different bytes from run to run. Its AVX2 code
    (every AVX-512 CPU has AVX2) writes the same bytes each time, as fast here. Checked at run time: naming
    an instruction set the CPU lacks would crash x264.
    """
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as cpu  # numpy >= 2
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as cpu
        except ImportError:
            return {}
    # x264 uses AVX-512 where the CPU has F, CD, BW, DQ and VL: numpy's AVX512_SKX
    return {"x264-params": "asm=AVX2"} if cpu.get("AVX512_SKX") else {}


#: x264 settings, per quality, where ours differ from Manim's (crf 23, preset medium). At -ql, the draft
#: quality and the lecture's default, preset veryfast at crf 21 takes about 40 % less encoder CPU
#: (error_flow: 5.7 -> 3.4 s beside the scene) for the same picture quality (PSNR against a lossless
#: render, error_flow / mnist_features / conv2d: mean 48.4 / 49.9 / 49.2 dB against 49.2 / 50.8 / 49.1,
#: worst frame 0.4-0.8 dB better; files 8-10 % larger). Encoding runs beside the scene's drawing, so
#: this shortens parallel renders most. The final qualities keep Manim's settings. At -ql, x264 also stays
#: off its AVX-512 code, which made renders of the same config differ byte for byte (_x264_without_avx512).
ENCODER_OPTIONS: dict[str, dict[str, str]] = {"l": {"preset": "veryfast", "crf": "21", **_x264_without_avx512()}}


@dataclass(frozen=True)
class RenderOptions:
    quality: str = "l"
    out_dir: Path = Path("out")
    language: str | None = None  # overrides the config's
    theme: str | None = None
    jobs: int = 1
    force: bool = False
    format: str = "mp4"  # mp4 | webm | gif | png (png: the last frame, a poster still)
    transparent: bool = False
    # compute each scene's values here (torch imported once) rather than in its Manim process;
    # a long-running watcher turns this off, so edits to the core reach the next render
    values_here: bool = True
    # let a scene build its texts and formulas ahead in a helper process (scenes/speedups/ahead.py): only
    # where a core would idle, i.e. fewer scenes than jobs (render_scenes decides; --jobs 1 means one core)
    build_ahead: bool = False
    # the render speed-ups of scenes.speedups (same pixels, faster); off: plain Manim, for comparison
    speedups: bool = True
    # who narrates (cnnviz.narration): "espeak", "none" or the absolute path of a folder of recordings
    voice: str = "espeak"
    # a render in chunks of about this many seconds of video (cnnviz.chunks, cnnviz.graph); 0: whole scenes
    chunk_seconds: float = 0.0
    # a Dask scheduler's address (tcp://HOST:8786): the chunks run on its workers (cnnviz.engine)
    cluster: str | None = None
    # the store of finished plans and chunks shared by client and workers (default ~/.cache/cnnviz/store)
    store: Path | None = None
    # how a scene's `python -m manim render ...` process is run: subprocess.run's signature and result
    # (None: subprocess.run); `preview --watch` runs it in a fork of a worker with Manim already imported
    run_manim: Callable[..., subprocess.CompletedProcess] | None = field(default=None, compare=False, repr=False)


@dataclass
class RenderResult:
    scene: str
    ok: bool
    seconds: float
    clip: Path | None
    cached: bool
    error: str = ""


#: Manim's settings for every scene process (passed explicitly: a scene process runs in the installed package's
#: folder, where Manim would find no manim.cfg of its own)
MANIM_CONFIG = ASSETS / "manim.cfg"


def manim_command(quality: str, media: Path, output: str) -> list[str]:
    """The start of every scene process's ``python -m manim render`` command (the pipeline's and a task's): quality,
    media folder, output name, quiet, :data:`MANIM_CONFIG`; the caller adds the format, options, file and class."""
    return [sys.executable, "-m", "manim", "render", f"-q{quality}", "--media_dir", str(media), "-o", output,
            "-v", "WARNING", "--progress_bar", "none", "--config_file", str(MANIM_CONFIG)]


def encoder_args(quality: str, format: str = "mp4", transparent: bool = False) -> list[str]:
    """``manim render`` options that set :data:`ENCODER_OPTIONS` where the clip is encoded with x264
    (MP4 and GIF segments; transparent clips use qtrle, WebM VP9)."""
    if transparent or format not in ("mp4", "gif"):
        return []
    return [a for k, v in sorted(ENCODER_OPTIONS.get(quality, {}).items()) for a in ("--encoder-option", f"{k}={v}")]


def input_files(params: Any) -> dict[str, str]:
    """The contents' SHA-256 of every file a scene's parameters name (``image``, ``checkpoint``, ``input_image``,
    ``data``), by key: a clip depends on what the file holds, not where it lies (the same path written again
    renders afresh; the same bytes elsewhere are the same clip, but for the path in its JSON)."""
    from .config import PATH_KEYS
    from .own_data import content_digest

    out: dict[str, str] = {}
    for key in (*PATH_KEYS, "data"):
        value = getattr(params, key, None)
        if isinstance(value, str) and value:
            resolve = getattr(params, f"{key}_path", None)
            path = resolve() if callable(resolve) else None
            out[key] = content_digest(path if path is not None else Path(value).expanduser())
    return out


def cache_key(info: SceneSpec, lecture: LectureConfig, opts: RenderOptions) -> str:
    """A hash of everything a clip depends on: its source files (:func:`cnnviz.registry.source_files`, the
    list ``preview --watch`` watches too), its config entry and the contents of the files it names
    (:func:`input_files`), language, theme and quality."""
    h = hashlib.sha256()
    for f in source_files(info.id):
        h.update(f.relative_to(ROOT).as_posix().encode())
        h.update(f.read_bytes())
    entry = lecture.entry(info.id)
    h.update(json.dumps(entry.params.model_dump(), sort_keys=True, default=str).encode())
    h.update(json.dumps(input_files(entry.params), sort_keys=True).encode())
    h.update(f"{opts.language or lecture.language}|{opts.theme or lecture.theme}|{opts.quality}|{opts.format}|"
             f"{opts.transparent}|{encoder_args(opts.quality, opts.format, opts.transparent)}".encode())
    h.update(voice_key(opts.voice, info.id).encode())
    h.update(json.dumps(lecture.place(info.id), sort_keys=True).encode())  # its agenda and "next" card
    return h.hexdigest()[:20]


@contextlib.contextmanager
def _scene_lock(out: Path, scene_id: str):
    """Hold ``OUT/.cache/<id>.lock`` (an advisory lock the OS drops when the process dies): two renders of one
    scene into one folder take turns, and the second finds the first's clip in the cache."""
    lock = out / ".cache" / f"{scene_id}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


#: Values are computed in this process, on the pool's threads; a values module that seeds torch's global random
#: generator (alexnet's He-initialised weights, a dropout mask) would draw another thread's numbers when two ran at
#: once (alexnet's fc6 differed between a --jobs 2 render and a sequential one), so they take turns.
_VALUES_LOCK = threading.Lock()


def computed_values(scene_id: str, params):
    """:func:`cnnviz.values.scene_values`, one scene at a time in this process (:data:`_VALUES_LOCK`)."""
    from .values import scene_values

    with _VALUES_LOCK:
        return scene_values(scene_id, params)


def _render_one(info: SceneSpec, lecture: LectureConfig, config_path: Path, opts: RenderOptions) -> RenderResult:
    start = time.perf_counter()
    out = opts.out_dir
    clip, doc = out / f"{info.id}.{output_suffix(opts)}", out / f"{info.id}.json"
    stamp = out / ".cache" / f"{info.id}.key"
    with _scene_lock(out, info.id):
        key = cache_key(info, lecture, opts)
        subs = [out / f"{info.id}.{suffix}" for suffix in ("srt", "vtt")] if opts.format != "png" else []
        if not opts.force and is_complete(info, opts, key):
            return RenderResult(info.id, True, time.perf_counter() - start, clip, cached=True)
        # a work folder of this render's own: a killed render leaves only it behind, never a finished-looking clip
        (out / ".work").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{info.id}-", dir=out / ".work", ignore_cleanup_errors=True) as tmp:
            work = Path(tmp)
            values = None
            if opts.values_here:
                from .values import save_values

                params = lecture.entry(info.id).params
                values = work / "values.pkl"
                save_values(values, info.id, params, computed_values(info.id, params))
            scene_env = SceneEnv(
                config=config_path, language=opts.language, theme=opts.theme, json_dir=work, values=values,
                # LaTeX and Pango output outlive the per-render media folder (one folder per scene: parallel
                # renders never write the same file); a re-render then runs no LaTeX for formulas it has seen
                manim_cache=cache_dir() / "manim" / info.id,
                build_ahead=opts.build_ahead,
                exit_after_render=True,  # skip Python's teardown of the finished scene (LectureScene.render)
                speedups=opts.speedups, voice=opts.voice)
            media = work / "media"  # per render, so parallel renders never share Manim's partial files
            cmd = manim_command(opts.quality, media.resolve(), info.id)
            cmd += ["-s"] if opts.format == "png" else ["--format", opts.format, "--save_sections"]
            cmd += ["-t"] if opts.transparent else []
            cmd += encoder_args(opts.quality, opts.format, opts.transparent)
            done = (opts.run_manim or subprocess.run)(cmd + [str(ROOT / info.path), info.scene_class], cwd=ROOT,
                                                      env=SceneEnv.child_environ(os.environ, scene_env),
                                                      capture_output=True, text=True)
            rendered = sorted(p for p in media.rglob(f"{info.id}*.{clip.suffix[1:]}") if "partial" not in str(p)
                              and "sections" not in p.parts)
            if done.returncode != 0 or not rendered or not (work / f"{info.id}.json").exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
                return RenderResult(info.id, False, time.perf_counter() - start, None, cached=False,
                                    error="\n".join(tail) or f"manim exited with {done.returncode}")
            if subs:  # the narration's subtitles beside the clip and, in an MP4, as its subtitle track
                made = write_subtitles(work / f"{info.id}.json", rendered[0], work, info.id,
                                       mux=clip.suffix == ".mp4")
            # rename into place: a clip under its final name is always complete
            os.replace(rendered[0], clip)
            os.replace(work / f"{info.id}.json", doc)
            for path in subs:
                os.replace(made[path.suffix], path)
            _keep_sections(media, info, out / "sections" / info.id)
            atomic_write(stamp, lambda f: f.write(key.encode()))
    return RenderResult(info.id, True, time.perf_counter() - start, clip, cached=False)


def is_complete(info: SceneSpec, opts: RenderOptions, key: str) -> bool:
    """Whether ``OUT`` holds this scene's clip, JSON, subtitles and sections, made with cache key ``key``."""
    out = opts.out_dir
    stamp = out / ".cache" / f"{info.id}.key"
    files = [out / f"{info.id}.{output_suffix(opts)}", out / f"{info.id}.json"]
    if opts.format != "png":
        files += [out / "sections" / info.id / "sections.json", out / f"{info.id}.srt", out / f"{info.id}.vtt"]
    return all(p.exists() for p in files) and stamp.exists() and stamp.read_text() == key


def write_outputs(info: SceneSpec, opts: RenderOptions, key: str, *, work: Path, movie: Path, sections: Path) -> None:
    """A render in chunks' outputs into ``OUT`` as a whole render's (:mod:`cnnviz.graph`): ``work`` holds
    ``<id>.json``, ``movie`` the joined MP4, ``sections`` the section clips with ``sections.json``."""
    out = opts.out_dir
    with _scene_lock(out, info.id):
        made = write_subtitles(work / f"{info.id}.json", movie, work, info.id, mux=True)
        os.replace(movie, out / f"{info.id}.mp4")
        os.replace(work / f"{info.id}.json", out / f"{info.id}.json")
        for suffix in (".srt", ".vtt"):
            os.replace(made[suffix], out / f"{info.id}{suffix}")
        replace_folder(sections, out / "sections" / info.id)
        atomic_write(out / ".cache" / f"{info.id}.key", lambda f: f.write(key.encode()))


def voice_key(voice: str, scene_id: str) -> str:
    """What a clip's narration depends on: the voice, and for recordings the scene's files (names and bytes)."""
    from .narration import RECORDING_SUFFIXES, parse_voice

    parsed = parse_voice(voice)
    if parsed.kind != "recordings" or parsed.folder is None:
        return f"voice {parsed.kind}"
    h = hashlib.sha256()
    folder = parsed.folder / scene_id
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix in RECORDING_SUFFIXES and path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"voice recordings {h.hexdigest()}"


def write_subtitles(doc_path: Path, movie: Path, work: Path, scene_id: str, *, mux: bool) -> dict[str, Path]:
    """``<id>.srt`` and ``<id>.vtt`` in ``work`` from the scene's narration (its JSON); with ``mux`` the movie
    is remuxed in place with them as its subtitle track. Returns the files by suffix."""
    from .subtitles import cues_from_json, mux_subtitles, srt, webvtt

    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    cues = cues_from_json(doc)
    made = {".srt": work / f"{scene_id}.srt", ".vtt": work / f"{scene_id}.vtt"}
    made[".srt"].write_text(srt(cues), encoding="utf-8")
    made[".vtt"].write_text(webvtt(cues), encoding="utf-8")
    if mux and cues:
        mux_subtitles(movie, cues, doc.get("language", "en"), movie)
    return made


def output_suffix(opts: RenderOptions) -> str:
    """File suffix of a clip: Manim writes transparent MP4 as QuickTime ``.mov``."""
    return "mov" if opts.transparent and opts.format == "mp4" else opts.format


def _keep_sections(media: Path, info: SceneSpec, target: Path) -> None:
    """Move the scene's section clips (one per Manim section: the steps slides advance through)
    to ``target``, with their index as ``sections.json``."""
    found = [p for p in media.rglob("sections") if p.is_dir()]
    if not found:
        return
    src = found[0]
    for index in src.glob("*.json"):  # Manim names it after the output file
        os.replace(index, src / "sections.json")
    replace_folder(src, target)


REFERENCE_TIMES = ASSETS / "render-seconds.json"


def _times_file() -> Path:
    return cache_dir() / "render-seconds.json"


def _slot(opts: RenderOptions) -> str:
    return f"-q{opts.quality} {opts.format}"


def _read_times() -> dict:
    """This machine's record, ``{slot: {scene: seconds}}``; empty when missing or unreadable."""
    try:
        times = json.loads(_times_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return times if isinstance(times, dict) else {}


def recorded_seconds(opts: RenderOptions) -> dict[str, float]:
    """Seconds the last fresh render of each scene took on this machine, at this quality and format."""
    try:
        return {k: float(v) for k, v in _read_times().get(_slot(opts), {}).items()}
    except (ValueError, AttributeError, TypeError):
        return {}


def expected_seconds(opts: RenderOptions) -> dict[str, float]:
    """What each scene is expected to take: this machine's record, else the reference machine's."""
    try:
        reference = json.loads(REFERENCE_TIMES.read_text(encoding="utf-8"))["seconds"]
        reference = {k: float(v) for k, v in reference.items()}
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        reference = {}
    return {**reference, **recorded_seconds(opts)}


def _record_seconds(opts: RenderOptions, results: Sequence[RenderResult]) -> None:
    fresh = {r.scene: round(r.seconds, 2) for r in results if r.ok and not r.cached}
    if not fresh:
        return
    times = _read_times()
    slot = _slot(opts)
    times[slot] = {**(times.get(slot) if isinstance(times.get(slot), dict) else {}), **fresh}
    try:
        atomic_write(_times_file(), lambda f: f.write(json.dumps(times, indent=1, sort_keys=True).encode()))
    except OSError:
        pass  # only a scheduling hint


def longest_first(scene_ids: Sequence[str], opts: RenderOptions) -> list[str]:
    """``scene_ids`` in the order to start them: scenes with no expected time first (as given), then the
    longest."""
    seconds = expected_seconds(opts)
    return sorted(scene_ids, key=lambda i: -seconds.get(i, float("inf")))  # stable: ties keep their order


def render_scenes(scene_ids: Sequence[str], lecture: LectureConfig, opts: RenderOptions, *,
                  config_path: Path | None = None,
                  on_done: Callable[[RenderResult, int, int], None] | None = None, engine: Any = None,
                  on_message: Callable[[str], None] | None = None) -> list[RenderResult]:
    """Render ``scene_ids`` with up to ``opts.jobs`` in parallel; results in the order given.

    With ``opts.chunk_seconds`` or ``opts.cluster`` (MP4 clips) the scenes render in chunks as one task graph
    (:mod:`cnnviz.graph`) on ``engine`` (default: the cluster, else the local pool of ``opts.jobs``)."""
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    path = config_path or Path(lecture.source if lecture.source != "<defaults>" else DEFAULT_CONFIG)
    scene_ids = list(dict.fromkeys(scene_ids))  # an id named twice is rendered once
    infos = [scene_spec(i) for i in longest_first(scene_ids, opts)]
    if opts.chunk_seconds > 0 or opts.cluster:
        from .graph import GraphEvents, chunkable, render_graph

        if chunkable(opts):  # one task graph of chunks, on the local pool or a cluster
            results = render_graph(infos, lecture, path, opts, engine=engine,
                                   events=GraphEvents(on_done=on_done, on_message=on_message))
            ordered = {r.scene: r for r in results}
            return [ordered[i] for i in scene_ids]
    opts = replace(opts, build_ahead=opts.jobs > len(infos))
    results: dict[str, RenderResult] = {}
    reporting = threading.Lock()

    def run(info: SceneSpec) -> RenderResult:
        try:
            res = _render_one(info, lecture, path, opts)
        except Exception as exc:  # one scene's failure must not stop the others
            res = RenderResult(info.id, False, 0.0, None, cached=False, error=f"{type(exc).__name__}: {exc}")
        with reporting:
            results[info.id] = res
            if on_done:
                on_done(res, len(results), len(infos))
        return res

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        list(pool.map(run, infos))
    ordered = [results[i] for i in scene_ids]
    _record_seconds(opts, ordered)
    return ordered
