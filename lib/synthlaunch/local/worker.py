"""The emulated trainer: a background thread that checks uploaded files and moves jobs through
queued → running → succeeded / failed, emitting events, `train.loss` (and RL `train.reward`)
points per step from step 0, and timeline phases. Nothing is trained: values are synthetic and
deterministic for a given job body and dataset (seeded by their hashes), and the first event of
every job says so.

Failing on purpose at step N (for tests and demos):
- RL: `[emulation] fail_at_step = N` in the config (it travels in `data.config.emulation`);
- SFT: the first dataset line carries `"metadata": {"emulation": {"fail_at_step": N}}`;
- any job: `"metadata": {"emulation": {"fail_at_step": N}}` in the request body;
- at run time: `POST /admin/jobs/{id}/fail`.
`steps = N` next to `fail_at_step` sets the number of emulated steps (default 10).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from typing import Any

from .store import Store, prefix_of

DEFAULT_STEPS = 10
MAX_STEPS = 10_000
EMULATED_NOTE = ("emulated training by the synthlaunch embedded backend: no model is trained, "
                 "metrics are synthetic and deterministic for this job body and dataset")


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def emulation_settings(*sources: Any) -> dict[str, int]:
    """`steps` / `fail_at_step` from the first source dicts that carry them (later ones fill gaps)."""
    found: dict[str, int] = {}
    for source in sources:
        if not isinstance(source, dict):
            continue
        for key in ("steps", "fail_at_step"):
            value = _int_or_none(source.get(key))
            if key not in found and value is not None:
                found[key] = value
    return found


def plan_job(kind: str, body: dict[str, Any], first_line: str | None = None,
             dataset_sha256: str | None = None) -> tuple[int, int | None, str]:
    """(total_steps, fail_at_step, seed) of a job, from its body and its dataset's first line."""
    sources: list[Any] = []
    meta = body.get("metadata")
    if isinstance(meta, dict):
        sources.append(meta.get("emulation"))
    if kind == "rl":
        data = body.get("data")
        config = data.get("config") if isinstance(data, dict) else None
        sources.append(config.get("emulation") if isinstance(config, dict) else None)
    elif first_line:
        try:
            first = json.loads(first_line)
        except (ValueError, RecursionError):
            first = None
        if isinstance(first, dict) and isinstance(first.get("metadata"), dict):
            sources.append(first["metadata"].get("emulation"))
    settings = emulation_settings(*sources)
    steps = settings.get("steps", DEFAULT_STEPS)
    steps = max(1, min(MAX_STEPS, steps))
    seed = json.dumps([kind, body, dataset_sha256], sort_keys=True, default=str)
    return steps, settings.get("fail_at_step"), seed


def loss_at(seed: str, step: int, total: int) -> float:
    """A deterministic, decreasing, slightly noisy loss curve."""
    noise = random.Random(f"{seed}:loss:{step}").uniform(-0.04, 0.04)
    return round(0.35 + 2.1 * math.exp(-step / max(1.0, total / 3)) + noise, 6)


def reward_at(seed: str, step: int, total: int) -> float:
    """A deterministic, increasing, slightly noisy mean reward in [0, 1]."""
    noise = random.Random(f"{seed}:reward:{step}").uniform(-0.03, 0.03)
    return round(min(1.0, max(0.0, 0.1 + 0.75 * (1 - math.exp(-step / max(1.0, total / 2))) + noise)), 6)


def resulting_model_id(kind: str, base_model: str | None, job_id: str) -> str:
    """The id of the model an emulated job produces: `ft:<base>:<job_id>` (SFT), `rl:<base>:<job_id>` (RL)."""
    base = base_model or "unknown"
    parts = base.split(":")
    if len(parts) >= 3:  # trained from a fine-tuned id (`rl:<base>:<job>`): name the base model
        base = parts[1]
    return f"{'rl' if kind == 'rl' else 'ft'}:{base}:{job_id}"


def check_jsonl(path: str, max_problems: int = 5) -> tuple[str | None, int, str | None]:
    """Server-side check of a chat JSONL file: (error or None, non-blank lines, first non-blank line)."""
    problems: list[str] = []
    count = 0
    first: str | None = None
    try:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    problems.append(f"line {lineno}: not UTF-8")
                    continue
                if not text.strip():
                    continue
                count += 1
                if first is None:
                    first = text.strip()
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    problems.append(f"line {lineno}: not valid JSON ({exc.msg})")
                    continue
                except RecursionError:  # a line nested beyond the parser: the file fails, never the checker
                    problems.append(f"line {lineno}: nested too deeply")
                    continue
                if not isinstance(obj, dict):
                    problems.append(f"line {lineno}: not a JSON object")
                elif not isinstance(obj.get("messages"), list) or not obj["messages"]:
                    problems.append(f"line {lineno}: 'messages' must be a non-empty list")
                if len(problems) >= max_problems:
                    break
    except OSError as exc:
        return f"cannot read the stored file: {exc}", count, first
    if not problems and count == 0:
        problems.append("the file has no examples (only blank lines)")
    return ("; ".join(problems) if problems else None), count, first


