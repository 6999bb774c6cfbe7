"""Crash-safe job creation: remember the Idempotency-Key of a submission until it is confirmed.

Before a job is created, its key is recorded under a fingerprint of (backend, job body, dataset
hash). If the tool dies after sending the request but before it saw the answer, the next run of the
same submission finds the record and reuses the key, so the backend returns the job it already
created instead of making a second one. The record is removed once creation is confirmed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from .atomic import read_json_file, write_json_file
from .errors import EnvError

RECORD_TTL_SECONDS = 23 * 3600  # the backend keeps idempotency keys 24 h: never reuse an expired one


def fingerprint(backend_url: str, body: Any, dataset_sha256: str | None = None) -> str:
    """A stable hash of what is being submitted and where."""
    canonical = json.dumps({"backend": backend_url.rstrip("/"), "body": body, "dataset": dataset_sha256},
                           sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_key() -> str:
    return f"synthlaunch-{uuid.uuid4()}"


def _usable(record: Any, now: float) -> bool:
    """A record with a key, younger than the TTL (a hand-edited or damaged entry is not: it is dropped)."""
    if not isinstance(record, dict) or not isinstance(record.get("key"), str) or not record["key"]:
        return False
    try:
        return now - float(record.get("created", 0)) <= RECORD_TTL_SECONDS
    except (TypeError, ValueError):
        return False


class PendingSubmissions:
    """The record file (JSON: fingerprint -> {key, created}), guarded by a lock file."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from .paths import state_dir

            path = state_dir() / "pending-submissions.json"
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_suffix(".lock"), "a+")
        except OSError as exc:
            raise self._unusable(exc) from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                records = read_json_file(self.path, {}) or {}
                if not isinstance(records, dict):
                    records = {}
                before = dict(records)
                yield records
                if records != before:
                    try:
                        write_json_file(self.path, records)
                    except OSError as exc:
                        raise self._unusable(exc) from None
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _unusable(self, exc: OSError) -> EnvError:
        """Without its record a crash could create a second job: refuse (exit 2) before anything is sent."""
        return EnvError(f"cannot write the pending-submission record {self.path}: {exc.strerror or exc}",
                        hint="set SYNTHLAUNCH_STATE_DIR to a writable folder (it keeps the Idempotency-Key of "
                             "a job creation until the backend confirmed it)")

    def key_for(self, fp: str, *, explicit: str | None = None) -> tuple[str, bool]:
        """(key, reused): the recorded key of an unconfirmed submission, else `explicit` or a new one.

        The key is recorded before returning, so that a crash right after sending finds it.
        """
        now = time.time()
        with self._locked() as records:
            for stale in [k for k, v in records.items() if not _usable(v, now)]:
                del records[stale]
            found = records.get(fp)
            if found and (explicit is None or found.get("key") == explicit):
                return str(found["key"]), True
            key = explicit or new_key()
            records[fp] = {"key": key, "created": now}
            return key, False

    def confirm(self, fp: str) -> None:
        """Creation confirmed: forget the record (a later run of the same config makes a new job)."""
        with self._locked() as records:
            records.pop(fp, None)
