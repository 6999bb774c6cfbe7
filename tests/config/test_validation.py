"""RL and SFT validation: every problem at once, each naming the file, the dotted key and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthlaunch.config import load_and_validate
from synthlaunch.errors import ConfigError
from tests.support.configs import RL_MIN, SFT_MIN


def problems(path: Path, **kwargs):
    with pytest.raises(ConfigError) as info:
        load_and_validate(path, env=kwargs.pop("env", {}), **kwargs)
    return info.value


def line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(needle)


def test_minimal_configs_are_valid(write) -> None:
    rl = load_and_validate(write(RL_MIN), env={})
    assert (rl.type, rl.model, rl.model_kind, rl.warnings) == ("rl", "Qwen/Qwen3-0.6B", "base", [])
    sft = load_and_validate(write(SFT_MIN, "sft/c.toml"), env={})
    assert (sft.type, sft.model) == ("sft", "Qwen/Qwen3-0.6B")
    assert sft.dataset_path == (sft.path.parent / "train.jsonl").resolve()


def test_all_rl_problems_at_once_with_lines_and_format(write) -> None:
    text = RL_MIN.replace("gpu_count = 2", 'gpu_count = "two"') \
                 .replace('method = "policy_gradient"', 'method = "dqn"') \
                 .replace("max_turns = 1", "max_turns = 0") \
                 .replace('base = "Qwen/Qwen3-0.6B"', 'base = "Qwen/Qwen3-0.6"') \
                 .replace('label = "demo"\n', "")
    text += "\n[training]\nnum_epochs = 1\nlearning_rate = 0\n"
    path = write(text)
    exc = problems(path)
    by_key = {p.key: p for p in exc.problems}
    assert set(by_key) >= {"compute.gpu_count", "algorithm.method", "rollout.max_turns", "model.base",
                           "model.label", "training.learning_rate", "training.iterations_per_epoch"}
    assert all(p.path == str(path) for p in exc.problems)
    # exact lines: where the key is written, or its table when the key is missing
    assert by_key["compute.gpu_count"].line == line_of(path, "gpu_count")
    assert by_key["algorithm.method"].line == line_of(path, "method =")
    assert by_key["rollout.max_turns"].line == line_of(path, "max_turns = 0")
    assert by_key["model.base"].line == line_of(path, "base =")
    assert by_key["model.label"].line == line_of(path, "[model]")
    assert by_key["training.learning_rate"].line == line_of(path, "learning_rate = 0")
    assert by_key["training.iterations_per_epoch"].line == line_of(path, "[training]")
    gpu = by_key["compute.gpu_count"]
    assert str(gpu) == f'{path}:{gpu.line}: [compute].gpu_count: expected a positive whole number, got "two" (a string)'
    assert str(by_key["model.base"]).endswith("[model].base: unknown model 'Qwen/Qwen3-0.6' (closest: "
                                               "Qwen/Qwen3-0.6B, Qwen/Qwen3-1.7B, Qwen/Qwen3-8B; a model the "
                                               "catalogue does not know yet: SDK_EXPERIMENTAL_MODELS=<id> with "
                                               "--allow-experimental (or SDK_EXPERIMENTAL=1))")
    assert str(by_key["algorithm.method"]).endswith(
        '[algorithm].method: unsupported value "dqn" (one of policy_gradient, ppo, gspo)')
    assert str(by_key["model.label"]).endswith("[model].label: missing required key (a non-empty string)")
    # sorted by line, and the rendered error lists every one
    lines = [p.line for p in exc.problems]
    assert lines == sorted(lines)
    assert all(str(p) in exc.render() for p in exc.problems)


@pytest.mark.parametrize("edit,key,needle", [
    (lambda t: t.replace('[model]\nbase = "Qwen/Qwen3-0.6B"\ntrainer_mode = "full"\nlabel = "demo"\n', ""),
     "model", None),
    (lambda t: t.replace('base = "Qwen/Qwen3-0.6B"', 'base = "Qwen/Qwen3-0.6B"\nsource = "rl:Qwen/Qwen3-0.6B:j"'),
     "model.source", "source ="),
    (lambda t: t.replace('base = "Qwen/Qwen3-0.6B"\n', ""), "model", "[model]"),
    (lambda t: t + "\n[policy]\nmodel_name = \"Qwen/Qwen3-4B\"\ntrainer_mode = \"full\"\nlabel = \"x\"\n",
     "policy", "[policy]"),
    (lambda t: t.replace("[topology]", "[topologyx]"), "topology", None),
    (lambda t: t.replace("gpus_for_ref = 0", "gpus_for_ref = 0\ntensor_parallel = 2"),
     "topology.tensor_parallel", "tensor_parallel ="),
    (lambda t: t + "\n[vllm]\ntensor_parallel_size = 2\n", "vllm.tensor_parallel_size", "tensor_parallel_size"),
    (lambda t: t + "\n[judge]\ntype = \"groq\"\n", "judge.options", "[judge]"),
    (lambda t: t + "\n[judge]\n[judge.options]\nprovider = \"anthropic\"\nmodel = \"m\"\n",
     "judge.options.provider", "provider ="),
    (lambda t: t + "\n[rubric]\nenabled = true\n[rubric.weights]\nenv = 0\nevent = 0.0\n", "rubric.weights",
     "[rubric.weights]"),
    (lambda t: t + "\n[rubric]\nweights = {env = -1, event = 2}\n", "rubric.weights.env", "weights ="),
    (lambda t: t + "\n[evaluation]\ninstances = 2\nevery_n_iters = 1\nseeds = [1, \"2\"]\n", "evaluation.seeds",
     "seeds ="),
    (lambda t: t.replace('type = "online"', 'type = "offline"').replace('method = "policy_gradient"',
                                                                        'method = "ppo"'),
     "algorithm.type", 'type = "offline"'),
    (lambda t: t.replace("[rollout]", "[rollout]\nextra = 1").replace("env_name = \"math\"\n", ""),
     "rollout.env_name", "[rollout]"),
    (lambda t: t + "\n[training]\nnum_epochs = 1\niterations_per_epoch = 1\nmax_turns = 1\nbatch_size = true\n"
                   "group_size = 2\nlearning_rate = 1e-5\nweight_sync_interval = 0\nlog_interval = 1\n",
     "training.batch_size", "batch_size = true"),
])
def test_rl_rules(write, edit, key: str, needle: str | None) -> None:
    path = write(edit(RL_MIN))
    exc = problems(path, type_override="rl")
    found = [p for p in exc.problems if p.key == key]
    assert found, [str(p) for p in exc.problems]
    expected_line = line_of(path, needle) if needle else None
    assert found[0].line == expected_line
    assert str(path) in str(found[0])


def test_policy_format_and_fine_tuned_source(write) -> None:
    policy = RL_MIN.replace('[model]\nbase = "Qwen/Qwen3-0.6B"', '[policy]\nmodel_name = "qwen/qwen3-4b"')
    cfg = load_and_validate(write(policy), env={})
    assert (cfg.model, cfg.model_key, cfg.model_kind) == ("Qwen/Qwen3-4B", "policy.model_name", "base")
    source = RL_MIN.replace('base = "Qwen/Qwen3-0.6B"', 'source = "rl:qwen/qwen3-4b:job9"')
    cfg = load_and_validate(write(source, "s.toml"), env={})
    assert (cfg.model, cfg.model_kind) == ("rl:Qwen/Qwen3-4B:job9", "source")
    # a fine-tuned id in [model].base is not a base model
    bad = RL_MIN.replace('base = "Qwen/Qwen3-0.6B"', 'base = "rl:Qwen/Qwen3-4B:job9"')
    exc = problems(write(bad, "b.toml"))
    assert exc.problems[0].key == "model.base"


def test_model_override_replaces_and_may_supply_the_model(write) -> None:
    no_model = RL_MIN.replace('[model]\nbase = "Qwen/Qwen3-0.6B"\ntrainer_mode = "full"\nlabel = "demo"\n', "")
    cfg = load_and_validate(write(no_model), model="QWEN/qwen3-8b", env={})
    assert (cfg.model, cfg.model_overridden, cfg.model_kind) == ("Qwen/Qwen3-8B", True, "source")
    exc = problems(write(SFT_MIN, "s.toml"), model="Qwen/Qwen3-30B-A3B", allow_experimental=False,
                   env={"SDK_EXPERIMENTAL": "1"})
    assert exc.problems[0].key is None and "--model" in exc.problems[0].message
    assert "--no-allow-experimental" in exc.problems[0].message
    cfg = load_and_validate(write(SFT_MIN, "s2.toml"), model="Qwen/Qwen3-30B-A3B", env={"SDK_EXPERIMENTAL": "1"})
    assert cfg.model == "Qwen/Qwen3-30B-A3B"


def test_unknown_keys_are_warnings_with_suggestions(write) -> None:
    text = RL_MIN.replace('gpu_type = "H100"', 'gpu_type = "H100"\ngpu_cont = 2') + "\n[custom]\nanything = 1\n"
    cfg = load_and_validate(write(text), env={})
    assert [str(w) for w in cfg.warnings][0] == (
        f"{cfg.path}:{line_of(cfg.path, 'gpu_cont')}: [compute].gpu_cont: unknown key; it is passed to the backend "
        "as is (did you mean 'gpu_count'?)")
    # an unknown section is said too (RL as SFT; issue 15), with the known ones when none is close
    assert len(cfg.warnings) == 2 and "unknown section [custom]" in str(cfg.warnings[1])
    assert cfg.data["compute"]["gpu_cont"] == 2  # extra keys travel


def test_all_sft_problems_at_once(write) -> None:
    text = """\
