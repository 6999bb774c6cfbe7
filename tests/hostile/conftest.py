"""Fixtures of the hostile-server tests: scripted stubs on 127.0.0.1 (tests/preflight/stub.py)."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from tests.support.stub import StubServer


@pytest.fixture
def stubs() -> Iterator[Callable[[], StubServer]]:
    """`stubs()` starts one more scripted stub server; all are stopped at the end of the test."""
    started: list[StubServer] = []

    def make() -> StubServer:
        server = StubServer()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
