"""The secret-leak check (no key value, nor any 8-character fragment of one, in an output) and
NDJSON parsing of a stdout that must hold only JSON objects."""

from __future__ import annotations

import json
from typing import Any, Iterable

FRAGMENT = 8  # no secret value, nor any 8-character fragment of one, may appear in any output


def fragments(secret: str, size: int = FRAGMENT) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def leaked(text: str, secrets: Iterable[str]) -> list[str]:
    """The fragments of any secret that appear in `text` (empty when nothing leaked)."""
    return sorted(f for secret in secrets for f in fragments(secret) if f in text)


def assert_no_leak(text: str, secrets: Iterable[str], label: str) -> None:
    """Fail, naming `label` and the fragments, when any fragment of a secret is in `text`."""
    found = leaked(text, secrets)
    assert not found, f"{label}: fragment(s) {found[:3]} of a key leaked:\n{text[-3000:]}"


def ndjson(text: str) -> list[dict[str, Any]]:
    """Parse NDJSON stdout; every non-blank line must be a JSON object (else the test fails)."""
    docs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                raise AssertionError(f"stdout line {number} is not JSON ({exc}): {line[:200]!r}") from None
            assert isinstance(doc, dict), f"stdout line {number} is not an object: {line[:200]!r}"
            docs.append(doc)
    return docs
