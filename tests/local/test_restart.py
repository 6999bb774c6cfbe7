"""Stopping and restarting the backend on the same data dir loses nothing."""

from __future__ import annotations

from synthlaunch.api import job_id_of
from tests.support.backend import rl_body, sft_body, wait_file_ready, wait_for, wait_job_done, write_jsonl


def test_restart_keeps_files_jobs_events_metrics_and_idempotency(backend_factory, task_app, tmp_path):
    server = backend_factory()
    client = server.client()
    record = wait_file_ready(client, client.upload_file(write_jsonl(tmp_path / "r.jsonl"))["id"])
    sft_id = job_id_of(client.create_sft_job(sft_body(record["id"]), idempotency_key="keep-sft"))
    client.start_sft_job(sft_id)
    rl_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="keep-rl"))
    wait_job_done(client, "learning", sft_id)
    wait_job_done(client, "rl", rl_id)
    before = {
        "files": client.list_files(), "jobs": client.list_jobs(),
        "events": client.get_events("rl", rl_id), "metrics": client.get_metrics("rl", rl_id),
        "timeline": client.get_timeline("learning", sft_id), "file": client.get_file(record["id"]),
    }
    port = server.port
    server.restart()
    assert server.port == port
    client = server.client()
    after = {
        "files": client.list_files(), "jobs": client.list_jobs(),
        "events": client.get_events("rl", rl_id), "metrics": client.get_metrics("rl", rl_id),
        "timeline": client.get_timeline("learning", sft_id), "file": client.get_file(record["id"]),
    }
    assert after == before
    # the idempotency key still answers with the same job
    assert job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="keep-rl")) == rl_id
    assert (server.data_dir / "files" / record["sha256"][:2] / record["sha256"]).exists()


def test_a_running_job_resumes_after_restart_with_an_event_saying_why(backend_factory, task_app, tmp_path):
    server = backend_factory(step_seconds=60)  # slow: the job is mid-training when we stop
    client = server.client()
    job_id = job_id_of(client.create_rl_job(rl_body(task_app.url, {"emulation": {"steps": 4}}),
                                            idempotency_key="resume"))
    wait_for(lambda: client.get_job("rl", job_id)["status"] == "running")  # steps would take minutes
    server.stop(cleanup=False)
    server.step_seconds = 0.01
    server.start()
    client = server.client()
    job = wait_job_done(client, "rl", job_id)
    assert job["status"] == "succeeded"
    events = client.get_events("rl", job_id)
    resumed = [e for e in events if e["type"] == "rl.job.resumed"]
    assert len(resumed) == 1 and "restarted" in resumed[0]["message"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    steps = [p["step"] for p in client.get_metrics("rl", job_id) if p["name"] == "train.loss"]
    assert steps == [0, 1, 2, 3]


def test_a_file_processing_at_stop_is_checked_after_restart(backend_factory, tmp_path):
    server = backend_factory(file_check_seconds=60)
    client = server.client()
    file_id = client.upload_file(write_jsonl(tmp_path / "p.jsonl"))["id"]
    assert client.get_file(file_id)["status"] == "processing"
    server.stop(cleanup=False)
    server.file_check_seconds = 0
    server.start()
    assert wait_file_ready(server.client(), file_id)["status"] == "ready"


def test_a_queued_sft_job_runs_after_restart(backend_factory, tmp_path):
    server = backend_factory()
    client = server.client()
    file_id = wait_file_ready(client, client.upload_file(write_jsonl(tmp_path / "q.jsonl"))["id"])["id"]
    job_id = job_id_of(client.create_sft_job(sft_body(file_id), idempotency_key="created-then-restart"))
    server.restart()
    client = server.client()
    assert client.get_job("learning", job_id)["status"] == "created"
    client.start_sft_job(job_id)
    assert wait_job_done(client, "learning", job_id)["status"] == "succeeded"
