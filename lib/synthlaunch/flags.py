"""Parsing of flag values that Invoke hands over as strings, with usage errors that name the flag."""

from __future__ import annotations

from typing import Any

from .errors import UsageError


def parse_float(value: Any, flag: str, *, minimum: float | None = None, positive: bool = False) -> float:
    """`value` as a float; a UsageError naming `--flag` otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{flag} expects a number of seconds, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise UsageError(f"--{flag} expects a finite number, got {value!r}")
    if positive and number <= 0:
        raise UsageError(f"--{flag} must be greater than 0, got {value!r}")
    if minimum is not None and number < minimum:
        raise UsageError(f"--{flag} must be at least {minimum:g}, got {value!r}")
    return number


def parse_int(value: Any, flag: str, *, minimum: int | None = None) -> int:
    """`value` as an integer (no booleans, no fractions); a UsageError naming `--flag` otherwise."""
    if isinstance(value, bool):
        raise UsageError(f"--{flag} expects a whole number, got {value!r}")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise UsageError(f"--{flag} expects a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise UsageError(f"--{flag} must be at least {minimum}, got {number}")
    return number


def parse_choice(value: Any, flag: str, choices: tuple[str, ...]) -> str:
    """`value` lower-cased when it is one of `choices`; a UsageError listing them otherwise."""
    text = str(value).strip().lower()
    if text not in choices:
        raise UsageError(f"--{flag} must be one of {', '.join(choices)}; got {value!r}")
    return text
