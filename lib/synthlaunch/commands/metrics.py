"""The `metrics` command: every metric series of a job as a table, CSV or JSON, and as a chart file."""

from __future__ import annotations

import os

from ..clients import synth_client
from ..console import Output

METRIC_FORMATS = ("table", "csv", "json")


def run_metrics(out: Output, *, job_id: str, type_: str | None = None, format_: str | None = None,
                plot: str | None = None, backend: str | None = None,
                env_files: list[str | os.PathLike[str]] | None = None, allow_insecure_http: bool = False) -> int:
    """Print the job's metrics (table by default; --format csv|json; --json = json) and draw --plot FILE."""
    from ..flags import parse_choice
    from ..metrics_export import metrics_csv, metrics_document, series
    from ..render.plot import check_plot_path, write_plot
    from .jobs import _job_type

    kind = _job_type(type_)
    fmt = "json" if out.json_mode else parse_choice(format_ or "table", "format", METRIC_FORMATS)
    target = check_plot_path(plot) if plot else None  # a bad name fails before any request
    if fmt == "csv":
        out.json_mode = True  # stdout holds only the CSV: every human line goes to stderr
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    prefix, _ = client.find_job(str(job_id), kind)
    points = client.all_metrics(prefix, str(job_id))
    if target is not None:
        write_plot(points, target, title=f"job {job_id}")
        out.info(f"chart written: {target}")
    if fmt == "csv":
        out.write(metrics_csv(points), stream=out.stdout, end="")
    elif fmt == "json":
        doc = metrics_document(str(job_id), points)
        if target is not None:
            doc["plot"] = str(target)
        out.emit_json(doc)
    elif not points:
        out.result(f"job {job_id} has no metric points yet")
    elif not out.quiet or target is None:
        rows = [[name, len(values), values[0][1], values[-1][1], min(v for _, v in values),
                 max(v for _, v in values), values[-1][0]] for name, values in series(points).items()]
        out.table(rows, ("metric", "points", "first", "last", "min", "max", "last step"))
    return 0
