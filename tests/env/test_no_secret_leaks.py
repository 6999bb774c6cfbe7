"""No key value (nor any 8-character fragment of one) ever reaches stdout or stderr.

Every task that takes credentials is driven as a user would (a subprocess of `inv`), through
success and failure paths, with known key values in the shell and in a .env file, against the
embedded backend and demo task app.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Iterator

import pytest

from tests.support import leaks
from tests.support.cli import Result, interrupt, project, run, start
from tests.support.env import user_env
from tests.support.leaks import FRAGMENT
from tests.support.servers import Backend as BackendServer
from tests.support.servers import TaskAppServer, running

SK = "sk_leak_" + secrets.token_hex(16)                 # shell
EK = "env_leak_" + secrets.token_hex(16)                # .env
ALIAS = "alias_leak_" + secrets.token_hex(12)           # .env, ENVIRONMENT_API_KEY_ALIASES
OTHER = "sk-other-leak-" + secrets.token_hex(12)        # .env, some other *_API_KEY of the user
WRONG_SK = "sk_wrong_" + secrets.token_hex(16)          # a key the backend rejects
ALL = (SK, EK, ALIAS, OTHER, WRONG_SK)


def assert_no_leak(result, label: str) -> None:
    leaks.assert_no_leak(result.stdout + "\n" + result.stderr, ALL, label)


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[BackendServer, TaskAppServer, TaskAppServer]]:
    with running() as servers:
        yield (servers.start(BackendServer(api_keys=[SK], environment_api_keys=[EK], step_seconds=0.01,
                                           data_dir=tmp_path_factory.mktemp("leak-backend"))),
               servers.start(TaskAppServer(environment_api_keys=[EK])),
               servers.start(TaskAppServer(environment_api_keys=["env_someone_else_" + secrets.token_hex(12)])))


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("leak")
    root = project(tmp)
    (root / ".env").write_text(f"# keys\nENVIRONMENT_API_KEY={EK}\nENVIRONMENT_API_KEY_ALIASES={ALIAS}\n"
                               f"OPENAI_API_KEY={OTHER}\n")
    (root / "bad.toml").write_text('[algorithm]\ntype = "offline"\nmethod = "sft"\nvariety = "fft"\n'
                                   '[job]\nmodel = 42\n')
    return root, user_env(tmp, SYNTH_API_KEY=SK)


# (label, args, expected exit code, extra environment); {backend}, {task_app} and {other_app} are
# the module's servers. One test per scenario: each has the whole per-test timeout, and xdist
# spreads them (one test for all of them hit the 120 s timeout on a loaded 2-core machine).
B = ["--backend", "{backend}"]
RL = ["--config", "configs/rl/demo.toml"]
SFT = ["--config", "configs/sft/demo.toml"]
POLL = ["--poll-interval", "0.1", "--poll-timeout", "120"]
SCENARIOS = [
    ("validate ok", ["inv", "validate", *SFT, *RL], 0, {}),
    ("validate invalid --json", ["inv", "validate", "--config", "bad.toml", "--json"], 2, {}),
    ("preflight ok", ["inv", "preflight", *RL, "--task-url", "{task_app}", *B], 0, {}),
    ("preflight ok --json", ["inv", "preflight", *RL, "--task-url", "{task_app}", *B, "--json"], 0, {}),
    ("preflight wrong env key --debug", ["inv", "preflight", *RL, "--task-url", "{other_app}", *B, "--debug"],
     3, {}),
    ("preflight wrong SYNTH_API_KEY", ["inv", "preflight", *RL, "--task-url", "{task_app}", *B], 4,
     {"SYNTH_API_KEY": WRONG_SK}),
    ("train rl dry-run", ["inv", "train", *RL, "--task-url", "{task_app}", *B, "--dry-run"], 0, {}),
    ("train sft dry-run --json", ["inv", "train", *SFT, *B, "--dry-run", "--json"], 0, {}),
    ("train sft", ["inv", "train", *SFT, *B, *POLL, "--verbose"], 0, {}),
    ("train sft --json", ["inv", "train", *SFT, *B, *POLL, "--json", "--stream-format", "json"], 0, {}),
    ("train rl --no-poll", ["inv", "train", *RL, "--task-url", "{task_app}", *B, "--no-poll"], 0, {}),
    ("train rl stream", ["inv", "train", *RL, "--task-url", "{task_app}", *B, *POLL], 0, {}),
    ("train rl wrong SYNTH_API_KEY --debug", ["inv", "train", *RL, "--task-url", "{task_app}", *B, "--debug"],
     4, {"SYNTH_API_KEY": WRONG_SK}),
    ("train sft wrong SYNTH_API_KEY --debug", ["inv", "train", *SFT, *B, "--debug", "--force-upload"], 4,
     {"SYNTH_API_KEY": WRONG_SK}),
    ("train missing keys", ["inv", "train", *RL, *B], 2, {"SYNTH_API_KEY": ""}),
    ("train insecure backend", ["inv", "train", *SFT, "--backend", "http://backend.example.com"], 2, {}),
    ("upload-dataset", ["inv", "upload-dataset", "configs/datasets/demo.jsonl", *B], 0, {}),
    ("upload-dataset --json wrong key", ["inv", "upload-dataset", "configs/datasets/demo.jsonl", *B, "--json",
                                        "--force-upload"], 4, {"SYNTH_API_KEY": WRONG_SK}),
    ("jobs", ["inv", "jobs", *B], 0, {}),
    ("jobs --json", ["inv", "jobs", *B, "--json"], 0, {}),
    ("jobs wrong key --debug", ["inv", "jobs", *B, "--debug"], 4, {"SYNTH_API_KEY": WRONG_SK}),
    ("stream unknown job", ["inv", "stream", "--job-id", "job_does_not_exist", *B, "--poll-timeout", "5"], 4, {}),
    ("demo", ["inv", "demo", "--step-seconds", "0.01", "--trainer", "emulate"], 0, {}),
    ("cancel unknown job --json", ["inv", "cancel", "--job-id", "job_does_not_exist", *B, "--json"], 4, {}),
]


def _job_ids(backend: BackendServer) -> list[str]:
    return [j.get("job_id") or j.get("id") for j in backend.client().list_jobs(limit=50)]


@pytest.mark.slow
@pytest.mark.parametrize("label, args, expected, extra", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_no_key_value_in_any_output(servers, proj, label, args, expected, extra):
    backend, task_app, other_app = servers
    root, env = proj
    urls = {"backend": backend.root, "task_app": task_app.url, "other_app": other_app.url}
    result = run([arg.format(**urls) for arg in args], root, {**env, **extra}, timeout=180)
    assert_no_leak(result, label)
    assert result.code == expected, f"{label}: exit {result.code}, expected {expected}\n{result.stderr[-1500:]}"


@pytest.mark.slow
def test_no_key_value_when_streaming_and_cancelling_a_real_job(servers, proj):
    """stream and cancel of a job that a run created (the scenarios above may run on another worker)."""
    backend, task_app, _ = servers
    root, env = proj
    created = run(["inv", "train", *RL, "--task-url", task_app.url, "--backend", backend.root, "--no-poll"],
                  root, env, timeout=180)
    assert_no_leak(created, "train rl --no-poll")
    assert created.code == 0, created.stderr[-1500:]
    ids = _job_ids(backend)
    assert ids, "no job was created: the success paths did not run"
    failures = []
    for label, args in [("stream --json", ["inv", "stream", "--job-id", ids[0], "--backend", backend.root,
                                           "--json", "--poll-interval", "0.1"]),
                        ("stream", ["inv", "stream", "--job-id", ids[0], "--backend", backend.root,
                                    "--poll-interval", "0.1", "--verbose"]),
                        ("cancel", ["inv", "cancel", "--job-id", ids[-1], "--backend", backend.root]),
                        ("job.show --json", ["inv", "job.show", ids[0], "--backend", backend.root, "--json"]),
                        ("metrics csv", ["inv", "metrics", ids[0], "--backend", backend.root, "--format", "csv"]),
                        ("files", ["inv", "files", "--backend", backend.root]),
                        ("models --remote --json", ["inv", "models", "--remote", "--backend", backend.root, "--json"]),
                        ("runs --json", ["inv", "runs", "--json"]),
                        ("runs.show", ["inv", "runs.show", ids[0]])]:
        result = run(args, root, env, timeout=180)
        assert_no_leak(result, label)
        if result.code not in (0, 1, 2, 4):
            failures.append(f"{label}: exit {result.code}\n{result.stderr[-1500:]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("task", [["local.backend", "--port", "0"], ["local.task-app", "--port", "0"]])
def test_local_servers_do_not_print_the_keys_they_accept(proj, tmp_path, task):
    root, env = proj
    args = ["inv", *task] + (["--data-dir", str(tmp_path)] if task[0] == "local.backend" else [])
    proc, lines = start(args, root, {**env, "ENVIRONMENT_API_KEY": EK}, until="Ctrl-C", merge_stderr=True)
    stopped = interrupt(proc)  # once the server says it is up
    text = "".join(lines) + stopped.stdout
    assert "listening on http://127.0.0.1:" in text, text
    assert "…" in text  # the keys are shown, masked
    assert_no_leak(Result(stopped.code, text, ""), " ".join(task))


def test_the_detector_finds_a_leak():
    """The check above can fail: a fragment of a key in the output is detected."""
    class Fake:
        stdout = f"token is {SK[3:3 + FRAGMENT]}…"
        stderr = ""

    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak(Fake, "fake")
    json.dumps(ALL)  # the values are plain text
