"""`[prompt_learning]` configs (GEPA/MIPRO, the third job type of synth-ai 0.2.19–0.5.0): `inv validate`
recognises them (type `prompt_learning`, minimal checks), `inv train` refuses them naming the job type
instead of "cannot tell whether this is an RL or an SFT config", and sends nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthlaunch.config.infer import infer_config_type
from synthlaunch.validate import validate_one
from tests.support.cli import REPO

BIN = Path(sys.executable).parent
GEPA = '[prompt_learning]\nalgorithm = "gepa"\ntask_app_url = "http://127.0.0.1:8001"\n\n' \
       '[prompt_learning.gepa]\ninitial_population_size = 4\n'


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTH", "BACKEND", "ENVIRONMENT", "TASK_APP"))}
    env.update(CI="true", SYNTH_API_KEY="sk_" + "p" * 30, BACKEND_BASE_URL="http://127.0.0.1:9")
    return subprocess.run([str(BIN / "synthlaunch"), *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_inferred_before_the_rl_and_sft_rules():
    assert infer_config_type({"prompt_learning": {"algorithm": "mipro"}, "services": {"task_url": "x"}}) \
        == "prompt_learning"
    assert infer_config_type({"algorithm": {"type": "online"}}) == "rl"


def test_validate_recognises_it_and_checks_it_minimally(tmp_path):
    good = tmp_path / "gepa.toml"
    good.write_text(GEPA)
    report = validate_one(good)
    assert report.type == "prompt_learning" and report.ok, report.errors
    assert any("does not submit" in w.message for w in report.warnings)
    bad = tmp_path / "bad.toml"
    bad.write_text('[prompt_learning]\nalgorithm = "beam"\ntask_app_url = "not a url"\n')
    report = validate_one(bad)
    assert report.type == "prompt_learning" and not report.ok
    assert [(p.key, p.line) for p in report.errors] == [("prompt_learning.algorithm", 2),
                                                        ("prompt_learning.task_app_url", 3)]
    missing = tmp_path / "missing.toml"
    missing.write_text("[prompt_learning]\n")
    assert "algorithm" in validate_one(missing).errors[0].message


@pytest.mark.parametrize("forced", ["rl", "sft"])
def test_a_forced_type_names_the_prompt_learning_table(tmp_path, forced):
    path = tmp_path / "gepa.toml"
    path.write_text(GEPA)
    report = validate_one(path, type_=forced)
    assert not report.ok and "prompt-learning config" in report.errors[0].message


def test_validate_json_and_train_refusal_through_the_command(tmp_path):
    (tmp_path / "gepa.toml").write_text(GEPA)
    proc = _cli("validate", "--config", "gepa.toml", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [config] = json.loads(proc.stdout)["configs"]
    assert config["type"] == "prompt_learning" and config["ok"]
    proc = _cli("train", "--config", "gepa.toml", "--no-input", "--yes", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "job type prompt_learning" in proc.stderr and "RL and SFT jobs only" in proc.stderr
    assert "cannot tell whether" not in proc.stderr and "Traceback" not in proc.stderr
    assert "127.0.0.1:9" not in proc.stderr  # refused before any request


def test_repo_configs_are_unaffected():
    assert validate_one(REPO / "configs" / "rl" / "demo.toml").type == "rl"
