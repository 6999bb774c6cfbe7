"""Discovery of configs when no --config is given, and the picker."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from synthlaunch.config import choose_configs, discover_configs
from synthlaunch.console import Output
from synthlaunch.errors import UsageError
from tests.support.configs import RL_MIN, SFT_MIN


def make_tree(root: Path) -> None:
    files = {
        "rl.toml": RL_MIN,
        "configs/sft/a.toml": SFT_MIN,
        "configs/rl/deep/b.toml": RL_MIN,
        "pyproject.toml": "[project]\nname = 'x'\n",
        "broken.toml": "a = [\n",
        ".git/c.toml": RL_MIN,
        ".venv/d.toml": RL_MIN,
        "myenv/pyvenv.cfg": "home = /usr\n",
        "myenv/e.toml": RL_MIN,
        "node_modules/pkg/f.toml": RL_MIN,
        "build/g.toml": RL_MIN,
        "dist/h.toml": SFT_MIN,
        "pkg.egg-info/i.toml": RL_MIN,
        "sub/notes.txt": "x",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_discovery_classifies_skips_and_sorts_shallow_first(tmp_path: Path) -> None:
    make_tree(tmp_path)
    found = [(p.relative_to(tmp_path).as_posix(), t) for p, t in discover_configs(tmp_path)]
    assert found == [("rl.toml", "rl"), ("configs/sft/a.toml", "sft"), ("configs/rl/deep/b.toml", "rl")]
    assert [p.name for p, _ in discover_configs(tmp_path, type_filter="sft")] == ["a.toml"]
    assert [p.name for p, _ in discover_configs(tmp_path, type_filter="auto")] == ["rl.toml", "a.toml", "b.toml"]


def test_given_configs_are_returned_in_order_without_discovery(tmp_path: Path) -> None:
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    assert choose_configs(out, ["b.toml", "a.toml"], None, root=tmp_path) == [Path("b.toml"), Path("a.toml")]


def test_without_terminal_lists_candidates_and_says_pass_config(tmp_path: Path) -> None:
    make_tree(tmp_path)
    out = Output(no_input=True, stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(UsageError) as info:
        choose_configs(out, [], "auto", root=tmp_path)
    text = info.value.render()
    assert "rl.toml" in text and "configs/sft/a.toml" in text and "--config" in text
    with pytest.raises(UsageError, match="no SFT training config found"):
        choose_configs(out, [], "sft", root=tmp_path / "sub")


class Interactive(Output):
    @property
    def interactive(self) -> bool:
        return True


def test_picker_asks_until_a_valid_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("9\nx\n2\n"))
    human = io.StringIO()
    out = Interactive(stdout=human, stderr=io.StringIO())
    assert choose_configs(out, [], None, root=tmp_path) == [tmp_path / "configs/sft/a.toml"]
    assert "1. rl.toml  (rl)" in human.getvalue() and "please type numbers between 1 and 3" in human.getvalue()
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    with pytest.raises(UsageError, match="no config chosen"):
        choose_configs(out, [], None, root=tmp_path)


def test_picker_accepts_several_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("3, 1\n"))
    out = Interactive(stdout=io.StringIO(), stderr=io.StringIO())
    candidates = [p for p, _ in discover_configs(tmp_path)]
    assert choose_configs(out, [], None, root=tmp_path) == [candidates[2], candidates[0]]  # in the order typed


def test_discovery_skips_test_hidden_and_git_ignored_folders(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "real.toml").write_text(RL_MIN)
    for folder in ("tests/corpus", ".hidden", "scratch"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "x.toml").write_text(RL_MIN)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("scratch/\n")
    assert [p.name for p, _ in discover_configs(tmp_path)] == ["real.toml"]
