"""`inv train`: one config, or several in order — validate, env, preflight/upload, create, stream.

This module wires the library together; it owns no HTTP, no terminal drawing and no parsing:
config → `synthlaunch.config`, credentials → `synthlaunch.env`, RL checks → `synthlaunch.preflight`,
datasets → `synthlaunch.dataset` / `synthlaunch.upload`, creation → `synthlaunch.submit`,
watching → `synthlaunch.stream`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import EXIT_INTERRUPTED, EXIT_OK, Problem, SynthlaunchError, UsageError
from .flags import parse_choice, parse_float, parse_int
from .config.loaded import TYPE_CHOICES
from .console import Output
from .stream import STREAM_FORMATS
from .validate import problem_dict  # the same error/warning shape as `inv validate --json`


@dataclass
class TrainOptions:
    """The flags of `inv train`, parsed and checked for consistency."""

    configs: list[str]
    type_: str = "auto"
    env_files: list[str] = field(default_factory=list)
    task_url: str | None = None
    dataset: str | None = None
    backend: str | None = None
    model: str | None = None
    allow_experimental: bool | None = None
    idempotency: str | None = None
    poll: bool = True
    poll_timeout: float = 3600.0
    poll_interval: float = 5.0
    stream_format: str = "cli"
    examples: int | None = None
    dry_run: bool = False
    yes: bool = False
    keep_going: bool = False
    allow_insecure_http: bool = False
    force_upload: bool = False
    cancel_on_interrupt: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @classmethod
    def from_flags(cls, *, configs: list[str], type_: str = "auto", env_files: list[str] | None = None,
                   task_url: str | None = None, dataset: str | None = None, backend: str | None = None,
                   model: str | None = None, allow_experimental: bool = False,
                   no_allow_experimental: bool = False, idempotency: str | None = None, poll: bool = True,
                   poll_timeout: Any = 3600, poll_interval: Any = 5, stream_format: str | None = "cli",
                   examples: Any = None, dry_run: bool = False, yes: bool = False, keep_going: bool = False,
                   allow_insecure_http: bool = False, force_upload: bool = False,
                   cancel_on_interrupt: bool = False, environ: Mapping[str, str] | None = None) -> "TrainOptions":
        if allow_experimental and no_allow_experimental:
            raise UsageError("--allow-experimental and --no-allow-experimental contradict each other; pass one")
        if idempotency is not None and not str(idempotency).strip():
            raise UsageError("--idempotency must not be empty")
        return cls(
            configs=list(configs), type_=parse_choice(type_ or "auto", "type", TYPE_CHOICES),
            env_files=list(env_files or []), task_url=task_url, dataset=dataset, backend=backend, model=model,
            allow_experimental=True if allow_experimental else False if no_allow_experimental else None,
            idempotency=idempotency, poll=poll,
            poll_timeout=parse_float(poll_timeout, "poll-timeout", positive=True),
            poll_interval=parse_float(poll_interval, "poll-interval", positive=True),
            stream_format=parse_choice(stream_format or "cli", "stream-format", STREAM_FORMATS),
            examples=None if examples is None else parse_int(examples, "examples", minimum=1),
            dry_run=dry_run, yes=yes, keep_going=keep_going, allow_insecure_http=allow_insecure_http,
            force_upload=force_upload, cancel_on_interrupt=cancel_on_interrupt,
            environ=os.environ if environ is None else environ,
        )

    def for_output(self, out: Output) -> "TrainOptions":
        """With --json and polling, streams are NDJSON whatever --stream-format said."""
        if out.json_mode and self.poll:
            self.stream_format = "json"
        return self

    def idempotency_for(self, index: int, total: int) -> str | None:
        """The user's key for config number `index`: as given for one config, suffixed with several."""
        if self.idempotency is None or total == 1:
            return self.idempotency
        return f"{self.idempotency}-{index + 1}"


@dataclass
class RunRecord:
    """What happened to one config (a row of the summary table and of the JSON output)."""

    config: str
    type: str | None = None
    job_id: str | None = None
    status: str = "not run"
    duration: float | None = None
    exit_code: int = EXIT_OK
    message: str | None = None
    last_loss: float | None = None
    requests: list[dict[str, Any]] | None = None
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        doc = {"config": self.config, "type": self.type, "job_id": self.job_id, "status": self.status,
               "duration": None if self.duration is None else round(self.duration, 3),
               "exit_code": self.exit_code, "message": self.message, "last_loss": self.last_loss,
               "warnings": [problem_dict(w) for w in self.warnings]}
        if self.errors:
            doc["errors"] = [problem_dict(e) for e in self.errors]
        if self.requests is not None:
            doc["requests"] = self.requests
        return doc


def worst_exit_code(codes: list[int]) -> int:
    """The exit code of a multi-config run: interrupted beats everything, then the highest code."""
    if EXIT_INTERRUPTED in codes:
        return EXIT_INTERRUPTED
    return max(codes, default=EXIT_OK)


def run_train(out: Output, *, configs: list[str], environ: Mapping[str, str] | None = None,
              **flags: Any) -> int:
    """Entry point of `inv train`: every config in order; later ones skipped after a failure."""
    from .config import choose_configs

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
    from .errors import ProblemsError
    from .render.failure import show_failure

    record = RunRecord(config=str(path))
    started = time.monotonic()
    try:
        from .submit import run_one

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
        rows = [(r.config, r.type or "-", r.job_id or "-", r.status,
                 "-" if r.duration is None else f"{r.duration:.1f}s", r.exit_code) for r in records]
        out.result("")
        out.table(rows, headers=["config", "type", "job id", "status", "duration", "exit"])
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
            "errors": [problem_dict(e) for e in errors],
            "warnings": [problem_dict(w) for w in record.warnings], "requests": record.requests or []}
