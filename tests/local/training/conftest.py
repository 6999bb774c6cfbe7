"""Fixtures for the real-training tests: backends with the torch trainer (skipped without the
`train` extra), the tiny model built once per test process, helpers to run an SFT job over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthlaunch.local.training import missing_packages
from tests.support.backend import TERMINAL, wait_file_ready, wait_for

DEMO = Path(__file__).resolve().parents[3] / "configs" / "datasets" / "demo.jsonl"
TINY = "synthlaunch/tiny-qwen3"
#: hyperparameters under which the tiny model learns the demo set visibly in a few seconds
#: (sequence_length 512: a demo example with its tool schema is ~420 byte tokens; 256 would cut off the answer)
FAST_HP = {"n_epochs": 3, "per_device_batch": 4, "gradient_accumulation_steps": 1, "sequence_length": 512,
           "learning_rate": 3e-3, "warmup_ratio": 0.1}

if missing_packages():  # without the `train` extra these tests are not collected
    collect_ignore_glob = ["test_*.py"]


def upload(client: Any, path: Path = DEMO) -> str:
    record = client.upload_file(path)
    assert wait_file_ready(client, record["id"])["status"] == "ready"
    return record["id"]


def sft_job(client: Any, file_id: str, *, model: str = TINY, hp: dict[str, Any] | None = None,
            training: dict[str, Any] | None = None, compute: dict[str, Any] | None = None,
            metadata: dict[str, Any] | None = None, validation_file: str | None = None,
            start: bool = True) -> str:
    """Create (and start) an SFT job the way `inv train` sends it; its id."""
    data = {"validation_files": [validation_file]} if validation_file else {}
    effective = {"training": training or {"mode": "full_finetune"}, "compute": compute or {}, "data": data}
    body = {"model": model, "training_file_id": file_id, "training_type": "sft_offline",
            "hyperparameters": {**FAST_HP, **(hp or {})},
            "metadata": {"effective_config": effective, **(metadata or {})}}
    job = client.create_sft_job(body, idempotency_key=f"k-{id(body)}-{model}")
    if start:
        client.start_sft_job(job["id"])
    return job["id"]


def wait_done(client: Any, job_id: str, timeout: float = 240.0) -> dict[str, Any]:
    return wait_for(lambda: (j := client.get_job("learning", job_id)) and j["status"] in TERMINAL and j,
                    timeout=timeout, interval=0.2)


def events(client: Any, job_id: str) -> list[dict[str, Any]]:
    return client.get_events("learning", job_id, limit=1000)


def metric(client: Any, job_id: str, name: str) -> list[tuple[int, float]]:
    points = client.get_metrics("learning", job_id, limit=1000)
    return [(p["step"], p["value"]) for p in points if p["name"] == name]
