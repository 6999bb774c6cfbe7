"""Dubious but well-formed dataset lines are warnings with their line number (errors with --strict);
`--examples` larger than the dataset says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from synthlaunch.dataset import content_warnings

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _line(*turns: tuple[str, object]) -> str:
    return json.dumps({"messages": [{"role": role, "content": content} for role, content in turns]})


def _dataset(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join([
        _line(("user", "hi"), ("assistant", "hello")),
        _line(("usr", "hi"), ("assistant", "hello")),
        _line(("user", "hi")),
        _line(("user", "hi"), ("assistant", "  ")),
        "",
        _line(("system", "s"), ("user", "q"), ("assistant", "a")),
    ]) + "\n")
    return path


def test_unknown_role_no_assistant_and_empty_reply_are_warned_with_their_line(tmp_path) -> None:
    found = [(p.line, p.message) for p in content_warnings(_dataset(tmp_path))]
    assert found == [(2, "unknown role 'usr'; did you mean 'user'?"),
                     (3, "no assistant turn: the example has nothing to learn from"),
                     (4, "empty assistant reply")]
    assert [p.line for p in content_warnings(_dataset(tmp_path), limit=2)] == [2]


def _validate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    data = _dataset(tmp_path)
    config = tmp_path / "sft.toml"
    config.write_text((REPO / "configs" / "sft" / "demo.toml").read_text().replace("../datasets/demo.jsonl",
                                                                                    str(data)))
    return subprocess.run([str(BIN / "synthlaunch"), "validate", str(config), *args], cwd=tmp_path,
                          env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=60)


def test_validate_warns_and_strict_makes_them_errors(tmp_path) -> None:
    loose = _validate(tmp_path)
    assert loose.returncode == 0, loose.stderr
    assert "train.jsonl:2: unknown role 'usr'" in loose.stderr and "train.jsonl:4: empty assistant reply" in loose.stderr
    strict = _validate(tmp_path, "--strict")
    assert strict.returncode == 2 and "train.jsonl:3: no assistant turn" in strict.stderr


def test_examples_larger_than_the_dataset_is_said(tmp_path) -> None:
    done = _validate(tmp_path, "--examples", "1000")
    assert "--examples 1000, but the dataset has only 5 example(s)" in done.stderr
