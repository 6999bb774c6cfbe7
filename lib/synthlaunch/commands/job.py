"""The `job.show` command: one job's status, type, model, name, hyperparameters, times, duration,
final metrics, failure reason and resulting model id. The type is discovered as `stream` does."""

from __future__ import annotations

import os
from typing import Any

from ..clients import synth_client
from ..console import Output


def describe_job(client: Any, job_id: str, kind: str | None = None) -> dict[str, Any]:
    """The `job show` document of a job (its raw record under `job`)."""
    from .. import jobinfo
    from ..stream import kind_of, status_of

    prefix, job = client.find_job(job_id, kind)
    metrics = jobinfo.final_metrics(job)
    if not metrics:  # the backend does not summarise: read the series (paged on the step cursor)
        metrics = jobinfo.final_metrics(points=client.all_metrics(prefix, job_id))
    return {
        "job_id": job_id, "type": kind or kind_of(job, prefix), "status": status_of(job),
        "name": jobinfo.job_name(job), "model": jobinfo.job_model(job),
        "model_id": jobinfo.result_model_id(job), "created_at": job.get("created_at"),
        "started_at": job.get("started_at"), "finished_at": job.get("finished_at") or job.get("completed_at"),
        "duration": jobinfo.job_duration(job), "final_metrics": metrics,
        "hyperparameters": jobinfo.hyperparameters(job), "failure_reason": jobinfo.failure_reason(job),
        "job": job,
    }


def show_lines(doc: dict[str, Any]) -> list[str]:
    """The human form of a `job show` document: one `name  value` line per known field."""
    from ..jobinfo import metric_text
    from ..stream import TERMINAL_STATUSES
    from ..timefmt import utc_text

    hp = doc.get("hyperparameters") or {}
    rows = [
        ("name", doc.get("name") or "-"),
        ("model", doc.get("model") or "-"),
        ("result model", doc.get("model_id") or ("(when it succeeds)" if doc.get("status") not in TERMINAL_STATUSES
                                                 else "-")),
        ("created", utc_text(doc.get("created_at")) or "-"),
        ("started", utc_text(doc.get("started_at")) or "-"),
        ("finished", utc_text(doc.get("finished_at")) or "-"),
        ("duration", "-" if doc.get("duration") is None else f"{doc['duration']:.1f}s"),
        ("final metrics", "  ".join(f"{k}={metric_text(v)}" for k, v in (doc.get("final_metrics") or {}).items())
         or "-"),
        ("hyperparameters", ", ".join(f"{k}={v}" for k, v in hp.items() if not isinstance(v, dict)) or "-"),
    ]
    if doc.get("failure_reason"):
        rows.append(("failure", doc["failure_reason"]))
    width = max(len(name) for name, _ in rows)
    return [f"job {doc['job_id']} ({doc.get('type') or '?'}): {doc.get('status') or 'unknown'}"] + [
        f"  {name.ljust(width)}  {value}" for name, value in rows]


def run_job_show(out: Output, *, job_id: str, type_: str | None = None, backend: str | None = None,
                 env_files: list[str | os.PathLike[str]] | None = None, allow_insecure_http: bool = False) -> int:
    """Show one job (`{"job_id", "type", "status", …, "job": {raw}}` with --json). Exit 0, or 4 when unknown."""
    from .jobs import _job_type

    kind = _job_type(type_)
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    doc = describe_job(client, str(job_id), kind)
    if out.json_mode:
        out.emit_json(doc)
    elif out.quiet:
        out.result(f"{doc['job_id']} {doc.get('status') or 'unknown'} {doc.get('model_id') or '-'}")
    else:
        out.lines(show_lines(doc))
    return 0
