"""The embedded servers as tests use them, and a block that stops every server started in it.

`Backend` is a `BackendServer` that also hands out a client of itself: the library's `local/`
package imports no client code (the import contract), so tests join the two here."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Protocol, TypeVar

from synthlaunch.api import SynthClient
from synthlaunch.local.serve import BackendServer, TaskAppServer

__all__ = ["Backend", "BackendServer", "TaskAppServer", "Running", "running"]


class Backend(BackendServer):
    """`BackendServer` plus `client(**kwargs)`: a SynthClient of this backend with its first key."""

    def client(self, **kwargs: Any) -> SynthClient:
        return SynthClient(self.api_url, self.api_key, **kwargs)


class Server(Protocol):
    def start(self) -> object: ...

    def stop(self) -> object: ...


S = TypeVar("S", bound=Server)


class Running:
    """`start(server)` starts it and returns it; all of them are stopped when the block ends."""

    def __init__(self) -> None:
        self.servers: list[Server] = []

    def start(self, server: S) -> S:
        server.start()
        self.servers.append(server)
        return server


@contextlib.contextmanager
def running() -> Iterator[Running]:
    """A block in which servers are started; on the way out they stop, the last started first."""
    group = Running()
    try:
        yield group
    finally:
        for server in reversed(group.servers):
            server.stop()
