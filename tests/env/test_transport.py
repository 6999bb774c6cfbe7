"""Keys never travel over plain http:// to a non-loopback host unless explicitly allowed."""

from __future__ import annotations

import pytest

from synthlaunch.clients import make_client
from synthlaunch.env import ResolvedEnv
from synthlaunch.errors import EnvError
from synthlaunch.transport import INVALID_PORT, NOT_A_URL, check_transport, is_loopback_host, url_problem


@pytest.mark.parametrize("url", [
    "https://example.com/api", "http://127.0.0.1:8000/api", "http://localhost:8000/api",
    "http://127.5.6.7/api", "http://[::1]:8000/api", "http://app.localhost/api",
])
def test_allowed(url):
    check_transport(url, secret_names=["SYNTH_API_KEY"], allow_insecure_http=False)


@pytest.mark.parametrize("url", [
    "http://example.com/api", "http://10.0.0.5:8000/api", "http://192.168.1.2/api",
    "http://localhost.example.com/api", "http://[2001:db8::1]/api",
])
def test_refused_with_reason(url):
    with pytest.raises(EnvError) as info:
        check_transport(url, secret_names=["SYNTH_API_KEY"], allow_insecure_http=False)
    assert "SYNTH_API_KEY" in info.value.message
    assert "plain http://" in info.value.message
    assert "--allow-insecure-http" in (info.value.hint or "")
    assert info.value.exit_code == 2


def test_allow_insecure_http_lifts_the_refusal():
    check_transport("http://example.com/api", secret_names=["SYNTH_API_KEY"], allow_insecure_http=True)


def test_loopback_names():
    assert is_loopback_host("LOCALHOST")
    assert not is_loopback_host("127.0.0.1.example.com")
    assert not is_loopback_host(None)


def test_make_client_checks_transport():
    env = ResolvedEnv(values={"SYNTH_API_KEY": "sk_test_transport_123456"}, sources={},
                      backend_url="http://backend.example.com/api")
    with pytest.raises(EnvError, match="refusing to send SYNTH_API_KEY"):
        make_client(env)
    env.allow_insecure_http = True
    client = make_client(env)
    assert client.base_url == "http://backend.example.com/api"


def test_make_client_without_key_is_an_env_error():
    env = ResolvedEnv(values={}, sources={}, backend_url="https://b.example.com/api")
    with pytest.raises(EnvError, match="SYNTH_API_KEY"):
        make_client(env)


@pytest.mark.parametrize("url, problem", [
    ("http://127.0.0.1:8001", None), ("HTTPS://Example.com/api", None), ("http://[::1]:8000/x", None),
    ("ftp://h", NOT_A_URL), ("http://", NOT_A_URL), ("localhost:8000", NOT_A_URL), ("http://[::1", NOT_A_URL),
    ("http://a b", NOT_A_URL), ("http://h:port", INVALID_PORT), ("http://h:70000", INVALID_PORT),
])
def test_url_problem(url, problem):
    assert url_problem(url) == problem
