"""Whole-body comparisons of the RL and SFT job bodies against the wire contract."""

from __future__ import annotations

import copy

import pytest

from synthlaunch.config import build_rl_body, build_sft_body, load_and_validate
from synthlaunch.task_url import choose_task_url
from tests.support.configs import RL_MIN, SFT_MIN

BACKEND = "http://127.0.0.1:9000/api"
TASK = "http://127.0.0.1:8001/"

ALGORITHM = {"type": "online", "method": "policy_gradient", "variety": "gspo"}
TOPOLOGY = {"type": "single_node_split", "gpus_for_vllm": 1, "gpus_for_training": 1, "gpus_for_ref": 0}
ROLLOUT = {"env_name": "math", "policy_name": "math-react", "max_turns": 1, "episodes_per_batch": 4,
           "max_concurrent_rollouts": 4}
DEFAULT_WS = {"enable": True, "mode": "direct", "targets": ["policy"], "interval": 1}


def rl_expected(model_table: dict, data_model: dict, *, training: dict | None = None,
                extra: dict | None = None, model_section: str = "model") -> dict:
    compute = {"gpu_type": "H100", "gpu_count": 2, "topology": {"reference_placement": "none"}}
    config = {"algorithm": ALGORITHM, "services": {"task_url": TASK}, "compute": compute, "topology": TOPOLOGY,
              model_section: model_table, "rollout": ROLLOUT,
              "training": training if training is not None else {"weight_sync": DEFAULT_WS},
              "reference": {"placement": "none"}}
    config.update(extra or {})
    return {"job_type": "rl", "compute": compute,
            "data": {"endpoint_base_url": "http://127.0.0.1:8001", "config": config, **data_model},
            "tags": {"source": "train-cli"}, "metadata": {"backend_base_url": BACKEND}}


def test_rl_model_base_without_training(write) -> None:
    cfg = load_and_validate(write(RL_MIN.replace("Qwen/Qwen3-0.6B", "qwen/QWEN3-0.6b")), env={})
    body = build_rl_body(cfg, task_url=TASK, backend_url=BACKEND)
    assert body == rl_expected({"base": "Qwen/Qwen3-0.6B", "trainer_mode": "full", "label": "demo"},
                               {"base_model": "Qwen/Qwen3-0.6B"})


def test_rl_model_source_with_training_and_no_weight_sync(write) -> None:
    training = ("\n[training]\nnum_epochs = 1\niterations_per_epoch = 2\nmax_turns = 1\nbatch_size = 2\n"
                "group_size = 4\nlearning_rate = 5e-5\nweight_sync_interval = 3\nlog_interval = 1\n")
    text = RL_MIN.replace('base = "Qwen/Qwen3-0.6B"', 'source = "rl:Qwen/Qwen3-4B:job123"') + training
    cfg = load_and_validate(write(text), env={})
    before = copy.deepcopy(cfg.data)
    body = build_rl_body(cfg, task_url=TASK, backend_url=BACKEND)
    expected_training = {"num_epochs": 1, "iterations_per_epoch": 2, "max_turns": 1, "batch_size": 2,
                         "group_size": 4, "learning_rate": 5e-5, "weight_sync_interval": 3, "log_interval": 1,
                         "weight_sync": {**DEFAULT_WS, "interval": 3}}
    assert body == rl_expected({"source": "rl:Qwen/Qwen3-4B:job123", "trainer_mode": "full", "label": "demo"},
                               {"model": "rl:Qwen/Qwen3-4B:job123"}, training=expected_training)
    assert cfg.data == before  # the loaded config is not mutated


