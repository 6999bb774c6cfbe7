"""Peak memory and time of a client command against hostile answers (issue 13).

Serves, from this process on 127.0.0.1, `GET /api/learning/jobs` answered by one hostile body per
scenario, and runs `synthlaunch jobs --backend URL` against it in a child process whose peak RSS is
read from `os.wait4` (the child's own rusage: the server's memory is not counted):

- `huge`:  a 200 MB JSON-looking body (Content-Length set), streamed by the server;
- `huge-nolen`: the same without Content-Length (read until the server closes);
- `bomb`:  a ~0.5 MB gzip body that expands to 512 MiB;
- `drip`:  a small JSON body sent one byte every 2 s (the command must give up, not hang);
- `drip-headers`: the status line and headers sent one byte every 2 s;
- `ok`:    a normal `{"jobs": []}` (the baseline: the interpreter and the tool's imports).

    .venv/bin/python bench/bench_hostile.py
    .venv/bin/python bench/bench_hostile.py --lib /tmp/old/lib     # the same against another checkout's lib/

Prints one line per scenario: exit code, seconds, peak RSS in MiB, and the first error line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

MIB = 1024 * 1024


def _huge(handler: BaseHTTPRequestHandler, size: int = 200 * 1000 * 1000, length: bool = True) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if length:
        handler.send_header("Content-Length", str(size))
    handler.end_headers()
    block = b'{"jobs": ["' + b"x" * (MIB - 11)
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        handler.wfile.write(piece)
        sent += len(piece)


def _gzip_zeros(size: int) -> bytes:
    """gzip of `size` zero bytes, compressed 1 MiB at a time (this process never holds them whole:
    a child's peak RSS counts what its parent held when it was started)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    return b"".join(comp.compress(block) for _ in range(size // MIB)) + comp.flush()


BOMB = _gzip_zeros(512 * MIB)


def _bomb(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(BOMB)))
    handler.end_headers()
    handler.wfile.write(BOMB)


def _drip(handler: BaseHTTPRequestHandler) -> None:
    body = b'{"jobs": [' + b" " * 200 + b"]}"
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    for i in range(len(body)):
        handler.wfile.write(body[i:i + 1])
        handler.wfile.flush()
        time.sleep(2)


def _drip_headers(handler: BaseHTTPRequestHandler) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 200 + b"\r\n"
    for i in range(len(head)):
        handler.wfile.write(head[i:i + 1])
        handler.wfile.flush()
        time.sleep(2)


def _ok(handler: BaseHTTPRequestHandler) -> None:
    body = b'{"jobs": []}'
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


SCENARIOS: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
    "ok": _ok, "huge": _huge, "huge-nolen": lambda h: _huge(h, length=False), "bomb": _bomb, "drip": _drip,
    "drip-headers": _drip_headers,
}


def serve(answer: Callable[[BaseHTTPRequestHandler], None]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            try:
                answer(self)
            except OSError:  # the client gave up: expected
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(url: str, lib: str | None, timeout: float) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS MiB, first error line) of `synthlaunch jobs` against `url`."""
    env = {k: v for k, v in os.environ.items() if k not in ("BACKEND_BASE_URL", "SYNTH_BACKEND_URL_OVERRIDE")}
    env["SYNTH_API_KEY"] = "sk_bench_" + "0" * 24
    if lib:
        env["PYTHONPATH"] = lib
    code = ("from synthlaunch.program import program; "
            f"program.run(['synthlaunch', 'jobs', '--backend', {url!r}, '--no-input'])")
    with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        killer.cancel()
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        first = next((line.strip() for line in err if line.strip()), "")
    return proc.returncode, seconds, usage.ru_maxrss / 1024, first  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", help="run the command from this lib/ folder (PYTHONPATH) instead of the installed one")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--timeout", type=float, default=600.0, help="kill the command after this many seconds")
    args = parser.parse_args()
    for name in args.scenarios.split(","):
        server = serve(SCENARIOS[name])
        try:
            code, seconds, rss, first = run(f"http://127.0.0.1:{server.server_address[1]}", args.lib, args.timeout)
        finally:
            server.shutdown()
            server.server_close()
        print(f"{name:12}  exit {code:>3}  {seconds:7.1f} s  peak RSS {rss:7.1f} MiB  {first[:110]}")


if __name__ == "__main__":
    main()
