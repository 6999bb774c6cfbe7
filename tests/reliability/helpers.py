"""Shared helpers of the reliability proofs: backend job/file inventories, leak checks, NDJSON parsing."""

from __future__ import annotations

import json
from typing import Any, Iterable

FRAGMENT = 8  # no secret value, nor any 8-character fragment of one, may appear in any output


def jobs_on(backend: Any) -> dict[str, dict[str, Any]]:
    """Every job the backend holds, by id (read with no faults on the admin-free client)."""
    return {j.get("job_id") or j.get("id"): j for j in backend.client().list_jobs(limit=1000)}


def files_on(backend: Any) -> set[str]:
    return {f["id"] for f in backend.client().list_files(limit=1000)}


def fragments(secret: str, size: int = FRAGMENT) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def leaked(text: str, secrets: Iterable[str]) -> list[str]:
    """The fragments of any secret that appear in `text` (empty when nothing leaked)."""
    return sorted(f for secret in secrets for f in fragments(secret) if f in text)


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
