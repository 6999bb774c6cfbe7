"""The embedded backend and the demo task app as servers in a background thread (`BackendServer`,
`TaskAppServer`): used by tests, by `demo`, and in the foreground by `commands.local`.

    with BackendServer(step_seconds=0.01) as backend, TaskAppServer() as app:
        requests.get(backend.api_url + "/learning/jobs", headers={"Authorization": f"Bearer {backend.api_key}"})

Nothing here imports the client, the commands or the renderers (the import contract says so).
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

DEFAULT_STEP_SECONDS = 0.2
TRAINERS = ("emulate", "torch")


def default_trainer() -> str:
    """"torch" when the training dependencies are installed (`synthlaunch[train]`), else "emulate"."""
    from .training import available

    return "torch" if available() else "emulate"


def generate_key(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive number of bytes, got {value!r}")
    return value


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _nodelay_h11_protocol() -> type:
    """uvicorn's h11 protocol with TCP_NODELAY on each connection.

    Without it a keep-alive client (a requests Session) waits ~40 ms per request: uvicorn writes the
    response head and body separately, Nagle holds the body until the client's delayed ACK.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class NoDelayH11Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            super().connection_made(transport)

    return NoDelayH11Protocol


def _quick_server_class() -> type:
    """uvicorn.Server noticing `should_exit` within ~10 ms instead of 100 ms (fast test teardown)."""
    import asyncio

    import uvicorn

    class QuickServer(uvicorn.Server):
        async def main_loop(self) -> None:
            ticks = 0
            should_exit = await self.on_tick(0)
            while not should_exit and not self.should_exit:
                await asyncio.sleep(0.01)
                ticks += 1
                if ticks % 10 == 0:  # uvicorn's own cadence: one on_tick per 100 ms
                    should_exit = await self.on_tick((ticks // 10) % 864000)

    return QuickServer


class _ThreadedServer:
    """A uvicorn server on a socket bound up front (port 0 → a free port), run in a thread."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _make_app(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _serve_in_thread(self, app: Any) -> None:
        import uvicorn

        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                http=_nodelay_h11_protocol(), timeout_graceful_shutdown=2,
                                # longer than any poll interval: no race with a reused idle connection
                                timeout_keep_alive=75)
        server = _quick_server_class()(config)
        self._server = server
        failure: list[BaseException] = []

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # pragma: no cover - surfaced below
                failure.append(exc)
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name=f"synthlaunch-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if failure or not self._thread.is_alive():
                raise RuntimeError(f"the server on {self.url} did not start: {failure[0] if failure else 'exited'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start within 15 s")
            time.sleep(0.002)

    def _stop_thread(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        """Block until the server stops (foreground use)."""
        while self.running:
            time.sleep(0.2)

    def __enter__(self) -> "_ThreadedServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> "_ThreadedServer":  # pragma: no cover - abstract
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class BackendServer(_ThreadedServer):
    """The embedded Synth-compatible backend on `host:port` (0 = free port), state in `data_dir`.

    `api_keys` / `environment_api_keys` default to one generated key each. `data_dir` defaults to
    a temporary folder removed on `stop()`. `faults` is a SPEC string (see `faults.py`).
    `file_check_seconds` delays the processing → ready transition of uploads (tests).
    `max_body_bytes` / `max_upload_bytes` bound one request's JSON body / uploaded file (413 above;
    defaults `backend.MAX_BODY_BYTES`, 1 MiB, and `backend.MAX_UPLOAD_BYTES`, 1 GiB).

    `trainer`: "emulate" (synthetic metrics, the default of this class) or "torch" (SFT jobs train
    for real, one process each, at most `max_jobs` at once; needs the `train` extra).
    `model_aliases` ("Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3" items or a mapping) let a stand-in
    train for an id whose weights are not here; `model_cache` is where built-in tiny models are built.
    `event_stream=False` leaves out `GET …/events/stream` (a backend older than the stream);
    `keepalive_seconds` spaces its keep-alive comments. `log_requests` receives a `RequestRecord`
    (method, path, status, latency) for every request.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, data_dir: str | os.PathLike[str] | None = None,
                 api_keys: Sequence[str] | None = None, environment_api_keys: Sequence[str] | None = None,
                 faults: str | None = None, step_seconds: float | None = None,
                 file_check_seconds: float = 0.0, idempotency_ttl: float | None = None,
                 max_body_bytes: int | None = None, max_upload_bytes: int | None = None,
                 trainer: str = "emulate", max_jobs: int = 1,
                 model_aliases: "Sequence[str] | dict[str, str] | None" = None,
                 model_cache: str | os.PathLike[str] | None = None,
                 event_stream: bool = True, keepalive_seconds: float | None = None,
                 log_requests: Any = None) -> None:
        super().__init__(host, port)
        from .backend import MAX_BODY_BYTES, MAX_UPLOAD_BYTES
        self.event_stream = event_stream
        self.keepalive_seconds = keepalive_seconds
        self.log_requests = log_requests
        from .faults import FaultInjector
        from .training import missing_packages
        from .training.models import parse_aliases

        if trainer not in TRAINERS:
            raise ValueError(f"trainer must be one of {', '.join(TRAINERS)}, got {trainer!r}")
        if trainer == "torch" and missing_packages():
            raise ValueError(f"the torch trainer needs {', '.join(missing_packages())}: "
                             "pip install 'synthlaunch[train]' (or use the emulate trainer)")
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise ValueError(f"max_jobs must be a whole number of at least 1, got {max_jobs!r}")
        self.trainer = trainer
        self.max_jobs = max_jobs
        self.model_aliases = parse_aliases(model_aliases)
        self.model_cache = Path(model_cache) if model_cache else None
        self.training: Any = None

        self.max_body_bytes = _positive("max_body_bytes", MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes)
        self.max_upload_bytes = _positive("max_upload_bytes",
                                          MAX_UPLOAD_BYTES if max_upload_bytes is None else max_upload_bytes)

        self.api_keys = list(api_keys) if api_keys else [generate_key("sk_local")]
        self.environment_api_keys = (list(environment_api_keys) if environment_api_keys
                                     else [generate_key("env_local")])
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="synthlaunch-backend-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.step_seconds = DEFAULT_STEP_SECONDS if step_seconds is None else float(step_seconds)
        self.file_check_seconds = file_check_seconds
        self.idempotency_ttl = idempotency_ttl
        self.injector = FaultInjector(faults)  # raises FaultSpecError on a bad SPEC
        self.store: Any = None
        self.worker: Any = None

    @property
    def root(self) -> str:
        return self.url

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    @property
    def api_key(self) -> str:
        return self.api_keys[0]

    @property
    def environment_api_key(self) -> str:
        return self.environment_api_keys[0]

    def start(self) -> "BackendServer":
        from .backend import KEEPALIVE_SECONDS, BackendState, create_app
        from .store import IDEMPOTENCY_TTL, Store
        from .worker import Worker

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data_dir, idempotency_ttl=self.idempotency_ttl or IDEMPOTENCY_TTL)
        self.store.expire_idempotency()
        self.worker = Worker(self.store, step_seconds=self.step_seconds,
                             file_check_seconds=self.file_check_seconds)
        if self.trainer == "torch":
            from .training.service import TrainingService

            self.training = TrainingService(self.store, self.data_dir, max_jobs=self.max_jobs,
                                            model_aliases=self.model_aliases, model_cache=self.model_cache,
                                            environment_api_keys=self.environment_api_keys)
        self.worker.real_training = self.training is not None
        state = BackendState(self.store, self.worker, self.injector, self.api_keys, self.environment_api_keys,
                             max_body_bytes=self.max_body_bytes, max_upload_bytes=self.max_upload_bytes,
                             training=self.training, event_stream=self.event_stream,
                             keepalive_seconds=self.keepalive_seconds or KEEPALIVE_SECONDS,
                             request_hook=self.log_requests)
        self.worker.start()
        if self.training is not None:
            self.training.start()
        try:
            self._serve_in_thread(create_app(state))
            if self.training is not None:  # RL jobs hand task apps URLs on this server
                self.training.runner.public_url = self.url
                self.training.wake()
        except BaseException:
            self.worker.stop()
            if self.training is not None:
                self.training.stop()
            self.store.close()
            raise
        return self

    def stop(self, *, cleanup: bool = True) -> None:
        """Stop serving, stop the trainer, close the database (and remove a temporary data dir)."""
        self._stop_thread()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.training is not None:
            self.training.stop()  # stops the training processes; a restart resumes their jobs
            self.training = None
        if self.store is not None:
            self.store.close()
            self.store = None
        if cleanup and self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def restart(self) -> "BackendServer":
        """Stop and start again on the same port and data dir (nothing is lost)."""
        self.stop(cleanup=False)
        return self.start()

    def set_faults(self, spec: str | None) -> None:
        self.injector.set(spec)

    def clear_faults(self) -> None:
        self.injector.clear()


class TaskAppServer(_ThreadedServer):
    """The demo task app on `host:port` (0 = free port); `environment_api_keys` default to one generated key."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 environment_api_keys: Sequence[str] | None = None) -> None:
        super().__init__(host, port)
        self.environment_api_keys = (list(environment_api_keys) if environment_api_keys
                                     else [generate_key("env_local")])

    @property
    def environment_api_key(self) -> str:
        return self.environment_api_keys[0]

    def start(self) -> "TaskAppServer":
        from .task_app import create_task_app

        self._serve_in_thread(create_task_app(self.environment_api_keys))
        return self

    def stop(self) -> None:
        self._stop_thread()

    def restart(self) -> "TaskAppServer":
        self.stop()
        return self.start()
