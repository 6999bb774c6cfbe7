"""Defaults of the settings a user may also set in Invoke's configuration (`invoke.yaml`:
`synthlaunch: {backend: …, poll_interval: …}`, or `INVOKE_SYNTHLAUNCH_*`). The one source:
`ns.configure` publishes them, and every command falls back to them."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "backend": None,          # None: BACKEND_BASE_URL, …, then the hosted backend
    "poll_interval": 5,       # seconds between polls
    "poll_timeout": 3600,     # seconds of watching before exit 5
    "stream_format": "cli",   # cli | chart | json
}
