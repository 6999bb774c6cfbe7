"""A byte progress bar (bytes done, rate, ETA) for dataset validation and upload.

Shown only on a terminal (stderr is a TTY, not --quiet) and only for files of at least
`MIN_BYTES`: small files finish before a bar would be worth drawing, and pipes/CI logs get none.
The bar is transient (it disappears when done) and goes to stderr, so stdout stays clean.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from ..console import Output

MIN_BYTES = 4 * 1024 * 1024
#: redraw at most every this many bytes (the upload monitor calls back for every 8 KiB block)
STEP_BYTES = 256 * 1024

ProgressFn = Callable[[int, int], None]


def wants_progress(out: Output, total: int, *, min_bytes: int = MIN_BYTES) -> bool:
    """True when a bar should be drawn for `total` bytes."""
    if out.quiet or total < min_bytes:
        return False
    try:
        return out.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def byte_progress(out: Output, total: int, description: str, *, min_bytes: int = MIN_BYTES,
                  force: bool = False) -> Iterator[ProgressFn | None]:
    """Yield a `progress(done, total)` callback drawing a rich bar, or None when no bar is wanted.

    `force` draws it whatever the terminal and size (tests, benchmarks).
    """
    if not force and not wants_progress(out, total, min_bytes=min_bytes):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    console = Console(file=out.stderr, force_terminal=True if force else None)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        last = [-STEP_BYTES]

        def update(done: int, total_now: int) -> None:
            if done - last[0] >= STEP_BYTES or done >= total_now:
                last[0] = done
                bar.update(task, completed=done, total=total_now)

        yield update
