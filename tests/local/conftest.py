"""Fixtures of the real-training tests (tests/local/training, tests/local/rl): the folder the built-in
tiny model is built in (once per test process), and backends with the torch trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.support.servers import Backend


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def torch_backend(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Callable[..., Backend]]:
    """A factory of started backends with the torch trainer, stopped at the end of the test."""
    started: list[Backend] = []

    def make(**more: Any) -> Backend:
        more.setdefault("data_dir", tmp_path_factory.mktemp("backend"))
        server = Backend(trainer="torch", model_cache=model_cache, step_seconds=0.01, **more)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
