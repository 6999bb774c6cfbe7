"""Done-when of issue 18: an RL job on the embedded backend (torch trainer) against the demo task app,
starting from the demo SFT job's result (`[model].source = "ft:…"`): every iteration calls /rollout
for its episodes, the task app's calls reach the backend's inference route, train.reward / train.loss
/ eval.reward are recorded, progress is iteration N of total, `fine_tuned_model` is `rl:<base>:<job>`
and the downloaded weights differ from the starting ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from synthlaunch.download import download_model
from synthlaunch.local.serve import TaskAppServer
from tests.support.backend import TERMINAL, wait_file_ready, wait_for

from .conftest import TINY, rl_config, rl_job_body, wait_rl

pytestmark = [pytest.mark.training, pytest.mark.timeout(900)]
DEMO = Path(__file__).resolve().parents[3] / "configs" / "datasets" / "demo.jsonl"
SFT_HP = {"n_epochs": 3, "per_device_batch": 8, "gradient_accumulation_steps": 1, "sequence_length": 512,
          "learning_rate": 1e-2, "warmup_ratio": 0.1}


def sft_result(client: Any) -> str:
    record = client.upload_file(DEMO)
    assert wait_file_ready(client, record["id"])["status"] == "ready"
    body = {"model": TINY, "training_file_id": record["id"], "training_type": "sft_offline",
            "hyperparameters": SFT_HP, "metadata": {"effective_config": {"training": {"mode": "full_finetune"}}}}
    job = client.create_sft_job(body, idempotency_key="rl-sft")
    client.start_sft_job(job["id"])
    done = wait_for(lambda: (j := client.get_job("learning", job["id"])) and j["status"] in TERMINAL and j,
                    timeout=900, interval=0.5)
    assert done["status"] == "succeeded", done.get("error")
    return str(done["fine_tuned_model"])


def weights(folder: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    found: dict[str, Any] = {}
    for file in sorted(folder.glob("*.safetensors")):
        found.update(load_file(str(file)))
    return found


def test_rl_job_against_the_demo_task_app(torch_backend: Callable[..., Any], tmp_path: Path) -> None:
    backend = torch_backend()
    client = backend.client()
    start = sft_result(client)
    with TaskAppServer(environment_api_keys=[backend.environment_api_key]) as app:
        config = rl_config(app.url, model=start, iterations=2, seeds=2)
        job = client.create_rl_job(rl_job_body(app.url, config), idempotency_key="rl-demo")
        running = wait_for(lambda: (j := client.get_job("rl", job["id"])) and j["status"] != "queued" and j,
                           timeout=120)
        done = wait_rl(client, job["id"])
    assert done["status"] == "succeeded", done.get("error")
    assert running["total_steps"] == 2 and done["current_step"] == 2
    assert done["fine_tuned_model"] == f"rl:{TINY}:{job['id']}"
    seen = client.get_events("rl", job["id"], limit=1000)
    (started,) = [e for e in seen if e["type"] == "rl.train.plan"]
    assert started["data"]["inference_base"] == f"{backend.url}/rl/jobs/{job['id']}/inference"
    rollouts = [e for e in seen if e["type"] == "rl.rollouts"]
    assert [e["data"]["iteration"] for e in rollouts] == [0, 1]
    for event in rollouts:  # every episode ran and called the policy through the backend's route once
        assert event["data"]["ok"] == 8 and event["data"]["failed"] == 0 and event["data"]["completions"] == 8
    steps = [e for e in seen if e["type"] == "rl.train.step"]
    assert [e["data"]["step"] for e in steps] == [0, 1] and "iteration 2/2" in steps[-1]["message"]
    metrics = client.get_metrics("rl", job["id"], limit=1000)
    names = [(p["name"], p["step"]) for p in metrics]
    assert [s for n, s in names if n == "train.reward"] == [0, 1]
    assert [s for n, s in names if n == "train.loss"] == [0, 1]
    assert [s for n, s in names if n == "eval.reward"] == [0, 2]
    assert all(-1.0 <= p["value"] <= 1.0 for p in metrics if p["name"].endswith("reward"))
    # the policy answered every call (no inference failure, which the task app would score -1)
    assert all(p["value"] > -1.0 for p in metrics if p["name"].endswith("reward"))

    target = tmp_path / "rl-model"
    download_model(client, job["id"], target)
    sft_job = start.rpartition(":")[2]
    before = weights(backend.data_dir / "jobs" / sft_job / "final" / "model")
    after = weights(target)
    assert before.keys() == after.keys()
    assert any(not (before[k] == after[k]).all() for k in before)  # the update changed the policy

    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(target)
    assert AutoTokenizer.from_pretrained(target).chat_template