[algorithm]
type = "offline"
method = "sft"
variety = "dora"

[job]
model = "Qwen/Qwen3-4B-Instruct-2507-FP8"
data = "missing.jsonl"

[compute]
gpu_count = 0

[hyperparameters]
n_epochs = true
learning_rate = -1
warmup_ratio = 1.5
per_device_batch = 2.0

[training]
use_qlora = "yes"
[training.validation]
eval_steps = -1
"""
    path = write(text)
    exc = problems(path, allow_experimental=True)
    by_key = {p.key: p for p in exc.problems}
    assert set(by_key) == {"algorithm.variety", "job.model", "job.data", "compute.gpu_count",
                           "hyperparameters.n_epochs", "hyperparameters.learning_rate", "hyperparameters.warmup_ratio",
                           "hyperparameters.per_device_batch", "training.use_qlora", "training.validation.eval_steps"}
    assert by_key["hyperparameters.warmup_ratio"].line == line_of(path, "warmup_ratio")
    assert "between 0 and 1" in by_key["hyperparameters.warmup_ratio"].message
    assert "does not support SFT" in by_key["job.model"].message
    assert "training dataset not found" in by_key["job.data"].message
    assert by_key["job.data"].line == line_of(path, "data =")


def test_sft_dataset_resolution(write, tmp_path, monkeypatch) -> None:
    path = write(SFT_MIN.replace('data = "train.jsonl"', 'data_path = "train.jsonl"\ndata = "val.jsonl"')
                 + '\n[data]\nvalidation_path = "nope.jsonl"\n', "sub/c.toml")
    monkeypatch.chdir(tmp_path)
    cfg = load_and_validate(path, env={})
    assert cfg.dataset_path == (path.parent / "val.jsonl").resolve()  # data wins, config-relative
    assert cfg.validation_path is None
    assert [w.key for w in cfg.warnings] == ["data.validation_path"]
    assert "runs without validation data" in cfg.warnings[0].message
    # --dataset is resolved against the current folder
    (tmp_path / "other.jsonl").write_text("{}\n")
    cfg = load_and_validate(path, dataset="other.jsonl", env={})
    assert cfg.dataset_path == (tmp_path / "other.jsonl").resolve() and cfg.dataset_overridden
    exc = problems(path, dataset="absent.jsonl")
    assert "--dataset: file not found" in exc.problems[0].message
    # no dataset at all
    exc = problems(write(SFT_MIN.replace('data = "train.jsonl"\n', ""), "n.toml"))
    assert [p.key for p in exc.problems] == ["job.data"] and "--dataset" in exc.problems[0].message


def test_sft_missing_job_and_model(write) -> None:
    exc = problems(write('[algorithm]\nvariety = "lora"\n'))
    assert [p.key for p in exc.problems] == ["job", "job"]
    exc = problems(write('[algorithm]\nvariety = "lora"\n[job]\ndata = "train.jsonl"\n', "b.toml"))
    assert [p.key for p in exc.problems] == ["job.model"]
    assert load_and_validate(write('[algorithm]\nvariety = "qlora"\n[job]\ndata = "train.jsonl"\n', "c.toml"),
                             model="Qwen/Qwen3-4B", env={}).model == "Qwen/Qwen3-4B"


def test_example_configs_validate() -> None:
    root = Path(__file__).resolve().parents[2] / "configs"
    rl = load_and_validate(root / "rl" / "demo.toml", env={})
    sft = load_and_validate(root / "sft" / "demo.toml", env={})
    assert (rl.type, sft.type) == ("rl", "sft") and not rl.warnings and not sft.warnings
    assert sft.dataset_path == (root / "datasets" / "demo.jsonl").resolve()
    assert rl.data["services"]["task_url"] == "http://127.0.0.1:8001"
