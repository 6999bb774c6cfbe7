"""The requests Session factory and the single retry policy (tenacity) used for every HTTP call.

Retried: connection errors, timeouts, dropped connections, 408, 429, 502, 503, 504, and 500 on
GET/HEAD. A POST is retried only when it is safe to repeat (it carries an `Idempotency-Key`, or
the caller says it creates nothing). `Retry-After` (seconds or an HTTP date) is honoured, capped
and floored (`Retry-After: 0` cannot make a loop spin); otherwise exponential backoff with full
jitter. Bounded by attempts and by a deadline. Each retry is a structured `RetryEvent` handed to
the caller's `on_retry` callback (per call); without one it is logged in one line on the
`synthlaunch.http` logger. No terminal output here.

Answers are never trusted to be small or quick: redirects are not followed (a key must never travel
to another address: the caller sees the 3xx and its `Location`), and each body is streamed with a
size cap (`MAX_ANSWER_BYTES`, measured after decompression, decoded incrementally so a gzip bomb
cannot expand past it: `AnswerTooLarge`) and a total deadline per attempt (a server dripping a byte
at a time is a read timeout, not a hang).
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal
from urllib.parse import urlsplit

from . import __version__

if TYPE_CHECKING:  # pragma: no cover
    import requests

log = logging.getLogger("synthlaunch.http")

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
RETRY_STATUSES_SAFE_METHOD = RETRY_STATUSES | {500}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = f"synthlaunch/{__version__}"
#: the most bytes of one answer the tool reads (after decompression); more is `AnswerTooLarge`
MAX_ANSWER_BYTES = 10 * 1024 * 1024
#: bytes asked for per read of an answer body (a read returns what one receive brought, at most this)
READ_CHUNK = 64 * 1024
#: the exponent of the backoff is capped before it is computed (2 ** 1000 overflows a float)
MAX_BACKOFF_EXPONENT = 30


class AnswerTooLarge(Exception):
    """An answer body larger than the cap; it was not read further (the connection is closed)."""

    def __init__(self, url: str, limit: int, content_type: str | None) -> None:
        super().__init__(f"the answer of {url} is larger than {limit // (1024 * 1024)} MiB "
                         f"({content_type or 'no content type'}); it was not read further")
        self.url = url
        self.limit = limit
        self.content_type = content_type


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `deadline` bounds the whole call including waits (seconds)."""

    attempts: int = 6
    deadline: float = 90.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_cap: float = 30.0
    #: retry a refused connection to a loopback host? Nothing listens there: a one-shot command fails at
    #: once (say so within a second); a watch, which outlives a restart of a local backend, retries
    retry_refused_loopback: bool = False
    #: the least wait before a retry, whatever `Retry-After` says (`0` would make a loop spin)
    min_wait: float = 0.2


DEFAULT_POLICY = RetryPolicy()

#: what went wrong with one attempt that got no HTTP answer
FailureKind = Literal["refused", "dns", "tls", "connect-timeout", "read-timeout", "dropped", "connection", "other"]
FAILURE_TEXT: dict[str, str] = {
    "refused": "connection refused", "dns": "DNS lookup failed", "tls": "TLS error",
    "connect-timeout": "connection timed out", "read-timeout": "timed out waiting for the answer",
    "dropped": "connection dropped", "connection": "connection failed",
}


@dataclass(frozen=True)
class RetryEvent:
    """One retry about to happen: what was sent, why it is retried, and the wait before the next attempt.

    `status` is the HTTP status when there was an answer; `failure` the kind of transport failure
    when there was none.
    """

    method: str
    url: str
    attempt: int          # the attempt about to be made (2 = first retry)
    attempts: int         # the policy's maximum
    wait: float           # seconds before that attempt
    status: int | None = None
    retry_after: str | None = None
    failure: FailureKind | None = None
    failure_text: str | None = None

    @property
    def reason(self) -> str:
        """`HTTP 503 (Retry-After: 1)` or the transport failure in words."""
        if self.status is not None:
            return f"HTTP {self.status}" + (f" (Retry-After: {self.retry_after})" if self.retry_after else "")
        return self.failure_text or FAILURE_TEXT.get(self.failure or "", "no answer")

    @property
    def no_connection(self) -> bool:
        """True when nothing could be reached at all (refused, DNS, no route): a server that is down."""
        return self.failure in ("refused", "dns", "connection")

    def describe(self) -> str:
        """The one log line of this retry."""
        return (f"retrying {self.method} {self.url} after {self.reason} "
                f"(attempt {self.attempt}/{self.attempts}, waiting {self.wait:.1f}s)")


