"""Shared fixtures: the embedded backend and the demo task app on free 127.0.0.1 ports.

- `backend` (session, shared, no faults): `.root`, `.url`, `.api_url`, `.api_key`,
  `.environment_api_key`, `.data_dir`, `.set_faults(spec)`, `.clear_faults()`, `.client()`.
  Tests that set faults must clear them (prefer `backend_factory` for faults).
- `backend_factory(faults=None, step_seconds=0.01, api_keys=None, environment_api_keys=None,
  data_dir=None, **more)`: a fresh backend (same attributes plus `.stop()`, `.restart()`),
  stopped at the end of the test. Its environment key defaults to `ENV_KEY` (the one the
  `task_app` fixtures accept), so `verify_task_app` passes against them.
- `task_app` (function scope): the demo task app accepting `ENV_KEY`; `.url`,
  `.environment_api_key`, `.stop()`.
- `task_app_factory(environment_api_keys=None)`: more task apps (default key `ENV_KEY`).
"""

from __future__ import annotations

import secrets
from typing import Any, Callable, Iterator

import pytest

from servers import Backend as BackendServer, TaskAppServer

# Keys share no word with test names or paths ("sk_test_…" would put "_test_" + hex digits in
# reach of tmp paths), so the leak checks' 8-character fragments cannot match by accident.
#: the environment key shared by the `backend` fixture and the `task_app` fixtures
ENV_KEY = "env_" + secrets.token_hex(16)
#: the API key of the shared `backend` fixture
API_KEY = "sk_" + secrets.token_hex(16)


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(api_keys=[API_KEY], environment_api_keys=[ENV_KEY], step_seconds=0.01,
                           data_dir=tmp_path_factory.mktemp("backend"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def backend_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., BackendServer]]:
    started: list[BackendServer] = []

    def make(faults: str | None = None, step_seconds: float = 0.01, api_keys: list[str] | None = None,
             environment_api_keys: list[str] | None = None, data_dir: Any = None, **more: Any) -> BackendServer:
        server = BackendServer(faults=faults, step_seconds=step_seconds, api_keys=api_keys,
                               environment_api_keys=environment_api_keys or [ENV_KEY],
                               data_dir=data_dir if data_dir is not None else tmp_path_factory.mktemp("backend"),
                               **more)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def task_app_factory() -> Iterator[Callable[..., TaskAppServer]]:
    started: list[TaskAppServer] = []

    def make(environment_api_keys: list[str] | None = None) -> TaskAppServer:
        server = TaskAppServer(environment_api_keys=environment_api_keys or [ENV_KEY])
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def task_app(task_app_factory: Callable[..., TaskAppServer]) -> TaskAppServer:
    return task_app_factory()
