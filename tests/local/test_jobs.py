"""Jobs: creation (validation, 4xx details), start, status, events, metrics, timeline, list, cancel,
failure on purpose, determinism."""

from __future__ import annotations

import pytest
import requests

from synthlaunch.api import job_id_of
from synthlaunch.errors import BackendError
from tests.support.backend import rl_body, sft_body, wait_file_ready, wait_for, wait_job_done, write_jsonl

URL = "http://127.0.0.1:9/task"


def _post(server, path, body, **headers):
    return requests.post(server.api_url + path, json=body, timeout=10,
                         headers={"Authorization": f"Bearer {server.api_key}", **headers})


def _ready_file(client, tmp_path, **kw):
    record = client.upload_file(write_jsonl(tmp_path / "d.jsonl", **kw))
    assert wait_file_ready(client, record["id"])["status"] == "ready"
    return record["id"]


# -- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body,fields", [
    ({}, ["model", "training_file_id"]),
    ({"model": "Qwen/Qwen3-0.6B"}, ["training_file_id"]),
    ({"training_file_id": "file_x"}, ["model"]),
    ({"model": "", "training_file_id": "file_x"}, ["model"]),
    ({"model": "m", "training_file_id": "f", "hyperparameters": {"n_epochs": 0}}, ["hyperparameters.n_epochs"]),
    ({"model": "m", "training_file_id": "f", "hyperparameters": []}, ["hyperparameters"]),
    ([], ["body"]),
])
def test_sft_body_missing_fields_is_422_naming_them(backend, body, fields):
    resp = _post(backend, "/learning/jobs", body)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert isinstance(detail, str)
    for field in fields:
        assert field in detail
    assert {".".join(e["loc"][1:]) for e in resp.json()["errors"]} == set(fields)


def test_sft_unknown_file_is_422(backend):
    resp = _post(backend, "/learning/jobs", sft_body("file_nope"))
    assert resp.status_code == 422 and "file_nope does not exist" in resp.json()["detail"]


def test_sft_file_still_processing_is_409(backend_factory, tmp_path):
    server = backend_factory(file_check_seconds=30)
    record = server.client().upload_file(write_jsonl(tmp_path / "p.jsonl"))
    resp = _post(server, "/learning/jobs", sft_body(record["id"]))
    assert resp.status_code == 409 and "still processing" in resp.json()["detail"]


def test_sft_failed_file_is_422_with_reason(backend, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("nope\n")
    client = backend.client()
    record = wait_file_ready(client, client.upload_file(path)["id"])
    resp = _post(backend, "/learning/jobs", sft_body(record["id"]))
    assert resp.status_code == 422 and "failed validation" in resp.json()["detail"]
    assert "not valid JSON" in resp.json()["detail"]


@pytest.mark.parametrize("mutate,field", [
    (lambda b: b.pop("job_type"), "job_type"),
    (lambda b: b.update(job_type="sft"), "job_type"),
    (lambda b: b.pop("data"), "data"),
    (lambda b: b["data"].pop("endpoint_base_url"), "data.endpoint_base_url"),
    (lambda b: b["data"].update(endpoint_base_url="ftp://x"), "data.endpoint_base_url"),
    (lambda b: b["data"].pop("config"), "data.config"),
    (lambda b: b.update(compute=[1]), "compute"),
])
def test_rl_body_missing_fields_is_422_naming_them(backend, mutate, field):
    body = rl_body(URL)
    mutate(body)
    resp = _post(backend, "/rl/jobs", body)
    assert resp.status_code == 422
    assert field in resp.json()["detail"]


def test_client_sees_422_as_backend_error_with_detail(backend):
    with pytest.raises(BackendError) as info:
        backend.client().create_sft_job({"model": "m"}, idempotency_key="v-1")
    assert info.value.status == 422 and "training_file_id" in info.value.message


# -- lifecycle -----------------------------------------------------------------------------------

def test_sft_job_waits_for_start(backend_factory, tmp_path):
    server = backend_factory()
    client = server.client()
    job_id = job_id_of(client.create_sft_job(sft_body(_ready_file(client, tmp_path)), idempotency_key="s-1"))
    assert client.get_job("learning", job_id)["status"] == "created"
    started = client.start_sft_job(job_id)
    assert started["status"] in ("queued", "running", "succeeded")
    assert wait_job_done(client, "learning", job_id)["status"] == "succeeded"
    again = client.start_sft_job(job_id)  # starting twice is harmless
    assert again["status"] == "succeeded"


def test_start_unknown_job_is_404(backend):
    assert _post(backend, "/learning/jobs/job_nope/start", {}).status_code == 404


def test_events_seq_cursor_limit_and_terminal_event(backend, tmp_path):
    client = backend.client()
    job_id = job_id_of(client.create_sft_job(sft_body(_ready_file(client, tmp_path)), idempotency_key="ev-1"))
    client.start_sft_job(job_id)
    wait_job_done(client, "learning", job_id)
    every = client.get_events("learning", job_id, since_seq=0, limit=1000)
    assert [e["seq"] for e in every] == list(range(1, len(every) + 1))
    assert every[0]["type"] == "sft.job.created" and "emulated" in every[0]["message"]
    assert every[-1]["type"] == "sft.job.completed"
    assert all(e["job_id"] == job_id and e["created_at"] for e in every)
    page = client.get_events("learning", job_id, since_seq=3, limit=2)
    assert [e["seq"] for e in page] == [4, 5]
    assert client.get_events("learning", job_id, since_seq=every[-1]["seq"]) == []


def test_metrics_from_step_zero_with_after_step_and_limit(backend, task_app):
    client = backend.client()
    config = {"emulation": {"steps": 6}}
    job_id = job_id_of(client.create_rl_job(rl_body(task_app.url, config), idempotency_key="m-1"))
    wait_job_done(client, "rl", job_id)
    points = client.get_metrics("rl", job_id)
    assert [p["step"] for p in points if p["name"] == "train.loss"] == list(range(6))
    assert [p["step"] for p in points if p["name"] == "train.reward"] == list(range(6))
    assert [p["step"] for p in client.get_metrics("rl", job_id, after_step=3)] == [4, 4, 5, 5]
    # a page never splits the points of one step, so after_step stays a safe cursor
    page = client.get_metrics("rl", job_id, after_step=-1, limit=3)
    assert [(p["step"], p["name"]) for p in page] == [(0, "train.loss"), (0, "train.reward")]


def test_timeline_phases(backend, task_app):
    client = backend.client()
    job_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="tl-1"))
    wait_job_done(client, "rl", job_id)
    phases = [p["phase"] for p in client.get_timeline("rl", job_id)]
    assert phases == ["queued", "running", "succeeded"]


