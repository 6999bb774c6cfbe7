"""A scripted job backend on 127.0.0.1 for what the embedded backend does not do: no event stream
(404/405), a stream that breaks half-way, later backends' names (`paused`, `ts`, `warn`,
`learning.policy.*` events). Real HTTP (http.server), no mocks.

    stub = JobStub(events=[...], status="running", stream="break:3")
    client = SynthClient(stub.url + "/api", "sk_…")

`stream`: "ok" (every event, then the end), "404", "405", "break:N" (N frames, then the
connection is dropped in the middle of a chunk), "idle" (every event, then keep-alive comments
until the client leaves), or "endless" (one frame of 13 MB that never ends). `final_status` is
what the job reports once its events were sent.
The polled routes answer from `events` after `since_seq` (or from the start when `repeat=True`,
to check de-duplication); the first read of the events finds only the first one (the job has just
started).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class JobStub:
    def __init__(self, *, job_id: str = "job_stub", events: list[dict[str, Any]], status: str = "running",
                 stream: str = "ok", repeat: bool = False, final_status: str | None = None) -> None:
        self.job_id = job_id
        self.events = events
        self.status = status
        #: the status the job reports once the stream or the events were read to the end
        self.final_status = final_status
        self.stream = stream
        self.repeat = repeat
        self.requests: list[str] = []
        self.event_reads = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                path = parts.path
                stub.requests.append(f"GET {self.path}")
                base = f"/api/learning/jobs/{stub.job_id}"
                if path == base:
                    return self._json(200, {"id": stub.job_id, "status": stub.status, "type": "sft"})
                if path == base + "/events":
                    since = 0 if stub.repeat else int(query.get("since_seq", 0))
                    stub.event_reads += 1
                    # the first read finds the job just started: only its first event is there
                    written = stub.events[:1] if stub.event_reads == 1 else stub.events
                    page = [e for e in written if e["seq"] > since]
                    if stub.final_status and page and page[-1] is stub.events[-1]:
                        stub.status = stub.final_status
                    return self._json(200, {"events": page})
                if path == base + "/metrics":
                    return self._json(200, {"points": []})
                if path == base + "/timeline":
                    return self._json(200, {"events": []})
                if path == base + "/events/stream":
                    return self._stream(int(self.headers.get("Last-Event-ID") or query.get("since_seq", 0)))
                return self._json(404, {"detail": "Not Found"})

            def _stream(self, since: int) -> None:
                if stub.stream in ("404", "405"):
                    return self._json(int(stub.stream), {"detail": "no event stream here"})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if stub.stream == "endless":  # one frame that never ends
                    try:
                        for _ in range(200):
                            self._chunk("data: " + "x" * 65536)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                limit = int(stub.stream.split(":")[1]) if stub.stream.startswith("break:") else None
                sent = 0
                for event in (e for e in stub.events if e["seq"] > since):
                    if limit is not None and sent >= limit:
                        # half a chunk, then the connection goes away: a broken stream
                        self.wfile.write(b"40\r\nid: 9")
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self._chunk(f"id: {event['seq']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n")
                    self._chunk(": keep-alive\n\n")
                    sent += 1
                if stub.final_status:
                    stub.status = stub.final_status
                if stub.stream == "idle":  # nothing more happens: keep-alives until the client goes away
                    try:
                        for _ in range(600):
                            self._chunk(": keep-alive\n\n")
                            time.sleep(0.05)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, suffix: str) -> int:
        """Requests whose path (query left out) ends with `suffix`."""
        return sum(1 for r in self.requests if r.split("?", 1)[0].endswith(suffix))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sft_events(n_steps: int, *, terminal: str = "sft.job.completed") -> list[dict[str, Any]]:
    events = [{"seq": 1, "type": "sft.job.started", "level": "info", "message": "started"}]
    events += [{"seq": 2 + i, "type": "sft.train.step", "level": "info", "message": f"step {i}",
                "data": {"step": i}} for i in range(n_steps)]
    events.append({"seq": len(events) + 1, "type": terminal, "level": "info", "message": "done"})
    return events
