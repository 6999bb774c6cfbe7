"""The standalone `synthlaunch` command: the same tasks as `inv`, through an invoke Program.

Like `inv`, it reads Invoke's configuration files (`/etc/invoke.yaml`, `~/.invoke.yaml`) and, in
addition, an `invoke.yaml` in the current folder, so a project can pin defaults such as
`synthlaunch: {backend: …, poll_interval: …}` for both commands.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from invoke import Program
from invoke.exceptions import Exit, ParseError

from . import __version__
from .tasks import ns


class SynthlaunchProgram(Program):
    """An invoke Program whose project configuration is the current folder's `invoke.yaml`; the hints
    it prints name `synthlaunch` (not Invoke's `inv`)."""

    def run(self, argv: "list[str] | None" = None, exit: bool = True) -> None:
        from .console import command_name, set_command_name

        previous = command_name()
        set_command_name(self.binary or "synthlaunch")
        try:
            super().run(argv, exit=exit)
        finally:
            set_command_name(previous)

    # A command line that does not parse is a usage error (exit 2 in our table; Invoke says 1).
    def parse_core(self, argv: "list[str] | None") -> None:
        with _usage_errors():
            super().parse_core(argv)

    def parse_tasks(self) -> None:
        with _usage_errors():
            super().parse_tasks()

    def parse_cleanup(self) -> None:
        with _usage_errors():
            super().parse_cleanup()

    def update_config(self, merge: bool = True) -> None:
        self.config.set_project_location(os.getcwd())
        self.config.load_project(merge=False)
        super().update_config(merge=merge)


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    """Turn Invoke's ParseError into an Exit with code 2 (Invoke prints the message either way)."""
    try:
        yield
    except ParseError as exc:
        raise Exit(message=str(exc), code=2) from exc


program = SynthlaunchProgram(namespace=ns, name="synthlaunch", binary="synthlaunch", version=__version__)


def main() -> None:
    """Entry point of the `synthlaunch` console script."""
    program.run()
