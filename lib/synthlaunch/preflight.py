"""Preflight: can the backend reach the RL task app, and does the task app accept our key?

Three checks run concurrently (threads): backend `POST /api/rl/verify_task_app`, task app
`GET /health` and `GET /task_info`. Each becomes a `CheckRow` with a diagnostic a user can act on;
together they form a `PreflightReport` (`raise_for_report` turns a failed one into the error with
its exit code: 3 a check failed, 4 backend unreachable or answering an error).

Pass rules (docs/wire-contract.md): verify needs `any_ok: true`; /health passes on 200, and on
401/403 whose JSON carries `expected_api_key_prefix` or a `detail` mentioning "expected prefix"
(auth-optional: a warning); /task_info passes on 200 only.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal
from urllib.parse import urlsplit

from .console import command_name
from .errors import BackendError, BackendUnreachable, PreflightError, UsageError
from .http import RetryEvent, RetryHook, RetryPolicy, log_retry
from .redact import clip_prefix, mask, redact
from .task_app import TIMEOUT_TASK_APP, TaskAppAnswer, TaskAppClient, TaskAppUnreachable

if TYPE_CHECKING:  # pragma: no cover
    from .api import SynthClient

Result = Literal["pass", "warn", "fail"]

CHECK_VERIFY = "backend.verify_task_app"
CHECK_HEALTH = "task_app.health"
CHECK_TASK_INFO = "task_app.task_info"

#: preflight: the default attempts (fewer gave up under 30 % injected faults) but short waits
#: between them (a person is waiting: a dead task app is reported in ~4 s, not ~13 s), a shorter deadline
PREFLIGHT_POLICY = RetryPolicy(attempts=6, deadline=45.0, backoff_max=1.0)
KEY_FIX = ("set ENVIRONMENT_API_KEY (flag, shell or .env) to the key the task app was started with, "
           "or list extra keys in ENVIRONMENT_API_KEY_ALIASES")


@dataclass
class CheckRow:
    """One check's outcome; `hint` says what to do on warn/fail, `retries` how many retries it took.

    `latency_ms`: task-app checks, the last attempt's time to answer; verify, the whole call
    (the backend itself calls the task app); None when no answer came at all.
    """

    check: str
    target: str
    result: Result
    status: int | None
    latency_ms: float | None
    detail: str
    hint: str = ""
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["latency_ms"] is not None:
            data["latency_ms"] = round(data["latency_ms"], 1)
        return data


@dataclass
class PreflightReport:
    """The rows of one preflight run, in a fixed order (verify, health, task_info)."""

    rows: list[CheckRow]
    task_url: str = ""
    backend_url: str = ""
    backend_unreachable: bool = False
    #: the backend's non-2xx answer to verify_task_app, when there was one (exit 4)
    backend_error: BackendError | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(row.result != "fail" for row in self.rows)

    @property
    def failed(self) -> list[CheckRow]:
        return [row for row in self.rows if row.result == "fail"]

    @property
    def warnings(self) -> list[CheckRow]:
        return [row for row in self.rows if row.result == "warn"]

    @property
    def exit_code(self) -> int:
        if self.backend_unreachable or self.backend_error is not None:
            return BackendError.exit_code
        return 0 if self.ok else PreflightError.exit_code

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "exit_code": self.exit_code, "task_url": self.task_url,
                "backend_url": self.backend_url, "backend_unreachable": self.backend_unreachable,
                "backend_error": self.backend_error is not None,
                "checks": [row.as_dict() for row in self.rows]}


# -- diagnostics ---------------------------------------------------------------------------

def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def unreachable_task_url(task_url: str, backend_url: str) -> str | None:
    """A warning when the task app is on this machine (loopback) but the backend is not: the backend's
    `verify_task_app` and its rollouts cannot reach it."""
    if not (is_loopback(task_url) and not is_loopback(backend_url)):
        return None
    return (f"the task URL {task_url} is on this machine, but the backend at {_host(backend_url)} is not: it "
            "cannot reach it. Expose the task app at a public URL (e.g. a tunnel such as `cloudflared tunnel "
            "--url` or `ngrok http`) and pass that with --task-url")


def is_loopback(url: str) -> bool:
    """True when the URL's host is this machine (localhost, 127.x, ::1)."""
    from .transport import is_loopback_host

    try:
        return is_loopback_host(urlsplit(url).hostname)
    except ValueError:
        return False


