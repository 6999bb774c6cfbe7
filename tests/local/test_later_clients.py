"""The embedded backend serves what later clients (synth-ai 0.3.9 … 0.5.0) read: the job event
stream (`GET /api/{rl|learning}/jobs/{id}/events/stream`), metrics without `after_step`, the
status cache-buster `?_t=`, the SDK's alias routes, `GET /api/learning/jobs?limit&offset`, and a
request log. All over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import requests
import sseclient

from tests.support.backend import rl_body, sft_body, wait_file_ready, wait_for, wait_job_done, write_jsonl


def _headers(server: Any, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key}", **more}


def _frames(resp: requests.Response) -> list[Any]:
    return list(sseclient.SSEClient(resp.iter_content(chunk_size=None)).events())


def _rl_job(server: Any, task_app: Any, steps: int = 5) -> str:
    body = rl_body(task_app.url, {"emulation": {"steps": steps}, "services": {"task_url": task_app.url}})
    resp = requests.post(server.api_url + "/rl/jobs", json=body, headers=_headers(server), timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_event_stream_sends_every_event_once_in_order_and_ends_after_the_terminal_one(backend, task_app):
    job_id = _rl_job(backend, task_app)
    with requests.get(f"{backend.api_url}/rl/jobs/{job_id}/events/stream", stream=True, timeout=30,
                      headers=_headers(backend, Accept="text/event-stream")) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        frames = _frames(resp)  # returns only because the server closes the stream
    events = [json.loads(f.data) for f in frames]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [f.id for f in frames] == [str(e["seq"]) for e in events]
    assert [f.event for f in frames] == [e["type"] for e in events]
    assert events[-1]["type"] == "rl.job.completed"
    polled = requests.get(f"{backend.api_url}/rl/jobs/{job_id}/events", headers=_headers(backend),
                          params={"limit": 1000}, timeout=30).json()["events"]
    assert events == polled


def test_event_stream_resumes_after_last_event_id_or_since_seq(backend, task_app):
    job_id = _rl_job(backend, task_app)
    wait_job_done(backend.client(), "rl", job_id)
    url = f"{backend.api_url}/learning/jobs/{job_id}/events/stream"
    with requests.get(url, headers=_headers(backend, **{"Last-Event-ID": "3"}), params={"since_seq": 1},
                      stream=True, timeout=30) as resp:
        after_header = [int(f.id) for f in _frames(resp)]
    with requests.get(url, headers=_headers(backend), params={"since_seq": 4}, stream=True, timeout=30) as resp:
        after_query = [int(f.id) for f in _frames(resp)]
    assert after_header[0] == 4 and after_query[0] == 5
    assert after_header[1:] == after_query


def test_event_stream_sends_keep_alive_comments_while_idle_and_needs_the_key(backend_factory, tmp_path):
    server = backend_factory(keepalive_seconds=0.05)
    client = server.client()
    file_id = client.upload_file(write_jsonl(tmp_path / "d.jsonl"))["id"]
    wait_file_ready(client, file_id)
    job_id = client.create_sft_job(sft_body(file_id), idempotency_key="k-idle")["id"]  # created, never started
    url = f"{server.api_url}/learning/jobs/{job_id}/events/stream"
    assert requests.get(url, timeout=30).status_code == 401
    with requests.get(url, headers=_headers(server), stream=True, timeout=30) as resp:
        seen = b""
        for chunk in resp.iter_content(chunk_size=None):
            seen += chunk
            if seen.count(b": keep-alive") >= 2:
                break
    assert b"id: 1\n" in seen and b"event: sft.job.created\n" in seen


def test_event_stream_can_be_switched_off_like_an_older_backend(backend_factory, task_app):
    server = backend_factory(event_stream=False)
    job_id = _rl_job(server, task_app)
    resp = requests.get(f"{server.api_url}/rl/jobs/{job_id}/events/stream", headers=_headers(server), timeout=30)
    assert resp.status_code == 404
    assert requests.get(f"{server.api_url}/rl/jobs/{job_id}/events", headers=_headers(server),
                        timeout=30).status_code == 200


def test_metrics_without_after_step_hide_no_point_past_the_first_page(backend, task_app):
    job_id = _rl_job(backend, task_app, steps=150)  # 300 points (loss and reward) > limit 200
    wait_job_done(backend.client(), "rl", job_id)
    url = f"{backend.api_url}/rl/jobs/{job_id}/metrics"
    everything = requests.get(url, params={"limit": 200}, headers=_headers(backend), timeout=30).json()["points"]
    assert len(everything) == 300 and max(p["step"] for p in everything) == 149
    paged = requests.get(url, params={"after_step": -1, "limit": 200}, headers=_headers(backend),
                         timeout=30).json()["points"]
    assert len(paged) == 200  # with a cursor, pages as before


def test_cache_buster_alias_routes_and_offset(backend, tmp_path):
    client = backend.client()
    h = _headers(backend)
    with open(write_jsonl(tmp_path / "a.jsonl"), "rb") as fh:
        up = requests.post(backend.api_url + "/learning/files", files={"file": ("a.jsonl", fh, "application/jsonl")},
                           data={"purpose": "fine-tune"}, headers=h, timeout=30)
    assert up.status_code == 201, up.text
    wait_file_ready(client, up.json()["id"])
    created = requests.post(backend.api_url + "/sft/jobs", json=sft_body(up.json()["id"]), headers=h, timeout=30)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert requests.post(f"{backend.api_url}/sft/jobs/{job_id}/start", json={}, headers=h,
                         timeout=30).json()["status"] == "queued"
    assert requests.get(f"{backend.api_url}/sft/jobs/{job_id}", params={"_t": 1733000000000}, headers=h,
                        timeout=30).json()["id"] == job_id
    assert requests.get(f"{backend.api_url}/learning/jobs/{job_id}", params={"_t": 1}, headers=h,
                        timeout=30).status_code == 200
    wait_job_done(client, "learning", job_id)
    assert requests.get(f"{backend.api_url}/sft/jobs/{job_id}/events", headers=h, timeout=30).json()["events"]
    assert requests.get(f"{backend.api_url}/sft/jobs/{job_id}/checkpoints", headers=h,
                        timeout=30).json()["checkpoints"] == []
    first_two = requests.get(backend.api_url + "/learning/jobs", params={"limit": 2}, headers=h,
                             timeout=30).json()["jobs"]
    second = requests.get(backend.api_url + "/learning/jobs", params={"limit": 1, "offset": 1}, headers=h,
                          timeout=30).json()["jobs"]
    if len(first_two) == 2:
        assert second[0]["id"] == first_two[1]["id"]
    assert all(j["type"] == "sft" for j in requests.get(backend.api_url + "/sft/jobs", headers=h,
                                                        timeout=30).json()["jobs"])


def test_request_log_has_method_path_status_latency_and_no_header_or_query(backend_factory, task_app):
    records: list[Any] = []
    server = backend_factory(log_requests=records.append)
    job_id = _rl_job(server, task_app)
    secret_query = "sk_" + "q" * 20
    requests.get(f"{server.api_url}/rl/jobs/{job_id}", params={"token": secret_query},
                 headers=_headers(server), timeout=30)
    requests.get(f"{server.api_url}/rl/jobs/{job_id}", headers={"Authorization": "Bearer wrong-key"}, timeout=30)
    wait_for(lambda: len(records) >= 3)
    lines = [r.line() for r in records]
    assert lines[0].startswith("POST /api/rl/jobs 201 ")
    assert lines[1].startswith(f"GET /api/rl/jobs/{job_id} 200 ") and lines[1].endswith(" ms")
    assert lines[2].startswith(f"GET /api/rl/jobs/{job_id} 401 ")
    text = "\n".join(lines)
    assert server.api_key not in text and secret_query not in text and "wrong-key" not in text
