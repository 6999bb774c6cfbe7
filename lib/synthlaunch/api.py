"""SynthClient: one method per backend route of the wire contract (docs/wire-contract.md).

Knows HTTP and the contract, not the terminal, and reads no environment variable: every value
(base URL, key, user and organisation ids) is given to it. Non-2xx answers become `BackendError` (method, URL,
status, redacted request body, response body, hint); transport failures after the retry policy
gave up become `BackendUnreachable`.
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .errors import BackendError, BackendUnreachable, EventStreamBroken
from .http import (
    DEFAULT_POLICY,
    AnswerTooLarge,
    RetryHook,
    RetryPolicy,
    describe_exception,
    make_session,
    request,
)
from .redact import redact, register_secret

if TYPE_CHECKING:  # pragma: no cover
    import requests

# Reference timeouts (seconds): (connect, read)
TIMEOUT_JSON_POST = (10, 60)
TIMEOUT_UPLOAD = (10, 300)
TIMEOUT_FILE_CHECK = (10, 30)
TIMEOUT_STREAM_GET = (10, 60)

JOB_PREFIXES = ("rl", "learning")
#: answers to `GET …/events/stream` that mean "this backend has no event stream": poll instead
STREAM_NOT_OFFERED = (404, 405, 406, 501)
#: the most bytes one event stream frame may take: a server that sends more without a frame end
#: is not followed further (the watch polls), so memory stays bounded
MAX_FRAME_BYTES = 4 << 20
STATUS_HINTS = {
    400: "the backend rejected the request body; read its detail above",
    401: "check SYNTH_API_KEY (flag, shell or .env): the backend did not accept it",
    403: "SYNTH_API_KEY is valid but not allowed to do this; check the key's organisation",
    404: "check --backend (BACKEND_BASE_URL): this path does not exist there, or the id is wrong",
    409: "the Idempotency-Key was already used with a different body; pass a new --idempotency key",
    413: "the upload is larger than the backend accepts",
    422: "a field of the request body is invalid; the detail above names it",
    429: "the backend is rate limiting; wait a little and retry",
}


def hint_for_status(status: int | None, body: Any = None) -> str | None:
    """A known hint for an HTTP status; 422 names the offending field when the body says it."""
    hint = STATUS_HINTS.get(status or 0)
    if status == 422 and isinstance(body, dict) and isinstance(body.get("detail"), list):
        fields = [".".join(str(p) for p in d.get("loc", [])) for d in body["detail"] if isinstance(d, dict)]
        if fields:
            hint = f"invalid field(s): {', '.join(fields)}"
    if status is not None and status >= 500:
        hint = "the backend failed while handling the request; retry later or report the response above"
    return hint


#: the most characters of an error body kept (shown, logged, put in --json); the rest is cut with a note
MAX_ERROR_BODY_CHARS = 16_000


class NotJson(ValueError):
    """An answer body that is not JSON text."""


def _finite_or_none(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def loads_answer(data: bytes | str) -> Any:
    """JSON of an answer. Numbers that are not finite (`NaN`, `Infinity`, `1e400`) become None, so
    nothing downstream computes with them and `--json` output stays valid JSON. NotJson when it is
    not JSON."""
    try:
        return json.loads(data, parse_constant=lambda _name: None, parse_float=_finite_or_none)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise NotJson(str(exc)) from exc


def body_text(resp: "requests.Response") -> str:
    """The body as text (the declared charset, else UTF-8; undecodable bytes replaced)."""
    try:
        return resp.content.decode(resp.encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return resp.content.decode("utf-8", "replace")


def response_json(resp: "requests.Response") -> Any:
    """The parsed JSON body, or the text when it is not JSON."""
    try:
        return loads_answer(resp.content)
    except NotJson:
        return body_text(resp)


def shown_body(body: Any, limit: int = MAX_ERROR_BODY_CHARS) -> Any:
    """An error body as kept in a BackendError: as is when small, else its text cut to `limit` characters."""
    if body is None:
        return None
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return body
    return text[:limit] + f"… ({len(text) - limit} more characters not kept)"


def content_type_of(resp: "requests.Response") -> str:
    """The answer's media type (`text/html`), or `no content type`."""
    value = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
    return value or "no content type"


