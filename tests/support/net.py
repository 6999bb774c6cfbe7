"""Ports and retry timing for tests that talk HTTP on 127.0.0.1."""

from __future__ import annotations

import socket

from synthlaunch.http import RetryPolicy

#: quick retries so tests stay fast (Retry-After still honoured, capped at 30 s)
FAST = RetryPolicy(attempts=4, deadline=20.0, backoff_base=0.01, backoff_max=0.05)


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"
