"""A client written to the contract (SynthClient, unchanged) runs SFT and RL jobs to `succeeded`."""

from __future__ import annotations

from synthlaunch.api import job_id_of
from tests.support.backend import rl_body, sft_body, wait_file_ready, wait_for, write_jsonl


def test_sft_job_upload_start_stream_to_succeeded(backend, tmp_path):
    client = backend.client()
    uploaded = client.upload_file(write_jsonl(tmp_path / "train.jsonl"))
    assert uploaded["id"] and uploaded["sha256"] and uploaded["bytes"] > 0
    assert wait_file_ready(client, uploaded["id"])["status"] == "ready"
    created = client.create_sft_job(sft_body(uploaded["id"]), idempotency_key="contract-sft-1")
    job_id = job_id_of(created)
    client.start_sft_job(job_id)

    seen: list[dict] = []

    def stream_until_terminal():
        since = seen[-1]["seq"] if seen else 0
        seen.extend(client.get_events("learning", job_id, since_seq=since))
        return any(e["type"] == "sft.job.completed" for e in seen)

    wait_for(stream_until_terminal)
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert "emulated" in seen[0]["message"]
    assert client.get_job("learning", job_id)["status"] == "succeeded"
    points = client.get_metrics("learning", job_id)
    assert points[0]["name"] == "train.loss" and points[0]["step"] == 0
    phases = [p["phase"] for p in client.get_timeline("learning", job_id)]
    assert phases[-1] == "succeeded" and "running" in phases


def test_rl_job_verify_health_task_info_create_stream_to_succeeded(backend, task_app):
    from synthlaunch.task_app import TaskAppClient

    client = backend.client()
    verified = client.verify_task_app(task_app.url)
    assert verified["any_ok"] is True
    assert isinstance(verified["candidates_first15"], list)
    assert all("status" in a for a in verified["attempts"])
    app_client = TaskAppClient(task_app.url, backend.environment_api_key)
    assert app_client.health().status == 200
    assert app_client.task_info().status == 200
    created = client.create_rl_job(rl_body(task_app.url), idempotency_key="contract-rl-1")
    job_id = job_id_of(created)
    prefix, job = client.find_job(job_id)
    assert prefix == "rl"
    wait_for(lambda: client.get_job("rl", job_id)["status"] == "succeeded")
    events = client.get_events("rl", job_id)
    assert events[-1]["type"] == "rl.job.completed"
    names = {p["name"] for p in client.get_metrics("rl", job_id)}
    assert names == {"train.loss", "train.reward"}
