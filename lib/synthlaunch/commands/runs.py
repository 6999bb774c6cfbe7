"""The `runs` (list) and `runs.show` commands: the local run ledger (`synthlaunch.ledger`), no network."""

from __future__ import annotations

from typing import Any, Mapping

from ..console import Output

RUN_HEADERS = ("job id", "name", "type", "status", "config", "sha256", "recorded", "loss", "reward", "model id")


def _row(entry: Any) -> list[str]:
    from ..jobinfo import LOSS_METRIC, REWARD_METRIC, metric_text
    from ..timefmt import utc_text

    return [entry.job_id, entry.name or "-", entry.type, entry.status, _short_path(entry.config_path),
            entry.config_sha256[:12] + "…", utc_text(entry.recorded_at) or "-",
            metric_text(entry.final_metrics.get(LOSS_METRIC)), metric_text(entry.final_metrics.get(REWARD_METRIC)),
            entry.model_id or "-"]


def _short_path(path: str) -> str:
    """The path relative to the current folder when it is below it, else as recorded (absolute)."""
    from pathlib import Path

    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def run_runs(out: Output, *, limit: Any = None, environ: Mapping[str, str] | None = None) -> int:
    """List the ledger's runs, newest first (`{"runs": [...]}` with --json)."""
    from ..flags import parse_int
    from ..ledger import ledger_dir, list_runs

    count = None if limit is None else parse_int(limit, "limit", minimum=1)
    entries = list_runs(environ)[:count]
    if out.json_mode:
        out.emit_json({"ledger": str(ledger_dir(environ)), "runs": [e.as_dict() for e in entries]})
    elif not entries:
        out.result(f"no runs recorded yet ({ledger_dir(environ)}); `train` records every job it creates")
    elif out.quiet:
        out.lines(e.job_id for e in entries)
    else:
        out.table([_row(e) for e in entries], RUN_HEADERS)
    return 0


def show_lines(entry: Any, kept: str) -> list[str]:
    from ..jobinfo import metric_text
    from ..timefmt import utc_text

    dirty = " (the config had uncommitted changes)" if entry.git_dirty else ""
    rows = [
        ("name", entry.name or "-"), ("type", entry.type), ("status", entry.status),
        ("config", entry.config_path), ("config sha256", entry.config_sha256), ("config kept", kept),
        ("overrides", ", ".join(entry.overrides) or "-"),
        ("git commit", (entry.git_commit or "- (not in a git repository)") + dirty),
        ("dataset", entry.dataset_path or "-"), ("dataset sha256", entry.dataset_sha256 or "-"),
        ("examples", str(entry.examples) if entry.examples else "all" if entry.type == "sft" else "-"),
        ("model", entry.model or "-"), ("backend", entry.backend),
        ("task url", entry.task_url or "-"), ("recorded", utc_text(entry.recorded_at) or "-"),
        ("duration", "-" if entry.duration is None else f"{entry.duration:.1f}s"),
        ("final metrics", "  ".join(f"{k}={metric_text(v)}" for k, v in entry.final_metrics.items()) or "-"),
        ("result model", entry.model_id or "-"),
    ]
    if entry.rerun_of:
        rows.append(("rerun of", entry.rerun_of))
    width = max(len(name) for name, _ in rows)
    return [f"run of job {entry.job_id}"] + [f"  {name.ljust(width)}  {value}" for name, value in rows]


def run_runs_show(out: Output, *, job_id: str, environ: Mapping[str, str] | None = None) -> int:
    """Which config and data produced this job, and how it ended (exit 2 when the ledger does not know it)."""
    from ..console import command_name
    from ..ledger import config_copy_path, ledger_dir, require_run

    entry = require_run(environ, str(job_id))
    kept = str(config_copy_path(ledger_dir(environ), entry.config_sha256))
    if out.json_mode:
        out.emit_json({**entry.as_dict(), "config_copy": kept})
        return 0
    out.lines(show_lines(entry, kept))
    out.info(f"submit it again, same config bytes and overrides: {command_name()} train --rerun {entry.job_id}")
    return 0
