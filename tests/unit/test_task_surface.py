"""The command surface: every documented option exists, help never runs a task, --list is light.

The surface runs in-process (`run_in_process`); only the lightness of `inv --list` needs a fresh
interpreter (what it imports is the point)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cli import REPO, run_in_process

TRAIN_OPTIONS = ("--config", "--type", "--env-file", "--task-url", "--dataset", "--backend", "--model",
                 "--allow-experimental", "--no-allow-experimental", "--idempotency", "--[no-]poll",
                 "--poll-timeout", "--poll-interval", "--stream-format", "--examples", "--dry-run", "--json",
                 "--no-input", "--yes", "--keep-going", "--debug")


def test_train_has_every_option_of_the_spec() -> None:
    result = run_in_process(["inv", "train", "--help"], cwd=REPO)
    assert result.code == 0
    missing = [opt for opt in TRAIN_OPTIONS if opt not in result.stdout]
    assert not missing


@pytest.mark.parametrize("task", ["cancel", "stream", "upload-dataset"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_after_a_positional_task_shows_help(task: str, flag: str) -> None:
    result = run_in_process(["synthlaunch", task, flag], cwd=REPO)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"Usage: synthlaunch [--core-opts] {task}")
    assert "error" not in result.stderr


def test_a_flag_in_place_of_a_positional_is_a_usage_error() -> None:
    result = run_in_process(["inv", "cancel", "-x"], cwd=REPO)
    assert result.code == 2
    assert "looks like a flag where the job id was expected" in result.stderr


def test_list_imports_nothing_heavy() -> None:
    code = ("import sys; from invoke import Program; from synthlaunch.tasks import ns; "
            "Program(namespace=ns).run(['inv', '--list'], exit=False); "
            "heavy = [m for m in ('requests', 'tomllib', 'tomli', 'rich', 'fastapi', 'uvicorn', 'plotext', "
            "'msgspec', 'orjson', 'tenacity', 'synthlaunch.api', 'synthlaunch.config') if m in sys.modules]; "
            "print('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "train" in result.stdout
    assert "HEAVY []" in result.stdout


@pytest.mark.parametrize("name", ["train", "preflight", "upload_dataset", "stream", "jobs", "cancel"])
def test_allow_insecure_http_reaches_the_library(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A declared flag that the task forgets to pass on is silently ignored: every task passes this one."""
    from invoke import Context

    from synthlaunch import tasks

    seen: dict[str, object] = {}
    monkeypatch.setattr(tasks, "_run", lambda target, **kwargs: seen.update(kwargs))
    positional = {"upload_dataset": ("data.jsonl",), "stream": ("job-1",), "cancel": ("job-1",)}.get(name, ())
    getattr(tasks, name).body(Context(), *positional, allow_insecure_http=True)
    assert seen.get("allow_insecure_http") is True


@pytest.mark.parametrize("args", [("jobs", "--limit", "abc"), ("local.backend", "--port", "abc"),
                                  ("local.task-app", "--port", "x1")])
def test_a_bad_number_is_a_usage_error_not_a_traceback(args: tuple[str, ...]) -> None:
    result = run_in_process(["inv", *args], cwd=REPO)
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr and f"{args[1]} expects a whole number" in result.stderr


@pytest.mark.parametrize("args", [("train", "--bogus"), ("no-such-task",), ("cancel",)])
def test_synthlaunch_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run_in_process(["synthlaunch", *args], cwd=REPO)
    assert result.code == 2
    assert result.stderr.strip() and "Traceback" not in result.stderr


def test_contradicting_experimental_flags_are_a_usage_error_everywhere() -> None:
    for task in ("validate", "train"):
        result = run_in_process(["inv", task, "--config", "configs/rl/demo.toml",
                                 "--dry-run" if task == "train" else "--json",
                                 "--allow-experimental", "--no-allow-experimental"], cwd=REPO)
        assert result.code == 2, (task, result.stderr)
        assert "contradict" in result.stderr
