"""Atomic file writes: a temp file in the same folder, fsync, then `os.replace`.

A reader (or a process killed mid-write) sees the old file or the new one, never a partial one.
The temp file is `.<name>.<pid>.<random>.synthlaunch.tmp`, mode 0600: the repository's
`.gitignore` covers `*.synthlaunch.tmp`, and the next write of the same file removes the ones
left by processes that are gone (a kill between writing and renaming leaves one behind).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".synthlaunch.tmp"
#: temp files of the same target named before the pid was part of the name (`.<name>.<random>.tmp`)
#: are removed once they are this old
LEGACY_TEMP_AGE_SECONDS = 600.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process (or not a pid we can ask about): leave its file alone
    return True


def remove_stale_temp_files(target: Path) -> list[Path]:
    """Remove the temp files of `target` left behind by dead writers; the removed paths."""
    removed: list[Path] = []
    prefix = f".{target.name}."
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        if not name.startswith(prefix):
            continue
        path = target.parent / name
        rest = name[len(prefix):]
        stale = False
        if rest.endswith(TEMP_SUFFIX):
            pid = rest.split(".", 1)[0]
            stale = pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid))
        elif rest.endswith(".tmp") and "." not in rest[:-len(".tmp")]:
            with contextlib.suppress(OSError):
                stale = now - path.lstat().st_mtime > LEGACY_TEMP_AGE_SECONDS
        else:
            continue
        if stale:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int | None = None,
                      encoding: str = "utf-8") -> None:
    """Replace `path` with `text` atomically. New files get `mode` (e.g. 0o600); existing keep theirs."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        keep_mode: int | None = target.stat().st_mode & 0o777
    except FileNotFoundError:
        keep_mode = mode
    remove_stale_temp_files(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=target.parent)
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
