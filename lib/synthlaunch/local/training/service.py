"""The backend side of real training: model aliases and resolution at job creation, the spec of
each job written to its folder, the runner, and the checkpoints of a job. Imports no torch unless
a job asks for several processes (to count GPUs)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..store import Store, new_id
from .artifacts import list_checkpoints
from .models import ModelUnavailable, ResolvedModel, resolve_model
from .rl_spec import build_rl_spec, rl_model_id, total_iterations
from .runner import TorchRunner
from .spec import SpecError, TrainSpec, build_spec, estimate_steps, validation_file_id, world_size

REAL_NOTE = "real training by the synthlaunch embedded backend (torch trainer)"
RL_REAL_NOTE = ("real RL by the synthlaunch embedded backend (torch trainer): the policy is served to the task app "
                "and trained on its rewards")


def default_model_cache() -> Path:
    """Where built-in tiny models are built: $SYNTHLAUNCH_MODEL_CACHE, else the user cache dir."""
    configured = os.environ.get("SYNTHLAUNCH_MODEL_CACHE", "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("synthlaunch")) / "models"


class JobRefused(ValueError):
    """The job cannot train here; `field` is the body field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class PreparedJob:
    job_id: str
    model: ResolvedModel
    spec: TrainSpec
    total_steps: int
    first_message: str
    first_data: dict[str, Any]


def processes_for(gpus: int, nodes: int) -> tuple[int, str | None]:
    """(training processes on this machine, a note when that differs from what was asked)."""
    asked = gpus * nodes
    if asked <= 1:
        return 1, None
    from .device import cuda_device_count

    available = cuda_device_count()
    note = " (one machine: for several, use accelerate's multi-node config or the hosted backend)" if nodes > 1 else ""
    if available == 0:
        return 2, f"{asked} processes asked for; no GPU here, so DDP runs with 2 CPU processes (gloo){note}"
    if available < asked:
        return available, f"{asked} GPUs asked for, {available} here: DDP runs with {available} processes{note}"
    return asked, (f"DDP with {asked} processes on this machine{note}" if note else None)


class TrainingService:
    """Real training for SFT jobs: creation-time checks and the runner that trains them."""

    def __init__(self, store: Store, data_dir: Path, *, max_jobs: int = 1,
                 model_aliases: Mapping[str, str] | None = None, model_cache: Path | None = None,
                 poll_seconds: float = 0.1, environment_api_keys: list[str] | None = None) -> None:
        self.store = store
        self.aliases = dict(model_aliases or {})
        self.model_cache = model_cache or default_model_cache()
        self.runner = TorchRunner(store, data_dir, max_jobs=max_jobs, poll_seconds=poll_seconds,
                                  environment_api_keys=environment_api_keys)

    def start(self) -> None:
        self.runner.start()

    def stop(self) -> None:
        self.runner.stop()

    def wake(self) -> None:
        self.runner.wake()

    def resolve(self, model: str) -> ResolvedModel:
        return resolve_model(model, aliases=self.aliases, builtin_dir=self.model_cache,
                             fine_tuned=self.runner.final_model)

    def _ready_file(self, file_id: str, field: str) -> str:
        row = self.store.file_row(file_id)
        if row is None:
            raise JobRefused(field, f"file {file_id} does not exist on this backend; upload it first")
        if row["status"] != "ready":
            reason = f": {row['error']}" if row["error"] else ""
            raise JobRefused(field, f"file {file_id} is {row['status']}{reason}")
        return str(self.store.blob_path(row["sha256"]))

    def prepare_sft(self, body: dict[str, Any], train_file: str, examples: int) -> PreparedJob:
        """Resolve the model, read the hyperparameters, write the job's spec (JobRefused when it cannot train)."""
        try:
            model = self.resolve(str(body["model"]))
        except ModelUnavailable as exc:
            raise JobRefused("model", str(exc)) from None
        val_id = validation_file_id(body)
        val_file = self._ready_file(val_id, "validation_file") if val_id else None
        processes, scale_note = processes_for(*world_size(body))
        job_id = new_id("job")
        job_dir = self.runner.job_dir(job_id)
        try:
            spec = build_spec(body, job_id=job_id, model_path=model.path, model_id=model.trained,
                              builtin=model.builtin, train_file=train_file, validation_file=val_file,
                              job_dir=job_dir, processes=processes)
        except SpecError as exc:
            raise JobRefused("hyperparameters", str(exc)) from None
        job_dir.mkdir(parents=True, exist_ok=True)
        spec.dump(job_dir / "spec.json")
        stand_in = f" standing in for {model.requested} (model alias)" if model.stand_in else ""
        message = (f"{REAL_NOTE}: trains {model.trained}{stand_in}, "
                   f"{'LoRA' if spec.lora else 'full fine-tune'}, {spec.n_epochs} epoch(s)"
                   + (f"; {scale_note}" if scale_note else ""))
        data = {"model": model.requested, "trained_model": model.trained, "stand_in": model.stand_in,
                "model_source": model.source, "lora": spec.lora, "processes": processes}
        return PreparedJob(job_id, model, spec, estimate_steps(examples, spec), message, data)

    def prepare_rl(self, body: dict[str, Any]) -> PreparedJob:
        """Resolve the RL job's model (`[model].source = "ft:…"` continues an SFT result), read the
        config, write the job's spec (JobRefused when it cannot train)."""
        data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
        requested = data.get("model") or data.get("base_model") or rl_model_id(data.get("config") or {})
        if not isinstance(requested, str) or not requested.strip():
            raise JobRefused("data.config.model", "no model: set [model].base or [model].source")
        try:
            model = self.resolve(requested)
        except ModelUnavailable as exc:
            raise JobRefused("model", str(exc)) from None
        job_id = new_id("job")
        job_dir = self.runner.job_dir(job_id)
        try:
            spec = build_rl_spec(body, job_id=job_id, model_path=model.path, model_id=model.trained,
                                 builtin=model.builtin, job_dir=job_dir)
        except SpecError as exc:
            raise JobRefused("data.config", str(exc)) from None
        job_dir.mkdir(parents=True, exist_ok=True)
        spec.dump(job_dir / "spec.json")
        rl = spec.extra["rl"]
        stand_in = f" standing in for {model.requested} (model alias)" if model.stand_in else ""
        message = (f"{RL_REAL_NOTE}: trains {model.trained}{stand_in}, {'LoRA' if spec.lora else 'full'}, "
                   f"{rl['variety'].upper()}, {total_iterations(spec)} iteration(s) against {rl['task_url']}")
        data_out = {"model": model.requested, "trained_model": model.trained, "stand_in": model.stand_in,
                    "model_source": model.source, "lora": spec.lora, "variety": rl["variety"]}
        return PreparedJob(job_id, model, spec, total_iterations(spec), message, data_out)

    def checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        row = self.store.job_row(job_id)
        return list_checkpoints(self.runner.job_dir(job_id), total_steps=row["total_steps"] if row else None,
                                fine_tuned_model=row["fine_tuned_model"] if row else None)
