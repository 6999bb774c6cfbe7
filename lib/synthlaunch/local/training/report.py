"""The training process's reports: one JSON object per line appended to a file the backend tails.

A file (not a pipe) so that every process of a `torchrun` group can be started the same way and
a restarted backend can still read what was written. Only rank 0 writes. Every record carries
`t` (UNIX time of writing). Records:
`{"type": "started", "total_steps", "resumed_step"}`, `{"type": "metric", "name", "step", "value"}`,
`{"type": "progress", "step", "total_steps"}`, `{"type": "event", "event", "message", "data"}`,
`{"type": "checkpoint", "step", "path"}`, `{"type": "done", ...}`, `{"type": "error", "message"}`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterator


class Reporter:
    """Appends records to `path` (flushed line by line); silent when `enabled` is False."""

    def __init__(self, path: str | os.PathLike[str], *, enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self._fh = open(self.path, "a", encoding="utf-8") if enabled else None

    def send(self, type_: str, **fields: Any) -> None:
        if self._fh is None:
            return
        self._fh.write(json.dumps({"type": type_, "t": round(time.time(), 6), **fields}, default=str) + "\n")
        self._fh.flush()

    def metric(self, name: str, step: int, value: float) -> None:
        self.send("metric", name=name, step=step, value=value)

    def event(self, event: str, message: str, **data: Any) -> None:
        self.send("event", event=event, message=message, data=data)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class ReportTail:
    """Reads the complete lines appended to a report file since the last call."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.offset = 0

    def read(self) -> Iterator[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self.offset += end + 1
        for line in data[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record
