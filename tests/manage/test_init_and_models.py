"""`init` (starter configs that validate and run on the embedded backend, never overwriting) and
`models` (catalogue, the backend's GET /api/models, --model suggestions within one family)."""

from __future__ import annotations

import json

import pytest

from synthlaunch.config.models import ModelError, closest_ids, resolve_model


def test_init_sft_validates_runs_and_refuses_to_overwrite(sl, backend, workdir):
    made = sl("init", "sft", "--path", "mine/sft.toml", "--json")
    assert made.code == 0, made.stderr
    assert json.loads(made.stdout) == {"type": "sft", "config": "mine/sft.toml", "dataset": "mine/sft-data.jsonl"}
    assert len((workdir / "mine" / "sft-data.jsonl").read_text().splitlines()) == 3
    assert (workdir / "mine" / "sft.toml").read_text().startswith("# SFT starter config")

    assert sl("validate", "--config", "mine/sft.toml").code == 0
    done = sl("train", "--config", "mine/sft.toml", "--backend", backend.root, "--poll-interval", "0.05", "--json")
    assert done.code == 0, done.stderr
    (run,) = json.loads(done.stdout.splitlines()[-1])["runs"]
    assert run["status"] == "succeeded" and run["name"] == "my-first-sft"

    before = (workdir / "mine" / "sft.toml").read_text()
    again = sl("init", "sft", "--path", "mine/sft.toml")
    assert again.code == 2 and "not overwriting mine/sft.toml" in again.stderr
    assert (workdir / "mine" / "sft.toml").read_text() == before

    (workdir / "other-data.jsonl").write_text("keep me\n")  # the dataset in the way: nothing is written
    blocked = sl("init", "sft", "--path", "other.toml")
    assert blocked.code == 2 and not (workdir / "other.toml").exists()
    assert (workdir / "other-data.jsonl").read_text() == "keep me\n"
    assert sl("init", "ppo").code == 2


def test_init_rl_validates_and_runs(sl, backend, task_app, monkeypatch, workdir):
    monkeypatch.setenv("ENVIRONMENT_API_KEY", task_app.environment_api_key)
    made = sl("init", "rl")
    assert made.code == 0 and "wrote rl.toml" in made.stdout and not (workdir / "rl-data.jsonl").exists()
    assert sl("validate", "--config", "rl.toml").code == 0
    done = sl("train", "--config", "rl.toml", "--backend", backend.root, "--task-url", task_app.url,
              "--poll-interval", "0.05")
    assert done.code == 0, done.stderr
    assert "fine-tuned model: rl:Qwen/Qwen3-0.6B:" in done.stdout


def test_models_catalogue_and_backend_route(sl, backend):
    table = sl("models", "--type", "rl")
    assert table.code == 0 and "Qwen/Qwen3-0.6B" in table.stdout
    assert "Qwen/Qwen3-235B-A22B " not in table.stdout  # SFT only
    assert "SDK_EXPERIMENTAL_MODELS" in table.stdout

    doc = json.loads(sl("models", "--remote", "--backend", backend.root, "--json").stdout)
    assert doc["backend"] and all(m["on_backend"] for m in doc["catalogue"])
    first = doc["catalogue"][0]
    assert set(first) == {"id", "family", "sft", "rl", "experimental", "on_backend"}
    assert json.loads(sl("models", "--json").stdout)["backend"] is None  # no network without --remote


def test_models_when_the_backend_has_no_models_route(sl, backend):
    # a backend without the route answers 404: the command says so and still prints the catalogue
    shown = sl("models", "--backend", backend.root + "/nothing-here")
    assert shown.code == 0 and "offers no models route" in shown.stdout


def test_model_suggestions_stay_in_the_family_and_say_how_to_use_an_unlisted_model():
    assert closest_ids("Qwen/Qwen3-VL-4B-Instruc", job_type="sft", env={})[0] == "Qwen/Qwen3-VL-4B-Instruct"
    assert all("-VL-" in i for i in closest_ids("Qwen/Qwen3-VL-4B-Instruc", job_type="sft", env={}))
    assert all("2507" in i and "FP8" not in i for i in closest_ids("Qwen/Qwen3-4B-Instruct-2507x", env={}))
    assert closest_ids("meta-llama/Llama-3.1-8B", job_type="rl", env={}) == []
    with pytest.raises(ModelError) as info:
        resolve_model("meta-llama/Llama-3.1-8B", job_type="rl", env={})
    assert "no close RL model" in info.value.expected and "SDK_EXPERIMENTAL_MODELS=<id>" in info.value.expected
    with pytest.raises(ModelError) as rl_only:  # exists, cannot do RL: RL models of its own family only
        resolve_model("Qwen/Qwen3-235B-A22B", job_type="rl", env={})
    assert "Qwen/Qwen3-" in rl_only.value.expected and "2507" not in rl_only.value.expected
    assert resolve_model("meta-llama/Llama-3.1-8B", job_type="rl", allow_experimental=True,
                         env={"SDK_EXPERIMENTAL_MODELS": "meta-llama/Llama-3.1-8B"}) == "meta-llama/Llama-3.1-8B"
