"""Shared fixtures: a private environment for every test, and the embedded backend and the demo
task app on free 127.0.0.1 ports.

- `private_environment` (autouse): no variable the tool reads, state/cache/XDG/HOME in tmp.

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

import itertools
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.support.env import is_tool_variable, private_dirs
from tests.support.keys import API_KEY, ENV_KEY
from tests.support.servers import Backend as BackendServer
from tests.support.servers import TaskAppServer, running


@pytest.fixture(scope="session")
def _private_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("private")


_test_number = itertools.count()


@pytest.fixture(autouse=True)
def private_environment(monkeypatch: pytest.MonkeyPatch, _private_root: Path) -> Path:
    """Every test runs without the developer's variables and with its own folders.

    Every variable the tool reads (`tests.support.env.TOOL_VARIABLES`, CI included, and Invoke's
    `INVOKE_SYNTHLAUNCH_*`) is removed; state, upload cache, XDG folders and HOME (so Invoke's
    `~/.invoke.yaml`) point into a fresh folder, returned. A test that wants a variable sets it.
    """
    for name in [n for n in os.environ if is_tool_variable(n)]:
        monkeypatch.delenv(name)
    folder = _private_root / str(next(_test_number))
    for name, value in private_dirs(folder).items():
        monkeypatch.setenv(name, value)
    Path(os.environ["HOME"]).mkdir(parents=True)
    return folder


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    with running() as servers:
        yield servers.start(BackendServer(api_keys=[API_KEY], environment_api_keys=[ENV_KEY], step_seconds=0.01,
                                          data_dir=tmp_path_factory.mktemp("backend")))


@pytest.fixture
def backend_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., BackendServer]]:
    with running() as servers:
        def make(faults: str | None = None, step_seconds: float = 0.01, api_keys: list[str] | None = None,
                 environment_api_keys: list[str] | None = None, data_dir: Any = None, **more: Any) -> BackendServer:
            return servers.start(BackendServer(
                faults=faults, step_seconds=step_seconds, api_keys=api_keys,
                environment_api_keys=environment_api_keys or [ENV_KEY],
                data_dir=data_dir if data_dir is not None else tmp_path_factory.mktemp("backend"), **more))

        yield make


@pytest.fixture
def task_app_factory() -> Iterator[Callable[..., TaskAppServer]]:
    with running() as servers:
        def make(environment_api_keys: list[str] | None = None) -> TaskAppServer:
            return servers.start(TaskAppServer(environment_api_keys=environment_api_keys or [ENV_KEY]))

        yield make


@pytest.fixture
def task_app(task_app_factory: Callable[..., TaskAppServer]) -> TaskAppServer:
    return task_app_factory()
