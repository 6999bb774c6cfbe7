"""The `local.backend` and `local.task-app` commands: the embedded servers in the foreground until Ctrl-C."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..console import Output
from ..errors import UsageError
from ..flags import parse_choice, parse_float, parse_int
from ..paths import backend_data_dir
from ..redact import mask, register_secret


def read_key_file(out: Output, path: str, flag: str) -> list[str]:
    """The keys in a key file: one per line, blank lines and `#` comments skipped.

    A file that other users can read is refused (exit 2); one its group can read gets a warning.
    """
    import stat

    from ..env import header_value_problem

    where = Path(path).expanduser()
    try:
        mode = stat.S_IMODE(where.stat().st_mode)
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--{flag} {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--{flag} {path}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--{flag} {path}: cannot read it: {exc.strerror or exc}") from None
    if mode & 0o007:
        raise UsageError(f"--{flag} {path}: other users can read or change it (mode {mode:o}); not using its keys",
                         hint=f"chmod 600 {path}")
    if mode & 0o070:
        out.warn(f"--{flag} {path}: its group can read it (mode {mode:o}); consider `chmod 600 {path}`")
    keys = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise UsageError(f"--{flag} {path}: no key in it (one key per line)")
    for number, key in enumerate(keys, start=1):
        problem = header_value_problem(key)
        if problem:
            raise UsageError(f"--{flag} {path}: key {number} {problem}; a key is one word of visible ASCII")
    register_secret(*keys)
    return keys


def _keys(given: Sequence[str] | None, env_var: str, *, also: Sequence[str] = ()) -> tuple[list[str], bool]:
    """(keys, generated): the flag (and key file) values, else the environment variable(s), else one
    generated key."""
    keys = [k for k in (given or []) if k]
    if not keys:
        for var in (env_var, *also):
            value = os.environ.get(var, "").strip()
            if value:
                keys = [value]
                break
    return keys, not keys


def _port(port: int | str) -> int:
    """--port as a number from 0 to 65535 (0 picks a free one); UsageError otherwise."""
    port_n = parse_int(port, "port", minimum=0) if not isinstance(port, int) else port
    if not 0 <= port_n <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {port_n}")
    return port_n


@contextlib.contextmanager
def _foreground(out: Output, server: Any, what: str) -> Iterator[None]:
    """Start `server` (usage errors for an unwritable data dir, a bad database, a taken port), let the
    caller print its banner in the `with` body, then serve until Ctrl-C and stop (data kept)."""
    import sqlite3

    data_dir = getattr(server, "data_dir", None)
    if data_dir is not None:
        try:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            probe = Path(data_dir) / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise UsageError(f"--data-dir {data_dir}: cannot write there: {exc.strerror or exc}",
                             hint="pick a writable folder with --data-dir") from None
    try:
        server.start()
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"--data-dir {data_dir}: state.sqlite3 is not a usable SQLite database ({exc})",
                         hint="move that file away or pick another --data-dir") from None
    except OSError as exc:
        raise UsageError(f"cannot listen on {server.host}:{server.port}: {exc.strerror or exc}",
                         hint="pick another --port (0 picks a free one) or stop the process using it") from None
    out.result(f"{what} listening on {server.url}")
    try:
        yield
        out.info("press Ctrl-C to stop")
        server.wait()
    except KeyboardInterrupt:
        out.info("stopping…")
    finally:
        if data_dir is not None:
            server.stop(cleanup=False)
        else:
            server.stop()
    out.info("stopped")


def serve_backend(out: Output, host: str = "127.0.0.1", port: int | str = 8000,
                  data_dir: str | None = None, api_keys: Sequence[str] | None = None,
                  environment_api_keys: Sequence[str] | None = None, faults: str | None = None,
                  step_seconds: float | str | None = None, max_body_bytes: int | str | None = None,
                  max_upload_bytes: int | str | None = None, api_key_files: Sequence[str] = (),
                  environment_api_key_files: Sequence[str] = (), log_requests: bool = False,
                  event_stream: bool = True, trainer: str | None = None, max_jobs: Any = None,
                  model_aliases: Sequence[str] = ()) -> int:
    """`local.backend`: run the embedded backend in the foreground until Ctrl-C (exit 0).

    `log_requests`: one line per request (method, path, status, latency; no header, no query).
    `event_stream=False`: serve no `…/events/stream` (to try a client's polling fallback)."""
    from ..local.faults import FaultSpecError
    from ..local.serve import BackendServer, default_trainer

    port_n = _port(port)
    chosen_trainer = parse_choice(trainer or default_trainer(), "trainer", ("torch", "emulate"))
    jobs_at_once = 1 if max_jobs is None else parse_int(max_jobs, "max-jobs", minimum=1)
    steps = None
    if step_seconds is not None:
        steps = parse_float(step_seconds, "step-seconds", minimum=0.0) if not isinstance(step_seconds, (int, float)) \
            else float(step_seconds)
        if steps < 0:
            raise UsageError(f"--step-seconds must be >= 0, got {steps}")
    body_limit = None if max_body_bytes is None else parse_int(max_body_bytes, "max-body-bytes", minimum=1)
    upload_limit = None if max_upload_bytes is None else parse_int(max_upload_bytes, "max-upload-bytes", minimum=1)
    from_files = [k for f in api_key_files for k in read_key_file(out, f, "api-key-file")]
    env_from_files = [k for f in environment_api_key_files
                      for k in read_key_file(out, f, "environment-api-key-file")]
    keys, generated = _keys([*(api_keys or []), *from_files], "SYNTH_API_KEY",
                            also=("SYNTH_USER_KEY", "SYNTH_BACKEND_API_KEY"))
    env_keys, env_generated = _keys([*(environment_api_keys or []), *env_from_files], "ENVIRONMENT_API_KEY",
                                    also=("DEV_ENVIRONMENT_API_KEY",))
    folder = Path(data_dir).expanduser() if data_dir else backend_data_dir()
    try:
        server = BackendServer(host=host, port=port_n, data_dir=folder, api_keys=keys or None,
                               environment_api_keys=env_keys or None, faults=faults, step_seconds=steps,
                               max_body_bytes=body_limit, max_upload_bytes=upload_limit,
                               event_stream=event_stream, trainer=chosen_trainer, max_jobs=jobs_at_once,
                               model_aliases=list(model_aliases) or None,
                               log_requests=(lambda record: out.info(f"request: {record.line()}"))
                               if log_requests else None)
    except FaultSpecError as exc:
        raise UsageError(f"--faults: {exc}", hint="see docs/embedded-backend.md for the SPEC syntax") from None
    except ValueError as exc:  # a bad --model-alias, or --trainer torch without the training packages
        raise UsageError(str(exc), hint="see docs/embedded-training.md") from None
    for key in server.api_keys + server.environment_api_keys:
        if not generated and key in server.api_keys or not env_generated and key in server.environment_api_keys:
            register_secret(key)
    if host not in ("127.0.0.1", "localhost", "::1"):
        out.warn(f"--host {host}: the backend is reachable from other machines; /api needs the key, "
                 "/admin answers only to loopback clients")
    what = ("real training: torch" if chosen_trainer == "torch" else "emulated training")
    with _foreground(out, server, f"embedded Synth backend ({what})"):
        out.result(f"  backend URL : {server.api_url}   (export BACKEND_BASE_URL={server.url})")
        for key in server.api_keys:
            out.result(f"  API key     : {key if generated else mask(key)}"
                       + ("   (generated for this run; clients send it as SYNTH_API_KEY)" if generated else ""))
        for key in server.environment_api_keys:
            out.result(f"  env key     : {key if env_generated else mask(key)}"
                       + ("   (generated; task apps must accept it as ENVIRONMENT_API_KEY)" if env_generated else ""))
        out.result(f"  data dir    : {server.data_dir}")
        pace = (f"{jobs_at_once} job(s) at once" if chosen_trainer == "torch"
                else f"{server.step_seconds:g} s per emulated step")
        out.result(f"  trainer     : {chosen_trainer}, {pace}")
        for alias in model_aliases:
            out.result(f"  model alias : {alias}")
        out.result(f"  size limits : {server.max_body_bytes} bytes a request body, "
                   f"{server.max_upload_bytes} bytes an upload")
        if server.injector.rules:
            out.result(f"  faults      : {server.injector.spec}")
        if not event_stream:
            out.result("  event stream: off (--no-event-stream: GET …/events/stream answers 404)")
        if log_requests:
            out.result("  request log : on (method, path, status, latency)")
    return 0


def serve_task_app(out: Output, host: str = "127.0.0.1", port: int | str = 8001,
                   environment_api_keys: Sequence[str] | None = None,
                   environment_api_key_files: Sequence[str] = ()) -> int:
    """`local.task-app`: run the demo task app in the foreground until Ctrl-C (exit 0)."""
    from ..local.serve import TaskAppServer

    port_n = _port(port)
    from_files = [k for f in environment_api_key_files for k in read_key_file(out, f, "environment-api-key-file")]
    keys, generated = _keys([*(environment_api_keys or []), *from_files], "ENVIRONMENT_API_KEY",
                            also=("DEV_ENVIRONMENT_API_KEY",))
    server = TaskAppServer(host=host, port=port_n, environment_api_keys=keys or None)
    if not generated:
        register_secret(*server.environment_api_keys)
    with _foreground(out, server, "demo task app"):
        out.result(f"  task URL    : {server.url}   (export TASK_APP_URL={server.url})")
        for key in server.environment_api_keys:
            out.result(f"  env key     : {key if generated else mask(key)}"
                       + ("   (generated; clients send it as ENVIRONMENT_API_KEY)" if generated else ""))
    return 0
