"""Reports as tables (tabulate) for people; their JSON form is each report's `as_dict()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..console import Output, printable
from ..timefmt import utc_text

if TYPE_CHECKING:  # pragma: no cover
    from ..preflight import PreflightReport

PREFLIGHT_HEADERS = ("check", "target", "result", "HTTP", "latency", "detail")
RESULT_MARK = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}
DETAIL_WIDTH = 70


def _latency(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _short(text: str, width: int = DETAIL_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def preflight_table_rows(report: "PreflightReport") -> list[list[Any]]:
    """One table row per check: check, target, result, HTTP status, latency, shortened detail."""
    rows = []
    for row in report.rows:
        status = "-" if row.status is None else str(row.status)
        retries = f" (+{row.retries} retr{'y' if row.retries == 1 else 'ies'})" if row.retries else ""
        rows.append([row.check, row.target, RESULT_MARK.get(row.result, row.result), status,
                     _latency(row.latency_ms) + retries, _short(row.detail)])
    return rows


def render_preflight(out: Output, report: "PreflightReport") -> None:
    """The report as a table followed by the full diagnostic of each warning/failure (human stream)."""
    out.table(preflight_table_rows(report), PREFLIGHT_HEADERS)
    for row in report.rows:
        if row.result == "pass":
            continue
        out.write(f"\n{RESULT_MARK[row.result]} {row.check}: {row.detail}")
        if row.hint:
            out.write(f"  what to do: {row.hint}")


JOB_COLUMNS = (("id", ("job_id", "id")), ("type", ("job_type", "type", "training_type")),
               ("status", ("status", "state")), ("model", ("model", "base_model")),
               ("created", ("created_at",)))


def job_row(job: dict[str, Any]) -> list[str]:
    """A table row of a job record: the first present field of each column (times in UTC)."""
    row = []
    for name, keys in JOB_COLUMNS:
        value = next((job.get(k) for k in keys if job.get(k) not in (None, "")), "")
        if not value and name == "model" and isinstance(job.get("data"), dict):
            value = job["data"].get("model") or job["data"].get("base_model") or ""
        row.append(printable(utc_text(value) if name == "created" else value, one_line=True))
    return row
