"""Hints that name a command name the program actually running: `synthlaunch …` when run as
`synthlaunch` (in a folder without a tasks.py), `inv …` under Invoke."""

from __future__ import annotations

import shutil

import pytest

from tests.support.cli import REPO, project, run, write_env
from tests.support.configs import SFT_MIN
from tests.support.env import user_env

pytestmark = pytest.mark.timeout(180)

#: a valid SFT config but for n_epochs = 0 (the dataset path as seen from configs/sft/)
BROKEN = SFT_MIN.replace('data = "train.jsonl"', 'data = "../datasets/demo.jsonl"') + "\n[hyperparameters]\nn_epochs = 0\n"


@pytest.fixture
def bare(tmp_path, backend, task_app):
    """A user folder with configs and a .env, and no tasks.py (the standalone command's case)."""
    root = tmp_path / "bare"
    shutil.copytree(REPO / "configs", root / "configs")
    (root / "configs" / "sft" / "broken.toml").write_text(BROKEN)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    return root


def test_synthlaunch_hints_name_synthlaunch(bare, backend, tmp_path) -> None:
    env = user_env(tmp_path)
    invalid = run(["synthlaunch", "validate", "--config", "configs/sft/broken.toml"], bare, env)
    assert invalid.code == 2
    submitted = run(["synthlaunch", "train", "--config", "configs/sft/broken.toml", "--dry-run"], bare, env)
    assert submitted.code == 2 and "synthlaunch validate --config" in submitted.stderr, submitted.output
    no_poll = run(["synthlaunch", "train", "--config", "configs/sft/demo.toml", "--env-file", ".env",
                   "--backend", backend.root, "--no-poll", "--no-input"], bare, env)
    assert no_poll.code == 0, no_poll.output
    assert "synthlaunch stream --job-id" in no_poll.output and "synthlaunch cancel" in no_poll.output
    for result in (invalid, submitted, no_poll):
        assert "inv " not in result.output.replace("invalid ", ""), result.output


def test_inv_hints_name_inv(tmp_path, backend, task_app) -> None:
    root = project(tmp_path)
    write_env(root / ".env", SYNTH_API_KEY=backend.api_key, ENVIRONMENT_API_KEY=task_app.environment_api_key)
    result = run(["inv", "train", "--config", "configs/sft/demo.toml", "--env-file", ".env",
                  "--backend", backend.root, "--no-poll", "--no-input"], root, user_env(tmp_path))
    assert result.code == 0, result.output
    assert "inv stream --job-id" in result.output and "synthlaunch stream" not in result.output
