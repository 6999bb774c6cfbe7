"""The single retry policy, against a real (tiny) HTTP server that answers from a script."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
import requests

from synthlaunch.http import make_session, parse_retry_after, request
from tests.support.net import FAST, dead_url
from tests.support.stub import StubServer


@pytest.fixture
def scripted():
    """scripted([(status, headers), …]) -> a StubServer answering any path with them, in order."""
    servers: list[StubServer] = []

    def make(script):
        server = StubServer()
        server.script("*", *[(status, {}, headers) for status, headers in script])
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def test_get_retries_5xx_then_succeeds(scripted, caplog) -> None:
    server = scripted([(503, {}), (500, {}), (200, {})])
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"):
        resp = request(make_session(), "GET", server.url + "/x", policy=FAST)
    assert resp.status_code == 200 and len(server.requests) == 3
    retry_lines = [r.getMessage() for r in caplog.records]
    assert len(retry_lines) == 2 and "HTTP 503" in retry_lines[0] and "attempt 2/4" in retry_lines[0]


def test_retry_after_is_honoured_and_logged(scripted, caplog) -> None:
    server = scripted([(429, {"Retry-After": "0"}), (200, {})])
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"):
        resp = request(make_session(), "GET", server.url, policy=FAST)
    assert resp.status_code == 200
    assert "Retry-After: 0" in caplog.records[0].getMessage()


def test_post_without_idempotency_key_is_not_retried(scripted) -> None:
    server = scripted([(503, {}), (200, {})])
    resp = request(make_session(), "POST", server.url, json={"a": 1}, policy=FAST)
    assert resp.status_code == 503 and len(server.requests) == 1


def test_post_with_idempotency_key_is_retried_with_the_same_key(scripted) -> None:
    server = scripted([(502, {}), (201, {})])
    resp = request(make_session(), "POST", server.url, json={"a": 1}, policy=FAST,
                   headers={"Idempotency-Key": "k-1"})
    assert resp.status_code == 201
    assert [h.get("Idempotency-Key") for _, _, h, _ in server.requests] == ["k-1", "k-1"]


def test_500_on_post_is_not_retried_even_with_key(scripted) -> None:
    server = scripted([(500, {}), (201, {})])
    resp = request(make_session(), "POST", server.url, json={}, policy=FAST, headers={"Idempotency-Key": "k"})
    assert resp.status_code == 500 and len(server.requests) == 1


def test_attempts_bound_the_retries(scripted) -> None:
    server = scripted([(503, {})] * 10)
    resp = request(make_session(), "GET", server.url, policy=FAST)
    assert resp.status_code == 503 and len(server.requests) == FAST.attempts


def test_connection_refused_raises_after_attempts(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"), pytest.raises(requests.ConnectionError):
        request(make_session(), "GET", dead_url() + "/", policy=replace(FAST, retry_refused_loopback=True))
    assert len(caplog.records) == FAST.attempts - 1
    assert "connection refused" in caplog.records[0].getMessage()
    caplog.clear()  # by default nothing listens on a refused loopback port: no retry (issue 15)
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"), pytest.raises(requests.ConnectionError):
        request(make_session(), "GET", dead_url() + "/", policy=FAST)
    assert caplog.records == []


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 10) == pytest.approx(10.0)
