"""Upload a validated SFT dataset: dedupe cache, streamed multipart upload, wait until ready.

- The upload (`POST /api/files`) is streamed from disk by `SynthClient.upload_file`, with an
  `Idempotency-Key` derived from (sha256, size, name): a retried upload, or the same file sent
  again later, creates one file on the backend. `--force-upload` adds a fresh nonce to the key.
- Then the file is polled (`GET /api/files/{id}`) until it is ready (bounded by `ready_timeout`); `failed` is an
  error carrying the server's reason.
- Dedupe: a small JSON cache under the cache dir (`synthlaunch.paths`) maps (backend, account, sha256, size) to the
  file id. An id is reused only after `GET /api/files/{id}` shows it still exists and has not
  failed; otherwise it is forgotten and the file uploaded again. `force=True` skips the cache.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import Output
from .dataset import DatasetReport, validate_dataset
from .errors import BackendError, DatasetError, Problem
from .render.progress import byte_progress

if TYPE_CHECKING:  # pragma: no cover
    from .api import SynthClient

READY_STATES = frozenset({"ready", "uploaded", "stored", "complete"})
FAILED_STATES = frozenset({"failed", "error"})
UPLOAD_CACHE_FILE = "uploads.json"
CACHE_VERSION = 1
CACHE_MAX_ENTRIES = 1000  # the oldest are forgotten first


@dataclass
class UploadResult:
    """An uploaded (or reused) dataset: the backend's file id and what was sent."""

    file_id: str
    sha256: str
    examples: int
    bytes: int
    reused: bool
    path: Path

    def as_dict(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "sha256": self.sha256, "examples": self.examples,
                "bytes": self.bytes, "reused": self.reused, "path": str(self.path)}


# -- helpers ------------------------------------------------------------------------------------------

def idempotency_key_for(sha256: str, size: int, name: str) -> str:
    """The upload's Idempotency-Key: the same file content, size and name give the same key."""
    digest = hashlib.sha256(f"{sha256}:{size}:{name}".encode()).hexdigest()
    return f"synthlaunch-upload-{digest[:40]}"


