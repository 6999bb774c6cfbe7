"""`inv validate` as a command: exit codes 0/2 and the --json shape (in-process), and the picker on a
real terminal (a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import REPO, Result, executable, run_in_process
from tests.support.configs import RL_MIN, SFT_MIN
from tests.support.env import user_env


def run(*args: str, cwd: Path = REPO, env: dict | None = None) -> Result:
    return run_in_process(["inv", "validate", *args], cwd=cwd, **(env or {}))


def test_demo_configs_are_valid_json() -> None:
    proc = run("--config", "configs/rl/demo.toml", "--config", "configs/sft/demo.toml", "--json")
    assert proc.code == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc == {"configs": [
        {"path": "configs/rl/demo.toml", "type": "rl", "ok": True, "errors": [], "warnings": []},
        {"path": "configs/sft/demo.toml", "type": "sft", "ok": True, "errors": [], "warnings": []},
    ]}


def test_invalid_config_exit_2_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(RL_MIN.replace("gpu_count = 2", "gpu_count = 0").replace('gpu_type = "H100"',
                                                                            'gpu_type = "H100"\ngpu_typo = 1'))
    good = tmp_path / "sft.toml"
    good.write_text(SFT_MIN)
    (tmp_path / "train.jsonl").write_text('{"messages": [{"role": "user", "content": "x"}]}\n')
    proc = run("--config", str(bad), "--config", str(good), "--json")
    assert proc.code == 2
    doc = json.loads(proc.stdout)
    first, second = doc["configs"]
    assert set(first) == {"path", "type", "ok", "errors", "warnings"}
    assert (first["type"], first["ok"]) == ("rl", False)
    assert first["errors"] == [{"message": f"{bad}:12: [compute].gpu_count: must be greater than 0, got 0 "
                                           "(a positive whole number)", "key": "compute.gpu_count", "line": 12}]
    assert first["warnings"][0]["key"] == "compute.gpu_typo" and first["warnings"][0]["line"] == 11
    assert (second["type"], second["ok"], second["errors"]) == ("sft", True, [])
    assert "Traceback" not in proc.stderr and f"{bad}:12: [compute].gpu_count" in proc.stderr


def test_syntax_error_and_unknown_type_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[algorithm]\ntype = \n")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[compute]\ngpu_type = 'H100'\n")
    proc = run("--config", str(broken), "--config", str(unknown), "--config", str(tmp_path / "nope.toml"), "--json")
    assert proc.code == 2
    configs = json.loads(proc.stdout)["configs"]
    assert [c["type"] for c in configs] == [None, None, None]
    assert configs[0]["errors"][0]["line"] == 2 and configs[0]["errors"][0]["message"].startswith(f"{broken}:2:8: ")
    assert "--type" in configs[1]["errors"][0]["message"]
    assert "not found" in configs[2]["errors"][0]["message"]
    proc = run("--config", str(unknown), "--type", "sft")
    assert proc.code == 2 and "no training dataset" in proc.stderr


def test_missing_dataset_is_an_error_and_experimental_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(SFT_MIN.replace("Qwen/Qwen3-0.6B", "Qwen/Qwen3-30B-A3B"))
    proc = run("--config", str(cfg), "--json", env={"SDK_EXPERIMENTAL": "1"})
    assert proc.code == 2
    assert "training dataset not found" in json.loads(proc.stdout)["configs"][0]["errors"][0]["message"]
    (tmp_path / "train.jsonl").write_text('{"messages": [{"role": "user", "content": "x"}]}\n')
    assert run("--config", str(cfg), env={"SDK_EXPERIMENTAL": "1"}).code == 0
    assert run("--config", str(cfg)).code == 2
    assert run("--config", str(cfg), "--allow-experimental").code == 0
    proc = run("--config", str(cfg), "--no-allow-experimental", env={"SDK_EXPERIMENTAL": "1"})
    assert proc.code == 2 and "experimental" in proc.stderr


def test_no_config_without_terminal_lists_candidates(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "r.toml").write_text(RL_MIN)
    proc = run("--json", cwd=tmp_path)
    assert proc.code == 2
    assert "configs/r.toml" in proc.stderr and "--config" in proc.stderr
    assert json.loads(proc.stdout)["error"]["type"] == "UsageError"


def test_picker_on_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "r.toml").write_text(RL_MIN)
    (tmp_path / "s.toml").write_text(SFT_MIN)
    (tmp_path / "train.jsonl").write_text('{"messages": [{"role": "user", "content": "x"}]}\n')
    env = user_env(tmp_path)
    env.pop("CI")
    child = pexpect.spawn(executable("inv"), ["-r", str(REPO), "validate"], cwd=str(tmp_path), env=env,
                          encoding="utf-8", timeout=60)
    child.expect(r"1\. s\.toml  \(sft\)")
    child.expect(r"2\. configs/r\.toml  \(rl\)")
    child.expect(r"config number\(s\) \[1-2")
    child.sendline("2")
    child.expect("ok: .*r.toml \\(RL\\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_datasets_named_by_the_config_are_validated(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(SFT_MIN + '\n[data]\nvalidation_path = "val.jsonl"\n')
    (tmp_path / "train.jsonl").write_text('{"messages": [{"role": "user", "content": "x"}]}\n{"messages": []}\n')
    (tmp_path / "val.jsonl").write_text("not json\n")
    proc = run("--config", str(cfg), "--json")
    assert proc.code == 2
    errors = json.loads(proc.stdout)["configs"][0]["errors"]
    messages = [e["message"] for e in errors]
    assert messages[0].startswith(f"{tmp_path / 'train.jsonl'}:2: ") and errors[0]["line"] == 2
    assert messages[1].startswith(f"{tmp_path / 'val.jsonl'}:1: ")
    # --examples 1 validates only the first example of the training set
    (tmp_path / "val.jsonl").write_text('{"messages": [{"role": "user", "content": "x"}]}\n')
    assert run("--config", str(cfg), "--examples", "1").code == 0
    assert run("--config", str(cfg)).code == 2
    proc = run("--config", str(cfg), "--examples", "0")
    assert proc.code == 2 and "--examples" in proc.stderr
