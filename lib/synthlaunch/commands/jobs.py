"""The `stream`, `jobs` and `cancel` commands: flags → credentials → client calls → output."""

from __future__ import annotations

from typing import Any

from ..clients import synth_client
from ..console import Output
from ..errors import BackendError
from ..flags import parse_choice, parse_float, parse_int
from ..jobtypes import JOB_STATUSES, JOB_TYPES
from ..render import STREAM_FORMATS
from ..settings import DEFAULTS


def _job_type(type_: Any) -> str | None:
    return None if type_ in (None, "", "auto") else parse_choice(type_, "type", JOB_TYPES)


def run_stream(out: Output, *, job_id: str, type_: str | None = None, backend: str | None = None,
               env_files: list[str] | None = None, poll_timeout: Any = None, poll_interval: Any = None,
               stream_format: str | None = None, cancel_on_interrupt: bool = False,
               allow_insecure_http: bool = False) -> int:
    """Reattach to a job and stream it to its end. Exit 0 succeeded, 1 failed/cancelled."""
    from ..render import make_renderer
    from ..stream import watch_job

    kind = _job_type(type_)
    timeout = parse_float(DEFAULTS["poll_timeout"] if poll_timeout is None else poll_timeout,
                          "poll-timeout", positive=True)
    interval = parse_float(DEFAULTS["poll_interval"] if poll_interval is None else poll_interval,
                           "poll-interval", positive=True)
    fmt = "json" if out.json_mode else parse_choice(stream_format or DEFAULTS["stream_format"], "stream-format",
                                                    STREAM_FORMATS)
    if fmt == "json":
        out.json_mode = True  # stdout holds only the NDJSON records; every human line goes to stderr
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    out.info(f"watching job {job_id} on {client.base_url} (Ctrl-C stops watching; the job keeps running"
             + (", --cancel-on-interrupt cancels it)" if cancel_on_interrupt else ")"))
    renderer = make_renderer(fmt, out, job_id=str(job_id), kind=kind)
    result = watch_job(client, str(job_id), kind=kind, renderer=renderer, poll_timeout=timeout,
                       poll_interval=interval, cancel_on_interrupt=cancel_on_interrupt)
    if result.model_id:
        from ..jobinfo import model_id_line

        out.result(model_id_line(result.model_id))
    return result.exit_code


def run_jobs(out: Output, *, status: str | None = None, type_: str | None = None, limit: Any = 20,
             created_after: str | None = None, backend: str | None = None,
             env_files: list[str] | None = None, allow_insecure_http: bool = False) -> int:
    """List jobs as a table (or `{"jobs": [...]}` with --json)."""
    from ..render.tables import JOB_COLUMNS, job_row

    job_type = _job_type(type_)
    status = None if status in (None, "") else parse_choice(status, "status", JOB_STATUSES)
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
    out.table([job_row(j) + _result_cells(j) for j in jobs], [name for name, _ in JOB_COLUMNS] + list(RESULT_COLUMNS))
    return 0


RESULT_COLUMNS = ("name", "duration", "loss", "reward")


def _result_cells(job: dict[str, Any]) -> list[str]:
    """The name, duration and final train.loss / train.reward of a listed job ("-" when unknown)."""
    from ..jobinfo import LOSS_METRIC, REWARD_METRIC, final_metrics, job_duration, job_name, metric_text

    metrics = final_metrics(job)
    duration = job_duration(job)
    return [job_name(job) or "-", "-" if duration is None else f"{duration:.1f}s",
            metric_text(metrics.get(LOSS_METRIC)), metric_text(metrics.get(REWARD_METRIC))]


def _nothing_to_cancel(out: Output, job_id: str, status: str | None) -> int:
    message = f"job {job_id} already {status}; nothing to cancel"
    if out.json_mode:
        out.emit_json({"job_id": job_id, "status": status, "previous_status": status, "cancelled": False,
                       "message": message})
    else:
        out.result(message)
    return 0


def run_cancel(out: Output, *, job_id: str, type_: str | None = None, backend: str | None = None,
               env_files: list[str] | None = None, allow_insecure_http: bool = False) -> int:
    """Cancel a job (found on `rl` or `learning`, or the path of --type)."""
    from ..stream import TERMINAL_STATUSES, status_of

    kind = _job_type(type_)
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    prefix, job = client.find_job(str(job_id), kind)
    before = status_of(job)
    if before in TERMINAL_STATUSES:  # nothing to send: the job is not running (exit 0, see the README)
        return _nothing_to_cancel(out, str(job_id), before)
    try:
        answer = client.cancel_job(prefix, str(job_id))
    except BackendError as exc:
        if exc.status != 409:
            raise
        # it ended between our look and the request: the backend says so with 409
        found = client.get_job(prefix, str(job_id))
        return _nothing_to_cancel(out, str(job_id), status_of(found) or "ended")
    after = status_of(answer) or "cancel requested"
    if out.json_mode:
        out.emit_json({"job_id": str(job_id), "status": after, "previous_status": before, "response": answer})
    else:
        out.result(f"job {job_id}: {after} (was {before or 'unknown'})")
    return 0
