"""Each job trains in its own process: cancel stops it, `max_jobs` bounds how many run, a crash or
a refusal fails the job with the reason while the backend stays up, and a backend restart resumes
a running job from its last checkpoint."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import torch

from tests.support.backend import wait_for

from .conftest import events, metric, sft_job, upload, wait_done

pytestmark = pytest.mark.training
LONG = {"n_epochs": 500}  # far longer than any test waits: these jobs end by cancel only


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def pid_of(client: Any, job_id: str) -> int:
    started = wait_for(lambda: [e for e in events(client, job_id) if e["type"] == "sft.job.started"],
                       timeout=60, interval=0.1)
    return int(started[-1]["data"]["pid"])


def test_cancel_stops_the_process_and_max_jobs_queues_the_next(torch_backend: Any) -> None:
    server = torch_backend(max_jobs=1)
    client = server.client()
    file_id = upload(client)
    first = sft_job(client, file_id, hp=LONG)
    second = sft_job(client, file_id, hp=LONG)
    wait_for(lambda: metric(client, first, "train.loss"), timeout=120, interval=0.2)
    assert client.get_job("learning", second)["status"] == "queued"  # max_jobs=1: it waits
    pid = pid_of(client, first)
    assert client.cancel_job("learning", first)["status"] == "cancelled"
    wait_for(lambda: not alive(pid), timeout=30, interval=0.1)
    wait_for(lambda: client.get_job("learning", second)["status"] == "running", timeout=30, interval=0.1)
    second_pid = pid_of(client, second)
    client.cancel_job("learning", second)
    wait_for(lambda: not alive(second_pid), timeout=60, interval=0.1)
    assert client.get_job("learning", first)["status"] == "cancelled"
    assert "error" not in client.get_job("learning", first)


def test_crash_and_qlora_refusal_fail_with_the_reason_and_the_backend_stays_up(torch_backend: Any) -> None:
    """A hard crash (exit without a report) and an error the training process reports (QLoRA without
    CUDA), two jobs at once under max_jobs=2."""
    server = torch_backend(max_jobs=2)
    client = server.client()
    file_id = upload(client)
    crash = sft_job(client, file_id, metadata={"emulation": {"crash_at_step": 1}})
    qlora = sft_job(client, file_id, training={"mode": "qlora", "use_qlora": True})
    crashed, refused = (wait_done(client, j) for j in (crash, qlora))
    assert crashed["status"] == "failed" and "exited with code 70" in crashed["error"]
    assert "last lines of its log" in crashed["error"]
    if not torch.cuda.is_available():
        assert refused["status"] == "failed" and "QLoRA needs a CUDA GPU" in refused["error"]
    assert events(client, crash)[-1]["type"] == "sft.job.failed"
    assert metric(client, crash, "train.loss")  # it did train before crashing
    # the backend is still up and still trains
    assert requests.get(server.root + "/health", timeout=10).json()["ok"] is True
    assert client.list_jobs(limit=10)


def test_restart_resumes_a_running_job_from_its_last_checkpoint(torch_backend: Any) -> None:
    server = torch_backend()
    client = server.client()
    job_id = sft_job(client, upload(client), hp={"n_epochs": 2})
    wait_for(lambda: [e for e in events(client, job_id) if e["type"] == "sft.checkpoint.saved"],
             timeout=180, interval=0.1)
    pid = pid_of(client, job_id)
    server.restart()
    assert not alive(pid)  # stopping the backend stopped its training process
    client = server.client()
    job = wait_done(client, job_id)
    assert job["status"] == "succeeded", job.get("error")
    resumed = [e for e in events(client, job_id) if e["type"] == "sft.job.resumed"]
    assert len(resumed) == 1 and resumed[0]["data"]["checkpoint"].startswith("checkpoint-")
    restarted = [e for e in events(client, job_id) if e["type"] == "sft.train.started"][-1]
    assert restarted["data"]["resumed_step"] > 0
    assert [s for s, _ in metric(client, job_id, "train.loss")] == list(range(job["total_steps"]))
    assert job["fine_tuned_model"].endswith(job_id)


def test_a_backend_restarted_with_the_emulate_trainer_fails_real_jobs_with_the_reason(
        torch_backend: Any, tmp_path: Any) -> None:
    from tests.support.servers import Backend as BackendServer

    server = torch_backend(data_dir=tmp_path / "state")
    client = server.client()
    file_id = upload(client)
    started = sft_job(client, file_id, hp=LONG)
    created = sft_job(client, file_id, start=False)
    server.stop(cleanup=False)
    with BackendServer(trainer="emulate", data_dir=tmp_path / "state", api_keys=server.api_keys) as emulated:
        client = emulated.client()
        job = client.get_job("learning", started)
        assert job["status"] == "failed" and "needs the torch trainer" in job["error"]
        with pytest.raises(Exception, match="runs the emulate trainer"):
            client.start_sft_job(created)