def test_rl_job_readable_under_learning_and_orchestration_but_sft_not_under_rl(backend, task_app, tmp_path):
    client = backend.client()
    rl_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="paths-rl"))
    assert client.get_job("learning", rl_id)["id"] == rl_id
    resp = requests.get(f"{backend.api_url}/orchestration/jobs/{rl_id}/events",
                        headers={"Authorization": f"Bearer {backend.api_key}"}, timeout=10)
    assert resp.status_code == 200 and resp.json()["events"][0]["seq"] == 1
    sft_id = job_id_of(client.create_sft_job(sft_body(_ready_file(client, tmp_path)), idempotency_key="paths-sft"))
    assert client.get_job("rl", sft_id) is None
    assert client.find_job(sft_id) [0] == "learning"


def test_unknown_job_routes_are_404(backend):
    client = backend.client()
    assert client.get_job("rl", "job_nope") is None
    for path in ("events", "metrics", "timeline"):
        resp = requests.get(f"{backend.api_url}/learning/jobs/job_nope/{path}",
                            headers={"Authorization": f"Bearer {backend.api_key}"}, timeout=10)
        assert resp.status_code == 404


def test_list_jobs_filters(backend_factory, task_app, tmp_path):
    server = backend_factory()
    client = server.client()
    rl_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="l-rl"))
    wait_job_done(client, "rl", rl_id)
    sft_id = job_id_of(client.create_sft_job(sft_body(_ready_file(client, tmp_path)), idempotency_key="l-sft"))
    assert [j["id"] for j in client.list_jobs()] == [sft_id, rl_id]
    assert [j["id"] for j in client.list_jobs(job_type="rl")] == [rl_id]
    assert [j["id"] for j in client.list_jobs(job_type="sft")] == [sft_id]
    assert [j["id"] for j in client.list_jobs(status="succeeded")] == [rl_id]
    assert [j["id"] for j in client.list_jobs(status="completed")] == [rl_id]
    assert [j["id"] for j in client.list_jobs(limit=1)] == [sft_id]
    created = client.get_job("learning", rl_id)["created_at"]
    assert [j["id"] for j in client.list_jobs(created_after=created)] == [sft_id]
    assert [j["id"] for j in client.list_jobs(created_after="2999-01-01T00:00:00Z")] == []
    with pytest.raises(BackendError) as info:
        client.list_jobs(created_after="yesterday")
    assert info.value.status == 422 and "created_after" in info.value.message


# -- cancel --------------------------------------------------------------------------------------

