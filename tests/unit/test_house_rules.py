"""The house rules CI checks, run by the test suite itself (so the README's test command runs them):
ruff (lint and import order), mypy (types of lib/), lint-imports (the import-layer contract)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["mypy"], ["lint-imports"]],
                         ids=["ruff", "mypy", "import-contract"])
def test_house_rule_holds(command: list[str]) -> None:
    tool = BIN / command[0]
    if not tool.exists():
        pytest.fail(f"{command[0]} is not installed in {BIN}: install the dev extra (pip install -e '.[dev]')")
    result = subprocess.run([str(tool), *command[1:]], cwd=REPO, capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