RetryHook = Callable[[RetryEvent], None]


def log_retry(event: RetryEvent) -> None:
    """The default of every `on_retry`: one line on the `synthlaunch.http` logger (info: `--quiet` hides it;
    what finally failed is reported as the error)."""
    log.info(event.describe())


#: per thread: `within`, the seconds the answer's status line and headers may take in total once the
#: request is sent (None: no limit but the per-read timeout); `hit`, set when that deadline cut one off
_ANSWER_DEADLINE = threading.local()
_ADAPTER_CLASS: list[type] = []


def _deadline_adapter_class() -> type:
    """An HTTPAdapter whose connections give up on an answer whose status line and headers have not
    arrived whole within the thread's `_ANSWER_DEADLINE.within` seconds of the request being sent: a
    server dripping its headers a byte at a time defeats the per-read timeout, so a timer shuts the
    socket down at the deadline. Built on first use (requests and urllib3 are imported lazily)."""
    if _ADAPTER_CLASS:
        return _ADAPTER_CLASS[0]
    import socket

    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import ProtocolError

    def getresponse(conn: Any, base: Any) -> Any:
        within = getattr(_ANSWER_DEADLINE, "within", None)
        if within is None:
            return base.getresponse(conn)
        fired: list[bool] = []

        def abort() -> None:
            fired.append(True)
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(within, abort)
        timer.daemon = True
        timer.start()
        try:
            resp = base.getresponse(conn)
        except BaseException:
            _ANSWER_DEADLINE.hit = bool(fired)
            raise
        finally:
            timer.cancel()
        if fired:  # cut off inside the headers: http.client takes the end of input for their end
            _ANSWER_DEADLINE.hit = True
            resp.close()
            raise ProtocolError("the answer's headers did not arrive whole in time")
        return resp

    class DeadlineHTTPConnection(HTTPConnection):
        def getresponse(self) -> Any:
            return getresponse(self, HTTPConnection)

    class DeadlineHTTPSConnection(HTTPSConnection):
        def getresponse(self) -> Any:
            return getresponse(self, HTTPSConnection)

    class DeadlineHTTPPool(HTTPConnectionPool):
        ConnectionCls = DeadlineHTTPConnection

    class DeadlineHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = DeadlineHTTPSConnection

    class DeadlineAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": DeadlineHTTPPool, "https": DeadlineHTTPSPool}

    _ADAPTER_CLASS.append(DeadlineAdapter)
    return DeadlineAdapter


