"""`.env.example` documents every variable the tool reads, and is itself a valid .env file."""

from __future__ import annotations

from pathlib import Path

from synthlaunch.dotenv_file import read_values, unparsable_lines
from synthlaunch.env import KNOWN_KEYS

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_every_known_variable_is_documented():
    text = EXAMPLE.read_text()
    for name in (*KNOWN_KEYS, "CI", "SYNTHLAUNCH_STATE_DIR", "SYNTHLAUNCH_CACHE_DIR"):
        assert f"{name}=" in text, f"{name} missing from .env.example"


def test_example_parses_and_holds_no_value():
    assert unparsable_lines(EXAMPLE) == []
    assert all(not v for v in read_values(EXAMPLE).values())  # placeholders only, never a real key
