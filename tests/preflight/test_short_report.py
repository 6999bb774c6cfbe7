"""A task app that is down gives a short report: a table that fits 100 columns, each reason said once,
no `inv` in the hints of `synthlaunch`; `--quiet` hides retry lines."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

from synthlaunch.console import Output, configure_logging
from synthlaunch.env import KNOWN_KEYS
from synthlaunch.http import RetryEvent, log_retry

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_down_task_app_gives_a_short_report(tmp_path, backend) -> None:
    env = {k: v for k, v in os.environ.items() if k not in KNOWN_KEYS}
    env.update({"CI": "true", "SYNTH_API_KEY": backend.api_key, "ENVIRONMENT_API_KEY": "sk_env_" + "c" * 24,
                "SYNTHLAUNCH_STATE_DIR": str(tmp_path / "state")})
    done = subprocess.run([str(BIN / "synthlaunch"), "preflight", "--task-url", f"http://127.0.0.1:{_free_port()}",
                           "--backend", backend.root], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 3
    lines = (done.stdout + done.stderr).splitlines()
    table = [line for line in lines if line.startswith(("check ", "-----", "backend.", "task_app."))]
    assert len(table) == 5 and all(len(line) <= 100 for line in table)
    text = "\n".join(lines)
    assert text.count("nothing is listening") == 3  # two table cells, one paragraph
    assert text.count("what to do:") == 1 and "hint:" not in text
    assert "retrying" not in text and "inv " not in text and "synthlaunch local.task-app" in text
    assert len(lines) <= 16


def test_quiet_hides_retry_lines() -> None:
    event = RetryEvent("GET", "https://x.example/health", 2, 6, 0.5, failure="refused",
                       failure_text="connection refused")
    for quiet, shown in ((True, False), (False, True)):
        stderr = io.StringIO()
        configure_logging(Output(quiet=quiet, stdout=io.StringIO(), stderr=stderr))
        log_retry(event)
        assert ("retrying" in stderr.getvalue()) is shown
