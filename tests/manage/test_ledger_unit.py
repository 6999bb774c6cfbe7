"""The run ledger's files: damaged entries are skipped, a changed kept config is refused."""

from __future__ import annotations

import pytest

from synthlaunch import ledger
from synthlaunch.errors import UsageError


def _entry(job_id: str, when: str) -> ledger.RunEntry:
    return ledger.RunEntry(job_id=job_id, recorded_at=when, config_path="/x/c.toml", config_sha256="",
                           type="sft", backend="http://127.0.0.1:1/api")


def test_entries_round_trip_newest_first_and_damaged_files_are_skipped(tmp_path):
    env = {"SYNTHLAUNCH_STATE_DIR": str(tmp_path)}
    ledger.record_submission(env, _entry("job_a", "2026-01-01T00:00:00.000Z"), "a = 1\n")
    ledger.record_submission(env, _entry("job_b", "2026-01-02T00:00:00.000Z"), "a = 1\n")
    (tmp_path / "runs" / "broken.json").write_text("{not json")
    (tmp_path / "runs" / "list.json").write_text("[1, 2]")
    assert [e.job_id for e in ledger.list_runs(env)] == ["job_b", "job_a"]
    assert len(list((tmp_path / "runs" / "configs").iterdir())) == 1  # the same bytes are kept once

    ledger.record_outcome(env, "job_a", status="succeeded", final_metrics={"train.loss": 0.5}, model_id="ft:m:job_a")
    got = ledger.get_run(env, "job_a")
    assert got is not None and got.status == "succeeded" and got.final_metrics == {"train.loss": 0.5}
    assert got.finished_at and ledger.kept_config(env, got) == "a = 1\n"
    ledger.record_outcome(env, "job_unknown", status="failed")  # never recorded: nothing happens
    assert ledger.get_run(env, "job_unknown") is None


def test_a_tampered_kept_config_is_refused_and_odd_ids_get_safe_file_names(tmp_path):
    env = {"SYNTHLAUNCH_STATE_DIR": str(tmp_path)}
    path = ledger.record_submission(env, _entry("../../etc/passwd", "2026-01-01T00:00:00.000Z"), "b = 2\n")
    assert path.parent == tmp_path / "runs" and path.name.startswith("job-")
    entry = ledger.require_run(env, "../../etc/passwd")
    ledger.config_copy_path(tmp_path / "runs", entry.config_sha256).write_text("b = 3\n")
    with pytest.raises(UsageError, match="changed after it was recorded"):
        ledger.kept_config(env, entry)
    with pytest.raises(UsageError, match="not in the run ledger"):
        ledger.require_run(env, "job_nope")


def test_git_commit_and_uncommitted_changes_of_the_config(tmp_path):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "configs").mkdir(parents=True)
    config = repo / "configs" / "c.toml"
    config.write_text("a = 1\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert ledger.git_state(config) == (head, False)
    config.write_text("a = 2\n")
    assert ledger.git_state(config) == (head, True)
    assert ledger.git_state(tmp_path / "elsewhere.toml") == (None, None)
