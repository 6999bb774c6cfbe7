"""State of the embedded backend: SQLite (jobs, events, metrics, timeline, files, idempotency keys)
plus uploaded files stored content-addressed on disk (`files/<sha256[:2]>/<sha256>`).

One connection, serialised by a re-entrant lock: every public method is one transaction, so
check-then-insert sequences (idempotency) are atomic across request threads and the worker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterator

from .jsonsafe import unservable

IDEMPOTENCY_TTL = 24 * 3600.0
#: job columns newer than SCHEMA's first version (real training, results): `Store._migrate`
#: adds them to an older database
JOB_COLUMNS_ADDED = {"trainer": "TEXT", "trained_model": "TEXT", "fine_tuned_model": "TEXT"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, purpose TEXT, filename TEXT, bytes INTEGER, sha256 TEXT,
    status TEXT, error TEXT, line_count INTEGER, first_line TEXT, created_at REAL, updated_at REAL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT, status TEXT, body TEXT, model TEXT, training_file_id TEXT,
    total_steps INTEGER, next_step INTEGER, fail_at_step INTEGER, seed TEXT, error TEXT,
    created_at REAL, updated_at REAL, started_at REAL, finished_at REAL);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT, seq INTEGER, type TEXT, level TEXT, message TEXT, data TEXT, created_at REAL,
    PRIMARY KEY (job_id, seq));
CREATE TABLE IF NOT EXISTS metrics (
    job_id TEXT, name TEXT, step INTEGER, value REAL, phase TEXT, created_at REAL,
    PRIMARY KEY (job_id, name, step));
CREATE TABLE IF NOT EXISTS timeline (
    job_id TEXT, n INTEGER, phase TEXT, created_at REAL, PRIMARY KEY (job_id, n));
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT, key TEXT, fingerprint TEXT, object_kind TEXT, object_id TEXT, created_at REAL,
    PRIMARY KEY (scope, key));
"""


def iso(ts: float | None) -> str | None:
    """ISO-8601 UTC text of a UNIX time."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def fingerprint(*parts: Any) -> str:
    """A stable hash of JSON-able parts (dict key order does not matter)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""