def test_cancel_while_running(backend_factory, task_app):
    server = backend_factory(step_seconds=60)
    client = server.client()
    job_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="c-1"))
    wait_for(lambda: client.get_job("rl", job_id)["status"] == "running")
    assert client.cancel_job("rl", job_id)["status"] == "cancelled"
    assert client.get_job("rl", job_id)["status"] == "cancelled"
    events = client.get_events("rl", job_id)
    assert events[-1]["type"] == "rl.job.cancelled"
    assert client.get_timeline("rl", job_id)[-1]["phase"] == "cancelled"
    # cancelling twice is harmless
    assert client.cancel_job("rl", job_id)["status"] == "cancelled"
    assert len(client.get_events("rl", job_id)) == len(events)


def test_cancel_created_sft_job_and_finished_job(backend_factory, tmp_path, task_app):
    server = backend_factory()
    client = server.client()
    job_id = job_id_of(client.create_sft_job(sft_body(_ready_file(client, tmp_path)), idempotency_key="c-2"))
    assert client.cancel_job("learning", job_id)["status"] == "cancelled"
    rl_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="c-3"))
    wait_job_done(client, "rl", rl_id)
    with pytest.raises(BackendError) as info:
        client.cancel_job("rl", rl_id)
    assert info.value.status == 409 and "already ended" in info.value.message


# -- failing on purpose ----------------------------------------------------------------------------

def test_rl_fail_at_step_from_config(backend, task_app):
    client = backend.client()
    config = {"emulation": {"fail_at_step": 3}}
    job_id = job_id_of(client.create_rl_job(rl_body(task_app.url, config), idempotency_key="f-rl"))
    job = wait_job_done(client, "rl", job_id)
    assert job["status"] == "failed" and "step 3" in job["error"]
    events = client.get_events("rl", job_id)
    assert events[-1]["type"] == "rl.job.failed" and events[-1]["level"] == "error"
    assert [p["step"] for p in client.get_metrics("rl", job_id) if p["name"] == "train.loss"] == [0, 1, 2]


def test_sft_fail_at_step_from_first_dataset_line(backend, tmp_path):
    client = backend.client()
    file_id = _ready_file(client, tmp_path, first_metadata={"emulation": {"fail_at_step": 2, "steps": 5}})
    job_id = job_id_of(client.create_sft_job(sft_body(file_id), idempotency_key="f-sft"))
    assert client.get_job("learning", job_id)["total_steps"] == 5
    client.start_sft_job(job_id)
    job = wait_job_done(client, "learning", job_id)
    assert job["status"] == "failed"
    assert client.get_events("learning", job_id)[-1]["type"] == "sft.job.failed"


def test_fail_at_step_from_body_metadata(backend, tmp_path):
    client = backend.client()
    body = sft_body(_ready_file(client, tmp_path), metadata={"emulation": {"fail_at_step": 0}})
    job_id = job_id_of(client.create_sft_job(body, idempotency_key="f-meta"))
    client.start_sft_job(job_id)
    assert wait_job_done(client, "learning", job_id)["status"] == "failed"
    assert client.get_metrics("learning", job_id) == []


def test_admin_route_fails_a_running_job(backend_factory, task_app):
    server = backend_factory(step_seconds=60)
    client = server.client()
    job_id = job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key="f-admin"))
    resp = requests.post(f"{server.root}/admin/jobs/{job_id}/fail", json={"reason": "disk on fire"},
                         headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    assert resp.status_code == 200 and resp.json()["status"] == "failed"
    event = client.get_events("rl", job_id)[-1]
    assert event["type"] == "rl.job.failed" and event["message"] == "disk on fire"
    again = requests.post(f"{server.root}/admin/jobs/{job_id}/fail", json={},
                          headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    assert again.status_code == 409
    missing = requests.post(f"{server.root}/admin/jobs/job_nope/fail", json={},
                            headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    assert missing.status_code == 404


# -- determinism -----------------------------------------------------------------------------------

def test_same_body_and_dataset_give_the_same_losses(backend, tmp_path, task_app):
    client = backend.client()
    ids = [job_id_of(client.create_rl_job(rl_body(task_app.url), idempotency_key=f"det-{i}")) for i in range(2)]
    for job_id in ids:
        wait_job_done(client, "rl", job_id)
    values = [[p["value"] for p in client.get_metrics("rl", j)] for j in ids]
    assert values[0] == values[1]
    other = rl_body(task_app.url, {"model": {"base": "Qwen/Qwen3-4B"}})
    other_id = job_id_of(client.create_rl_job(other, idempotency_key="det-other"))
    wait_job_done(client, "rl", other_id)
    assert [p["value"] for p in client.get_metrics("rl", other_id)] != values[0]
    losses = [p["value"] for p in client.get_metrics("rl", ids[0]) if p["name"] == "train.loss"]
    assert losses[-1] < losses[0]
