"""Which model a job trains (no training process): aliases, built-in ids, local folders, `ft:` ids,
and the clear error for anything else; RL under the torch trainer trains for real (tests/local/rl), so a
model it cannot load is refused at creation like SFT's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from synthlaunch.config.models import catalogue
from synthlaunch.local.training.models import ModelUnavailable, parse_aliases, resolve_model
from tests.support.backend import rl_body

from .conftest import TINY, events, sft_job, upload


def _resolve(model: str, tmp_path: Path, aliases: dict[str, str] | None = None, done: Any = None) -> Any:
    return resolve_model(model, aliases=aliases or {}, builtin_dir=tmp_path, fine_tuned=done or (lambda _: None))


def test_aliases_parse_and_reject_malformed_items() -> None:
    assert parse_aliases(["Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3"]) == {"Qwen/Qwen3-0.6B": TINY}
    with pytest.raises(ValueError, match="SOURCE=TARGET"):
        parse_aliases(["Qwen/Qwen3-0.6B"])


def test_resolution_order(tmp_path: Path) -> None:
    assert _resolve(TINY, tmp_path).source == "builtin"
    stand_in = _resolve("qwen/qwen3-0.6b", tmp_path, {"Qwen/Qwen3-0.6B": TINY})
    assert stand_in.trained == TINY and stand_in.stand_in
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert _resolve(str(folder), tmp_path).source == "local"
    assert _resolve("ft:x:job_1", tmp_path, done=lambda job: "/m" if job == "job_1" else None).path == "/m"
    with pytest.raises(ModelUnavailable, match="job job_2 has no trained model"):
        _resolve("ft:x:job_2", tmp_path)


def test_unknown_model_is_a_422_naming_what_to_download(torch_backend: Any, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    server = torch_backend()
    client = server.client()
    resp = requests.post(server.api_url + "/learning/jobs", timeout=10,
                         headers={"Authorization": f"Bearer {server.api_key}"},
                         json={"model": "Qwen/Qwen3-0.6B", "training_file_id": upload(client)})
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert "hf download Qwen/Qwen3-0.6B" in detail and "--model-alias" in detail


def test_bad_hyperparameter_is_a_422_naming_it(torch_backend: Any) -> None:
    client = torch_backend().client()
    from synthlaunch.errors import BackendError

    with pytest.raises(BackendError, match="hyperparameters.learning_rate"):
        sft_job(client, upload(client), hp={"learning_rate": "fast"}, start=False)


def test_rl_under_the_torch_trainer_refuses_a_model_it_cannot_load(torch_backend: Any) -> None:
    client = torch_backend().client()
    from synthlaunch.errors import BackendError

    with pytest.raises(BackendError, match="hf download Qwen/Qwen3-0.6B"):
        client.create_rl_job(rl_body("http://127.0.0.1:9/task"), idempotency_key="rl-1")


def test_catalogue_knows_the_tiny_model() -> None:
    model = catalogue()[TINY]
    assert model.sft and model.rl and not model.experimental


def test_importing_the_tasks_does_not_import_torch() -> None:
    code = ("import sys, synthlaunch.tasks, synthlaunch.local.backend, synthlaunch.local.training.service; "
            "print(sorted(m for m in ('torch', 'transformers', 'trl', 'peft') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_job_created_under_torch_names_real_training(torch_backend: Any) -> None:
    client = torch_backend().client()
    job_id = sft_job(client, upload(client), start=False)
    job = client.get_job("learning", job_id)
    assert job["status"] == "created" and job["trainer"] == "torch" and job["emulated"] is False
    assert events(client, job_id)[0]["data"]["trained_model"] == TINY
