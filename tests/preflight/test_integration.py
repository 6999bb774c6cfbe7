"""run_checks against the embedded backend and the demo task app over real HTTP (fixtures in
tests/conftest.py), plus a scripted task app that answers 400 for a bad key."""

from __future__ import annotations

import logging

import pytest

from synthlaunch.errors import BackendUnreachable, PreflightError
from synthlaunch.preflight import CHECK_HEALTH, CHECK_TASK_INFO, CHECK_VERIFY, raise_for_report, run_checks
from tests.support.net import FAST, dead_url
from tests.support.stub import StubServer

pytestmark = pytest.mark.timeout(120)


def by_check(report):
    return {row.check: row for row in report.rows}


def test_all_pass(backend, task_app):
    report = run_checks(backend.client(), task_app.url, task_app.environment_api_key, policy=FAST)
    assert report.ok and report.exit_code == 0, report.as_dict()
    rows = by_check(report)
    assert [r.result for r in report.rows] == ["pass", "pass", "pass"]
    assert rows[CHECK_TASK_INFO].detail == "task name=Demo colours (forced tool call)"
    assert "attempt statuses: [200, 200]" in rows[CHECK_VERIFY].detail


def test_wrong_environment_key(backend, task_app):
    wrong = "env_wrong_" + "9" * 24
    report = run_checks(backend.client(), task_app.url, wrong, policy=FAST)
    rows = by_check(report)
    # the demo task app answers 401 with expected_api_key_prefix: auth-optional /health, failing /task_info
    assert rows[CHECK_HEALTH].result == "warn" and rows[CHECK_HEALTH].status == 401
    assert rows[CHECK_TASK_INFO].result == "fail"
    prefix = task_app.environment_api_key[:4]
    assert f"expects keys starting with {prefix!r}" in rows[CHECK_TASK_INFO].detail
    assert "env_…99" in rows[CHECK_TASK_INFO].detail  # the key, masked
    assert rows[CHECK_VERIFY].result == "pass"  # the backend's own key is right
    with pytest.raises(PreflightError) as info:
        raise_for_report(report)
    assert info.value.exit_code == 3


def test_task_app_answering_400_for_a_bad_key(backend):
    stub = StubServer()
    try:
        stub.script("/health", (400, {"error": "bad api key"}))
        stub.script("/task_info", (400, {"error": "bad api key"}))
        report = run_checks(backend.client(), stub.url, backend.environment_api_key, policy=FAST)
    finally:
        stub.stop()
    rows = by_check(report)
    for check in (CHECK_HEALTH, CHECK_TASK_INFO):
        assert rows[check].result == "fail" and rows[check].status == 400
        assert "rejected ENVIRONMENT_API_KEY" in rows[check].detail and "bad api key" in rows[check].detail
    # the backend tried it too and got the same 400s
    assert rows[CHECK_VERIFY].result == "fail" and "HTTP 400" in rows[CHECK_VERIFY].detail
    assert report.exit_code == 3


def test_task_app_down(backend):
    url = dead_url()
    report = run_checks(backend.client(), url, backend.environment_api_key, policy=FAST)
    rows = by_check(report)
    assert rows[CHECK_HEALTH].detail == f"nothing is listening at {url} (connection refused)"
    assert "`inv local.task-app`" in rows[CHECK_HEALTH].hint
    assert rows[CHECK_TASK_INFO].result == "fail"
    assert rows[CHECK_VERIFY].result == "fail" and "any_ok=false" in rows[CHECK_VERIFY].detail
    assert "cannot reach" in rows[CHECK_VERIFY].detail
    assert report.exit_code == 3 and not report.backend_unreachable


def test_backend_verify_any_ok_false(backend_factory, task_app):
    other = backend_factory(environment_api_keys=["env_other_" + "1" * 24])
    report = run_checks(other.client(), task_app.url, task_app.environment_api_key, policy=FAST)
    rows = by_check(report)
    assert rows[CHECK_VERIFY].result == "fail"
    assert "key env_…11" in rows[CHECK_VERIFY].detail and "/health → HTTP 401" in rows[CHECK_VERIFY].detail
    assert "registered with the backend" in rows[CHECK_VERIFY].hint
    assert rows[CHECK_HEALTH].result == rows[CHECK_TASK_INFO].result == "pass"
    assert report.exit_code == 3


def test_backend_503_then_recovery(backend_factory, task_app):
    faulty = backend_factory(faults="path=/api/rl/verify_task_app,kinds=503,times=2,retry_after=0")
    lines: list[str] = []
    report = run_checks(faulty.client(), task_app.url, task_app.environment_api_key, policy=FAST,
                        on_retry=lambda event: lines.append(event.describe()))
    assert report.ok, report.as_dict()
    assert by_check(report)[CHECK_VERIFY].retries == 2
    assert len(lines) == 2 and all("HTTP 503" in line for line in lines)


def test_backend_429_retry_after_is_honoured(backend_factory, task_app, caplog):
    faulty = backend_factory(faults="path=/api/rl/verify_task_app,kinds=429,times=1,retry_after=1")
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"):  # retry lines are info: --quiet hides them
        report = run_checks(faulty.client(), task_app.url, task_app.environment_api_key, policy=FAST)
    assert report.ok
    retry_lines = [r.getMessage() for r in caplog.records if r.name == "synthlaunch.http"]
    assert len(retry_lines) == 1
    assert "HTTP 429 (Retry-After: 1)" in retry_lines[0] and "waiting 1.0s" in retry_lines[0]


def test_backend_unreachable(backend_factory, task_app):
    gone = backend_factory()
    client = gone.client()
    gone.stop()
    report = run_checks(client, task_app.url, task_app.environment_api_key, policy=FAST)
    assert report.backend_unreachable and report.exit_code == 4
    with pytest.raises(BackendUnreachable) as info:
        raise_for_report(report)
    assert info.value.exit_code == 4 and "local.backend task" in (info.value.hint or "")
