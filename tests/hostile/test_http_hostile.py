"""The HTTP layer against hostile servers: no redirect is followed (no key travels), a 2xx that is not
the expected JSON is an error naming its content type, bodies are capped (gzip bombs too), a dripping
body hits a deadline, and retry loops have a floor and a ceiling. Real servers on 127.0.0.1."""

from __future__ import annotations

import math

import pytest
import requests

from synthlaunch.api import SynthClient
from synthlaunch.errors import BackendError, BackendUnreachable
from synthlaunch.http import (
    AnswerTooLarge,
    RetryEvent,
    RetryPolicy,
    backoff_delay,
    make_session,
    request,
)
from synthlaunch.preflight import CHECK_HEALTH, CHECK_TASK_INFO, run_checks
from synthlaunch.task_app import TaskAppClient

from . import answers

KEY = "sk_hostile_" + "c0ffee" * 5
ENV_KEY = "env_hostile_" + "decaf" * 6
FAST = RetryPolicy(attempts=3, deadline=10, backoff_base=0.01, backoff_max=0.02, min_wait=0.01)


def _saw_key(server, *keys: str) -> bool:
    return any(k in str(headers) or k.encode() in body for (_, _, headers, body) in server.requests for k in keys)


# -- redirects: never followed, named, no key reaches the target ---------------------------------

def test_backend_redirect_is_an_error_naming_the_location_and_the_target_sees_nothing(stubs) -> None:
    backend, elsewhere = stubs(), stubs()
    backend.script("/api/learning/jobs", (0, answers.redirect(elsewhere.url + "/steal")))
    client = SynthClient(backend.url + "/api", KEY, policy=FAST)
    with pytest.raises(BackendError) as info:
        client.list_jobs()
    assert info.value.exit_code == 4 and info.value.status == 307
    assert f"redirecting to {elsewhere.url}/steal" in info.value.message
    assert elsewhere.requests == [] and not _saw_key(elsewhere, KEY)


def test_task_app_redirect_fails_the_checks_naming_the_location_and_no_key_leaves(stubs) -> None:
    app, elsewhere, backend = stubs(), stubs(), stubs()
    for path in ("/health", "/task_info"):
        app.script(path, (0, answers.redirect(elsewhere.url + path, status=302)))
    backend.script("/api/rl/verify_task_app", (200, {"any_ok": True}))
    report = run_checks(SynthClient(backend.url + "/api", KEY, policy=FAST), app.url, ENV_KEY, policy=FAST)
    rows = {row.check: row for row in report.rows}
    for check in (CHECK_HEALTH, CHECK_TASK_INFO):
        assert rows[check].result == "fail" and rows[check].status == 302
        assert f"redirecting to {elsewhere.url}" in rows[check].detail
    assert not report.ok
    assert elsewhere.requests == [] and not _saw_key(elsewhere, ENV_KEY, KEY)


def test_upload_redirect_is_reported_at_once_not_resent(stubs, tmp_path) -> None:
    backend, elsewhere = stubs(), stubs()
    backend.script("/api/files", (0, answers.redirect(elsewhere.url + "/api/files")))
    data = tmp_path / "d.jsonl"
    data.write_text('{"messages": []}\n')
    client = SynthClient(backend.url + "/api", KEY, policy=FAST)
    with pytest.raises(BackendError) as info:
        client.upload_file(data, idempotency_key="k-1")
    assert info.value.status == 307 and "redirecting to" in info.value.message
    assert len(backend.hits("/api/files")) == 1 and elsewhere.requests == []


# -- a 2xx that is not the expected JSON ------------------------------------------------------------

@pytest.mark.parametrize("answer, named", [
    (answers.html(), "text/html"),
    (answers.invalid_json(), "application/json that is not JSON"),
    (answers.json_list(), "holding a JSON list"),
])
def test_a_2xx_that_is_not_the_expected_json_is_a_backend_error(stubs, answer, named) -> None:
    backend = stubs()
    backend.script("/api/learning/jobs/job_1", (200, {"id": "job_1", "status": "running"}))
    backend.script("/api/learning/jobs/job_1/cancel", (0, answer))
    client = SynthClient(backend.url + "/api", KEY, policy=FAST)
    with pytest.raises(BackendError) as info:
        client.cancel_job("learning", "job_1")
    assert info.value.exit_code == 4 and named in info.value.message


@pytest.mark.parametrize("answer", [answers.html(), answers.invalid_json(),
                                    answers.json_body({"items": "nope"})])
def test_a_job_list_that_is_not_a_list_is_not_no_jobs(stubs, answer) -> None:
    backend = stubs()
    backend.script("/api/learning/jobs", (0, answer))
    with pytest.raises(BackendError, match="answered HTTP 200 with"):
        SynthClient(backend.url + "/api", KEY, policy=FAST).list_jobs()


def test_a_task_app_that_is_a_web_server_page_fails_preflight(stubs) -> None:
    app, backend = stubs(), stubs()
    app.script("/health", (0, answers.html()))
    app.script("/task_info", (0, answers.html()))
    backend.script("/api/rl/verify_task_app", (200, {"any_ok": True}))
    report = run_checks(SynthClient(backend.url + "/api", KEY, policy=FAST), app.url, ENV_KEY, policy=FAST)
    rows = {row.check: row for row in report.rows}
    assert rows[CHECK_HEALTH].result == "fail" and "text/html" in rows[CHECK_HEALTH].detail
    assert rows[CHECK_TASK_INFO].result == "fail" and "text/html" in rows[CHECK_TASK_INFO].detail
    assert report.exit_code == 3