def make_session(headers: dict[str, str] | None = None) -> "requests.Session":
    """A Session with our User-Agent and JSON accept header (connection pooling for free), whose
    connections honour the per-attempt answer deadline of `request`."""
    import requests

    session = requests.Session()
    adapter = _deadline_adapter_class()
    session.mount("http://", adapter())
    session.mount("https://", adapter())
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


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc`, what it wraps (requests puts urllib3's error in `args[0]`, urllib3 its own in `.reason`)
    and its `__cause__`/`__context__` chain, without repeats."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if item in seen:
            continue
        seen.append(item)
        todo += [c for c in (getattr(item, "reason", None), item.__cause__, item.__context__,
                             *(a for a in item.args if isinstance(a, BaseException))) if isinstance(c, BaseException)]
    return seen


def failure_kind(exc: BaseException) -> FailureKind:
    """The kind of a transport failure, decided from the exception types (not from their text)."""
    import socket
    import ssl

    import requests
    from urllib3 import exceptions as u3

    causes = _causes(exc)

    def has(*types: type) -> bool:
        return any(isinstance(c, types) for c in causes)

    if has(requests.exceptions.SSLError, ssl.SSLError, u3.SSLError):
        return "tls"
    if has(getattr(u3, "NameResolutionError", socket.gaierror), socket.gaierror):
        return "dns"
    if has(ConnectionRefusedError):
        return "refused"
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: only a real timeout counts here
    if any(isinstance(c, (requests.exceptions.ConnectTimeout, u3.ConnectTimeoutError))
           and not isinstance(c, u3.NewConnectionError) for c in causes):
        return "connect-timeout"
    if has(requests.exceptions.ReadTimeout, u3.ReadTimeoutError):
        return "read-timeout"
    if has(requests.exceptions.ChunkedEncodingError, u3.ProtocolError, ConnectionResetError,
           ConnectionAbortedError, BrokenPipeError):
        return "dropped"
    if has(u3.NewConnectionError, requests.ConnectionError):
        return "connection"
    return "other"


def never_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (no connection was made), so that
    even a POST that creates something may be sent again."""
    from urllib3 import exceptions as u3

    return failure_kind(exc) in ("refused", "dns", "connect-timeout") or \
        any(isinstance(c, u3.NewConnectionError) for c in _causes(exc))


def describe_exception(exc: BaseException) -> str:
    """A short, human reason for a transport failure (refused, DNS, TLS, timeout, dropped)."""
    kind = failure_kind(exc)
    return FAILURE_TEXT.get(kind, type(exc).__name__)


def backoff_delay(policy: RetryPolicy, attempt_number: int) -> float:
    """The jittered exponential backoff after attempt `attempt_number` (1-based): the exponent is
    capped before the power is computed, so any number of retries stays a float in range."""
    exponent = min(max(0, attempt_number - 1), MAX_BACKOFF_EXPONENT)
    backoff = min(policy.backoff_max, policy.backoff_base * (2 ** exponent))
    return max(policy.min_wait, random.uniform(backoff / 2, backoff)) if backoff > 0 else policy.min_wait


def _read_timeout(timeout: Any) -> float | None:
    """The read part of a requests timeout (a number or a (connect, read) pair); None when unbounded."""
    if isinstance(timeout, (tuple, list)):
        timeout = timeout[1] if len(timeout) > 1 else None
    return float(timeout) if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) else None


def read_body(resp: "requests.Response", *, limit: int = MAX_ANSWER_BYTES, within: float = 60.0) -> bytes:
    """Read a streamed answer whole, decoded, into `resp` (so `.content`, `.text`, `.json()` work).

    At most `limit` bytes after decompression (urllib3 decodes at most what each read asks for, so
    a small gzip bomb does not expand past the cap): more raises `AnswerTooLarge`. The whole body
    must arrive within `within` seconds (a per-read timeout alone lets a server drip a byte per
    read forever): later raises `requests.ReadTimeout`. The connection is closed on either.
    """
    import requests
    from urllib3 import exceptions as u3

    deadline = time.monotonic() + within
    content_type = resp.headers.get("Content-Type")
    size_hint = resp.headers.get("Content-Length", "")
    body = bytearray()
    try:
        if size_hint.isdigit() and int(size_hint) > limit and not resp.headers.get("Content-Encoding"):
            raise AnswerTooLarge(resp.url, limit, content_type)
        while True:
            chunk = resp.raw.read1(READ_CHUNK, decode_content=True)
            if not chunk:
                break
            body += chunk
            if len(body) > limit:
                raise AnswerTooLarge(resp.url, limit, content_type)
            if time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout(
                    f"the answer of {resp.url} did not arrive whole within {within:g}s (only "
                    f"{len(body)} bytes had come)", response=resp)
    except (AnswerTooLarge, requests.RequestException):
        resp.close()
        raise
    except u3.ReadTimeoutError as exc:
        resp.close()
        raise requests.exceptions.ReadTimeout(exc, response=resp) from exc
    except u3.DecodeError as exc:
        resp.close()
        raise requests.exceptions.ContentDecodingError(exc, response=resp) from exc
    except (u3.ProtocolError, OSError) as exc:
        resp.close()
        raise requests.exceptions.ChunkedEncodingError(exc, response=resp) from exc
    resp._content = bytes(body)  # what `resp.content` returns once the body was consumed
    resp._content_consumed = True
    resp.close()  # back to the pool
    return resp._content


def request(
    session: "requests.Session",
    method: str,
    url: str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    safe_to_retry: bool | None = None,
    data_factory: Callable[[], Any] | None = None,
    on_retry: RetryHook | None = None,
    max_bytes: int = MAX_ANSWER_BYTES,
    stream_body: bool = False,
    **kwargs: Any,
) -> "requests.Response":
    """Send one logical request, retried per the policy. Returns the last response (any status,
    3xx included: redirects are not followed), its body already read (`resp.content`).

    Raises the last transport exception (requests.RequestException) when every attempt failed
    without an answer (a body that did not arrive whole within the attempt's deadline is a
    `requests.ReadTimeout`), and `AnswerTooLarge` for a body over `max_bytes` (not retried).
    `data_factory` builds a fresh body per attempt (streamed uploads).
    `safe_to_retry` defaults to: GET/HEAD/OPTIONS, or a request carrying an `Idempotency-Key`.
    `on_retry` receives a `RetryEvent` before each retry (without it, the retry is logged).
    `stream_body=True` leaves a 2xx body unread for the caller, who reads it with bounds of its own
    (the job event stream, open for as long as the job runs); other answers are read as always.
    """
    import requests
    from tenacity import (
        RetryCallState,
        Retrying,
        retry_if_exception,
        retry_if_result,
        stop_after_attempt,
        stop_after_delay,
    )
    from tenacity.stop import stop_base

    class stop_when(stop_base):  # a stop condition from a plain predicate, composable with `|`
        def __init__(self, predicate: Callable[[RetryCallState], bool]) -> None:
            self.predicate = predicate

        def __call__(self, retry_state: RetryCallState) -> bool:
            return self.predicate(retry_state)

    method = method.upper()
    headers = kwargs.get("headers") or {}
    if safe_to_retry is None:
        safe_to_retry = method in SAFE_METHODS or any(k.lower() == "idempotency-key" for k in headers)
    started = time.monotonic()

    def retry_on_response(resp: "requests.Response") -> bool:
        return safe_to_retry and is_retryable_status(method, resp.status_code)

    def wait(state: RetryCallState) -> float:
        delay = backoff_delay(policy, state.attempt_number)
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            hinted = parse_retry_after(outcome.result().headers.get("Retry-After"))
            if hinted is not None:
                delay = max(policy.min_wait, min(hinted, policy.retry_after_cap))
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
            exc = outcome.exception()
            kind = failure_kind(exc) if exc is not None else "other"
            event = RetryEvent(method, url, state.attempt_number + 1, policy.attempts, state.upcoming_sleep or 0.0,
                               failure=kind, failure_text=FAILURE_TEXT.get(kind, type(exc).__name__))
        else:
            resp = outcome.result()
            event = RetryEvent(method, url, state.attempt_number + 1, policy.attempts, state.upcoming_sleep or 0.0,
                               status=resp.status_code, retry_after=resp.headers.get("Retry-After"))
        (on_retry or log_retry)(event)

    def give_up(state: RetryCallState) -> "requests.Response":
        assert state.outcome is not None
        return state.outcome.result()  # re-raises the transport error when the last try failed

    def attempt() -> "requests.Response":
        call_kwargs = dict(kwargs)
        if data_factory is not None:
            call_kwargs["data"] = data_factory()
        # never follow a redirect (keys stay with the address they were meant for), and read the
        # body ourselves: capped and against a deadline. The headers too have a total deadline, from
        # when the request has been sent (a large upload takes what it takes to send).
        read_timeout = _read_timeout(call_kwargs.get("timeout"))
        left = max(1.0, policy.deadline - (time.monotonic() - started))
        within = min(read_timeout, left) if read_timeout else left
        _ANSWER_DEADLINE.within, _ANSWER_DEADLINE.hit = within, False
        try:
            resp = session.request(method, url, allow_redirects=False, stream=True, **call_kwargs)
        except requests.ConnectionError as exc:
            if getattr(_ANSWER_DEADLINE, "hit", False):
                raise requests.exceptions.ReadTimeout(
                    f"no complete answer from {url} within {within:g}s (its headers came too slowly)") from exc
            raise
        finally:
            _ANSWER_DEADLINE.within = None
        if stream_body and 200 <= resp.status_code < 300:
            return resp
        read_body(resp, limit=max_bytes, within=within)
        return resp

    from .transport import is_loopback_host

    if not policy.retry_refused_loopback and is_loopback_host(urlsplit(url).hostname):
        retryable: Callable[[BaseException], bool] = \
            lambda e: _retryable_exception(e) and failure_kind(e) != "refused"  # noqa: E731
    else:
        retryable = _retryable_exception
    retry_exc = retry_if_exception(lambda e: safe_to_retry and retryable(e)) if safe_to_retry \
        else retry_if_exception(lambda e: retryable(e) and never_sent(e))
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.deadline) | stop_when(stop_at_deadline),
        wait=wait,
        retry=retry_if_result(retry_on_response) | retry_exc,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
        reraise=True,
    )
    return retrying(attempt)