def test_rl_with_weight_sync_table_forces_direct_and_fills_interval(write) -> None:
    training = ("\n[training]\nnum_epochs = 1\niterations_per_epoch = 2\nmax_turns = 1\nbatch_size = 2\n"
                "group_size = 4\nlearning_rate = 5e-5\nweight_sync_interval = 2\nlog_interval = 1\n"
                "[training.weight_sync]\nenable = true\nmode = \"nccl\"\ntargets = [\"policy\", \"ref\"]\n"
                "verify_every_k = 0\n")
    text = RL_MIN + training + "\n[reference]\nplacement = \"dedicated\"\n[compute.topology]\nreference_placement = \"colocated\"\n"
    cfg = load_and_validate(write(text), env={})
    body = build_rl_body(cfg, task_url=TASK, backend_url=BACKEND)
    expected_training = {"num_epochs": 1, "iterations_per_epoch": 2, "max_turns": 1, "batch_size": 2,
                         "group_size": 4, "learning_rate": 5e-5, "weight_sync_interval": 2, "log_interval": 1,
                         "weight_sync": {"enable": True, "mode": "direct", "targets": ["policy", "ref"],
                                         "verify_every_k": 0, "interval": 2}}
    expected = rl_expected({"base": "Qwen/Qwen3-0.6B", "trainer_mode": "full", "label": "demo"},
                           {"base_model": "Qwen/Qwen3-0.6B"}, training=expected_training)
    compute = {"gpu_type": "H100", "gpu_count": 2, "topology": {"reference_placement": "colocated"}}
    expected["compute"] = expected["data"]["config"]["compute"] = compute
    expected["data"]["config"]["reference"] = {"placement": "dedicated"}
    assert body == expected
    # an explicit interval is kept
    text2 = text.replace("verify_every_k = 0", "interval = 7")
    body2 = build_rl_body(load_and_validate(write(text2, "b.toml"), env={}), task_url=TASK, backend_url=BACKEND)
    assert body2["data"]["config"]["training"]["weight_sync"]["interval"] == 7


def test_rl_policy_format_and_model_flag(write) -> None:
    text = RL_MIN.replace('[model]\nbase = "Qwen/Qwen3-0.6B"', '[policy]\nmodel_name = "Qwen/Qwen3-1.7B"') \
        + "\n[lora]\nr = 16\n"
    cfg = load_and_validate(write(text), env={})
    body = build_rl_body(cfg, task_url=TASK, backend_url=BACKEND)
    assert body == rl_expected({"model_name": "Qwen/Qwen3-1.7B", "trainer_mode": "full", "label": "demo"},
                               {"base_model": "Qwen/Qwen3-1.7B"}, model_section="policy", extra={"lora": {"r": 16}})
    # --model (given to load or only to the builder) goes to data.model
    cfg = load_and_validate(write(text, "m.toml"), model="qwen/qwen3-4b", env={})
    body = build_rl_body(cfg, task_url=TASK, backend_url=BACKEND, model="qwen/qwen3-4b")
    assert body["data"]["model"] == "Qwen/Qwen3-4B" and "base_model" not in body["data"]
    assert body["data"]["config"]["policy"]["model_name"] == "Qwen/Qwen3-1.7B"


def test_rl_services_task_url_is_overwritten_with_the_final_url(write) -> None:
    cfg = load_and_validate(write(RL_MIN + "\n[custom]\nkeep = [1, 2]\n"), env={})
    body = build_rl_body(cfg, task_url="https://tasks.example.com/v1/", backend_url=BACKEND + "/")
    assert body["data"]["endpoint_base_url"] == "https://tasks.example.com/v1"
    assert body["data"]["config"]["services"]["task_url"] == "https://tasks.example.com/v1/"
    assert body["data"]["config"]["custom"] == {"keep": [1, 2]}
    assert body["metadata"] == {"backend_base_url": BACKEND}


def test_task_url_precedence(write) -> None:
    cfg = load_and_validate(write(RL_MIN), env={})

    def url(config, flag, env):
        found = choose_task_url(flag=flag, env=env, config=getattr(config, "data", config))
        return found.url if found else None

    env = {"TASK_APP_URL": "http://env", "TASK_APP_BASE_URL": "http://base"}
    assert url(cfg, "http://flag", env) == "http://flag"
    assert url(cfg, None, env) == "http://env"
    assert url(cfg, "  ", {"TASK_APP_BASE_URL": "http://base"}) == "http://base"
    assert url(cfg, None, {}) == "http://127.0.0.1:8001"
    assert url(None, None, {}) is None
    assert url({"services": {"task_url": 3}}, None, {}) is None


SFT_FULL = """\
[algorithm]
type = "offline"
method = "sft"
variety = "{variety}"

[job]
model = "qwen/qwen3-4b"
data = "train.jsonl"

[compute]
gpu_type = "A100"
gpu_count = 4

[data]
topology = {{ container_count = 1 }}

[training]
mode = "{mode}"
use_qlora = {qlora}

[hyperparameters]
n_epochs = 2
per_device_batch = 2
gradient_accumulation_steps = 8
sequence_length = 2048
learning_rate = 5e-6
warmup_ratio = 0.03
train_kind = "{kind}"
lora_rank = 16
"""


