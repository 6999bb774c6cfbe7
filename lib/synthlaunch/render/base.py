"""What every stream renderer (cli lines, live chart, NDJSON) shares: notices, details, failures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..console import Output

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import SynthlaunchError


class BaseRenderer:
    """What the renderers share (they implement `stream.Renderer`); subclasses draw status/event/metric/phase."""

    def __init__(self, out: Output, *, job_id: str) -> None:
        self.out = out
        self.job_id = job_id

    def __enter__(self) -> "BaseRenderer":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

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
