"""run_checks / raise_for_report / render_preflight against scripted real HTTP servers."""

from __future__ import annotations

import io
import json

import pytest

from synthlaunch.api import SynthClient
from synthlaunch.console import Output
from synthlaunch.errors import BackendError, BackendUnreachable, PreflightError
from synthlaunch.preflight import CHECK_HEALTH, CHECK_TASK_INFO, CHECK_VERIFY, raise_for_report, run_checks
from synthlaunch.render.tables import render_preflight as show_report
from tests.support.keys import FIXED_ENV_KEY as ENV_KEY
from tests.support.keys import FIXED_SYNTH_KEY as SYNTH_KEY
from tests.support.net import FAST, dead_url
from tests.support.stub import StubServer

VERIFY = "/api/rl/verify_task_app"


@pytest.fixture
def app():
    server = StubServer()
    server.script("/health", (200, {"status": "healthy"}))
    server.script("/task_info", (200, {"task": {"name": "demo"}}))
    yield server
    server.stop()


@pytest.fixture
def backend():
    server = StubServer()
    server.script(VERIFY, (200, {"any_ok": True, "candidates_first15": [], "attempts": [{"status": 200}]}))
    yield server
    server.stop()


def client(url: str) -> SynthClient:
    return SynthClient(url + "/api", SYNTH_KEY)


def rows(report):
    return {row.check: row for row in report.rows}


def test_all_pass(app, backend):
    report = run_checks(client(backend.url), app.url + "/", ENV_KEY, aliases=["alias_abcdef12"], policy=FAST)
    assert report.ok and report.exit_code == 0 and not report.backend_unreachable
    assert [r.check for r in report.rows] == [CHECK_VERIFY, CHECK_HEALTH, CHECK_TASK_INFO]
    assert all(r.result == "pass" and r.status == 200 and r.latency_ms is not None for r in report.rows)
    sent = json.loads(backend.requests[0][3])
    assert sent == {"endpoint_base_url": app.url}
    assert backend.requests[0][2]["Authorization"] == f"Bearer {SYNTH_KEY}"
    assert app.hits("/task_info")[0]["X-API-Keys"] == f"{ENV_KEY},alias_abcdef12"
    raise_for_report(report)  # nothing


def test_wrong_key_401_with_prefix(app, backend):
    app.script("/health", (401, {"detail": "Invalid API key", "expected_api_key_prefix": "sk_demo"}))
    app.script("/task_info", (401, {"detail": "Invalid API key"}))
    report = run_checks(client(backend.url), app.url, ENV_KEY, policy=FAST)
    by = rows(report)
    assert by[CHECK_HEALTH].result == "warn" and by[CHECK_TASK_INFO].result == "fail"
    assert not report.ok and report.exit_code == 3
    with pytest.raises(PreflightError) as info:
        raise_for_report(report)
    assert info.value.exit_code == 3 and info.value.report is report
    assert "task_app.task_info" in info.value.message and "sk_e…ab" in info.value.message
    assert ENV_KEY not in info.value.render()


def test_task_app_answering_400_for_a_bad_key(app, backend):
    app.script("/health", (400, {"error": "invalid api key"}))
    app.script("/task_info", (400, {"error": "invalid api key"}))
    report = run_checks(client(backend.url), app.url, ENV_KEY, policy=FAST)
    for check in (CHECK_HEALTH, CHECK_TASK_INFO):
        row = rows(report)[check]
        assert row.result == "fail" and row.status == 400 and "rejected ENVIRONMENT_API_KEY" in row.detail
    assert len(app.hits("/health")) == 1  # 400 is not retried


def test_task_app_down(backend):
    url = dead_url()
    report = run_checks(client(backend.url), url, ENV_KEY, policy=FAST)
    by = rows(report)
    for check in (CHECK_HEALTH, CHECK_TASK_INFO):
        assert by[check].result == "fail" and by[check].status is None
        assert by[check].detail == f"nothing is listening at {url} (connection refused)"
        assert by[check].retries == 0  # loopback and refused: nothing listens there, no retry (issue 15)
    assert report.exit_code == 3


def test_verify_any_ok_false(app, backend):
    backend.script(VERIFY, (200, {"any_ok": False, "candidates_first15": ["sk_wrong_key_12"],
                                  "attempts": [{"url": app.url + "/health", "status": 401}]}))
    report = run_checks(client(backend.url), app.url, ENV_KEY, policy=FAST)
    row = rows(report)[CHECK_VERIFY]
    assert row.result == "fail" and "any_ok=false" in row.detail and "/health → HTTP 401" in row.detail
    assert report.exit_code == 3 and not report.backend_unreachable


def test_backend_unreachable_is_exit_4(app):
    report = run_checks(client(dead_url()), app.url, ENV_KEY, policy=FAST)
    assert report.backend_unreachable and report.exit_code == 4
    assert rows(report)[CHECK_HEALTH].result == "pass"  # the task-app checks still ran
    with pytest.raises(BackendUnreachable) as info:
        raise_for_report(report)
    assert info.value.exit_code == 4 and "connection refused" in info.value.message


def test_backend_401_is_a_backend_error(app, backend):
    backend.script(VERIFY, (401, {"detail": "invalid bearer"}))
    report = run_checks(client(backend.url), app.url, ENV_KEY, policy=FAST)
    assert report.exit_code == 4 and rows(report)[CHECK_VERIFY].status == 401
    with pytest.raises(BackendError) as info:
        raise_for_report(report)
    assert "SYNTH_API_KEY" in (info.value.hint or "")


def test_backend_503_then_recovery_counts_retries(app, backend):
    backend.script(VERIFY, (503, {"detail": "busy"}), (200, {"any_ok": True, "attempts": []}))
    lines: list[str] = []
    c = client(backend.url)
    report = run_checks(c, app.url, ENV_KEY, policy=FAST, on_retry=lambda event: lines.append(event.describe()))
    assert report.ok and rows(report)[CHECK_VERIFY].retries == 1
    assert any("HTTP 503" in line for line in lines)
    assert c.on_retry is None  # restored


def test_show_report_table_and_json(app, backend):
    app.script("/task_info", (404, {"detail": "Not Found"}))
    report = run_checks(client(backend.url), app.url, ENV_KEY, policy=FAST)
    stdout, stderr = io.StringIO(), io.StringIO()
    show_report(Output(stdout=stdout, stderr=stderr), report)
    text = stdout.getvalue()
    for word in ("check", "target", "result", "HTTP", "latency", "detail", "FAIL", "not a task app?"):
        assert word in text
    stdout, stderr = io.StringIO(), io.StringIO()
    show_report(Output(json_mode=True, stdout=stdout, stderr=stderr), report)
    assert stdout.getvalue() == "" and "not a task app?" in stderr.getvalue()  # stdout stays for JSON
    doc = json.loads(json.dumps(report.as_dict()))
    assert doc["ok"] is False and doc["exit_code"] == 3 and doc["task_url"] == app.url
    assert [c["check"] for c in doc["checks"]] == [CHECK_VERIFY, CHECK_HEALTH, CHECK_TASK_INFO]
    assert set(doc["checks"][0]) == {"check", "target", "result", "status", "latency_ms", "detail", "hint",
                                     "retries"}
    assert ENV_KEY not in stdout.getvalue() + text
