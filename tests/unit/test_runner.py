"""The command runner: expected failures keep their exit code; a defect of the tool exits 70 and says so."""

from __future__ import annotations

import pytest
from invoke.exceptions import Exit

from synthlaunch.commands.runner import run_command
from synthlaunch.errors import EXIT_CODES, EXIT_INTERNAL, BackendError, UsageError, exit_codes_text


def _code(command, **kwargs) -> int:
    try:
        run_command(command, **kwargs)
    except Exit as exc:
        return exc.code
    return 0


def test_internal_error_exits_70_and_says_it_is_a_bug(capsys) -> None:
    def broken(out):
        return {}["missing"]

    assert _code(broken) == EXIT_INTERNAL == 70
    err = capsys.readouterr().err
    assert "internal error" in err and "bug in synthlaunch" in err and "KeyError" in err
    assert "Traceback" not in err


def test_internal_error_traceback_only_with_debug(capsys) -> None:
    def broken(out):
        raise RuntimeError("boom")

    assert _code(broken, debug=True) == 70
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("error, code", [(UsageError("bad flag"), 2), (BackendError("down"), 4)])
def test_expected_failures_keep_their_code(error, code, capsys) -> None:
    def failing(out):
        raise error

    assert _code(failing) == code
    assert capsys.readouterr().err.count(str(error.message)) == 1


def test_exit_code_help_comes_from_the_table() -> None:
    text = exit_codes_text(0, 2)
    assert text.startswith("Exit codes: 0 ok, 2 invalid input")
    assert "70 internal error" in text and "130 interrupted" in text
    assert set(EXIT_CODES) == {0, 1, 2, 3, 4, 5, 70, 130}


def test_readme_exit_table_is_the_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {int(line.split("|")[1]) for line in section.splitlines()
             if line.startswith("| ") and line.split("|")[1].strip().isdigit()}
    assert codes == set(EXIT_CODES)
