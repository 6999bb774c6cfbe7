"""The tool's own folders: state (pending submissions) and cache (upload cache, embedded backend data).

Read from an explicit environment mapping (`SYNTHLAUNCH_STATE_DIR`, `SYNTHLAUNCH_CACHE_DIR`), else
the user's platform folders; so a caller such as `inv demo` points them elsewhere without
rewriting the process environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

STATE_DIR_VARIABLE = "SYNTHLAUNCH_STATE_DIR"
CACHE_DIR_VARIABLE = "SYNTHLAUNCH_CACHE_DIR"
VARIABLES = (STATE_DIR_VARIABLE, CACHE_DIR_VARIABLE)


def _override(environ: Mapping[str, str] | None, name: str) -> Path | None:
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return Path(value).expanduser() if value else None


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`SYNTHLAUNCH_STATE_DIR`, else the user state dir (`~/.local/state/synthlaunch` on Linux)."""
    found = _override(environ, STATE_DIR_VARIABLE)
    if found is not None:
        return found
    from platformdirs import user_state_dir

    return Path(user_state_dir("synthlaunch", appauthor=False))


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`SYNTHLAUNCH_CACHE_DIR`, else the user cache dir (`~/.cache/synthlaunch` on Linux)."""
    found = _override(environ, CACHE_DIR_VARIABLE)
    if found is not None:
        return found
    from platformdirs import user_cache_path

    return Path(user_cache_path("synthlaunch", appauthor=False))


def backend_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded backend's default `--data-dir`: `<cache dir>/backend`."""
    return cache_dir(environ) / "backend"
