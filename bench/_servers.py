"""Loopback ports and the embedded servers as separate processes, for the benchmark scripts."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, seconds: float = 20.0) -> None:
    """Wait until something listens on 127.0.0.1:`port`; exit the script when nothing does in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


@contextlib.contextmanager
def local_servers(binary: str, work: Path, env: dict[str, str], *, step_seconds: float) -> Iterator[tuple[int, int]]:
    """`local.backend` (emulated trainer, `step_seconds` a step) and `local.task-app` as processes on free
    ports in `work`; yields (backend port, task app port); stopped with Ctrl-C at the end."""
    bport, tport = free_port(), free_port()
    quiet: dict[str, Any] = {"cwd": work, "env": env, "stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                             "stderr": subprocess.DEVNULL}
    servers = [subprocess.Popen([binary, "local.backend", "--port", str(bport), "--data-dir", str(work / "data"),
                                 "--trainer", "emulate", "--step-seconds", str(step_seconds)], **quiet),
               subprocess.Popen([binary, "local.task-app", "--port", str(tport)], **quiet)]
    try:
        wait_port(bport)
        wait_port(tport)
        yield bport, tport
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
