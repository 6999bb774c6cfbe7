"""TaskAppClient against a scripted HTTP server: headers, retries, transport failures."""

from __future__ import annotations

import socket

import pytest

from synthlaunch.http import RetryPolicy
from synthlaunch.task_app import TaskAppClient, TaskAppUnreachable, auth_headers, parse_aliases
from tests.support.keys import FIXED_ENV_KEY as ENV_KEY
from tests.support.net import FAST, dead_url
from tests.support.stub import StubServer


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.stop()


def test_sends_the_three_auth_headers_with_aliases(stub):
    stub.script("/health", (200, {"status": "healthy"}))
    client = TaskAppClient(stub.url + "/", ENV_KEY, aliases=["alias_key_1111", ENV_KEY], policy=FAST)
    answer = client.health()
    assert answer.status == 200 and answer.body == {"status": "healthy"}
    headers = stub.hits("/health")[0]
    assert headers["X-API-Key"] == ENV_KEY
    assert headers["X-API-Keys"] == f"{ENV_KEY},alias_key_1111"
    assert headers["Authorization"] == f"Bearer {ENV_KEY}"


def test_aliases_come_from_the_caller_never_from_the_environment(stub, monkeypatch):
    """The HTTP client reads no variable: ENVIRONMENT_API_KEY_ALIASES reaches it through env resolution."""
    text = " a_alias_000001 , ,b_alias_000002,a_alias_000001"
    monkeypatch.setenv("ENVIRONMENT_API_KEY_ALIASES", "z_alias_ignored1")
    stub.script("/task_info", (200, {"task": {"name": "demo"}}))
    TaskAppClient(stub.url, ENV_KEY, aliases=parse_aliases(text), policy=FAST).task_info()
    assert stub.hits("/task_info")[0]["X-API-Keys"] == f"{ENV_KEY},a_alias_000001,b_alias_000002"


def test_parse_aliases_and_headers_units():
    assert parse_aliases(None) == [] and parse_aliases("") == []
    assert parse_aliases("x,y , x") == ["x", "y"]
    assert auth_headers("k")["X-API-Keys"] == "k"


def test_429_with_retry_after_is_honoured_and_logged(stub):
    stub.script("/health", (429, {"detail": "slow down"}, {"Retry-After": "1"}), (200, {"status": "ok"}))
    seen: list[str] = []
    answer = TaskAppClient(stub.url, ENV_KEY, policy=FAST, on_retry=lambda event: seen.append(event.describe())).health()
    assert answer.status == 200
    assert len(answer.retries) == 1 and seen == [event.describe() for event in answer.retries]
    assert "HTTP 429 (Retry-After: 1)" in seen[0] and "waiting 1.0s" in seen[0]
    assert len(stub.hits("/health")) == 2


def test_503_then_recovery(stub):
    stub.script("/task_info", (503, {"detail": "warming"}), (503, {"detail": "warming"}), (200, {"id": "t"}))
    answer = TaskAppClient(stub.url, ENV_KEY, policy=FAST).task_info()
    assert answer.status == 200 and len(answer.retries) == 2


def test_retries_are_bounded_by_attempts(stub):
    stub.script("/health", (503, {"detail": "down"}))
    answer = TaskAppClient(stub.url, ENV_KEY, policy=RetryPolicy(attempts=3, backoff_base=0.01)).health()
    assert answer.status == 503 and len(stub.hits("/health")) == 3


def test_401_is_returned_not_retried(stub):
    stub.script("/health", (401, {"detail": "bad key"}))
    answer = TaskAppClient(stub.url, ENV_KEY, policy=FAST).health()
    assert answer.status == 401 and answer.field("detail") == "bad key"
    assert len(stub.hits("/health")) == 1


def test_connection_refused_raises_after_retries():
    from dataclasses import replace

    with pytest.raises(TaskAppUnreachable) as info:
        TaskAppClient(dead_url(), ENV_KEY, policy=replace(FAST, retry_refused_loopback=True)).health()
    assert info.value.reason == "connection refused"
    assert len(info.value.retries) == FAST.attempts - 1
    # by default a refused loopback connection is not retried: nothing listens there (issue 15)
    with pytest.raises(TaskAppUnreachable) as info:
        TaskAppClient(dead_url(), ENV_KEY, policy=FAST).health()
    assert info.value.retries == []


def test_dns_failure():
    with pytest.raises(TaskAppUnreachable) as info:
        TaskAppClient("http://no-such-host.invalid", ENV_KEY, policy=RetryPolicy(attempts=1)).health()
    assert info.value.reason == "DNS lookup failed"


def test_tls_error_against_a_plain_http_server(stub):
    https = stub.url.replace("http://", "https://")
    with pytest.raises(TaskAppUnreachable) as info:
        TaskAppClient(https, ENV_KEY, policy=RetryPolicy(attempts=1)).health()
    assert info.value.reason == "TLS error"


def test_read_timeout():
    with socket.socket() as listener:  # accepts connections (kernel backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = TaskAppClient(url, ENV_KEY, policy=RetryPolicy(attempts=1), timeout=(2, 0.3))
        with pytest.raises(TaskAppUnreachable) as info:
            client.health()
    assert "timed out" in info.value.reason
