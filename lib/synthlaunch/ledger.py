"""The local run ledger: which config and data produced a job, and how it ended.

Every `train` that creates a job records it under `<state dir>/runs/`: one `<job_id>.json` entry
(config path and sha256, `--set` overrides, name, dataset path and sha256, the git commit of the
config's repository, backend, job id, type, model, then the final status, metrics and resulting
model id) and the config's exact bytes, kept once per content in `configs/<sha256>.toml`, so that
`train --rerun JOB_ID` can submit exactly the same thing again. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .atomic import atomic_write_text, read_json_file, write_json_file
from .errors import UsageError
from .paths import state_dir

LEDGER_FOLDER = "runs"
_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


@dataclass
class RunEntry:
    """One run of the ledger (its JSON form is `as_dict()`)."""

    job_id: str
    recorded_at: str  # ISO-8601 UTC
    config_path: str
    config_sha256: str
    type: str
    backend: str
    overrides: list[str] = field(default_factory=list)
    name: str | None = None
    model: str | None = None
    model_flag: str | None = None  # --model as given (a rerun passes it again)
    dataset_path: str | None = None
    dataset_flag: str | None = None  # --dataset as given
    dataset_sha256: str | None = None
    examples: int | None = None
    task_url: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None  # True when the config differs from that commit
    rerun_of: str | None = None
    status: str = "submitted"
    final_metrics: dict[str, float] = field(default_factory=dict)
    model_id: str | None = None
    duration: float | None = None
    finished_at: str | None = None  # ISO-8601 UTC, when the outcome was recorded

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "RunEntry":
        known = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
        return cls(**known)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ledger_dir(environ: Mapping[str, str] | None = None) -> Path:
    return state_dir(environ) / LEDGER_FOLDER


def _entry_path(folder: Path, job_id: str) -> Path:
    name = job_id if _SAFE.match(job_id) and not job_id.startswith(".") else \
        "job-" + hashlib.sha256(job_id.encode()).hexdigest()[:32]
    return folder / f"{name.replace(':', '_')}.json"


def config_copy_path(folder: Path, sha256: str) -> Path:
    return folder / "configs" / f"{sha256}.toml"


def git_state(path: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit of the repository holding `path`, whether `path` differs from it); (None, None)
    outside a repository or without git."""
    folder = path.resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, stdin=subprocess.DEVNULL)
        if head.returncode != 0:
            return None, None
        status = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", path.name],
                                capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None, None
    return head.stdout.strip() or None, bool(status.stdout.strip()) if status.returncode == 0 else None


def record_submission(environ: Mapping[str, str] | None, entry: RunEntry, config_text: str) -> Path:
    """Keep the config's bytes (once per content) and write the entry; the entry's path."""
    folder = ledger_dir(environ)
    data = config_text.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    entry.config_sha256 = sha
    copy = config_copy_path(folder, sha)
    if not copy.exists():
        atomic_write_text(copy, config_text, mode=0o600)
    path = _entry_path(folder, entry.job_id)
    write_json_file(path, entry.as_dict())
    return path


def record_outcome(environ: Mapping[str, str] | None, job_id: str, *, status: str,
                   final_metrics: Mapping[str, float] | None = None, model_id: str | None = None,
                   duration: float | None = None) -> None:
    """Add how the job ended to its entry (nothing when the job was never recorded)."""
    entry = get_run(environ, job_id)
    if entry is None:
        return
    entry.status = status
    entry.final_metrics = dict(final_metrics or {}) or entry.final_metrics
    entry.model_id = model_id or entry.model_id
    entry.duration = duration if duration is not None else entry.duration
    entry.finished_at = now_iso()
    write_json_file(_entry_path(ledger_dir(environ), job_id), entry.as_dict())


def get_run(environ: Mapping[str, str] | None, job_id: str) -> RunEntry | None:
    doc = read_json_file(_entry_path(ledger_dir(environ), job_id))
    if not isinstance(doc, dict) or doc.get("job_id") != job_id:
        return None
    try:
        return RunEntry.from_dict(doc)
    except TypeError:
        return None


def list_runs(environ: Mapping[str, str] | None = None) -> list[RunEntry]:
    """Every readable entry, newest first (a damaged file is skipped)."""
    folder = ledger_dir(environ)
    entries: list[RunEntry] = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        doc = read_json_file(path)
        if not isinstance(doc, dict):
            continue
        try:
            entries.append(RunEntry.from_dict(doc))
        except TypeError:
            continue
    return sorted(entries, key=lambda e: str(e.recorded_at), reverse=True)


def require_run(environ: Mapping[str, str] | None, job_id: str) -> RunEntry:
    entry = get_run(environ, job_id)
    if entry is None:
        raise UsageError(f"job {job_id} is not in the run ledger ({ledger_dir(environ)})",
                         hint="`runs` lists the jobs this machine submitted with `train`")
    return entry


def kept_config(environ: Mapping[str, str] | None, entry: RunEntry) -> str:
    """The exact config text the run was submitted with (checked against its sha256)."""
    path = config_copy_path(ledger_dir(environ), entry.config_sha256)
    try:
        data = path.read_bytes()
    except OSError:
        raise UsageError(f"the kept config of job {entry.job_id} is missing ({path})") from None
    if hashlib.sha256(data).hexdigest() != entry.config_sha256:
        raise UsageError(f"the kept config of job {entry.job_id} was changed after it was recorded ({path})")
    return data.decode("utf-8")
