"""Masking of secrets. Every byte the tool prints or writes as output goes through `redact`.

Three rules, applied together:
- by value: every registered secret value, and any fragment of one that stands as words of its own
  (servers echo key prefixes in error bodies), is replaced by its masked form. A fragment counts
  when it is the whole secret, or at least `LONG_FRAGMENT` characters long, or at least
  `MIN_FRAGMENT` characters that start where a word starts and end where a word ends (words are
  runs of letters and digits). A short match inside a longer word that is not the key (a path
  segment, a temp folder name) is left alone, so a path never becomes `/tmp/sk_l…9f/run`;
- by key name: in mappings, values under names that denote a secret (`api_key`, `*_api_key`,
  `token`, `access_token`, `secret`, `client_secret`, `password`, `authorization`, …) are masked,
  and nothing else (`max_tokens`, `idempotency_key`, `key_source` stay visible); in text,
  `Authorization: Bearer …`, `X-API-Key: …` and `SOMETHING_API_KEY=…` assignments are masked;
- echoed key prefixes (`expected_api_key_prefix`, `allowed_first15`, `candidates_first15`, …, and
  "expected prefix XXXX" in text) are clipped to `PREFIX_CHARS` characters: a server that echoes
  the first 15 characters of the *right* key gives away most of it otherwise.

Masked form: first 4 characters, `…`, last 2 (`sk_l…9f`); short values become `****`.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Iterable

MIN_FRAGMENT = 8
#: a fragment this long is masked wherever it stands, even inside a longer word
LONG_FRAGMENT = 16
MIN_SECRET = 6  # shorter values are too likely to occur by chance; they are still masked by key name
#: characters of an echoed key prefix that may be shown
PREFIX_CHARS = 4

#: a name part that makes the whole name a secret wherever it stands (`client_secret`, `db_password`)
_SECRET_PARTS = frozenset({"authorization", "password", "passwd", "passphrase", "secret", "credential",
                           "credentials", "apikey", "cookie", "bearer"})
#: a last part `key`/`keys` is a secret after one of these (`api_key`, `x_api_keys`, `private_key`)
_KEY_QUALIFIERS = frozenset({"api", "secret", "private", "access", "signing", "encryption", "auth",
                             "master", "session", "client"})
#: a name ending in one of these describes a secret without being one (`api_key_source`, `secret_name`)
_DESCRIBING_PARTS = frozenset({"prefix", "source", "sources", "name", "names", "count", "len", "lens",
                               "length", "file", "path", "hint", "set", "present", "missing", "required",
                               "type", "header", "env", "var", "vars"})
_NAME_PARTS = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: names whose values are echoed key prefixes: clipped to PREFIX_CHARS characters
_PREFIX_NAME = re.compile(r"(?i)(?:^|_)first_?\d+$|(?:key|token|secret|expected)_?prefix(?:es)?$")
_TEXT_PATTERNS = (
    # Authorization: Bearer xxx / authorization=xxx
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)([^\s\"',}]+)"),
    # X-API-Key: xxx, X-API-Keys: a,b
    re.compile(r"(?i)(x-api-keys?[\"']?\s*[:=]\s*[\"']?)([^\s\"'}]+)"),
    # SYNTH_API_KEY=xxx, ENVIRONMENT_API_KEY: xxx, "api_key": "xxx", password=xxx (not max_tokens=…)
    re.compile(r"(?i)(\b[A-Z0-9_]*(?:API_KEYS?|SECRET(?:_KEY)?|TOKEN|PASSWORD|PASSWD)\b[\"']?\s*[:=]\s*[\"']?)"
               r"(?!\*\*\*\*)([^\s\"',}]+)"),
)
#: "expected prefix 'sk_live_abc'", "expected_api_key_prefix: sk_live_abc" in text
_PREFIX_TEXT = re.compile(r"(?i)(expected[ _-]?(?:api[ _-]?key[ _-]?)?prefix[\"']?\s*[:=]?\s*(?:of\s+)?[\"']?)"
                          r"([^\s\"',}\u2026]{%d,})" % (PREFIX_CHARS + 1))
#: `allowed_first15': ['sk_live_abcdefg']`, `"got_first15": "…"` in text (a body that was not parsed)
_FIRST_N_TEXT = re.compile(r"(?i)(first_?\d+|(?:key|token|secret|expected)_?prefix(?:es)?)"
                           r"([\"']?\s*[:=]\s*)(\[[^\]]*\]|[\"'][^\"']*[\"'])")
_QUOTED = re.compile(r"([\"'])([^\"']*)([\"'])")
MASK_CHAR = "\u2026"  # …


def mask(value: object) -> str:
    """Masked form of a secret: first 4 characters, `…`, last 2; `****` for short values."""
    text = "" if value is None else str(value)
    if MASK_CHAR in text or text == "****":
        return text  # already masked: masking is idempotent
    if len(text) < 10:
        return "****"
    return f"{text[:4]}{MASK_CHAR}{text[-2:]}"


def _name_parts(name: str) -> list[str]:
    """`X-API-Key` → [x, api, key]; `maxTokens` → [max, tokens]; `SYNTH_API_KEY` → [synth, api, key]."""
    return _NAME_PARTS.findall(_CAMEL.sub("_", name.strip()).lower())


def is_sensitive_name(name: object) -> bool:
    """True when a mapping key's name denotes a secret: a part such as `secret`, `password`,
    `authorization`; a last part `token` (`access_token`, not `max_tokens`); a last part `key`/`keys`
    after `api`, `private`, `secret`, … (`synth_api_key`, not `idempotency_key`). A name that ends in a
    describing word (`api_key_prefix`, `secret_name`, `key_source`) is not a secret."""
    if not isinstance(name, str):
        return False
    parts = _name_parts(name)
    if not parts or parts[-1] in _DESCRIBING_PARTS:
        return False
    if any(p in _SECRET_PARTS for p in parts) or parts[-1] == "token":
        return True
    return parts[-1] in ("key", "keys") and len(parts) > 1 and parts[-2] in _KEY_QUALIFIERS


def is_key_prefix_name(name: object) -> bool:
    """True when a mapping key's name says its value is an echoed key prefix (`allowed_first15`,
    `expected_api_key_prefix`): such values are clipped to `PREFIX_CHARS` characters."""
    return isinstance(name, str) and bool(_PREFIX_NAME.search("_".join(_name_parts(name))))


def clip_prefix(value: Any) -> Any:
    """An echoed key prefix cut to `PREFIX_CHARS` characters (`sk_l…`); lists clipped item by item."""
    if isinstance(value, (list, tuple)):
        return [clip_prefix(v) for v in value]
    if isinstance(value, str) and len(value) > PREFIX_CHARS and not value.endswith(MASK_CHAR):
        return value[:PREFIX_CHARS] + MASK_CHAR
    return value


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
            if _counts(text, start, end, owner):
                out.append(text[pos:start])
                out.append(mask(owner))
            else:  # a short piece of a longer word that is not the key: leave the word alone
                out.append(text[pos:end])
            pos = end
        out.append(text[pos:])
        text = "".join(out)
    for pat in _TEXT_PATTERNS:
        text = pat.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    text = _PREFIX_TEXT.sub(lambda m: m.group(1) + clip_prefix(m.group(2)), text)
    return _FIRST_N_TEXT.sub(lambda m: m.group(1) + m.group(2) + _QUOTED.sub(
        lambda q: q.group(1) + clip_prefix(q.group(2)) + q.group(3), m.group(3)), text)


def _counts(text: str, start: int, end: int, owner: str) -> bool:
    """Whether the secret fragment `text[start:end]` (grown as far as it follows `owner`) is masked:
    it is the whole secret, or `LONG_FRAGMENT` characters long, or it covers at least `MIN_FRAGMENT`
    characters from the start of a word to the end of a word (a word: letters and digits)."""
    if end - start >= LONG_FRAGMENT or text[start:end] == owner:
        return True
    first_word_start = next((i for i in range(start, end) if i == 0 or not text[i - 1].isalnum()), None)
    last_word_end = next((j for j in range(end, start, -1) if j == len(text) or not text[j].isalnum()), None)
    return first_word_start is not None and last_word_end is not None \
        and last_word_end - first_word_start >= MIN_FRAGMENT


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
                    else _redact(clip_prefix(v), extra) if is_key_prefix_name(k)
                    else _redact(v, extra))
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_redact(v, extra) for v in obj]
    return obj