def file_state(record: dict[str, Any] | None) -> str | None:
    """The file's state per the contract: `status` › `state` › `storage_state`, lower-cased."""
    if not isinstance(record, dict):
        return None
    for key in ("status", "state", "storage_state"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def failure_reason(record: dict[str, Any]) -> str:
    """The server's reason for a failed file, from the usual fields."""
    for key in ("error", "failure_reason", "reason", "detail", "message", "status_details"):
        value = record.get(key)
        if value:
            return value if isinstance(value, str) else str(value)
    return "no reason given"


def default_cache_path() -> Path:
    """`<cache dir>/uploads.json` (`SYNTHLAUNCH_CACHE_DIR` overrides the cache dir; see `synthlaunch.paths`)."""
    from .paths import cache_dir

    return cache_dir() / UPLOAD_CACHE_FILE


class UploadCache:
    """(backend, account, sha256, size) → file id, in one small JSON file written atomically under a lock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()

    @staticmethod
    def key(backend: str, api_key: str, sha256: str, size: int) -> str:
        # the account is a short one-way fingerprint of the key: never the key itself
        account = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        return f"{backend.rstrip('/')}|{account}|{sha256}|{size}"

    def _load(self) -> dict[str, Any]:
        from .atomic import read_json_file

        data = read_json_file(self.path, default=None)
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or \
                not isinstance(data.get("files"), dict):
            return {"version": CACHE_VERSION, "files": {}}
        return data

    def get(self, key: str) -> str | None:
        entry = self._load()["files"].get(key)
        file_id = entry.get("file_id") if isinstance(entry, dict) else None
        return file_id if isinstance(file_id, str) and file_id else None

    def _write(self, change: Any) -> None:
        """Read, change and write the cache under its lock file, so that concurrent runs keep each
        other's entries (the same lock helper as the pending-submission records)."""
        from .atomic import write_json_file
        from .locking import exclusive

        try:
            with exclusive(self.path.with_suffix(".lock")):
                data = self._load()
                change(data["files"])
                write_json_file(self.path, data)
        except OSError:
            pass  # a cache: failing to write it costs one upload next time, nothing more

    def put(self, key: str, file_id: str, name: str) -> None:
        entry = {"file_id": file_id, "name": name, "uploaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

        def change(files: dict[str, Any]) -> None:
            files[key] = entry
            if len(files) > CACHE_MAX_ENTRIES:
                by_age = sorted(files, key=lambda k: str(files[k].get("uploaded_at", "")
                                                         if isinstance(files[k], dict) else ""))
                for old in by_age[:len(files) - CACHE_MAX_ENTRIES]:
                    if old != key:
                        del files[old]

        self._write(change)

    def drop(self, key: str) -> None:
        self._write(lambda files: files.pop(key, None))


def _lookup(client: "SynthClient", file_id: str) -> dict[str, Any] | None:
    """The file's record, or None when this backend/account cannot see it (404, 403)."""
    try:
        return client.get_file(file_id)
    except BackendError as exc:
        if exc.status == 403:
            return None
        raise


def wait_until_ready(client: "SynthClient", file_id: str, *, timeout: float = 120.0,
                     out: Output | None = None, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """Poll `GET /api/files/{id}` until the file is ready; BackendError when it failed or time ran out.

    A record without any state field counts as ready (a backend that does not process files); any
    state that is neither ready nor failed (processing, pending, validating, ...) is waited on.
    """
    started = time.monotonic()
    deadline = started + timeout
    delay = 0.025  # small files are ready within milliseconds; back off from there
    last_state: str | None = "not visible yet"
    announced = False
    while True:
        if record is None:
            record = client.get_file(file_id)
        if record is not None:
            state = file_state(record)
            if state is None or state in READY_STATES:
                return record
            if state in FAILED_STATES:
                raise BackendError(f"the backend could not process file {file_id}: {failure_reason(record)}",
                                   method="GET", url=client.url(f"files/{file_id}"), response_body=record,
                                   hint="fix the dataset as the reason says, then upload again "
                                        "(--force-upload to skip the upload cache)")
            last_state = state
        if time.monotonic() + delay > deadline:
            raise BackendError(f"file {file_id} was not ready after {timeout:g} s (last status: {last_state})",
                               method="GET", url=client.url(f"files/{file_id}"), response_body=record,
                               hint="the backend is slow to process the file; run again later "
                                    "(the upload is remembered, it will not be sent twice)")
        if out is not None and not announced and time.monotonic() - started + delay >= 1.0:
            out.info(f"waiting for file {file_id} to be ready (status: {last_state})")
            announced = True
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
        record = None


# -- the library entry point ------------------------------------------------------------------------

def upload_dataset(client: "SynthClient", path: str | os.PathLike[str], *, out: Output, force: bool = False,
                   report: DatasetReport | None = None, cache_path: Path | None = None,
                   ready_timeout: float = 120.0, idempotency_key: str | None = None) -> UploadResult:
    """Validate (unless `report` is given), then reuse a cached upload or upload and wait until ready.

    Raises DatasetError (invalid dataset, nothing sent), BackendError / BackendUnreachable (exit 4).
    `idempotency_key` overrides the derived key.
    """
    path = Path(path)
    if report is None:
        report = validate_with_progress(out, path)
    cache = UploadCache(cache_path)
    ckey = cache.key(client.base_url, client.api_key, report.sha256, report.bytes)

    if not force:
        cached = cache.get(ckey)
        if cached:
            record = _lookup(client, cached)
            state = file_state(record)
            if record is not None and state not in FAILED_STATES:
                wait_until_ready(client, cached, timeout=ready_timeout, out=out, record=record)
                out.info(f"{path.name}: already uploaded to this backend as {cached} "
                         "(same sha256 and size; --force-upload sends it again)")
                return UploadResult(cached, report.sha256, report.examples, report.bytes, True, path)
            why = "not found on the backend" if record is None else f"status {state}"
            out.detail(f"cached file id {cached} is no longer usable ({why}); uploading again")
            cache.drop(ckey)

    _check_unchanged(path, report)
    key = idempotency_key or idempotency_key_for(report.sha256, report.bytes, path.name)
    if force and not idempotency_key:
        key += "-" + secrets.token_hex(4)  # a new file, not a replay of the previous upload
    out.info(f"uploading {path.name} ({report.examples} examples, {report.bytes} bytes)")
    with byte_progress(out, report.bytes, f"uploading {path.name}") as progress:
        answer = client.upload_file(path, idempotency_key=key, progress=progress)
    file_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(file_id, str) or not file_id:
        raise BackendError("the backend accepted the upload but its answer has no `id`", method="POST",
                           url=client.url("files"), response_body=answer,
                           hint="report this answer to the backend's operators")
    record = answer if file_state(answer) is not None else None
    wait_until_ready(client, file_id, timeout=ready_timeout, out=out, record=record)
    cache.put(ckey, file_id, path.name)
    return UploadResult(file_id, report.sha256, report.examples, report.bytes, False, path)


def validate_with_progress(out: Output, path: Path, **kwargs: Any) -> DatasetReport:
    """`validate_dataset` with a progress bar on a terminal for large files."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # validate_dataset reports the missing/unreadable file
    with byte_progress(out, size, f"validating {path.name}") as progress:
        return validate_dataset(path, progress=progress, **kwargs)


def _check_unchanged(path: Path, report: DatasetReport) -> None:
    """Refuse to upload a file whose size changed since it was validated."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DatasetError([Problem(f"cannot be read any more: {exc.strerror or exc}", path=str(path))]) from None
    if size != report.bytes:
        raise DatasetError([Problem(f"changed since it was validated ({report.bytes} → {size} bytes)",
                                    path=str(path))], hint="run again once the file is no longer being written")
