"""TOML parsing with `path:line:col` errors, and an index from dotted keys to the line that writes them.

`tomllib` (and `tomli`) report positions only inside the message text on Python 3.10-3.13
(`"... (at line 3, column 7)"`); newer versions add `lineno`/`colno`. Both are handled.

The key index is built from the TOML text with a small scanner (tables, arrays of tables, dotted
and quoted keys, multi-line strings and arrays), so every validation problem can name the line
where the key or its table is written.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Problem

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as _toml

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_END = re.compile(r"\s*\(at end of document\)\s*$")


class KeyLines:
    """Dotted key (`training.weight_sync.interval`) → 1-based line where it (or its table) is written."""

    def __init__(self, lines: dict[str, int] | None = None) -> None:
        self._lines: dict[str, int] = dict(lines or {})

    def add(self, dotted: str, line: int) -> None:
        self._lines.setdefault(dotted, line)

    def get(self, dotted: str) -> int | None:
        """The line of exactly this key or table, or None."""
        return self._lines.get(dotted)

    def find(self, dotted: str) -> int | None:
        """The line of this key, else of the nearest enclosing table that is written, else None."""
        parts = dotted.split(".")
        while parts:
            line = self._lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return None

    def __contains__(self, dotted: object) -> bool:
        return dotted in self._lines

    def as_dict(self) -> dict[str, int]:
        return dict(self._lines)

    def __repr__(self) -> str:
        return f"KeyLines({len(self._lines)} keys)"


def parse_error_position(exc: Exception, text: str) -> tuple[str, int | None, int | None]:
    """(message without the position suffix, line, column) of a TOML decode error."""
    message = getattr(exc, "msg", None) or str(exc)
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "colno", None)
    match = _POSITION.search(message)
    if match:
        message = message[: match.start()]
        line, col = line or int(match.group(1)), col or int(match.group(2))
    elif _END.search(message):
        message = _END.sub("", message)
        if line is None:
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
    return message.strip() or "invalid TOML", line, col


def parse_toml_text(text: str, path: str | Path = "<input>") -> dict[str, Any]:
    """Parse TOML text; a ConfigError `path:line:col: message` on a syntax error."""
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        message, line, col = parse_error_position(exc, text)
        raise ConfigError([Problem(f"invalid TOML: {message}", path=str(path), line=line, column=col)],
                          hint="fix the TOML syntax at that position") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. absurdly deep nesting
        raise ConfigError([Problem(f"invalid TOML: {exc}", path=str(path))]) from None
    if _depth(data) > MAX_DEPTH:
        raise ConfigError([Problem(f"values nested more than {MAX_DEPTH} levels deep; this is not a training config",
                                   path=str(path))])
    return data


MAX_DEPTH = 64


def _depth(value: Any) -> int:
    """Nesting depth of tables and arrays, computed without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def read_config_text(path: Path) -> str:
    """The file's text; a ConfigError naming the file when it is missing, a folder, or not UTF-8."""
    where = str(path)
    if not path.exists():
        raise ConfigError([Problem("config file not found (pass an existing --config PATH)", path=where)])
    if path.is_dir():
        raise ConfigError([Problem("is a folder, not a TOML config file", path=where)])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem(f"cannot read the config: {exc.strerror or exc}", path=where)]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([Problem("not valid UTF-8 (TOML files must be UTF-8)", path=where, line=line,
                                   column=col)]) from None


def load_toml(path: str | Path) -> tuple[dict[str, Any], KeyLines, str]:
    """(data, key line index, text) of a TOML file; ConfigError with file:line:col on any failure."""
    path = Path(path)
    text = read_config_text(path)
    data = parse_toml_text(text, path)
    return data, index_key_lines(text), text


