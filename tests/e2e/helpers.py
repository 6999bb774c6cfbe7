"""Run the tool as a user would: a subprocess in a fresh folder, with a chosen environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from synthlaunch.env import KNOWN_KEYS

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Variables of the developer's own shell that would change what the tool does: never inherited.
SCRUB = KNOWN_KEYS


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def user_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no credentials, private cache/state folders, no colour, CI set."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env.update({"CI": "true", "NO_COLOR": "1", "SYNTHLAUNCH_STATE_DIR": str(tmp / ".state"),
                "SYNTHLAUNCH_CACHE_DIR": str(tmp / ".cache"), "XDG_CACHE_HOME": str(tmp / ".xdg-cache"),
                "XDG_STATE_HOME": str(tmp / ".xdg-state"), "COLUMNS": "100"})
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> Result:
    """Run `inv …` or `synthlaunch …` from the installed environment."""
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    proc = subprocess.run([exe, *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def project(tmp: Path) -> Path:
    """A fresh user project: the example configs and dataset, and a tasks.py that imports ours."""
    root = tmp / "project"
    shutil.copytree(REPO / "configs", root / "configs")
    (root / "tasks.py").write_text("from synthlaunch.tasks import ns  # noqa: F401\n")
    return root


def write_env(path: Path, **values: str) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path
