"""`cli` stream format: one timestamped line per status change, event and metric point.

    [HH:MM:SS] status=running
    [HH:MM:SS] [12] sft.progress (info): step 3/10
    [HH:MM:SS] train.loss=0.5321 (step=3)

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


def status_line(status: str) -> str:
    return f"[{clock_of()}] status={_one(status)}"


def event_line(event: dict[str, Any]) -> str:
    level = event.get("level") or "info"
    message = " ".join(str(event.get("message") or "").split("\n"))
    return (f"[{clock_of(event.get('created_at'))}] [{_one(event.get('seq'))}] {_one(event.get('type'))} "
            f"({_one(level)}): {_one(message)}")


def metric_line(point: dict[str, Any]) -> str:
    return (f"[{clock_of(point.get('created_at'))}] {_one(point.get('name'))}="
            f"{_one(format_value(point.get('value')))} (step={_one(point.get('step'))})")


def summary_line(result: "JobResult") -> str:
    """The human summary: job id, status, duration, last loss (one line of an 80-column terminal)."""
    loss = "n/a" if result.last_loss is None else format_value(result.last_loss)
    return (f"job {_one(result.job_id)} ({_one(result.kind)}) {_one(result.status)} in {result.duration:.1f}s"
            f" · last train.loss={loss}")


class CliRenderer(BaseRenderer):
    """Plain lines through `Output` (redacted)."""

    def status(self, status: str) -> None:
        self.out.info(status_line(status))

    def event(self, event: dict[str, Any]) -> None:
        if self.out.verbose or not is_noisy(event):
            self.out.info(event_line(event))

    def metric(self, point: dict[str, Any]) -> None:
        self.out.info(metric_line(point))

    def phase(self, phase: str) -> None:
        self.out.detail(f"[{clock_of()}] phase={phase}")

    def finish(self, result: "JobResult", *, human: bool = True) -> None:
        if human:
            self.out.result(summary_line(result))
