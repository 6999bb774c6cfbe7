"""A job's saved checkpoints and the files of each that can be downloaded (backend side, no torch).

Layout of a job folder (`<data_dir>/jobs/<job_id>/`): `output/checkpoint-<step>/` (the trainer's
checkpoints), `final/model/` (full weights, LoRA merged) and `final/adapter/` (LoRA only).
Optimizer, scheduler, RNG states and pickled training arguments are resume state, not model
files: they are never listed for download.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
NOT_DOWNLOADED = re.compile(r"^(optimizer\.pt|scheduler\.pt|scaler\.pt|training_args\.bin|rng_state.*\.pth)$")
FINAL = "final"


class ArtifactError(LookupError):
    """No such checkpoint or file (the message says what exists)."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def checkpoint_dirs(job_dir: Path) -> list[tuple[int, Path]]:
    """(step, folder) of the trainer's checkpoints, oldest first."""
    output = job_dir / "output"
    found = [(int(m.group(1)), p) for p in output.iterdir() if (m := CHECKPOINT.match(p.name)) and p.is_dir()] \
        if output.is_dir() else []
    return sorted(found)


def latest_checkpoint(job_dir: Path) -> Path | None:
    """The newest complete checkpoint (it has trainer_state.json, written last) to resume from."""
    for _, folder in reversed(checkpoint_dirs(job_dir)):
        if (folder / "trainer_state.json").is_file():
            return folder
    return None


def model_files(folder: Path) -> list[dict[str, Any]]:
    """The downloadable files of a model folder: relative path and size."""
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if not NOT_DOWNLOADED.match(path.name) and not rel.startswith("."):
            files.append({"path": rel, "bytes": path.stat().st_size})
    return files


def list_checkpoints(job_dir: Path, *, total_steps: int | None = None,
                     fine_tuned_model: str | None = None) -> list[dict[str, Any]]:
    """The checkpoints of a job, oldest first, the final model last."""
    items = []
    for step, folder in checkpoint_dirs(job_dir):
        if not (folder / "trainer_state.json").is_file():
            continue  # being written
        adapter = (folder / "adapter_config.json").is_file()
        items.append({"id": folder.name, "step": step, "kind": "checkpoint",
                      "format": "adapter" if adapter else "full", "created_at": _iso(folder.stat().st_mtime),
                      "bytes": sum(f["bytes"] for f in model_files(folder))})
    model = job_dir / FINAL / "model"
    if (model / "config.json").is_file():
        adapter = (job_dir / FINAL / "adapter").is_dir()
        items.append({"id": FINAL, "step": total_steps, "kind": "final", "format": "merged" if adapter else "full",
                      "adapter": adapter, "fine_tuned_model": fine_tuned_model,
                      "created_at": _iso(model.stat().st_mtime), "bytes": sum(f["bytes"] for f in model_files(model))})
    return items


def checkpoint_folder(job_dir: Path, checkpoint_id: str, *, adapter_only: bool = False) -> tuple[Path, str]:
    """(folder, format) of one checkpoint: "full", "merged" or "adapter"; ArtifactError when absent."""
    names = [c["id"] for c in list_checkpoints(job_dir)]
    if checkpoint_id not in names:
        raise ArtifactError(f"checkpoint {checkpoint_id!r} not found; this job has: {', '.join(names) or 'none yet'}")
    if checkpoint_id == FINAL:
        adapter = job_dir / FINAL / "adapter"
        if adapter_only:
            if not adapter.is_dir():
                raise ArtifactError("adapter_only: this job was a full fine-tune, it has no LoRA adapter")
            return adapter, "adapter"
        return job_dir / FINAL / "model", "merged" if adapter.is_dir() else "full"
    folder = job_dir / "output" / checkpoint_id
    return folder, "adapter" if (folder / "adapter_config.json").is_file() else "full"


def checkpoint_file(folder: Path, rel: str) -> Path:
    """The file `rel` of a checkpoint folder, only if it is one of its downloadable files."""
    if rel not in {f["path"] for f in model_files(folder)}:
        raise ArtifactError(f"file {rel!r} is not a downloadable file of this checkpoint")
    return folder / rel