class Store:
    """The backend's persistent state in `data_dir` (state.sqlite3 + files/)."""

    def __init__(self, data_dir: str | os.PathLike[str], *, idempotency_ttl: float = IDEMPOTENCY_TTL) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.idempotency_ttl = idempotency_ttl
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.data_dir / "state.sqlite3", check_same_thread=False,
                                  isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Columns added after the first release, added to a data folder made by an older version."""
        have = {r["name"] for r in self.db.execute("PRAGMA table_info(jobs)")}
        for name, kind in JOB_COLUMNS_ADDED.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction under the store lock (re-entrant: nested calls join the outer one)."""
        with self.lock:
            if self.db.in_transaction:
                yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- idempotency -------------------------------------------------------------------------

    def idempotent_lookup(self, scope: str, key: str, fp: str) -> tuple[str, str] | None:
        """(object_kind, object_id) recorded for this key, None if new/expired; conflict on other body.

        Call inside `tx()` together with the creation and `idempotent_record`, so that concurrent
        requests with the same key create one object.
        """
        with self.tx() as db:
            row = db.execute("SELECT * FROM idempotency WHERE scope=? AND key=?", (scope, key)).fetchone()
            if row is None:
                return None
            if row["created_at"] < time.time() - self.idempotency_ttl:
                db.execute("DELETE FROM idempotency WHERE scope=? AND key=?", (scope, key))
                return None
            if row["fingerprint"] != fp:
                raise IdempotencyConflict(key)
            return row["object_kind"], row["object_id"]

    def idempotent_record(self, scope: str, key: str, fp: str, kind: str, object_id: str) -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO idempotency VALUES (?,?,?,?,?,?)",
                       (scope, key, fp, kind, object_id, time.time()))

    def expire_idempotency(self) -> int:
        with self.tx() as db:
            return db.execute("DELETE FROM idempotency WHERE created_at < ?",
                              (time.time() - self.idempotency_ttl,)).rowcount

    # -- files -------------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.files_dir / sha256[:2] / sha256

    def save_blob(self, stream: IO[bytes], chunk: int = 1 << 20) -> tuple[str, int]:
        """Copy a stream to content-addressed storage while hashing it; (sha256, size)."""
        digest = hashlib.sha256()
        size = 0
        tmp_dir = self.files_dir / "tmp"
        tmp_dir.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                while True:
                    block = stream.read(chunk)
                    if not block:
                        break
                    digest.update(block)
                    size += len(block)
                    fh.write(block)
            sha = digest.hexdigest()
            target = self.blob_path(sha)
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return sha, size

    def insert_file(self, *, purpose: str, filename: str, sha256: str, size: int) -> dict[str, Any]:
        now = time.time()
        file_id = new_id("file")
        with self.tx() as db:
            db.execute("INSERT INTO files (id, purpose, filename, bytes, sha256, status, created_at, updated_at)"
                       " VALUES (?,?,?,?,?,?,?,?)", (file_id, purpose, filename, size, sha256, "processing", now, now))
        return self.get_file(file_id)  # type: ignore[return-value]

    def finish_file(self, file_id: str, *, error: str | None, line_count: int, first_line: str | None) -> None:
        with self.tx() as db:
            db.execute("UPDATE files SET status=?, error=?, line_count=?, first_line=?, updated_at=? WHERE id=?",
                       ("failed" if error else "ready", error, line_count, first_line, time.time(), file_id))

    def file_row(self, file_id: str) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM files WHERE id=?", (file_id,)).fetchone()

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        row = self.file_row(file_id)
        return None if row is None else file_view(row)

    def list_files(self, *, purpose: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM files", list[Any]()
        if purpose:
            sql += " WHERE purpose=?"
            args.append(purpose)
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        with self.lock:
            return [file_view(r) for r in self.db.execute(sql, args).fetchall()]

    def processing_files(self) -> list[str]:
        with self.lock:
            return [r["id"] for r in self.db.execute("SELECT id FROM files WHERE status='processing'")]

    # -- jobs --------------------------------------------------------------------------------

    def insert_job(self, *, kind: str, status: str, body: dict[str, Any], model: str | None,
                   training_file_id: str | None, total_steps: int, fail_at_step: int | None,
                   seed: str, first_message: str, trainer: str = "emulate", trained_model: str | None = None,
                   first_data: dict[str, Any] | None = None, job_id: str | None = None) -> str:
        """A new job; `trainer` is "emulate" (synthetic metrics) or "torch" (a real training process)."""
        now = time.time()
        job_id = job_id or new_id("job")
        with self.tx() as db:
            db.execute("INSERT INTO jobs (id, kind, status, body, model, training_file_id, total_steps, next_step,"
                       " fail_at_step, seed, created_at, updated_at, trainer, trained_model)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (job_id, kind, status, json.dumps(body), model, training_file_id, total_steps, 0,
                        fail_at_step, seed, now, now, trainer, trained_model))
            self.add_event(job_id, f"{prefix_of(kind)}.job.created", first_message,
                           data={"emulated": trainer == "emulate", "trainer": trainer, "total_steps": total_steps,
                                 **(first_data or {})})
            self.add_phase(job_id, status)
        return job_id

    def job_row(self, job_id: str) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        row = self.job_row(job_id)
        return None if row is None else self._with_metrics(job_view(row))

    def _with_metrics(self, view: dict[str, Any]) -> dict[str, Any]:
        """A job view with `final_metrics` (the last value of each series) once it has points."""
        found = self.final_metrics(view["id"])
        if found:
            view["final_metrics"] = found
        return view

    def list_jobs(self, *, status: str | None = None, kind: str | None = None,
                  created_after: float | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        sql, where, args = "SELECT * FROM jobs", list[str](), list[Any]()
        if status:
            where.append("status=?")
            args.append(status)
        if kind:
            where.append("kind=?")
            args.append(kind)
        if created_after is not None:
            where.append("ROUND(created_at, 6) > ROUND(?, 6)")  # ISO times carry microseconds
            args.append(created_after)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        with self.lock:
            return [self._with_metrics(job_view(r)) for r in self.db.execute(sql, args).fetchall()]

    def active_job_ids(self, trainer: str | None = None) -> list[str]:
        """Queued and running jobs, oldest first; only those of `trainer` ("emulate" or "torch") when given."""
        sql = "SELECT id FROM jobs WHERE status IN ('queued','running')"
        args: list[Any] = []
        if trainer == "emulate":
            sql += " AND COALESCE(trainer, 'emulate') = 'emulate'"
        elif trainer:
            sql += " AND trainer = ?"
            args.append(trainer)
        with self.lock:
            return [r["id"] for r in self.db.execute(sql + " ORDER BY created_at, rowid", args)]

    def update_job(self, job_id: str, **fields: Any) -> None:
        fields["updated_at"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self.tx() as db:
            db.execute(f"UPDATE jobs SET {cols} WHERE id=?", (*fields.values(), job_id))

    def add_event(self, job_id: str, type_: str, message: str, *, level: str = "info",
                  data: dict[str, Any] | None = None) -> int:
        with self.tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id=?", (job_id,)).fetchone()[0]
            db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                       (job_id, seq, type_, level, message, json.dumps(data or {}), time.time()))
            return seq

    def add_metric(self, job_id: str, name: str, step: int, value: float, phase: str = "train") -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?)",
                       (job_id, name, step, value, phase, time.time()))

    def add_phase(self, job_id: str, phase: str) -> None:
        with self.tx() as db:
            n = db.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM timeline WHERE job_id=?", (job_id,)).fetchone()[0]
            db.execute("INSERT INTO timeline VALUES (?,?,?,?)", (job_id, n, phase, time.time()))

    def events(self, job_id: str, *, since_seq: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM events WHERE job_id=? AND seq>? ORDER BY seq LIMIT ?",
                                   (job_id, since_seq, limit)).fetchall()
        return [{"seq": r["seq"], "type": r["type"], "level": r["level"], "message": r["message"],
                 "data": json.loads(r["data"]), "created_at": iso(r["created_at"]), "job_id": job_id}
                for r in rows]

    def metrics(self, job_id: str, *, after_step: int = -1, limit: int | None = 200) -> list[dict[str, Any]]:
        """Points after `after_step`, ordered by step; a page never splits one step's points
        (unless one step alone has more than `limit`), so `after_step` is a safe cursor.
        `limit=None`: every point after `after_step`."""
        with self.lock:
            rows = self.db.execute("SELECT * FROM metrics WHERE job_id=? AND step>? ORDER BY step, name LIMIT ?",
                                   (job_id, after_step, -1 if limit is None else limit + 1)).fetchall()
        if limit is not None and len(rows) > limit:
            last_step = rows[limit]["step"]
            cut = [r for r in rows[:limit] if r["step"] != last_step]
            rows = cut or rows[:limit]
        return [{"name": r["name"], "value": r["value"], "step": r["step"], "phase": r["phase"],
                 "created_at": iso(r["created_at"])} for r in rows]

    def final_metrics(self, job_id: str) -> dict[str, float]:
        """The last value of each metric series of a job (name → value at its highest step)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT m.name, m.value FROM metrics m JOIN (SELECT name, MAX(step) AS step FROM metrics "
                "WHERE job_id=? GROUP BY name) last ON m.name = last.name AND m.step = last.step "
                "WHERE m.job_id=? ORDER BY m.name", (job_id, job_id)).fetchall()
        return {r["name"]: r["value"] for r in rows}

    def jobs_using_file(self, file_id: str, statuses: tuple[str, ...]) -> list[str]:
        """Ids of jobs in one of `statuses` that train on (or validate with) the file."""
        marks = ",".join("?" * len(statuses))
        with self.lock:
            rows = self.db.execute(f"SELECT id, training_file_id, body FROM jobs WHERE status IN ({marks})"
                                   " ORDER BY created_at, rowid", statuses).fetchall()
        return [r["id"] for r in rows if r["training_file_id"] == file_id or f'"{file_id}"' in r["body"]]

    def delete_file(self, file_id: str) -> bool:
        """Forget a file; its stored bytes go too when no other file record has the same content."""
        with self.tx() as db:
            row = db.execute("SELECT sha256 FROM files WHERE id=?", (file_id,)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM files WHERE id=?", (file_id,))
            shared = db.execute("SELECT 1 FROM files WHERE sha256=? LIMIT 1", (row["sha256"],)).fetchone()
        if shared is None:
            try:
                self.blob_path(row["sha256"]).unlink()
            except FileNotFoundError:
                pass
        return True

    def timeline(self, job_id: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM timeline WHERE job_id=? ORDER BY n", (job_id,)).fetchall()
        return [{"phase": r["phase"], "created_at": iso(r["created_at"])} for r in rows]

    def finish_job(self, job_id: str, status: str, *, event_type: str, message: str,
                   level: str = "info", data: dict[str, Any] | None = None, error: str | None = None,
                   fine_tuned_model: str | None = None) -> None:
        """Move a job to a terminal status with its terminal event and timeline phase, atomically
        (a successful job's resulting model id is set in the same transaction)."""
        with self.tx():
            extra = {"fine_tuned_model": fine_tuned_model} if fine_tuned_model else {}
            self.update_job(job_id, status=status, finished_at=time.time(), error=error, **extra)
            self.add_event(job_id, event_type, message, level=level, data=data)
            self.add_phase(job_id, status)


def prefix_of(kind: str) -> str:
    """Event type prefix of a job kind: `rl` or `sft`."""
    return "rl" if kind == "rl" else "sft"


def file_view(row: sqlite3.Row) -> dict[str, Any]:
    view = {"id": row["id"], "object": "file", "purpose": row["purpose"], "filename": row["filename"],
            "bytes": row["bytes"], "sha256": row["sha256"], "status": row["status"],
            "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"])}
    if row["line_count"] is not None:
        view["line_count"] = row["line_count"]
    if row["error"]:
        view["error"] = row["error"]
    return view


