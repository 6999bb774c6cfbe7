"""Pass rules and diagnostics of each check, as pure functions (plus properties with hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from synthlaunch.preflight import (
    CHECK_HEALTH,
    classify_health,
    classify_task_info,
    classify_verify,
    is_loopback,
    transport_diagnostic,
)
from synthlaunch.redact import mask, redact
from synthlaunch.task_app import TaskAppAnswer
from tests.support.keys import FIXED_ENV_KEY as ENV_KEY

URL = "http://127.0.0.1:8001"


def answer(status, body=None, path="health"):
    return TaskAppAnswer(url=f"{URL}/{path}", status=status, body=body, latency_ms=3.0, retries=[])


def test_health_200_passes():
    row = classify_health(answer(200, {"status": "healthy"}), ENV_KEY)
    assert (row.check, row.result, row.status) == (CHECK_HEALTH, "pass", 200)


def test_health_200_but_unauthorized_is_a_warning():
    row = classify_health(answer(200, {"status": "healthy", "authorized": False,
                                        "expected_api_key_prefix": "sk_demo"}), ENV_KEY)
    assert row.result == "warn" and "'sk_d…'" in row.detail and mask(ENV_KEY) in row.detail


def test_health_401_with_expected_prefix_is_auth_optional_warning():
    row = classify_health(answer(401, {"detail": "Invalid API key", "expected_api_key_prefix": "sk_demo"}), ENV_KEY)
    assert row.result == "warn"
    assert row.detail.startswith("auth-optional: the task app rejected ENVIRONMENT_API_KEY (sk_e…ab)")
    assert "it expects keys starting with 'sk_d…'" in row.detail
    assert "ENVIRONMENT_API_KEY" in row.hint


def test_health_403_with_detail_mentioning_expected_prefix_is_warning():
    row = classify_health(answer(403, {"detail": "key does not match expected prefix sk_x"}), ENV_KEY)
    assert row.result == "warn"


def test_health_401_without_prefix_fails():
    row = classify_health(answer(401, {"detail": "unauthorized"}), ENV_KEY)
    assert row.result == "fail" and "rejected ENVIRONMENT_API_KEY (sk_e…ab)" in row.detail


def test_health_400_is_treated_as_a_key_rejection():
    row = classify_health(answer(400, {"error": "missing or invalid X-API-Key"}), ENV_KEY)
    assert row.result == "fail"
    assert "rejected ENVIRONMENT_API_KEY" in row.detail and "400" in row.detail
    assert "missing or invalid X-API-Key" in row.detail


def test_health_404_and_500():
    assert "base URL" in classify_health(answer(404, {"detail": "Not Found"}), ENV_KEY).hint
    row = classify_health(answer(500, "boom"), ENV_KEY)
    assert row.result == "fail" and row.detail == "HTTP 500: boom" and "logs" in row.hint


def test_task_info_rules():
    assert classify_task_info(answer(200, {"task": {"name": "crafter"}}, "task_info"), ENV_KEY).detail \
        == "task name=crafter"
    row = classify_task_info(answer(404, {"detail": "Not Found"}, "task_info"), ENV_KEY)
    assert row.result == "fail" and "not a task app?" in row.detail
    # auth-optional applies to /health only: /task_info passes on 200 only
    row = classify_task_info(answer(401, {"expected_api_key_prefix": "sk_demo"}, "task_info"), ENV_KEY)
    assert row.result == "fail" and "expects keys starting with 'sk_d…'" in row.detail


def test_verify_any_ok_true_and_false():
    assert classify_verify({"any_ok": True, "attempts": [{"status": 200}]}, URL, URL)[0] == "pass"
    result, detail, hint = classify_verify(
        {"any_ok": False, "candidates_first15": ["sk_a…12"],
         "attempts": [{"url": f"{URL}/health", "status": 401}, {"url": f"{URL}/task_info", "status": 401}]},
        URL, URL)
    assert result == "fail"
    assert f"{URL}/health → HTTP 401" in detail and f"{URL}/task_info → HTTP 401" in detail
    assert "ENVIRONMENT_API_KEY registered with the backend" in hint


def test_verify_loopback_task_app_with_remote_backend_says_expose_it():
    _, _, hint = classify_verify({"any_ok": False, "attempts": [{"status": None, "error": "refused"}]},
                                 URL, "https://agent-learning.onrender.com/api")
    assert "public URL" in hint


def test_verify_missing_any_ok_fails():
    assert classify_verify({}, URL, URL)[0] == "fail"
    assert classify_verify("not json", URL, URL)[0] == "fail"


def test_transport_diagnostics_name_the_fix():
    detail, hint = transport_diagnostic(f"{URL}/health", URL, "connection refused")
    assert detail == f"nothing is listening at {URL} (connection refused)"
    assert "`inv local.task-app`" in hint
    assert "DNS" in transport_diagnostic("http://x.invalid/health", "http://x.invalid", "DNS lookup failed")[0]
    assert "TLS" in transport_diagnostic(URL, URL, "TLS error")[0]
    assert "within 10 s" in transport_diagnostic(URL, URL, "timed out waiting for the answer")[0]


def test_loopback_and_precedence():
    assert is_loopback("http://localhost:1") and is_loopback("http://127.0.0.2") and is_loopback("http://[::1]:5")
    assert not is_loopback("https://example.com")
    from synthlaunch.task_url import TaskUrl, choose_task_url

    cfg = {"services": {"task_url": "http://cfg"}}
    assert choose_task_url(flag="http://flag", env={"TASK_APP_URL": "http://env"}, config=cfg) \
        == TaskUrl("http://flag", "--task-url")
    assert choose_task_url(flag=None, env={"TASK_APP_URL": "http://env"}, config=cfg, env_source="from shell") \
        == TaskUrl("http://env", "TASK_APP_URL, from shell")
    assert choose_task_url(flag=None, env={}, config=cfg, config_path="rl.toml") \
        == TaskUrl("http://cfg", "[services].task_url of rl.toml")
    assert choose_task_url(flag=None, env={}, config=None) is None

bodies = st.one_of(st.none(), st.text(max_size=40),
                   st.dictionaries(st.sampled_from(["detail", "error", "message", "authorized",
                                                    "expected_api_key_prefix", "status", "task"]),
                                   st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
                                   max_size=5))


@settings(max_examples=150, deadline=None)
@given(status=st.integers(100, 599), body=bodies)
def test_classification_is_total_and_follows_the_contract(status, body):
    health = classify_health(answer(status, body), ENV_KEY)
    info = classify_task_info(answer(status, body, "task_info"), ENV_KEY)
    assert health.result in ("pass", "warn", "fail") and info.result in ("pass", "fail")
    # a 200 passes only with a JSON object (an HTML page or a bare value is not a task app's answer)
    assert (info.result == "pass") == (status == 200 and isinstance(body, dict))
    if status not in (200, 401, 403) or (status == 200 and not isinstance(body, dict)):
        assert health.result == "fail"
    if health.result != "pass":
        assert health.detail
    for row in (health, info):  # the key never appears unmasked once printed
        assert ENV_KEY not in redact(row.detail + row.hint, [ENV_KEY])
        assert ENV_KEY not in row.detail


@settings(max_examples=100, deadline=None)
@given(body=st.dictionaries(st.sampled_from(["any_ok", "attempts", "candidates_first15"]),
                            st.one_of(st.none(), st.booleans(), st.text(max_size=10),
                                      st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                                         st.fixed_dictionaries({"status": st.integers(0, 600)})),
                                               max_size=4)), max_size=3))
def test_verify_classification_is_total(body):
    result, detail, _ = classify_verify(body, URL, URL)
    assert result == ("pass" if body.get("any_ok") is True else "fail") and detail


def test_check_task_url():
    import pytest

    from synthlaunch.errors import EnvError, UsageError
    from synthlaunch.preflight import check_task_url

    assert check_task_url("http://127.0.0.1:8001/") == "http://127.0.0.1:8001"
    assert check_task_url("https://task.example.com/") == "https://task.example.com"
    for bad in ("", "127.0.0.1:8001", "ftp://x", "http://", "http://[::1"):
        with pytest.raises(UsageError) as info:
            check_task_url(bad, source="--task-url")
        assert info.value.message.startswith("--task-url:") and info.value.exit_code == 2
    with pytest.raises(EnvError) as env_info:
        check_task_url("http://task.example.com")
    assert "ENVIRONMENT_API_KEY" in env_info.value.message and "--allow-insecure-http" in env_info.value.hint
    assert check_task_url("http://task.example.com", allow_insecure_http=True) == "http://task.example.com"


def test_run_concurrently_runs_together_keeps_order_and_reraises():
    import threading

    import pytest

    from synthlaunch.preflight import run_concurrently

    barrier = threading.Barrier(3, timeout=30)  # breaks unless all three calls run at the same time

    def call(value):
        def inner():
            barrier.wait()
            return value
        return inner

    assert run_concurrently([call("a"), call("b"), call("c")]) == ["a", "b", "c"]

    def boom():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_concurrently([lambda: 1, boom])
