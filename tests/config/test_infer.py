"""Type inference: the rules of docs/configs.md ("Job type"), first match wins; --type decides only when the file cannot."""

from __future__ import annotations

import pytest

from synthlaunch.config import load_and_validate
from synthlaunch.config.infer import infer_type
from synthlaunch.errors import ConfigError
from tests.support.configs import RL_MIN, SFT_MIN


@pytest.mark.parametrize("data,expected", [
    ({"algorithm": {"method": "policy_gradient"}}, "rl"),
    ({"algorithm": {"method": "PPO"}}, "rl"),
    ({"algorithm": {"method": "reinforce"}}, "rl"),
    ({"algorithm": {"type": "Online"}}, "rl"),
    ({"algorithm": {"variety": "grpo"}}, "rl"),
    ({"algorithm": {"method": "sft"}}, "sft"),
    ({"algorithm": {"method": "Supervised_Finetune"}}, "sft"),
    ({"algorithm": {"type": "offline"}}, "sft"),
    ({"algorithm": {"variety": "QLoRA"}}, "sft"),
    # rule 1 wins over rules 2 and 3
    ({"algorithm": {"type": "offline"}, "services": {"task_url": "http://x"}}, "sft"),
    ({"algorithm": {"type": "online"}, "training": {"mode": "sft_offline"}}, "rl"),
    # [algorithm] present but undecided: fall through
    ({"algorithm": {"type": "weird"}, "services": {"task_url": "http://x"}}, "rl"),
    ({"job_type": "RL"}, "rl"),
    ({"services": {"environment": "crafter"}}, "rl"),
    ({"services": {"task_url": "http://x"}, "training": {"mode": "sft"}}, "rl"),  # rule 2 before rule 3
    ({"training": {"mode": "sft_offline"}}, "sft"),
    ({"hyperparameters": {"train_kind": "peft"}}, "sft"),
    ({"hyperparameters": {"train_kind": "fft"}}, "sft"),
    ({"hyperparameters": {"train_kind": "other"}}, None),
    ({}, None),
    ({"algorithm": "online"}, None),
    ({"algorithm": {"method": 3}}, None),
])
def test_rules(data, expected) -> None:
    assert infer_type(data) == expected


def test_unknown_type_says_which_keys_decide_and_that_type_decides(write) -> None:
    path = write('[compute]\ngpu_type = "H100"\n')
    with pytest.raises(ConfigError) as info:
        load_and_validate(path, env={})
    text = info.value.render()
    assert str(path) in text
    assert "[algorithm].type" in text and "--type rl" in text and "job_type" in text


def test_type_flag_decides_when_the_file_cannot(write) -> None:
    # an RL config without any deciding key: --type rl makes it valid
    undecided = RL_MIN.replace('[algorithm]\ntype = "online"\nmethod = "policy_gradient"\nvariety = "gspo"\n', "")
    undecided = undecided.replace('[services]\ntask_url = "http://127.0.0.1:8001"\n', "")
    path = write(undecided)
    with pytest.raises(ConfigError):
        load_and_validate(path, env={})
    with pytest.raises(ConfigError) as info:  # RL needs [algorithm]: the error is about that, not the type
        load_and_validate(path, type_override="rl", env={})
    assert [p.key for p in info.value.problems] == ["algorithm"]
    sft_path = write(SFT_MIN.replace('[algorithm]\ntype = "offline"\nmethod = "sft"\nvariety = "fft"\n', ""), "s.toml")
    assert load_and_validate(sft_path, type_override="sft", env={}).type == "sft"


def test_conflicting_type_flag_is_an_error(write) -> None:
    path = write(SFT_MIN)
    with pytest.raises(ConfigError) as info:
        load_and_validate(path, type_override="rl", env={})
    assert "--type rl was given, but this is an SFT config" in info.value.render()
    assert load_and_validate(path, type_override="SFT", env={}).type == "sft"
