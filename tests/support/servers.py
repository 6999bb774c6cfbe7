"""Start servers (the embedded backend, the demo task app) and stop them all at the end."""

from __future__ import annotations

import contextlib
from typing import Iterator, Protocol, TypeVar


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
