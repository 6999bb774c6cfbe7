"""`--set key.path=value`: overrides of a config's keys, typed by the schema and then validated like the file.

A value is read as the schema's kind of that key wants it: a string key takes the text as it is
(`--set job.model=Qwen/Qwen3-4B`), numbers and booleans are read as TOML literals, anything else
(arrays, unknown keys) as a TOML literal when it is one, else as text. A value that does not fit
(`--set compute.gpu_count=two`) is kept as text, so the schema reports it like a bad value in the file.
"""

from __future__ import annotations

import copy
import re
import sys
from typing import Any, Iterable, Mapping

from ..errors import UsageError
from . import schema

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as _toml

_KEY = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_set(text: str) -> tuple[str, str]:
    """`key.path=value` → (dotted key, raw value text); a UsageError that shows the expected form."""
    if not isinstance(text, str) or "=" not in text:
        raise UsageError(f"--set {text!r}: expected KEY.PATH=VALUE",
                         hint="e.g. --set hyperparameters.learning_rate=2e-5")
    key, _, value = text.partition("=")
    key = key.strip()
    if not _KEY.match(key):
        raise UsageError(f"--set {text!r}: {key!r} is not a dotted key of bare names",
                         hint="e.g. --set compute.gpu_count=2 (letters, digits, _ and - separated by dots)")
    return key, value.strip()


def _literal(raw: str) -> tuple[bool, Any]:
    """(True, value) when `raw` is a TOML value literal, else (False, None)."""
    try:
        return True, _toml.loads(f"v = {raw}")["v"]
    except (_toml.TOMLDecodeError, ValueError, TypeError, RecursionError):
        return False, None


def _sections(job_type: str | None) -> list[schema.Section]:
    prefixes = ("RL_",) if job_type == "rl" else ("SFT_",) if job_type == "sft" else ("RL_", "SFT_")
    return [v for k, v in vars(schema).items() if isinstance(v, schema.Section) and k.startswith(prefixes)]


def key_spec(dotted: str, job_type: str | None) -> schema.Key | None:
    """The schema's Key for a dotted path of this job type (None when the schema does not know it)."""
    section_name, _, name = dotted.rpartition(".")
    for section in _sections(job_type):
        if section.name == section_name and name in section.keys:
            return section.keys[name]
    return None


def typed_value(raw: str, spec: schema.Key | None) -> Any:
    """`raw` read as the schema's kind of its key wants (see the module's docstring)."""
    kind = spec.kind if spec is not None else None
    is_literal, value = _literal(raw)
    if kind == "str":
        return value if is_literal and isinstance(value, str) else raw
    if kind == "bool":
        low = raw.strip().lower()
        return True if low in _TRUE else False if low in _FALSE else raw
    if kind in ("int", "number"):
        return value if is_literal and isinstance(value, (int, float)) and not isinstance(value, bool) else raw
    return value if is_literal else raw


def apply_overrides(data: Mapping[str, Any], overrides: Iterable[tuple[str, str]],
                    job_type: str | None) -> dict[str, Any]:
    """A deep copy of `data` with each (dotted key, raw value) set, typed by the schema of `job_type`.
    Tables on the way are created; a value in the way of a table is a UsageError."""
    result = copy.deepcopy(dict(data))
    for dotted, raw in overrides:
        parts = dotted.split(".")
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise UsageError(f"--set {dotted}: {where} is a value in the config, not a table")
            node = child
        node[parts[-1]] = typed_value(raw, key_spec(dotted, job_type))
    return result


def overrides_text(overrides: Iterable[tuple[str, str]]) -> str:
    """`a.b=1, c.d=x` for the settings summary."""
    return ", ".join(f"{k}={v}" for k, v in overrides)
