"""`sl(*argv)`: the `synthlaunch` program run in-process, as a user in a fresh project folder would
(no inherited credentials, private state and cache folders, CI set), against the embedded backend."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from tests.support.cli import REPO

from synthlaunch.env import KNOWN_KEYS as SCRUB


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "configs", root / "configs")
    for name in SCRUB:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"CI": "true", "NO_COLOR": "1", "COLUMNS": "160", "SYNTH_API_KEY": backend.api_key,
                        "SYNTHLAUNCH_STATE_DIR": str(tmp_path / ".state"),
                        "SYNTHLAUNCH_CACHE_DIR": str(tmp_path / ".cache")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def sl(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    from synthlaunch.program import program

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = 0
        try:
            program.run(["synthlaunch", *argv])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run
