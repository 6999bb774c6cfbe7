"""`inv train` (the project's own client, unchanged) drives a real SFT job of the demo config to
`succeeded` on a torch-trainer backend that stands the tiny model in for Qwen/Qwen3-0.6B."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import events

ROOT = Path(__file__).resolve().parents[3]
INV = Path(sys.executable).with_name("inv")

pytestmark = pytest.mark.timeout(300)


def test_inv_train_runs_the_demo_sft_config_for_real(torch_backend: Any, tmp_path: Path) -> None:
    server = torch_backend(model_aliases=["Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTH_", "BACKEND_", "ENVIRONMENT_"))}
    env.update({"SYNTH_API_KEY": server.api_key, "CI": "true", "NO_COLOR": "1",
                "SYNTHLAUNCH_STATE_DIR": str(tmp_path / "state"), "SYNTHLAUNCH_CACHE_DIR": str(tmp_path / "cache")})
    proc = subprocess.run([str(INV), "train", "--config", "configs/sft/demo.toml", "--backend", server.root,
                           "--poll-interval", "0.5", "--no-input"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=280, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "succeeded" in proc.stdout and server.api_key not in proc.stdout + proc.stderr
    job = server.client().list_jobs(limit=1)[0]
    assert job["status"] == "succeeded" and job["trained_model"] == "synthlaunch/tiny-qwen3"
    assert job["fine_tuned_model"] == f"ft:Qwen/Qwen3-0.6B:{job['id']}"
    assert any(e["type"] == "sft.model.loaded" for e in events(server.client(), job["id"]))
