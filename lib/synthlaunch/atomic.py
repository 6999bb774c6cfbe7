"""Atomic file writes: a temp file in the same folder, fsync, then `os.replace`.

A reader (or a process killed mid-write) sees the old file or the new one, never a partial one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int | None = None,
                      encoding: str = "utf-8") -> None:
    """Replace `path` with `text` atomically. New files get `mode` (e.g. 0o600); existing keep theirs."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        keep_mode: int | None = target.stat().st_mode & 0o777
    except FileNotFoundError:
        keep_mode = mode
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        # the mode is set only once the file is in place: a temp file left by a kill stays 0600
        # (mkstemp's mode), and a kill between the two steps leaves the file more private, not less
        if keep_mode is not None and keep_mode != 0o600:
            os.chmod(target, keep_mode)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_json_file(path: str | os.PathLike[str], default: Any = None) -> Any:
    """The JSON content of `path`, or `default` when it is missing or unreadable (a cache, not truth)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default


def write_json_file(path: str | os.PathLike[str], data: Any, *, mode: int = 0o600) -> None:
    """Write JSON atomically (new files private by default)."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=mode)
