"""Model catalogue: canonical spelling, fine-tuned ids, capabilities, experimental gating."""

from __future__ import annotations

import json

import pytest

from synthlaunch.config.models import (
    CATALOGUE_FILE,
    ModelError,
    catalogue,
    closest_ids,
    experimental_allowed,
    resolve_model,
)


def test_catalogue_file_is_well_formed_and_covers_the_qwen3_family() -> None:
    doc = json.loads(CATALOGUE_FILE.read_text())
    ids = [m["id"] for m in doc["models"]]
    assert len(ids) == len(set(i.lower() for i in ids))
    for needed in ("Qwen/Qwen3-0.6B", "Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-4B-Instruct-2507",
                   "Qwen/Qwen3-4B-Thinking-2507", "Qwen/Qwen3-4B-Instruct-2507-FP8", "Qwen/Qwen3-Coder-30B-A3B-Instruct",
                   "Qwen/Qwen3-VL-8B-Instruct"):
        assert needed in ids
    for m in doc["models"]:
        assert isinstance(m["sft"], bool) and isinstance(m["rl"], bool) and isinstance(m["experimental"], bool)
        assert m["sft"] or m["rl"], m["id"]


@pytest.mark.parametrize("raw", ["qwen/qwen3-4b", "QWEN/QWEN3-4B", "  Qwen/Qwen3-4B  "])
def test_matching_is_case_insensitive_and_canonical(raw: str) -> None:
    assert resolve_model(raw, job_type="sft", env={}) == "Qwen/Qwen3-4B"
    assert resolve_model(raw, job_type="rl", env={}) == "Qwen/Qwen3-4B"


def test_unknown_model_names_the_closest_ids() -> None:
    with pytest.raises(ModelError) as info:
        resolve_model("Qwen/Qwen3-4", job_type="rl", env={})
    assert "unknown model 'Qwen/Qwen3-4'" in info.value.message
    assert "Qwen/Qwen3-4B" in info.value.expected
    assert closest_ids("qwen3-8b", env={})[0] == "Qwen/Qwen3-8B"


@pytest.mark.parametrize("raw,expected", [
    ("rl:Qwen/Qwen3-4B:job123", "rl:Qwen/Qwen3-4B:job123"),
    ("RL:qwen/qwen3-4b:job123", "rl:Qwen/Qwen3-4B:job123"),
    ("ft:Qwen/Qwen3-0.6B:abc", "ft:Qwen/Qwen3-0.6B:abc"),
    ("fft:Qwen/Qwen3-1.7B:x", "fft:Qwen/Qwen3-1.7B:x"),
    ("qft:Qwen/Qwen3-8B:y", "qft:Qwen/Qwen3-8B:y"),
    ("ft:opaque-id-123", "ft:opaque-id-123"),
])
def test_fine_tuned_ids_for_rl(raw: str, expected: str) -> None:
    assert resolve_model(raw, job_type="rl", env={}) == expected


def test_fine_tuned_ids_are_not_base_models_for_sft_and_need_a_known_base() -> None:
    with pytest.raises(ModelError, match="cannot be used for SFT"):
        resolve_model("rl:Qwen/Qwen3-4B:job1", job_type="sft", env={})
    with pytest.raises(ModelError, match="unknown base model"):
        resolve_model("rl:Qwen/Qwen9-4B:job1", job_type="rl", env={})
    with pytest.raises(ModelError, match="nothing after"):
        resolve_model("ft:", job_type="rl", env={})


def test_capability_is_checked() -> None:
    with pytest.raises(ModelError, match="does not support SFT"):
        resolve_model("Qwen/Qwen3-4B-Instruct-2507-FP8", job_type="sft", allow_experimental=True, env={})
    with pytest.raises(ModelError, match="does not support RL") as info:
        resolve_model("Qwen/Qwen3-235B-A22B", job_type="rl", allow_experimental=True, env={})
    assert "Qwen/" in info.value.expected  # names capable alternatives


@pytest.mark.parametrize("flag,env,allowed", [
    (None, {}, False),
    (None, {"SDK_EXPERIMENTAL": "1"}, True),
    (None, {"SDK_EXPERIMENTAL": "true"}, True),
    (None, {"SDK_EXPERIMENTAL": "0"}, False),
    (True, {}, True),
    (False, {"SDK_EXPERIMENTAL": "1"}, False),  # --no-allow-experimental wins over the variable
])
def test_experimental_precedence(flag, env, allowed) -> None:
    assert experimental_allowed(flag, env) is allowed
    call = lambda: resolve_model("Qwen/Qwen3-30B-A3B", job_type="rl", allow_experimental=flag, env=env)  # noqa: E731
    if allowed:
        assert call() == "Qwen/Qwen3-30B-A3B"
    else:
        with pytest.raises(ModelError, match="experimental"):
            call()


def test_sdk_experimental_models_adds_ids_and_marks_known_ones() -> None:
    env = {"SDK_EXPERIMENTAL_MODELS": " acme/Tiny-1B , Qwen/Qwen3-4B"}
    assert catalogue(env)["acme/tiny-1b"].experimental
    assert catalogue(env)["qwen/qwen3-4b"].experimental
    with pytest.raises(ModelError, match="experimental"):
        resolve_model("acme/tiny-1b", job_type="sft", env=env)
    assert resolve_model("ACME/tiny-1b", job_type="sft", env={**env, "SDK_EXPERIMENTAL": "1"}) == "acme/Tiny-1B"
    with pytest.raises(ModelError, match="unknown"):
        resolve_model("acme/tiny-1b", job_type="sft", env={})


@pytest.mark.parametrize("raw", ["", "   ", 42, None, ["Qwen/Qwen3-4B"]])
def test_malformed_values(raw) -> None:
    with pytest.raises(ModelError):
        resolve_model(raw, job_type="rl", env={})
