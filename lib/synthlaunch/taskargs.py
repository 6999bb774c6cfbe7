"""How the tasks' flags read on the command line, for `inv` and `synthlaunch` alike.

- value names in help: `--config=PATH`, `--examples=N` (Invoke only knows `=STRING`/`=INT`, and shows a
  repeatable flag as if it were a boolean);
- short flags for the common ones: `-c` config, `-b` backend, `-j` json, `-q` quiet, `-v` verbose,
  `-y` yes;
- a repeatable flag given without its value (`train --config`) is a parse error like any other
  flag without its value (Invoke starts a list flag "with a value": an empty list).

`SynthTask` (the tasks' class) sets these on the Arguments Invoke builds from each task's signature.
"""

from __future__ import annotations

from typing import Any

from invoke import Task
from invoke.parser import ParserContext

#: the value each flag takes, as help shows it (`--name=VALUE`); keyed by parameter name
METAVARS: dict[str, str] = {
    "config": "PATH", "env_file": "PATH", "dataset": "PATH", "path": "PATH", "data_dir": "PATH",
    "backend": "URL", "task_url": "URL", "examples": "N", "limit": "N", "port": "N", "host": "HOST",
    "poll_timeout": "SECONDS", "poll_interval": "SECONDS", "step_seconds": "SECONDS",
    "model": "ID", "job_id": "ID", "idempotency": "KEY", "api_key": "KEY", "environment_api_key": "KEY",
    "type_": "TYPE", "stream_format": "cli|chart|json", "status": "STATUS", "created_after": "ISO-TIME",
    "faults": "SPEC", "to": "DIR", "trainer": "torch|emulate", "max_jobs": "N", "model_alias": "ID=STAND_IN",
    "max_body_bytes": "BYTES", "max_upload_bytes": "BYTES", "api_key_file": "PATH",
    "environment_api_key_file": "PATH", "save_metrics": "DIR", "rerun": "JOB_ID", "set_": "KEY.PATH=VALUE",
    "name": "NAME",
}
#: short flags of the common options (none of them is an Invoke core flag inside a task)
SHORT_FLAGS: dict[str, str] = {"config": "c", "backend": "b", "json": "j", "quiet": "q", "verbose": "v",
                               "yes": "y"}


class SynthTask(Task):
    """An Invoke Task whose Arguments carry a value name and, for common flags, a short name."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Any]:
        args = super().get_arguments(ignore_unknown_help=ignore_unknown_help)
        for arg in args:
            key = str(arg.attr_name or arg.name)
            if arg.takes_value:
                arg.metavar = METAVARS.get(key, "VALUE")  # type: ignore[attr-defined]  # read by `_help_for`
            short = SHORT_FLAGS.get(key)
            if short and short not in arg.names:
                arg.names = (*arg.names, short)
            if arg.kind is list:
                # not yet given: the parser then requires a value after the flag, as for any other
                arg.raw_value = None
        return args


_invoke_help_for = ParserContext.help_for


def _help_for(self: ParserContext, flag: str) -> tuple[str, str]:
    """Invoke's help line, with the Argument's value name (`--config=PATH, -c PATH`) when it has one."""
    names, text = _invoke_help_for(self, flag)
    metavar = getattr(self.flags[flag], "metavar", None)
    if not metavar:
        return names, text
    specs = [f"{name} {metavar}" if len(name.strip("-")) == 1 else f"{name}={metavar}"
             for name in sorted(self.names_for(flag), key=len)]
    return ", ".join(specs), text


ParserContext.help_for = _help_for  # type: ignore[method-assign]
