"""Emulated jobs created on the embedded backend (through the client), and what it holds for them."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from synthlaunch.api import SynthClient, job_id_of


def create_rl(client: SynthClient, *, steps: int = 10, fail_at_step: int | None = None) -> str:
    """An emulated RL job (no task app needed: the embedded trainer does not call it)."""
    emulation: dict[str, Any] = {"steps": steps}
    if fail_at_step is not None:
        emulation["fail_at_step"] = fail_at_step
    body = {"job_type": "rl", "data": {"endpoint_base_url": "http://127.0.0.1:9",
                                       "config": {"emulation": emulation, "model": {"base": "Qwen/Qwen3-0.6B"}}}}
    job_id = job_id_of(client.create_rl_job(body, idempotency_key=uuid.uuid4().hex))
    assert job_id
    return job_id


def create_sft(client: SynthClient, tmp: Path, *, steps: int = 5) -> str:
    """An emulated SFT job: upload a one-line dataset, create, start."""
    data = tmp / f"data-{uuid.uuid4().hex[:6]}.jsonl"
    line = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            "metadata": {"emulation": {"steps": steps}}}
    data.write_text(json.dumps(line) + "\n")
    file_id = client.upload_file(data)["id"]
    deadline = time.monotonic() + 30
    while (client.get_file(file_id) or {}).get("status") not in ("ready", "uploaded", "stored", "complete"):
        assert time.monotonic() < deadline, "uploaded file never became ready"
        time.sleep(0.02)
    body = {"model": "Qwen/Qwen3-0.6B", "training_file_id": file_id, "hyperparameters": {"n_epochs": 1},
            "training_type": "sft_offline"}
    job_id = job_id_of(client.create_sft_job(body, idempotency_key=uuid.uuid4().hex))
    assert job_id
    client.start_sft_job(job_id)
    return job_id


def wait_status(client: SynthClient, job_id: str, wanted: set[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = client.find_job(job_id)[1]["status"]
        if status in wanted:
            return status
        assert time.monotonic() < deadline, f"job {job_id} never reached {wanted} (last {status})"
        time.sleep(0.02)


def all_events(client: SynthClient, job_id: str) -> list[dict[str, Any]]:
    prefix, _ = client.find_job(job_id)
    return client.get_events(prefix, job_id, since_seq=0, limit=1000)


def all_points(client: SynthClient, job_id: str) -> list[dict[str, Any]]:
    prefix, _ = client.find_job(job_id)
    return client.get_metrics(prefix, job_id, after_step=-1, limit=1000)
