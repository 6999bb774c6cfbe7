"""Declarative RL and SFT schemas: sections, keys, types, required keys and constraints.

`check(data, job_type, reporter)` reports every problem at once through a `Reporter`, which turns
a dotted key into `path:line: [section].key: what is wrong (what is expected)`. Unknown keys in
known sections are warnings with a "did you mean" suggestion; extra keys are allowed everywhere.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import Problem
from .load import KeyLines

# --- reporting ------------------------------------------------------------------------------


@dataclass
class Reporter:
    """Collects errors and warnings located by dotted key."""

    path: str
    lines: KeyLines
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: the warnings about unknown keys and sections (errors with `--strict`)
    unknowns: list[Problem] = field(default_factory=list)

    def _problem(self, key: str | None, message: str, expected: str | None) -> Problem:
        text = f"{message} ({expected})" if expected else message
        return Problem(text, path=self.path, line=self.lines.find(key) if key else None, key=key)

    def error(self, key: str | None, message: str, expected: str | None = None) -> None:
        self.errors.append(self._problem(key, message, expected))

    def warn(self, key: str | None, message: str, expected: str | None = None) -> None:
        self.warnings.append(self._problem(key, message, expected))

    def unknown(self, key: str, message: str, expected: str | None = None) -> None:
        """An unknown key or section: a warning, an error with `--strict` (`strictly`)."""
        self.warn(key, message, expected)
        self.unknowns.append(self.warnings[-1])

    def strictly(self) -> None:
        """`--strict`: unknown keys and sections are errors."""
        self.errors += self.unknowns
        self.warnings = [w for w in self.warnings if w not in self.unknowns]


# --- value kinds ----------------------------------------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and not (isinstance(v, float) and not math.isfinite(v))


def describe(value: Any) -> str:
    """`"abc" (a string)`-style description of a TOML value for messages."""
    kind = ("a boolean" if isinstance(value, bool) else "a whole number" if isinstance(value, int)
            else "a number" if isinstance(value, float) else "a string" if isinstance(value, str)
            else "a table" if isinstance(value, Mapping) else "an array" if isinstance(value, list)
            else "a date/time")
    if isinstance(value, (Mapping, list)):
        return kind
    return f"{literal(value)} ({kind})"


def literal(value: Any) -> str:
    """A short TOML-like literal of a scalar value (strings in double quotes, truncated)."""
    text = repr(value) if not isinstance(value, str) else '"' + value.replace('"', '\\"') + '"'
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Key:
    """One key of a section: its kind, whether it is required, and its constraints."""

    kind: str  # str | int | number | bool | table | list | list[int] | list[str] | any
    required: bool = False
    choices: tuple[str, ...] = ()  # case-insensitive
    minimum: float | None = None  # inclusive
    exclusive_min: float | None = None  # value must be > this
    maximum: float | None = None
    nonempty: bool = False
    expect: str | None = None

    def expected(self) -> str:
        if self.expect:
            return self.expect
        if self.choices:
            return "one of " + ", ".join(self.choices)
        base = {"str": "a string", "int": "a whole number", "number": "a number", "bool": "true or false",
                "table": "a table", "list": "an array", "list[int]": "an array of whole numbers",
                "list[str]": "an array of strings", "any": "a value"}[self.kind]
        if self.kind == "str" and self.nonempty:
            base = "a non-empty string"
        if self.exclusive_min == 0 and self.kind == "int":
            return "a positive whole number"
        if self.exclusive_min is not None:
            base += f" > {self.exclusive_min:g}"
        if self.minimum is not None and self.maximum is not None:
            return base + f" between {self.minimum:g} and {self.maximum:g}"
        if self.minimum is not None:
            base += f" >= {self.minimum:g}"
        if self.maximum is not None:
            base += f" <= {self.maximum:g}"
        return base


POS_INT = Key("int", exclusive_min=0)
REQ_POS_INT = Key("int", required=True, exclusive_min=0)
NONNEG_INT = Key("int", minimum=0)
STR = Key("str")
REQ_STR = Key("str", required=True, nonempty=True)
BOOL = Key("bool")
TABLE = Key("table")
ANY = Key("any")


@dataclass(frozen=True)
class Section:
    """A table of the config: its keys, whether it is required, and its known sub-tables."""

    name: str  # dotted
    keys: Mapping[str, Key]
    required: bool = False
    known: frozenset[str] = frozenset()  # further known key names (no checks, no warnings)
    open: bool = False  # True: unknown keys are fine (no warning at all)

    def all_names(self) -> set[str]:
        return set(self.keys) | set(self.known)


def _kind_ok(spec: Key, value: Any) -> bool:
    if spec.kind == "any":
        return True
    if spec.kind == "str":
        return isinstance(value, str)
    if spec.kind == "int":
        return _is_int(value)
    if spec.kind == "number":
        return _is_number(value)
    if spec.kind == "bool":
        return isinstance(value, bool)
    if spec.kind == "table":
        return isinstance(value, Mapping)
    if spec.kind == "list":
        return isinstance(value, list)
    if spec.kind == "list[int]":
        return isinstance(value, list) and all(_is_int(v) for v in value)
    if spec.kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise ValueError(spec.kind)


def check_value(key: str, spec: Key, value: Any, rep: Reporter) -> bool:
    """Check one value against its spec; report and return False when it does not fit."""
    if not _kind_ok(spec, value):
        rep.error(key, f"expected {spec.expected()}, got {describe(value)}")
        return False
    if spec.choices and str(value).strip().lower() not in spec.choices:
        rep.error(key, f"unsupported value {literal(value)}", spec.expected())
        return False
    if spec.nonempty and isinstance(value, str) and not value.strip():
        rep.error(key, "must not be empty", spec.expected())
        return False
    if _is_number(value):
        if spec.exclusive_min is not None and value <= spec.exclusive_min:
            rep.error(key, f"must be greater than {spec.exclusive_min:g}, got {value!r}", spec.expected())
            return False
        if spec.minimum is not None and value < spec.minimum:
            rep.error(key, f"must be at least {spec.minimum:g}, got {value!r}", spec.expected())
            return False
        if spec.maximum is not None and value > spec.maximum:
            rep.error(key, f"must be at most {spec.maximum:g}, got {value!r}", spec.expected())
            return False
    return True


def suggest(name: str, candidates: set[str]) -> str | None:
    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def table_at(data: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path, or None."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def check_section(data: Mapping[str, Any], section: Section, rep: Reporter, *,
                  required: bool | None = None, unknown_note: str = "it is passed to the backend as is") -> bool:
    """Check one section; return True when the section exists and is a table."""
    value = table_at(data, section.name)
    must = section.required if required is None else required
    if value is None:
        if must:
            rep.error(section.name, f"missing table [{section.name}]", _section_hint(section))
        return False
    if not isinstance(value, Mapping):
        rep.error(section.name, f"expected a table [{section.name}], got {describe(value)}")
        return False
    for name, spec in section.keys.items():
        key = f"{section.name}.{name}"
        if name not in value:
            if spec.required:
                rep.error(key, "missing required key", spec.expected())
            continue
        check_value(key, spec, value[name], rep)
    if not section.open:
        names = section.all_names()
        for name in value:
            if name in names:
                continue
            close = suggest(str(name), names)
            hint = f"did you mean '{close}'?" if close else f"known keys: {', '.join(sorted(section.keys))}"
            rep.unknown(f"{section.name}.{name}", f"unknown key; {unknown_note}", hint)
    return True


def check_sections(data: Mapping[str, Any], known: set[str], rep: Reporter, *, unknown_note: str) -> None:
    """Top-level tables that no rule knows (`[hyperparamters]`): a warning with the closest known section,
    for RL and SFT alike (an error with --strict)."""
    for name, value in data.items():
        if not isinstance(value, Mapping) or name in known:
            continue
        close = suggest(str(name), known)
        hint = f"did you mean [{close}]?" if close else f"known sections: {', '.join(sorted(known))}"
        rep.unknown(str(name), f"unknown section [{name}]; {unknown_note}", hint)


def _section_hint(section: Section) -> str:
    required = [k for k, s in section.keys.items() if s.required]
    return "add it with " + ", ".join(required) if required else "add it"


# --- RL ---------------------------------------------------------------------------------------

RL_ALGORITHM = Section("algorithm", {
    "type": Key("str", required=True, choices=("online",), expect='"online" for RL'),
    "method": Key("str", required=True, choices=("policy_gradient", "ppo", "gspo")),
    "variety": Key("str", required=True, nonempty=True, expect='a non-empty string such as "gspo"'),
}, required=True)
RL_MODEL = Section("model", {"base": STR, "source": STR, "trainer_mode": REQ_STR, "label": REQ_STR})
RL_POLICY = Section("policy", {"model_name": STR, "source": STR, "trainer_mode": REQ_STR, "label": REQ_STR},
                    known=frozenset({"max_tokens", "temperature", "top_p", "inference_url", "config"}))
RL_COMPUTE = Section("compute", {"gpu_type": REQ_STR, "gpu_count": REQ_POS_INT, "nodes": POS_INT,
                                 "topology": TABLE}, required=True)
_TOPOLOGY_KEYS = {"type": STR, "gpus_for_vllm": NONNEG_INT, "gpus_for_training": NONNEG_INT,
                  "gpus_for_ref": NONNEG_INT, "tensor_parallel": POS_INT, "reference_placement": STR}
RL_TOPOLOGY = Section("topology", _TOPOLOGY_KEYS, known=frozenset({"gpus_for_reward"}))
RL_COMPUTE_TOPOLOGY = Section("compute.topology", _TOPOLOGY_KEYS, known=frozenset({"gpus_for_reward"}))
RL_ROLLOUT = Section("rollout", {
    "env_name": REQ_STR, "policy_name": REQ_STR, "max_turns": REQ_POS_INT, "episodes_per_batch": REQ_POS_INT,
    "max_concurrent_rollouts": REQ_POS_INT,
}, required=True, known=frozenset({"batches_per_step", "ops", "env_config", "policy_config", "rubric_rewards_only",
                                   "task_app_origin_rewards_only", "max_steps_per_episode", "seed_start",
                                   "timeout_s"}))
RL_VLLM = Section("vllm", {"tensor_parallel_size": POS_INT, "max_model_len": POS_INT},
                  known=frozenset({"gpu_memory_utilization", "max_num_seqs", "enforce_eager", "dtype"}))
RL_REFERENCE = Section("reference", {"placement": STR},
                       known=frozenset({"port", "tp", "health_max_wait_s", "health_interval_ms"}))
RL_TRAINING = Section("training", {
    "num_epochs": REQ_POS_INT, "iterations_per_epoch": REQ_POS_INT, "max_turns": REQ_POS_INT,
    "batch_size": REQ_POS_INT, "group_size": REQ_POS_INT,
    "learning_rate": Key("number", required=True, exclusive_min=0),
    "weight_sync_interval": REQ_POS_INT, "log_interval": REQ_POS_INT, "weight_sync": TABLE,
}, known=frozenset({"gradient_accumulation_steps", "max_accumulated_minibatch", "step_rewards_enabled",
                    "step_rewards_mode", "step_rewards_indicator_lambda", "step_rewards_beta",
                    "step_rewards_strategy", "event_rewards_kind", "lora", "async_semaphore_max",
                    "max_images_per_message", "supports_vision", "kl_coef", "clip_epsilon", "mode", "seed"}))
RL_WEIGHT_SYNC = Section("training.weight_sync", {"enable": BOOL, "mode": STR, "targets": Key("list[str]"),
                                                  "interval": POS_INT},
                         known=frozenset({"direct", "verify_every_k"}))
RL_EVALUATION = Section("evaluation", {"instances": REQ_POS_INT, "every_n_iters": REQ_POS_INT,
                                       "seeds": Key("list[int]", required=True)},
                        known=frozenset({"policy_config", "env_config"}))
RL_JUDGE = Section("judge", {"options": TABLE, "enabled": BOOL},
                   known=frozenset({"type", "timeout_s", "reward_blend"}))
RL_JUDGE_OPTIONS = Section("judge.options", {
    "provider": Key("str", required=True, choices=("openai", "groq", "gemini")), "model": REQ_STR,
}, known=frozenset({"event", "outcome", "rubric_id", "max_concurrency", "tracks", "weights", "rubric_overrides",
                    "timeout_s"}))
RL_RUBRIC = Section("rubric", {"enabled": BOOL, "weights": ANY}, known=frozenset({"model", "outcome", "event"}))
RL_SERVICES = Section("services", {"task_url": STR, "environment": STR}, known=frozenset({"judge_url"}))
RL_LORA = Section("lora", {"r": POS_INT, "alpha": Key("number", exclusive_min=0),
                           "dropout": Key("number", minimum=0, maximum=1), "target_modules": Key("list[str]")})


#: top-level tables of an RL config (`emulation`: the embedded backend's knobs)
RL_SECTIONS = frozenset({"algorithm", "model", "policy", "compute", "topology", "rollout", "vllm", "reference",
                         "training", "evaluation", "judge", "rubric", "services", "lora", "emulation"})


def check_rl(data: Mapping[str, Any], rep: Reporter, *, model_override: bool = False) -> None:
    """Every rule of docs/configs.md, "RL config"; problems go to `rep`."""
    check_sections(data, set(RL_SECTIONS), rep, unknown_note="no rule reads it (it is passed to the backend as is)")
    check_section(data, RL_ALGORITHM, rep)
    algorithm = table_at(data, "algorithm")
    if isinstance(algorithm, Mapping):
        combo = tuple(str(algorithm.get(k, "")).strip().lower() for k in ("type", "method", "variety"))
        if all(combo) and combo != ("online", "policy_gradient", "gspo") and not rep.errors:
            rep.warn("algorithm", f"{'/'.join(combo)} may be rejected by the backend",
                     "the supported combination today is online / policy_gradient / gspo")
    _check_rl_model(data, rep, model_override=model_override)
    check_section(data, RL_COMPUTE, rep)
    check_section(data, RL_ROLLOUT, rep)
    has_top = check_section(data, RL_TOPOLOGY, rep)
    has_nested = check_section(data, RL_COMPUTE_TOPOLOGY, rep)
    wrong_type = _wrong_type(data, "topology") or _wrong_type(data, "compute.topology")
    if not has_top and not has_nested and not wrong_type:
        rep.error("topology", "missing table [topology] (or [compute.topology])",
                  "add it with type, gpus_for_vllm, gpus_for_training, gpus_for_ref")
    has_vllm = check_section(data, RL_VLLM, rep)
    topology = table_at(data, "topology") if has_top else table_at(data, "compute.topology") if has_nested else None
    topo_name = "topology" if has_top else "compute.topology"
    tp_topology = isinstance(topology, Mapping) and "tensor_parallel" in topology
    tp_vllm = has_vllm and "tensor_parallel_size" in table_at(data, "vllm")
    if tp_topology and not tp_vllm:
        rep.error(f"{topo_name}.tensor_parallel", "is set but [vllm].tensor_parallel_size is not",
                  "both present or both absent")
    elif tp_vllm and not tp_topology:
        rep.error("vllm.tensor_parallel_size", f"is set but [{topo_name}].tensor_parallel is not",
                  "both present or both absent")
    check_section(data, RL_REFERENCE, rep)
    if check_section(data, RL_TRAINING, rep):
        check_section(data, RL_WEIGHT_SYNC, rep)
    check_section(data, RL_EVALUATION, rep)
    if check_section(data, RL_JUDGE, rep):
        check_section(data, RL_JUDGE_OPTIONS, rep, required=True)
    if check_section(data, RL_RUBRIC, rep) and "weights" in table_at(data, "rubric"):
        _check_weights(table_at(data, "rubric.weights"), rep)
    if check_section(data, RL_SERVICES, rep):
        _check_task_url(table_at(data, "services").get("task_url"), rep)
    check_section(data, RL_LORA, rep)
    job_type = data.get("job_type")
    if job_type is not None and str(job_type).strip().lower() != "rl":
        rep.error("job_type", f"unexpected value {describe(job_type)} in an RL config", '"rl" or absent')


def _check_task_url(url: Any, rep: Reporter) -> None:
    """[services].task_url, when set, is a URL the backend and the preflight can reach (http/https, host, port)."""
    if not isinstance(url, str) or not url.strip():
        return
    from ..transport import url_problem

    text = url.strip()
    if url_problem(text):
        rep.error("services.task_url", f"{literal(text)} is not a valid http:// or https:// URL",
                  "the task app's URL, such as http://127.0.0.1:8001; --task-url and TASK_APP_URL override it")


def _wrong_type(data: Mapping[str, Any], dotted: str) -> bool:
    value = table_at(data, dotted)
    return value is not None and not isinstance(value, Mapping)


def _check_rl_model(data: Mapping[str, Any], rep: Reporter, *, model_override: bool) -> None:
    model, policy = data.get("model"), data.get("policy")
    if model is not None and policy is not None:
        rep.error("policy", "both [model] and [policy] are present", "keep one of them")
        return
    if model is None and policy is None:
        if not model_override:
            rep.error("model", "missing table [model] (or [policy])",
                      "add [model] with base (or source), trainer_mode and label, or pass --model")
        return
    section, id_keys = (RL_MODEL, ("base", "source")) if model is not None else (RL_POLICY, ("model_name", "source"))
    if not check_section(data, section, rep):
        return
    table = table_at(data, section.name)
    present = [k for k in id_keys if isinstance(table.get(k), str) and table.get(k).strip()]
    if len(present) == 2:
        rep.error(f"{section.name}.{id_keys[1]}", f"both {id_keys[0]} and {id_keys[1]} are set",
                  f"exactly one of [{section.name}].{id_keys[0]} (a base model) or .{id_keys[1]} (a fine-tuned id)")
    elif not present and not model_override:
        rep.error(section.name, f"neither {id_keys[0]} nor {id_keys[1]} is set",
                  f"exactly one of [{section.name}].{id_keys[0]} (a base model) or .{id_keys[1]} (a fine-tuned id)")


def _check_weights(weights: Any, rep: Reporter) -> None:
    key = "rubric.weights"
    if isinstance(weights, Mapping):
        items = [(f"{key}.{k}", v) for k, v in weights.items()]
    elif isinstance(weights, list):
        items = [(key, v) for v in weights]
    else:
        rep.error(key, f"expected a table or array of numbers, got {describe(weights)}",
                  "non-negative numbers, not all zero")
        return
    numbers = []
    for where, value in items:
        if not _is_number(value) or value < 0:
            rep.error(where, f"expected a non-negative number, got {describe(value)}")
        else:
            numbers.append(value)
    if items and len(numbers) == len(items) and not any(numbers):
        rep.error(key, "all weights are zero", "non-negative numbers, not all zero")


# --- SFT --------------------------------------------------------------------------------------

SFT_ALGORITHM = Section("algorithm", {
    "type": Key("str", choices=("offline",), expect='"offline" for SFT'),
    "method": Key("str", choices=("sft", "supervised_finetune")),
    "variety": Key("str", choices=("fft", "lora", "qlora")),
})
SFT_JOB = Section("job", {"model": STR, "data": STR, "data_path": STR, "name": STR,
                          "poll_seconds": Key("number", exclusive_min=0)})
SFT_COMPUTE = Section("compute", {"gpu_type": Key("str", nonempty=True), "gpu_count": POS_INT, "nodes": POS_INT})
SFT_DATA = Section("data", {"topology": TABLE, "validation_path": STR})
SFT_TRAINING = Section("training", {"mode": STR, "use_qlora": BOOL, "validation": TABLE})
SFT_VALIDATION = Section("training.validation", {
    "enabled": BOOL, "evaluation_strategy": Key("str", choices=("steps", "epoch", "no")),
    "eval_steps": NONNEG_INT, "save_best_model_at_end": BOOL, "metric_for_best_model": Key("str", nonempty=True),
    "greater_is_better": BOOL,
})
#: hyperparameters sent to the backend (wire contract); anything else is dropped with a warning
SFT_HYPERPARAMETERS = Section("hyperparameters", {
    "n_epochs": POS_INT, "batch_size": POS_INT, "global_batch": POS_INT, "per_device_batch": POS_INT,
    "gradient_accumulation_steps": POS_INT, "sequence_length": POS_INT,
    "learning_rate": Key("number", exclusive_min=0), "warmup_ratio": Key("number", minimum=0, maximum=1),
    "train_kind": Key("str", nonempty=True), "parallelism": TABLE,
})
SFT_PARALLELISM = Section("hyperparameters.parallelism", {}, open=True)


def check_sft(data: Mapping[str, Any], rep: Reporter, *, model_override: bool = False,
              dataset_override: bool = False) -> None:
    """Every rule of docs/configs.md, "SFT config" (with the wire contract's hyperparameter checks)."""
    check_sections(data, {"algorithm", "job", "compute", "data", "training", "hyperparameters"}, rep,
                   unknown_note="it is not sent")
    check_section(data, SFT_ALGORITHM, rep, unknown_note="it is not sent")
    has_job = check_section(data, SFT_JOB, rep, unknown_note="it is not used")
    job = table_at(data, "job") if has_job else {}
    if not model_override and not (isinstance(job.get("model"), str) and job["model"].strip()):
        where = "job.model" if has_job else "job"
        if has_job and "model" in job and isinstance(job["model"], str):
            rep.error(where, "must not be empty", 'a base model id such as "Qwen/Qwen3-4B", or pass --model')
        elif not has_job or "model" not in job:
            rep.error("job.model" if has_job else "job", "missing required key" if has_job else "missing table [job]",
                      '[job].model = a base model id such as "Qwen/Qwen3-4B", or pass --model')
    if not dataset_override and not _dataset_value(job):
        if not (has_job and any(k in job and not isinstance(job[k], str) for k in ("data", "data_path"))):
            rep.error("job.data" if has_job else "job", "no training dataset",
                      '[job].data = "path/to/train.jsonl" (relative to this file), or pass --dataset')
    check_section(data, SFT_COMPUTE, rep, unknown_note="it is not sent")
    check_section(data, SFT_DATA, rep, unknown_note="it is not sent")
    if check_section(data, SFT_TRAINING, rep, unknown_note="it is not sent"):
        check_section(data, SFT_VALIDATION, rep, unknown_note="it is not sent")
    if check_section(data, SFT_HYPERPARAMETERS, rep, unknown_note="it is not sent"):
        check_section(data, SFT_PARALLELISM, rep)
    job_type = data.get("job_type")
    if job_type is not None and str(job_type).strip().lower() not in ("sft", "sft_offline"):
        rep.error("job_type", f"unexpected value {describe(job_type)} in an SFT config", '"sft" or absent')


def _dataset_value(job: Mapping[str, Any]) -> str | None:
    """`[job].data` wins over `[job].data_path`; None when neither is a non-empty string."""
    for key in ("data", "data_path"):
        value = job.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


CHECKERS: dict[str, Callable[..., None]] = {"rl": check_rl, "sft": check_sft}
