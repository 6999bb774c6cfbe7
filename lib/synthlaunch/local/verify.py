"""`POST /api/rl/verify_task_app` of the embedded backend: really call the task app's `/health` and
`/task_info` with each configured environment key, sending it the way the client does
(`X-API-Key`, `X-API-Keys`, `Authorization: Bearer`), and report every attempt.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from ..redact import mask

TIMEOUT = (3.0, 10.0)
#: most bytes read of one answer, and most seconds spent reading it (a dripping server is cut off)
MAX_READ_BYTES = 64 * 1024
READ_DEADLINE_SECONDS = 15.0
#: the only fields of an answer that are reflected, and how much of them
PREFIX_CHARS = 4
DETAIL_CHARS = 160
LOCATION_CHARS = 200
_PREFIX_IN_TEXT = re.compile(r"(prefix\W{0,3})([^'\"\s,;)]{%d})[^'\"\s,;)]+" % PREFIX_CHARS, re.IGNORECASE)


def _read_capped(resp: Any) -> bytes | None:
    """At most MAX_READ_BYTES of the body within READ_DEADLINE_SECONDS; None when it is bigger or slower."""
    deadline = time.monotonic() + READ_DEADLINE_SECONDS
    data = bytearray()
    while True:
        block = resp.raw.read1(MAX_READ_BYTES + 1 - len(data), decode_content=True)
        if not block:
            return bytes(data)
        data += block
        if len(data) > MAX_READ_BYTES or time.monotonic() > deadline:
            return None


def _detail(resp: Any) -> Any:
    """The known fields of a task app's JSON answer, clipped; nothing else of any body is reflected
    (the URL is the caller's choice: the answer must not become a way to read other services)."""
    data = _read_capped(resp)
    if data is None:
        return {"note": f"answer not read: larger than {MAX_READ_BYTES} bytes or slower than "
                        f"{READ_DEADLINE_SECONDS:g} s"}
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    kept: dict[str, Any] = {}
    for key in ("authorized", "healthy"):
        if isinstance(body.get(key), bool):
            kept[key] = body[key]
    if isinstance(body.get("expected_api_key_prefix"), str):
        kept["expected_api_key_prefix"] = body["expected_api_key_prefix"][:PREFIX_CHARS]
    if isinstance(body.get("detail"), str):
        kept["detail"] = _clip_prefixes(body["detail"][:DETAIL_CHARS])
    return kept


def _clip_prefixes(text: str) -> str:
    """A detail such as "expected prefix 'env_abcdef…'" keeps only 4 characters of the quoted prefix."""
    return _PREFIX_IN_TEXT.sub(lambda m: m.group(1) + m.group(2) + "…", text)


def verify_task_app(url: str, environment_api_keys: list[str]) -> dict[str, Any]:
    """{any_ok, candidates_first15, attempts[], detail?}: `any_ok` when some key got 200 from both routes.

    Redirects are never followed (the keys would travel to wherever they point): a 3xx is the
    attempt's outcome, with its Location. Only the known fields of an answer are reflected.
    """
    import requests

    keys = [k for k in environment_api_keys if k]
    attempts: list[dict[str, Any]] = []
    any_ok = False
    with requests.Session() as session:
        session.trust_env = False  # no proxy or .netrc from the backend's environment
        for key in keys:
            headers = {"X-API-Key": key, "X-API-Keys": key, "Authorization": f"Bearer {key}"}
            key_ok = True
            for route in ("/health", "/task_info"):
                started = time.monotonic()
                attempt: dict[str, Any] = {"key": mask(key), "endpoint": route, "url": url + route}
                try:
                    with session.get(url + route, headers=headers, timeout=TIMEOUT, allow_redirects=False,
                                     stream=True) as resp:
                        attempt.update(status=resp.status_code, ok=resp.status_code == 200)
                        if resp.is_redirect or 300 <= resp.status_code < 400:
                            location = resp.headers.get("Location", "")[:LOCATION_CHARS]
                            attempt.update(ok=False, location=location,
                                           error=f"redirect ({resp.status_code}) to {location or '(no Location)'}"
                                                 " not followed: keys are never sent along a redirect")
                        else:
                            attempt["body"] = _detail(resp)
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
