"""Advisory file locks (`fcntl.flock`) shared by the tool's small state files.

`exclusive(lock_path)` serialises a read-modify-write of a file among processes (and threads: each
call opens its own file description). `try_hold(lock_path)` takes a lock without waiting and
keeps it for as long as the returned file stays open: the kernel drops it when the process dies,
however it dies, which is how a live run is told from a dead one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO, Iterator


def _open(lock_path: Path) -> IO[str]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    return os.fdopen(fd, "r+")


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (created 0600) for the `with` block; OSError if it cannot be opened."""
    with _open(lock_path) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def try_hold(lock_path: Path) -> IO[str] | None:
    """The open lock file, now locked by this process, or None when another holder has it."""
    handle = _open(lock_path)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
