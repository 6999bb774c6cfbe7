"""`inv train` follows the job over the embedded backend's event stream (its request log shows one
`…/events/stream` request instead of polling rounds), and polls a backend that has no stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cli import project, run, write_env
from tests.support.env import user_env

pytestmark = pytest.mark.timeout(180)


def _train(server: Any, task_app: Any, tmp_path) -> tuple[Any, list[dict]]:
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=server.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    result = run(["inv", "train", "--config", "configs/rl/demo.toml", "--task-url", task_app.url, "--env-file", ".env",
                  "--backend", server.root, "--poll-interval", "0.2", "--no-input", "--json"], root,
                 user_env(tmp_path))
    assert result.code == 0, result.output
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _watched(log: list[Any], job_id: str) -> list[str]:
    return [f"{r.method} {r.path} {r.status}" for r in log if f"/jobs/{job_id}" in r.path]


def test_train_follows_the_event_stream_one_request_instead_of_polling_rounds(backend_factory, task_app, tmp_path):
    log: list[Any] = []
    server = backend_factory(step_seconds=0.05, log_requests=log.append)
    result, records = _train(server, task_app, tmp_path)
    job_id = records[-1]["runs"][0]["job_id"]
    watched = _watched(log, job_id)
    assert sum(line.endswith("/events/stream 200") for line in watched) == 1, watched
    assert sum(" /api/rl/jobs/" in line and line.split()[1].endswith("/events") for line in watched) <= 2, watched
    seqs = [r["seq"] for r in records if r.get("record") == "event"]
    assert seqs == list(range(1, len(seqs) + 1)) and seqs  # every event once, in order
    assert records[-1]["runs"][0]["status"] == "succeeded"


def test_train_polls_a_backend_without_the_event_stream(backend_factory, task_app, tmp_path):
    log: list[Any] = []
    server = backend_factory(step_seconds=0.05, log_requests=log.append, event_stream=False)
    result, records = _train(server, task_app, tmp_path)
    job_id = records[-1]["runs"][0]["job_id"]
    watched = _watched(log, job_id)
    assert [line for line in watched if "/events/stream" in line] == [
        f"GET /api/rl/jobs/{job_id}/events/stream 404"]
    assert sum(line.split()[1].endswith("/events") for line in watched) >= 2
    seqs = [r["seq"] for r in records if r.get("record") == "event"]
    assert seqs == list(range(1, len(seqs) + 1)) and seqs
    assert records[-1]["runs"][0]["status"] == "succeeded"
