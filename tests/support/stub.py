"""A tiny scripted HTTP server (the one of the suite) on 127.0.0.1 for behaviours the demo task app does not have
(400 for a bad key, 200 with authorized=false, scripted 429/503 sequences). Real HTTP, no mocks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StubServer:
    """`script(path, *answers)`: answers are (status, body, headers) served in order, the last repeats;
    path "*" answers every path that has no script of its own (unscripted paths get a 404).
    `requests` records (method, path, headers, body) of every request, in order.

    A body that is callable writes the whole answer itself (`body(handler)`: status line, headers and
    body), for answers a JSON reply cannot be (HTML, a dripping or oversized body, gzip)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with stub._lock:
                    stub.requests.append((self.command, path, dict(self.headers), body))
                    queue = stub.answers.get(path, stub.answers.get("*"))
                    if queue:
                        status, payload, headers = queue.pop(0) if len(queue) > 1 else queue[0]
                    else:
                        status, payload, headers = 404, {"detail": "Not Found"}, {}
                if callable(payload):
                    payload(self)
                    return
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def script(self, path: str, *answers: tuple) -> None:
        with self._lock:
            self.answers[path] = [(a[0], a[1], a[2] if len(a) > 2 else {}) for a in answers]

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for (_, p, h, _) in self.requests if p == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
