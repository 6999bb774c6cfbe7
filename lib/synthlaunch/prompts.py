"""Interactive questions: the .env picker, prompts for missing keys (hidden for secrets), yes/no.

Everything is written through `Output` (redacted); answers are read from stdin, secrets with
`getpass` (no echo). Callers ask only when `out.interactive` is true. Ctrl-C propagates as
KeyboardInterrupt (the tasks turn it into exit 130); end of input becomes an EnvError.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Callable, TextIO, cast

from .console import Output
from .errors import EnvError

MAX_TRIES = 5


def _read_line(out: Output, prompt: str) -> str:
    out.write(prompt, end="")
    line = sys.stdin.readline()
    if not line:
        out.write("")
        raise EnvError("no answer: input ended while a question was asked",
                       hint="run with --no-input (and supply the values by flag, shell or --env-file)")
    return line.rstrip("\r\n")


def display_path(path: Path, cwd: Path | None = None) -> str:
    """`path` relative to the current folder when it is below it (`./.env`), else absolute."""
    cwd = cwd or Path.cwd()
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(cwd))
        return "./" + rel.as_posix()
    except ValueError:
        return os.path.abspath(path)


def pick_numbers(out: Output, count: int, *, prompt: str, retry: str, several: bool = False,
                 default: int | None = None) -> list[int] | None:
    """The one numbered picker: the numbers (1-based, each once, in the order typed) the user chose
    among `count` listed options, or None for `q`, an empty answer without `default`, end of input
    or too many invalid answers. `several` accepts `1,2` / `1 2`."""
    for _ in range(MAX_TRIES):
        out.write(prompt, end="")
        line = sys.stdin.readline()
        if not line:
            out.write("")
            return None
        answer = line.strip()
        if answer.lower() in ("q", "quit") or (not answer and default is None):
            return None
        parts = [part for part in answer.replace(",", " ").split() if part] if answer else [str(default)]
        if (several or len(parts) == 1) and all(p.isdigit() and 1 <= int(p) <= count for p in parts):
            return list(dict.fromkeys(int(p) for p in parts))
        out.write(retry)
    return None


def choose_env_file(out: Output, candidates: list[Path], *, purpose: str = "") -> Path:
    """Picker: one of `candidates`, or a typed path ("enter a path"), or abort (EnvError).

    A typed path may not exist yet (typed keys would be saved there); a folder means its `.env`.
    """
    options = [display_path(p) for p in candidates] + ["enter a path", "abort"]
    out.write("Choose the .env file to use" + (f" ({purpose})" if purpose else "") + ":")
    for i, label in enumerate(options, 1):
        out.write(f"  {i}) {label}")
    picked = pick_numbers(out, len(options), prompt=f"Choice [1-{len(options)}, default 1]: ", default=1,
                          retry=f"  please type a number from 1 to {len(options)}")
    if picked is None:
        raise EnvError("no valid choice at the .env picker", hint="pass --env-file PATH")
    choice = picked[0]
    if choice <= len(candidates):
        return candidates[choice - 1]
    if choice == len(options) - 1:
        return ask_path(out)
    raise EnvError("aborted: no .env file chosen", hint="pass --env-file PATH, or set the keys in the shell")


def ask_path(out: Output) -> Path:
    """A path typed by the user (`~` expanded; a folder means its `.env`)."""
    for _ in range(MAX_TRIES):
        answer = _read_line(out, "Path of the .env file: ").strip()
        if not answer:
            out.write("  please type a path (or press Ctrl-C to stop)")
            continue
        path = Path(os.path.expanduser(answer))
        if path.is_dir():
            path = path / ".env"
        if not path.exists():
            out.write(f"  {display_path(path)} does not exist yet; typed keys will be saved there if you confirm")
        return path
    raise EnvError("no .env path given", hint="pass --env-file PATH")


def ask_value(out: Output, key: str, *, secret: bool, description: str = "",
              validate: Callable[[str], str | None] | None = None) -> str:
    """Ask for `key` until a non-empty, valid answer. Secrets are read with hidden input.

    `validate(value)` returns an error message, or None when the value is fine.
    """
    if description:
        out.write(f"{key} is needed: {description}")
    for _ in range(MAX_TRIES):
        if secret:
            out.human.flush()
            try:
                value = getpass.getpass(f"{key} (input hidden): ", stream=cast(TextIO, out.human))
            except EOFError:
                raise EnvError(f"no value for {key}: input ended",
                               hint=f"set {key} in the shell or in a .env file") from None
        else:
            value = _read_line(out, f"{key}: ")
        value = value.strip()
        if not value:
            out.write(f"  {key} cannot be empty (press Ctrl-C to stop)")
            continue
        problem = validate(value) if validate else None
        if problem:
            out.write(f"  {problem}")
            continue
        return value
    raise EnvError(f"no valid value for {key} after {MAX_TRIES} tries",
                   hint=f"set {key} in the shell or in a .env file")


def confirm(out: Output, question: str, *, default: bool = False, yes: bool = False) -> bool:
    """A yes/no question; `yes=True` (--yes) answers yes without asking."""
    if yes:
        return True
    suffix = " [Y/n] " if default else " [y/N] "
    for _ in range(MAX_TRIES):
        answer = _read_line(out, question + suffix).strip().lower()
        if not answer:
            return default
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        out.write("  please answer y or n")
    return default
