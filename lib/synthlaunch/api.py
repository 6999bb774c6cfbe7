"""SynthClient: one method per backend route of the wire contract (docs/wire-contract.md).

Knows HTTP and the contract, not the terminal, and reads no environment variable: every value
(base URL, key, user and organisation ids) is given to it. Non-2xx answers become `BackendError` (method, URL,
status, redacted request body, response body, hint); transport failures after the retry policy
gave up become `BackendUnreachable`.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import BackendError, BackendUnreachable
from .http import DEFAULT_POLICY, RetryHook, RetryPolicy, describe_exception, make_session, request
from .redact import redact, register_secret

if TYPE_CHECKING:  # pragma: no cover
    import requests

# Reference timeouts (seconds): (connect, read)
TIMEOUT_JSON_POST = (10, 60)
TIMEOUT_UPLOAD = (10, 300)
TIMEOUT_FILE_CHECK = (10, 30)
TIMEOUT_STREAM_GET = (10, 60)

JOB_PREFIXES = ("rl", "learning")
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


def response_json(resp: "requests.Response") -> Any:
    """The parsed JSON body, or the text when it is not JSON."""
    try:
        return resp.json()
    except ValueError:
        return resp.text


def list_in(body: Any, *keys: str) -> list[Any]:
    """The list a list endpoint answered: under the first of `keys` holding one, or the bare body; else []."""
    if isinstance(body, dict):
        return next((body[key] for key in keys if isinstance(body.get(key), list)), [])
    return body if isinstance(body, list) else []


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
        except requests.RequestException as exc:
            reason = describe_exception(exc)
            raise BackendUnreachable(
                f"{method} {url}: {reason}", method=method, url=url,
                request_body=redact(json_body),
                hint="check --backend (BACKEND_BASE_URL) and that the backend is running"
                     + (" (e.g. `inv local.backend`)" if "127.0.0.1" in url or "localhost" in url else ""),
            ) from exc
        ok = resp.status_code in expect if expect else 200 <= resp.status_code < 300
        if not ok and resp.status_code not in allow:
            body = response_json(resp)
            detail = body.get("detail") if isinstance(body, dict) else None
            message = f"{method} {url} answered HTTP {resp.status_code}"
            if isinstance(detail, str):
                message += f": {detail}"
            raise BackendError(redact(message), method=method, url=url, status=resp.status_code,
                               request_body=redact(json_body), response_body=redact(body),
                               hint=hint_for_status(resp.status_code, body))
        return resp

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return response_json(self._send(method, path, **kwargs))

    # -- RL: verify_task_app, job creation ---------------------------------------------------

    def verify_task_app(self, task_url: str, *, policy: RetryPolicy | None = None) -> dict[str, Any]:
        """`POST /api/rl/verify_task_app`: ask the backend to reach the task app. Creates nothing: safe to retry."""
        return self._json("POST", "rl/verify_task_app", json_body={"endpoint_base_url": task_url},
                          safe_to_retry=True, timeout=TIMEOUT_JSON_POST, policy=policy)

    def create_rl_job(self, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """`POST /api/rl/jobs`: create an RL job. Always carries an Idempotency-Key, so retries create one job."""
        return self._json("POST", "rl/jobs", json_body=body, timeout=TIMEOUT_JSON_POST,
                          headers={"Idempotency-Key": idempotency_key})

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
        resp = self._send("GET", f"files/{file_id}", allow=(404,), timeout=TIMEOUT_FILE_CHECK)
        return None if resp.status_code == 404 else response_json(resp)

    def list_files(self, *, purpose: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """`GET /api/files`: the list is under `files`, `data` or `items`, or bare."""
        params = {k: v for k, v in {"purpose": purpose, "limit": limit}.items() if v is not None}
        return list_in(self._json("GET", "files", params=params, timeout=TIMEOUT_FILE_CHECK),
                       "files", "data", "items")

    # -- SFT: job creation and start -----------------------------------------------------------

    def create_sft_job(self, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """`POST /api/learning/jobs`: create an SFT job (not started yet)."""
        return self._json("POST", "learning/jobs", json_body=body, timeout=TIMEOUT_JSON_POST,
                          headers={"Idempotency-Key": idempotency_key})

    def start_sft_job(self, job_id: str) -> dict[str, Any]:
        """`POST /api/learning/jobs/{id}/start`: start a created SFT job. Starting twice is harmless: retried."""
        return self._json("POST", f"learning/jobs/{job_id}/start", json_body={},
                          timeout=TIMEOUT_JSON_POST, safe_to_retry=True)

    # -- jobs: read, events, metrics, timeline, list, cancel ----------------------------------

    def get_job(self, prefix: str, job_id: str, *, policy: RetryPolicy | None = None,
                timeout: Any = None) -> dict[str, Any] | None:
        """`GET /api/{rl|learning}/jobs/{id}`: the job; None on 404. `timeout` overrides the per-attempt one."""
        resp = self._send("GET", f"{prefix}/jobs/{job_id}", allow=(404,), timeout=timeout or TIMEOUT_STREAM_GET,
                          policy=policy)
        return None if resp.status_code == 404 else response_json(resp)

    def find_job(self, job_id: str, kind: str | None = None,
                 *, policy: RetryPolicy | None = None, timeout: Any = None) -> tuple[str, dict[str, Any]]:
        """The (prefix, job) of a job: RL on `rl` first then `learning`; SFT on `learning` only."""
        prefixes = ("learning",) if kind == "sft" else JOB_PREFIXES
        for prefix in prefixes:
            job = self.get_job(prefix, job_id, policy=policy, timeout=timeout)
            if job is not None:
                return prefix, job
        raise BackendError(f"job {job_id} was not found on the backend ({self.base_url})", status=404,
                           url=self.url(f"{prefixes[-1]}/jobs/{job_id}"), method="GET",
                           hint="check the job id and --backend")

    def get_events(self, prefix: str, job_id: str, *, since_seq: int = 0, limit: int = 200,
                   policy: RetryPolicy | None = None, timeout: Any = None) -> list[dict[str, Any]]:
        """`GET /api/{rl|learning}/jobs/{id}/events`: events after `since_seq`."""
        return list_in(self._json("GET", f"{prefix}/jobs/{job_id}/events",
                                  params={"since_seq": since_seq, "limit": limit},
                                  timeout=timeout or TIMEOUT_STREAM_GET, policy=policy), "events")

    def get_metrics(self, prefix: str, job_id: str, *, after_step: int = -1, limit: int = 200,
                    policy: RetryPolicy | None = None, timeout: Any = None) -> list[dict[str, Any]]:
        """`GET /api/{rl|learning}/jobs/{id}/metrics`: points after `after_step` (-1 keeps step 0)."""
        return list_in(self._json("GET", f"{prefix}/jobs/{job_id}/metrics",
                                  params={"after_step": after_step, "limit": limit},
                                  timeout=timeout or TIMEOUT_STREAM_GET, policy=policy), "points")

    def get_timeline(self, prefix: str, job_id: str, *, policy: RetryPolicy | None = None,
                     timeout: Any = None) -> list[dict[str, Any]]:
        """`GET /api/{rl|learning}/jobs/{id}/timeline`: timeline phases."""
        return list_in(self._json("GET", f"{prefix}/jobs/{job_id}/timeline",
                                  timeout=timeout or TIMEOUT_STREAM_GET, policy=policy), "events")

    def list_jobs(self, *, status: str | None = None, job_type: str | None = None,
                  created_after: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """`GET /api/learning/jobs`: jobs, newest first, filtered by status, type and creation time."""
        params = {k: v for k, v in {"status": status, "type": job_type, "created_after": created_after,
                                    "limit": limit}.items() if v is not None}
        return list_in(self._json("GET", "learning/jobs", params=params, timeout=TIMEOUT_STREAM_GET), "jobs")

    def cancel_job(self, prefix: str, job_id: str) -> dict[str, Any]:
        """`POST /api/{rl|learning}/jobs/{id}/cancel`. Cancelling twice is harmless, so it is retried."""
        return self._json("POST", f"{prefix}/jobs/{job_id}/cancel", json_body={},
                          timeout=TIMEOUT_JSON_POST, safe_to_retry=True)

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
                          params={"adapter_only": str(adapter_only).lower()}, stream=True,
                          timeout=TIMEOUT_UPLOAD, safe_to_retry=True)
        written = 0
        with resp, open(dest, "wb") as fh:
            for block in resp.iter_content(chunk_size=chunk):
                fh.write(block)
                written += len(block)
                if progress is not None:
                    progress(len(block))
        return written


def job_id_of(body: Any) -> str | None:
    """The job id of a creation answer: `job_id`, else `id`."""
    if isinstance(body, dict):
        value = body.get("job_id") or body.get("id")
        return str(value) if value else None
    return None

