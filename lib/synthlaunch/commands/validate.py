"""The `validate` command: configs and the datasets they name, no network. Exit 0 all valid, 2 otherwise."""

from __future__ import annotations

from typing import Any

from ..console import Output
from ..errors import EXIT_INVALID_INPUT, EXIT_OK
from ..validate import ConfigReport


def _tri_state(allow: bool, forbid: bool) -> bool | None:
    """True/False from the flags, else None (follow SDK_EXPERIMENTAL); both at once is a usage error."""
    if allow and forbid:
        from ..errors import UsageError

        raise UsageError("--allow-experimental and --no-allow-experimental contradict each other; pass one")
    return False if forbid else True if allow else None


def run_validate(out: Output, configs: list[str] | None = None, type_: str = "auto", dataset: str | None = None,
                 model: str | None = None, allow_experimental: bool = False, no_allow_experimental: bool = False,
                 examples: Any = None, set_: list[str] | None = None, strict: bool = False) -> int:
    """Entry point of `inv validate`."""
    from ..config import choose_configs
    from ..flags import parse_choice, parse_int
    from ..jobtypes import TYPE_CHOICES
    from ..validate import validate_one

    type_ = parse_choice(type_ or "auto", "type", TYPE_CHOICES)
    count = parse_int(examples, "examples", minimum=1) if examples is not None else None
    from ..config.overrides import parse_set

    overrides = [parse_set(text) for text in set_ or []]
    paths = choose_configs(out, list(configs or []), type_)
    reports = [validate_one(p, type_=type_, dataset=dataset, model=model, examples=count, strict=strict,
                            allow_experimental=_tri_state(allow_experimental, no_allow_experimental),
                            overrides=overrides)
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
    if report.overrides:
        out.info(f"{report.path}: with --set {', '.join(report.overrides)}")
    if report.ok:
        out.result(f"ok: {report.path} ({kind})")
        return
    out.error(f"{report.path} ({kind}): {len(report.errors)} problem(s):")
    for problem in report.errors:
        out.write(f"  {problem}", stream=out.stderr)
