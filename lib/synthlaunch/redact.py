"""Masking of secrets. Every byte the tool prints or writes as output goes through `redact`.

Two rules, applied together:
- by value: every registered secret value, and any fragment of one at least `MIN_FRAGMENT`
  characters long (servers echo key prefixes in error bodies), is replaced by its masked form;
- by key name: in mappings, values under names like `*key*`, `*token*`, `*secret*`,
  `authorization`, `password` are masked; in text, `Authorization: Bearer …` and
  `SOMETHING_KEY=…` assignments are masked.

Masked form: first 4 characters, `…`, last 2 (`sk_l…9f`); short values become `****`.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Iterable

MIN_FRAGMENT = 8
MIN_SECRET = 6  # shorter values are too likely to occur by chance; they are still masked by key name

_SENSITIVE_NAME = re.compile(r"(key|token|secret|authorization|password|passwd|credential)", re.I)
# Names that contain "key" but are not secrets: they describe a key, or are public by design.
_NOT_SECRET_NAMES = frozenset({
    "key", "keys", "idempotency_key", "missing_keys", "key_source", "keyname", "key_name",
    "dotted_key", "monkey",
})
_TEXT_PATTERNS = (
    # Authorization: Bearer xxx / authorization=xxx
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)([^\s\"',}]+)"),
    # X-API-Key: xxx, X-API-Keys: a,b
    re.compile(r"(?i)(x-api-keys?[\"']?\s*[:=]\s*[\"']?)([^\s\"'}]+)"),
    # SYNTH_API_KEY=xxx, ENVIRONMENT_API_KEY: xxx, "api_key": "xxx", password=xxx
    re.compile(r"(?i)(\b[A-Z0-9_]*(?:API_KEY|SECRET|TOKEN|PASSWORD)[A-Z0-9_]*[\"']?\s*[:=]\s*[\"']?)"
               r"(?!\*\*\*\*)([^\s\"',}]+)"),
)
MASK_CHAR = "\u2026"  # …


def mask(value: object) -> str:
    """Masked form of a secret: first 4 characters, `…`, last 2; `****` for short values."""
    text = "" if value is None else str(value)
    if MASK_CHAR in text or text == "****":
        return text  # already masked: masking is idempotent
    if len(text) < 10:
        return "****"
    return f"{text[:4]}{MASK_CHAR}{text[-2:]}"


def is_sensitive_name(name: object) -> bool:
    """True when a mapping key's name says its value is a secret."""
    if not isinstance(name, str):
        return False
    norm = name.strip().lower().replace("-", "_")
    if norm in _NOT_SECRET_NAMES or norm.endswith(("_prefix", "_source", "_sources", "_names")):
        return False
    return bool(_SENSITIVE_NAME.search(norm))


class SecretRegistry:
    """The set of secret values known to this process (thread-safe; registration is idempotent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._cached: tuple[re.Pattern[str] | None, tuple[str, ...]] = (None, ())

    def add(self, *values: object) -> None:
        with self._lock:
            for v in values:
                if v is None:
                    continue
                s = str(v).strip()
                if len(s) >= MIN_SECRET and MASK_CHAR not in s:
                    self._secrets.add(s)
            self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None

    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._secrets)

    def _compiled(self, extra: frozenset[str]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
        if not extra and self._pattern is not None:
            return self._cached
        compiled = self._build(self.values() | extra)
        if not extra:
            with self._lock:
                self._pattern, self._cached = compiled[0] or re.compile(r"(?!x)x"), compiled
        return compiled

    @staticmethod
    def _build(values: frozenset[str]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
        secrets = tuple(sorted(values, key=len, reverse=True))
        if not secrets:
            return None, ()
        grams: set[str] = set()
        for s in secrets:
            if len(s) < MIN_FRAGMENT:
                grams.add(s)
            else:
                grams.update(s[i:i + MIN_FRAGMENT] for i in range(len(s) - MIN_FRAGMENT + 1))
        alternation = "|".join(re.escape(g) for g in sorted(grams, key=len, reverse=True))
        return re.compile(alternation), secrets


REGISTRY = SecretRegistry()


def register_secret(*values: object) -> None:
    """Remember secret values so that every later `redact` call masks them (and their fragments)."""
    REGISTRY.add(*values)


def _redact_text(text: str, secrets: frozenset[str]) -> str:
    pattern, ordered = REGISTRY._compiled(secrets)
    if pattern is not None and pattern.search(text):
        out: list[str] = []
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            start, end = m.start(), m.end()
            owner = next((s for s in ordered if m.group(0) in s), m.group(0))
            # grow the match while it is still a fragment of the same secret
            while end < len(text) and text[start:end + 1] in owner:
                end += 1
            while start > pos and text[start - 1:end] in owner:
                start -= 1
            out.append(text[pos:start])
            out.append(mask(owner))
            pos = end
        out.append(text[pos:])
        text = "".join(out)
    for pat in _TEXT_PATTERNS:
        text = pat.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return text


def redact(obj: Any, secrets: Iterable[object] | None = None) -> Any:
    """A copy of `obj` (text, or JSON-like data) with every secret masked.

    `secrets` adds values to the ones already registered with `register_secret`.
    """
    extra = frozenset(str(s) for s in (secrets or ()) if s is not None and len(str(s)) >= MIN_SECRET)
    return _redact(obj, extra)


def _redact(obj: Any, extra: frozenset[str]) -> Any:
    if isinstance(obj, str):
        return _redact_text(obj, extra)
    if isinstance(obj, bytes):
        return _redact_text(obj.decode("utf-8", "replace"), extra)
    if isinstance(obj, dict):
        return {k: (mask(v) if is_sensitive_name(k) and isinstance(v, (str, int)) and v not in ("", None)
                    else _redact(v, extra))
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_redact(v, extra) for v in obj]
    return obj