def _seg(value: str) -> str:
    """An id as one path segment, percent-encoded: an id the backend handed out (`a/../b`, `x?y`)
    cannot turn into another path or a query on our next request."""
    from urllib.parse import quote

    return quote(str(value), safe="")


def list_in(body: Any, *keys: str) -> list[Any]:
    """The list a list endpoint answered: under the first of `keys` holding one, or the bare body; else []."""
    if isinstance(body, dict):
        return next((body[key] for key in keys if isinstance(body.get(key), list)), [])
    return body if isinstance(body, list) else []


def has_list(body: Any, *keys: str) -> bool:
    """True when `body` is a list answer: a bare list, or an object with a list under one of `keys`."""
    return isinstance(body, list) or (isinstance(body, dict) and any(isinstance(body.get(k), list) for k in keys))


class SynthClient:
    """A client of the Synth backend. `base_url` ends in `/api` (see `backend_url.normalise`)."""

    def __init__(self, base_url: str, api_key: str, *, policy: RetryPolicy = DEFAULT_POLICY,
                 user_id: str | None = None, org_id: str | None = None,
                 session: "requests.Session | None" = None,
                 on_retry: RetryHook | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        register_secret(api_key)
        self.policy = policy
        self.on_retry = on_retry
        self.session = session or make_session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        if user_id:
            self.session.headers["X-User-ID"] = user_id
        if org_id:
            self.session.headers["X-Org-ID"] = org_id

    def observed(self, on_retry: RetryHook | None) -> "SynthClient":
        """This client (same session, key and policy) with its own retry callback: a caller that
        wants to see retries gets its own view instead of swapping the hook on a shared client."""
        view = copy.copy(self)
        view.on_retry = on_retry
        return view

    # -- plumbing ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _send(self, method: str, path: str, *, json_body: Any = None, expect: tuple[int, ...] = (),
              allow: tuple[int, ...] = (), policy: RetryPolicy | None = None,
              safe_to_retry: bool | None = None, **kwargs: Any) -> "requests.Response":
        import requests

        url = self.url(path)
        if json_body is not None:
            kwargs["json"] = json_body
        try:
            resp = request(self.session, method, url, policy=policy or self.policy,
                           safe_to_retry=safe_to_retry, on_retry=self.on_retry, **kwargs)
        except AnswerTooLarge as exc:
            raise BackendError(redact(f"{method} {url}: {exc}"), method=method, url=url,
                               request_body=redact(json_body),
                               hint="this is not an answer of a Synth backend; check --backend") from exc
        except requests.RequestException as exc:
            reason = describe_exception(exc)
            raise BackendUnreachable(
                f"{method} {url}: {reason}", method=method, url=url,
                request_body=redact(json_body),
                hint="check --backend (BACKEND_BASE_URL) and that the backend is running"
                     + (" (nothing listens there on this machine: start one with the local.backend task)"
                        if reason == "connection refused" and ("127.0.0.1" in url or "localhost" in url) else ""),
            ) from exc
        ok = resp.status_code in expect if expect else 200 <= resp.status_code < 300
        if not ok and resp.status_code not in allow:
            body = shown_body(response_json(resp))
            hint = hint_for_status(resp.status_code, body)
            message = f"{method} {url} answered HTTP {resp.status_code}"
            if 300 <= resp.status_code < 400:
                location = resp.headers.get("Location")
                message += (f" redirecting to {location}" if location else " (a redirect without a Location)")
                hint = ("redirects are not followed (the key must not travel to another address): "
                        "pass the final URL with --backend (BACKEND_BASE_URL)")
            else:
                detail = body.get("detail") if isinstance(body, dict) else None
                if isinstance(detail, str):  # the whole body follows the message: one line of it here
                    message += f": {detail if len(detail) <= 500 else detail[:500] + '…'}"
            if resp.status_code == 409 and "Idempotency-Key" not in (kwargs.get("headers") or {}):
                hint = "the backend refused this in the current state of the object; its detail above says why"
            raise BackendError(redact(message), method=method, url=url, status=resp.status_code,
                               request_body=redact(json_body), response_body=redact(body), hint=hint)
        return resp

    def _expect(self, resp: "requests.Response", method: str, path: str, what: str,
                keys: tuple[str, ...] = (), json_body: Any = None) -> Any:
        """The JSON body of a 2xx answer when it has the expected shape: an object (`keys` empty), or a
        list answer (`has_list`); else BackendError (exit 4) naming the content type. A 2xx that is an
        HTML page, invalid JSON or the wrong shape is an error, never an empty success."""
        try:
            body = loads_answer(resp.content)
        except NotJson:
            body = None
            found = f"{content_type_of(resp)} that is not JSON"
        else:
            if (has_list(body, *keys) if keys else isinstance(body, dict)):
                return body
            found = f"{content_type_of(resp)} holding a JSON {type(body).__name__ if body is not None else 'null'}"
        url = self.url(path)
        raise BackendError(
            redact(f"{method} {url} answered HTTP {resp.status_code} with {found}, not {what}"),
            method=method, url=url, status=resp.status_code, request_body=redact(json_body),
            response_body=redact(shown_body(body if body is not None else body_text(resp))),
            hint="this does not look like a Synth backend (a proxy or web server page?); check --backend")

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON object a route answers (BackendError when the 2xx answer is not one)."""
        resp = self._send(method, path, **kwargs)
        return self._expect(resp, method, path, "a JSON object", json_body=kwargs.get("json_body"))

    def _list(self, method: str, path: str, *keys: str, **kwargs: Any) -> list[Any]:
        """The list a list route answers, under one of `keys` or bare (BackendError when it is not one)."""
        resp = self._send(method, path, **kwargs)
        what = (f"an object with a {' or '.join(repr(k) for k in keys)} list" if keys else "a JSON list")
        return list_in(self._expect(resp, method, path, what, keys), *keys)

    # -- RL: verify_task_app, job creation ---------------------------------------------------

    def verify_task_app(self, task_url: str, *, policy: RetryPolicy | None = None) -> dict[str, Any]:
        """`POST /api/rl/verify_task_app`: ask the backend to reach the task app. Creates nothing: safe to retry."""
        return self._json("POST", "rl/verify_task_app", json_body={"endpoint_base_url": task_url},
                          safe_to_retry=True, timeout=TIMEOUT_JSON_POST, policy=policy)

    def create_rl_job(self, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """`POST /api/rl/jobs`: create an RL job. Always carries an Idempotency-Key, so retries create one job."""
        return _creation(self._send("POST", "rl/jobs", json_body=body, timeout=TIMEOUT_JSON_POST,
                                    headers={"Idempotency-Key": idempotency_key}))

    # -- files: upload, read, list ------------------------------------------------------------

    def upload_file(self, path: str | os.PathLike[str], *, purpose: str = "fine-tune",
                    idempotency_key: str | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    filename: str | None = None) -> dict[str, Any]:
        """`POST /api/files`: multipart upload streamed from disk (memory does not grow with the file)."""
        from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

        path = Path(path)
        name = filename or path.name
        opened: list[Any] = []

        def body() -> Any:
            for fh in opened:
                fh.close()
            opened.clear()
            fh = open(path, "rb")
            opened.append(fh)
            encoder = MultipartEncoder(fields={"purpose": purpose, "file": (name, fh, "application/jsonl")})
            if progress is None:
                return encoder
            return MultipartEncoderMonitor(encoder, lambda m: progress(m.bytes_read, m.len))

        # `request` passes this same dict on every attempt; each attempt's encoder has its own
        # boundary, so the factory sets the matching Content-Type just before the send.
        headers: dict[str, str] = {}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key

        def factory() -> Any:
            enc = body()
            headers["Content-Type"] = enc.content_type
            return enc

        try:
            return self._json("POST", "files", data_factory=factory, headers=headers,
                              timeout=TIMEOUT_UPLOAD, safe_to_retry=bool(idempotency_key))
        finally:
            for fh in opened:
                fh.close()

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        """`GET /api/files/{id}`: the file's record, or None when the backend does not know it (404)."""
        resp = self._send("GET", f"files/{_seg(file_id)}", allow=(404,), timeout=TIMEOUT_FILE_CHECK)
        return None if resp.status_code == 404 else self._expect(resp, "GET", f"files/{_seg(file_id)}", "a JSON object")

    def list_files(self, *, purpose: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """`GET /api/files`: the list is under `files`, `data` or `items`, or bare."""
        params = {k: v for k, v in {"purpose": purpose, "limit": limit}.items() if v is not None}
        return self._list("GET", "files", "files", "data", "items", params=params, timeout=TIMEOUT_FILE_CHECK)

    # -- SFT: job creation and start -----------------------------------------------------------

    def create_sft_job(self, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """`POST /api/learning/jobs`: create an SFT job (not started yet)."""
        return _creation(self._send("POST", "learning/jobs", json_body=body, timeout=TIMEOUT_JSON_POST,
                                    headers={"Idempotency-Key": idempotency_key}))

    def start_sft_job(self, job_id: str) -> dict[str, Any]:
        """`POST /api/learning/jobs/{id}/start`: start a created SFT job. Starting twice is harmless: retried."""
        return self._json("POST", f"learning/jobs/{_seg(job_id)}/start", json_body={},
                          timeout=TIMEOUT_JSON_POST, safe_to_retry=True)

    # -- jobs: read, events, metrics, timeline, list, cancel ----------------------------------

    def get_job(self, prefix: str, job_id: str, *, policy: RetryPolicy | None = None,
                timeout: Any = None) -> dict[str, Any] | None:
        """`GET /api/{rl|learning}/jobs/{id}`: the job; None on 404. `timeout` overrides the per-attempt one."""
        resp = self._send("GET", f"{prefix}/jobs/{_seg(job_id)}", allow=(404,), timeout=timeout or TIMEOUT_STREAM_GET,
                          policy=policy)
        if resp.status_code == 404:
            return None
        return self._expect(resp, "GET", f"{prefix}/jobs/{_seg(job_id)}", "a JSON object")

    def find_job(self, job_id: str, kind: str | None = None,
                 *, policy: RetryPolicy | None = None, timeout: Any = None) -> tuple[str, dict[str, Any]]:
        """The (prefix, job) of a job: RL on `rl` first then `learning`; SFT on `learning` only."""
        prefixes = ("learning",) if kind == "sft" else JOB_PREFIXES
        for prefix in prefixes:
            job = self.get_job(prefix, job_id, policy=policy, timeout=timeout)
            if job is not None:
                return prefix, job
        raise BackendError(f"job {job_id} was not found on the backend ({self.base_url})", status=404,
                           url=self.url(f"{prefixes[-1]}/jobs/{_seg(job_id)}"), method="GET",
                           hint="check the job id and --backend")

    def get_events(self, prefix: str, job_id: str, *, since_seq: int = 0, limit: int = 200,
                   policy: RetryPolicy | None = None, timeout: Any = None) -> list[dict[str, Any]]:
        """`GET /api/{rl|learning}/jobs/{id}/events`: events after `since_seq`."""
        return self._list("GET", f"{prefix}/jobs/{_seg(job_id)}/events", "events",
                          params={"since_seq": since_seq, "limit": limit},
                          timeout=timeout or TIMEOUT_STREAM_GET, policy=policy)

    def get_metrics(self, prefix: str, job_id: str, *, after_step: int = -1, limit: int = 200,
                    policy: RetryPolicy | None = None, timeout: Any = None) -> list[dict[str, Any]]:
        """`GET /api/{rl|learning}/jobs/{id}/metrics`: points after `after_step` (-1 keeps step 0)."""
        return self._list("GET", f"{prefix}/jobs/{_seg(job_id)}/metrics", "points",
                          params={"after_step": after_step, "limit": limit},
                          timeout=timeout or TIMEOUT_STREAM_GET, policy=policy)

    def get_timeline(self, prefix: str, job_id: str, *, policy: RetryPolicy | None = None,
                     timeout: Any = None) -> list[dict[str, Any]]:
        """`GET /api/{rl|learning}/jobs/{id}/timeline`: timeline phases."""
        return self._list("GET", f"{prefix}/jobs/{_seg(job_id)}/timeline", "events",
                          timeout=timeout or TIMEOUT_STREAM_GET, policy=policy)

    def open_event_stream(self, prefix: str, job_id: str, *, since_seq: int = 0,
                          policy: RetryPolicy | None = None, timeout: Any = None) -> "requests.Response | None":
        """`GET /api/{rl|learning}/jobs/{id}/events/stream`: the open Server-Sent Events response
        (events after `since_seq`, also sent as `Last-Event-ID`), or None when the backend does not
        offer the stream (404, 405, 406, 501, or an answer that is not `text/event-stream`).
        The caller reads it with `stream_events` and closes it."""
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if since_seq:
            headers["Last-Event-ID"] = str(since_seq)
        resp = self._send("GET", f"{prefix}/jobs/{_seg(job_id)}/events/stream", params={"since_seq": since_seq},
                          headers=headers, stream_body=True, allow=STREAM_NOT_OFFERED,
                          timeout=timeout or TIMEOUT_STREAM_GET, policy=policy)
        media = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if resp.status_code in STREAM_NOT_OFFERED or media != "text/event-stream":
            resp.close()
            return None
        return resp

    def list_jobs(self, *, status: str | None = None, job_type: str | None = None,
                  created_after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """`GET /api/learning/jobs`: jobs, newest first, filtered by status, type and creation time."""
        params = {k: v for k, v in {"status": status, "type": job_type, "created_after": created_after,
                                    "limit": limit}.items() if v is not None}
        return self._list("GET", "learning/jobs", "jobs", params=params, timeout=TIMEOUT_STREAM_GET)

    def cancel_job(self, prefix: str, job_id: str) -> dict[str, Any]:
        """`POST /api/{rl|learning}/jobs/{id}/cancel`. Cancelling twice is harmless, so it is retried."""
        return self._json("POST", f"{prefix}/jobs/{_seg(job_id)}/cancel", json_body={},
                          timeout=TIMEOUT_JSON_POST, safe_to_retry=True)

    # -- files, models and metrics beyond the streaming rows ---------------------------------

    def delete_file(self, file_id: str) -> dict[str, Any]:
        """`DELETE /api/files/{id}`. Deleting twice has the effect of deleting once, so it is retried
        (a retry after a lost answer may then see 404: the file is gone either way)."""
        resp = self._send("DELETE", f"files/{file_id}", timeout=TIMEOUT_FILE_CHECK, safe_to_retry=True)
        body = response_json(resp)
        return body if isinstance(body, dict) else {"id": file_id, "deleted": True}

    def list_models(self) -> list[dict[str, Any]] | None:
        """`GET /api/models`: what the backend trains; None when it offers no such route (404)."""
        resp = self._send("GET", "models", allow=(404,), timeout=TIMEOUT_FILE_CHECK)
        if resp.status_code == 404:
            return None
        return [m for m in list_in(response_json(resp), "models", "data", "items") if isinstance(m, dict)]

    def all_metrics(self, prefix: str, job_id: str, *, page: int = 1000) -> list[dict[str, Any]]:
        """Every metric point of a job, paging on the `after_step` cursor (a page never splits a step)."""
        points: list[dict[str, Any]] = []
        after = -1
        while True:
            batch = [p for p in self.get_metrics(prefix, job_id, after_step=after, limit=page) if isinstance(p, dict)]
            steps = [s for s in (p.get("step") for p in batch) if isinstance(s, int) and not isinstance(s, bool)]
            fresh = [p for p in batch if isinstance(p.get("step"), int) and p["step"] > after]
            points += fresh
            if len(batch) < page or not steps or max(steps) <= after:
                return points
            after = max(steps)


    # -- checkpoints (embedded backend with the torch trainer) ----------------------------------

    def list_checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        """The saved checkpoints of an SFT job, oldest first; the final model (id "final") last."""
        return list_in(self._json("GET", f"learning/jobs/{job_id}/checkpoints", timeout=TIMEOUT_STREAM_GET,
                                  safe_to_retry=True), "checkpoints")

    def checkpoint_files(self, job_id: str, checkpoint: str = "final", *,
                         adapter_only: bool = False) -> dict[str, Any]:
        """`{"format": "full"|"merged"|"adapter", "files": [{"path", "bytes"}]}` of one checkpoint."""
        return self._json("GET", f"learning/jobs/{job_id}/checkpoints/{checkpoint}/files",
                          params={"adapter_only": str(adapter_only).lower()}, timeout=TIMEOUT_STREAM_GET,
                          safe_to_retry=True)

    def download_checkpoint_file(self, job_id: str, checkpoint: str, path: str, dest: str | os.PathLike[str], *,
                                 adapter_only: bool = False, chunk: int = 1 << 20,
                                 progress: Callable[[int], None] | None = None) -> int:
        """Stream one file of a checkpoint to `dest` (memory does not grow with the file); bytes written."""
        from urllib.parse import quote

        resp = self._send("GET", f"learning/jobs/{job_id}/checkpoints/{checkpoint}/files/{quote(path)}",
                          params={"adapter_only": str(adapter_only).lower()}, stream_body=True,
                          timeout=TIMEOUT_UPLOAD, safe_to_retry=True)
        written = 0
        with resp, open(dest, "wb") as fh:
            for block in resp.iter_content(chunk_size=chunk):
                fh.write(block)
                written += len(block)
                if progress is not None:
                    progress(len(block))
        return written


def _creation(resp: "requests.Response") -> Any:
    """A creation answer; `idempotent_replayed: True` added when the backend says (`Idempotent-Replayed:
    true`) that it returned the object an earlier request with this Idempotency-Key created."""
    body = response_json(resp)
    if isinstance(body, dict) and resp.headers.get("Idempotent-Replayed", "").strip().lower() == "true":
        body = {**body, "idempotent_replayed": True}
    return body


def stream_events(resp: "requests.Response", on_chunk: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """The events of an open event stream, in order: each frame's `data:` JSON object (frames whose
    data is not a JSON object are skipped; a missing `seq` or `type` is taken from `id:` / `event:`).

    Frames are parsed by sseclient-py (multi-line data, CR/LF/CRLF, comments); the connection, its
    timeouts and what to do when it ends stay ours. `on_chunk` runs after each piece of the body,
    keep-alive comments included, so the caller gets control on an idle stream (it may raise to stop).
    A transport failure while reading becomes `EventStreamBroken` (what `on_chunk` raises passes through).
    """
    import requests
    import sseclient

    def chunks() -> Iterator[bytes]:
        unfinished = 0  # bytes since the last frame end (a frame split across chunks may overcount)
        for chunk in resp.iter_content(chunk_size=None):
            end = max(chunk.rfind(b"\n\n"), chunk.rfind(b"\r\r"), chunk.rfind(b"\r\n\r\n"))
            unfinished = len(chunk) - end if end >= 0 else unfinished + len(chunk)
            if unfinished > MAX_FRAME_BYTES:
                raise EventStreamBroken(f"GET {resp.url}: an event stream frame exceeds {MAX_FRAME_BYTES} bytes",
                                        method="GET", url=resp.url)
            yield chunk
            if on_chunk is not None:
                on_chunk()

    try:
        for message in sseclient.SSEClient(chunks()).events():
            try:
                event = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("seq") is None and message.id:
                event["seq"] = message.id
            if not event.get("type") and message.event and message.event != "message":
                event["type"] = message.event
            yield event
    except requests.RequestException as exc:
        raise EventStreamBroken(f"GET {resp.url}: the event stream broke ({describe_exception(exc)})",
                                method="GET", url=resp.url) from exc


def job_id_of(body: Any) -> str | None:
    """The job id of a creation answer: `job_id`, else `id`."""
    if isinstance(body, dict):
        value = body.get("job_id") or body.get("id")
        return str(value) if value else None
    return None

