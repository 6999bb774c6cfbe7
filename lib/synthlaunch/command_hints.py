"""Hints that name commands the user can type next (with the program they typed: `synthlaunch` or `inv`)."""

from __future__ import annotations

from .console import command_name


def rerun_hint(job_id: str) -> str:
    return f"submit it again, same config bytes and overrides: {command_name()} train --rerun {job_id}"
