"""Hostile requests to the preview server: each gets a plain HTTP status, never a traceback or a dropped
connection; no directory listing, nothing outside the folder, nothing for a Host other than its own.

Requests are raw bytes over a socket (so nothing in between fixes them up) to a server on port 0, closed by
each test; stderr is read at the file-descriptor level, where the server's threads would print.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from cnnviz.web.server import HOST, LiveState, PreviewServer, parse_range

CLIP = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def out(tmp_path) -> Path:
    out = tmp_path / "out"
    (out / "sections" / "conv2d").mkdir(parents=True)
    (out / "posters").mkdir()
    (out / ".cache").mkdir()
    (out / "slides").mkdir()
    (out / "conv2d.mp4").write_bytes(CLIP)
    (out / "conv2d.json").write_text(json.dumps({"scene": "conv2d"}))
    (out / "gallery.html").write_text("<!doctype html><title>gallery</title>")
    (out / "posters" / "conv2d.png").write_bytes(b"\x89PNG fake")
    (out / "sections" / "conv2d" / "sections.json").write_text("[]")
    (out / "sections" / "conv2d" / "conv2d_0000_title.mp4").write_bytes(CLIP[:100])
    (out / ".cache" / "conv2d.key").write_text("secret-ish cache key")
    (out / "slides" / "index.html").write_text("<!doctype html><title>deck</title>")
    (tmp_path / "outside.txt").write_text("not yours")
    return out


@pytest.fixture
def server(out):
    with PreviewServer(out, 0, live=LiveState()) as server:
        yield server


def request(server: PreviewServer, target: str, *, host: str | None = "default", headers: dict[str, str] | None = None,
            method: str = "GET", raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request sent as raw bytes; HTTP/1.0, so the server closes after it."""
    lines = [f"{method} {target} HTTP/1.0"]
    if host is not None:
        lines.append(f"Host: {f'{HOST}:{server.port}' if host == 'default' else host}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    data = raw if raw is not None else ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply, "the server dropped the connection without an answer"
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), parsed, body


@pytest.fixture
def quiet(capfd):
    """After the test: nothing the server's threads printed holds a traceback."""
    yield
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err


# --- malformed requests ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/%00", "/conv2d.mp4%00.png", "/%00/../../etc/passwd", "/sections/%00"])
def test_nul_in_the_path_is_400(server, quiet, target):
    status, _, body = request(server, target)
    assert status == 400 and b"NUL" in body


@pytest.mark.parametrize("target", ["/%zz", "/conv2d%2", "/%"])
def test_malformed_escape_is_400(server, quiet, target):
    assert request(server, target)[0] == 400


def test_garbage_request_line_is_400(server, quiet):
    assert request(server, "", raw=b"\x16\x03\x01 not http at all\r\n\r\n")[0] == 400


def test_too_many_headers_is_431(server, quiet):
    status, _, _ = request(server, "/gallery.html", headers={f"X-{i}": "y" for i in range(200)})
    assert status == 431


def test_other_methods_are_501(server, quiet):
    assert request(server, "/gallery.html", method="POST")[0] == 501
    assert request(server, "/gallery.html", method="DELETE")[0] == 501


def test_a_name_too_long_is_404(server, quiet):
    assert request(server, "/" + "a" * 5000 + ".mp4")[0] == 404


# --- ranges ---------------------------------------------------------------------------------------

def test_a_5000_digit_range_is_416(server, quiet):
    status, headers, _ = request(server, "/conv2d.mp4", headers={"Range": "bytes=" + "9" * 5000 + "-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(CLIP)}"
    status, headers, _ = request(server, "/conv2d.mp4", headers={"Range": "bytes=" + "9" * 5000 + "-" + "9" * 5000})
    assert status == 416


def test_huge_ends_and_suffixes_mean_to_the_end(server, quiet):
    status, headers, body = request(server, "/conv2d.mp4", headers={"Range": "bytes=10-" + "9" * 5000})
    assert status == 206 and body == CLIP[10:] and headers["content-range"] == f"bytes 10-{len(CLIP) - 1}/{len(CLIP)}"
    status, _, body = request(server, "/conv2d.mp4", headers={"Range": "bytes=-" + "9" * 5000})
    assert status == 206 and body == CLIP


@pytest.mark.parametrize("value, status, part", [
    ("bytes=10-19", 206, CLIP[10:20]),
    ("bytes=-16", 206, CLIP[-16:]),
    ("bytes=10240-", 416, b""),
    ("bytes=-0", 416, b""),
    ("bytes=20-10", 200, CLIP),  # invalid: ignored
    ("bytes=0-1,5-6", 200, CLIP),  # several ranges: not supported, ignored
    ("items=0-10", 200, CLIP),
    ("bytes=abc", 200, CLIP),
    ("bytes=-", 200, CLIP),
    ("bytes=\u0663-4", 200, CLIP),  # a non-ASCII digit (Arabic-Indic three) is not a digit here
])
def test_range_forms(server, quiet, value, status, part):
    got, _, body = request(server, "/conv2d.mp4", headers={"Range": value.encode("utf-8").decode("latin-1")})
    assert got == status and (body == part or status == 416)


def test_parse_range_reads_any_number_of_digits():
    many = "1" * 100_000  # past Python's 4300-digit limit of int()
    assert parse_range(f"bytes=0-{many}", 100) == (0, 99)
    assert parse_range(f"bytes=-{many}", 100) == (0, 99)
    with pytest.raises(Exception) as err:
        parse_range(f"bytes={many}-", 100)
    assert err.value.status == 416
    assert parse_range("bytes=\u0663-4", 100) is None  # only ASCII digits are digits


# --- what is served -------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/.cache/", "/.cache", "/sections/", "/sections", "/sections/conv2d/",
                                    "/posters/", "/.cache/conv2d.key", "/.cache%2fconv2d.key", "/%2ecache/conv2d.key"])
