"""Stripe-style idempotency for job creation and file upload."""

from __future__ import annotations

import threading

import pytest
import requests

from synthlaunch.api import job_id_of
from synthlaunch.errors import BackendError
from tests.support.backend import rl_body, write_jsonl

URL = "http://127.0.0.1:9/task"


def _create(server, body, key):
    return requests.post(server.api_url + "/rl/jobs", json=body, timeout=10,
                         headers={"Authorization": f"Bearer {server.api_key}", "Idempotency-Key": key})


def test_same_key_same_body_returns_the_first_job_and_creates_nothing(backend_factory):
    server = backend_factory()
    first = _create(server, rl_body(URL), "idem-1")
    again = _create(server, rl_body(URL), "idem-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(server.client().list_jobs()) == 1


def test_key_order_in_the_body_does_not_matter(backend_factory):
    server = backend_factory()
    body = rl_body(URL)
    reordered = dict(reversed(list(body.items())))
    assert _create(server, body, "k").json()["id"] == _create(server, reordered, "k").json()["id"]


def test_same_key_different_body_is_409_with_a_clear_message(backend_factory):
    server = backend_factory()
    client = server.client()
    client.create_rl_job(rl_body(URL), idempotency_key="idem-2")
    other = rl_body(URL, {"model": {"base": "Qwen/Qwen3-4B"}})
    with pytest.raises(BackendError) as info:
        client.create_rl_job(other, idempotency_key="idem-2")
    assert info.value.status == 409
    assert "idem-2" in info.value.message and "different request" in info.value.message
    assert "Idempotency-Key" in (info.value.hint or "")
    assert len(client.list_jobs()) == 1


def test_same_key_on_another_endpoint_is_409(backend_factory, tmp_path):
    server = backend_factory()
    client = server.client()
    client.create_rl_job(rl_body(URL), idempotency_key="shared")
    with pytest.raises(BackendError) as info:
        client.upload_file(write_jsonl(tmp_path / "a.jsonl"), idempotency_key="shared")
    assert info.value.status == 409


def test_different_keys_create_different_jobs(backend_factory):
    server = backend_factory()
    a = _create(server, rl_body(URL), "a").json()["id"]
    b = _create(server, rl_body(URL), "b").json()["id"]
    assert a != b


def test_keys_are_scoped_per_api_key(backend_factory):
    server = backend_factory(api_keys=["first-key-aaaa", "second-key-bbbb"])
    ids = []
    for key in server.api_keys:
        resp = requests.post(server.api_url + "/rl/jobs", json=rl_body(URL), timeout=10,
                             headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "same"})
        ids.append(resp.json()["id"])
    assert ids[0] != ids[1]


def test_concurrent_requests_with_one_key_create_one_job(backend_factory):
    server = backend_factory()
    results: list[requests.Response] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(_create(server, rl_body(URL), "race"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} <= {200, 201}
    assert sorted(r.status_code for r in results).count(201) == 1
    assert len({r.json()["id"] for r in results}) == 1
    assert len(server.client().list_jobs()) == 1


def test_concurrent_different_bodies_one_wins_others_409(backend_factory):
    server = backend_factory()
    results: list[requests.Response] = []
    barrier = threading.Barrier(6)

    def worker(i: int) -> None:
        barrier.wait()
        results.append(_create(server, rl_body(URL, {"n": i}), "race-2"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409, 409, 409]
    assert len(server.client().list_jobs()) == 1


def test_file_upload_idempotency(backend_factory, tmp_path):
    server = backend_factory()
    client = server.client()
    path = write_jsonl(tmp_path / "f.jsonl")
    a = client.upload_file(path, idempotency_key="up-1")
    b = client.upload_file(path, idempotency_key="up-1")
    assert a["id"] == b["id"]
    assert len(client.list_files()) == 1
    path.write_text(path.read_text() + path.read_text())
    with pytest.raises(BackendError) as info:
        client.upload_file(path, idempotency_key="up-1")
    assert info.value.status == 409
    assert len(client.list_files()) == 1


def test_sft_job_idempotency(backend_factory, tmp_path):
    from tests.support.backend import sft_body, wait_file_ready

    server = backend_factory()
    client = server.client()
    file_id = wait_file_ready(client, client.upload_file(write_jsonl(tmp_path / "s.jsonl"))["id"])["id"]
    a = job_id_of(client.create_sft_job(sft_body(file_id), idempotency_key="sft-k"))
    b = job_id_of(client.create_sft_job(sft_body(file_id), idempotency_key="sft-k"))
    assert a == b
    with pytest.raises(BackendError):
        client.create_sft_job(sft_body(file_id, model="Qwen/Qwen3-4B"), idempotency_key="sft-k")


def test_keys_expire(backend_factory):
    server = backend_factory(idempotency_ttl=0.001)
    first = _create(server, rl_body(URL), "old").json()["id"]
    # once the key expired (TTL 1 ms, so certainly by the second request) the same key is new again,
    # even with a different body
    second = _create(server, rl_body(URL, {"x": 1}), "old")
    assert second.status_code == 201 and second.json()["id"] != first


def test_validation_errors_are_not_remembered(backend_factory):
    server = backend_factory()
    bad = _create(server, {"job_type": "rl"}, "fix-me")
    assert bad.status_code == 422
    good = _create(server, rl_body(URL), "fix-me")
    assert good.status_code == 201