class Worker:
    """Background thread advancing every active job by one step per `step_seconds`."""

    def __init__(self, store: Store, *, step_seconds: float = 0.2, file_check_seconds: float = 0.0) -> None:
        self.store = store
        self.step_seconds = max(0.0, step_seconds)
        self.file_check_seconds = max(0.0, file_check_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_step: dict[str, float] = {}
        self._file_seen: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        #: set by the backend when a torch trainer runs next to this one (it resumes the real jobs)
        self.real_training = False

    def start(self) -> None:
        self._resume_interrupted()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="synthlaunch-emulated-trainer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        """Look at files and jobs now (a file was uploaded, a job was created or started)."""
        self._wake.set()

    def _resume_interrupted(self) -> None:
        for job_id in self.store.active_job_ids("torch"):
            row = self.store.job_row(job_id)
            if row is not None and not self.real_training:
                reason = ("the embedded backend restarted with the emulate trainer; this job trains for real and "
                          "needs the torch trainer (restart the backend with it to resume)")
                self.store.finish_job(job_id, "failed", event_type=f"{prefix_of(row['kind'])}.job.failed",
                                      message=reason, level="error", data={"reason": reason}, error=reason)
        for job_id in self.store.active_job_ids("emulate"):
            row = self.store.job_row(job_id)
            if row is not None and row["status"] == "running":
                self.store.add_event(
                    job_id, f"{prefix_of(row['kind'])}.job.resumed",
                    f"the embedded backend restarted; emulated training resumes at step "
                    f"{row['next_step']} of {row['total_steps']}", level="warning",
                    data={"step": row["next_step"], "reason": "backend restart"})

    def _loop(self) -> None:
        tick = min(0.05, self.step_seconds) if self.step_seconds > 0 else 0.005
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # pragma: no cover - keep the trainer alive; the store is the truth
                import logging

                logging.getLogger("synthlaunch.local").exception("emulated trainer tick failed")
            self._wake.wait(tick)
            self._wake.clear()

    def run_once(self) -> None:
        now = time.monotonic()
        for file_id in self.store.processing_files():
            seen = self._file_seen.setdefault(file_id, now)
            if now - seen >= self.file_check_seconds:
                self._check_file(file_id)
                self._file_seen.pop(file_id, None)
        for job_id in self.store.active_job_ids("emulate"):
            last = self._last_step.get(job_id)
            if last is None or now - last >= self.step_seconds:
                self._last_step[job_id] = now
                self.advance(job_id)

    def _check_file(self, file_id: str) -> None:
        row = self.store.file_row(file_id)
        if row is None:
            return
        error, count, first = check_jsonl(str(self.store.blob_path(row["sha256"])))
        self.store.finish_file(file_id, error=error, line_count=count, first_line=first)

    def advance(self, job_id: str) -> None:
        """One step of one job, in one transaction (a concurrent cancel wins or loses cleanly)."""
        store = self.store
        with store.tx():
            row = store.job_row(job_id)
            if row is None or row["status"] not in ("queued", "running"):
                self._last_step.pop(job_id, None)
                return
            p = prefix_of(row["kind"])
            total = row["total_steps"]
            if row["status"] == "queued":
                store.update_job(job_id, status="running", started_at=time.time())
                store.add_event(job_id, f"{p}.job.started",
                                f"emulated training started: {total} step(s)",
                                data={"total_steps": total, "emulated": True})
                store.add_phase(job_id, "running")
                return
            step = row["next_step"]
            if row["fail_at_step"] is not None and step >= row["fail_at_step"]:
                reason = f"emulated failure at step {step} (requested by emulation.fail_at_step)"
                store.finish_job(job_id, "failed", event_type=f"{p}.job.failed", message=reason,
                                 level="error", data={"step": step, "reason": reason}, error=reason)
                return
            loss = loss_at(row["seed"], step, total)
            store.add_metric(job_id, "train.loss", step, loss)
            data: dict[str, Any] = {"step": step, "total_steps": total, "loss": loss}
            message = f"step {step} ({step + 1}/{total}): train.loss={loss:.4f}"
            if row["kind"] == "rl":
                reward = reward_at(row["seed"], step, total)
                store.add_metric(job_id, "train.reward", step, reward)
                data["reward"] = reward
                message += f" train.reward={reward:.4f}"
            store.add_event(job_id, f"{p}.train.step", message, data=data)
            store.update_job(job_id, next_step=step + 1)
            if step + 1 >= total:
                model_id = resulting_model_id(row["kind"], row["model"], job_id)
                store.finish_job(job_id, "succeeded", event_type=f"{p}.job.completed",
                                 message=f"emulated training completed: {total} step(s), final train.loss={loss:.4f}",
                                 data={"final_loss": loss, "total_steps": total, "fine_tuned_model": model_id},
                                 fine_tuned_model=model_id)

    def fail_now(self, job_id: str, reason: str) -> bool:
        """Fail an active job immediately (admin route). False when it is not active."""
        with self.store.tx():
            row = self.store.job_row(job_id)
            if row is None or row["status"] in ("succeeded", "failed", "cancelled"):
                return False
            p = prefix_of(row["kind"])
            self.store.finish_job(job_id, "failed", event_type=f"{p}.job.failed", message=reason, level="error",
                                  data={"step": row["next_step"], "reason": reason}, error=reason)
            return True
