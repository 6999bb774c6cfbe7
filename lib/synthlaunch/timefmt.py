"""Timestamps: one parser for what backends send (ISO 8601, `Z` or an offset), and the two ways the
tool shows them (local clock time in stream lines, UTC date and time in tables)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from ISO-8601 text (`…Z`, `…+02:00`; naive text is taken as UTC); None otherwise."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def clock_of(value: Any = None) -> str:
    """`HH:MM:SS` in local time of an ISO timestamp, or of now when it is absent or unreadable."""
    when = parse_timestamp(value)
    return (when.astimezone() if when else datetime.now()).strftime("%H:%M:%S")


def utc_text(value: Any) -> str:
    """`2026-01-02 03:04:05 UTC` for an ISO timestamp; other text unchanged."""
    when = parse_timestamp(value)
    if when is None:
        return "" if value is None else str(value)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds_between(start: Any, end: Any) -> float | None:
    """Seconds from `start` to `end` (ISO texts) when both parse and end is not before start."""
    a, b = parse_timestamp(start), parse_timestamp(end)
    if a is None or b is None or b < a:
        return None
    return (b - a).total_seconds()
