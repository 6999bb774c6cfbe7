"""`inv validate`: configs and the datasets they name, with no network. Exit 0 all valid, 2 otherwise.

`--json` prints one document (stable shape):

    {"configs": [{"path": str, "type": "rl" | "sft" | null, "ok": bool,
                  "errors":   [{"message": str, "key": str | null, "line": int | null}],
                  "warnings": [{"message": str, "key": str | null, "line": int | null}]}]}

`message` is the full located text (`path:line: [section].key: what is wrong (what is expected)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EXIT_INVALID_INPUT, EXIT_OK, ConfigError, DatasetError, Problem
from .console import Output


def problem_dict(problem: Problem) -> dict[str, Any]:
    """The JSON shape of one error or warning."""
    return {"message": str(problem), "key": problem.key, "line": problem.line}


@dataclass
class ConfigReport:
    """The validation result of one config (one entry of the `--json` document)."""

    path: str
    type: str | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "ok": self.ok,
                "errors": [problem_dict(p) for p in self.errors],
                "warnings": [problem_dict(p) for p in self.warnings]}


def check_dataset(path: Path, *, examples: int | None = None) -> list[Problem]:
    """The problems of one dataset file (its first `examples` lines with --examples); [] when valid."""
    from .dataset import validate_dataset

    try:
        validate_dataset(path, limit=examples)
    except DatasetError as exc:
        problems = list(exc.problems) or [Problem(exc.message, path=str(path))]
        if exc.more:
            problems.append(Problem(f"... and {exc.more} more problem(s)", path=str(path)))
        return problems
    return []


def validate_one(path: Path, *, type_: str = "auto", dataset: str | None = None, model: str | None = None,
                 allow_experimental: bool | None = None, examples: int | None = None,
                 env: Any = None) -> ConfigReport:
    """Validate one config and the datasets it names; never raises for an invalid input."""
    import os

    from .config import build_sft_body, load_and_validate

    report = ConfigReport(path=str(path))
    try:
        cfg = load_and_validate(path, type_override=type_, model=model, dataset=dataset,
                                allow_experimental=allow_experimental, env=os.environ if env is None else env)
    except ConfigError as exc:
        report.type = getattr(exc, "config_type", None)
        report.errors = list(exc.problems)
        report.warnings = list(getattr(exc, "warnings", []))
        return report
    report.type = cfg.type
    report.warnings = list(cfg.warnings)
    if cfg.type == "sft":
        _, dropped = build_sft_body(cfg, training_file_id=None, model=model)
        report.warnings += dropped
        for dataset_path, limit in ((cfg.dataset_path, examples), (cfg.validation_path, None)):
            if dataset_path is not None:
                report.errors += check_dataset(dataset_path, examples=limit)
    elif examples is not None:
        report.warnings.append(Problem("--examples applies to SFT configs only; ignored for this RL config",
                                       path=str(path)))
    return report


def _tri_state(allow: bool, forbid: bool) -> bool | None:
    """True/False from the flags, else None (follow SDK_EXPERIMENTAL); both at once is a usage error."""
    if allow and forbid:
        from .errors import UsageError

        raise UsageError("--allow-experimental and --no-allow-experimental contradict each other; pass one")
    return False if forbid else True if allow else None


def run_validate(out: Output, configs: list[str] | None = None, type_: str = "auto", dataset: str | None = None,
                 model: str | None = None, allow_experimental: bool = False, no_allow_experimental: bool = False,
                 examples: Any = None) -> int:
    """Entry point of `inv validate`."""
    from .config import choose_configs
    from .config.loaded import TYPE_CHOICES
    from .flags import parse_choice, parse_int

    type_ = parse_choice(type_ or "auto", "type", TYPE_CHOICES)
    count = parse_int(examples, "examples", minimum=1) if examples is not None else None
    paths = choose_configs(out, list(configs or []), type_)
    reports = [validate_one(p, type_=type_, dataset=dataset, model=model, examples=count,
                            allow_experimental=_tri_state(allow_experimental, no_allow_experimental))
               for p in paths]
    for report in reports:
        _show(out, report)
    if out.json_mode:
        out.emit_json({"configs": [r.as_dict() for r in reports]})
    bad = sum(not r.ok for r in reports)
    if len(reports) > 1:
        out.result(f"{len(reports) - bad} of {len(reports)} config(s) valid")
    return EXIT_OK if not bad else EXIT_INVALID_INPUT


def _show(out: Output, report: ConfigReport) -> None:
    kind = report.type.upper() if report.type else "unknown type"
    for warning in report.warnings:
        out.warn(str(warning))
    if report.ok:
        out.result(f"ok: {report.path} ({kind})")
        return
    out.error(f"{report.path} ({kind}): {len(report.errors)} problem(s):")
    for problem in report.errors:
        out.write(f"  {problem}", stream=out.stderr)