def test_no_listings_and_no_hidden_files(server, quiet, target):
    status, _, body = request(server, target)
    assert status == 404 and b"conv2d" not in body and b"secret" not in body


@pytest.mark.parametrize("target, content", [
    ("/sections/conv2d/sections.json", b"[]"),
    ("/sections/conv2d/conv2d_0000_title.mp4", CLIP[:100]),
    ("/posters/conv2d.png", b"\x89PNG fake"),
    ("/conv2d.json", b'{"scene": "conv2d"}'),
    ("/slides/", b"<!doctype html><title>deck</title>"),  # a folder's own index.html, not a listing
    ("/slides/index.html?v=3#x", b"<!doctype html><title>deck</title>"),
])
def test_files_the_pages_need_are_served(server, quiet, target, content):
    status, headers, body = request(server, target)
    assert status == 200 and body == content and headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("target", ["/../outside.txt", "/%2e%2e/outside.txt", "/sections/..%2f..%2foutside.txt",
                                    "/sections/conv2d/../../../outside.txt", "//etc/passwd", "/..%5coutside.txt",
                                    "http://127.0.0.1/../outside.txt", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"])
def test_path_traversal_is_refused(server, quiet, target):
    status, _, body = request(server, target)
    assert status in (400, 404) and b"not yours" not in body and b"root:" not in body


def test_a_symlink_out_of_the_folder_is_not_followed(server, out, quiet):
    os.symlink(out.parent / "outside.txt", out / "link.txt")
    os.symlink("/etc", out / "etc")
    assert request(server, "/link.txt")[0] == 404
    assert request(server, "/etc/passwd")[0] == 404
    os.symlink(out / "conv2d.json", out / "inside.json")  # inside the folder: fine
    assert request(server, "/inside.json")[0] == 200


def test_version_index_and_head(server, quiet):
    status, headers, body = request(server, "/version")
    assert status == 200 and json.loads(body)["version"] == 0
    status, headers, _ = request(server, "/")
    assert status == 302 and headers["location"] == "/gallery.html"
    status, headers, body = request(server, "/conv2d.mp4", method="HEAD")
    assert status == 200 and headers["content-length"] == str(len(CLIP)) and body == b""


# --- Host: DNS rebinding --------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.1",
                                  "localhost.evil.example:{port}", "[::1]:{port}", "0.0.0.0:{port}", "", None])
def test_foreign_host_is_refused(server, quiet, host):
    host = host.format(port=server.port) if host else host
    status, _, body = request(server, "/conv2d.json", host=host)
    assert status == 421 and b"scene" not in body
    assert b"127.0.0.1:%d" % server.port in body  # says what it answers to


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}"])
def test_own_host_is_served(server, quiet, host):
    assert request(server, "/conv2d.json", host=host.format(port=server.port))[0] == 200


def test_binds_loopback_only(out):
    with PreviewServer(out, 0) as server:
        assert server.httpd.server_address[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.port}/"
    with pytest.raises(TypeError):
        PreviewServer(out, 0, host="0.0.0.0")  # there is no way to ask for another interface


def test_many_hostile_requests_leave_the_server_serving(server, quiet):
    for target in ["/%00", "/%zz", "/../x", "/.cache/"] * 5:
        request(server, target)
    request(server, "/conv2d.mp4", headers={"Range": "bytes=" + "7" * 5000 + "-"})
    assert request(server, "/conv2d.json")[0] == 200
