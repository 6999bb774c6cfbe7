"""Every client command against an HTML / invalid-JSON / oversized / dripping / redirecting server
exits non-zero, within its deadline, with one clear error message (and no traceback), run in-process
through the `synthlaunch` program. No key value reaches the redirect target.

The retry policies are shortened here (fewer attempts, a deadline of a few seconds) so that the
matrix runs in seconds; the commands take the same code path with the default policies, only the
numbers differ. Memory against oversized answers is measured in bench/bench_hostile.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from synthlaunch import preflight as preflight_module
from synthlaunch.api import SynthClient
from synthlaunch.http import RetryPolicy
from synthlaunch.program import program
from synthlaunch.task_app import TaskAppClient

from . import answers

REPO = Path(__file__).resolve().parents[2]
KEY = "sk_matrix_" + "5eed" * 8
ENV_KEY = "env_matrix_" + "f00d" * 7
SHORT = RetryPolicy(attempts=3, deadline=4.0, backoff_base=0.05, backoff_max=0.2, min_wait=0.05)
PATHS = ("/api/learning/jobs", "/api/rl/jobs/job_1", "/api/learning/jobs/job_1", "/api/files",
         "/api/rl/verify_task_app", "/api/learning/jobs/job_1/cancel", "/api/rl/jobs/job_1/cancel",
         "/health", "/task_info")

SERVERS = {
    "html": lambda other: answers.html(),
    "invalid-json": lambda other: answers.invalid_json(),
    "oversized": lambda other: answers.huge(12 * 1024 * 1024),
    "gzip-bomb": lambda other: answers.gzip_bomb(64 * 1024 * 1024),
    "dripping": lambda other: answers.drip(b'{"jobs": [' + b" " * 2000 + b"]}", every=0.5),
    "dripping-headers": lambda other: answers.drip_headers(every=0.5),
    "redirecting": lambda other: answers.redirect(other + "/elsewhere"),
}
#: what the one error line names, per server
NAMED = {"html": "text/html", "invalid-json": "not JSON", "oversized": "larger than 10 MiB",
         "gzip-bomb": "larger than 10 MiB", "dripping": "", "dripping-headers": "",
         "redirecting": "redirect"}


def _commands(url: str, tmp: Path) -> dict[str, list[str]]:
    (tmp / "sft").mkdir()
    (tmp / "datasets").mkdir()
    shutil.copy(REPO / "configs/sft/demo.toml", tmp / "sft/demo.toml")
    shutil.copy(REPO / "configs/datasets/demo.jsonl", tmp / "datasets/demo.jsonl")
    common = ["--backend", url, "--no-input"]
    return {
        "jobs": ["jobs", *common],
        "cancel": ["cancel", "job_1", *common],
        "stream": ["stream", "--job-id", "job_1", "--poll-timeout", "4", "--poll-interval", "0.2", *common],
        "preflight": ["preflight", "--task-url", url, *common],
        "upload-dataset": ["upload-dataset", str(tmp / "datasets/demo.jsonl"), *common],
        "train": ["train", "--config", str(tmp / "sft/demo.toml"), "--yes", "--poll-timeout", "4", *common],
    }


@pytest.fixture
def short_deadlines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(SynthClient.__init__.__kwdefaults__, "policy", SHORT)
    monkeypatch.setitem(TaskAppClient.__init__.__kwdefaults__, "timeout", (2.0, 2.0))
    monkeypatch.setattr(preflight_module, "PREFLIGHT_POLICY", SHORT)
    for name in ("TIMEOUT_JSON_POST", "TIMEOUT_UPLOAD", "TIMEOUT_FILE_CHECK", "TIMEOUT_STREAM_GET"):
        monkeypatch.setattr(f"synthlaunch.api.{name}", (2.0, 2.0))
    for name in ("BACKEND_BASE_URL", "SYNTH_BACKEND_URL_OVERRIDE", "TASK_APP_URL", "ENVIRONMENT_API_KEY_ALIASES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    monkeypatch.setenv("ENVIRONMENT_API_KEY", ENV_KEY)
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("SYNTHLAUNCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SYNTHLAUNCH_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.mark.parametrize("command", ["jobs", "cancel", "stream", "preflight", "upload-dataset", "train"])
@pytest.mark.parametrize("server", list(SERVERS))
def test_every_command_fails_clearly_against_a_hostile_server(stubs, short_deadlines, tmp_path, capsys,
                                                              command, server) -> None:
    hostile, elsewhere = stubs(), stubs()
    for path in PATHS:
        hostile.script(path, (0, SERVERS[server](elsewhere.url)))
    argv = ["synthlaunch", *_commands(hostile.url, tmp_path)[command]]
    with pytest.raises(SystemExit) as info:
        program.run(argv)
    out, err = capsys.readouterr()
    assert info.value.code not in (0, None, 70), (argv, out, err)
    assert info.value.code in (3, 4, 5), (argv, out, err)
    assert "Traceback" not in err and "internal error" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    if NAMED[server] and command != "stream":  # stream keeps retrying until --poll-timeout: it says so
        assert NAMED[server] in out + err, (out, err)
    assert elsewhere.requests == []
    assert KEY not in out + err and ENV_KEY not in out + err
