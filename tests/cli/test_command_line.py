"""The command line itself: suggestions for typos, the usage line, positional configs, short flags,
value names in help, the standalone program's own help page, a flag without its value, `| head`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def run(*args: str, binary: str = "synthlaunch", cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "CI": "true", "HOME": str(REPO), "COLUMNS": "100"}
    return subprocess.run([str(BIN / binary), *args], cwd=cwd, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_an_unknown_flag_suggests_the_closest_and_shows_the_usage_line() -> None:
    result = run("train", "--cofig", "configs/rl/demo.toml")
    assert result.returncode == 2
    assert "unknown flag '--cofig' for train; did you mean --config?" in result.stderr
    assert "usage: synthlaunch train [--options]" in result.stderr


def test_an_unknown_task_suggests_the_closest() -> None:
    result = run("trian")
    assert result.returncode == 2
    assert "unknown task 'trian'; did you mean train?" in result.stderr


def test_a_config_is_accepted_as_a_positional_argument() -> None:
    result = run("validate", "configs/rl/demo.toml", "configs/sft/demo.toml")
    assert result.returncode == 0, result.stderr
    assert "ok: configs/rl/demo.toml" in result.stdout and "ok: configs/sft/demo.toml" in result.stdout


def test_short_flags_for_the_common_options() -> None:
    result = run("validate", "-c", "configs/rl/demo.toml", "-j")
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")
    text = run("--help", "train").stdout
    for short in ("-c PATH", "-b URL", "-j,", "-q,", "-v,", "-y,"):
        assert short in text


def test_a_config_flag_without_its_value_is_an_error_not_no_config() -> None:
    result = run("train", "--config")
    assert result.returncode == 2
    assert "--config needs a value: --config PATH" in result.stderr
    assert "no --config given" not in result.stderr
    assert run("train", "--config", binary="inv").returncode != 0


@pytest.mark.parametrize("binary", ["inv", "synthlaunch"])
def test_task_help_names_the_values(binary: str) -> None:
    text = run("--help", "train", binary=binary).stdout
    assert "--config=PATH" in text and "--examples=N" in text and "--backend=URL" in text
    assert "=STRING" not in text


def test_the_standalone_help_shows_its_tasks_and_only_the_core_options_that_matter() -> None:
    text = run("--help").stdout
    assert text.startswith("Usage: synthlaunch <task> [--options]")
    for name in ("train", "preflight", "validate", "upload-dataset", "stream", "jobs", "cancel", "local.backend"):
        assert name in text
    for generic in ("--dry", "--pty", "sudo", "--echo", "--warn-only", "-d,", "--hide"):
        assert generic not in text


def test_help_into_a_pipe_closed_early_ends_without_a_traceback() -> None:
    for _ in range(3):
        done = subprocess.run(f"{BIN / 'synthlaunch'} --help train | head -1", shell=True, cwd=REPO,
                              capture_output=True, text=True, timeout=60)
        assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
        assert done.stdout.startswith("Usage: synthlaunch")
