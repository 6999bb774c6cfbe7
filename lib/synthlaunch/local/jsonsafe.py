"""What the embedded backend accepts into and serves from its store: JSON it can always answer with.

A value is servable when it nests at most `MAX_DEPTH` levels, has no NaN or Infinity, its
integers fit SQLite's 64-bit range and its text is valid Unicode (JSON's `\ud800` escape makes a
lone surrogate, which no UTF-8 answer can carry). Request bodies that are not are refused (422, naming the
field); a stored row that is not (written by an older version) is repaired where it is served.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: deepest nesting of objects/arrays accepted in a request body (real configs nest < 10)
MAX_DEPTH = 32
#: SQLite's INTEGER range
MAX_INT = 2 ** 63 - 1
MIN_INT = -(2 ** 63)


def _where(path: list[str]) -> str:
    return ".".join(path) or "body"


def problems(value: Any, *, max_depth: int = MAX_DEPTH) -> list[tuple[str, str]]:
    """(dotted location, what is wrong) for each part of `value` that could not be served back.

    Iterative (no recursion), so a value nested thousands of levels deep is reported, not a crash.
    """
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, list[str], int]] = [(value, [], 0)]
    while stack and len(found) < 10:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= max_depth:
                found.append((_where(path), f"nested deeper than {max_depth} levels"))
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and not _encodable(key):
                    found.append((_where(path), "a key is not valid Unicode (a lone surrogate)"))
                    continue
                stack.append((child, [*path, str(key)], depth + 1))
        elif isinstance(item, str) and not _encodable(item):
            found.append((_where(path), "not valid Unicode (a lone surrogate)"))
        elif isinstance(item, float) and not math.isfinite(item):
            found.append((_where(path), f"{item!r} is not a JSON number (NaN and Infinity are refused)"))
        elif isinstance(item, int) and not isinstance(item, bool) and not MIN_INT <= item <= MAX_INT:
            found.append((_where(path), f"integer out of range (at most {MAX_INT} in absolute value)"))
    return sorted(found)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unservable(value: Any) -> str | None:
    """Why `value` cannot be sent as a JSON answer (None when it can)."""
    found = problems(value)
    if found:
        return "; ".join(f"{loc}: {msg}" for loc, msg in found)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return f"not serialisable ({type(exc).__name__})"
    return None

