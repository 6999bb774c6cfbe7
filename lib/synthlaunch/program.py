"""The standalone `synthlaunch` command: the same tasks as `inv`, through an invoke Program.

Like `inv`, it reads Invoke's configuration files (`/etc/invoke.yaml`, `~/.invoke.yaml`) and, in
addition, an `invoke.yaml` in the current folder, so a project can pin defaults such as
`synthlaunch: {backend: …, poll_interval: …}` for both commands.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import sys
from typing import Any, Iterator

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
            super().run(join_subcommand(list(sys.argv if argv is None else argv)), exit=exit)
        finally:
            set_command_name(previous)

    # A command line that does not parse is a usage error (exit 2 in our table; Invoke says 1).
    def parse_core(self, argv: "list[str] | None") -> None:
        with self._usage_errors():
            super().parse_core(argv)

    def parse_tasks(self) -> None:
        with self._usage_errors():
            self.core.unparsed = self._config_positionals(self.core.unparsed)
            super().parse_tasks()

    def parse_cleanup(self) -> None:
        with self._usage_errors():
            super().parse_cleanup()

    def print_help(self) -> None:
        """The program's own page: its tasks, and only the core options that matter to it (Invoke's
        generic page lists --dry, --pty, sudo prompts and other options for running shell commands)."""
        print(f"Usage: {self.binary} <task> [--options] [<task> [--options] ...]")
        print(f"       {self.binary} --help <task>   (the options of one task)")
        print("")
        self.list_tasks()
        print("Options:")
        print("")
        self.print_columns(list(CORE_OPTIONS))

    # -- parse errors, in the user's terms ---------------------------------------------------------

    @contextlib.contextmanager
    def _usage_errors(self) -> Iterator[None]:
        """Invoke's ParseError as an Exit with code 2, with the closest flag or task and the usage line."""
        try:
            yield
        except ParseError as exc:
            raise Exit(message=self._explain(exc), code=2) from exc

    def _explain(self, exc: ParseError) -> str:
        text = str(exc)
        context = getattr(exc, "context", None)
        task = getattr(context, "name", None) if context is not None else None
        usage = (f"usage: {self.binary} {task} [--options]   ({self.binary} --help {task} lists them)" if task
                 else f"usage: {self.binary} <task> [--options]   ({self.binary} --help lists the tasks)")
        missing = re.match(r"Flag <Argument: ([\w-]+)", text)
        if missing and "needed value" in text:
            from .taskargs import METAVARS

            name = missing.group(1)
            flag = name.rstrip("_").replace("_", "-")
            return f"error: --{flag} needs a value: --{flag} {METAVARS.get(name, 'VALUE')}\n{usage}"
        unknown = re.match(r"No idea what '(.*)' is!", text)
        if not unknown:
            return f"error: {text}\n{usage}"
        token = unknown.group(1)
        if token.startswith("-"):
            choices = list(context.flags) if context is not None else []
            choices += list(self.initial_context.flags)
            what = f"unknown flag {token!r}" + (f" for {task}" if task else "")
        else:
            choices = list(self.collection.task_names) + [a for names in self.collection.task_names.values()
                                                          for a in names]
            what = f"unknown task {token!r}"
        close = difflib.get_close_matches(token, choices, n=1, cutoff=0.6)
        return f"error: {what}" + (f"; did you mean {close[0]}?" if close else "") + f"\n{usage}"

    def _config_positionals(self, argv: list[str]) -> list[str]:
        """`synthlaunch train CONFIG`: a bare word after a task that takes --config is a config path."""
        task_names = set(self.collection.task_names)
        contexts = {ctx.name: ctx for ctx in self.collection.to_contexts()}

        def takes_value(flag: str, context: Any) -> bool:  # the flags' Lexicon also answers short aliases
            return context is not None and flag in context.flags and context.flags[flag].takes_value

        result: list[str] = []
        current: str | None = None
        for token in argv:
            previous = result[-1] if result else ""
            waiting = takes_value(previous, self.initial_context) or takes_value(previous, contexts.get(current))
            if not waiting and token in task_names:
                current = token
            elif (not waiting and current in CONFIG_TASKS and not token.startswith("-")):
                result.append("--config")
            result.append(token)
        return result

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


#: the core options `synthlaunch --help` shows (the others are Invoke's, for running shell commands)
CORE_OPTIONS = (
    ("-h, --help[=TASK]", "this page, or the options of one task"),
    ("-V, --version", "the version"),
    ("-l, --list", "the tasks, one a line"),
    ("--print-completion-script=SHELL", "shell completion: source <(synthlaunch --print-completion-script bash) "
                                        "(also zsh, fish)"),
)
#: tasks whose bare words are config paths (`synthlaunch train configs/rl/demo.toml`)
CONFIG_TASKS = frozenset({"train", "validate", "preflight"})


program = SynthlaunchProgram(namespace=ns, name="synthlaunch", binary="synthlaunch", version=__version__)


def main() -> None:
    """Entry point of the `synthlaunch` console script."""
    try:
        program.run()
    except BrokenPipeError:
        # `synthlaunch --help | head`: the reader left; no traceback, and none at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a program killed by the broken pipe
