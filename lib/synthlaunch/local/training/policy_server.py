"""The RL training process's inference server: `POST /{cid}/v1/chat/completions` on a free loopback
port (stdlib `http.server`, one thread per request), for the policy this process trains.

The backend hands task apps `<backend>/rl/jobs/{job_id}/inference/{cid}` and proxies to this server
(docs/rollout-contract.md). Only correlation ids the rollout driver opened are served (404
otherwise), so the unauthenticated route (task apps send no key to the policy) answers only for the
episodes of this job while they run. Each completion is recorded under its id, in call order.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .chat import ChatError, ChatModel, Completion

MAX_BODY = 8 * 1024 * 1024


class PolicyServer:
    def __init__(self, chat: ChatModel, host: str = "127.0.0.1") -> None:
        self.chat = chat
        self._open: dict[str, list[Completion]] = {}
        self._guard = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def _send(self, status: int, obj: Any) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/") in ("", "/health"):
                    self._send(200, {"ok": True, "model": chat.model_id})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if 0 < length <= MAX_BODY else b""
                status, obj = server.handle(self.path, raw)
                self._send(status, obj)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # every concurrent episode may connect at once (default 5)

        self.httpd = Server((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="synthlaunch-policy", daemon=True)

    def start(self) -> "PolicyServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- episodes -----------------------------------------------------------------------------

    def open(self, cid: str) -> None:
        with self._guard:
            self._open[cid] = []

    def close(self, cid: str) -> list[Completion]:
        """Stop serving `cid`; its completions in call order."""
        with self._guard:
            return self._open.pop(cid, [])

    def handle(self, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) < 3 or parts[-2:] != ["chat", "completions"] or parts[1:-2] not in (["v1"], []):
            return 404, {"error": {"message": f"no route {path}; POST /{{cid}}/v1/chat/completions"}}
        cid = parts[0]
        with self._guard:
            known = cid in self._open
        if not known:
            return 404, {"error": {"message": f"correlation id {cid!r} is not an open episode of this job"}}
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return 400, {"error": {"message": "the body is not JSON"}}
        if not isinstance(body, dict):
            return 400, {"error": {"message": "the body must be a JSON object"}}
        try:
            reply, record = self.chat.complete(body)
        except ChatError as exc:
            return 400, {"error": {"message": str(exc), "type": "invalid_request_error"}}
        except Exception as exc:  # the model failed: the task app sees a 500, the episode goes on
            return 500, {"error": {"message": f"{type(exc).__name__}: {exc}"[:500]}}
        with self._guard:
            if cid in self._open:
                self._open[cid].append(record)
        return 200, reply
