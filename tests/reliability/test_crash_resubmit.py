"""Crash-safe resubmission: `inv train` killed with SIGKILL right after it sent the create request.

The create answer is held back by a `latency_after` fault, so the job exists on the backend while
the tool still waits for the answer. The tool is then killed (no cleanup can run), and the same
command is run again: it must reuse the recorded Idempotency-Key, say so, and end with exactly one
job on the backend.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.backend import jobs_on
from tests.support.cli import BIN, project, run, write_env
from tests.support.env import user_env
from tests.support.leaks import leaked

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

HOLD = 60  # seconds the create answer is held back: far longer than the test needs to kill the tool


def _common(backend, task_app, kind: str) -> list[str]:
    args = ["train", "--config", f"configs/{kind}/demo.toml", "--env-file", ".env", "--backend", backend.root,
            "--poll-interval", "0.1", "--no-input", "--json"]
    if kind == "rl":
        args += ["--task-url", task_app.url]
    return args


def _start_and_kill_after_create(args: list[str], cwd: Path, env: dict[str, str], backend,
                                 before: set[str]) -> tuple[str, str]:
    """Start `inv …`, wait for 'creating job (Idempotency-Key: K)' and for the job on the backend,
    then SIGKILL the tool. Returns (K, the tool's stderr up to the kill)."""
    proc = subprocess.Popen([str(BIN / "inv"), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    seen_key = threading.Event()
    key_box: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "creating job (Idempotency-Key:" in line and not key_box:
                key_box.append(line.split("Idempotency-Key:", 1)[1].strip().rstrip(")"))
                seen_key.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen_key.wait(60), "the tool never announced the create request:\n" + "".join(lines)
        deadline = time.monotonic() + 30
        while not (set(jobs_on(backend)) - before):  # the server has acted; the answer is still held
            assert proc.poll() is None, "the tool ended before it was killed:\n" + "".join(lines)
            assert time.monotonic() < deadline, "no job appeared on the backend"
            time.sleep(0.05)
        assert proc.poll() is None, "the tool saw the answer before the kill (hold longer)"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        reader.join(5)
    assert proc.returncode == -signal.SIGKILL
    return key_box[0], "".join(lines)


@pytest.mark.parametrize("kind", ["rl", "sft"])
def test_kill_9_after_create_then_rerun_makes_exactly_one_job(kind, backend_factory, task_app, tmp_path) -> None:
    create_path = "/api/rl/jobs" if kind == "rl" else "/api/learning/jobs"
    backend = backend_factory(faults=f"path={create_path},method=POST,kinds=latency_after,latency={HOLD}")
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    env = user_env(tmp_path)
    args = _common(backend, task_app, kind)

    key, first_err = _start_and_kill_after_create(args, root, env, backend, set())
    assert key.startswith("synthlaunch-")
    created = jobs_on(backend)
    assert len(created) == 1
    (job_id, job), = created.items()
    if kind == "sft":
        assert job["status"] == "created"  # killed before /start: the rerun must start this job

    record = json.loads((tmp_path / ".state" / "pending-submissions.json").read_text())
    assert [r["key"] for r in record.values()] == [key], "the key must be on disk before the request"

    backend.clear_faults()
    second = run(["inv", *args], root, env, timeout=90)
    assert second.code == 0, second.output
    assert f"reusing Idempotency-Key {key}" in second.stderr
    assert jobs_on(backend).keys() == {job_id}, "a second job was created"
    assert jobs_on(backend)[job_id]["status"] == "succeeded"
    docs = [json.loads(line) for line in second.stdout.splitlines() if line.strip()]
    assert docs[-1]["type"] == "train.summary" and docs[-1]["runs"][0]["job_id"] == job_id
    assert json.loads((tmp_path / ".state" / "pending-submissions.json").read_text()) == {}, \
        "the record must be cleared once creation is confirmed"
    assert not leaked(first_err + second.output, [backend.api_key, task_app.environment_api_key])

    third = run(["inv", *args], root, env, timeout=90)  # confirmed: a new run is a new job
    assert third.code == 0, third.output
    assert "reusing Idempotency-Key" not in third.output
    assert len(jobs_on(backend)) == 2


def test_control_without_the_record_a_rerun_makes_a_second_job(backend_factory, task_app, tmp_path) -> None:
    """The proof above can fail: with the record gone, the same kill and rerun duplicate the job."""
    backend = backend_factory(faults=f"path=/api/rl/jobs,method=POST,kinds=latency_after,latency={HOLD}")
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    env = user_env(tmp_path)
    args = _common(backend, task_app, "rl")
    _start_and_kill_after_create(args, root, env, backend, set())
    (tmp_path / ".state" / "pending-submissions.json").unlink()
    backend.clear_faults()
    second = run(["inv", *args], root, env, timeout=90)
    assert second.code == 0, second.output
    assert "reusing Idempotency-Key" not in second.output
    assert len(jobs_on(backend)) == 2


def test_latency_after_fault_acts_before_answering(backend_factory, tmp_path) -> None:
    """The fault kind the proof relies on: the job exists while its create answer is held back."""
    import requests

    backend = backend_factory(faults="path=/api/rl/jobs,method=POST,kinds=latency_after,latency=30")
    body = {"job_type": "rl", "data": {"endpoint_base_url": "http://127.0.0.1:9", "config": {}}}
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{backend.api_url}/rl/jobs", json=body, timeout=(5, 1),
                      headers={"Authorization": f"Bearer {backend.api_key}", "Idempotency-Key": "k-1"})
    assert len(jobs_on(backend)) == 1


def test_create_that_gives_up_says_rerun_is_safe_and_the_rerun_makes_one_job(backend_factory, task_app,
                                                                               tmp_path) -> None:
    """Every create attempt rate-limited (retry budget spent): exit 4 naming the key, then one job on rerun."""
    backend = backend_factory(faults="path=/api/rl/jobs,method=POST,kinds=429,retry_after=0.05")
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    env = user_env(tmp_path)
    args = _common(backend, task_app, "rl")
    first = run(["inv", *args], root, env, timeout=90)
    assert first.code == 4, first.output
    key = first.stderr.split("creating job (Idempotency-Key: ", 1)[1].split(")", 1)[0]
    assert f"running the same command again reuses Idempotency-Key {key}" in first.stderr
    assert jobs_on(backend) == {}
    backend.clear_faults()
    second = run(["inv", *args], root, env, timeout=90)
    assert second.code == 0, second.output
    assert f"reusing Idempotency-Key {key}" in second.stderr
    assert len(jobs_on(backend)) == 1
