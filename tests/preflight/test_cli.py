"""`inv preflight` as a user runs it, in a fresh folder, against the embedded servers.

In-process where the output and the exit code are the point; a real `inv` process where the
message names the command to run (it names the program that runs) and on a terminal."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import BIN, REPO, run, run_in_process, tasks_py, write_env
from tests.support.env import user_env
from tests.support.net import dead_url

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def folder(tmp_path):
    return tasks_py(tmp_path)


def keys(backend, task_app, **extra):
    return {"SYNTH_API_KEY": backend.api_key, "ENVIRONMENT_API_KEY": task_app.environment_api_key, **extra}


def creds(backend, task_app, tmp_path, **extra):
    return user_env(tmp_path, **keys(backend, task_app, **extra))


def test_passes_and_prints_a_table(folder, backend, task_app, tmp_path):
    result = run_in_process(["inv", "preflight", "--task-url", task_app.url, "--backend", backend.root], cwd=folder,
                            **keys(backend, task_app))
    assert result.code == 0, result.output
    for word in ("backend.verify_task_app", "task_app.health", "task_app.task_info", "preflight passed"):
        assert word in result.stdout
    assert backend.api_key not in result.output and task_app.environment_api_key not in result.output


def test_json_output_shape(folder, backend, task_app, tmp_path):
    result = run_in_process(["inv", "preflight", "--task-url", task_app.url, "--backend", backend.root, "--json"],
                            cwd=folder, **keys(backend, task_app))
    assert result.code == 0, result.output
    doc = json.loads(result.stdout)  # stdout holds exactly one JSON document
    assert doc["ok"] is True and doc["exit_code"] == 0 and doc["task_url"] == task_app.url
    assert doc["backend_url"] == backend.api_url
    assert [c["check"] for c in doc["checks"]] == ["backend.verify_task_app", "task_app.health",
                                                   "task_app.task_info"]
    for check in doc["checks"]:
        assert set(check) == {"check", "target", "result", "status", "latency_ms", "detail", "hint", "retries"}
        assert check["result"] == "pass" and check["status"] == 200
    assert "preflight passed" in result.stderr  # human text goes to stderr with --json


def test_task_url_from_env_file(folder, backend, task_app, tmp_path):
    write_env(folder / "creds.env", SYNTH_API_KEY=backend.api_key,
              ENVIRONMENT_API_KEY=task_app.environment_api_key, TASK_APP_URL=task_app.url)
    result = run_in_process(["inv", "preflight", "--env-file", "creds.env", "--backend", backend.root], cwd=folder)
    assert result.code == 0, result.output
    assert "(from TASK_APP_URL, file ./creds.env)" in result.stdout


def test_task_app_down_exits_3_with_the_fix(folder, backend, task_app, tmp_path):
    url = dead_url()
    result = run(["inv", "preflight", "--task-url", url, "--backend", backend.root, "--json"], folder,
                 creds(backend, task_app, tmp_path))
    assert result.code == 3, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 3
    assert {c["check"]: c["result"] for c in doc["checks"]} == {
        "backend.verify_task_app": "fail", "task_app.health": "fail", "task_app.task_info": "fail"}
    assert f"nothing is listening at {url}" in result.stderr and "inv local.task-app" in result.stderr
    assert "retrying GET" not in result.stderr  # loopback, refused: nothing listens, said at once (issue 15)


def test_wrong_key_exits_3_and_masks_it(folder, backend, task_app, tmp_path):
    wrong = "env_wrong_" + "7" * 24
    result = run_in_process(["inv", "preflight", "--task-url", task_app.url, "--backend", backend.root], cwd=folder,
                            SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=wrong)
    assert result.code == 3, result.output
    assert "rejected ENVIRONMENT_API_KEY (env_…77)" in result.stdout
    assert wrong not in result.output


def test_backend_unreachable_exits_4(folder, backend, task_app, tmp_path):
    result = run(["inv", "preflight", "--task-url", task_app.url, "--backend", dead_url()], folder,
                 creds(backend, task_app, tmp_path))
    assert result.code == 4, result.output
    assert "backend unreachable" in result.output and "local.backend task" in result.output


@pytest.mark.parametrize("args, needle", [
    (["--task-url", "not-a-url"], "is not an http(s) URL"),
    (["--task-url", "http://task.example.com"], "--allow-insecure-http"),
    ([], "TASK_APP_URL"),
])
def test_invalid_input_exits_2(folder, backend, task_app, tmp_path, args, needle):
    result = run_in_process(["inv", "preflight", "--backend", backend.root, *args], cwd=folder,
                            **keys(backend, task_app))
    assert result.code == 2, result.output
    assert needle in result.stderr and "Traceback" not in result.output


# -- pipelines: `inv validate --config X preflight --config X` -------------------------------------

REPO_CONFIG = REPO / "configs" / "rl" / "demo.toml"


def rl_config(folder, name="rl.toml", **replace):
    text = REPO_CONFIG.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    (folder / name).write_text(text)
    return name


def pipeline(cfg, backend):
    return ["inv", "validate", "--config", cfg, "preflight", "--config", cfg, "--backend", backend.root]


def test_pipeline_runs_both(folder, backend, task_app, tmp_path):
    cfg = rl_config(folder, **{'task_url = "http://127.0.0.1:8001"': f'task_url = "{task_app.url}"'})
    result = run_in_process(pipeline(cfg, backend), cwd=folder, **keys(backend, task_app))
    assert result.code == 0, result.output
    assert f"ok: {cfg}" in result.stdout and "preflight passed" in result.stdout
    assert f"(from [services].task_url of {cfg})" in result.stdout


def test_pipeline_stops_at_an_invalid_config(folder, backend, task_app, tmp_path):
    cfg = rl_config(folder, **{"gpu_count = 2": 'gpu_count = "two"'})
    result = run_in_process(pipeline(cfg, backend), cwd=folder, **keys(backend, task_app, TASK_APP_URL=task_app.url))
    assert result.code == 2, result.output
    assert "[compute].gpu_count" in result.stderr
    assert "preflight" not in result.output  # the second task never ran


def test_pipeline_preflight_failure_is_exit_3(folder, backend, task_app, tmp_path):
    url = dead_url()
    cfg = rl_config(folder, **{'task_url = "http://127.0.0.1:8001"': f'task_url = "{url}"'})
    result = run_in_process(pipeline(cfg, backend), cwd=folder, **keys(backend, task_app))
    assert result.code == 3, result.output
    assert f"ok: {cfg}" in result.stdout and f"nothing is listening at {url}" in result.stdout


def test_preflight_refuses_an_sft_config(folder, backend, task_app, tmp_path):
    sft = REPO_CONFIG.parent.parent / "sft" / "demo.toml"
    (folder / "sft.toml").write_text(sft.read_text())
    result = run_in_process(["inv", "preflight", "--config", "sft.toml", "--backend", backend.root], cwd=folder,
                            **keys(backend, task_app))
    assert result.code == 2 and "preflight checks RL task apps only" in result.stderr, result.output


def test_without_config_or_url_a_terminal_offers_the_rl_configs(folder, backend, task_app, tmp_path):
    import pexpect

    (folder / "configs" / "rl").mkdir(parents=True)
    rl_config(folder / "configs" / "rl", "demo.toml",
              **{'task_url = "http://127.0.0.1:8001"': f'task_url = "{task_app.url}"'})
    env = creds(backend, task_app, tmp_path)
    env.pop("CI")
    child = pexpect.spawn(str(BIN / "inv"), ["preflight", "--backend", backend.root], cwd=str(folder), env=env,
                          encoding="utf-8", timeout=60, dimensions=(40, 200))
    try:
        child.expect("Pick a RL config")
        child.expect(r"config number\(s\) \[1-1")
        child.sendline("1")
        child.expect("preflight passed")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