@pytest.mark.parametrize("variety,mode,qlora,kind", [
    ("fft", "full_finetune", "false", "fft"),
    ("lora", "lora", "false", "peft"),
    ("qlora", "lora", "true", "peft"),
])
def test_sft_fft_lora_qlora(write, variety, mode, qlora, kind) -> None:
    cfg = load_and_validate(write(SFT_FULL.format(variety=variety, mode=mode, qlora=qlora, kind=kind)), env={})
    body, warnings = build_sft_body(cfg, training_file_id="file_1")
    assert body == {
        "model": "Qwen/Qwen3-4B",
        "hyperparameters": {"n_epochs": 2, "per_device_batch": 2, "gradient_accumulation_steps": 8,
                            "sequence_length": 2048, "learning_rate": 5e-6, "warmup_ratio": 0.03, "train_kind": kind},
        "training_type": "sft_offline",
        "metadata": {"effective_config": {"compute": {"gpu_type": "A100", "gpu_count": 4},
                                          "data": {"topology": {"container_count": 1}},
                                          "training": {"mode": mode, "use_qlora": qlora == "true"}}},
        "training_file_id": "file_1",
    }
    assert [(w.key, w.line) for w in warnings] == [("hyperparameters.lora_rank", 29)]
    assert "not sent to the backend" in str(warnings[0]) and str(cfg.path) in str(warnings[0])


def test_sft_with_validation_and_parallelism(write) -> None:
    text = SFT_MIN + """
[compute]
gpu_type = "H100"
gpu_count = 8
nodes = 2

[data]
validation_path = "val.jsonl"

[training]
mode = "sft_offline"
[training.validation]
enabled = true
eval_steps = 20
greater_is_better = false

[hyperparameters]
batch_size = 8
global_batch = 64
learning_rate = 1e-5
[hyperparameters.parallelism]
use_deepspeed = true
deepspeed_stage = 3
bf16 = true
fsdp = { enabled = false }
"""
    cfg = load_and_validate(write(text), env={})
    assert cfg.validation_path == (cfg.path.parent / "val.jsonl").resolve()
    body, warnings = build_sft_body(cfg, training_file_id="file_t", validation_file_id="file_v",
                                    model="QWEN/Qwen3-8B")
    assert body == {
        "model": "Qwen/Qwen3-8B",
        "hyperparameters": {"n_epochs": 1, "batch_size": 8, "global_batch": 64, "learning_rate": 1e-5,
                            "parallelism": {"use_deepspeed": True, "deepspeed_stage": 3, "bf16": True,
                                            "fsdp": {"enabled": False}},
                            "evaluation_strategy": "steps", "eval_steps": 20, "save_best_model_at_end": True,
                            "metric_for_best_model": "val.loss", "greater_is_better": False},
        "training_type": "sft_offline",
        "metadata": {"effective_config": {
            "compute": {"gpu_type": "H100", "gpu_count": 8, "nodes": 2},
            "data": {"topology": {}, "validation_files": ["file_v"]},
            "training": {"mode": "sft_offline", "validation": {"enabled": True}}}},
        "training_file_id": "file_t",
    }
    assert warnings == []


def test_sft_minimal_body_and_dry_run_file_id(write) -> None:
    cfg = load_and_validate(write(SFT_MIN + "\n[extras]\nnote = 1\n"), env={})
    body, warnings = build_sft_body(cfg, training_file_id=None)
    assert body == {"model": "Qwen/Qwen3-0.6B", "hyperparameters": {"n_epochs": 1}, "training_type": "sft_offline",
                    "metadata": {"effective_config": {"compute": {}, "data": {"topology": {}}, "training": {}}},
                    "training_file_id": None}
    assert [w.key for w in warnings] == ["extras"]


def test_sft_hyperparameter_typo_is_named_with_suggestion(write) -> None:
    cfg = load_and_validate(write(SFT_MIN + "\n[hyperparameters]\nlearning_rte = 1e-5\n"), env={})
    _, warnings = build_sft_body(cfg, training_file_id="f")
    assert [str(w) for w in warnings] == [
        f"{cfg.path}:11: [hyperparameters].learning_rte: not sent to the backend; did you mean 'learning_rate'?"]
