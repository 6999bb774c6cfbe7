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
        import sys

        from .console import command_name, set_command_name

        previous = command_name()
        set_command_name(self.binary or "synthlaunch")
        try:
            super().run(join_subcommand(list(sys.argv if argv is None else argv)), exit=exit)
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


def join_subcommand(argv: list[str]) -> list[str]:
    """`synthlaunch job show ID` → `synthlaunch job.show ID`: Invoke names a collection's tasks with a
    dot; the standalone command also takes the two words (the first task of the line only)."""
    index = next((i for i, token in enumerate(argv[1:], start=1) if not token.startswith("-")), None)
    if index is None or index + 1 >= len(argv):
        return argv
    collection = ns.collections.get(argv[index])
    if collection is None or argv[index + 1] not in collection.task_names:
        return argv
    return argv[:index] + [f"{argv[index]}.{argv[index + 1]}"] + argv[index + 2:]


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
