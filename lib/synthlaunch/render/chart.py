"""`chart` stream format: a live line chart of `train.loss` (RL: also a reward series when present),
redrawn in place (rich Live) at most `MAX_FPS` times a second, using the terminal's size (80×24 and up,
at most `MAX_WIDTH`×`MAX_HEIGHT`).

The frame: a header (job, kind, status, step N/total, elapsed, ETA), the legend (outside the plot, so
that it hides no point), the plot (plotext: integer step ticks, loss on the left axis, reward on the
right; each series its own colour and its own marker, `•` and `x`, readable without colour), the
latest value and step with min/max of each series, and the last event. Off a terminal the caller
uses the cli lines instead (`chart_possible`).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Callable

from ..console import Output, printable
from ..redact import redact
from .base import BaseRenderer
from .cli import event_line, format_value, is_noisy, summary_line

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console, RenderableType
    from rich.text import Text

    from ..stream import JobResult

MAX_FPS = 4.0
MAX_WIDTH = 160
MAX_HEIGHT = 50
LOSS = "train.loss"
#: (marker, colour) of the loss and the reward series: distinct with and without colour
LOSS_STYLE = ("•", "cyan")
REWARD_STYLE = ("x", "magenta")
#: at most this many x ticks (integer steps)
MAX_X_TICKS = 6


def chart_possible(out: Output) -> bool:
    """A live chart needs stdout to be a terminal (and no --json)."""
    if out.json_mode:
        return False
    try:
        return out.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _finite_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        result = float(value)
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


class Series:
    """One metric series: points by step, with min/max/latest."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[float] = []
        self.values: list[float] = []

    def add(self, step: Any, value: Any) -> None:
        """Add a point; a value that is not a finite number (NaN, 1e400, a huge int) is skipped."""
        value_f = _finite_float(value)
        if value_f is None:
            return
        step_f = _finite_float(step)
        self.steps.append(float(len(self.steps)) if step_f is None else step_f)
        self.values.append(value_f)

    def describe(self) -> str:
        if not self.values:
            return f"{self.name}: no points yet"
        return (f"{self.name} latest={format_value(self.values[-1])} (step={self.steps[-1]:g}) · "
                f"min={format_value(min(self.values))} · max={format_value(max(self.values))}")


def integer_ticks(steps: list[float], most: int = MAX_X_TICKS) -> list[int]:
    """Integer x ticks over the steps seen: every k-th step, k chosen for at most `most` ticks."""
    import math

    if not steps:
        return []
    low, high = math.floor(min(steps)), math.ceil(max(steps))
    every = max(1, math.ceil((high - low + 1) / most))
    return list(range(low, high + 1, every))




def plot_text(loss: Series, reward: Series | None, width: int, height: int) -> str:
    """The plot as ANSI text (plotext), `width`×`height` cells; no legend inside (see `legend_text`)."""
    import plotext

    fig = plotext.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.theme("colorless")
    for series, (symbol, colour), side in ((loss, LOSS_STYLE, "left"), (reward, REWARD_STYLE, "right")):
        if series is not None and series.values:
            fig.draw(fig.signal(series.steps, series.values, marker=plotext.marker(symbol, pixel=colour),
                                yside=side).lines())
    ticks = integer_ticks(loss.steps + (reward.steps if reward is not None else []))
    if ticks:
        fig.ruler("x").ticks(ticks, [str(t) for t in ticks])
    fig.label("step")
    text = str(fig.build()).rstrip("\n")
    fig.clear()
    return text


