"""Reading job records of any backend's spelling (`jobinfo`), and the embedded store's new parts:
the fine_tuned_model column added to an older data folder, and file deletion keeping shared bytes."""

from __future__ import annotations

import sqlite3
import uuid

from synthlaunch import jobinfo
from synthlaunch.local.store import Store


def test_result_model_id_spellings_and_other_readers():
    assert jobinfo.result_model_id({"fine_tuned_model": "ft:a:1"}) == "ft:a:1"
    assert jobinfo.result_model_id({"model_id": " m1 "}) == "m1"
    assert jobinfo.result_model_id({"output_model": "o1"}) == "o1"
    assert jobinfo.result_model_id({"result": {"fine_tuned_model": "r1"}}) == "r1"
    assert jobinfo.result_model_id({"output": {"model_id": "x"}}) == "x"
    assert jobinfo.result_model_id({"fine_tuned_model": ""}) is None and jobinfo.result_model_id(None) is None
    assert jobinfo.failure_reason({"error": {"message": "OOM"}}) == "OOM"
    assert jobinfo.failure_reason({"failure_reason": "bad data"}) == "bad data"
    assert jobinfo.job_name({"metadata": {"name": "n"}}) == "n" and jobinfo.job_name({"name": "top"}) == "top"
    assert jobinfo.job_model({"data": {"base_model": "Qwen/Qwen3-4B"}}) == "Qwen/Qwen3-4B"
    assert jobinfo.hyperparameters({"data": {"config": {"training": {"batch_size": 2}}}}) == {"batch_size": 2}
    points = [{"name": "train.loss", "step": 0, "value": 2.0}, {"name": "train.loss", "step": 3, "value": 0.5},
              {"name": "train.loss", "step": 1, "value": 1.0}, {"name": "bad", "step": "x", "value": 1}]
    assert jobinfo.final_metrics({}, points) == {"train.loss": 0.5}
    assert jobinfo.final_metrics({"final_metrics": {"train.loss": 0.1, "flag": True}}, points) == {"train.loss": 0.1}
    assert jobinfo.job_duration({"created_at": "2026-01-01T00:00:00Z", "started_at": "2026-01-01T00:00:10Z",
                                 "finished_at": "2026-01-01T00:01:10Z"}) == 60.0
    assert jobinfo.job_duration({"status": "running", "started_at": "2026-01-01T00:00:10Z"}) is None


def test_an_older_data_folder_gets_the_new_column(tmp_path):
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT, status TEXT, body TEXT, model TEXT, "
               "training_file_id TEXT, total_steps INTEGER, next_step INTEGER, fail_at_step INTEGER, seed TEXT, "
               "error TEXT, created_at REAL, updated_at REAL, started_at REAL, finished_at REAL)")
    db.execute("INSERT INTO jobs (id, kind, status, body, model, total_steps, next_step, created_at, updated_at) "
               "VALUES ('job_old', 'sft', 'succeeded', '{}', 'Qwen/Qwen3-0.6B', 1, 1, 1.0, 2.0)")
    db.commit()
    db.close()
    store = Store(tmp_path)
    try:
        job = store.get_job("job_old")
        assert job is not None and "fine_tuned_model" not in job  # old jobs have none; nothing breaks
    finally:
        store.close()


def test_deleting_a_file_keeps_bytes_another_file_shares(backend, tmp_path):
    client = backend.client()
    data = tmp_path / "same.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "' + uuid.uuid4().hex + '"}]}\n')
    first = client.upload_file(data, idempotency_key=uuid.uuid4().hex)
    second = client.upload_file(data, idempotency_key=uuid.uuid4().hex)
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    blob = backend.data_dir / "files" / first["sha256"][:2] / first["sha256"]
    assert blob.exists()
    assert client.delete_file(first["id"])["deleted"] is True
    assert blob.exists() and client.get_file(second["id"]) is not None
    client.delete_file(second["id"])
    assert not blob.exists()
