"""`POST /api/rl/verify_task_app` of the embedded backend: really call the task app's `/health` and
`/task_info` with each configured environment key, sending it the way the client does
(`X-API-Key`, `X-API-Keys`, `Authorization: Bearer`), and report every attempt.
"""

from __future__ import annotations

import time
from typing import Any

from ..redact import mask

TIMEOUT = (3.0, 10.0)


def _detail(resp: Any) -> Any:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        return {k: body[k] for k in ("detail", "expected_api_key_prefix", "authorized", "healthy") if k in body}
    return None


def verify_task_app(url: str, environment_api_keys: list[str]) -> dict[str, Any]:
    """{any_ok, candidates_first15, attempts[], detail?}: `any_ok` when some key got 200 from both routes."""
    import requests

    keys = [k for k in environment_api_keys if k]
    attempts: list[dict[str, Any]] = []
    any_ok = False
    with requests.Session() as session:
        for key in keys:
            headers = {"X-API-Key": key, "X-API-Keys": key, "Authorization": f"Bearer {key}"}
            key_ok = True
            for route in ("/health", "/task_info"):
                started = time.monotonic()
                attempt: dict[str, Any] = {"key": mask(key), "endpoint": route, "url": url + route}
                try:
                    resp = session.get(url + route, headers=headers, timeout=TIMEOUT)
                    attempt.update(status=resp.status_code, ok=resp.status_code == 200, body=_detail(resp))
                except requests.RequestException as exc:
                    attempt.update(status=None, ok=False, error=f"{type(exc).__name__}: cannot reach {url + route}")
                attempt["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
                key_ok = key_ok and attempt["ok"]
                attempts.append(attempt)
            any_ok = any_ok or key_ok
    answer: dict[str, Any] = {"any_ok": any_ok, "endpoint_base_url": url,
                              "candidates_first15": [mask(k) for k in keys][:15], "attempts": attempts}
    if not keys:
        answer["detail"] = ("the backend has no environment API key to try; start it with "
                            "--environment-api-key or ENVIRONMENT_API_KEY")
    elif not any_ok:
        answer["detail"] = f"no environment key was accepted by {url} on both /health and /task_info"
    return answer
