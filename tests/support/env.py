"""The process environment of a test: nothing of the developer's own shell, private folders in tmp.

Every variable the tool reads is scrubbed (`TOOL_VARIABLES`, and Invoke's `INVOKE_SYNTHLAUNCH_*`
overrides), and the folders it writes (state, upload cache, the backend's default data dir, and
`~/.invoke.yaml` through HOME) point into a tmp folder, so no test reads or writes the developer's
real state. The autouse fixture of `tests/conftest.py` applies this to the test process, and
`user_env` builds the environment of every subprocess the same way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from synthlaunch.env import KNOWN_KEYS

#: every variable the tool reads: credentials, targets, experimental switches, its folders, and CI
#: (CI decides whether a person may be prompted; a test that wants it says so)
TOOL_VARIABLES: tuple[str, ...] = (*KNOWN_KEYS, "SYNTHLAUNCH_STATE_DIR", "SYNTHLAUNCH_CACHE_DIR", "CI")
#: Invoke's environment overrides of our settings (`INVOKE_SYNTHLAUNCH_BACKEND=…`)
INVOKE_PREFIX = "INVOKE_SYNTHLAUNCH_"


def is_tool_variable(name: str) -> bool:
    return name in TOOL_VARIABLES or name.startswith(INVOKE_PREFIX)


def scrubbed_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: this process's) without any variable the tool reads."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not is_tool_variable(k)}


def private_dirs(tmp: Path) -> dict[str, str]:
    """Variables that point every folder the tool (or Invoke) reads or writes into `tmp`."""
    return {"SYNTHLAUNCH_STATE_DIR": str(tmp / ".state"), "SYNTHLAUNCH_CACHE_DIR": str(tmp / ".cache"),
            "XDG_CACHE_HOME": str(tmp / ".xdg-cache"), "XDG_STATE_HOME": str(tmp / ".xdg-state"),
            "XDG_CONFIG_HOME": str(tmp / ".xdg-config"), "XDG_DATA_HOME": str(tmp / ".xdg-data"),
            "HOME": str(tmp / "home")}


def user_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess run as a user's CI would: no credentials, private folders in
    `tmp`, no colour, CI set. `extra` adds variables (pop CI for a terminal run)."""
    env = scrubbed_environ()
    env.update(private_dirs(tmp))
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    env.update({"CI": "true", "NO_COLOR": "1", "COLUMNS": "100"})
    env.update(extra)
    return env
