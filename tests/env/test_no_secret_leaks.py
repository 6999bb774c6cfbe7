"""No key value (nor any 8-character fragment of one) ever reaches stdout or stderr.

Every task that takes credentials is driven as a user would (a subprocess of `inv`), through
success and failure paths, with known key values in the shell and in a .env file, against the
embedded backend and demo task app.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import signal
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from e2e.helpers import BIN, Result, project, run, user_env

from servers import Backend as BackendServer, TaskAppServer

FRAGMENT = 8
SK = "sk_leak_" + secrets.token_hex(16)                 # shell
EK = "env_leak_" + secrets.token_hex(16)                # .env
ALIAS = "alias_leak_" + secrets.token_hex(12)           # .env, ENVIRONMENT_API_KEY_ALIASES
OTHER = "sk-other-leak-" + secrets.token_hex(12)        # .env, some other *_API_KEY of the user
WRONG_SK = "sk_wrong_" + secrets.token_hex(16)          # a key the backend rejects
ALL = (SK, EK, ALIAS, OTHER, WRONG_SK)


def fragments(secret: str) -> set[str]:
    return {secret[i:i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1)}


def assert_no_leak(result, label: str) -> None:
    text = result.stdout + "\n" + result.stderr
    for secret in ALL:
        leaked = sorted(f for f in fragments(secret) if f in text)
        assert not leaked, f"{label}: fragment(s) {leaked[:3]} of a key leaked:\n{text[-3000:]}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[BackendServer, TaskAppServer, TaskAppServer]]:
    backend = BackendServer(api_keys=[SK], environment_api_keys=[EK], step_seconds=0.01,
                            data_dir=tmp_path_factory.mktemp("leak-backend"))
    task_app = TaskAppServer(environment_api_keys=[EK])
    other_app = TaskAppServer(environment_api_keys=["env_someone_else_" + secrets.token_hex(12)])
    for server in (backend, task_app, other_app):
        server.start()
    yield backend, task_app, other_app
    for server in (other_app, task_app, backend):
        server.stop()


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("leak")
    root = project(tmp)
    (root / ".env").write_text(f"# keys\nENVIRONMENT_API_KEY={EK}\nENVIRONMENT_API_KEY_ALIASES={ALIAS}\n"
                               f"OPENAI_API_KEY={OTHER}\n")
    (root / "bad.toml").write_text('[algorithm]\ntype = "offline"\nmethod = "sft"\nvariety = "fft"\n'
                                   '[job]\nmodel = 42\n')
    return root, user_env(tmp, SYNTH_API_KEY=SK)


#: SFT submission and `inv upload-dataset` need the upload module (another issue); until it exists
#: those scenarios are left out rather than failing for a reason unrelated to secrets.
HAS_UPLOAD = importlib.util.find_spec("synthlaunch.upload") is not None


def scenarios(backend: BackendServer, task_app: TaskAppServer, other_app: TaskAppServer):
    """(label, args, expected exit code, extra environment)."""
    b = ["--backend", backend.root]
    rl = ["--config", "configs/rl/demo.toml"]
    sft = ["--config", "configs/sft/demo.toml"]
    poll = ["--poll-interval", "0.1", "--poll-timeout", "120"]
    needs_upload = {"train sft", "train sft --json", "train sft wrong SYNTH_API_KEY --debug", "upload-dataset",
                    "upload-dataset --json wrong key"}
    return [s for s in [
        ("validate ok", ["inv", "validate", *sft, *rl], 0, {}),
        ("validate invalid --json", ["inv", "validate", "--config", "bad.toml", "--json"], 2, {}),
        ("preflight ok", ["inv", "preflight", *rl, "--task-url", task_app.url, *b], 0, {}),
        ("preflight ok --json", ["inv", "preflight", *rl, "--task-url", task_app.url, *b, "--json"], 0, {}),
        ("preflight wrong env key --debug", ["inv", "preflight", *rl, "--task-url", other_app.url, *b, "--debug"],
         3, {}),
        ("preflight wrong SYNTH_API_KEY", ["inv", "preflight", *rl, "--task-url", task_app.url, *b], 4,
         {"SYNTH_API_KEY": WRONG_SK}),
        ("train rl dry-run", ["inv", "train", *rl, "--task-url", task_app.url, *b, "--dry-run"], 0, {}),
        ("train sft dry-run --json", ["inv", "train", *sft, *b, "--dry-run", "--json"], 0, {}),
        ("train sft", ["inv", "train", *sft, *b, *poll, "--verbose"], 0, {}),
        ("train sft --json", ["inv", "train", *sft, *b, *poll, "--json", "--stream-format", "json"], 0, {}),
        ("train rl --no-poll", ["inv", "train", *rl, "--task-url", task_app.url, *b, "--no-poll"], 0, {}),
        ("train rl stream", ["inv", "train", *rl, "--task-url", task_app.url, *b, *poll], 0, {}),
        ("train rl wrong SYNTH_API_KEY --debug", ["inv", "train", *rl, "--task-url", task_app.url, *b, "--debug"],
         4, {"SYNTH_API_KEY": WRONG_SK}),
        ("train sft wrong SYNTH_API_KEY --debug", ["inv", "train", *sft, *b, "--debug", "--force-upload"], 4,
         {"SYNTH_API_KEY": WRONG_SK}),
        ("train missing keys", ["inv", "train", *rl, *b], 2, {"SYNTH_API_KEY": ""}),
        ("train insecure backend", ["inv", "train", *sft, "--backend", "http://backend.example.com"], 2, {}),
        ("upload-dataset", ["inv", "upload-dataset", "configs/datasets/demo.jsonl", *b], 0, {}),
        ("upload-dataset --json wrong key", ["inv", "upload-dataset", "configs/datasets/demo.jsonl", *b, "--json",
                                            "--force-upload"], 4, {"SYNTH_API_KEY": WRONG_SK}),
        ("jobs", ["inv", "jobs", *b], 0, {}),
        ("jobs --json", ["inv", "jobs", *b, "--json"], 0, {}),
        ("jobs wrong key --debug", ["inv", "jobs", *b, "--debug"], 4, {"SYNTH_API_KEY": WRONG_SK}),
        ("stream unknown job", ["inv", "stream", "--job-id", "job_does_not_exist", *b, "--poll-timeout", "5"], 4,
         {}),
        ("demo", ["inv", "demo", "--step-seconds", "0.01"], 0, {}),
        ("cancel unknown job --json", ["inv", "cancel", "--job-id", "job_does_not_exist", *b, "--json"], 4, {}),
    ] if HAS_UPLOAD or s[0] not in needs_upload]


def _job_ids(backend: BackendServer) -> list[str]:
    return [j.get("job_id") or j.get("id") for j in backend.client().list_jobs(limit=50)]


def test_no_key_value_in_any_output(servers, proj):
    backend, task_app, other_app = servers
    root, env = proj
    failures = []
    for label, args, expected, extra in scenarios(backend, task_app, other_app):
        result = run(args, root, {**env, **extra}, timeout=180)
        assert_no_leak(result, label)
        if result.code != expected:
            failures.append(f"{label}: exit {result.code}, expected {expected}\n{result.stderr[-1500:]}")
    # stream and cancel of real jobs (ids from the runs above)
    ids = _job_ids(backend)
    assert ids, "no job was created: the success paths did not run"
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


@pytest.mark.parametrize("task", [["local.backend", "--port", "0"], ["local.task-app", "--port", "0"]])
def test_local_servers_do_not_print_the_keys_they_accept(proj, tmp_path, task):
    root, env = proj
    args = [str(BIN / "inv"), *task] + (["--data-dir", str(tmp_path)] if task[0] == "local.backend" else [])
    proc = subprocess.Popen(args, cwd=root, env={**env, "ENVIRONMENT_API_KEY": EK}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # until the server says it is up
        lines.append(line)
        if "Ctrl-C" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    text = "".join(lines) + rest
    assert "listening on http://127.0.0.1:" in text, text
    assert "…" in text  # the keys are shown, masked
    assert_no_leak(Result(proc.returncode, text, ""), " ".join(task))


def test_the_detector_finds_a_leak():
    """The check above can fail: a fragment of a key in the output is detected."""
    class Fake:
        stdout = f"token is {SK[3:3 + FRAGMENT]}…"
        stderr = ""

    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak(Fake, "fake")
    json.dumps(ALL)  # the values are plain text
