"""The options of a `train` run (flags parsed and checked) and the record of one config's outcome."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..console import Output
from ..errors import EXIT_INTERRUPTED, EXIT_OK, Problem, UsageError
from ..flags import parse_choice, parse_float, parse_int
from ..jobtypes import TYPE_CHOICES
from ..render import STREAM_FORMATS
from ..settings import DEFAULTS


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
    poll_timeout: float = float(DEFAULTS["poll_timeout"])
    poll_interval: float = float(DEFAULTS["poll_interval"])
    stream_format: str = DEFAULTS["stream_format"]
    examples: int | None = None
    dry_run: bool = False
    yes: bool = False
    keep_going: bool = False
    allow_insecure_http: bool = False
    force_upload: bool = False
    cancel_on_interrupt: bool = False
    overrides: list[tuple[str, str]] = field(default_factory=list)  # --set KEY.PATH=VALUE, parsed, in order
    name: str | None = None  # --name: the run's name, sent in the job's metadata
    save_metrics: str | None = None  # --save-metrics DIR: every metric series written there at the end
    rerun: str | None = None  # --rerun JOB_ID: the ledger entry whose kept config is submitted again
    config_text: str | None = None  # the kept config text of a rerun (replaces the file's content)
    expect_dataset_sha256: str | None = None  # a rerun's recorded dataset: a changed file is refused
    #: where the run ledger lives (its SYNTHLAUNCH_STATE_DIR); None: `environ` (`inv demo` keeps its
    #: other state in a throwaway folder but records its runs in the user's ledger)
    ledger_environ: Mapping[str, str] | None = None
    strict: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @classmethod
    def from_flags(cls, *, configs: list[str], type_: str = "auto", env_files: list[str] | None = None,
                   task_url: str | None = None, dataset: str | None = None, backend: str | None = None,
                   model: str | None = None, allow_experimental: bool = False,
                   no_allow_experimental: bool = False, idempotency: str | None = None, poll: bool = True,
                   poll_timeout: Any = None, poll_interval: Any = None, stream_format: str | None = None,
                   examples: Any = None, dry_run: bool = False, yes: bool = False, keep_going: bool = False,
                   allow_insecure_http: bool = False, force_upload: bool = False,
                   cancel_on_interrupt: bool = False, set_: list[str] | None = None, name: str | None = None,
                   save_metrics: str | None = None, rerun: str | None = None, strict: bool = False,
                   environ: Mapping[str, str] | None = None,
                   ledger_environ: Mapping[str, str] | None = None) -> "TrainOptions":
        if allow_experimental and no_allow_experimental:
            raise UsageError("--allow-experimental and --no-allow-experimental contradict each other; pass one")
        if idempotency is not None and not str(idempotency).strip():
            raise UsageError("--idempotency must not be empty")
        if name is not None and not str(name).strip():
            raise UsageError("--name must not be empty")
        from ..config.overrides import parse_set

        overrides = [parse_set(text) for text in set_ or []]
        return cls(
            configs=list(configs), type_=parse_choice(type_ or "auto", "type", TYPE_CHOICES),
            env_files=list(env_files or []), task_url=task_url, dataset=dataset, backend=backend, model=model,
            allow_experimental=True if allow_experimental else False if no_allow_experimental else None,
            idempotency=idempotency, poll=poll,
            poll_timeout=parse_float(DEFAULTS["poll_timeout"] if poll_timeout is None else poll_timeout,
                                     "poll-timeout", positive=True),
            poll_interval=parse_float(DEFAULTS["poll_interval"] if poll_interval is None else poll_interval,
                                      "poll-interval", positive=True),
            stream_format=parse_choice(stream_format or DEFAULTS["stream_format"], "stream-format", STREAM_FORMATS),
            examples=None if examples is None else parse_int(examples, "examples", minimum=1),
            dry_run=dry_run, yes=yes, keep_going=keep_going, allow_insecure_http=allow_insecure_http,
            force_upload=force_upload, cancel_on_interrupt=cancel_on_interrupt, overrides=overrides,
            name=str(name).strip() if name is not None else None, save_metrics=save_metrics,
            rerun=str(rerun).strip() if rerun is not None else None, strict=strict,
            environ=os.environ if environ is None else environ, ledger_environ=ledger_environ,
        )

    @property
    def ledger_env(self) -> Mapping[str, str]:
        """The environment that locates the run ledger."""
        return self.environ if self.ledger_environ is None else self.ledger_environ

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
    model_id: str | None = None  # the resulting (fine-tuned) model of a succeeded job
    name: str | None = None  # the run's name (--name, else [job].name)
    overrides: list[tuple[str, str]] = field(default_factory=list)  # --set, as given
    last_reward: float | None = None
    requests: list[dict[str, Any]] | None = None
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        doc = {"config": self.config, "type": self.type, "job_id": self.job_id, "status": self.status,
               "duration": None if self.duration is None else round(self.duration, 3),
               "exit_code": self.exit_code, "message": self.message, "last_loss": self.last_loss,
               "model_id": self.model_id, "name": self.name,
               "overrides": [f"{k}={v}" for k, v in self.overrides],
               "last_reward": self.last_reward,
               "warnings": [w.as_dict() for w in self.warnings]}
        if self.errors:
            doc["errors"] = [e.as_dict() for e in self.errors]
        if self.requests is not None:
            doc["requests"] = self.requests
        return doc


def worst_exit_code(codes: list[int]) -> int:
    """The exit code of a multi-config run: interrupted beats everything, then the highest code."""
    if EXIT_INTERRUPTED in codes:
        return EXIT_INTERRUPTED
    return max(codes, default=EXIT_OK)
