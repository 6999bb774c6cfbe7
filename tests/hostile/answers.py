"""Hostile answers for `StubServer` (tests/preflight/stub.py): each is a callable body that writes the
whole HTTP answer itself. Real HTTP on 127.0.0.1, no mocks."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any, Callable

Answer = Callable[[Any], None]


def raw(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    """`status` with `body` as is and these headers (Content-Length added)."""
    def write(handler: Any) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return write


NGINX_PAGE = (b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head>"
              b"<body><h1>Welcome to nginx!</h1></body></html>")


def html(status: int = 200) -> Answer:
    return raw(status, NGINX_PAGE, {"Content-Type": "text/html"})


def invalid_json(status: int = 200) -> Answer:
    return raw(status, b'{"jobs": [', {"Content-Type": "application/json"})


def json_list(status: int = 200) -> Answer:
    return raw(status, b"[1, 2, 3]", {"Content-Type": "application/json"})


def redirect(location: str, status: int = 307) -> Answer:
    return raw(status, b"", {"Location": location})


def huge(size: int, status: int = 200, chunk: int = 1 << 20) -> Answer:
    """A JSON-looking body of `size` bytes, streamed (the stub never holds it whole)."""
    def write(handler: Any) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        sent = 0
        block = b'{"detail": "' + b"x" * (chunk - 12)
        try:
            while sent < size:
                piece = block[: min(chunk, size - sent)]
                handler.wfile.write(piece)
                sent += len(piece)
        except OSError:  # the client stopped reading: expected
            pass
    return write


def gzip_bomb(expanded: int, status: int = 200) -> Answer:
    """A gzip body that expands to `expanded` bytes (zeros compress ~1000:1: 512 MiB is ~0.5 MB)."""
    out = gzip.compress(b"\0" * expanded, compresslevel=9)
    return raw(status, out, {"Content-Type": "application/json", "Content-Encoding": "gzip"})


def chunked_gzip_bomb(expanded: int, status: int = 200) -> Answer:
    """The same bomb, compressed piece by piece and sent with chunked encoding (no Content-Length)."""
    import zlib

    def write(handler: Any) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\0" * (1 << 20)
        try:
            for _ in range(expanded // len(block)):
                data = comp.compress(block)
                if data:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            data = comp.flush()
            handler.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
        except OSError:
            pass
    return write


def drip(body: bytes = b'{"jobs": []}', every: float = 2.0, status: int = 200) -> Answer:
    """Headers at once, then the body one byte every `every` seconds."""
    def write(handler: Any) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for i in range(len(body)):
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass
    return write


def json_body(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """JSON text written as is (NaN, Infinity, lone surrogates allowed: what a broken server sends)."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return raw(status, text.encode("utf-8", "surrogatepass"), {"Content-Type": "application/json", **(headers or {})})


def drip_headers(every: float = 0.5, *, status_line_at_once: bool = False) -> Answer:
    """The status line and headers one byte every `every` seconds (then a small JSON body);
    `status_line_at_once`: the status line at once, only the headers dripping."""
    def write(handler: Any) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 400 + b"\r\n"
        try:
            if status_line_at_once:
                handler.wfile.write(head[:17])
                head = head[17:]
            for i in range(len(head)):
                handler.wfile.write(head[i:i + 1])
                handler.wfile.flush()
                time.sleep(every)
            handler.wfile.write(b"Content-Length: 2\r\n\r\n{}")
        except OSError:
            pass
    return write
