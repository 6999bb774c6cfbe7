"""Two deliberate parallel `inv train` runs of the same config make two jobs; a dead run's key is
still reused. A run holds a lock on its pending-submission record while it lives (the kernel
drops it when the process dies, however it dies): held means a live concurrent run, free means a
crashed one."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from tests.support.backend import jobs_on
from tests.support.cli import BIN, project, run, write_env
from tests.support.env import user_env

pytestmark = pytest.mark.timeout(180)

HOLD = 25  # seconds the first run's create answer is held back: its submission stays pending meanwhile


def test_two_parallel_runs_of_the_same_config_make_two_jobs(backend_factory, task_app, tmp_path) -> None:
    backend = backend_factory(faults=f"path=/api/rl/jobs,method=POST,kinds=latency_after,latency={HOLD},times=1")
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    env = user_env(tmp_path)
    args = ["train", "--config", "configs/rl/demo.toml", "--env-file", ".env", "--backend", backend.root,
            "--task-url", task_app.url, "--no-poll", "--no-input", "--json"]
    first = subprocess.Popen([str(BIN / "inv"), *args], cwd=root, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_err: list[str] = []
    announced = threading.Event()

    def read() -> None:
        assert first.stderr is not None
        for line in first.stderr:
            first_err.append(line)
            if "creating job (Idempotency-Key:" in line:
                announced.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert announced.wait(60), "".join(first_err)
        second = run(["inv", *args], root, env, timeout=90)  # while the first one's creation is pending
        assert second.code == 0, second.output
        assert first.wait(90) == 0, "".join(first_err)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
        reader.join(5)
    first_text = "".join(first_err)
    first_key = first_text.split("creating job (Idempotency-Key: ", 1)[1].split(")", 1)[0]
    second_key = second.stderr.split("creating job (Idempotency-Key: ", 1)[1].split(")", 1)[0]
    assert first_key != second_key
    assert "reusing Idempotency-Key" not in second.output
    assert "another run of the same job is submitting it right now" in second.stderr
    assert len(jobs_on(backend)) == 2
    assert json.loads((tmp_path / ".state" / "pending-submissions.json").read_text()) == {}


CLAIM = r"""
import sys, time
from pathlib import Path
from synthlaunch.submissions import PendingSubmissions
claim = PendingSubmissions(Path(sys.argv[1])).claim("fp-same-job")
print(claim.key, claim.how, flush=True)
if sys.argv[2] == "hold":
    time.sleep(3600)
"""


def _claim(path, mode: str) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([sys.executable, "-c", CLAIM, str(path), mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    key, how = proc.stdout.readline().split()
    return proc, key, how


def test_a_live_holder_gets_a_new_key_and_a_dead_ones_key_is_reused(tmp_path) -> None:
    path = tmp_path / "pending-submissions.json"
    live, live_key, how = _claim(path, "hold")
    assert how == "new"
    try:
        other, other_key, how = _claim(path, "exit")  # exits at once: dies with its record pending
        other.wait(10)
        assert how == "concurrent" and other_key != live_key
        _, again, how = _claim(path, "exit")   # the live run still holds its record; the dead one's is free
        assert (again, how) == (other_key, "reused")
    finally:
        live.kill()
        live.wait(10)
    _, after, how = _claim(path, "exit")       # the holder died (SIGKILL): its key is reused
    assert (after, how) == (live_key, "reused")
