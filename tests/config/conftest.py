"""Helpers for config tests: write TOML into tmp_path and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

from tests.support.configs import CHAT_LINE


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(text, name="config.toml") -> path; also creates train.jsonl / val.jsonl next to it."""

    def _write(text: str, name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        for data_name in ("train.jsonl", "val.jsonl"):
            (path.parent / data_name).write_text(CHAT_LINE, encoding="utf-8")
        return path

    return _write
