"""One exception hierarchy for every expected failure, and the exit-code table (`EXIT_CODES`).

The exit-code table lives here and only here: the tasks' help (`exit_codes_text`) and the README's
table are written from it. Tasks never build `Exit` themselves: they call a command and let the
runner translate `SynthlaunchError` through `exit_code_for`. A defect of the tool itself (any other
exception) is `EXIT_INTERNAL` (70, EX_SOFTWARE), never "backend error".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_INVALID_INPUT = 2
EXIT_PREFLIGHT_FAILED = 3
EXIT_BACKEND = 4
EXIT_POLL_TIMEOUT = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "ok (job succeeded, or submitted with --no-poll; also: declined at the confirmation, "
             "nothing sent; cancel of a job that already ended, nothing to cancel)",
    EXIT_JOB_FAILED: "job ended failed or cancelled",
    EXIT_INVALID_INPUT: "invalid input (usage, config, dataset, env)",
    EXIT_PREFLIGHT_FAILED: "preflight failed",
    EXIT_BACKEND: "backend error or backend unreachable",
    EXIT_POLL_TIMEOUT: "job still running when --poll-timeout expired",
    EXIT_INTERNAL: "internal error: a defect of synthlaunch itself (please report it)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}
#: short forms for one-line help texts
_SHORT: dict[int, str] = {
    EXIT_OK: "ok", EXIT_JOB_FAILED: "job failed/cancelled", EXIT_INVALID_INPUT: "invalid input",
    EXIT_PREFLIGHT_FAILED: "preflight failed", EXIT_BACKEND: "backend error/unreachable",
    EXIT_POLL_TIMEOUT: "poll timeout", EXIT_INTERNAL: "internal error", EXIT_INTERRUPTED: "interrupted",
}


def exit_codes_text(*codes: int) -> str:
    """`Exit codes: 0 ok, 2 invalid input, …` for the given codes (internal error and Ctrl-C always added)."""
    wanted = sorted(set(codes) | {EXIT_INTERNAL, EXIT_INTERRUPTED})
    return "Exit codes: " + ", ".join(f"{code} {_SHORT[code]}" for code in wanted) + "."


def with_exit_codes(*codes: int) -> Any:
    """Decorator: append the exit-code line (from `EXIT_CODES`) to a task function's docstring."""
    def decorate(func: Any) -> Any:
        doc = (func.__doc__ or "").rstrip()
        func.__doc__ = f"{doc}\n\n    {exit_codes_text(*codes)}\n" if doc else exit_codes_text(*codes)
        return func
    return decorate


class SynthlaunchError(Exception):
    """Base of every expected failure. `message` is what the user reads; `exit_code` what the shell sees."""

    exit_code: int = EXIT_INVALID_INPUT
    #: set to True by code that already showed the failure to the user (tasks then only exit)
    reported: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The full user-facing text (message, then the hint on its own line)."""
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(SynthlaunchError):
    """Flags that do not fit together, or a flag that does not apply to this job type."""

    exit_code = EXIT_INVALID_INPUT


def format_key(key: str | None) -> str:
    """` [section].key:` for a dotted key, ` [table]:` for a single name, `` for none."""
    if not key:
        return ""
    section, _, leaf = key.rpartition(".")
    return f" [{section}].{leaf}:" if section else f" [{key}]:"


@dataclass
class Problem:
    """One located problem in an input file: `path:line: [key]: message`."""

    message: str
    path: str | None = None
    line: int | None = None
    key: str | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}:{format_key(self.key)} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The one JSON shape of a problem (`validate --json`, train summaries, error documents):
        `message` is the full located text (path and line included); `key` and `line` repeat its parts."""
        return {"message": str(self), "key": self.key, "line": self.line}


class ProblemsError(SynthlaunchError):
    """An input with one or more located problems; all of them are reported at once."""

    exit_code = EXIT_INVALID_INPUT
    kind = "input"

    def __init__(self, problems: list[Problem], *, header: str | None = None,
                 hint: str | None = None, more: int = 0) -> None:
        self.problems = problems
        self.more = more
        lines = [header] if header else []
        lines += [str(p) for p in problems]
        if more:
            lines.append(f"... and {more} more problem(s)")
        super().__init__("\n".join(lines) or f"invalid {self.kind}", hint=hint)


class ConfigError(ProblemsError):
    """A training config that cannot be parsed or does not validate."""

    kind = "config"


class DatasetError(ProblemsError):
    """A JSONL dataset that is missing, unreadable or invalid."""

    kind = "dataset"


class EnvError(SynthlaunchError):
    """Missing or unusable credentials / environment (missing keys, bad .env, insecure URL)."""

    exit_code = EXIT_INVALID_INPUT


class PreflightError(SynthlaunchError):
    """A preflight check failed. `report` is the PreflightReport when there is one."""

    exit_code = EXIT_PREFLIGHT_FAILED

    def __init__(self, message: str, *, report: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report


class BackendError(SynthlaunchError):
    """A non-2xx answer from the backend, with everything needed to understand it (redacted)."""

    exit_code = EXIT_BACKEND

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None,
                 status: int | None = None, request_body: Any = None,
                 response_body: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.url = url
        self.status = status
        self.request_body = request_body
        self.response_body = response_body

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "method": self.method, "url": self.url,
                "status": self.status, "request_body": self.request_body,
                "response_body": self.response_body, "hint": self.hint}


class BackendUnreachable(BackendError):
    """The backend could not be reached at all (connection refused, DNS, TLS, timeouts)."""


class EventStreamBroken(BackendUnreachable):
    """An open event stream failed while being read (dropped, timed out): the watch polls instead."""


class JobFailed(SynthlaunchError):
    """The job reached a terminal failure state (failed or cancelled)."""

    exit_code = EXIT_JOB_FAILED

    def __init__(self, message: str, *, job_id: str | None = None, status: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.status = status


class PollTimeout(SynthlaunchError):
    """--poll-timeout expired while the job was still running."""

    exit_code = EXIT_POLL_TIMEOUT

    def __init__(self, message: str, *, job_id: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.job_id = job_id


class JobPaused(PollTimeout):
    """The backend paused the job: watching stops (exit 5, like a poll timeout); the job is still there."""


class Interrupted(SynthlaunchError):
    """The user pressed Ctrl-C; the job (if any) keeps running unless cancelled on purpose."""

    exit_code = EXIT_INTERRUPTED


def exit_code_for(exc: BaseException) -> int:
    """The exit code of `EXIT_CODES` for any exception (one that is not expected is a defect: 70)."""
    if isinstance(exc, SynthlaunchError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL
