"""The embedded backend as a shared server: no request body, number or stored row can make it answer 500.

A body nested too deep, NaN/Infinity, integers beyond SQLite's range and cursors ≥ 2^63 are refused
with 422; bodies and uploads over the configured limits with 413 naming the limit; a row stored
by an older version that cannot be served (deep or NaN body) is repaired in answers, never a 500.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time

import pytest
import requests

from synthlaunch.local.faults import FaultSpecError, parse_spec
from tests.support.backend import rl_body, wait_file_ready, write_jsonl

TASK_URL = "http://127.0.0.1:9/task"


def _headers(server):
    return {"Authorization": f"Bearer {server.api_key}"}


def _post_raw(server, path, text, **headers):
    return requests.post(server.api_url + path, data=text.encode(), timeout=10,
                         headers={**_headers(server), "Content-Type": "application/json", **headers})


def _get(server, path, **params):
    return requests.get(server.api_url + path, params=params, headers=_headers(server), timeout=10)


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"x": value}
    return value


def _lists_ok(server):
    for path in ("/learning/jobs", "/rl/jobs"):
        resp = _get(server, path)
        assert resp.status_code == 200, (path, resp.status_code, resp.text[:200])


def test_a_body_nested_300_deep_is_422_and_the_lists_stay_200(backend):
    body = rl_body(TASK_URL)
    body["metadata"] = _nested(300)
    resp = _post_raw(backend, "/rl/jobs", json.dumps(body))
    assert resp.status_code == 422
    assert "nested" in resp.json()["detail"] and "metadata" in resp.json()["detail"]
    _lists_ok(backend)


def test_a_body_at_a_reasonable_depth_is_still_accepted(backend):
    body = rl_body(TASK_URL)
    body["data"]["config"]["deep"] = _nested(20)
    resp = _post_raw(backend, "/rl/jobs", json.dumps(body))
    assert resp.status_code == 201, resp.text[:300]
    job_id = resp.json()["id"]
    assert _get(backend, f"/rl/jobs/{job_id}").status_code == 200


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "123456789012345678901234567890"])
def test_nan_infinity_and_out_of_range_numbers_are_422_naming_the_field(backend, literal):
    text = json.dumps(rl_body(TASK_URL)).replace('"metadata": {}', f'"metadata": {{"score": {literal}}}')
    assert literal in text
    resp = _post_raw(backend, "/rl/jobs", text, **{"Idempotency-Key": f"nan-{literal}"})
    assert resp.status_code == 422, resp.text[:300]
    assert "metadata.score" in resp.json()["detail"]
    # not remembered: the same key with a valid body creates the job
    ok = _post_raw(backend, "/rl/jobs", json.dumps(rl_body(TASK_URL)), **{"Idempotency-Key": f"nan-{literal}"})
    assert ok.status_code == 201
    _lists_ok(backend)


def test_a_lone_surrogate_in_a_body_is_422_and_the_lists_stay_200(backend):
    text = json.dumps(rl_body(TASK_URL)).replace('"metadata": {}', '"metadata": {"name": "\\ud800"}')
    resp = _post_raw(backend, "/rl/jobs", text)
    assert resp.status_code == 422, resp.text[:300]
    assert "metadata.name" in resp.json()["detail"] and "surrogate" in resp.json()["detail"]
    _lists_ok(backend)


@pytest.mark.parametrize("path,text", [
    ("/api/rl/verify_task_app", '{"endpoint_base_url": "http://127.0.0.1:9/\\udc00"}'),
    ("/admin/faults", '{"spec": "path=/api/\\ud800"}'),
])
def test_other_bodies_with_a_lone_surrogate_are_422(backend_factory, path, text):
    server = backend_factory()
    resp = requests.post(server.root + path, data=text.encode(), timeout=10,
                         headers={**_headers(server), "Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text[:300]
    assert requests.get(server.root + "/admin/faults", headers=_headers(server), timeout=10).status_code == 200


def test_a_fail_reason_with_a_lone_surrogate_is_422(backend_factory):
    server = backend_factory(step_seconds=60)
    job_id = _post_raw(server, "/rl/jobs", json.dumps(rl_body(TASK_URL))).json()["id"]
    resp = requests.post(f"{server.root}/admin/jobs/{job_id}/fail", data=b'{"reason": "\\ud800"}', timeout=10,
                         headers={**_headers(server), "Content-Type": "application/json"})
    assert resp.status_code == 422
    assert _get(server, f"/rl/jobs/{job_id}").json()["status"] in ("queued", "running")


def test_nan_in_an_sft_body_is_422(backend):
    text = '{"model": "Qwen/Qwen3-0.6B", "training_file_id": "file_x", "hyperparameters": {"lr": NaN}}'
    resp = _post_raw(backend, "/learning/jobs", text)
    assert resp.status_code == 422
    assert "hyperparameters.lr" in resp.json()["detail"]


@pytest.mark.parametrize("route,param", [("events", "since_seq"), ("metrics", "after_step")])
@pytest.mark.parametrize("value", [2 ** 63, 2 ** 64, 10 ** 30])
def test_cursors_beyond_sqlite_integers_are_422(backend, route, param, value):
    job_id = _post_raw(backend, "/rl/jobs", json.dumps(rl_body(TASK_URL))).json()["id"]
    resp = _get(backend, f"/rl/jobs/{job_id}/{route}", **{param: value})
    assert resp.status_code == 422, resp.text[:300]
    assert param in resp.text


def test_largest_cursor_sqlite_holds_is_an_empty_page(backend):
    job_id = _post_raw(backend, "/rl/jobs", json.dumps(rl_body(TASK_URL))).json()["id"]
    assert _get(backend, f"/rl/jobs/{job_id}/events", since_seq=2 ** 63 - 1).json()["events"] == []
    assert _get(backend, f"/rl/jobs/{job_id}/metrics", after_step=2 ** 63 - 1).json()["points"] == []


def test_a_job_body_over_the_limit_is_413_naming_the_limit(backend_factory):
    server = backend_factory(max_body_bytes=2000)
    body = rl_body(TASK_URL)
    body["metadata"] = {"padding": "x" * 5000}
    resp = _post_raw(server, "/rl/jobs", json.dumps(body))
    assert resp.status_code == 413
    assert resp.json()["max_bytes"] == 2000
    assert "2000 bytes" in resp.json()["detail"]
    assert _post_raw(server, "/rl/jobs", json.dumps(rl_body(TASK_URL))).status_code == 201


def test_an_upload_over_the_limit_is_413_and_stores_nothing(backend_factory, tmp_path):
    server = backend_factory(max_upload_bytes=4096)
    big = write_jsonl(tmp_path / "big.jsonl", [{"messages": [{"role": "user", "content": "y" * 200}]}] * 40)
    with open(big, "rb") as fh:
        resp = requests.post(server.api_url + "/files", files={"file": ("big.jsonl", fh)},
                             data={"purpose": "fine-tune"}, headers=_headers(server), timeout=10)
    assert resp.status_code == 413
    assert resp.json()["max_bytes"] == 4096
    assert not [p for p in (server.data_dir / "files").rglob("*") if p.is_file()]
    small = write_jsonl(tmp_path / "small.jsonl")
    with open(small, "rb") as fh:
        ok = requests.post(server.api_url + "/files", files={"file": ("small.jsonl", fh)},
                           data={"purpose": "fine-tune"}, headers=_headers(server), timeout=10)
    assert ok.status_code == 201


def test_a_large_upload_limit_does_not_raise_the_job_body_limit(backend_factory):
    server = backend_factory(max_body_bytes=2000, max_upload_bytes=10 ** 6)
    body = rl_body(TASK_URL)
    body["metadata"] = {"padding": "x" * 5000}
    assert _post_raw(server, "/rl/jobs", json.dumps(body)).status_code == 413


@pytest.mark.parametrize("bad", [{"max_body_bytes": 0}, {"max_upload_bytes": -1}])
def test_limits_must_be_positive(bad):
    from synthlaunch.local.serve import BackendServer

    with pytest.raises(ValueError, match=next(iter(bad))):
        BackendServer(**bad)


def _poison(data_dir, job_id: str, body_text: str) -> None:
    """A job row as an older version stored it (a body the JSON check now refuses)."""
    db = sqlite3.connect(data_dir / "state.sqlite3")
    now = time.time()
    with db:
        db.execute("INSERT INTO jobs (id, kind, status, body, model, training_file_id, total_steps, next_step,"
                   " fail_at_step, seed, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   (job_id, "rl", "failed", body_text, "m", None, 1, 1, None, "s", now, now))
    db.close()


def test_a_stored_job_that_cannot_be_served_does_not_poison_the_lists(backend_factory, tmp_path, caplog):
    data_dir = tmp_path / "legacy"
    server = backend_factory(data_dir=data_dir)
    server.stop(cleanup=False)
    deep = rl_body(TASK_URL)
    deep["metadata"] = _nested(300)
    _poison(data_dir, "job_deep", json.dumps(deep))
    _poison(data_dir, "job_nan", json.dumps({**rl_body(TASK_URL), "metadata": {"v": float("nan")}}))
    _poison(data_dir, "job_garbled", "{not json")
    _poison(data_dir, "job_surrogate", json.dumps({**rl_body(TASK_URL), "metadata": {"s": "\ud800"}}))
    poisoned = ("job_deep", "job_nan", "job_garbled", "job_surrogate")
    server.start()
    with caplog.at_level(logging.WARNING, logger="synthlaunch.local"):
        for path in ("/learning/jobs", "/rl/jobs"):
            resp = _get(server, path)
            assert resp.status_code == 200, resp.text[:300]
            listed = {j["id"]: j for j in resp.json()["jobs"]}
            assert set(poisoned) <= set(listed)
            assert all("body_error" in listed[i] for i in poisoned)
        for job_id in poisoned:
            resp = _get(server, f"/rl/jobs/{job_id}")
            assert resp.status_code == 200
            assert resp.json()["status"] == "failed"
    assert any("job_deep" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("spec,field", [("rate=nan", "rate"), ("retry_after=inf", "retry_after"),
                                        ("latency=nan", "latency"), ("retry_after=1e400", "retry_after"),
                                        ("latency=-inf", "latency")])
def test_fault_specs_refuse_nan_and_infinity(spec, field):
    with pytest.raises(FaultSpecError, match=field):
        parse_spec(spec)


def test_the_admin_route_refuses_a_nan_fault_spec_and_keeps_the_rules(backend_factory):
    server = backend_factory()
    resp = requests.post(server.root + "/admin/faults", json={"spec": "rate=nan"}, headers=_headers(server),
                         timeout=10)
    assert resp.status_code == 400
    assert "rate" in resp.json()["detail"]
    assert server.injector.rules == []


def test_a_chunked_body_over_the_limit_is_413_naming_the_limit(backend_factory):
    """No Content-Length to refuse up front: the limit holds while the body is read."""
    server = backend_factory(max_body_bytes=2000)
    chunks = (b'{"pad": "' + b"x" * 1000, b"x" * 1000, b"x" * 1000, b'"}')
    resp = requests.post(server.api_url + "/rl/jobs", data=iter(chunks), timeout=10,
                         headers={**_headers(server), "Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["max_bytes"] == 2000



def test_an_upload_whose_line_nests_beyond_the_parser_fails_its_check_instead_of_staying_processing(backend,
                                                                                                    tmp_path):
    client = backend.client()
    data = tmp_path / "deep.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}], "x": '
                    + "[" * 100_000 + "]" * 100_000 + "}\n")
    record = client.upload_file(data)
    done = wait_file_ready(client, record["id"])
    assert done["status"] == "failed" and "nested too deeply" in done["error"]
