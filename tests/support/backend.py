"""The embedded backend from the client side: polling (no timing assertions), request bodies, and
the inventories of what it holds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

TERMINAL = ("succeeded", "failed", "cancelled")
CHAT_LINE = {"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]}


def wait_for(predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.01) -> Any:
    """Poll until `predicate()` is truthy; its value. Raises AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def write_jsonl(path: Path, lines: list[Any] | None = None, *, first_metadata: dict[str, Any] | None = None) -> Path:
    rows = [dict(r) for r in (lines if lines is not None else [CHAT_LINE, CHAT_LINE])]
    if first_metadata is not None:
        rows[0]["metadata"] = first_metadata
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def wait_file_ready(client: Any, file_id: str) -> dict[str, Any]:
    return wait_for(lambda: (f := client.get_file(file_id)) and f["status"] in ("ready", "failed") and f)


def wait_job_done(client: Any, prefix: str, job_id: str) -> dict[str, Any]:
    return wait_for(lambda: (j := client.get_job(prefix, job_id)) and j["status"] in TERMINAL and j)


def sft_body(file_id: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "Qwen/Qwen3-0.6B", "training_file_id": file_id, "training_type": "sft_offline",
            "hyperparameters": {"n_epochs": 1}, "metadata": {"effective_config": {}}}
    body.update(extra)
    return body


def rl_body(task_url: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"job_type": "rl", "compute": {"gpu_type": "H100", "gpu_count": 1},
            "data": {"endpoint_base_url": task_url,
                     "config": config if config is not None else {"model": {"base": "Qwen/Qwen3-0.6B"},
                                                                  "services": {"task_url": task_url}},
                     "base_model": "Qwen/Qwen3-0.6B"},
            "tags": {"source": "train-cli"}, "metadata": {}}


def jobs_on(backend: Any) -> dict[str, dict[str, Any]]:
    """Every job the backend holds, by id (read with no faults on the admin-free client)."""
    return {j.get("job_id") or j.get("id"): j for j in backend.client().list_jobs(limit=1000)}


def files_on(backend: Any) -> set[str]:
    return {f["id"] for f in backend.client().list_files(limit=1000)}
