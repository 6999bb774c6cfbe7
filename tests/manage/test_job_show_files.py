"""`job.show`, the resulting model id printed by `train`/`stream`, the `jobs` table's new columns,
`files` and `files.delete`: end to end against the embedded backend, through the `synthlaunch` program."""

from __future__ import annotations

import json
import uuid

from synthlaunch.api import job_id_of


def _train(sl, backend, config: str, *more: str):
    return sl("train", "--config", config, "--backend", backend.root, "--poll-interval", "0.05", "--yes", *more)


def test_sft_train_prints_model_id_and_job_show_has_it(sl, backend):
    done = _train(sl, backend, "configs/sft/demo.toml")
    assert done.code == 0, done.stderr
    job_id = next(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("job id:"))
    expected = f"ft:Qwen/Qwen3-0.6B:{job_id}"
    assert f"fine-tuned model: {expected}" in done.stdout  # ready for --model next

    shown = sl("job.show", job_id, "--backend", backend.root)
    assert shown.code == 0, shown.stderr
    assert f"job {job_id} (sft): succeeded" in shown.stdout
    assert expected in shown.stdout and "train.loss=" in shown.stdout and "n_epochs=4" in shown.stdout

    doc = json.loads(sl("job.show", job_id, "--backend", backend.root, "--json").stdout)
    assert doc["model_id"] == expected and doc["type"] == "sft" and doc["status"] == "succeeded"
    assert set(doc["final_metrics"]) == {"train.loss"} and doc["duration"] >= 0
    assert doc["job"]["fine_tuned_model"] == expected  # the backend's own record carries it

    quiet = sl("job.show", job_id, "--backend", backend.root, "--quiet")
    assert quiet.stdout.strip() == f"{job_id} succeeded {expected}"

    streamed = sl("stream", "--job-id", job_id, "--backend", backend.root, "--poll-interval", "0.05")
    assert f"fine-tuned model: {expected}" in streamed.stdout
    records = [json.loads(line) for line in
               sl("stream", "--job-id", job_id, "--backend", backend.root, "--json").stdout.splitlines()]
    assert records[-1]["record"] == "summary" and records[-1]["model_id"] == expected


def test_rl_job_show_reward_and_failure(sl, backend):
    client = backend.client()
    body = {"job_type": "rl", "metadata": {"name": "broken-on-purpose"},
            "data": {"endpoint_base_url": "http://127.0.0.1:9",
                     "config": {"emulation": {"steps": 6, "fail_at_step": 3}, "model": {"base": "Qwen/Qwen3-0.6B"},
                                "training": {"learning_rate": 5e-5, "batch_size": 2}}}}
    failed = job_id_of(client.create_rl_job(body, idempotency_key=uuid.uuid4().hex))
    watched = sl("stream", "--job-id", failed, "--backend", backend.root, "--poll-interval", "0.05")
    assert watched.code == 1 and "fine-tuned model" not in watched.stdout
    doc = json.loads(sl("job.show", failed, "--backend", backend.root, "--json").stdout)
    assert doc["type"] == "rl" and doc["status"] == "failed" and doc["model_id"] is None
    assert "emulated failure at step 3" in doc["failure_reason"] and doc["name"] == "broken-on-purpose"
    assert set(doc["final_metrics"]) == {"train.loss", "train.reward"}
    assert doc["hyperparameters"] == {"learning_rate": 5e-5, "batch_size": 2}
    text = sl("job.show", failed, "--backend", backend.root).stdout
    assert "failure" in text and "broken-on-purpose" in text and "(when it succeeds)" not in text

    listed = sl("jobs", "--backend", backend.root, "--limit", "50")
    header = next(line for line in listed.stdout.splitlines() if line.startswith("id ")).split()
    assert header[-4:] == ["name", "duration", "loss", "reward"]
    row = next(line for line in listed.stdout.splitlines() if line.startswith(failed))
    assert "broken-on-purpose" in row

    unknown = sl("job.show", "job_nope", "--backend", backend.root)
    assert unknown.code == 4 and "not found" in unknown.stderr


def test_files_list_and_delete_refused_while_a_job_uses_it(sl, backend, workdir):
    uploaded = sl("upload-dataset", "configs/datasets/demo.jsonl", "--backend", backend.root, "--json")
    assert uploaded.code == 0, uploaded.stderr
    file_id = json.loads(uploaded.stdout)["file_id"]

    listed = sl("files", "--backend", backend.root)
    assert listed.code == 0 and file_id in listed.stdout
    header = next(line for line in listed.stdout.splitlines() if line.startswith("id ")).split()
    assert header[:6] == ["id", "purpose", "size", "sha256", "created", "status"]
    files = json.loads(sl("files", "--backend", backend.root, "--json").stdout)["files"]
    record = next(f for f in files if f["id"] == file_id)
    assert record["purpose"] == "fine-tune" and len(record["sha256"]) == 64
    assert all(line.startswith("file_") for line in sl("files", "--backend", backend.root, "--quiet").stdout.split())

    client = backend.client()
    job = job_id_of(client.create_sft_job({"model": "Qwen/Qwen3-0.6B", "training_file_id": file_id},
                                          idempotency_key=uuid.uuid4().hex))
    refused = sl("files.delete", file_id, "--backend", backend.root)
    assert refused.code == 4 and "409" in refused.stderr and job in refused.stderr
    assert "wait for it to end, or cancel it" in refused.stderr

    assert sl("cancel", job, "--backend", backend.root).code == 0
    deleted = sl("files.delete", file_id, "--backend", backend.root, "--json")
    assert deleted.code == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {"file_id": file_id, "deleted": True,
                                          "response": {"id": file_id, "object": "file", "deleted": True}}
    assert client.get_file(file_id) is None
    again = sl("files.delete", file_id, "--backend", backend.root)
    assert again.code == 4 and "no file" in again.stderr
