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
#: the preflight table fits this many columns (targets show their path: the hosts are on the line above)
TABLE_WIDTH = 100


def _latency(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _short(text: str, width: int = DETAIL_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or url


def preflight_table_rows(report: "PreflightReport", width: int = TABLE_WIDTH) -> list[list[Any]]:
    """One table row per check: check, target path, result, HTTP status, latency, detail shortened so
    that the table fits `width` columns (the full detail of a failure is printed below it)."""
    rows = []
    for row in report.rows:
        status = "-" if row.status is None else str(row.status)
        retries = f" (+{row.retries} retr{'y' if row.retries == 1 else 'ies'})" if row.retries else ""
        rows.append([row.check, _path(row.target), RESULT_MARK.get(row.result, row.result), status,
                     _latency(row.latency_ms) + retries, " ".join(row.detail.split())])
    # tabulate's "simple" format: each column at least its header + 2, two spaces between columns
    widths = [max([len(PREFLIGHT_HEADERS[i]) + 2] + [len(str(r[i])) for r in rows]) for i in range(5)]
    room = max(20, width - sum(w + 2 for w in widths))
    return [[*r[:5], _short(r[5], min(room, DETAIL_WIDTH))] for r in rows]


def render_preflight(out: Output, report: "PreflightReport") -> None:
    """The report as a table (100 columns) followed by the full diagnostic of each warning/failure, each
    said once: checks that failed for the same reason share one paragraph (human stream)."""
    out.table(preflight_table_rows(report), PREFLIGHT_HEADERS)
    said: dict[tuple[str, str, str | None], list[str]] = {}
    # a task app that nothing answers for: the backend's failing to reach it is the same cause, not news
    down = any(r.check.startswith("task_app.") and r.result == "fail" and r.status is None for r in report.rows)
    for row in report.rows:
        if row.result == "pass":
            continue
        if down and row.check.startswith("backend.") and row.result == "fail":
            said.setdefault((row.result, "the backend could not reach the task app either (same cause)", None),
                            []).append(row.check)
            continue
        said.setdefault((row.result, row.detail, row.hint), []).append(row.check)
    for (result, detail, hint), checks in said.items():
        out.write(f"\n{RESULT_MARK[result]} {', '.join(checks)}: {detail}")
        if hint:
            out.write(f"  what to do: {hint}")


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