class ChartRenderer(BaseRenderer):
    """The live frame. Warnings and notices print above it (rich redirects stdout/stderr)."""

    def __init__(self, out: Output, *, job_id: str, kind: str | None = None,
                 console: "Console | None" = None, max_fps: float = MAX_FPS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(out, job_id=job_id)
        self.kind = kind
        self.console = console
        self.min_gap = 1.0 / max_fps
        self.clock = clock
        self.status_text = "pending"
        self.phase_text: str | None = None
        self.last_event: str | None = None
        self.loss = Series(LOSS)
        self.reward: Series | None = None
        self.live: Any = None
        self._last_draw = float("-inf")
        self._dirty = False

    # -- frame ---------------------------------------------------------------------------------

    def size(self) -> tuple[int, int]:
        console = self.live.console if self.live is not None else self.console
        width, height = (console.size if console is not None else (80, 24))
        return min(width, MAX_WIDTH), min(height, MAX_HEIGHT)

    def progress_text(self) -> str:
        """`step 3/10 · 0:04 elapsed · ETA 0:08`: from the job record, else the latest loss step."""
        done = self.steps_done()
        if done is None and self.loss.steps:
            done = int(self.loss.steps[-1]) + (1 if self.loss.steps[0] == 0 else 0)
        step = self.step_text(done)
        return (f"{step} · " if step else "") + self.timing_text(done)

    def frame_lines(self) -> tuple[str, str, list[str]]:
        """(header, plot ANSI text, footer lines): pure text, for the frame and for tests. The header's
        second line is the legend (outside the plot)."""
        width, height = self.size()
        header = f"job {self.job_id}" + (f" ({self.kind})" if self.kind else "") + f" · status={self.status_text}"
        header += f" · {self.progress_text()}"
        if self.phase_text and len(header) + len(self.phase_text) + 9 <= width:
            header += f" · phase={self.phase_text}"
        footer = [self.loss.describe()]
        if self.reward is not None:
            footer.append(self.reward.describe())
        footer.append("last event: " + (self.last_event or "none yet"))
        footer = [printable(redact(line), one_line=True)[:width] for line in footer]
        # header, legend, plot, footer leave three lines of 24: the summary after the end, the
        # resulting model id of a succeeded job, and the cursor
        plot_height = max(5, height - 5 - len(footer))
        if self.loss.values or (self.reward is not None and self.reward.values):
            plot = plot_text(self.loss, self.reward, width, plot_height)
        else:
            plot = "\n".join([f"waiting for {LOSS} points…"] + [""] * (plot_height - 1))
        return printable(redact(header), one_line=True)[:width], plot, footer

    def legend(self) -> "Text":
        """The legend line: each series' marker in its colour, then its name."""
        from rich.text import Text

        legend = Text(no_wrap=True, overflow="crop")
        legend.append(f"{LOSS_STYLE[0]} ", style=LOSS_STYLE[1])
        legend.append(f"{self.loss.name} (left axis)")
        if self.reward is not None:
            legend.append(f"   {REWARD_STYLE[0]} ", style=REWARD_STYLE[1])
            legend.append(f"{self.reward.name} (right axis)")
        return legend

    def renderable(self) -> "RenderableType":
        from rich.console import Group
        from rich.text import Text

        header, plot, footer = self.frame_lines()
        width, _ = self.size()
        plot_text_obj = Text.from_ansi(plot, no_wrap=True)
        plot_text_obj.truncate(width * plot.count("\n") + width)
        lines = [Text(header, style="bold", no_wrap=True, overflow="crop"), self.legend(), plot_text_obj]
        lines += [Text(line, no_wrap=True, overflow="crop") for line in footer]
        return Group(*lines)

    def _refresh(self, force: bool = False) -> None:
        self._dirty = True
        if self.live is None:
            return
        now = self.clock()
        if force or now - self._last_draw >= self.min_gap:
            self.live.update(self.renderable(), refresh=True)
            self._last_draw = now
            self._dirty = False

    # -- renderer protocol ---------------------------------------------------------------------

    def __enter__(self) -> "ChartRenderer":
        from rich.console import Console
        from rich.live import Live

        console = self.console or Console(file=self.out.stdout)
        self.live = Live(console=console, auto_refresh=False, transient=False,
                         redirect_stdout=True, redirect_stderr=True, vertical_overflow="crop")
        self.live.start()
        self._refresh(force=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            try:
                self._refresh(force=True)
            finally:
                self.live.stop()
                self.live = None

    def status(self, status: str) -> None:
        self.status_text = status
        self._refresh()

    def event(self, event: dict[str, Any]) -> None:
        if self.out.verbose or not is_noisy(event):
            self.last_event = event_line(event)
            self._refresh()

    def metric(self, point: dict[str, Any]) -> None:
        name = str(point.get("name") or "")
        if name == LOSS:
            self.loss.add(point.get("step"), point.get("value"))
        elif "reward" in name.lower() and (self.reward is None or self.reward.name == name):
            self.reward = self.reward or Series(name)
            self.reward.add(point.get("step"), point.get("value"))
        else:
            return
        self._refresh()

    def phase(self, phase: str) -> None:
        self.phase_text = phase
        self._refresh()

    def flush(self) -> None:
        """Draw what the throttle held back (called once per poll round; still throttled: the
        frame is drawn at most `max_fps` times a second, and always once more at the end)."""
        if self._dirty:
            self._refresh()

    def finish(self, result: "JobResult", *, human: bool = True) -> None:
        if human:
            self.out.result(summary_line(result))
