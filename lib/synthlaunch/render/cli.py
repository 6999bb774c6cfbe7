"""`cli` stream format: one timestamped line per status change, event and training step.

    [HH:MM:SS] status=running
    [HH:MM:SS] [12] sft.progress (info): step 3/10
    [HH:MM:SS] step 3/10 loss=0.5321 reward=0.4500 · 0:02 elapsed · ETA 0:05

A step's line is printed once every series seen so far has its point for that step (or when the
next step, an event or the end arrives). The final status is stamped with the job's end time.

Noisy internal event types (and debug-level events) are hidden unless `--verbose`. Every string the
backend supplied (status, type, level, message, metric name, seq, step) is shown on one line with its
control characters escaped (`console.printable`): it cannot start a fake line of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..console import printable
from ..timefmt import clock_of
from .base import BaseRenderer

if TYPE_CHECKING:  # pragma: no cover
    from ..stream import JobResult

#: internal bookkeeping events of the hosted backend: shown only with --verbose
HIDDEN_EVENT_TYPES = frozenset({
    "sft.created", "sft.pricing.check.requested", "sft.pricing.check.allowed", "sft.stage",
    "snapshot.fetch", "hatchet.preflight", "hatchet.submission.attempt", "hatchet.submission.result",
    "sft.running", "sft.status", "sft.worker.alive", "sft.dispatch.selected", "sft.config.prepared",
    "sft.strategy.selected", "sft.training.args", "rl.worker.alive", "job.heartbeat",
})
HIDDEN_SUBSTRINGS = ("modal", "hatchet", "heartbeat")
#: per-step progress events repeat what the metric lines already show
HIDDEN_SUFFIXES = (".train.step",)


def is_noisy(event: dict[str, Any]) -> bool:
    """True for internal event types and debug-level events (hidden unless verbose)."""
    etype = str(event.get("type") or "").lower()
    if etype in HIDDEN_EVENT_TYPES or any(s in etype for s in HIDDEN_SUBSTRINGS) \
            or etype.endswith(HIDDEN_SUFFIXES):
        return True
    return str(event.get("level") or "").lower() in ("debug", "trace")


def format_value(value: Any) -> str:
    """A metric value: 4 decimals in the usual range, scientific notation outside it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.4g}"


def _one(value: Any) -> str:
    return printable(value, one_line=True)


def status_line(status: str, at: Any = None) -> str:
    return f"[{clock_of(at)}] status={_one(status)}"


def event_line(event: dict[str, Any]) -> str:
    level = event.get("level") or "info"
    message = " ".join(str(event.get("message") or "").split("\n"))
    return (f"[{clock_of(event.get('created_at'))}] [{_one(event.get('seq'))}] {_one(event.get('type'))} "
            f"({_one(level)}): {_one(message)}")


def metric_line(point: dict[str, Any]) -> str:
    return (f"[{clock_of(point.get('created_at'))}] {_one(point.get('name'))}="
            f"{_one(format_value(point.get('value')))} (step={_one(point.get('step'))})")


def short_name(name: str) -> str:
    """`loss` for `train.loss`: the series name as a step line shows it."""
    return name[len("train."):] if name.startswith("train.") else name


def summary_line(result: "JobResult") -> str:
    """The human summary: job id, status, duration, why it failed, then the numbers people watch (RL:
    the reward first, then the loss)."""
    text = f"job {_one(result.job_id)} ({_one(result.kind)}) {_one(result.status)} in {result.duration:.1f}s"
    if result.error:
        text += f" · error: {_one(result.error)}"
    loss = "n/a" if result.last_loss is None else format_value(result.last_loss)
    if result.last_reward is not None:  # short enough for one line of 80 columns
        return text + f" · reward={format_value(result.last_reward)} · loss={loss}"
    return text + f" · last train.loss={loss}"


class CliRenderer(BaseRenderer):
    """Plain lines through `Output` (redacted)."""

    def __init__(self, out: Any, *, job_id: str) -> None:
        super().__init__(out, job_id=job_id)
        self._step: int | None = None
        self._points: dict[str, dict[str, Any]] = {}
        self._series: set[str] = set()
        self._zero_based: bool | None = None

    def status(self, status: str) -> None:
        self._emit_step()
        end = self.job_record.get("finished_at")  # a job that ended: its end time, not ours
        line = status_line(status, end if end and self.job_record.get("status") == status else None)
        if end and self.job_record.get("status") == status:
            line += f" · {self.timing_text(None)}"
        self.out.info(line)

    def event(self, event: dict[str, Any]) -> None:
        if self.out.verbose or not is_noisy(event):
            self._emit_step()
            self.out.info(event_line(event))

    def metric(self, point: dict[str, Any]) -> None:
        try:
            step = int(point.get("step"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.out.info(metric_line(point))
            return
        if self._step is not None and step != self._step:
            self._emit_step()
        if self._zero_based is None:
            self._zero_based = step == 0
        self._step = step
        self._points[str(point.get("name"))] = point

    def flush(self) -> None:
        """End of a poll round: a step whose every series arrived is printed now, not with the next."""
        if self._points and self._series <= set(self._points):
            self._emit_step()

    def _emit_step(self) -> None:
        if not self._points or self._step is None:
            return
        self._series |= set(self._points)
        done = self._step + 1 if self._zero_based else self._step
        names = sorted(self._points, key=lambda n: (n != "train.loss", n))
        values = " ".join(f"{short_name(n)}={format_value(self._points[n].get('value'))}" for n in names)
        stamp = clock_of(self._points[names[-1]].get("created_at"))
        self.out.info(f"[{stamp}] {self.step_text(done)} {values} · {self.timing_text(done)}")
        self._points = {}

    def phase(self, phase: str) -> None:
        self.out.detail(f"[{clock_of()}] phase={phase}")

    def finish(self, result: "JobResult", *, human: bool = True) -> None:
        self._emit_step()
        if human:
            self.out.result(summary_line(result))
