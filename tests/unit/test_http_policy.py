"""The single retry policy, against a real (tiny) HTTP server that answers from a script."""

from __future__ import annotations

import json
import logging
import socket
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from synthlaunch.http import RetryPolicy, make_session, parse_retry_after, request

FAST = RetryPolicy(attempts=4, deadline=10, backoff_base=0.01, backoff_max=0.02)


class ScriptedServer:
    """Answers each request with the next (status, headers) of its script; records what it saw."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        self.script = list(script)
        self.seen: list[tuple[str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.seen.append((self.command, dict(self.headers)))
                status, headers = owner.script.pop(0) if owner.script else (200, {})
                body = json.dumps({"n": len(owner.seen)}).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers: list[ScriptedServer] = []

    def make(script):
        server = ScriptedServer(script)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def test_get_retries_5xx_then_succeeds(scripted, caplog) -> None:
    server = scripted([(503, {}), (500, {}), (200, {})])
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"):
        resp = request(make_session(), "GET", server.url + "/x", policy=FAST)
    assert resp.status_code == 200 and len(server.seen) == 3
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
    assert resp.status_code == 503 and len(server.seen) == 1


def test_post_with_idempotency_key_is_retried_with_the_same_key(scripted) -> None:
    server = scripted([(502, {}), (201, {})])
    resp = request(make_session(), "POST", server.url, json={"a": 1}, policy=FAST,
                   headers={"Idempotency-Key": "k-1"})
    assert resp.status_code == 201
    assert [h.get("Idempotency-Key") for _, h in server.seen] == ["k-1", "k-1"]


def test_500_on_post_is_not_retried_even_with_key(scripted) -> None:
    server = scripted([(500, {}), (201, {})])
    resp = request(make_session(), "POST", server.url, json={}, policy=FAST, headers={"Idempotency-Key": "k"})
    assert resp.status_code == 500 and len(server.seen) == 1


def test_attempts_bound_the_retries(scripted) -> None:
    server = scripted([(503, {})] * 10)
    resp = request(make_session(), "GET", server.url, policy=FAST)
    assert resp.status_code == 503 and len(server.seen) == FAST.attempts


def test_connection_refused_raises_after_attempts(caplog) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"), pytest.raises(requests.ConnectionError):
        request(make_session(), "GET", f"http://127.0.0.1:{port}/", policy=replace(FAST, retry_refused_loopback=True))
    assert len(caplog.records) == FAST.attempts - 1
    assert "connection refused" in caplog.records[0].getMessage()
    caplog.clear()  # by default nothing listens on a refused loopback port: no retry (issue 15)
    with caplog.at_level(logging.INFO, logger="synthlaunch.http"), pytest.raises(requests.ConnectionError):
        request(make_session(), "GET", f"http://127.0.0.1:{port}/", policy=FAST)
    assert caplog.records == []


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 10) == pytest.approx(10.0)