def _detail_text(answer: TaskAppAnswer, limit: int = 300) -> str:
    """The `detail` (or error/message, or raw text) of an answer, shortened."""
    body = redact(answer.body)  # echoed key prefixes clipped before the body becomes text
    text: Any = None
    if isinstance(body, dict):
        for name in ("detail", "error", "message"):
            if body.get(name):
                text = body[name]
                break
    elif isinstance(body, str):
        text = body.strip()
    if text is None or text == "":
        return ""
    text = text if isinstance(text, str) else str(text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _expected_prefix(answer: TaskAppAnswer) -> str | None:
    prefix = answer.field("expected_api_key_prefix")
    return clip_prefix(str(prefix)) if prefix else None


def _auth_optional(answer: TaskAppAnswer) -> bool:
    """`GET /health` rule: 401/403 with an expected prefix, or a detail mentioning it."""
    return answer.status in (401, 403) and bool(
        _expected_prefix(answer) or "expected prefix" in _detail_text(answer).lower())


def _rejected(answer: TaskAppAnswer, key: str, path: str) -> tuple[str, str]:
    """(detail, hint) for a 400/401/403: the task app did not accept our key."""
    text = f"the task app rejected ENVIRONMENT_API_KEY ({mask(key)}) on {path} with HTTP {answer.status}"
    if answer.status == 400:
        text += " (task apps often answer 400 for a missing or wrong key)"
    prefix = _expected_prefix(answer)
    if prefix:
        text += f"; it expects keys starting with {prefix!r}"
    detail = _detail_text(answer)
    if detail:
        text += f"; it said: {detail}"
    if answer.field("authorized") is True:  # contradicts the status: worth showing
        text += "; yet it says authorized=true"
    return text, KEY_FIX


def _row(check: str, target: str, result: Result, answer: TaskAppAnswer | None, detail: str,
         hint: str = "", status: int | None = None, latency_ms: float | None = None,
         retries: int = 0) -> CheckRow:
    if answer is not None:
        status, latency_ms, retries = answer.status, answer.latency_ms, len(answer.retries)
    return CheckRow(check=check, target=target, result=result, status=status, latency_ms=latency_ms,
                    detail=detail, hint=hint, retries=retries)


def _not_followed(check: str, answer: TaskAppAnswer) -> CheckRow:
    """A 3xx: named with its Location, never followed (the keys would travel to that address)."""
    where = f"redirecting to {answer.location}" if answer.location else "a redirect without a Location"
    return _row(check, answer.url, "fail", answer,
                f"the task app answered HTTP {answer.status} {where}; redirects are not followed, so that "
                "ENVIRONMENT_API_KEY is never sent to another address",
                "pass the task app's final URL with --task-url (TASK_APP_URL)")


def _not_an_object(check: str, answer: TaskAppAnswer) -> CheckRow | None:
    """A 200 whose body is not a JSON object (an nginx welcome page, invalid JSON, a list): a failure."""
    if isinstance(answer.body, dict):
        return None
    kind = type(answer.body).__name__ if answer.body is not None else "null"
    what = "text that is not JSON" if isinstance(answer.body, str) else f"a JSON {kind}"
    return _row(check, answer.url, "fail", answer,
                f"HTTP {answer.status} with {answer.content_type or 'no content type'} ({what}), not the JSON "
                "object a task app answers: is this a task app?",
                "check that the task URL points at the RL task app itself, not a web server or proxy page")


def classify_health(answer: TaskAppAnswer, key: str) -> CheckRow:
    """`GET /health`: 200 pass; 401/403 with an expected prefix = auth-optional warning; else fail."""
    target = answer.url
    if 300 <= answer.status < 400:
        return _not_followed(CHECK_HEALTH, answer)
    if answer.status == 200 and (bad := _not_an_object(CHECK_HEALTH, answer)) is not None:
        return bad
    if answer.status == 200:
        if answer.field("authorized") is False:
            prefix = _expected_prefix(answer)
            text = (f"healthy, but the task app did not accept ENVIRONMENT_API_KEY ({mask(key)})"
                    + (f"; it expects keys starting with {prefix!r}" if prefix else ""))
            return _row(CHECK_HEALTH, target, "warn", answer, text, KEY_FIX)
        status_text = answer.field("status")
        return _row(CHECK_HEALTH, target, "pass", answer, f"healthy ({status_text})" if status_text else "healthy")
    if _auth_optional(answer):
        text, hint = _rejected(answer, key, "/health")
        return _row(CHECK_HEALTH, target, "warn", answer, "auth-optional: " + text,
                    hint + " (/health passes without it; /task_info and rollouts will not)")
    if answer.status in (400, 401, 403):
        text, hint = _rejected(answer, key, "/health")
        return _row(CHECK_HEALTH, target, "fail", answer, text, hint)
    if answer.status == 404:
        return _row(CHECK_HEALTH, target, "fail", answer,
                    "no /health endpoint here (HTTP 404)",
                    "check that the task URL is the task app's base URL (without /health or other paths)")
    return _row(CHECK_HEALTH, target, "fail", answer, _other_status(answer), _status_hint(answer))


def classify_task_info(answer: TaskAppAnswer, key: str) -> CheckRow:
    """`GET /task_info`: 200 only."""
    target = answer.url
    if 300 <= answer.status < 400:
        return _not_followed(CHECK_TASK_INFO, answer)
    if answer.status == 200 and (bad := _not_an_object(CHECK_TASK_INFO, answer)) is not None:
        return bad
    if answer.status == 200:
        return _row(CHECK_TASK_INFO, target, "pass", answer, _task_info_summary(answer.body))
    if answer.status in (400, 401, 403):
        text, hint = _rejected(answer, key, "/task_info")
        return _row(CHECK_TASK_INFO, target, "fail", answer, text, hint)
    if answer.status == 404:
        return _row(CHECK_TASK_INFO, target, "fail", answer,
                    "no /task_info endpoint here (HTTP 404): not a task app?",
                    "check that the task URL points at an RL task app (it serves /health and /task_info) "
                    "and is its base URL, without extra path segments")
    return _row(CHECK_TASK_INFO, target, "fail", answer, _other_status(answer), _status_hint(answer))


def _other_status(answer: TaskAppAnswer) -> str:
    detail = _detail_text(answer)
    return f"HTTP {answer.status}" + (f": {detail}" if detail else "")


def _status_hint(answer: TaskAppAnswer) -> str:
    if answer.status >= 500:
        return "the task app failed while answering; look at the task app's logs"
    if answer.status == 429:
        return "the task app is rate limiting; wait a little and run preflight again"
    return ""


def _task_info_summary(body: Any) -> str:
    """A short description of a task_info answer (task name / id when it has one)."""
    if isinstance(body, list):
        return f"task info for {len(body)} task(s)"
    if not isinstance(body, dict):
        return "task info received"
    task = body.get("task") if isinstance(body.get("task"), dict) else body
    for name in ("name", "id", "task_id", "environment", "env_name"):
        value = task.get(name) if isinstance(task, dict) else None
        if isinstance(value, (str, int)) and value != "":
            return f"task {name}={value}"
    return "task info received"


def transport_diagnostic(url: str, base_url: str, reason: str) -> tuple[str, str]:
    """(detail, hint) for a request that got no HTTP answer at all."""
    host = _host(url)
    if reason == "connection refused":
        return (f"nothing is listening at {base_url} (connection refused)",
                f"start the task app, e.g. `{command_name()} local.task-app`, or fix the task URL")
    if reason == "DNS lookup failed":
        return (f"the host name {host!r} could not be resolved (DNS lookup failed)",
                "check the task URL for typos, and that this machine can resolve it")
    if reason == "TLS error":
        return (f"TLS handshake with {host} failed",
                "check the scheme (a local task app usually speaks http://, not https://) "
                "and that its certificate is valid and trusted")
    if "timed out" in reason:
        timeout = TIMEOUT_TASK_APP[1]
        return (f"no answer from {url} within {timeout:g} s ({reason})",
                "the task app may be overloaded, starting up, or behind a firewall; check it is running "
                "and reachable from this machine")
    if "larger than" in reason:
        return (reason, "this is not a task app's answer; check the task URL")
    if "dropped" in reason:
        return (f"the connection to {host} dropped before an answer ({reason})",
                "the task app may have crashed or restarted; check its logs")
    return (f"could not reach {url}: {reason}", "check that the task app is running and the URL is right")


def unreachable_row(check: str, exc: TaskAppUnreachable, base_url: str) -> CheckRow:
    detail, hint = transport_diagnostic(exc.url, base_url, exc.reason)
    return CheckRow(check=check, target=exc.url, result="fail", status=None, latency_ms=None,
                    detail=detail, hint=hint, retries=len(exc.retries))


def _attempt_text(attempt: Any) -> str:
    """`key sk_e…12 /health → HTTP 401` (or the error) for one attempt the backend reported."""
    if not isinstance(attempt, dict):
        return str(attempt)
    where = next((str(attempt[k]) for k in ("endpoint", "path", "url", "target", "candidate")
                  if attempt.get(k)), "")
    key = attempt.get("key")
    if key:
        where = f"key {mask(key)} {where}".strip()
    status = attempt.get("status")
    outcome = f"HTTP {status}" if status not in (None, "", 0) else str(attempt.get("error") or "no answer")
    return f"{where} → {outcome}" if where else outcome


def classify_verify(body: Any, task_url: str, backend_url: str) -> tuple[Result, str, str]:
    """(result, detail, hint) for a `POST /api/rl/verify_task_app` answer (`any_ok` must be true)."""
    body = body if isinstance(body, dict) else {}
    raw_attempts = body.get("attempts")
    attempts = [a for a in raw_attempts if a is not None] if isinstance(raw_attempts, list) else []
    raw_candidates = body.get("candidates_first15")
    candidates = [clip_prefix(str(c)) for c in raw_candidates] if isinstance(raw_candidates, list) else []
    statuses = [a.get("status") for a in attempts if isinstance(a, dict)]
    if body.get("any_ok") is True:
        return "pass", "the backend reached the task app" + (
            f" (attempt statuses: {statuses})" if statuses else ""), ""
    tried = "; ".join(_attempt_text(a) for a in attempts[:15]) or "no attempts reported"
    detail = f"the backend could not use the task app with any of its keys (any_ok=false); tried: {tried}"
    shown_keys = {mask(a.get("key")) for a in attempts if isinstance(a, dict) and a.get("key")}
    if candidates and not {mask(c)[:4] for c in candidates} <= {k[:4] for k in shown_keys}:
        detail += f"; candidates: {', '.join(candidates)}"
    backend_detail = body.get("detail")
    if isinstance(backend_detail, str) and backend_detail:
        detail += f"; backend says: {redact(backend_detail)}"
    answered = [s for s in statuses if s not in (None, "", 0)]
    if is_loopback(task_url) and not is_loopback(backend_url):
        hint = (f"the backend at {_host(backend_url)} cannot reach {_host(task_url)} on your machine: "
                "expose the task app at a public URL (e.g. a tunnel) and pass it with --task-url")
    elif not answered:
        hint = ("the backend got no answer from the task app: check that the task app is running and that "
                "the task URL is reachable from the backend")
    elif all(s in (400, 401, 403) for s in answered):
        hint = ("the task app rejects the environment keys the backend holds: start the task app with the "
                "ENVIRONMENT_API_KEY registered with the backend")
    else:
        hint = "read the attempt statuses above; the task app's logs say why it refused"
    return "fail", detail, hint


# -- the checks ----------------------------------------------------------------------------

def _verify_row(client: "SynthClient", task_url: str, policy: RetryPolicy | None,
                report: PreflightReport, retries: list[RetryEvent]) -> CheckRow:
    target = client.url("rl/verify_task_app")
    started = time.monotonic()
    try:
        body = client.verify_task_app(task_url, policy=policy)
    except BackendUnreachable as exc:
        report.backend_unreachable = True
        return CheckRow(CHECK_VERIFY, target, "fail", None, (time.monotonic() - started) * 1000,
                        f"backend unreachable: {exc.message}", exc.hint or "", len(retries))
    except BackendError as exc:
        report.backend_error = exc
        return CheckRow(CHECK_VERIFY, target, "fail", exc.status, (time.monotonic() - started) * 1000,
                        exc.message, exc.hint or "", len(retries))
    result, detail, hint = classify_verify(body, task_url, client.base_url)
    return CheckRow(CHECK_VERIFY, target, result, 200, (time.monotonic() - started) * 1000, detail, hint,
                    len(retries))


def _task_app_row(check: str, probe: Callable[[], TaskAppAnswer], key: str, base_url: str) -> CheckRow:
    try:
        answer = probe()
    except TaskAppUnreachable as exc:
        return unreachable_row(check, exc, base_url)
    return classify_health(answer, key) if check == CHECK_HEALTH else classify_task_info(answer, key)


def run_concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Each call in its own daemon thread; results in order; the first exception re-raised.

    Daemon threads (not an executor) so that Ctrl-C returns at once instead of waiting for
    requests still inside their timeouts and retries.
    """
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException | None] = [None] * len(calls)

    def work(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # re-raised in the caller's thread
            errors[i] = exc

    threads = [threading.Thread(target=work, args=(i,), name=f"preflight-{i}", daemon=True)
               for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)  # short joins keep the main thread responsive to signals
    for error in errors:
        if error is not None:
            raise error
    return results


def run_checks(client: "SynthClient", task_url: str, environment_api_key: str, *,
               aliases: list[str] | None = None, policy: RetryPolicy | None = None,
               on_retry: RetryHook | None = None) -> PreflightReport:
    """Run the three checks concurrently and return the report (never raises for a failed check).

    `policy` defaults to `PREFLIGHT_POLICY` for all three calls; `on_retry` sees every retry
    (each is logged otherwise).
    """
    policy = policy or PREFLIGHT_POLICY
    task_url = task_url.rstrip("/")
    report = PreflightReport(rows=[], task_url=task_url, backend_url=client.base_url)
    app = TaskAppClient(task_url, environment_api_key, aliases=list(aliases or []), policy=policy,
                        on_retry=on_retry)
    verify_retries: list[RetryEvent] = []

    def note_verify_retry(event: RetryEvent) -> None:
        verify_retries.append(event)
        (on_retry or log_retry)(event)

    verifier = client.observed(note_verify_retry)  # its own view: the shared client is not touched
    report.rows = run_concurrently([
        lambda: _verify_row(verifier, task_url, policy, report, verify_retries),
        lambda: _task_app_row(CHECK_HEALTH, app.health, environment_api_key, task_url),
        lambda: _task_app_row(CHECK_TASK_INFO, app.task_info, environment_api_key, task_url),
    ])
    return report


def raise_for_report(report: PreflightReport) -> None:
    """Nothing when the report passed; else BackendUnreachable/BackendError (exit 4) or PreflightError (3)."""
    if report.ok:
        return
    failed = report.failed
    lines = [f"{row.check} ({row.target}): {row.detail}" for row in failed]
    hints = [row.hint for row in failed if row.hint]
    hint = "; ".join(dict.fromkeys(hints)) or None
    if report.backend_unreachable:
        row = next(r for r in failed if r.check == CHECK_VERIFY)
        raise BackendUnreachable(f"preflight: {row.detail}", method="POST", url=row.target, hint=row.hint or None)
    if report.backend_error is not None:
        raise report.backend_error
    noun = "check" if len(failed) == 1 else "checks"
    raise PreflightError(f"preflight failed: {len(failed)} of {len(report.rows)} {noun} failed\n  "
                         + "\n  ".join(lines), report=report, hint=hint)


def check_task_url(url: str, *, source: str = "task URL", allow_insecure_http: bool = False) -> str:
    """The task URL without a trailing slash. UsageError (exit 2) when it is not an http(s) URL with a
    host; EnvError (exit 2) when ENVIRONMENT_API_KEY would travel over plain http to another machine."""
    from .transport import check_transport, url_problem

    text = (url or "").strip()
    if url_problem(text):
        raise UsageError(f"{source}: {text!r} is not an http(s) URL with a host",
                         hint="give the task app's base URL, e.g. http://127.0.0.1:8001")
    check_transport(text, secret_names=["ENVIRONMENT_API_KEY"], allow_insecure_http=allow_insecure_http)
    return text.rstrip("/")
