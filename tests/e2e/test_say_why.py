"""Say why, and say it once: the reason of a failure wherever the outcome is shown, `cancel` of an ended
job, an idempotent replay, a "no" at the confirmation (nothing sent, no record left behind)."""

from __future__ import annotations

import json

import pexpect
import pytest

from tests.support.cli import BIN, project, run, write_env
from tests.support.env import user_env

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def proj(tmp_path, backend, task_app):
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    failing = (root / "configs" / "rl" / "demo.toml").read_text() + "\n[emulation]\nfail_at_step = 2\n"
    (root / "configs" / "rl" / "fails.toml").write_text(failing)
    return root


def common(backend, task_app) -> list[str]:
    return ["--env-file", ".env", "--backend", backend.root, "--poll-interval", "0.1", "--no-input",
            "--task-url", task_app.url]


def test_a_failed_job_says_why_in_its_summary_quiet_or_not(proj, backend, task_app, tmp_path) -> None:
    loud = run(["synthlaunch", "train", "configs/rl/fails.toml", *common(backend, task_app)], proj,
               user_env(tmp_path))
    assert loud.code == 1
    summary = [line for line in loud.stdout.splitlines() if line.startswith("job ") and " failed in " in line]
    assert summary and "· error: " in summary[0] and "step 2" in summary[0]
    assert "reward=" in summary[0]  # RL summaries lead with the reward

    quiet = run(["synthlaunch", "train", "configs/rl/fails.toml", "-q", *common(backend, task_app)], proj,
                user_env(tmp_path))
    assert quiet.code == 1 and "· error: " in quiet.stdout


def test_the_several_configs_table_and_the_json_summary_say_why(proj, backend, task_app, tmp_path) -> None:
    args = ["synthlaunch", "train", "configs/rl/fails.toml", "configs/rl/demo.toml", "--keep-going",
            *common(backend, task_app)]
    table = run(args, proj, user_env(tmp_path))
    assert table.code == 1
    header = next(line for line in table.stdout.splitlines() if line.startswith("config"))
    assert header.split()[-1] == "why"
    failed_row = next(line for line in table.stdout.splitlines() if line.startswith("configs/rl/fails.toml"))
    assert "failed" in failed_row and "step 2" in failed_row

    as_json = run([*args, "--json"], proj, user_env(tmp_path))
    doc = json.loads(as_json.stdout.splitlines()[-1])
    runs = {r["config"]: r for r in doc["runs"]}
    assert runs["configs/rl/fails.toml"]["message"] and "step 2" in runs["configs/rl/fails.toml"]["message"]
    assert runs["configs/rl/demo.toml"]["message"] is None and runs["configs/rl/demo.toml"]["last_reward"]


def test_cancel_of_an_ended_job_says_so_and_sends_nothing(proj, backend, task_app, tmp_path) -> None:
    done = run(["synthlaunch", "train", "configs/rl/demo.toml", *common(backend, task_app)], proj,
               user_env(tmp_path))
    job_id = next(line.split()[2] for line in done.stdout.splitlines() if line.startswith("job id:"))
    cancel = run(["synthlaunch", "cancel", job_id, "--backend", backend.root, "--env-file", ".env", "-q"],
                 proj, user_env(tmp_path))
    assert cancel.code == 0, cancel.output
    assert cancel.stdout.strip() == f"job {job_id} already succeeded; nothing to cancel"
    assert "Idempotency" not in cancel.output and "request:" not in cancel.output


def test_a_409_on_a_route_without_a_key_has_no_idempotency_hint(proj, backend, task_app, tmp_path) -> None:
    from synthlaunch.errors import BackendError

    done = run(["synthlaunch", "train", "configs/rl/demo.toml", *common(backend, task_app)], proj,
               user_env(tmp_path))
    job_id = next(line.split()[2] for line in done.stdout.splitlines() if line.startswith("job id:"))
    with pytest.raises(BackendError) as caught:
        backend.client().cancel_job("rl", job_id)
    assert caught.value.status == 409 and "Idempotency" not in (caught.value.hint or "")


def test_an_idempotent_replay_says_it_returned_the_existing_job(proj, backend, task_app, tmp_path) -> None:
    args = ["synthlaunch", "train", "configs/sft/demo.toml", "--idempotency", "same-key-1", "--no-poll",
            "--env-file", ".env", "--backend", backend.root, "--no-input"]
    first = run(args, proj, user_env(tmp_path))
    again = run(args, proj, user_env(tmp_path))
    assert first.code == 0 and again.code == 0, again.output
    assert "existing job returned" not in first.stdout
    assert "existing job returned for this key (created " in again.stdout and ", status " in again.stdout
    ids = [line for line in again.stdout.splitlines() if "job_" in line and "job id" in line]
    assert len(ids) == 1  # one id line, not `job id:` and `started job`


@pytest.mark.parametrize("answer", ["n", "ctrl-c"])
def test_no_at_the_confirmation_sends_nothing_and_leaves_no_record(tmp_path, backend, answer) -> None:
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key)
    env = user_env(tmp_path)
    env.pop("CI")
    before = {j["id"] for j in backend.client().list_jobs(limit=500)}

    def submit() -> pexpect.spawn:
        child = pexpect.spawn(str(BIN / "synthlaunch"), ["train", "configs/sft/demo.toml", "--env-file", ".env",
                                                         "--backend", backend.root, "--no-poll"],
                              cwd=str(root), env=env, encoding="utf-8", timeout=60, dimensions=(40, 120))
        child.expect(r"Submit this job\? ")
        return child

    child = submit()
    if answer == "n":
        child.sendline("n")
        child.expect("not submitted")
    else:
        child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == (0 if answer == "n" else 130)
    again = submit()
    again.sendline("n")
    again.expect(pexpect.EOF)
    assert "reusing" not in (again.before or "")
    assert {j["id"] for j in backend.client().list_jobs(limit=500)} == before
