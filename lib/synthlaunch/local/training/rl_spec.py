"""What one RL job trains, read from its `POST /api/rl/jobs` body (`data.config` is the whole TOML):
a `TrainSpec` whose `extra["rl"]` holds the RL settings. Pure (no torch).

Config → settings (docs/rollout-contract.md, "What the backend implements"):
- `[model]` `base` or `source` (`ft:<base>:<job_id>` continues an SFT result), `trainer_mode`
  ("lora" → LoRA, else full), `[lora]` r/alpha/dropout;
- `[algorithm].variety` "gspo" → sequence-level ratio, anything else → GRPO;
- `[training]` `num_epochs` × `iterations_per_epoch` iterations, `group_size` (≥ 2) episodes per seed,
  `batch_size` groups per optimizer step, `learning_rate`, `weight_sync_interval`, `clip_epsilon`,
  `seed` (torch's, for sampling and the update; default 42);
- `[rollout]` `episodes_per_batch` (default group_size × batch_size), `max_concurrent_rollouts`,
  `max_turns`, `policy_config` (temperature, top_p, max_tokens → the task app's `policy.config`),
  `env_name`, `policy_name`, `env_config`, `seed_start`, `timeout_s` (per /rollout, default 600);
- `[evaluation]` `seeds`, `every_n_iters`, `policy_config` (e.g. temperature 0);
- fault drills: `[emulation]`-free; `metadata.emulation.crash_at_step` as for SFT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .spec import SpecError, TrainSpec


def _table(value: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def _int(table: Mapping[str, Any], key: str, default: int, where: str, low: int = 1) -> int:
    value = table.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(f"[{where}].{key} must be a whole number of at least {low}, got {value!r}")
    return value


def _float(table: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SpecError(f"[{where}].{key} must be a positive number, got {value!r}")
    return float(value)


def rl_model_id(config: Mapping[str, Any]) -> str | None:
    """The model an RL config trains from: `[model].source`, else `base` (same for `[policy]`)."""
    for section, keys in (("model", ("source", "base")), ("policy", ("source", "model_name"))):
        table = _table(config, section)
        for key in keys:
            if isinstance(table.get(key), str) and table[key].strip():
                return str(table[key]).strip()
    return None


def base_of(model_id: str) -> str:
    """`synthlaunch/tiny-qwen3` for `ft:synthlaunch/tiny-qwen3:job_x` (and `rl:…`), else the id."""
    for prefix in ("ft:", "rl:"):
        if model_id.startswith(prefix):
            base, sep, _ = model_id[len(prefix):].rpartition(":")
            if sep and base:
                return base_of(base)
    return model_id


def build_rl_spec(body: Mapping[str, Any], *, job_id: str, model_path: str, model_id: str, builtin: str | None,
                  job_dir: Path) -> TrainSpec:
    data = _table(body, "data")
    config = _table(data, "config")
    training, rollout = _table(config, "training"), _table(config, "rollout")
    evaluation, algorithm, lora_t = _table(config, "evaluation"), _table(config, "algorithm"), _table(config, "lora")
    mode = " ".join(str(v).lower() for v in (_table(config, "model").get("trainer_mode"),
                                             _table(config, "policy").get("trainer_mode"), training.get("mode"))
                    if isinstance(v, str))
    lora = "lora" in mode or "peft" in mode
    group_size = _int(training, "group_size", 4, "training", low=2)
    batch_size = _int(training, "batch_size", 1, "training")
    episodes = _int(rollout, "episodes_per_batch", group_size * batch_size, "rollout")
    if episodes % group_size:
        raise SpecError(f"[rollout].episodes_per_batch ({episodes}) must be a multiple of [training].group_size "
                        f"({group_size}): each seed runs one group of group_size episodes")
    sync = training.get("weight_sync_interval")
    if sync is None:
        sync = _table(training, "weight_sync").get("interval", 1)
    variety = str(algorithm.get("variety") or "grpo").lower()
    variety = "gspo" if "gspo" in variety else "grpo"
    policy_config = _table(rollout, "policy_config") or _table(config, "policy", "config")
    seeds = evaluation.get("seeds")
    every = evaluation.get("every_n_iters")
    rl: dict[str, Any] = {
        "task_url": str(data.get("endpoint_base_url") or "").rstrip("/"),
        "variety": variety,
        "num_epochs": _int(training, "num_epochs", 1, "training"),
        "iterations_per_epoch": _int(training, "iterations_per_epoch", 1, "training"),
        "group_size": group_size, "batch_size": batch_size, "episodes_per_batch": episodes,
        "weight_sync_interval": _int({"v": sync}, "v", 1, "training.weight_sync_interval"),
        "clip": [float(training["clip_epsilon"])] * 2 if isinstance(training.get("clip_epsilon"), (int, float))
        else None,
        "max_concurrent": _int(rollout, "max_concurrent_rollouts", 4, "rollout"),
        "max_turns": _int(rollout, "max_turns", _int(training, "max_turns", 1, "training"), "rollout"),
        "policy_config": {k: v for k, v in policy_config.items() if k not in ("inference_url", "model")},
        "env_name": rollout.get("env_name"), "policy_name": rollout.get("policy_name"),
        "env_config": _table(rollout, "env_config"),
        "seed_start": _int(rollout, "seed_start", _int(_table(config, "data"), "seed_start", 0, "data", low=0),
                           "rollout", low=0),
        "timeout_s": _float(rollout, "timeout_s", 600.0, "rollout"),
        "eval_seeds": [s for s in seeds if isinstance(s, int) and not isinstance(s, bool)]
        if isinstance(seeds, list) else [],
        "eval_every": every if isinstance(every, int) and not isinstance(every, bool) and every > 0 else 0,
        "eval_policy_config": _table(evaluation, "policy_config"),
    }
    if not rl["task_url"]:
        raise SpecError("data.endpoint_base_url: the task app URL is required")
    drills = _table(body, "metadata", "emulation")
    return TrainSpec(
        job_id=job_id, model_path=model_path, model_id=model_id, builtin=builtin, train_file="",
        output_dir=str(job_dir), report_file=str(job_dir / "report.ndjson"),
        n_epochs=int(rl["num_epochs"]), learning_rate=_float(training, "learning_rate", 1e-5, "training"),
        lora=lora, lora_r=_int(lora_t, "r", 8, "lora"), lora_alpha=int(lora_t.get("alpha", 16)),
        lora_dropout=float(lora_t.get("dropout", 0.05)), world_size=1,
        seed=_int(training, "seed", 42, "training", low=0),
        crash_at_step=drills.get("crash_at_step") if isinstance(drills.get("crash_at_step"), int) else None,
        fail_at_step=drills.get("fail_at_step") if isinstance(drills.get("fail_at_step"), int) else None,
        extra={"kind": "rl", "rl": rl})


def total_iterations(spec: TrainSpec) -> int:
    rl = spec.extra["rl"]
    return int(rl["num_epochs"]) * int(rl["iterations_per_epoch"])
