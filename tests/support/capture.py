"""`Captured`: an `Output` that writes into buffers (the one way tests capture the tool's printing
when they call the library; `tests.support.cli.run_in_process` captures a whole command)."""

from __future__ import annotations

import io
import json
from typing import Any

from synthlaunch.console import Output


class Captured:
    """`.out` writes into `.stdout` / `.stderr` (StringIO); Output options (no_input, json_mode, …)
    pass through."""

    def __init__(self, **options: Any) -> None:
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.out = Output(stdout=self.stdout, stderr=self.stderr, **options)

    @property
    def parts(self) -> tuple[Output, io.StringIO, io.StringIO]:
        """(out, stdout, stderr), for tests that unpack them."""
        return self.out, self.stdout, self.stderr

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.getvalue().splitlines() if line.strip()]

