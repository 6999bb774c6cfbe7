"""Reading `.env` files (python-dotenv) and updating keys in them without disturbing anything else.

`update_text` rewrites only the bindings of the keys being saved; every other byte (comments,
blank lines, order, `export` prefixes, quoting, line endings) stays as it was. `write_keys` does
that on disk atomically (`atomic.atomic_write_text`: temp file in the same folder, fsync,
`os.replace`); an existing file keeps its mode, a new file gets 0600. A process killed mid-write
leaves the old file or the new one, never a partial one.
"""

from __future__ import annotations

import io
import logging
import os
import re
import stat
from pathlib import Path
from typing import Mapping

from .atomic import atomic_write_text
from .errors import EnvError

NEW_FILE_MODE = 0o600
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_./:@+,%^~=-]+\Z")
_EOL = re.compile(r"[^\S\r\n]*(?:\r\n|\n|\r)?\Z")
_SINGLE_QUOTED = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_DOUBLE_QUOTED = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_DOUBLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
BOM = "\ufeff"
# python-dotenv logs unparsable lines itself, bypassing redaction and --json; we report them
# through `unparsable_lines` instead (env.py warns via Output).
logging.getLogger("dotenv.main").setLevel(logging.ERROR)


def read_values(path: str | os.PathLike[str]) -> dict[str, str | None]:
    """The key/value pairs of a .env file as python-dotenv reads them (no `${VAR}` interpolation).

    Raises EnvError when the file cannot be read or is not UTF-8.
    """
    from dotenv import dotenv_values

    try:
        raw = Path(path).read_bytes()
        return dict(dotenv_values(stream=io.StringIO(raw.decode("utf-8"), newline=None), interpolate=False))
    except FileNotFoundError:
        raise EnvError(f"env file {os.fspath(path)} does not exist",
                       hint="check the --env-file path") from None
    except IsADirectoryError:
        raise EnvError(f"env file {os.fspath(path)} is a folder, not a file",
                       hint="pass the path of the .env file itself") from None
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise EnvError(f"env file {os.fspath(path)} is not UTF-8 text ({exc.reason} at line {line}, "
                       f"column {column})", hint="save the file as UTF-8") from None
    except OSError as exc:
        raise EnvError(f"env file {os.fspath(path)} cannot be read: {exc.strerror}") from None


def unparsable_lines(path: str | os.PathLike[str]) -> list[int]:
    """Line numbers (1-based) of statements python-dotenv cannot parse (they are ignored)."""
    from dotenv.parser import parse_stream

    try:
        with open(path, encoding="utf-8") as fh:
            return [b.original.line for b in parse_stream(fh) if b.error]
    except (OSError, UnicodeDecodeError):
        return []


def parse_text(text: str) -> dict[str, str | None]:
    """What python-dotenv reads from `text` as a file (universal newlines, no interpolation)."""
    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(text, newline=None), interpolate=False))


def encode_value(value: str) -> list[str]:
    """Spellings of `value` that python-dotenv reads back exactly, preferred first.

    Bare when only safe characters; single quotes when no quote, backslash or line break needs
    escaping; double quotes with escapes otherwise.
    """
    spellings: list[str] = []
    if value == "" or _BARE_VALUE.match(value):
        spellings.append(value)
    if not any(c in value for c in "'\\\r\n"):
        spellings.append(f"'{value}'")
    spellings.append('"' + "".join(_DOUBLE_ESCAPES.get(c, c) for c in value) + '"')
    return spellings


def _split_binding(original: str, key: str) -> tuple[str, str]:
    """(head up to and including the key, comment + end of line) of one binding's text."""
    head = re.match(r"\s*(?:export[^\S\r\n]+)?(?:'" + re.escape(key) + "'|" + re.escape(key) + ")",
                    original)
    if head is None:  # pragma: no cover - parse_stream said this binding is `key`
        raise ValueError(f"cannot locate {key} in {original!r}")
    rest = original[head.end():]
    eol = _EOL.search(rest)
    assert eol is not None
    body, end = rest[:eol.start()], rest[eol.start():]
    comment = ""
    eq = re.match(r"[^\S\r\n]*=([^\S\r\n]*)", body)
    if eq is None:  # `KEY` or `KEY # comment`
        hash_at = body.find("#")
        comment = body[hash_at:] if hash_at >= 0 else ""
    else:
        value_part = body[eq.end():]
        if eq.group(1) and value_part.startswith("#"):
            comment = value_part
        elif value_part[:1] in ("'", '"'):
            quoted = (_SINGLE_QUOTED if value_part[0] == "'" else _DOUBLE_QUOTED).match(value_part)
            comment = value_part[quoted.end():] if quoted else ""
        else:
            found = re.search(r"\s+#.*", value_part)
            comment = found.group(0) if found else ""
    comment = comment.strip()
    return original[:head.end()], (" " + comment if comment else "") + end


