"""`[compute].gpu_count > 1` runs the trainer under torchrun (DDP); without a GPU, 2 gloo processes."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import events, metric, sft_job, upload, wait_done

pytestmark = pytest.mark.training


def test_two_process_gloo_ddp_trains_with_one_checkpoint(torch_backend: Any) -> None:
    client = torch_backend().client()
    job_id = sft_job(client, upload(client), hp={"n_epochs": 1, "per_device_batch": 2},
                     compute={"gpu_count": 2, "nodes": 1})
    job = wait_done(client, job_id)
    assert job["status"] == "succeeded", job.get("error")
    first = events(client, job_id)[0]
    assert first["data"]["processes"] == 2 and "2 CPU processes (gloo)" in first["message"]
    loaded = [e for e in events(client, job_id) if e["type"] == "sft.model.loaded"]
    assert len(loaded) == 1 and loaded[0]["data"]["world_size"] == 2  # only rank 0 reports
    assert job["total_steps"] == 12  # 48 examples / (2 per process × 2 processes)
    losses = [v for _, v in metric(client, job_id, "train.loss")]
    assert len(losses) == 12 and losses[-1] < 0.9 * losses[0]
    assert [c["id"] for c in client.list_checkpoints(job_id)] == ["checkpoint-12", "final"]
