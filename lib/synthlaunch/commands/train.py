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
    if opts.rerun:
        _from_ledger(out, opts)
        paths = [Path(p) for p in opts.configs]
    else:
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


def _from_ledger(out: Output, opts: TrainOptions) -> None:
    """`--rerun JOB_ID`: the kept config bytes, overrides, name and flags of that run, checked unchanged."""
    from ..config.overrides import parse_set
    from ..errors import UsageError
    from ..ledger import kept_config, require_run

    clash = [flag for flag, given in (("--config", opts.configs), ("--set", opts.overrides), ("--model", opts.model),
                                      ("--dataset", opts.dataset), ("--examples", opts.examples)) if given]
    if clash:
        raise UsageError(f"--rerun submits exactly what the run ledger kept; drop {', '.join(clash)}",
                         hint="run `train --config …` for a changed run")
    entry = require_run(opts.ledger_env, opts.rerun or "")
    opts.config_text = kept_config(opts.ledger_env, entry)
    opts.configs = [entry.config_path]
    opts.overrides = [parse_set(text) for text in entry.overrides]
    opts.type_ = entry.type
    opts.name = opts.name or entry.name
    opts.model, opts.dataset, opts.examples = entry.model_flag, entry.dataset_flag, entry.examples
    opts.expect_dataset_sha256 = entry.dataset_sha256
    if entry.type == "rl" and not opts.task_url and entry.task_url:
        from ..config import parse_toml_text
        from ..config.schema import table_at

        written = table_at(parse_toml_text(opts.config_text, entry.config_path), "services.task_url")
        if not isinstance(written, str) or written.strip().rstrip("/") != entry.task_url.rstrip("/"):
            opts.task_url = entry.task_url  # it came from --task-url or TASK_APP_URL then: the same URL again
    out.info(f"rerun of job {entry.job_id}: config {entry.config_path} (sha256 {entry.config_sha256[:12]}…, "
             f"kept copy)" + (f", --set {', '.join(entry.overrides)}" if entry.overrides else ""))


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
            "name": record.name, "overrides": [f"{k}={v}" for k, v in record.overrides],
            "errors": [e.as_dict() for e in errors],
            "warnings": [w.as_dict() for w in record.warnings], "requests": record.requests or []}
