"""`inv train` / `synthlaunch train` end to end, as a user runs them, against the embedded backend."""

from __future__ import annotations

import json

import pytest

from tests.support.backend import jobs_on
from tests.support.cli import REPO, project, run, write_env
from tests.support.env import user_env

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def proj(tmp_path, backend, task_app):
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    return root


def common(backend) -> list[str]:
    return ["--env-file", ".env", "--backend", backend.root, "--poll-interval", "0.2", "--no-input"]


def test_sft_train_runs_to_succeeded(proj, backend, tmp_path) -> None:
    before = jobs_on(backend)
    result = run(["inv", "train", "--config", "configs/sft/demo.toml", *common(backend)], proj, user_env(tmp_path))
    assert result.code == 0, result.output
    new = {k: v for k, v in jobs_on(backend).items() if k not in before}
    assert len(new) == 1
    job_id, job = next(iter(new.items()))
    assert job_id in result.stdout
    assert "succeeded" in result.stdout
    assert backend.api_key not in result.output


def test_rl_train_with_synthlaunch_command(proj, backend, task_app, tmp_path) -> None:
    result = run(["synthlaunch", "train", "--config", "configs/rl/demo.toml", "--task-url", task_app.url,
                  *common(backend)], proj, user_env(tmp_path))
    assert result.code == 0, result.output
    assert "succeeded" in result.stdout
    for secret in (backend.api_key, task_app.environment_api_key):
        assert secret not in result.output


def test_no_poll_prints_job_id_and_exits_0(proj, backend, tmp_path) -> None:
    before = jobs_on(backend)
    result = run(["inv", "train", "--config", "configs/sft/demo.toml", "--no-poll", *common(backend)],
                 proj, user_env(tmp_path))
    assert result.code == 0, result.output
    new = set(jobs_on(backend)) - set(before)
    assert len(new) == 1 and new.pop() in result.stdout
    assert "inv stream --job-id" in result.stdout


def test_dry_run_sends_nothing_and_prints_bodies(proj, backend, task_app, tmp_path) -> None:
    before = jobs_on(backend)
    files_before = len(backend.client().list_files(limit=1000))
    result = run(["inv", "train", "--config", "configs/sft/demo.toml", "--config", "configs/rl/demo.toml",
                  "--dry-run", "--json", *common(backend)], proj, user_env(tmp_path))
    assert result.code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["type"] for c in doc["configs"]] == ["sft", "rl"]
    assert all(c["ok"] for c in doc["configs"])
    sft_create = [r for r in doc["configs"][0]["requests"] if r["path"] == "/api/learning/jobs"][0]
    assert sft_create["body"]["training_file_id"] is None
    assert sft_create["body"]["training_type"] == "sft_offline"
    rl_create = [r for r in doc["configs"][1]["requests"] if r["path"] == "/api/rl/jobs"][0]
    assert rl_create["body"]["job_type"] == "rl"
    assert jobs_on(backend) == before
    assert len(backend.client().list_files(limit=1000)) == files_before


def test_invalid_first_config_skips_the_second_unless_keep_going(proj, backend, tmp_path) -> None:
    bad = proj / "configs" / "bad.toml"
    bad.write_text('[algorithm]\ntype = "offline"\nmethod = "sft"\nvariety = "fft"\n\n[job]\nmodel = "Qwen/NoSuchModel"\n')
    before = jobs_on(backend)
    result = run(["inv", "train", "--config", "configs/bad.toml", "--config", "configs/sft/demo.toml",
                  *common(backend)], proj, user_env(tmp_path))
    assert result.code == 2, result.output
    assert "bad.toml" in result.stderr and "skipped" in result.stdout
    assert jobs_on(backend) == before

    result = run(["inv", "train", "--config", "configs/bad.toml", "--config", "configs/sft/demo.toml",
                  "--keep-going", *common(backend)], proj, user_env(tmp_path))
    assert result.code == 2, result.output
    assert len(set(jobs_on(backend)) - set(before)) == 1
    assert "succeeded" in result.stdout


def test_options_that_do_not_apply_are_errors(proj, backend, tmp_path) -> None:
    result = run(["inv", "train", "--config", "configs/rl/demo.toml", "--examples", "3", *common(backend)],
                 proj, user_env(tmp_path))
    assert result.code == 2
    assert "--examples" in result.stderr and "Traceback" not in result.output


def test_failed_job_exits_1_and_skips_the_next(proj, backend, task_app, tmp_path) -> None:
    failing = proj / "configs" / "rl" / "failing.toml"
    failing.write_text((proj / "configs" / "rl" / "demo.toml").read_text() + "\n[emulation]\nfail_at_step = 2\n")
    before = jobs_on(backend)
    result = run(["inv", "train", "--config", "configs/rl/failing.toml", "--config", "configs/sft/demo.toml",
                  "--task-url", task_app.url, "--json", *common(backend)], proj, user_env(tmp_path))
    assert result.code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1]
    assert summary["type"] == "train.summary" and summary["exit_code"] == 1
    assert [r["status"] for r in summary["runs"]] == ["failed", "skipped"]
    new = {k: v for k, v in jobs_on(backend).items() if k not in before}
    assert len(new) == 1 and next(iter(new.values()))["status"] == "failed"
    assert summary["runs"][0]["job_id"] in new


def test_demo_runs_both_configs(tmp_path) -> None:
    """The demo's plumbing (servers, keys, both configs, the summary) on the emulated trainer; the real
    pipeline it runs by default (SFT, then RL from its result) is tests/local/rl/test_rl_job.py."""
    result = run(["inv", "demo", "--trainer", "emulate", "--step-seconds", "0.02"], REPO, user_env(tmp_path),
                 timeout=120)
    assert result.code == 0, result.output
    assert result.stdout.count("succeeded") >= 4  # two jobs' status lines and the summary rows
    assert "Traceback" not in result.output


def test_sft_with_validation_file_and_examples(proj, backend, tmp_path) -> None:
    lines = (proj / "configs" / "datasets" / "demo.jsonl").read_text().splitlines()
    (proj / "configs" / "datasets" / "val.jsonl").write_text("\n".join(lines[:5]) + "\n")
    config = proj / "configs" / "sft" / "with_val.toml"
    text = (proj / "configs" / "sft" / "demo.toml").read_text()
    config.write_text(text.replace("[data]\n", '[data]\nvalidation_path = "../datasets/val.jsonl"\n')
                      + "\n[training.validation]\nenabled = true\n")
    before = jobs_on(backend)
    result = run(["inv", "train", "--config", "configs/sft/with_val.toml", "--examples", "7", "--json",
                  *common(backend)], proj, user_env(tmp_path))
    assert result.code == 0, result.output
    new = [v for k, v in jobs_on(backend).items() if k not in before]
    assert len(new) == 1
    job = new[0]
    effective = job["metadata"]["effective_config"]
    [validation_id] = effective["data"]["validation_files"]
    files = {f["id"]: f for f in backend.client().list_files(limit=1000)}
    assert files[validation_id]["line_count"] == 5
    assert files[job["training_file_id"]]["line_count"] == 7  # --examples 7 uploaded a 7-line copy
    assert job["hyperparameters"]["evaluation_strategy"] == "steps"
    assert files[job["training_file_id"]]["filename"] == "demo.head7.jsonl"