_log = logging.getLogger("synthlaunch.local")
_reported: set[str] = set()


def _stored_body(row: sqlite3.Row) -> tuple[dict[str, Any], str | None]:
    """The job's stored body, or ({}, why) when it cannot be read back as a JSON object."""
    try:
        body = json.loads(row["body"])
    except (TypeError, ValueError, RecursionError) as exc:
        return {}, f"the stored job body is not valid JSON ({type(exc).__name__})"
    if not isinstance(body, dict):
        return {}, "the stored job body is not a JSON object"
    return body, None


def job_view(row: sqlite3.Row) -> dict[str, Any]:
    """The job as served. A row whose body cannot be served (stored by an older version: nested too
    deep, NaN, garbled) is repaired, the body's fields left out and `body_error` saying why, so that
    one bad row never turns the job or a job list into a 500. Logged once per job."""
    body, why = _stored_body(row)
    view = _job_view(row, body)
    why = why or unservable(view)
    if why is None:
        return view
    if row["id"] not in _reported:
        _reported.add(row["id"])
        _log.warning("job %s: serving it without its body fields: %s", row["id"], why[:300])
    view = _job_view(row, {})
    view["body_error"] = f"the job's stored body cannot be served and is left out: {why[:300]}"
    return view


def _job_view(row: sqlite3.Row, body: dict[str, Any]) -> dict[str, Any]:
    kind = row["kind"]
    view: dict[str, Any] = {
        "id": row["id"], "job_id": row["id"], "object": "job", "type": kind,
        "job_type": kind, "training_type": "rl" if kind == "rl" else body.get("training_type", "sft_offline"),
        "status": row["status"], "model": row["model"], "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]), "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]), "total_steps": row["total_steps"],
        "current_step": row["next_step"], "emulated": (row["trainer"] or "emulate") == "emulate",
        "trainer": row["trainer"] or "emulate",
    }
    if row["trained_model"] and row["trained_model"] != row["model"]:
        view["trained_model"] = row["trained_model"]  # the stand-in that actually trained (model alias)
    if row["fine_tuned_model"]:
        view["fine_tuned_model"] = row["fine_tuned_model"]
    if row["training_file_id"]:
        view["training_file_id"] = row["training_file_id"]
    if kind == "sft" and isinstance(body.get("hyperparameters"), dict):
        view["hyperparameters"] = body["hyperparameters"]
    if kind == "rl" and isinstance(body.get("data"), dict):
        view["endpoint_base_url"] = body["data"].get("endpoint_base_url")
        config = body["data"].get("config")
        training = config.get("training") if isinstance(config, dict) else None
        if isinstance(training, dict):  # an RL job's hyperparameters are its [training] table
            view["hyperparameters"] = training
    if isinstance(body.get("metadata"), dict):
        view["metadata"] = body["metadata"]
    if row["error"]:
        view["error"] = row["error"]
    return view
