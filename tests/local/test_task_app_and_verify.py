"""Demo task app auth (three header styles, 401 body) and the backend's verify_task_app."""

from __future__ import annotations

import pytest
import requests

from synthlaunch.errors import BackendError


def _headers(style: str, key: str) -> dict[str, str]:
    return {"x-api-key": {"X-API-Key": key}, "x-api-keys": {"X-API-Keys": f"other-key-1,{key}"},
            "bearer": {"Authorization": f"Bearer {key}"}}[style]


@pytest.mark.parametrize("style", ["x-api-key", "x-api-keys", "bearer"])
@pytest.mark.parametrize("route", ["/health", "/task_info"])
def test_task_app_accepts_the_key_in_each_header(task_app, style, route):
    resp = requests.get(task_app.url + route, headers=_headers(style, task_app.environment_api_key), timeout=10)
    assert resp.status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong-key-12345678"}, {"Authorization": "Bearer nope-nope"},
                                     {"X-API-Keys": "a-wrong-one,another-wrong"}])
@pytest.mark.parametrize("route", ["/health", "/task_info"])
def test_task_app_refuses_wrong_or_missing_keys(task_app, headers, route):
    resp = requests.get(task_app.url + route, headers=headers, timeout=10)
    assert resp.status_code == 401
    body = resp.json()
    key = task_app.environment_api_key
    assert body["expected_api_key_prefix"] == key[:4]
    assert "expected prefix" in body["detail"]
    assert key[:5] not in resp.text  # never more than a short prefix of the real key


def test_task_info_describes_a_small_task_set(task_app):
    info = requests.get(task_app.url + "/task_info", headers={"X-API-Key": task_app.environment_api_key},
                        timeout=10).json()
    assert info["task"]["id"] and info["dataset"]["size"] == len(info["instances"]) > 0
    health = requests.get(task_app.url + "/health", headers={"X-API-Key": task_app.environment_api_key},
                          timeout=10).json()
    assert health["healthy"] is True and health["authorized"] is True


def test_task_app_with_several_keys(task_app_factory):
    app = task_app_factory(environment_api_keys=["first-env-key-1", "second-env-key-2"])
    for key in app.environment_api_keys:
        assert requests.get(app.url + "/health", headers={"X-API-Key": key}, timeout=10).status_code == 200


def test_verify_passes_with_the_right_key(backend, task_app):
    answer = backend.client().verify_task_app(task_app.url)
    assert answer["any_ok"] is True
    assert [a["endpoint"] for a in answer["attempts"]] == ["/health", "/task_info"]
    assert all(a["status"] == 200 for a in answer["attempts"])
    assert backend.environment_api_key not in str(answer)  # keys are masked


def test_verify_fails_with_a_wrong_key(backend, task_app_factory):
    app = task_app_factory(environment_api_keys=["a-key-the-backend-does-not-have"])
    answer = backend.client().verify_task_app(app.url)
    assert answer["any_ok"] is False
    assert {a["status"] for a in answer["attempts"]} == {401}
    assert answer["attempts"][0]["body"]["expected_api_key_prefix"] == "a-ke"
    assert "no environment key was accepted" in answer["detail"]


def test_verify_any_of_several_keys(backend_factory, task_app):
    server = backend_factory(environment_api_keys=["wrong-env-key-0001", task_app.environment_api_key])
    answer = server.client().verify_task_app(task_app.url)
    assert answer["any_ok"] is True
    assert [a["status"] for a in answer["attempts"]] == [401, 401, 200, 200]
    assert len(answer["candidates_first15"]) == 2


def test_verify_unreachable_task_app(backend, task_app_factory):
    app = task_app_factory()
    url = app.url
    app.stop()
    answer = backend.client().verify_task_app(url)
    assert answer["any_ok"] is False
    assert all(a["status"] is None and "cannot reach" in a["error"] for a in answer["attempts"])


def test_verify_without_endpoint_is_422(backend):
    with pytest.raises(BackendError) as info:
        backend.client().verify_task_app("not-a-url")
    assert info.value.status == 422 and "endpoint_base_url" in info.value.message
