"""Bearer auth on every /api route; admin routes are loopback-only and need the key too."""

from __future__ import annotations

import socket

import pytest
import requests

API_ROUTES = [
    ("POST", "/api/rl/verify_task_app"), ("POST", "/api/rl/jobs"), ("GET", "/api/rl/jobs"),
    ("POST", "/api/files"), ("GET", "/api/files/file_x"), ("GET", "/api/files"),
    ("POST", "/api/learning/jobs"), ("POST", "/api/learning/jobs/job_x/start"), ("GET", "/api/learning/jobs"),
    ("GET", "/api/rl/jobs/job_x"), ("GET", "/api/learning/jobs/job_x"),
    ("GET", "/api/rl/jobs/job_x/events"), ("GET", "/api/learning/jobs/job_x/events"),
    ("GET", "/api/orchestration/jobs/job_x/events"),
    ("GET", "/api/rl/jobs/job_x/metrics"), ("GET", "/api/learning/jobs/job_x/metrics"),
    ("GET", "/api/rl/jobs/job_x/timeline"), ("GET", "/api/learning/jobs/job_x/timeline"),
    ("POST", "/api/rl/jobs/job_x/cancel"), ("POST", "/api/learning/jobs/job_x/cancel"),
]


@pytest.mark.parametrize("method,path", API_ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-key-123456", "Basic abc", "Bearer "])
def test_every_api_route_needs_a_valid_bearer_key(backend, method, path, auth):
    headers = {"Authorization": auth} if auth is not None else {}
    resp = requests.request(method, backend.root + path, headers=headers, json={}, timeout=10)
    assert resp.status_code == 401
    body = resp.json()
    assert isinstance(body["detail"], str) and "API key" in body["detail"]
    assert "wrong-key-123456" not in resp.text  # the presented key is not echoed in full


@pytest.mark.parametrize("method,path", [("GET", "/api/files/file_x"), ("GET", "/api/learning/jobs/job_x")])
def test_a_valid_key_passes_auth(backend, method, path):
    resp = requests.request(method, backend.root + path, headers={"Authorization": f"Bearer {backend.api_key}"},
                            timeout=10)
    assert resp.status_code == 404  # past auth: the object does not exist


def test_any_of_several_keys_is_accepted(backend_factory):
    server = backend_factory(api_keys=["key-one-aaaaaa", "key-two-bbbbbb"])
    for key in server.api_keys:
        resp = requests.get(server.api_url + "/files", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert resp.status_code == 200


def test_health_needs_no_key(backend):
    resp = requests.get(backend.root + "/health", timeout=10)
    assert resp.status_code == 200 and resp.json()["emulated"] is True


@pytest.mark.parametrize("method,path", [("GET", "/admin/faults"), ("POST", "/admin/faults"),
                                         ("DELETE", "/admin/faults"), ("POST", "/admin/jobs/job_x/fail")])
def test_admin_routes_need_the_key(backend, method, path):
    resp = requests.request(method, backend.root + path, json={}, timeout=10)
    assert resp.status_code == 401


def _non_loopback_ip() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ip.startswith("127.") else ip


def test_admin_routes_refuse_non_loopback_clients(backend_factory):
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    server = backend_factory(host="0.0.0.0")
    url = f"http://{ip}:{server.port}"
    headers = {"Authorization": f"Bearer {server.api_key}"}
    resp = requests.post(url + "/admin/faults", json={"spec": "rate=1,kinds=500"}, headers=headers, timeout=10)
    assert resp.status_code == 403 and "loopback" in resp.json()["detail"]
    assert server.injector.rules == []
    # the same request from loopback is allowed
    ok = requests.get(f"http://127.0.0.1:{server.port}/admin/faults", headers=headers, timeout=10)
    assert ok.status_code == 200
