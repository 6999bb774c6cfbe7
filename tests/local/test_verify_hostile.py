"""`POST /api/rl/verify_task_app` against hostile task apps: it never follows a redirect with the
environment keys, reflects only the known fields of an answer (a key prefix clipped to 4
characters), and reads at most a bounded part of any answer."""

from __future__ import annotations

import json

import pytest

from .hostile import HostileServer

ENV_KEY = "env_verify_0123456789abcdef"


def _json(status: int, body: dict, **headers: str):
    return status, {"Content-Type": "application/json", **headers}, [json.dumps(body).encode()], 0.0


@pytest.fixture
def server(backend_factory):
    return backend_factory(environment_api_keys=[ENV_KEY])


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_reported_and_never_followed_with_the_keys(server, status):
    with HostileServer(lambda path: _json(200, {"healthy": True})) as elsewhere, \
            HostileServer(lambda path: (status, {"Location": elsewhere.url + path}, [b""], 0.0)) as app:
        answer = server.client().verify_task_app(app.url)
    assert elsewhere.requests == []  # no key reached the redirect target
    assert answer["any_ok"] is False
    for attempt in answer["attempts"]:
        assert attempt["status"] == status and attempt["ok"] is False
        assert attempt["location"] == elsewhere.url + attempt["endpoint"]
        assert "not followed" in attempt["error"]
    assert ENV_KEY not in json.dumps(answer)


def test_only_known_fields_are_reflected_and_a_prefix_is_clipped(server):
    body = {"authorized": False, "healthy": "yes", "detail": "wrong key, expected prefix 'env_verify_0123'",
            "expected_api_key_prefix": "env_verify_0123", "allowed_first15": ["env_verify_0123"],
            "internal": "INTERNAL-SECRET-DATA"}
    with HostileServer(lambda path: _json(401, body)) as app:
        answer = server.client().verify_task_app(app.url)
    text = json.dumps(answer)
    assert "INTERNAL-SECRET-DATA" not in text and "env_verify" not in text
    reflected = answer["attempts"][0]["body"]
    assert reflected == {"authorized": False, "expected_api_key_prefix": "env_",
                         "detail": "wrong key, expected prefix 'env_…'"}


def test_a_non_json_answer_is_not_reflected(server):
    page = b"<html><body>INTERNAL-ADMIN-PAGE root:x:0:0</body></html>"
    with HostileServer(lambda path: (200, {"Content-Type": "text/html"}, [page], 0.0)) as app:
        answer = server.client().verify_task_app(app.url)
    assert "INTERNAL-ADMIN-PAGE" not in json.dumps(answer)
    assert all(a["body"] is None for a in answer["attempts"])


def test_a_huge_answer_is_not_read_whole(server):
    chunk = b'{"detail": "' + b"A" * (1 << 20)
    with HostileServer(lambda path: (200, {"Content-Type": "application/json", "Content-Length": str(50 << 20)},
                                     [chunk] * 50, 0.0)) as app:
        answer = server.client().verify_task_app(app.url)
    assert all("not read" in a["body"]["note"] for a in answer["attempts"])
    assert "AAAA" not in json.dumps(answer)
