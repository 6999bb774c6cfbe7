"""Job type inference (`--type auto`), first match wins (docs/configs.md, "Job type").

1. `[algorithm]`: RL if method ∈ {policy_gradient, ppo, reinforce} or type = online or variety ∈
   {gspo, grpo, ppo}; SFT if method ∈ {supervised_finetune, sft} or type = offline or variety ∈
   {fft, lora, qlora}. Values are case-insensitive.
2. RL if top-level `job_type = "rl"`, or `[services]` has `task_url` or `environment`.
3. SFT if `[training].mode` starts with `sft` or `[hyperparameters].train_kind` ∈ {sft, fft, peft}.
4. Otherwise None (unknown).

Before all of these, a `[prompt_learning]` table makes it a prompt-learning config (later clients'
third job type, which synthlaunch recognises but does not submit).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..jobtypes import PROMPT_LEARNING, ConfigType, JobType

RL_METHODS = frozenset({"policy_gradient", "ppo", "reinforce"})
RL_VARIETIES = frozenset({"gspo", "grpo", "ppo"})
SFT_METHODS = frozenset({"supervised_finetune", "sft"})
SFT_VARIETIES = frozenset({"fft", "lora", "qlora"})
SFT_TRAIN_KINDS = frozenset({"sft", "fft", "peft"})

DECIDING_KEYS = (
    '[algorithm].type ("online" for RL, "offline" for SFT), [algorithm].method, [algorithm].variety, '
    'job_type = "rl", [services].task_url, [training].mode = "sft…", [hyperparameters].train_kind'
)


def _low(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) else None


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, Mapping) else {}


def is_prompt_learning(data: Mapping[str, Any]) -> bool:
    """True for a prompt-learning config (GEPA/MIPRO of synth-ai 0.2.19–0.5.0): a `[prompt_learning]` table."""
    return isinstance(data, Mapping) and "prompt_learning" in data


def infer_config_type(data: Mapping[str, Any]) -> ConfigType | None:
    """`infer_type`, or 'prompt_learning' for a config with a `[prompt_learning]` table."""
    return PROMPT_LEARNING if is_prompt_learning(data) else infer_type(data)


def infer_type(data: Mapping[str, Any]) -> JobType | None:
    """'rl', 'sft', or None when the document does not say."""
    if not isinstance(data, Mapping):
        return None
    algorithm = _table(data, "algorithm")
    if algorithm:
        method, kind, variety = (_low(algorithm.get(k)) for k in ("method", "type", "variety"))
        if method in RL_METHODS or kind == "online" or variety in RL_VARIETIES:
            return "rl"
        if method in SFT_METHODS or kind == "offline" or variety in SFT_VARIETIES:
            return "sft"
    services = _table(data, "services")
    if _low(data.get("job_type")) == "rl" or "task_url" in services or "environment" in services:
        return "rl"
    mode = _low(_table(data, "training").get("mode"))
    if (mode or "").startswith("sft") or _low(_table(data, "hyperparameters").get("train_kind")) in SFT_TRAIN_KINDS:
        return "sft"
    return None


def inference_reason(data: Mapping[str, Any]) -> str:
    """A short human explanation of why `infer_type` decided what it did (for conflict messages)."""
    algorithm = _table(data, "algorithm")
    for key in ("method", "type", "variety"):
        if _low(algorithm.get(key)):
            return f"[algorithm].{key} = {algorithm[key]!r}"
    if _low(data.get("job_type")):
        return f"job_type = {data['job_type']!r}"
    services = _table(data, "services")
    for key in ("task_url", "environment"):
        if key in services:
            return f"[services].{key} is set"
    if _low(_table(data, "training").get("mode")):
        return f"[training].mode = {data['training']['mode']!r}"
    return "[hyperparameters].train_kind"
