"""`load_and_validate`: one config file → a validated `LoadedConfig`, or a ConfigError with ALL problems."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from ..console import command_name
from ..errors import ConfigError, Problem
from ..jobtypes import PROMPT_LEARNING, TYPE_CHOICES, ConfigType
from .infer import DECIDING_KEYS, infer_config_type, infer_type, inference_reason
from .load import KeyLines, index_key_lines, load_toml, parse_toml_text
from .models import ModelError, resolve_model
from .overrides import apply_overrides
from .schema import CHECKERS, Reporter, _dataset_value, table_at


@dataclass
class LoadedConfig:
    """A parsed and validated config, with the model and dataset paths resolved."""

    path: Path
    type: ConfigType  # "prompt_learning": recognised and checked minimally, never submitted
    data: dict[str, Any]
    lines: KeyLines
    warnings: list[Problem] = field(default_factory=list)
    dataset_path: Path | None = None  # SFT training data, resolved against the config folder (--dataset: cwd)
    validation_path: Path | None = None  # SFT [data].validation_path when the file exists
    model: str = ""  # canonical model id after overrides ("" for an RL config whose model comes later)
    model_key: str | None = None  # dotted key the model came from (None when --model gave it)
    model_kind: Literal["base", "source"] = "base"  # RL: base model (base_model) or fine-tuned (model)
    model_overridden: bool = False  # True when --model replaced the config's model
    dataset_overridden: bool = False  # True when --dataset replaced the config's dataset
    overrides: list[tuple[str, str]] = field(default_factory=list)  # --set (dotted key, raw value), in order
    text: str = ""  # the file's text as read (its UTF-8 bytes are the file's bytes: the run ledger keeps them)

    def problem(self, message: str, key: str | None = None) -> Problem:
        """A Problem located in this config (line of `key` when it is written)."""
        return Problem(message, path=str(self.path), line=self.lines.find(key) if key else None, key=key)


def _sort(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def decide_type(data: Mapping[str, Any], type_override: str, rep: Reporter) -> ConfigType | None:
    """The job type from the document and `--type`; problems go to `rep`."""
    override = (type_override or "auto").strip().lower()
    if override not in TYPE_CHOICES:
        rep.error(None, f"--type must be one of auto, rl, sft; got {type_override!r}")
        return None
    inferred = infer_config_type(data)
    if inferred == PROMPT_LEARNING and override != "auto":
        rep.error(None, f"--type {override} was given but this is a prompt-learning config "
                        "(it has a [prompt_learning] table)", "pass --type auto, or an RL or SFT config")
        return None
    if override == "auto":
        if inferred is None:
            rep.error(None, "cannot tell whether this is an RL or an SFT config",
                      f"set one of {DECIDING_KEYS}; or pass --type rl or --type sft")
        return inferred
    if inferred is not None and inferred != override:
        rep.error(None, f"--type {override} was given, but this is an {inferred.upper()} config "
                        f"({inference_reason(data)})", f"pass --type {inferred} or --type auto, or fix the config")
        return None
    return override  # type: ignore[return-value]


def load_and_validate(path: str | Path, *, type_override: str = "auto", model: str | None = None,
                      dataset: str | Path | None = None, allow_experimental: bool | None = None,
                      env: Mapping[str, str] = os.environ, check_files: bool = True,
                      overrides: Sequence[tuple[str, str]] = (), text: str | None = None,
                      strict: bool = False) -> LoadedConfig:
    """Parse, infer the type, validate, resolve model and datasets. ConfigError lists every problem.

    `overrides` (--set, parsed by `overrides.parse_set`) are applied, typed by the schema, before
    validation; `text` replaces the file's content (a rerun of kept config bytes; paths in it still
    resolve against `path`'s folder).

    `allow_experimental`: True (--allow-experimental), False (--no-allow-experimental), None (follow
    SDK_EXPERIMENTAL). `dataset` (--dataset) is resolved against the current folder; dataset paths
    written in the config against the config's folder. The raised ConfigError carries `warnings`
    and `config_type` attributes as well.
    """
    path = Path(path)
    if text is None:
        data, lines, text = load_toml(path)
    else:
        data, lines = parse_toml_text(text, path), index_key_lines(text)
    if overrides:
        override = (type_override or "auto").strip().lower()
        data = apply_overrides(data, overrides, override if override in ("rl", "sft") else infer_type(data))
    try:
        loaded = validate_document(data, path=path, lines=lines, type_override=type_override, model=model,
                                   dataset=dataset, allow_experimental=allow_experimental, env=env,
                                   check_files=check_files, strict=strict)
    except ConfigError as exc:
        if not overrides:
            raise
        raise _located_in_overrides(exc, overrides) from None
    _mark_overridden(loaded.warnings, overrides)
    loaded.overrides, loaded.text = list(overrides), text
    return loaded


def _mark_overridden(problems: list[Problem], overrides: Sequence[tuple[str, str]]) -> None:
    """A problem of a key set by --set names the flag instead of a line of the file."""
    keys = {key for key, _ in overrides}
    for problem in problems:
        if problem.key in keys:
            problem.line = None
            problem.message += " (from --set)"


def _located_in_overrides(exc: ConfigError, overrides: Sequence[tuple[str, str]]) -> ConfigError:
    _mark_overridden(exc.problems, overrides)
    warnings = list(getattr(exc, "warnings", []))
    _mark_overridden(warnings, overrides)
    header = exc.message.splitlines()[0] if exc.message else None
    fixed = ConfigError(exc.problems, header=header, hint=exc.hint, more=exc.more)
    fixed.warnings = warnings  # type: ignore[attr-defined]
    fixed.config_type = getattr(exc, "config_type", None)  # type: ignore[attr-defined]
    return fixed


def validate_document(data: dict[str, Any], *, path: Path, lines: KeyLines | None = None,
                      type_override: str = "auto", model: str | None = None, dataset: str | Path | None = None,
                      allow_experimental: bool | None = None, env: Mapping[str, str] = os.environ,
                      check_files: bool = True, strict: bool = False) -> LoadedConfig:
    """`load_and_validate` for an already parsed document (dataset paths resolve against `path`'s folder)."""
    lines = lines if lines is not None else KeyLines()
    rep = Reporter(str(path), lines)
    job_type = decide_type(data, type_override, rep)
    model = model.strip() if isinstance(model, str) and model.strip() else None
    loaded = LoadedConfig(path=path, type=job_type or "rl", data=data, lines=lines)
    if job_type == PROMPT_LEARNING:
        check_prompt_learning(data, rep)
    elif job_type is not None:
        CHECKERS[job_type](data, rep, model_override=model is not None,
                           **({"dataset_override": dataset is not None} if job_type == "sft" else {}))
        _resolve_model(loaded, rep, override=model, allow_experimental=allow_experimental, env=env)
        if job_type == "sft":
            _resolve_datasets(loaded, rep, dataset=dataset, check_files=check_files)
        elif dataset is not None:
            rep.warn(None, "--dataset applies to SFT configs only; ignored for this RL config")
    if strict:
        rep.strictly()
    loaded.warnings = _sort(rep.warnings)
    if rep.errors:
        exc = ConfigError(_sort(rep.errors), header=f"{path}: invalid {job_type.upper() + ' ' if job_type else ''}"
                                                       f"config ({len(rep.errors)} problem(s))",
                          hint=f"fix the keys above and run `{command_name()} validate --config {path}` again")
        exc.warnings = loaded.warnings  # type: ignore[attr-defined]
        exc.config_type = job_type or infer_type(data)  # type: ignore[attr-defined]  # what the file says
        raise exc
    return loaded


PROMPT_LEARNING_ALGORITHMS = ("gepa", "mipro")


def check_prompt_learning(data: Mapping[str, Any], rep: Reporter) -> None:
    """The minimal checks of a prompt-learning config: `[prompt_learning]` is a table whose
    `algorithm` is gepa or mipro, and whose `task_app_url`, when given, is an http(s) URL. The rest
    is the hosted service's business (synthlaunch does not submit these jobs)."""
    from ..transport import url_problem

    table = data.get("prompt_learning")
    if not isinstance(table, Mapping):
        rep.error("prompt_learning", "must be a table", "[prompt_learning] with algorithm = \"gepa\" or \"mipro\"")
        return
    algorithm = table.get("algorithm")
    if algorithm is None:
        rep.error("prompt_learning", "missing key [prompt_learning].algorithm", '"gepa" or "mipro"')
    elif not isinstance(algorithm, str) or algorithm.strip().lower() not in PROMPT_LEARNING_ALGORITHMS:
        rep.error("prompt_learning.algorithm", f"unexpected value {algorithm!r}", '"gepa" or "mipro"')
    url = table.get("task_app_url")
    if url is not None and (not isinstance(url, str) or url_problem(url.strip())):
        rep.error("prompt_learning.task_app_url", f"{url!r} is not an http(s) URL", "e.g. http://127.0.0.1:8001")


def _model_source(data: Mapping[str, Any], job_type: str) -> tuple[str | None, Any, str]:
    """(dotted key, raw value, kind) of the model written in the config."""
    if job_type == "sft":
        return "job.model", table_at(data, "job.model"), "base"
    for key, kind in (("model.base", "base"), ("model.source", "source"), ("policy.model_name", "base"),
                      ("policy.source", "source")):
        value = table_at(data, key)
        if isinstance(value, str) and value.strip():
            return key, value, kind
    return None, None, "base"


def _resolve_model(loaded: LoadedConfig, rep: Reporter, *, override: str | None,
                   allow_experimental: bool | None, env: Mapping[str, str]) -> None:
    key, raw, kind = _model_source(loaded.data, loaded.type)
    if override is not None:
        loaded.model_overridden, loaded.model_key, loaded.model_kind = True, None, "source"
        try:
            loaded.model = resolve_model(override, job_type=loaded.type, allow_experimental=allow_experimental,
                                         env=env)
        except ModelError as exc:
            rep.error(None, f"--model: {exc.message}", exc.expected)
        return
    if not isinstance(raw, str) or not raw.strip():
        return  # missing model: already reported by the schema
    loaded.model_key, loaded.model_kind = key, kind  # type: ignore[assignment]
    try:
        loaded.model = resolve_model(raw, job_type=loaded.type, allow_experimental=allow_experimental, env=env,
                                     allow_fine_tuned=(kind == "source"))
    except ModelError as exc:
        rep.error(key, exc.message, exc.expected)


def _resolve_datasets(loaded: LoadedConfig, rep: Reporter, *, dataset: str | Path | None,
                      check_files: bool) -> None:
    folder = loaded.path.resolve().parent
    job = table_at(loaded.data, "job")
    if dataset is not None:
        loaded.dataset_overridden = True
        loaded.dataset_path = Path(dataset).expanduser().resolve()
        if check_files and not loaded.dataset_path.is_file():
            rep.error(None, f"--dataset: file not found: {loaded.dataset_path}",
                      "pass an existing JSONL file (relative paths are resolved against the current folder)")
    else:
        raw = _dataset_value(job) if isinstance(job, Mapping) else None
        if raw is not None:
            key = "job.data" if isinstance(job.get("data"), str) and job["data"].strip() else "job.data_path"
            loaded.dataset_path = (folder / Path(raw).expanduser()).resolve()
            if check_files and not loaded.dataset_path.is_file():
                rep.error(key, f"training dataset not found: {loaded.dataset_path}",
                          "a JSONL file; relative paths are resolved against the config's folder")
    raw_val = table_at(loaded.data, "data.validation_path")
    if isinstance(raw_val, str) and raw_val.strip():
        candidate = (folder / Path(raw_val.strip()).expanduser()).resolve()
        if check_files and not candidate.is_file():
            rep.warn("data.validation_path", f"validation dataset not found: {candidate}; "
                                             "the job runs without validation data")
        else:
            loaded.validation_path = candidate
