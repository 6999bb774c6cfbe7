"""TaskAppClient: the two task-app routes the tool calls, `GET /health` and `GET /task_info`.

`GET <task_url>/health` and `GET <task_url>/task_info`, each with the three auth headers
(`X-API-Key`, `X-API-Keys` = the key plus `ENVIRONMENT_API_KEY_ALIASES`, `Authorization: Bearer`),
a 10 s timeout, and the single retry policy of `synthlaunch.http` (connection errors, timeouts,
429 + Retry-After, 5xx on GET; bounded by attempts and a deadline; one log line per retry).

Knows HTTP, not the terminal, and reads no environment variable (the aliases are given to it).
Any HTTP answer is returned as a `TaskAppAnswer` (the caller decides
what a status means); a transport failure after the policy gave up raises `TaskAppUnreachable`.
Redirects are not followed (the keys would go with them to the new address): a 3xx is returned
with its `location`. An answer over the size cap, or one that does not arrive whole in time, is
`TaskAppUnreachable` too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .http import (
    DEFAULT_POLICY,
    AnswerTooLarge,
    RetryEvent,
    RetryHook,
    RetryPolicy,
    describe_exception,
    log_retry,
    make_session,
    request,
)
from .redact import register_secret

if TYPE_CHECKING:  # pragma: no cover
    import requests

#: reference timeout for task-app GETs: (connect, read) seconds
TIMEOUT_TASK_APP = (10.0, 10.0)


def parse_aliases(text: str | None) -> list[str]:
    """The comma-separated `ENVIRONMENT_API_KEY_ALIASES` value as a list (blanks dropped, order kept)."""
    if not text:
        return []
    seen: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def auth_headers(environment_api_key: str, aliases: Iterable[str] = ()) -> dict[str, str]:
    """The three auth headers of `GET /health` and `GET /task_info` (the key first in `X-API-Keys`,
    aliases after it)."""
    keys = [environment_api_key] + [a for a in aliases if a and a != environment_api_key]
    return {
        "X-API-Key": environment_api_key,
        "X-API-Keys": ",".join(keys),
        "Authorization": f"Bearer {environment_api_key}",
    }


@dataclass
class TaskAppAnswer:
    """One HTTP answer of the task app (any status). `body` is parsed JSON, or text."""

    url: str
    status: int
    body: Any
    latency_ms: float
    retries: list[RetryEvent]
    #: the media type of the answer (`application/json`, `text/html`), "" when none was given
    content_type: str = ""
    #: the `Location` of a 3xx answer (not followed)
    location: str | None = None

    def field(self, name: str) -> Any:
        """`body[name]` when the body is a JSON object, else None."""
        return self.body.get(name) if isinstance(self.body, dict) else None


class TaskAppUnreachable(Exception):
    """No HTTP answer at all after the retry policy gave up (refused, DNS, TLS, timeout, dropped)."""

    def __init__(self, url: str, reason: str, *, latency_ms: float, retries: list[RetryEvent],
                 cause: BaseException | None = None) -> None:
        super().__init__(f"GET {url}: {reason}")
        self.url = url
        self.reason = reason
        self.latency_ms = latency_ms
        self.retries = retries
        self.cause = cause


class TaskAppClient:
    """A client of one task app. Thread-safe: each thread gets its own requests Session."""

    def __init__(self, base_url: str, environment_api_key: str, *, aliases: Iterable[str] = (),
                 policy: RetryPolicy | None = None,
                 timeout: float | tuple[float, float] = TIMEOUT_TASK_APP,
                 on_retry: RetryHook | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.environment_api_key = environment_api_key
        self.aliases = list(aliases)
        register_secret(environment_api_key, *self.aliases)
        self.policy = policy or DEFAULT_POLICY
        self.timeout = timeout
        self.on_retry = on_retry
        self._local = threading.local()

    @property
    def session(self) -> "requests.Session":
        session = getattr(self._local, "session", None)
        if session is None:
            session = make_session(auth_headers(self.environment_api_key, self.aliases))
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str) -> TaskAppAnswer:
        """GET `path` under the task app, retried per the policy; any HTTP status is returned."""
        import requests

        from .api import response_json

        url = self.url(path)
        retries: list[RetryEvent] = []

        def note(event: RetryEvent) -> None:
            retries.append(event)
            (self.on_retry or log_retry)(event)

        started = time.monotonic()
        try:
            resp = request(self.session, "GET", url, policy=self.policy, on_retry=note, timeout=self.timeout)
        except AnswerTooLarge as exc:
            raise TaskAppUnreachable(url, str(exc), latency_ms=(time.monotonic() - started) * 1000,
                                     retries=retries, cause=exc) from exc
        except requests.RequestException as exc:
            raise TaskAppUnreachable(url, describe_exception(exc),
                                     latency_ms=(time.monotonic() - started) * 1000,
                                     retries=retries, cause=exc) from exc
        latency = resp.elapsed.total_seconds() * 1000 if resp.elapsed else (time.monotonic() - started) * 1000
        return TaskAppAnswer(url=url, status=resp.status_code, body=response_json(resp),
                             latency_ms=latency, retries=retries,
                             content_type=(resp.headers.get("Content-Type") or "").split(";")[0].strip(),
                             location=resp.headers.get("Location") if 300 <= resp.status_code < 400 else None)

    def health(self) -> TaskAppAnswer:
        """`GET /health`."""
        return self.get("health")

    def task_info(self) -> TaskAppAnswer:
        """`GET /task_info`."""
        return self.get("task_info")
