"""Helpers for config tests: write TOML into tmp_path and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]

RL_MIN = """\
[algorithm]
type = "online"
method = "policy_gradient"
variety = "gspo"

[services]
task_url = "http://127.0.0.1:8001"

[compute]
gpu_type = "H100"
gpu_count = 2

[topology]
type = "single_node_split"
gpus_for_vllm = 1
gpus_for_training = 1
gpus_for_ref = 0

[model]
base = "Qwen/Qwen3-0.6B"
trainer_mode = "full"
label = "demo"

[rollout]
env_name = "math"
policy_name = "math-react"
max_turns = 1
episodes_per_batch = 4
max_concurrent_rollouts = 4
"""

SFT_MIN = """\
[algorithm]
type = "offline"
method = "sft"
variety = "fft"

[job]
model = "Qwen/Qwen3-0.6B"
data = "train.jsonl"
"""

CHAT_LINE = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(text, name="config.toml") -> path; also creates train.jsonl / val.jsonl next to it."""

    def _write(text: str, name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        for data_name in ("train.jsonl", "val.jsonl"):
            (path.parent / data_name).write_text(CHAT_LINE, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def clean_env() -> dict[str, str]:
    """An environment without SDK_EXPERIMENTAL* or TASK_APP_* variables."""
    return {}
