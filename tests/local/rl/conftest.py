"""Fixtures for the RL tests: the built-in tiny model (built once per test process), backends with
the torch trainer (tests that need them are skipped without the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synthlaunch.local.training import missing_packages
from tests.support.backend import TERMINAL, wait_for

TINY = "synthlaunch/tiny-qwen3"
NEEDS_TORCH = ["test_policy_server.py", "test_rl_job.py", "test_sdk_task_app.py"]

if missing_packages():
    collect_ignore = NEEDS_TORCH


@pytest.fixture(scope="session")
def tiny_folder(model_cache: Path) -> Path:
    from synthlaunch.local.training.tiny import ensure_built

    return ensure_built(TINY, model_cache / TINY.replace("/", "--"))


def rl_config(task_url: str, *, model: str = TINY, iterations: int = 2, group_size: int = 4, seeds: int = 2,
              **training: Any) -> dict[str, Any]:
    """An RL config (the TOML as a dict) small enough for a test."""
    return {
        "algorithm": {"type": "online", "method": "policy_gradient", "variety": "gspo"},
        "services": {"task_url": task_url},
        "compute": {"gpu_type": "H100", "gpu_count": 1},
        "model": {"source" if model.startswith("ft:") else "base": model, "trainer_mode": "full", "label": "t"},
        "rollout": {"env_name": "colours", "policy_name": "demo", "max_turns": 1,
                    "episodes_per_batch": group_size * seeds, "max_concurrent_rollouts": 4,
                    "policy_config": {"temperature": 1.0, "top_p": 1.0, "max_tokens": 12}},
        "training": {"num_epochs": 1, "iterations_per_epoch": iterations, "max_turns": 1, "batch_size": seeds,
                     "group_size": group_size, "learning_rate": 1e-2, "weight_sync_interval": 1,
                     "log_interval": 1, **training},
        "evaluation": {"instances": 2, "every_n_iters": iterations, "seeds": [0, 1],
                       "policy_config": {"temperature": 0.0}},
    }


def rl_job_body(task_url: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"job_type": "rl", "compute": config["compute"],
            "data": {"endpoint_base_url": task_url, "config": config}, "tags": {"source": "test"}, "metadata": {}}


def wait_rl(client: Any, job_id: str, timeout: float = 400.0) -> dict[str, Any]:
    return wait_for(lambda: (j := client.get_job("rl", job_id)) and j["status"] in TERMINAL and j,
                    timeout=timeout, interval=0.3)
