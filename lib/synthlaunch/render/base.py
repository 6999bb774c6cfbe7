"""What every stream renderer (cli lines, live chart, NDJSON) shares: notices, details, failures."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..console import Output
from ..timefmt import parse_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import SynthlaunchError


class BaseRenderer:
    """What the renderers share (they implement `stream.Renderer`); subclasses draw status/event/metric/phase."""

    def __init__(self, out: Output, *, job_id: str) -> None:
        self.out = out
        self.job_id = job_id
        #: the latest job record (status, current_step/total_steps, timestamps), for progress
        self.job_record: dict[str, Any] = {}
        self._watch_started = time.monotonic()

    def __enter__(self) -> "BaseRenderer":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def job(self, job: dict[str, Any]) -> None:
        """The job record of the latest poll round (progress: step N of total, elapsed, ETA)."""
        self.job_record = job if isinstance(job, dict) else {}

    @property
    def total_steps(self) -> int | None:
        value = self.job_record.get("total_steps")
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    def elapsed(self) -> float:
        """Seconds the job has run: from its start (or creation) to its end or now; else since we watch."""
        start = parse_timestamp(self.job_record.get("started_at") or self.job_record.get("created_at"))
        end = parse_timestamp(self.job_record.get("finished_at"))
        if start is None:
            return time.monotonic() - self._watch_started
        from datetime import datetime, timezone

        return max(0.0, ((end or datetime.now(timezone.utc)) - start).total_seconds())

    def steps_done(self) -> int | None:
        """Steps done by the job record's account (`current_step`), when it says."""
        value = self.job_record.get("current_step")
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    def step_text(self, done: int | None) -> str | None:
        """`step 3/10` (or `step 3` when the total is unknown); None when nothing is known."""
        if done is None:
            return None
        total = self.total_steps
        return f"step {done}/{total}" if total else f"step {done}"

    def timing_text(self, done: int | None) -> str:
        """`0:04 elapsed · ETA 0:08` (the ETA only while running, from the pace so far)."""
        elapsed = self.elapsed()
        text = f"{clock_span(elapsed)} elapsed"
        total = self.total_steps
        if done and total and done < total and not self.job_record.get("finished_at"):
            text += f" · ETA {clock_span(elapsed / done * (total - done))}"
        return text

    def notice(self, text: str, *, warning: bool = False) -> None:
        """A line about the watching itself (outage, reconnected), always on stderr."""
        if warning:
            self.out.warn(text)
        else:
            self.out.write(text, stream=self.out.stderr)

    def detail(self, text: str) -> None:
        """A line shown only with --verbose, on stderr."""
        if self.out.verbose:
            self.out.write(text, stream=self.out.stderr)

    def flush(self) -> None:
        """Draw anything held back (called once per poll round)."""
        return None

    def report(self, exc: "SynthlaunchError") -> None:
        """An expected failure that ends the watch (timeout, backend down), with what to do."""
        from .failure import show_failure

        show_failure(exc, self.out)


def clock_span(seconds: float) -> str:
    """`0:07`, `12:34`, `1:02:03` for a number of seconds."""
    whole = int(max(0.0, seconds) + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
