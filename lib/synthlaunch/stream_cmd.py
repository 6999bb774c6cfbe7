"""`inv stream`, `inv jobs`, `inv cancel`: flags → credentials → one client call → output."""

from __future__ import annotations

from typing import Any

from .env import synth_client
from .flags import parse_choice, parse_float, parse_int
from .console import Output
from .stream import STREAM_FORMATS

JOB_TYPES = ("rl", "sft")


def _job_type(type_: Any) -> str | None:
    return None if type_ in (None, "", "auto") else parse_choice(type_, "type", JOB_TYPES)


def run_stream(out: Output, *, job_id: str, type_: str | None = None, backend: str | None = None,
               env_files: list[str] | None = None, poll_timeout: Any = 3600, poll_interval: Any = 5,
               stream_format: str = "cli", cancel_on_interrupt: bool = False,
               allow_insecure_http: bool = False) -> int:
    """Reattach to a job and stream it to its end. Exit 0 succeeded, 1 failed/cancelled."""
    from .stream import watch_job

    kind = _job_type(type_)
    timeout = parse_float(poll_timeout, "poll-timeout", positive=True)
    interval = parse_float(poll_interval, "poll-interval", positive=True)
    fmt = "json" if out.json_mode else parse_choice(stream_format or "cli", "stream-format", STREAM_FORMATS)
    if fmt == "json":
        out.json_mode = True  # stdout holds only the NDJSON records; every human line goes to stderr
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    out.info(f"watching job {job_id} on {client.base_url} (Ctrl-C stops watching; the job keeps running"
             + (", --cancel-on-interrupt cancels it)" if cancel_on_interrupt else ")"))
    result = watch_job(client, str(job_id), kind=kind, out=out, stream_format=fmt, poll_timeout=timeout,
                       poll_interval=interval, cancel_on_interrupt=cancel_on_interrupt)
    return result.exit_code


JOB_COLUMNS = (("id", ("job_id", "id")), ("type", ("job_type", "type", "training_type")),
               ("status", ("status", "state")), ("model", ("model", "base_model")),
               ("created", ("created_at",)))


def short_time(value: Any) -> str:
    """`2026-01-02T03:04:05.678Z` → `2026-01-02 03:04:05` (other text unchanged)."""
    text = str(value)
    if len(text) >= 19 and text[10] == "T":
        return text[:10] + " " + text[11:19]
    return text


def job_row(job: dict[str, Any]) -> list[str]:
    """A table row of a job record: the first present field of each column."""
    row = []
    for name, keys in JOB_COLUMNS:
        value = next((job.get(k) for k in keys if job.get(k) not in (None, "")), "")
        if not value and name == "model" and isinstance(job.get("data"), dict):
            value = job["data"].get("model") or job["data"].get("base_model") or ""
        row.append(short_time(value) if name == "created" else str(value))
    return row


def run_jobs(out: Output, *, status: str | None = None, type_: str | None = None, limit: Any = 20,
             created_after: str | None = None, backend: str | None = None,
             env_files: list[str] | None = None, allow_insecure_http: bool = False) -> int:
    """List jobs as a table (or `{"jobs": [...]}` with --json)."""
    job_type = _job_type(type_)
    count = parse_int(limit, "limit", minimum=1)
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    jobs = [j for j in client.list_jobs(status=status, job_type=job_type, created_after=created_after,
                                        limit=count) if isinstance(j, dict)]
    if out.json_mode:
        out.emit_json({"jobs": jobs})
        return 0
    if not jobs:
        out.result("no jobs" + (" matching the filters" if status or job_type or created_after else ""))
        return 0
    out.table([job_row(j) for j in jobs], [name for name, _ in JOB_COLUMNS])
    return 0


def run_cancel(out: Output, *, job_id: str, type_: str | None = None, backend: str | None = None,
               env_files: list[str] | None = None, allow_insecure_http: bool = False) -> int:
    """Cancel a job (found on `rl` or `learning`, or the path of --type)."""
    from .stream import TERMINAL_STATUSES, status_of

    kind = _job_type(type_)
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    prefix, job = client.find_job(str(job_id), kind)
    before = status_of(job)
    if before in TERMINAL_STATUSES:
        out.warn(f"job {job_id} already ended ({before}); asking the backend to cancel anyway")
    answer = client.cancel_job(prefix, str(job_id))
    after = status_of(answer) or "cancel requested"
    if out.json_mode:
        out.emit_json({"job_id": str(job_id), "status": after, "previous_status": before, "response": answer})
    else:
        out.result(f"job {job_id}: {after} (was {before or 'unknown'})")
    return 0
