"""`inv stream`, `inv jobs`, `inv cancel` as a user runs them: subprocesses against the embedded backend
(runs whose output and exit code are the point run in-process; a real process where a signal or a
terminal is involved, or the hint names the program that runs)."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.cli import Result, executable, run, run_in_process, tasks_py
from tests.support.env import user_env
from tests.support.jobs import create_rl, wait_status

INV = executable("inv")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return tasks_py(tmp_path)


def _env(project: Path, server) -> dict[str, str]:
    return user_env(project, SYNTH_API_KEY=server.api_key, COLUMNS="120")


def _inv(project: Path, server, *args: str, timeout: float = 120) -> Result:
    """A real `inv` process (for the hints, which name the program that runs)."""
    return run(["inv", *args, "--backend", server.root], project, _env(project, server), timeout=timeout)


def _here(project: Path, server, *args: str) -> Result:
    """The same command in-process."""
    return run_in_process(["inv", *args, "--backend", server.root], cwd=project, SYNTH_API_KEY=server.api_key,
                          COLUMNS="120")


def test_inv_stream_succeeded_and_json(project, backend):
    client = backend.client()
    job_id = create_rl(client, steps=5)
    done = _here(project, backend, "stream", "--job-id", job_id, "--poll-interval", "0.05")
    assert done.code == 0, done.stderr
    assert "status=succeeded" in done.stdout and " loss=" in done.stdout and "step 5/5" in done.stdout
    assert backend.api_key not in done.stdout + done.stderr  # the key is only ever shown masked

    as_json = _here(project, backend, "stream", "--job-id", job_id, "--json", "--poll-interval", "0.05")
    assert as_json.code == 0
    records = [json.loads(line) for line in as_json.stdout.splitlines()]  # stdout is only NDJSON
    assert records[-1]["record"] == "summary" and records[-1]["status"] == "succeeded"
    assert [r["seq"] for r in records if r["record"] == "event"] == list(range(1, 5 + 4))

    ndjson = _here(project, backend, "stream", "--job-id", job_id, "--stream-format", "json")
    assert ndjson.code == 0
    again = [json.loads(line) for line in ndjson.stdout.splitlines()]  # stdout is only NDJSON here too
    assert [(r["record"], r.get("seq")) for r in again] == [(r["record"], r.get("seq")) for r in records]
    assert "watching job" in ndjson.stderr


def test_inv_stream_failed_exit_1(project, backend):
    job_id = create_rl(backend.client(), steps=6, fail_at_step=2)
    done = _here(project, backend, "stream", "--job-id", job_id, "--type", "rl", "--poll-interval", "0.05")
    assert done.code == 1
    assert "status=failed" in done.stdout


def test_inv_stream_poll_timeout_exit_5(project, backend_factory):
    server = backend_factory(step_seconds=0.05)
    job_id = create_rl(server.client(), steps=10_000)
    done = _inv(project, server, "stream", "--job-id", job_id, "--poll-timeout", "0.5", "--poll-interval", "0.1")
    assert done.code == 5
    assert f"inv stream --job-id {job_id}" in done.stderr and "Traceback" not in done.stderr


def test_inv_stream_bad_flags_exit_2(project, backend):
    done = run_in_process(["inv", "stream", "--job-id", "x", "--stream-format", "fancy", "--backend", backend.root],
                          cwd=project, SYNTH_API_KEY=backend.api_key)
    assert done.code == 2 and "--stream-format" in done.stderr


def _start_stream(project: Path, server, job_id: str, *extra: str) -> tuple[subprocess.Popen[str], queue.Queue]:
    proc = subprocess.Popen([INV, "stream", "--job-id", job_id, "--backend", server.root,
                             "--poll-interval", "0.1", *extra],
                            cwd=project, env=_env(project, server), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    return proc, lines


def _wait_for(lines: queue.Queue, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if needle in line:
            return


@pytest.mark.parametrize("cancel", [False, True], ids=["leave-running", "cancel-on-interrupt"])
def test_ctrl_c_exit_130(project, backend_factory, cancel):
    server = backend_factory(step_seconds=0.05)
    client = server.client()
    job_id = create_rl(client, steps=10_000)
    proc, lines = _start_stream(project, server, job_id, *(["--cancel-on-interrupt"] if cancel else []))
    try:
        _wait_for(lines, " loss=")  # it is streaming (one line per step)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    if cancel:
        assert f"cancelled job {job_id}" in stderr
        assert client.get_job("rl", job_id)["status"] == "cancelled"
    else:
        assert f"inv stream --job-id {job_id}" in stderr and f"inv cancel {job_id}" in stderr
        assert client.get_job("rl", job_id)["status"] == "running"


def test_inv_jobs_table_json_and_cancel(project, backend_factory):
    server = backend_factory(step_seconds=0.05)
    client = server.client()
    done_id = create_rl(client, steps=2)
    wait_status(client, done_id, {"succeeded"})
    running_id = create_rl(client, steps=10_000)
    wait_status(client, running_id, {"running"})

    table = _here(project, server, "jobs")
    assert table.code == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines() if line.startswith("job_")}
    assert "succeeded" in rows[done_id] and "running" in rows[running_id]

    listed = _here(project, server, "jobs", "--json", "--status", "running")
    assert [j["id"] for j in json.loads(listed.stdout)["jobs"]] == [running_id]

    cancelled = _here(project, server, "cancel", running_id)
    assert cancelled.code == 0 and "cancelled" in cancelled.stdout
    assert client.get_job("rl", running_id)["status"] == "cancelled"

    missing = _here(project, server, "cancel", "job_does_not_exist")
    assert missing.code == 4 and "not found" in missing.stderr


def test_chart_in_a_terminal_80x24(project, backend):
    """`--stream-format chart` on a pseudo-terminal: the final screen shows status, latest value, summary."""
    import pexpect
    import pyte

    job_id = create_rl(backend.client(), steps=30)
    env = {k: v for k, v in _env(project, backend).items() if k not in ("CI", "NO_COLOR", "COLUMNS")}
    env["TERM"] = "xterm-256color"
    child = pexpect.spawn(INV, ["stream", "--job-id", job_id, "--backend", backend.root, "--poll-interval", "0.05",
                                "--stream-format", "chart"], cwd=str(project), env=env, dimensions=(24, 80),
                          encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    screen = pyte.Screen(80, 24)
    pyte.Stream(screen).feed(child.before)
    text = "\n".join(screen.display)
    assert child.exitstatus == 0, text
    assert f"job {job_id} (rl) · status=succeeded" in text
    assert "train.loss latest=" in text and "(step=29)" in text and "train.reward latest=" in text
    assert "rl.job.completed" in text and f"job {job_id} (rl) succeeded in" in text
    assert "┤" in text and "step" in text  # the plot's axes


def test_chart_falls_back_to_lines_off_a_terminal(project, backend):
    job_id = create_rl(backend.client(), steps=3)
    done = _here(project, backend, "stream", "--job-id", job_id, "--stream-format", "chart", "--poll-interval", "0.05")
    assert done.code == 0
    assert "status=succeeded" in done.stdout and " loss=" in done.stdout and "\x1b[" not in done.stdout
