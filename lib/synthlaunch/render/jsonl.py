"""`json` stream format: NDJSON on stdout, one object per status change, event and metric point,
then one summary object (preceded by one `error` object when the watch ends on a failure such as
the poll timeout). Human text (warnings, errors, the summary line) goes to stderr.

    {"record": "status", "job_id": "…", "status": "running", "at": "2026-01-01T00:00:00+00:00"}
    {"record": "event", "job_id": "…", "seq": 3, "type": "…", "level": "info", "message": "…", …}
    {"record": "metric", "job_id": "…", "name": "train.loss", "value": 0.53, "step": 3, …}
    {"record": "summary", "job_id": "…", "kind": "sft", "status": "succeeded", "duration": 12.1,
     "last_loss": 0.21, "events_seen": 42, "exit_code": 0}
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..console import Output
from .base import BaseRenderer
from .cli import summary_line

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import SynthlaunchError
    from ..stream import JobResult


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class JsonRenderer(BaseRenderer):
    """Machine output: every update as one NDJSON line (all events, noisy ones included)."""

    def _emit(self, record: str, body: dict[str, Any]) -> None:
        self.out.emit_json({"record": record, "job_id": self.job_id, **body}, ndjson=True)

    def status(self, status: str) -> None:
        self._emit("status", {"status": status, "at": _now()})

    def event(self, event: dict[str, Any]) -> None:
        self._emit("event", {k: v for k, v in event.items() if k not in ("record", "job_id")})

    def metric(self, point: dict[str, Any]) -> None:
        self._emit("metric", {k: v for k, v in point.items() if k not in ("record", "job_id")})

    def phase(self, phase: str) -> None:
        """Timeline phases are not part of the NDJSON records; shown on stderr with --verbose."""
        self.detail(f"phase={phase}")

    def report(self, exc: "SynthlaunchError") -> None:
        """The failure as one NDJSON `error` record; its human text on stderr."""
        from .failure import failure_document, show_failure

        show_failure(exc, Output(stdout=self.out.stderr, stderr=self.out.stderr, verbose=self.out.verbose))
        self._emit("error", failure_document(exc)["error"])

    def finish(self, result: "JobResult", *, human: bool = True) -> None:
        self._emit("summary", {k: v for k, v in result.as_dict().items() if k != "job_id"})
        if human and not self.out.quiet:
            self.out.write(summary_line(result), stream=self.out.stderr)
