"""The requests Session factory and the single retry policy (tenacity) used for every HTTP call.

Retried: connection errors, timeouts, dropped connections, 408, 429, 502, 503, 504, and 500 on
GET/HEAD. A POST is retried only when it is safe to repeat (it carries an `Idempotency-Key`, or
the caller says it creates nothing). `Retry-After` (seconds or an HTTP date) is honoured, capped;
otherwise exponential backoff with full jitter. Bounded by attempts and by a deadline. Each retry is
logged in one line on the `synthlaunch.http` logger. No terminal output here.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from . import __version__

if TYPE_CHECKING:  # pragma: no cover
    import requests

log = logging.getLogger("synthlaunch.http")

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
RETRY_STATUSES_SAFE_METHOD = RETRY_STATUSES | {500}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = f"synthlaunch/{__version__}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `deadline` bounds the whole call including waits (seconds)."""

    attempts: int = 6
    deadline: float = 90.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_cap: float = 30.0


DEFAULT_POLICY = RetryPolicy()


def make_session(headers: dict[str, str] | None = None) -> "requests.Session":
    """A Session with our User-Agent and JSON accept header (connection pooling for free)."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    if headers:
        session.headers.update(headers)
    return session


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def is_retryable_status(method: str, status: int) -> bool:
    statuses = RETRY_STATUSES_SAFE_METHOD if method.upper() in SAFE_METHODS else RETRY_STATUSES
    return status in statuses


def _retryable_exception(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.ConnectionError, requests.Timeout,
                            requests.exceptions.ChunkedEncodingError))


def describe_exception(exc: BaseException) -> str:
    """A short, human reason for a transport failure (refused, DNS, TLS, timeout, dropped)."""
    import requests

    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timed out waiting for the answer"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped mid-answer"
    if isinstance(exc, requests.ConnectionError):
        low = text.lower()
        if "refused" in low:
            return "connection refused"
        if any(s in low for s in ("name or service not known", "nodename nor servname",
                                  "getaddrinfo failed", "name resolution", "no address associated")):
            return "DNS lookup failed"
        if any(s in low for s in ("remotedisconnected", "connection aborted", "reset by peer",
                                  "without response", "connection broken")):
            return "connection dropped"
        return "connection failed"
    return type(exc).__name__


def request(
    session: "requests.Session",
    method: str,
    url: str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    safe_to_retry: bool | None = None,
    data_factory: Callable[[], Any] | None = None,
    on_retry: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> "requests.Response":
    """Send one logical request, retried per the policy. Returns the last response (any status).

    Raises the last transport exception (requests.RequestException) when every attempt failed
    without an answer. `data_factory` builds a fresh body per attempt (streamed uploads).
    `safe_to_retry` defaults to: GET/HEAD/OPTIONS, or a request carrying an `Idempotency-Key`.
    """
    from tenacity import (RetryCallState, Retrying, retry_if_exception, retry_if_result,
                          stop_after_attempt, stop_after_delay)

    method = method.upper()
    headers = kwargs.get("headers") or {}
    if safe_to_retry is None:
        safe_to_retry = method in SAFE_METHODS or any(k.lower() == "idempotency-key" for k in headers)
    started = time.monotonic()

    def retry_on_response(resp: "requests.Response") -> bool:
        return safe_to_retry and is_retryable_status(method, resp.status_code)

    def wait(state: RetryCallState) -> float:
        backoff = min(policy.backoff_max, policy.backoff_base * (2 ** (state.attempt_number - 1)))
        delay = random.uniform(backoff / 2, backoff)
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            hinted = parse_retry_after(outcome.result().headers.get("Retry-After"))
            if hinted is not None:
                delay = min(hinted, policy.retry_after_cap)
        remaining = policy.deadline - (time.monotonic() - started)
        return max(0.0, min(delay, remaining))

    def stop_at_deadline(state: RetryCallState) -> bool:
        # also stop when the next wait would run past the deadline
        return time.monotonic() - started + (state.upcoming_sleep or 0) >= policy.deadline

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        if outcome is None:
            return
        if outcome.failed:
            reason = describe_exception(outcome.exception())
        else:
            resp = outcome.result()
            reason = f"HTTP {resp.status_code}"
            if resp.headers.get("Retry-After"):
                reason += f" (Retry-After: {resp.headers['Retry-After']})"
        line = (f"retrying {method} {url} after {reason} "
                f"(attempt {state.attempt_number + 1}/{policy.attempts}, waiting {state.upcoming_sleep:.1f}s)")
        log.warning(line)
        if on_retry is not None:
            on_retry(line)

    def give_up(state: RetryCallState) -> "requests.Response":
        assert state.outcome is not None
        return state.outcome.result()  # re-raises the transport error when the last try failed

    def attempt() -> "requests.Response":
        call_kwargs = dict(kwargs)
        if data_factory is not None:
            call_kwargs["data"] = data_factory()
        return session.request(method, url, **call_kwargs)

    retry_exc = retry_if_exception(lambda e: safe_to_retry and _retryable_exception(e)) if safe_to_retry \
        else retry_if_exception(lambda e: _retryable_exception(e) and _never_sent(e))
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.deadline) | stop_at_deadline,
        wait=wait,
        retry=retry_if_result(retry_on_response) | retry_exc,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
        reraise=True,
    )
    return retrying(attempt)


def _never_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (safe to resend even a POST)."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return isinstance(exc, requests.ConnectionError) and "refused" in str(exc).lower()
