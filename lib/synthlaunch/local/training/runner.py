"""The `torch` trainer of the embedded backend: one training process per SFT job.

A background thread starts queued jobs (at most `max_jobs` at once) as
`python -m synthlaunch.local.training.child SPEC` (under `torch.distributed.run` when the job
asks for more than one process), copies each process's reports into the store, stops the process
of a job that was cancelled or failed (SIGTERM to its process group, SIGKILL after a grace
period), and ends the job: `succeeded` with `fine_tuned_model` on the process's `done` report
(sent after the final model is saved; the process is then left to exit), `failed` with the
reason when the process exits without one. On start it resumes jobs a previous backend left
running, from their last checkpoint (or from step 0, saying so).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..store import Store, prefix_of
from .artifacts import latest_checkpoint
from .models import fine_tuned_id, split_fine_tuned
from .report import ReportTail
from .spec import TrainSpec

log = logging.getLogger("synthlaunch.local")
CHILD_MODULE = "synthlaunch.local.training.child"
RL_CHILD_MODULE = "synthlaunch.local.training.rl_child"
KEYS_VARIABLE = "SYNTHLAUNCH_ENVIRONMENT_API_KEYS"  # the environment keys an RL process sends to task apps
ACTIVE = ("queued", "running")
#: seconds a process that reported `done` may take to exit before it is stopped
EXIT_GRACE_SECONDS = 30.0


@dataclass
class Running:
    job_id: str
    proc: subprocess.Popen[bytes]
    tail: ReportTail
    log_file: IO[bytes]
    log_path: Path
    error: str | None = None
    done: dict[str, Any] | None = None
    done_at: float | None = None
    stop_sent_at: float | None = None
    inference_url: str | None = None  # RL: the training process's policy server


def launch_command(spec_path: Path, processes: int, module: str = CHILD_MODULE) -> list[str]:
    """The command line of a job's training: one process, or `processes` under torch.distributed.run."""
    if processes <= 1:
        return [sys.executable, "-m", module, str(spec_path)]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
            "-m", CHILD_MODULE, str(spec_path)]


def _last_lines(path: Path, count: int = 3) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-count:])[-600:]