def _newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _render(text: str, updates: Mapping[str, str], spelling: Mapping[str, str]) -> str:
    """`text` with the bindings of `updates` rewritten (all occurrences) or appended."""
    from dotenv.parser import parse_stream

    bom = BOM if text.startswith(BOM) else ""
    pieces: list[str] = []
    seen: set[str] = set()
    for binding in parse_stream(io.StringIO(text[len(bom):], newline="")):
        original = binding.original.string
        if binding.key is not None and binding.key in updates and not binding.error:
            head, tail = _split_binding(original, binding.key)
            pieces.append(f"{head}={spelling[binding.key]}{tail}")
            seen.add(binding.key)
        else:
            pieces.append(original)
    new = bom + "".join(pieces)
    missing = [k for k in updates if k not in seen]
    if missing:
        nl = _newline_of(text)
        if new and not new.endswith(("\n", "\r")):
            new += nl
        new += "".join(f"{k}={spelling[k]}{nl}" for k in missing)
    return new


def update_text(text: str, updates: Mapping[str, str], *, where: str = ".env") -> str:
    """`text` (a .env file's content) with each key of `updates` set to its value.

    Only those keys' lines change: existing bindings are rewritten in place (keeping their
    `export`, their inline comment and their line ending), new keys are appended. The result is
    checked with python-dotenv: every other key reads back exactly as before. Raises EnvError
    when that cannot be guaranteed (e.g. an earlier unterminated quote would swallow the new line).
    """
    for key, value in updates.items():
        if not _KEY_RE.match(key):
            raise EnvError(f"cannot write {key!r} to {where}: not a valid variable name")
        if not isinstance(value, str):
            raise EnvError(f"cannot write {key} to {where}: value must be text")
    expected = {**parse_text(text), **updates}
    options = {k: encode_value(v) for k, v in updates.items()}
    for choice in range(max(len(v) for v in options.values()) if options else 1):
        spelling = {k: opts[min(choice, len(opts) - 1)] for k, opts in options.items()}
        new = _render(text, updates, spelling)
        if parse_text(new) == expected:
            return new
    raise EnvError(f"cannot safely save {', '.join(updates)} to {where}: the file has a line python-dotenv "
                   f"cannot parse (an unterminated quote?) that would change the meaning of other keys",
                   hint=f"fix {where} (or choose another .env), then run again")


def save_concern(path: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """(the file a save to `path` would change, why that needs the user's consent, or None).

    A symbolic link: the key would land in the link's target (named here). A read-only file: it
    would be replaced. A link that points nowhere, or at something that is not a file, is an
    EnvError: nothing is ever created wherever a link points.
    """
    given = Path(path)
    if given.is_symlink():
        real = Path(os.path.realpath(given))
        if not real.is_file():
            state = "which does not exist" if not real.exists() else "which is not a file"
            raise EnvError(f"{os.fspath(path)} is a symbolic link to {real}, {state}; not writing through it",
                           hint="point the link at a file, or choose another .env")
        return real, f"a symbolic link to {real}: the key would be written there"
    try:
        mode = given.stat().st_mode
    except OSError:
        return given, None
    if not stat.S_ISREG(mode):
        raise EnvError(f"{os.fspath(path)} is not a regular file; not writing to it", hint="choose another .env")
    if not mode & stat.S_IWUSR:
        return given, f"read-only (mode {stat.S_IMODE(mode):o}): it would be replaced"
    return given, None


def write_keys(path: str | os.PathLike[str], updates: Mapping[str, str], *, consented: bool = False) -> Path:
    """Set `updates` in the .env file at `path` atomically (created with mode 0600 if missing).

    A symbolic link or a read-only file (`save_concern`) is written only with `consented=True`
    (the link's target is updated, a read-only file replaced keeping its mode); otherwise an
    EnvError naming the real target. Returns the path written.
    """
    target, concern = save_concern(path)
    if concern and not consented:
        raise EnvError(f"not saving to {os.fspath(path)}: it is {concern}",
                       hint="choose another .env, or save there after confirming on a terminal")
    target = Path(os.path.realpath(target))
    try:
        with open(target, encoding="utf-8", newline="") as fh:
            text = fh.read()
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        text, mode = "", NEW_FILE_MODE
    except UnicodeDecodeError:
        raise EnvError(f"cannot save to {path}: it is not UTF-8 text", hint="choose another .env") from None
    except OSError as exc:
        raise EnvError(f"cannot read {path}: {exc.strerror}") from None
    new = update_text(text, updates, where=os.fspath(path))
    try:
        atomic_write_text(target, new, mode=mode)
    except OSError as exc:
        raise EnvError(f"cannot write {path}: {exc.strerror}",
                       hint="check that the folder exists and is writable") from None
    return target
