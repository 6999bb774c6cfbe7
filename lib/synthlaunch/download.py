"""Download a trained model (a checkpoint of a job on the embedded backend) into a folder that
`AutoModelForCausalLM.from_pretrained(DIR)` and `AutoTokenizer.from_pretrained(DIR)` load.

The backend lists the checkpoint's files (`.../checkpoints/{id}/files`); each is streamed to a
temporary folder next to the target, checked against its listed size, and the folder is moved
into place only when complete, so an interrupted download never leaves a half model behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .api import SynthClient


class DownloadError(RuntimeError):
    """The model cannot be downloaded (the message says why and what to do)."""


@dataclass
class Downloaded:
    job_id: str
    checkpoint: str
    format: str                         # "full", "merged" (LoRA merged into the base) or "adapter"
    folder: Path
    files: list[str] = field(default_factory=list)
    bytes: int = 0


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise DownloadError(f"the backend listed an unsafe file path {path!r}; refusing to write it")
    return rel


def _target_folder(to: str | os.PathLike[str]) -> Path:
    folder = Path(to).expanduser()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DownloadError(f"{folder} exists and is not an empty folder; pick a new or empty --to folder")
    return folder


def download_model(client: "SynthClient", job_id: str, to: str | os.PathLike[str], *, checkpoint: str = "final",
                   adapter_only: bool = False,
                   on_file: Callable[[str, int], None] | None = None) -> Downloaded:
    """Write checkpoint `checkpoint` of job `job_id` (default: the final model, LoRA merged unless
    `adapter_only`) to the folder `to` (new or empty). `on_file(path, bytes)` after each file."""
    from .errors import BackendError

    folder = _target_folder(to)
    try:
        manifest = client.checkpoint_files(job_id, checkpoint, adapter_only=adapter_only)
    except BackendError as exc:
        body = exc.response_body if isinstance(exc.response_body, dict) else {}
        detail = body.get("detail")
        if exc.status == 404 and isinstance(detail, str) and detail:  # the backend's reason: nothing to fetch
            raise DownloadError(detail) from None
        raise
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not files:
        raise DownloadError(f"job {job_id} checkpoint {checkpoint}: the backend listed no files to download")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    result = Downloaded(job_id, checkpoint, str(manifest.get("format") or "full"), folder)
    try:
        for item in files:
            rel = _safe_relative(str(item["path"]))
            dest = staging.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            written = client.download_checkpoint_file(job_id, checkpoint, rel.as_posix(), dest,
                                                      adapter_only=adapter_only)
            expected = item.get("bytes")
            if isinstance(expected, int) and written != expected:
                raise DownloadError(f"{rel}: received {written} bytes, the backend listed {expected}; "
                                    "the connection was cut: run the download again")
            result.files.append(rel.as_posix())
            result.bytes += written
            if on_file is not None:
                on_file(rel.as_posix(), written)
        if folder.exists():
            folder.rmdir()  # empty (checked above)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result
