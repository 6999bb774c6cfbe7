"""The one way the tool writes to the terminal. Every byte goes through `redact`.

Human text goes to stdout, or to stderr when `--json` is on (stdout then holds only JSON).
Errors and warnings always go to stderr. Nothing here knows HTTP.

What a backend or task app sends is not trusted to be printable: every human line goes through
`printable` (control characters such as ESC and `\r` shown escaped, so a server cannot move the
cursor or overwrite a line with a fake "succeeded"; lone UTF-16 surrogates replaced, so a broken
message cannot crash the write). JSON output stays valid JSON: numbers that are not finite (NaN,
Infinity) are written as `null`, lone surrogates as U+FFFD.
"""

from __future__ import annotations

import json as _json
import logging
import math
import os
import re
import sys
from typing import IO, Any, Iterable, Sequence

from .redact import redact

_COMMAND_NAME = ["inv"]
#: C0 controls but tab and newline, DEL, C1 controls (ESC, CSI, \r, backspace, bell, …)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: a surrogate code point left alone in a str is always a lone one (pairs are decoded to one character)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _escape(match: "re.Match[str]") -> str:
    char = match.group(0)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def printable(text: object, *, one_line: bool = False) -> str:
    """`text` safe to write to a terminal: control characters shown escaped (`\\x1b`, `\\r`), lone
    surrogates replaced by U+FFFD. `one_line` escapes newlines and tabs too (a backend's string inside
    one line of ours, such as a status or an event message, cannot start a line of its own)."""
    value = _SURROGATE.sub("\ufffd", text if isinstance(text, str) else str(text))
    return (_CONTROL_OR_NEWLINE if one_line else _CONTROL).sub(_escape, value)


def set_command_name(name: str) -> None:
    """Set by the program running the tasks (`synthlaunch`, or Invoke's `inv`) for the hints we print."""
    _COMMAND_NAME[0] = name


def command_name() -> str:
    """The program the user typed (`synthlaunch` or `inv`): hints name commands the user can run."""
    return _COMMAND_NAME[0]


def ci_is_set() -> bool:
    """True when the CI variable says this is a CI run (anything but empty, 0, false, no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def is_interactive(stream: IO[str] | None = None) -> bool:
    """True when a person can answer prompts: stdin and the given stream are TTYs and CI is unset."""
    if ci_is_set():
        return False
    try:
        return sys.stdin.isatty() and (stream or sys.stdout).isatty()
    except (AttributeError, ValueError):
        return False


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    if hasattr(obj, "__fspath__"):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def _finite(obj: Any) -> Any:
    """`obj` with every float that is not finite replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    """Redacted JSON text of `obj` (objects with `as_dict` are serialised through it). Always valid
    JSON: NaN and Infinity become `null`, lone surrogates U+FFFD."""
    plain = _json.loads(_json.dumps(obj, default=_json_default), parse_constant=lambda _name: None)
    text = _json.dumps(redact(_finite(plain)), indent=indent, ensure_ascii=False, allow_nan=False)
    return _SURROGATE.sub("\ufffd", text)


class Output:
    """Printing policy of one task run: json mode, quiet, verbose, and whether input is allowed."""

    def __init__(self, *, json_mode: bool = False, quiet: bool = False, verbose: bool = False,
                 no_input: bool = False, debug: bool = False,
                 stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.verbose = verbose
        self.debug = debug
        self._stdout = stdout
        self._stderr = stderr
        self.no_input = no_input

    # streams are looked up at call time so that pytest's capsys and redirected streams work
    @property
    def stdout(self) -> IO[str]:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self._stderr or sys.stderr

    @property
    def human(self) -> IO[str]:
        """Where human-readable text goes: stderr in JSON mode, else stdout."""
        return self.stderr if self.json_mode else self.stdout

    @property
    def interactive(self) -> bool:
        """True when prompting is allowed (a terminal, CI unset, no --no-input)."""
        return not self.no_input and is_interactive(self.human)

    def write(self, text: str, *, stream: IO[str] | None = None, end: str = "\n") -> None:
        target = stream or self.human
        target.write(printable(redact(text)) + end)
        target.flush()

    def info(self, text: str) -> None:
        """A normal progress line (hidden by --quiet)."""
        if not self.quiet:
            self.write(text)

    def detail(self, text: str) -> None:
        """A line shown only with --verbose."""
        if self.verbose:
            self.write(text)

    def result(self, text: str) -> None:
        """A line that is the task's result for a person (shown even with --quiet)."""
        self.write(text)

    def warn(self, text: str) -> None:
        self.write(f"warning: {text}", stream=self.stderr)

    def error(self, text: str) -> None:
        self.write(f"error: {text}", stream=self.stderr)

    def emit_json(self, obj: Any, *, ndjson: bool = False) -> None:
        """One JSON document (pretty) or one NDJSON line on stdout, redacted."""
        self.stdout.write(to_json(obj, indent=None if ndjson else 2) + "\n")
        self.stdout.flush()

    def table(self, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
        from tabulate import tabulate

        self.write(tabulate(list(rows), headers=list(headers), tablefmt="simple"))

    def lines(self, items: Iterable[str]) -> None:
        for item in items:
            self.write(item)


class RedactingFormatter(logging.Formatter):
    """Log formatter that masks secrets in every record."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(redact(super().format(record)))


def configure_logging(out: Output) -> None:
    """Route the library's loggers (retries, warnings) to stderr, redacted, one line each."""
    logger = logging.getLogger("synthlaunch")
    for handler in list(logger.handlers):
        if getattr(handler, "_synthlaunch", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(out.stderr)
    handler._synthlaunch = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if out.debug else logging.INFO if not out.quiet else logging.WARNING)
    logger.propagate = False
