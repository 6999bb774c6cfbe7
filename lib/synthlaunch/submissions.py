"""Crash-safe job creation: remember the Idempotency-Key of a submission until it is confirmed.

Before a job is created, its key is recorded under a fingerprint of (backend, job body, dataset
hash). If the tool dies after sending the request but before it saw the answer, the next run of the
same submission finds the record and reuses the key, so the backend returns the job it already
created instead of making a second one. The record is removed once creation is confirmed.

A run holds a lock on its record (`locking.try_hold`, one lock file per record) until creation
is confirmed or the run ends; the kernel drops it when the process dies. So a record whose lock
is free is from a dead run (its key is reused), and a record whose lock is held is from a live,
concurrent run of the same submission: that run is left alone and this one gets its own record
(`<fingerprint>#1`, `#2`, …) and key, so two deliberate parallel runs make two jobs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import IO, Any, Iterator, Literal, NamedTuple

from .atomic import read_json_file, write_json_file
from .errors import EnvError
from .locking import exclusive, try_hold

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


#: lock files held by this process, by path: its own runs' records (a later config of the same run
#: that submits the same job again is not a concurrent run)
_HELD: dict[Path, IO[str]] = {}


class Claim(NamedTuple):
    """The key of a submission and how it was chosen: `new`, `reused` (a dead or earlier run's
    unconfirmed record) or `concurrent` (another live run has the same submission pending)."""

    key: str
    how: Literal["new", "reused", "concurrent"]


class PendingSubmissions:
    """The record file (JSON: fingerprint -> {key, created}), guarded by a lock file."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from .paths import state_dir

            path = state_dir() / "pending-submissions.json"
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        lock = self.path.with_suffix(".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.touch(mode=0o600, exist_ok=True)
        except OSError as exc:
            raise self._unusable(exc) from None
        with exclusive(lock):
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

    def _unusable(self, exc: OSError) -> EnvError:
        """Without its record a crash could create a second job: refuse (exit 2) before anything is sent."""
        return EnvError(f"cannot write the pending-submission record {self.path}: {exc.strerror or exc}",
                        hint="set SYNTHLAUNCH_STATE_DIR to a writable folder (it keeps the Idempotency-Key of "
                             "a job creation until the backend confirmed it)")

    def _slot_lock(self, slot: str) -> Path:
        return self.path.parent / f"{self.path.stem}.locks" / (slot.replace("#", ".") + ".lock")

    def _hold(self, slot: str) -> bool:
        """Whether this process holds (or now took) the lock of `slot`; False when a live run has it."""
        path = self._slot_lock(slot)
        if path in _HELD:
            return True
        try:
            handle = try_hold(path)
        except OSError as exc:
            raise self._unusable(exc) from None
        if handle is None:
            return False
        _HELD[path] = handle
        return True

    def _release(self, slot: str) -> None:
        handle = _HELD.pop(self._slot_lock(slot), None)
        if handle is not None:
            with contextlib.suppress(OSError):
                self._slot_lock(slot).unlink()  # under the records lock: nobody is between open and lock
            handle.close()

    def claim(self, fp: str, *, explicit: str | None = None) -> Claim:
        """The key for submission `fp`, recorded (and its record locked by this process) before returning,
        so that a crash right after sending finds it. See the module docstring for live vs dead runs."""
        now = time.time()
        with self._locked() as records:
            for stale in [k for k, v in records.items() if not _usable(v, now)]:
                del records[stale]
            n = 0
            while True:
                slot = fp if n == 0 else f"{fp}#{n}"
                if self._hold(slot):
                    break
                n += 1  # a live run holds this record: leave it (and its key) alone
            found = records.get(slot)
            if found and (explicit is None or found.get("key") == explicit):
                return Claim(str(found["key"]), "reused")
            key = explicit or new_key()
            records[slot] = {"key": key, "created": now}
            return Claim(key, "concurrent" if n else "new")

    def key_for(self, fp: str, *, explicit: str | None = None) -> tuple[str, bool]:
        """(key, reused): `claim` for callers that only need to know whether the key was reused."""
        key, how = self.claim(fp, explicit=explicit)
        return key, how == "reused"

    def confirm(self, fp: str) -> None:
        """Creation confirmed: forget this process's record of `fp` (a later run makes a new job)."""
        with self._locked() as records:
            for slot in [k for k in records if k == fp or k.startswith(fp + "#")]:
                if self._slot_lock(slot) in _HELD:
                    records.pop(slot, None)
                    self._release(slot)
