"""Shared helpers of the preflight tests."""

from __future__ import annotations

import socket

from synthlaunch.http import RetryPolicy

#: quick retries so tests stay fast (Retry-After still honoured, capped at 30 s)
FAST = RetryPolicy(attempts=4, deadline=20.0, backoff_base=0.01, backoff_max=0.05)
ENV_KEY = "sk_env_0123456789abcdef0123456789ab"
SYNTH_KEY = "sk_live_synth_fedcba9876543210fedcba98"


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"
