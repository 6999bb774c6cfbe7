"""What one SFT job trains, read from its request body: a JSON-able `TrainSpec` handed to the
training process. Pure (no torch): the backend builds it, the training process reads it.

Body → spec:
- `hyperparameters`: `n_epochs`, `per_device_batch` (else `batch_size`), `gradient_accumulation_steps`,
  `sequence_length` (max tokens per example), `learning_rate`, `warmup_ratio`, `train_kind`;
- `metadata.effective_config.training`: `mode` ("lora"/"qlora" or containing them → LoRA),
  `use_qlora`, `validation.enabled`; `metadata.effective_config.compute`: `gpu_count`, `nodes`;
- validation data: `metadata.effective_config.data.validation_files[0]` or `validation_file`; with
  `[training.validation]` enabled and no file, a held-out tenth of the training file;
- fault drills (tests): `metadata.emulation.fail_at_step` raises in the training process at that
  optimizer step, `metadata.emulation.crash_at_step` kills it (exit without a report).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

LORA_WORDS = ("lora", "peft")


@dataclass
class TrainSpec:
    job_id: str
    model_path: str
    model_id: str                 # the id that trains (a stand-in when aliased)
    builtin: str | None           # built-in tiny model id, built into model_path at first use
    train_file: str
    output_dir: str               # checkpoints (output/checkpoint-N) and the final model (final/)
    report_file: str
    validation_file: str | None = None
    holdout_validation: bool = False
    n_epochs: int = 1
    per_device_batch: int = 1
    gradient_accumulation_steps: int = 1
    sequence_length: int = 1024
    learning_rate: float = 1e-5
    warmup_ratio: float = 0.0
    eval_steps: int = 0           # 0: evaluate at each epoch end
    lora: bool = False
    qlora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    world_size: int = 1
    seed: int = 42
    resume_from: str | None = None
    fail_at_step: int | None = None
    crash_at_step: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "TrainSpec":
        return cls(**json.loads(path.read_text(encoding="utf-8")))


class SpecError(ValueError):
    """A body value the trainer cannot use (the message names the field)."""


def _table(value: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def _positive_int(hp: Mapping[str, Any], key: str, default: int) -> int:
    value = hp.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"hyperparameters.{key} must be a positive integer, got {value!r}")
    return value


def _number(hp: Mapping[str, Any], key: str, default: float, *, low: float, high: float | None = None) -> float:
    value = hp.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low \
            or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise SpecError(f"hyperparameters.{key} must be a number {bound}, got {value!r}")
    return float(value)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def wants_lora(body: Mapping[str, Any]) -> tuple[bool, bool]:
    """(lora, qlora) from `[training].mode`, `use_qlora` and `hyperparameters.train_kind`."""
    training = _table(body, "metadata", "effective_config", "training")
    hp = _table(body, "hyperparameters")
    words = " ".join(str(v).lower() for v in (training.get("mode"), hp.get("train_kind")) if isinstance(v, str))
    qlora = training.get("use_qlora") is True or "qlora" in words
    return qlora or any(w in words for w in LORA_WORDS), qlora


def world_size(body: Mapping[str, Any]) -> tuple[int, int]:
    """(gpu_count, nodes) asked for by `metadata.effective_config.compute` (1, 1 by default)."""
    compute = _table(body, "metadata", "effective_config", "compute")
    gpus = _int_or_none(compute.get("gpu_count")) or 1
    nodes = _int_or_none(compute.get("nodes")) or 1
    return max(1, gpus), max(1, nodes)


def validation_file_id(body: Mapping[str, Any]) -> str | None:
    files = _table(body, "metadata", "effective_config", "data").get("validation_files")
    if isinstance(files, list) and files and isinstance(files[0], str):
        return files[0]
    value = body.get("validation_file") or body.get("validation_file_id")
    return value if isinstance(value, str) and value else None


def validation_enabled(body: Mapping[str, Any]) -> bool:
    validation = _table(body, "metadata", "effective_config", "training").get("validation")
    return isinstance(validation, Mapping) and validation.get("enabled", True) is not False


def build_spec(body: Mapping[str, Any], *, job_id: str, model_path: str, model_id: str, builtin: str | None,
               train_file: str, validation_file: str | None, job_dir: Path, processes: int) -> TrainSpec:
    """The spec of an SFT job (SpecError on an unusable hyperparameter)."""
    hp = _table(body, "hyperparameters")
    batch_key = "per_device_batch" if "per_device_batch" in hp else "batch_size"
    lora, qlora = wants_lora(body)
    drills = _table(body, "metadata", "emulation")
    eval_steps = _int_or_none(hp.get("eval_steps")) or 0
    return TrainSpec(
        job_id=job_id, model_path=model_path, model_id=model_id, builtin=builtin, train_file=train_file,
        output_dir=str(job_dir), report_file=str(job_dir / "report.ndjson"),
        validation_file=validation_file,
        holdout_validation=validation_file is None and validation_enabled(body),
        n_epochs=_positive_int(hp, "n_epochs", 1),
        per_device_batch=_positive_int(hp, batch_key, 1),
        gradient_accumulation_steps=_positive_int(hp, "gradient_accumulation_steps", 1),
        sequence_length=_positive_int(hp, "sequence_length", 1024),
        learning_rate=_number(hp, "learning_rate", 1e-5, low=0.0, high=1.0),
        warmup_ratio=_number(hp, "warmup_ratio", 0.0, low=0.0, high=0.99),
        eval_steps=max(0, eval_steps), lora=lora, qlora=qlora, world_size=processes,
        fail_at_step=_int_or_none(drills.get("fail_at_step")),
        crash_at_step=_int_or_none(drills.get("crash_at_step")))


def estimate_steps(examples: int, spec: TrainSpec) -> int:
    """Optimizer steps of a job before the trainer says (the training process reports the exact count)."""
    train = examples - (max(1, examples // 10) if spec.holdout_validation and examples > 1 else 0)
    per_step = spec.per_device_batch * spec.world_size
    batches = -(-max(1, train) // per_step)
    return max(1, -(-batches // spec.gradient_accumulation_steps)) * spec.n_epochs
