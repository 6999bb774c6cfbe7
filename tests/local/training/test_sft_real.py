"""A real SFT job of the tiny model on the demo dataset, end to end over HTTP: the loss falls,
the metrics and events are real, the result is a model that downloads, loads and generates, and
a later job continues from it (`ft:<base>:<job_id>`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synthlaunch.download import download_model

from .conftest import DEMO, TINY, events, metric, sft_job, upload, wait_done

pytestmark = pytest.mark.training


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One backend and one finished 3-epoch job, shared by the tests of this module."""
    from tests.support.servers import Backend as BackendServer

    server = BackendServer(trainer="torch", model_cache=tmp_path_factory.mktemp("models"),
                           data_dir=tmp_path_factory.mktemp("backend"),
                           model_aliases=["Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3"])
    server.start()
    client = server.client()
    file_id = upload(client)
    job_id = sft_job(client, file_id, model="Qwen/Qwen3-0.6B",
                     training={"mode": "full_finetune", "validation": {"enabled": True}})
    job = wait_done(client, job_id)
    yield server, client, job
    server.stop()


def test_three_epochs_lower_the_loss_to_at_most_0_7_of_the_first(trained: Any) -> None:
    _, client, job = trained
    assert job["status"] == "succeeded", job.get("error")
    losses = metric(client, job["id"], "train.loss")
    steps = [s for s, _ in losses]
    assert steps == list(range(job["total_steps"]))  # one point per optimizer step, from step 0
    assert losses[-1][1] <= 0.7 * losses[0][1]


def test_metrics_events_and_progress_are_real(trained: Any) -> None:
    _, client, job = trained
    assert job["emulated"] is False and job["trainer"] == "torch"
    assert job["current_step"] == job["total_steps"] == 33  # 44 examples (4 held out) / 4 per step × 3 epochs
    assert len(metric(client, job["id"], "learning_rate")) == job["total_steps"]
    assert all(v > 0 for _, v in metric(client, job["id"], "tokens_per_s"))
    assert len(metric(client, job["id"], "val.loss")) == 3  # one evaluation per epoch on the held-out tenth
    types = [e["type"] for e in events(client, job["id"])]
    assert types.count("sft.train.epoch") == 3 and types[-1] == "sft.job.completed"
    first = events(client, job["id"])[0]
    assert "real training" in first["message"] and "synthlaunch/tiny-qwen3" in first["message"]


def test_stand_in_is_named_and_result_is_a_fine_tuned_model(trained: Any) -> None:
    _, client, job = trained
    assert job["model"] == "Qwen/Qwen3-0.6B" and job["trained_model"] == TINY
    assert job["fine_tuned_model"] == f"ft:Qwen/Qwen3-0.6B:{job['id']}"
    assert "standing in for Qwen/Qwen3-0.6B" in events(client, job["id"])[0]["message"]


def test_checkpoints_are_listed(trained: Any) -> None:
    _, client, job = trained
    items = client.list_checkpoints(job["id"])
    assert [c["id"] for c in items] == ["checkpoint-11", "checkpoint-22", "checkpoint-33", "final"]
    assert items[-1]["format"] == "full" and items[-1]["fine_tuned_model"] == job["fine_tuned_model"]


def test_download_gives_a_folder_that_loads_and_generates(trained: Any, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, client, job = trained
    done = download_model(client, job["id"], tmp_path / "model")
    assert done.format == "full" and "model.safetensors" in done.files
    assert not any(name.startswith(("optimizer", "scheduler", "rng_state")) for name in done.files)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    text = tokenizer.decode(out[0][prompt["input_ids"].shape[1]:], skip_special_tokens=True)
    assert out.shape[1] > prompt["input_ids"].shape[1] and isinstance(text, str)


def test_download_refuses_a_non_empty_folder(trained: Any, tmp_path: Path) -> None:
    from synthlaunch.download import DownloadError

    _, client, job = trained
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(DownloadError, match="not an empty folder"):
        download_model(client, job["id"], tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_lora_job_continues_from_the_fine_tuned_model(trained: Any, tmp_path: Path) -> None:
    """LoRA (peft) on `ft:<base>:<job>`: merged model by default, the adapter on request."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    _, client, job = trained
    file_id = client.list_files()[0]["id"]
    rows = DEMO.read_text(encoding="utf-8").splitlines()[:4]
    (tmp_path / "val.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    lora_id = sft_job(client, file_id, model=job["fine_tuned_model"], hp={"n_epochs": 1},
                      training={"mode": "lora"}, validation_file=upload(client, tmp_path / "val.jsonl"))
    lora = wait_done(client, lora_id)
    assert lora["status"] == "succeeded", lora.get("error")
    assert lora["fine_tuned_model"] == f"ft:Qwen/Qwen3-0.6B:{lora_id}"
    assert "LoRA" in events(client, lora_id)[0]["message"]
    assert len(metric(client, lora_id, "val.loss")) == 1  # the uploaded validation file, once per epoch
    assert lora["total_steps"] == 12  # all 48 rows train: nothing held out when a validation file is given
    final = client.list_checkpoints(lora_id)[-1]
    assert final["id"] == "final" and final["format"] == "merged" and final["adapter"] is True
    merged = download_model(client, lora_id, tmp_path / "merged")
    assert merged.format == "merged" and not any("adapter" in f for f in merged.files)
    AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    adapter = download_model(client, lora_id, tmp_path / "adapter", adapter_only=True)
    assert adapter.format == "adapter" and "adapter_config.json" in adapter.files
    base = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    PeftModel.from_pretrained(base, tmp_path / "adapter")


def test_download_command_writes_the_folder(trained: Any, tmp_path: Path) -> None:
    """`synthlaunch download JOB_ID --to DIR` writes a folder that loads; --adapter-only on a full
    fine-tune is a clear error that writes nothing."""
    from tests.support.cli import run_in_process

    server, _, job = trained
    env = {"SYNTH_API_KEY": server.api_key}
    done = run_in_process(["synthlaunch", "download", job["id"], "--to", str(tmp_path / "dl"),
                           "--backend", server.root], cwd=tmp_path, **env)
    assert done.code == 0, done.stderr
    assert (tmp_path / "dl" / "model.safetensors").is_file() and (tmp_path / "dl" / "tokenizer.json").is_file()
    assert "written to" in done.stdout and server.api_key not in done.stdout + done.stderr
    refused = run_in_process(["synthlaunch", "download", job["id"], "--to", str(tmp_path / "ad"), "--adapter-only",
                              "--backend", server.root], cwd=tmp_path, **env)
    assert refused.code == 2 and "no LoRA adapter" in refused.stderr
    assert not (tmp_path / "ad").exists()