def _is_our_child(pid: int) -> bool:
    """True when `pid` is alive and runs a synthlaunch training process (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return any(m.encode() in cmdline for m in (CHILD_MODULE, RL_CHILD_MODULE)) or b"torch.distributed.run" in cmdline


class TorchRunner:
    """Runs the SFT jobs whose `trainer` is "torch" (see the module docstring)."""

    def __init__(self, store: Store, data_dir: Path, *, max_jobs: int = 1, poll_seconds: float = 0.1,
                 stop_grace_seconds: float = 5.0, environment_api_keys: list[str] | None = None) -> None:
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, got {max_jobs}")
        self.store = store
        self.jobs_dir = Path(data_dir) / "jobs"
        self.max_jobs = max_jobs
        self.poll_seconds = poll_seconds
        self.stop_grace_seconds = stop_grace_seconds
        self._running: dict[str, Running] = {}
        self._resume: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.environment_api_keys = list(environment_api_keys or [])
        #: the backend's own URL (RL jobs hand task apps `<public_url>/rl/jobs/<id>/inference/<cid>`);
        #: RL jobs wait in the queue until the server has bound its port and set it
        self.public_url: str | None = None

    def inference_target(self, job_id: str) -> str | None:
        """The policy server of a running RL job's training process, else None."""
        run = self._running.get(job_id)
        return run.inference_url if run is not None else None

    # -- paths ------------------------------------------------------------------------------

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def final_model(self, job_id: str) -> str | None:
        """The trained model folder of a succeeded torch job (for `ft:<base>:<job_id>`), else None."""
        row = self.store.job_row(job_id)
        folder = self.job_dir(job_id) / "final" / "model"
        if row is None or row["status"] != "succeeded" or row["trainer"] != "torch" or not folder.is_dir():
            return None
        return str(folder)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        for job_id in self.store.active_job_ids("torch"):
            row = self.store.job_row(job_id)
            if row is not None and row["status"] == "running":
                self._resume.add(job_id)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="synthlaunch-torch-trainer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and every training process (jobs stay `running`: the next start resumes them)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        for run in list(self._running.values()):
            self._signal(run, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_seconds
        for run in list(self._running.values()):
            try:
                run.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(run, signal.SIGKILL)
                run.proc.wait(timeout=10)
            run.log_file.close()
        self._running.clear()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # pragma: no cover - keep the trainer alive; the store is the truth
                log.exception("torch trainer tick failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def run_once(self) -> None:
        for run in list(self._running.values()):
            self._watch(run)
        if self._stop.is_set():
            return
        for job_id in self.store.active_job_ids("torch"):
            if len(self._running) >= self.max_jobs:
                break
            if job_id not in self._running:
                self._launch(job_id)

    # -- one job ----------------------------------------------------------------------------

    def _signal(self, run: Running, sig: int) -> None:
        try:
            os.killpg(run.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _kill_leftover(self, job_dir: Path) -> None:
        """Kill the training process a previous backend left behind (it died without stopping it)."""
        try:
            pid = int((job_dir / "pid").read_text())
        except (OSError, ValueError):
            return
        if _is_our_child(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _launch(self, job_id: str) -> None:
        store = self.store
        row = store.job_row(job_id)
        if row is None or row["status"] not in ACTIVE:
            return
        p = prefix_of(row["kind"])
        job_dir = self.job_dir(job_id)
        try:
            spec = TrainSpec.load(job_dir / "spec.json")
        except (OSError, ValueError, TypeError) as exc:
            self._fail(job_id, f"cannot read the job's training spec ({job_dir / 'spec.json'}): {exc}")
            return
        rl = spec.extra.get("kind") == "rl"
        if rl:
            if self.public_url is None:
                return  # the server is not listening yet: launch on a later tick
            spec.extra["inference_base"] = f"{self.public_url}/rl/jobs/{job_id}/inference"
        attempt = len(list(job_dir.glob("report-*.ndjson"))) + 1
        spec.report_file = str(job_dir / f"report-{attempt}.ndjson")
        resumed = job_id in self._resume or row["status"] == "running"
        self._resume.discard(job_id)
        if resumed:
            self._kill_leftover(job_dir)
            checkpoint = latest_checkpoint(job_dir)
            spec.resume_from = str(checkpoint) if checkpoint else None
            where = (f"from {checkpoint.name} (step {checkpoint.name.rpartition('-')[2]} of {row['total_steps']})"
                     if checkpoint else "from step 0: no checkpoint had been saved yet")
            store.add_event(job_id, f"{p}.job.resumed", f"the embedded backend restarted; training resumes {where}",
                            level="warning", data={"checkpoint": checkpoint.name if checkpoint else None,
                                                   "reason": "backend restart"})
        spec_path = job_dir / f"spec-{attempt}.json"
        spec.dump(spec_path)
        log_path = job_dir / "train.log"
        log_file = open(log_path, "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
        if rl:
            env[KEYS_VARIABLE] = "\n".join(self.environment_api_keys)
        module = RL_CHILD_MODULE if rl else CHILD_MODULE
        try:
            proc = subprocess.Popen(launch_command(spec_path, spec.world_size, module), stdout=log_file,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=job_dir, env=env,
                                    start_new_session=True)
        except OSError as exc:
            log_file.close()
            self._fail(job_id, f"could not start the training process: {exc}")
            return
        (job_dir / "pid").write_text(str(proc.pid))
        self._running[job_id] = Running(job_id, proc, ReportTail(spec.report_file), log_file, log_path)
        with store.tx():
            row = store.job_row(job_id)
            if row is not None and row["status"] == "queued":
                store.update_job(job_id, status="running", started_at=time.time())
                store.add_phase(job_id, "running")
            store.add_event(job_id, f"{p}.job.started",
                            f"training process started (pid {proc.pid}, {spec.world_size} process(es)): "
                            f"{spec.model_id}, {spec.n_epochs} epoch(s)" + (", RL" if rl else "")
                            + (f", resuming from {Path(spec.resume_from).name}" if spec.resume_from else ""),
                            data={"pid": proc.pid, "processes": spec.world_size, "model": spec.model_id,
                                  "emulated": False, "resume_from": Path(spec.resume_from).name
                                  if spec.resume_from else None})

    def _watch(self, run: Running) -> None:
        store = self.store
        exit_code = run.proc.poll()
        self._apply_reports(run)
        row = store.job_row(run.job_id)
        if row is None or row["status"] not in ACTIVE:
            if exit_code is not None:
                self._forget(run)
            elif run.done_at is not None and time.monotonic() - run.done_at <= EXIT_GRACE_SECONDS:
                pass  # succeeded (final model saved): let the process exit on its own
            elif run.stop_sent_at is None:  # cancelled or failed from outside, or stuck after `done`
                run.stop_sent_at = time.monotonic()
                self._signal(run, signal.SIGTERM)
            elif time.monotonic() - run.stop_sent_at > self.stop_grace_seconds:
                self._signal(run, signal.SIGKILL)
            return
        if exit_code is None:
            return
        self._forget(run)
        if run.error:
            reason = f"training failed: {run.error}"
        elif exit_code < 0:
            reason = f"the training process was killed by signal {signal.Signals(-exit_code).name}"
        else:
            reason = f"the training process exited with code {exit_code} without finishing"
        tail = _last_lines(run.log_path)
        if tail and not run.error:
            reason += f"; last lines of its log: {tail}"
        self._fail(run.job_id, reason, log=str(run.log_path))

    def _forget(self, run: Running) -> None:
        run.log_file.close()
        self._running.pop(run.job_id, None)

    def _apply_reports(self, run: Running) -> None:
        store = self.store
        for record in run.tail.read():
            kind = record.get("type")
            if kind == "error":
                run.error = str(record.get("message"))
                continue
            if kind == "done":
                # the final model is saved: the job has succeeded, whatever the process's exit takes
                run.done, run.done_at = record, time.monotonic()
                self._succeed(run.job_id, record)
                continue
            if kind == "inference":
                run.inference_url = str(record.get("url"))
                continue
            with store.tx():
                row = store.job_row(run.job_id)
                if row is None or row["status"] != "running":
                    continue
                p = prefix_of(row["kind"])
                if kind == "metric":
                    store.add_metric(run.job_id, str(record["name"]), int(record["step"]), float(record["value"]),
                                     phase="eval" if str(record["name"]).startswith(("val.", "eval.")) else "train")
                elif kind == "progress":
                    store.update_job(run.job_id, next_step=int(record["step"]),
                                     total_steps=int(record["total_steps"]))
                    step = int(record["step"]) - 1
                    store.add_event(run.job_id, f"{p}.train.step",
                                    str(record.get("message") or f"step {step} ({step + 1}/{record['total_steps']}): "
                                                                  f"train.loss={float(record['loss']):.4f}"),
                                    data={"step": step, "total_steps": record["total_steps"], "loss": record["loss"],
                                          **(record.get("data") or {})})
                elif kind == "started":
                    store.update_job(run.job_id, total_steps=int(record["total_steps"]))
                    resumed = int(record.get("resumed_step") or 0)
                    store.add_event(run.job_id, f"{p}.train.started",
                                    str(record.get("message") or
                                        f"training {record['total_steps']} optimizer step(s) over {record['epochs']} "
                                        f"epoch(s)" + (f", resumed at step {resumed}" if resumed else "")),
                                    data={k: v for k, v in record.items() if k != "type"})
                elif kind == "event":
                    store.add_event(run.job_id, str(record["event"]), str(record["message"]),
                                    data=record.get("data") or {})
                elif kind == "checkpoint":
                    store.add_event(run.job_id, f"{p}.checkpoint.saved",
                                    f"checkpoint saved at step {record['step']}",
                                    data={"step": record["step"], "checkpoint": Path(str(record["path"])).name})

    def _succeed(self, job_id: str, done: dict[str, Any]) -> None:
        store = self.store
        with store.tx():
            row = store.job_row(job_id)
            if row is None or row["status"] != "running":
                return
            base = split_fine_tuned(row["model"])  # continuing from ft:<base>:<job> keeps <base>
            fine_tuned = fine_tuned_id(base[0] if base else row["model"], job_id, kind=row["kind"])
            loss = done.get("final_loss")
            store.update_job(job_id, fine_tuned_model=fine_tuned, next_step=int(done.get("steps") or 0))
            store.finish_job(job_id, "succeeded", event_type=f"{prefix_of(row['kind'])}.job.completed",
                             message=f"training completed: {done.get('steps')} step(s)"
                                     + (f", final train.loss={loss:.4f}" if isinstance(loss, float) else "")
                                     + f"; model {fine_tuned}",
                             data={"final_loss": loss, "total_steps": done.get("steps"),
                                   "fine_tuned_model": fine_tuned, "trained_model": row["trained_model"]})

    def _fail(self, job_id: str, reason: str, **data: Any) -> None:
        store = self.store
        with store.tx():
            row = store.job_row(job_id)
            if row is None or row["status"] not in ACTIVE:
                return
            store.finish_job(job_id, "failed", event_type=f"{prefix_of(row['kind'])}.job.failed", message=reason,
                             level="error", data={"step": row["next_step"], "reason": reason, **data}, error=reason)
