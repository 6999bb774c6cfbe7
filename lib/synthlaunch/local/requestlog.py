"""A request log for the embedded servers (`inv local.backend --log-requests`): one record per
request with method, path, status and latency, so a user can see what a client sent.

Pure ASGI middleware, outermost (injected faults are logged too). It reads the method and the path
only: never a header value and never the query string (a hostile client may put a key there). A
streamed answer (the event stream) is logged when it ends, with its whole duration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int | None     # None: the client went away before an answer started
    latency_ms: float

    def line(self) -> str:
        status = "-" if self.status is None else str(self.status)
        return f"{self.method} {self.path} {status} {self.latency_ms:.1f} ms"


RequestHook = Callable[[RequestRecord], None]


class RequestLogMiddleware:
    def __init__(self, app: Any, hook: RequestHook) -> None:
        self.app = app
        self.hook = hook

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def send_logged(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message.get("status", 0)))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            path = str(scope.get("path") or "")
            # control characters of a hostile path must not reach the terminal
            path = "".join(c if c.isprintable() else "?" for c in path)[:300]
            self.hook(RequestRecord(str(scope.get("method") or "?"), path, status[0] if status else None,
                                    (time.perf_counter() - started) * 1000.0))