# -- sizes: capped, gzip bombs do not expand past the cap -----------------------------------------

@pytest.mark.parametrize("answer", [answers.huge(50 * 1024 * 1024), answers.gzip_bomb(64 * 1024 * 1024),
                                    answers.chunked_gzip_bomb(64 * 1024 * 1024)])
def test_oversized_answers_stop_at_the_cap(stubs, answer) -> None:
    server = stubs()
    server.script("/x", (0, answer))
    with pytest.raises(AnswerTooLarge, match="larger than 1 MiB"):
        request(make_session(), "GET", server.url + "/x", policy=FAST, timeout=(5, 30), max_bytes=1024 * 1024)
    assert len(server.hits("/x")) == 1  # too large is not retried


def test_an_oversized_answer_is_a_backend_error(stubs) -> None:
    backend = stubs()
    backend.script("/api/learning/jobs", (0, answers.huge(11 * 1024 * 1024)))
    with pytest.raises(BackendError, match="larger than 10 MiB"):
        SynthClient(backend.url + "/api", KEY, policy=FAST).list_jobs()


def test_an_error_body_is_cut_before_it_is_kept(stubs) -> None:
    backend = stubs()
    backend.script("/api/learning/jobs", (0, answers.raw(500, b"E" * 2_000_000, {"Content-Type": "text/plain"})))
    with pytest.raises(BackendError) as info:
        SynthClient(backend.url + "/api", KEY, policy=RetryPolicy(attempts=1)).list_jobs()
    assert len(info.value.response_body) < 20_000 and "more characters not kept" in info.value.response_body


# -- dripping servers: each attempt has a total deadline -------------------------------------------

def test_a_dripping_body_is_a_read_timeout_not_a_hang(stubs) -> None:
    server = stubs()
    server.script("/x", (0, answers.drip(b'{"a": "' + b"x" * 100 + b'"}', every=0.5)))
    with pytest.raises(requests.exceptions.ReadTimeout, match="did not arrive whole within"):
        request(make_session(), "GET", server.url + "/x", policy=RetryPolicy(attempts=1, deadline=30),
                timeout=(2, 1.5))


@pytest.mark.parametrize("status_line_at_once", [False, True])
def test_dripping_headers_are_a_read_timeout_not_a_hang(stubs, status_line_at_once) -> None:
    server = stubs()
    server.script("/x", (0, answers.drip_headers(every=0.2, status_line_at_once=status_line_at_once)))
    with pytest.raises(requests.exceptions.ReadTimeout, match="headers came too slowly"):
        request(make_session(), "GET", server.url + "/x", policy=RetryPolicy(attempts=1, deadline=30),
                timeout=(2, 1.5))


def test_the_policy_deadline_bounds_a_dripping_body_across_retries(stubs) -> None:
    backend = stubs()
    backend.script("/api/learning/jobs", (0, answers.drip(every=0.5)))
    seen: list[RetryEvent] = []
    client = SynthClient(backend.url + "/api", KEY, policy=RetryPolicy(attempts=50, deadline=2.0),
                         on_retry=seen.append)
    with pytest.raises(BackendUnreachable, match="timed out"):
        client.list_jobs()
    assert len(backend.hits("/api/learning/jobs")) <= 3


# -- loops: floor and ceiling -------------------------------------------------------------------

def test_retry_after_zero_still_waits_the_floor(stubs) -> None:
    server = stubs()
    server.script("/x", (429, {"detail": "slow down"}, {"Retry-After": "0"}), (429, {}, {"Retry-After": "0"}),
                  (200, {"ok": True}))
    waits: list[float] = []
    policy = RetryPolicy(attempts=5, deadline=10, min_wait=0.05)
    resp = request(make_session(), "GET", server.url + "/x", policy=policy, on_retry=lambda e: waits.append(e.wait))
    assert resp.status_code == 200 and len(waits) == 2 and all(w >= 0.05 for w in waits)


def test_backoff_caps_the_exponent_before_computing_it() -> None:
    policy = RetryPolicy()
    for attempt in (1, 2, 10, 1_000, 1_000_000):
        delay = backoff_delay(policy, attempt)
        assert math.isfinite(delay) and policy.min_wait <= delay <= policy.backoff_max


def test_task_app_answer_keeps_its_content_type_and_location(stubs) -> None:
    app = stubs()
    app.script("/health", (0, answers.redirect("http://127.0.0.1:9/elsewhere", status=301)))
    answer = TaskAppClient(app.url, ENV_KEY, policy=FAST).health()
    assert answer.status == 301 and answer.location == "http://127.0.0.1:9/elsewhere"


def test_a_task_app_echoing_the_right_keys_first_15_characters_shows_4(stubs) -> None:
    right = "env_RIGHTkey_0123456789abcdef"
    app, backend = stubs(), stubs()
    wrong_key = {"detail": {"error": {"code": "unauthorised", "message": "API key missing or invalid",
                                      "allowed_first15": [right[:15]], "allowed_count": 1,
                                      "got_first15": [ENV_KEY[:15]], "got_lens": [len(ENV_KEY)]}}}
    app.script("/health", (400, wrong_key))
    app.script("/task_info", (400, wrong_key))
    backend.script("/api/rl/verify_task_app", (200, {"any_ok": False, "candidates_first15": [right[:15]],
                                                      "detail": f"expected_api_key_prefix: {right[:12]}"}))
    report = run_checks(SynthClient(backend.url + "/api", KEY, policy=FAST), app.url, ENV_KEY, policy=FAST)
    shown = str(report.as_dict())
    assert right[:5] not in shown and ENV_KEY[:8] not in shown
    assert "env_…" in shown