# --- key line index -------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _parse_key(s: str, i: int) -> tuple[list[str], int]:
    """Parse a (dotted, possibly quoted) key starting at s[i]; return parts and the index after it."""
    parts: list[str] = []
    n = len(s)
    while True:
        while i < n and s[i] in " \t":
            i += 1
        if i < n and s[i] == '"':
            j = i + 1
            buf = []
            while j < n and s[j] != '"':
                if s[j] == "\\" and j + 1 < n:
                    buf.append(s[j + 1])
                    j += 2
                    continue
                buf.append(s[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        elif i < n and s[i] == "'":
            j = s.find("'", i + 1)
            j = n if j < 0 else j
            parts.append(s[i + 1:j])
            i = j + 1
        else:
            m = _BARE.match(s, i)
            if not m:
                return parts, i
            parts.append(m.group(0))
            i = m.end()
        while i < n and s[i] in " \t":
            i += 1
        if i < n and s[i] == ".":
            i += 1
            continue
        return parts, i


class _ValueScanner:
    """Tracks strings and brackets across lines, to know where a (multi-line) value ends."""

    def __init__(self) -> None:
        self.depth = 0
        self.ml: str | None = None  # '"""' or "'''" while inside a multi-line string

    @property
    def open(self) -> bool:
        return self.depth > 0 or self.ml is not None

    def feed(self, s: str, i: int = 0) -> None:
        n = len(s)
        while i < n:
            if self.ml:
                end = s.find(self.ml, i)
                if self.ml == '"""':
                    # skip escaped quotes
                    while end > 0 and _escaped(s, end):
                        end = s.find(self.ml, end + 1)
                if end < 0:
                    return
                i = end + 3
                while i < n and s[i] == self.ml[0]:  # up to two extra quotes belong to the string
                    i += 1
                self.ml = None
                continue
            ch = s[i]
            if ch == "#":
                return
            if s.startswith('"""', i) or s.startswith("'''", i):
                self.ml = s[i:i + 3]
                i += 3
                continue
            if ch == '"':
                j = i + 1
                while j < n and s[j] != '"':
                    j += 2 if s[j] == "\\" else 1
                i = j + 1
                continue
            if ch == "'":
                j = s.find("'", i + 1)
                i = n if j < 0 else j + 1
                continue
            if ch in "[{":
                self.depth += 1
            elif ch in "]}":
                self.depth = max(0, self.depth - 1)
            i += 1


def _escaped(s: str, pos: int) -> bool:
    backslashes = 0
    k = pos - 1
    while k >= 0 and s[k] == "\\":
        backslashes += 1
        k -= 1
    return backslashes % 2 == 1


def index_key_lines(text: str) -> KeyLines:
    """Map every table header and key of a TOML document to the 1-based line that writes it."""
    index = KeyLines()
    table: list[str] = []
    value = _ValueScanner()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if value.open:
            value.feed(raw)
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            is_array = stripped.startswith("[[")
            parts, _ = _parse_key(stripped, 2 if is_array else 1)
            if parts:
                table = parts
                for k in range(1, len(parts) + 1):
                    index.add(".".join(parts[:k]), lineno)
            continue
        parts, i = _parse_key(raw, 0)
        if not parts or i >= len(raw) or raw[i] != "=":
            continue
        for k in range(1, len(parts) + 1):
            index.add(".".join(table + parts[:k]), lineno)
        _index_inline_table(raw, i + 1, table + parts, lineno, index)
        value.feed(raw, i + 1)
    return index


def _index_inline_table(raw: str, i: int, prefix: list[str], lineno: int, index: KeyLines) -> None:
    """Keys of a one-line inline table (`topology = {a = 1, b = 2}`) point at that line."""
    rest = raw[i:].strip()
    if not rest.startswith("{"):
        return
    try:
        value = _toml.loads(f"x = {rest}")["x"]
    except (_toml.TOMLDecodeError, ValueError, RecursionError):
        return
    if _depth(value) <= MAX_DEPTH:
        _index_mapping(value, prefix, lineno, index)


def _index_mapping(value: Any, prefix: list[str], lineno: int, index: KeyLines) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            index.add(".".join(prefix + [str(key)]), lineno)
            _index_mapping(sub, prefix + [str(key)], lineno, index)
