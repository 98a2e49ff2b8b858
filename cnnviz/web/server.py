"""The local preview server: an output folder over HTTP on 127.0.0.1, for the gallery and the slide deck.

``PreviewServer(out_dir, port)`` serves the files of ``out_dir`` (single byte ranges, so videos seek), a
``/version`` endpoint that a live gallery polls (:class:`LiveState`), and ``/`` → the gallery. It is meant
for the browser of the person running it, and nothing else:

* it binds 127.0.0.1 only, and answers only requests whose ``Host`` is ``127.0.0.1:PORT`` or
  ``localhost:PORT`` (421 otherwise), so a web page elsewhere cannot reach it by DNS rebinding;
* it serves regular files inside ``out_dir`` and nothing else: no directory listings, no hidden paths
  (``.cache/``, ``.work/``), nothing outside the folder, through ``..`` or a symbolic link (404);
* a hostile request gets a plain status and never a traceback: a NUL or a malformed escape in the path (400),
  a ``Range`` it cannot satisfy, however many digits its numbers have (416).
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["HOST", "LiveState", "PreviewServer"]

HOST = "127.0.0.1"
_CHUNK = 1 << 16
_MAX_DIGITS = 18  # a byte position with more digits lies past any file (10**18 bytes is an exabyte)


@dataclass
class LiveState:
    """What ``/version`` answers: the page reloads when ``version`` changes."""

    version: int = 0
    status: str = ""
    state: str = "idle"  # idle | rendering | error
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, *, status: str | None = None, state: str | None = None, bump: bool = False) -> None:
        with self.lock:
            if status is not None:
                self.status = status
            if state is not None:
                self.state = state
            if bump:
                self.version += 1

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "status": self.status, "state": self.state}).encode()


class _Refused(Exception):
    """A request answered with ``status`` (and ``headers``), no body beyond a one-line reason."""

    def __init__(self, status: HTTPStatus, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


def _position(digits: str) -> int:
    """A byte position of a Range header; more digits than any file size needs read as 'past the end'."""
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single-range ``Range`` header for a file of ``size`` bytes.

    None: no usable range (absent, another unit, several ranges, not the grammar), so the whole file is sent,
    as RFC 9110 lets a server ignore a Range it does not support. Raises :class:`_Refused` (416) for a range
    that lies past the end of the file.
    """
    match = re.fullmatch(r"[ \t]*bytes[ \t]*=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*", header)
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first:
        start = _position(first)
        end = min(_position(last), size - 1) if last else size - 1
        if last and _position(last) < start:
            return None  # invalid per RFC 9110: ignored
    else:  # the last N bytes; more than the file is the whole file
        start, end = max(0, size - _position(last)), size - 1
        if _position(last) == 0:
            start = size
    if start >= size or start > end:
        raise _Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, f"range not satisfiable: the file has {size} "
                       "bytes", {"Content-Range": f"bytes */{size}"})
    return start, end


class _Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the folder's files, ``/version`` and ``/`` → the index page; see the module docstring."""

    server_version = "cnnviz-preview"
    default_request_version = "HTTP/1.0"  # a garbled request line still gets a status line (not HTTP/0.9's none)
    timeout = 60  # seconds a connection may sit idle (a client that sends nothing does not hold a thread)
    root: Path = Path(".")
    live: LiveState | None = None
    index = "gallery.html"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the render log
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    # ------------------------------------------------------------------ answering
    def _answer(self, *, head: bool) -> None:
        try:
            self._check_host()
            path = self._url_path()
            if path == "/version" and self.live is not None:
                self._send_bytes(self.live.as_json(), "application/json", head=head)
            elif path == "/":
                self._send_status(HTTPStatus.FOUND, {"Location": "/" + self.index})
            else:
                self._send_file(self._file_for(path), head=head)
        except _Refused as refused:
            self._send_status(refused.status, refused.headers, refused.reason)
        except (BrokenPipeError, ConnectionResetError):  # the browser had enough (a video seek, a reload)
            self.close_connection = True

    def _check_host(self) -> None:
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
        if port == 80:
            allowed |= {"127.0.0.1", "localhost"}
        if host not in allowed:
            raise _Refused(HTTPStatus.MISDIRECTED_REQUEST, f"this server answers only Host 127.0.0.1:{port} or "
                           f"localhost:{port}")

    def _url_path(self) -> str:
        """The request's path, percent-decoded; 400 for a NUL, a bad escape or a path that is not absolute."""
        raw = urlsplit(self.path).path
        if not raw.startswith("/"):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the path must start with /")
        if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
            raise _Refused(HTTPStatus.BAD_REQUEST, "malformed percent-escape in the path")
        path = unquote(raw, errors="surrogateescape")
        if "\x00" in path:
            raise _Refused(HTTPStatus.BAD_REQUEST, "NUL byte in the path")
        return path

    def _file_for(self, path: str) -> Path:
        """The regular file inside the root that ``path`` names; 404 for anything else."""
        not_found = _Refused(HTTPStatus.NOT_FOUND, "not found")
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") or p.startswith(".") or "\\" in p for p in parts):
            raise not_found  # no way up, and no hidden files (.cache, .work)
        candidate = self.root.joinpath(*parts) if parts else self.root
        try:
            if path.endswith("/") and candidate.is_dir():
                candidate = candidate / "index.html"  # a folder's own page; never a listing
            real = candidate.resolve(strict=True)
            inside = real.is_relative_to(self.root)
            regular = real.is_file()
        except (OSError, ValueError, RuntimeError):  # missing, a name too long, a symlink loop
            raise not_found from None
        if not inside or not regular:
            raise not_found
        return real

    # ------------------------------------------------------------------ writing
    def _send_status(self, status: HTTPStatus, headers: dict[str, str] | None = None, reason: str = "") -> None:
        body = (f"{status.value} {status.phrase}" + (f": {reason}" if reason else "") + "\n").encode() \
            if status.value >= 400 else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status.value >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _common_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")

    def _send_bytes(self, body: bytes, content_type: str, *, head: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._common_headers()
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_file(self, file: Path, *, head: bool) -> None:
        try:
            fh = open(file, "rb")
        except OSError:
            raise _Refused(HTTPStatus.NOT_FOUND, "not found") from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            span = parse_range(self.headers.get("Range", ""), size) if self.headers.get("Range") else None
            start, end = span if span is not None else (0, size - 1)
            self.send_response(HTTPStatus.PARTIAL_CONTENT if span is not None else HTTPStatus.OK)
            self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            if span is not None:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(max(0, end - start + 1)))
            self._common_headers()
            self.end_headers()
            if head:
                return
            fh.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = fh.read(min(remaining, _CHUNK))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr for what the handler did not expect, never a traceback; a dropped connection
        (the browser cancelling a video request) says nothing."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(f"preview server: a request from {client_address[0]} failed ({type(exc).__name__}: {exc})",
              file=sys.stderr)


class PreviewServer:
    """``out_dir`` over HTTP on 127.0.0.1:``port`` in a background thread (port 0: any free port)."""

    def __init__(self, out_dir: Path, port: int = 8000, *, live: LiveState | None = None,
                 index: str = "gallery.html") -> None:
        root = Path(out_dir).resolve()
        handler = type("Handler", (_Handler,), {"root": root, "live": live, "index": index})
        self.out_dir = root
        self.live = live
        self.httpd = _Server((HOST, port), handler)
        # a short poll interval: close() (shutdown) returns within it
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="cnnviz-preview", daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def __enter__(self) -> PreviewServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> PreviewServer:
        return self.__enter__()

    def close(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
