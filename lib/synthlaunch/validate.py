"""Validation of configs and the datasets they name, with no network (the `validate` command's library).

The `--json` document of `validate` (stable shape):

    {"configs": [{"path": str, "type": "rl" | "sft" | "prompt_learning" | null, "ok": bool,
                  "errors":   [{"message": str, "key": str | null, "line": int | null}],
                  "warnings": [{"message": str, "key": str | null, "line": int | null}]}]}

`message` is the full located text (`path:line: [section].key: what is wrong (what is expected)`);
each entry is `Problem.as_dict()` (which adds `path`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, DatasetError, Problem


@dataclass
class ConfigReport:
    """The validation result of one config (one entry of the `--json` document)."""

    path: str
    type: str | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)  # --set KEY.PATH=VALUE, as applied

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "ok": self.ok,
                "errors": [p.as_dict() for p in self.errors],
                "warnings": [p.as_dict() for p in self.warnings],
                **({"overrides": self.overrides} if self.overrides else {})}


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


def _content(report: ConfigReport, path: Path, limit: int | None, *, strict: bool) -> None:
    """Dubious dataset lines (role `usr`, no assistant turn, empty reply; warnings, errors with --strict)
    and an `--examples` larger than the dataset."""
    from .dataset import content_warnings, validate_dataset

    dubious = content_warnings(path, limit=limit)
    (report.errors if strict else report.warnings).extend(dubious)
    if limit is not None:
        count = validate_dataset(path, limit=limit).examples
        if count < limit:
            report.warnings.append(Problem(f"--examples {limit}, but the dataset has only {count} example(s): "
                                           f"all {count} are used", path=str(path)))


def validate_one(path: Path, *, type_: str = "auto", dataset: str | None = None, model: str | None = None,
                 allow_experimental: bool | None = None, examples: int | None = None,
                 env: Any = None, overrides: Any = (), strict: bool = False) -> ConfigReport:
    """Validate one config and the datasets it names; never raises for an invalid input."""
    import os

    from .config import build_sft_body, load_and_validate

    report = ConfigReport(path=str(path), overrides=[f"{k}={v}" for k, v in overrides])
    try:
        cfg = load_and_validate(path, type_override=type_, model=model, dataset=dataset,
                                allow_experimental=allow_experimental, env=os.environ if env is None else env,
                                overrides=overrides, strict=strict)
    except ConfigError as exc:
        report.type = getattr(exc, "config_type", None)
        report.errors = list(exc.problems)
        report.warnings = list(getattr(exc, "warnings", []))
        return report
    report.type = cfg.type
    report.warnings = list(cfg.warnings)
    if cfg.type == "sft":
        _, dropped = build_sft_body(cfg, training_file_id=None, model=model)
        said = {w.key for w in report.warnings} | {e.key for e in report.errors}
        report.warnings += [d for d in dropped if d.key not in said]  # the schema may have said it already
        for dataset_path, limit in ((cfg.dataset_path, examples), (cfg.validation_path, None)):
            if dataset_path is not None:
                found = check_dataset(dataset_path, examples=limit)
                report.errors += found
                if not found:
                    _content(report, dataset_path, limit, strict=strict)
    elif cfg.type == "prompt_learning":
        report.warnings.append(Problem("a prompt-learning config (GEPA/MIPRO) is checked here, but `train` does "
                                       "not submit it: synthlaunch runs RL and SFT jobs only", path=str(path)))
    elif examples is not None:
        report.warnings.append(Problem("--examples applies to SFT configs only; ignored for this RL config",
                                       path=str(path)))
    return report
