"""Typos in configs never pass silently: misspelled sections get "did you mean", RL and SFT alike;
`--strict` makes unknown keys and sections errors; `--type rl` on an SFT config says which it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthlaunch.config import hyperparameters_summary, load_and_validate
from synthlaunch.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _copy(tmp_path: Path, kind: str, old: str, new: str) -> Path:
    text = (REPO / "configs" / kind / "demo.toml").read_text().replace(old, new)
    text = text.replace("../datasets/demo.jsonl", str(REPO / "configs" / "datasets" / "demo.jsonl"))
    path = tmp_path / f"{kind}.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("kind", "section", "typo"), [("sft", "hyperparameters", "hyperparamters"),
                                                       ("rl", "training", "trainng")])
def test_a_misspelled_section_is_a_warning_with_the_closest_section(tmp_path, kind, section, typo) -> None:
    path = _copy(tmp_path, kind, f"[{section}]", f"[{typo}]")
    cfg = load_and_validate(path)
    texts = [str(w) for w in cfg.warnings]
    assert any(f"unknown section [{typo}]" in t and f"did you mean [{section}]?" in t for t in texts), texts
    with pytest.raises(ConfigError) as caught:
        load_and_validate(path, strict=True)
    assert f"unknown section [{typo}]" in caught.value.message


@pytest.mark.parametrize("kind", ["rl", "sft"])
def test_unknown_keys_are_warnings_for_rl_and_sft_alike_and_errors_with_strict(tmp_path, kind) -> None:
    section = "[training]" if kind == "rl" else "[hyperparameters]"
    path = _copy(tmp_path, kind, section, f"{section}\nlearning_rat = 0.1")
    cfg = load_and_validate(path)
    assert any("unknown key" in str(w) and "did you mean 'learning_rate'" in str(w) for w in cfg.warnings)
    with pytest.raises(ConfigError):
        load_and_validate(path, strict=True)


def test_the_hyperparameters_summary_shows_what_will_be_sent(tmp_path) -> None:
    assert hyperparameters_summary(load_and_validate(REPO / "configs" / "sft" / "demo.toml")) == \
        "lr=0.01 epochs=4 batch=8 mode=full_finetune"
    assert hyperparameters_summary(load_and_validate(REPO / "configs" / "rl" / "demo.toml")) == \
        "lr=0.01 epochs=1 batch=6 mode=full"
    typo = _copy(tmp_path, "sft", "[hyperparameters]", "[hyperparamters]")
    assert hyperparameters_summary(load_and_validate(typo)) == "epochs=1 (default) mode=full_finetune"


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    return subprocess.run([str(BIN / "synthlaunch"), "validate", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_validate_strict_and_type_mismatch_on_the_command_line(tmp_path) -> None:
    typo = _copy(tmp_path, "sft", "[hyperparameters]", "[hyperparamters]")
    loose = _validate(str(typo))
    assert loose.returncode == 0 and "did you mean [hyperparameters]?" in loose.stderr
    strict = _validate(str(typo), "--strict")
    assert strict.returncode == 2 and "unknown section [hyperparamters]" in strict.stderr
    mismatch = _validate("configs/sft/demo.toml", "--type", "rl")
    assert mismatch.returncode == 2
    assert "(SFT)" in mismatch.stderr and "--type rl was given, but this is an SFT config" in mismatch.stderr
    assert "unknown type" not in mismatch.stderr


def test_a_loopback_task_url_with_a_remote_backend_is_warned_with_a_tunnel(tmp_path) -> None:
    env = {**os.environ, "CI": "true", "SYNTHLAUNCH_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run([str(BIN / "synthlaunch"), "train", "configs/rl/demo.toml", "--dry-run",
                           "--backend", "https://backend.example.com"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "warning: the task URL http://127.0.0.1:8001 is on this machine" in done.stderr and "tunnel" in done.stderr
    local = subprocess.run([str(BIN / "synthlaunch"), "train", "configs/rl/demo.toml", "--dry-run",
                            "--backend", "http://127.0.0.1:8000"], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert "on this machine" not in local.stderr
