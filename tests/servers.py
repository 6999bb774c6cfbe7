"""The embedded servers as tests use them: a `BackendServer` that also hands out a client of itself
(the library's `local/` package imports no client code; tests join the two here)."""

from __future__ import annotations

from typing import Any

from synthlaunch.api import SynthClient
from synthlaunch.local.serve import BackendServer, TaskAppServer

__all__ = ["Backend", "BackendServer", "TaskAppServer"]


class Backend(BackendServer):
    """`BackendServer` plus `client(**kwargs)`: a SynthClient of this backend with its first key."""

    def client(self, **kwargs: Any) -> SynthClient:
        return SynthClient(self.api_url, self.api_key, **kwargs)
