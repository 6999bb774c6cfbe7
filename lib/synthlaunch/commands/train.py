"""The `train` command: every config in order (later ones skipped after a failure unless
--keep-going), each through `train.pipeline.run_one`, then the summary table and JSON document."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping

from ..console import Output
from ..errors import EXIT_INTERRUPTED, EXIT_OK, Problem, SynthlaunchError
from ..train.options import RunRecord, TrainOptions, worst_exit_code


def run_train(out: Output, *, configs: list[str], environ: Mapping[str, str] | None = None,
              **flags: Any) -> int:
    """Entry point of `inv train`: every config in order; later ones skipped after a failure."""
    from ..config import choose_configs

    opts = TrainOptions.from_flags(configs=configs, environ=environ, **flags).for_output(out)
    type_filter = None if opts.type_ == "auto" else opts.type_
    paths = choose_configs(out, opts.configs, type_filter)
    records: list[RunRecord] = []
    stop_reason: str | None = None
    for index, path in enumerate(paths):
        if stop_reason and not opts.keep_going:
            records.append(RunRecord(config=str(path), status="skipped", message=stop_reason, exit_code=EXIT_OK))
            continue
        if len(paths) > 1:
            out.info(f"== config {index + 1}/{len(paths)}: {path}")
        record = _run_one_reporting(out, Path(path), opts, index=index, total=len(paths))
        records.append(record)
        if record.exit_code == EXIT_INTERRUPTED:
            stop_reason = "skipped: interrupted"
            opts.keep_going = False
        elif record.exit_code:
            stop_reason = f"skipped: {path} failed (use --keep-going to run the rest)"
    _report(out, records, opts, many=len(paths) > 1)
    return worst_exit_code([r.exit_code for r in records])


def _run_one_reporting(out: Output, path: Path, opts: TrainOptions, *, index: int, total: int) -> RunRecord:
    """Run one config; an expected failure becomes a record (already shown to the user)."""
    from ..errors import ProblemsError
    from ..render.failure import show_failure

    record = RunRecord(config=str(path))
    started = time.monotonic()
    try:
        from ..train.pipeline import run_one

        run_one(out, path, opts, record, index=index, total=total)
    except SynthlaunchError as exc:
        if not exc.reported:  # on stderr; with --json the summary document carries it too
            show_failure(exc, out, document=False)
        record.exit_code = exc.exit_code
        record.status = record.status if record.job_id else "error"
        if isinstance(exc, ProblemsError):
            record.errors = list(exc.problems)
        record.type = record.type or getattr(exc, "config_type", None)  # known even for an invalid config
        record.message = exc.message.splitlines()[0] if exc.message else type(exc).__name__
    except KeyboardInterrupt:
        out.error("interrupted")
        record.exit_code = EXIT_INTERRUPTED
        record.status = record.status if record.job_id else "interrupted"
    if record.duration is None and record.job_id and opts.poll and not opts.dry_run:
        record.duration = time.monotonic() - started
    return record


def _report(out: Output, records: list[RunRecord], opts: TrainOptions, *, many: bool) -> None:
    """The summary table (several configs) and the JSON document."""
    if many and not out.json_mode:
        why = any(r.message for r in records)  # the reason column, when there is a reason to show
        rows = [(r.config, r.type or "-", r.job_id or "-", r.status,
                 "-" if r.duration is None else f"{r.duration:.1f}s", r.exit_code, *([r.message or ""] if why else []))
                for r in records]
        out.result("")
        out.table(rows, headers=["config", "type", "job id", "status", "duration", "exit", *(["why"] if why else [])])
    if out.json_mode:
        if opts.dry_run:
            out.emit_json({"configs": [_dry_run_doc(r) for r in records]})
        else:
            doc = {"type": "train.summary", "runs": [r.as_dict() for r in records],
                   "exit_code": worst_exit_code([r.exit_code for r in records])}
            out.emit_json(doc, ndjson=opts.poll)  # after NDJSON stream lines, the summary is one more line


def _dry_run_doc(record: RunRecord) -> dict[str, Any]:
    """The `inv train --dry-run --json` shape: validate's entry plus the requests."""
    errors = record.errors or ([Problem(record.message or "failed")] if record.exit_code else [])
    return {"path": record.config, "type": record.type, "ok": record.exit_code == EXIT_OK,
            "errors": [e.as_dict() for e in errors],
            "warnings": [w.as_dict() for w in record.warnings], "requests": record.requests or []}
