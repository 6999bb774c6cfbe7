"""SFT chat JSONL: one streaming pass that validates every line, counts examples, hashes and sizes.

Rules (docs/configs.md, "Dataset JSONL"): UTF-8; blank lines skipped; physical
1-based line numbers; each non-blank line one JSON object with a non-empty `messages` list of
messages (non-empty string `role`; `content` null, string, list or object; optional `tool_calls`
list of objects naming a function by `function.name` or `name`; optional string `name`,
`reasoning`, `raw_content`), optional `tools` (objects with a non-empty string `name`, optional
string `description`, optional object `parameters`) and optional object `metadata`. Other keys
are allowed. An optional key whose value is `null` counts as absent (as in the reference client).

How the edge cases are handled, on purpose:
- non-UTF-8 bytes: a problem naming the line, the byte and its column;
- a UTF-8 byte order mark: a problem on line 1 (the file is uploaded byte for byte, and JSON
  parsers on the backend reject a BOM), the rest of line 1 is still checked;
- CRLF line ends: accepted (`\\r` is JSON whitespace), line numbers unchanged;
- a last line without a newline: accepted like any other line;
- a line longer than `MAX_LINE_BYTES`: a problem, skipped without being held in memory.

Speed: the file is read in binary blocks (hashed by a background thread: hashlib releases the
GIL), split into lines here, and each line goes through a msgspec decoder of typed Structs that
validates while decoding (messages are a union tagged by `role`, so the common roles need no
Python-level check at all), after a UTF-8 check of the line (msgspec skips unknown keys without
decoding them). Lines heavy in multi-byte characters use a variant that leaves `content`
undecoded (its type is read from its first byte) so their text is not decoded twice. A block's
lines are first checked together (UTF-8 and the choice of decoder once per block, iterating in C);
only a block with a bad or whitespace-only line is gone through line by line. Only the
lines the fast path rejects take the slow path (`check_line`), which is the authority: it parses
with `json` and says exactly what is wrong. The property tests check that the fast path never
accepts a line the slow path rejects.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import shutil
import struct
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional, Union

import msgspec

from .errors import DatasetError, Problem, UsageError

READ_SIZE = 1024 * 1024          # bytes per read (and per sha256 update on the hashing thread)
MAX_LINE_BYTES = 8 * 1024 * 1024   # ~2M tokens: far above any model context; keeps peak memory < 100 MB
BOM = b"\xef\xbb\xbf"
BLANK = b" \t\r"                 # JSON whitespace besides the newline itself
DEFAULT_MAX_PROBLEMS = 20
FORMAT_HINT = ('each non-blank line must be one JSON object like {"messages": [{"role": "user", "content": "…"}, '
               '{"role": "assistant", "content": "…"}]}; fix the lines listed and run again')

ProgressFn = Callable[[int, int], None]


@dataclass
class DatasetReport:
    """What one validation pass found: the file, its examples, size and sha256 (hex)."""

    path: Path
    examples: int
    bytes: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "examples": self.examples, "bytes": self.bytes, "sha256": self.sha256}


# -- the slow path: exact messages -----------------------------------------------------------------

def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _tool_call_named(call: dict[str, Any]) -> bool:
    function = call.get("function")
    return (isinstance(function, dict) and _nonempty_str(function.get("name"))) or _nonempty_str(call.get("name"))


def check_example(obj: Any) -> list[str]:
    """Every rule `obj` (one parsed line) breaks, as messages with a dotted location; [] when valid."""
    if not isinstance(obj, dict):
        return [f"expected a JSON object, got {_kind(obj)}"]
    problems: list[str] = []
    if "messages" not in obj:
        problems.append("missing `messages` (a list of chat messages)")
    else:
        messages = obj["messages"]
        if not isinstance(messages, list):
            problems.append(f"`messages` must be a list, got {_kind(messages)}")
        elif not messages:
            problems.append("`messages` is empty; it needs at least 1 message")
        else:
            for i, message in enumerate(messages):
                problems += _check_message(message, f"messages[{i}]")
    tools = obj.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            problems.append(f"`tools` must be a list, got {_kind(tools)}")
        else:
            for j, tool in enumerate(tools):
                where = f"tools[{j}]"
                if not isinstance(tool, dict):
                    problems.append(f"`{where}` must be an object, got {_kind(tool)}")
                    continue
                if not _nonempty_str(tool.get("name")):
                    problems.append(f"`{where}.name` must be a non-empty string"
                                    + ("" if "name" in tool else " (missing)"))
                if tool.get("description") is not None and not isinstance(tool["description"], str):
                    problems.append(f"`{where}.description` must be a string, got {_kind(tool['description'])}")
                if tool.get("parameters") is not None and not isinstance(tool["parameters"], dict):
                    problems.append(f"`{where}.parameters` must be an object, got {_kind(tool['parameters'])}")
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        problems.append(f"`metadata` must be an object, got {_kind(metadata)}")
    return problems


def _check_message(message: Any, where: str) -> list[str]:
    if not isinstance(message, dict):
        return [f"`{where}` must be an object, got {_kind(message)}"]
    problems: list[str] = []
    if "role" not in message:
        problems.append(f"`{where}.role` is missing")
    elif not isinstance(message["role"], str):
        problems.append(f"`{where}.role` must be a string, got {_kind(message['role'])}")
    elif not message["role"].strip():
        problems.append(f"`{where}.role` is empty")
    content = message.get("content")
    if content is not None and not isinstance(content, (str, list, dict)):
        problems.append(f"`{where}.content` must be null, a string, a list or an object, got {_kind(content)}")
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            problems.append(f"`{where}.tool_calls` must be a list, got {_kind(calls)}")
        else:
            for j, call in enumerate(calls):
                if not isinstance(call, dict):
                    problems.append(f"`{where}.tool_calls[{j}]` must be an object, got {_kind(call)}")
                elif not _tool_call_named(call):
                    problems.append(f"`{where}.tool_calls[{j}]` needs a non-empty `function.name` or `name`")
    for key in ("name", "reasoning", "raw_content"):
        value = message.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"`{where}.{key}` must be a string, got {_kind(value)}")
    return problems


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use null or a string)")


def is_blank(line: bytes) -> bool:
    """True for a line holding only JSON whitespace (it is skipped, not counted)."""
    return not line.strip(BLANK)


def check_line(line: bytes) -> str | None:
    """What is wrong with one non-blank line (without its newline), or None when it is a valid example."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"not valid UTF-8: byte 0x{line[exc.start]:02X} at column {exc.start + 1} "
                f"({exc.reason}); save the file as UTF-8")
    if text.startswith("\ufeff"):
        return ("starts with a UTF-8 byte order mark (BOM), which JSON does not allow "
                "(were files joined together?); remove it")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError and the constants above
        if isinstance(exc, json.JSONDecodeError):
            return f"invalid JSON: {exc.msg} (column {exc.colno})"
        return f"invalid JSON: {exc}"
    problems = check_example(obj)
    return "; ".join(problems) if problems else None


# -- the fast path: typed decoding that validates as it goes -------------------------------------

class _ToolCall(msgspec.Struct, gc=False):
    function: Any = None
    name: Any = None

    def __post_init__(self) -> None:  # _tool_call_named, inlined (decoded values are exact types)
        function, name = self.function, self.name
        if type(function) is dict:
            fname = function.get("name")
            if type(fname) is str and fname.strip():
                return
        if type(name) is str and name.strip():
            return
        raise ValueError("tool call without a name")


class _Tool(msgspec.Struct, gc=False):
    name: str
    description: Optional[str] = None
    parameters: Optional[dict[str, msgspec.Raw]] = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("empty tool name")


#: roles decoded by the fast path; a message with any other (valid) role takes the slow path
FAST_ROLES = ("system", "user", "assistant", "tool", "developer", "function")


class _MessageBase(msgspec.Struct, tag_field="role", gc=False):
    """A message; `role` is the tag, so a missing, empty or unknown role fails decoding."""

    content: Union[None, str, list, dict] = None  # noqa: UP007 - msgspec reads the annotation
    tool_calls: Optional[list[_ToolCall]] = None
    name: Optional[str] = None
    reasoning: Optional[str] = None
    raw_content: Optional[str] = None


class _RawMessageBase(msgspec.Struct, tag_field="role", gc=False):
    """The same, with `content` left undecoded: its type is checked from its first byte."""

    content: msgspec.Raw = msgspec.Raw(b"null")
    tool_calls: Optional[list[_ToolCall]] = None
    name: Optional[str] = None
    reasoning: Optional[str] = None
    raw_content: Optional[str] = None


def _example_type(base: type, name: str) -> type:
    messages = tuple(msgspec.defstruct(f"{name}_{role}", [], bases=(base,), tag=role, gc=False) for role in FAST_ROLES)
    return msgspec.defstruct(name, [
        ("messages", Annotated[list[Union[messages]], msgspec.Meta(min_length=1)]),  # type: ignore[valid-type]
        ("tools", Optional[list[_Tool]], None),
        ("metadata", Optional[dict[str, msgspec.Raw]], None),
    ], gc=False)


_DECODE: Callable[[bytes], Any] = msgspec.json.Decoder(_example_type(_MessageBase, "_Example")).decode
_DECODE_RAW: Callable[[bytes], Any] = msgspec.json.Decoder(_example_type(_RawMessageBase, "_RawExample")).decode
_CONTENT_FIRST = frozenset(b'n"[{')  # null, string, list, object
_FIRST_BYTE = struct.Struct("B").unpack_from  # (first byte,) of a buffer: cheaper than memoryview(raw)[0]
_CONTENT_OK = frozenset((byte,) for byte in _CONTENT_FIRST)
_MESSAGES = attrgetter("messages")


def _fast_typed(line: bytes) -> None:
    """Raise unless the line is a valid example (UTF-8 checked by the caller)."""
    _DECODE(line)


def _fast_raw(line: bytes) -> None:
    """As `_fast_typed`, without decoding message contents a second time (non-ASCII-heavy text)."""
    for m in _DECODE_RAW(line).messages:
        if _FIRST_BYTE(m.content) not in _CONTENT_OK:
            raise ValueError("content type")


def _prefers_raw(line: bytes) -> bool:
    """Which fast decoder suits a line; raises UnicodeDecodeError when it is not UTF-8.

    Decoding message contents costs more than checking them from their first byte when they
    hold many multi-byte characters (the line was just decoded to check UTF-8, since msgspec
    skips unknown keys without decoding them: its length tells how many); ASCII and mostly-ASCII
    text is cheaper typed. (Counting `\\u` escapes in ASCII lines would cost more than it saves.)
    """
    if line.isascii():
        return False
    return len(line) - len(line.decode("utf-8")) > len(line) >> 5


def fast_ok(line: bytes) -> bool:
    """True when the fast path accepts the line (then `check_line` accepts it too)."""
    try:
        if _prefers_raw(line):
            _fast_raw(line)
        else:
            _fast_typed(line)
    except Exception:
        return False
    return True


# -- the pass ---------------------------------------------------------------------------------------

class _Hasher:
    """sha256 on a background thread (hashlib releases the GIL for large updates); bounded queue."""

    def __init__(self, depth: int = 8) -> None:
        self._hash = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def close(self) -> str:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return self._hash.hexdigest()


class _Tally:
    """Examples and problems found so far."""

    def __init__(self, path: Path, max_problems: int) -> None:
        self.path = str(path)
        self.max_problems = max_problems
        self.examples = 0
        self.invalid_lines = 0  # non-blank lines with a problem
        self.problems: list[Problem] = []
        self.more = 0

    def problem(self, lineno: int | None, message: str) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(message, path=self.path, line=lineno))
        else:
            self.more += 1

    def slow(self, line: bytes, lineno: int) -> None:
        if is_blank(line):
            return
        message = check_line(line)
        if message is None:
            self.examples += 1
        else:
            self.invalid_lines += 1
            self.problem(lineno, message)

    def lines(self, lines: list[bytes], first_lineno: int) -> None:
        """Check complete lines (without newlines) numbered from `first_lineno`."""
        if not self._block(lines):
            self._each(lines, first_lineno)

    def _block(self, lines: list[bytes]) -> bool:
        """The fast path for a whole block: True (and counted) when every non-empty line is a valid example.

        The same checks as `fast_ok`, but the UTF-8 check and the choice of decoder are made once
        for the block, iterating in C (`map`) instead of per line in Python; one decoder suits a
        whole block as well as each line (only speed depends on the choice). Any failure (an
        invalid or blank line) returns False, and `_each` checks the block line by line.
        """
        if b"" in lines:  # blank lines between examples: skipped, not counted
            lines = [line for line in lines if line]
        try:
            if all(map(bytes.isascii, lines)):
                heavy = False
            else:  # decoding raises unless UTF-8; the length difference counts multi-byte characters
                size = sum(map(len, lines))
                heavy = size - sum(map(len, map(bytes.decode, lines))) > size >> 5  # see _prefers_raw
            if heavy:
                decode_raw, first, first_ok = _DECODE_RAW, _FIRST_BYTE, _CONTENT_OK
                for messages in map(_MESSAGES, map(decode_raw, lines)):
                    for m in messages:
                        if first(m.content) not in first_ok:
                            return False
            else:
                deque(map(_DECODE, lines), maxlen=0)
        except Exception:  # any failure of the fast path: let the line-by-line pass find it
            return False
        self.examples += len(lines)
        return True

    def _each(self, lines: list[bytes], first_lineno: int) -> None:
        """`fast_ok` line by line (inlined), and the slow path for every line it rejects."""
        decode, decode_raw, first, first_ok = _DECODE, _DECODE_RAW, _FIRST_BYTE, _CONTENT_OK
        good = 0
        for i, line in enumerate(lines):
            try:
                if not line.isascii() and (size := len(line)) - len(line.decode("utf-8")) > size >> 5:
                    # see _prefers_raw
                    for m in decode_raw(line).messages:
                        if first(m.content) not in first_ok:
                            raise ValueError
                else:
                    decode(line)
                good += 1
            except Exception:  # any failure of the fast path: let the slow path decide
                self.slow(line, first_lineno + i)
        self.examples += good


def _open_problem(path: Path, exc: OSError) -> DatasetError:
    if isinstance(exc, FileNotFoundError):
        message, hint = "file not found", ("check the path; dataset paths in a config are resolved against "
                                           "the config file's folder, --dataset against the current one")
    elif isinstance(exc, IsADirectoryError):
        message, hint = "is a directory, not a JSONL file", "pass the path of the .jsonl file itself"
    elif isinstance(exc, PermissionError):
        message, hint = "cannot be read: permission denied", "check the file's permissions"
    else:
        message, hint = f"cannot be read: {exc.strerror or exc}", None
    return DatasetError([Problem(message, path=str(path))], hint=hint)


def _open(path: Path):  # noqa: ANN202 - a binary file object
    try:
        fh = open(path, "rb", buffering=0)
        if os.path.isdir(path):
            fh.close()
            raise IsADirectoryError(21, "Is a directory", str(path))
        return fh
    except OSError as exc:
        raise _open_problem(path, exc) from None


def validate_dataset(path: str | os.PathLike[str], *, progress: ProgressFn | None = None,
                     max_problems: int = DEFAULT_MAX_PROBLEMS, limit: int | None = None) -> DatasetReport:
    """Validate a chat JSONL file in one streaming pass; count examples, sha256 and bytes.

    Raises DatasetError (exit 2) listing up to `max_problems` problems as `path:line: message`, then
    how many more; a missing or unreadable file is a DatasetError naming the path. `progress(done,
    total)` is called after each block. With `limit`, stops after that many non-blank lines (their
    bytes and sha256 are not the whole file's then).
    """
    path = Path(path)
    tally = _Tally(path, max_problems)
    fh = _open(path)
    total = os.fstat(fh.fileno()).st_size
    hasher = _Hasher()
    done = 0
    lineno = 0                 # lines completed so far
    parts: list[bytes] = []    # the current unfinished line, in pieces
    parts_len = 0
    skipping = False           # inside a line longer than MAX_LINE_BYTES
    first = True
    try:
        with fh:
            while True:
                chunk = fh.read(READ_SIZE)
                if not chunk:
                    break
                hasher.update(chunk)
                done += len(chunk)
                if first:
                    first = False
                    if chunk.startswith(BOM):
                        tally.problem(1, "the file starts with a UTF-8 byte order mark (BOM), which JSON does "
                                         "not allow; save it as UTF-8 without BOM")
                        chunk = chunk[len(BOM):]
                if skipping:
                    cut = chunk.find(b"\n")
                    if cut < 0:
                        continue
                    skipping = False
                    lineno += 1
                    chunk = chunk[cut + 1:]
                lines = chunk.split(b"\n")
                tail = lines.pop()  # the unfinished last line of this block (maybe empty)
                if not lines:       # no newline in this block: a long line goes on
                    parts.append(tail)
                    parts_len += len(tail)
                    if parts_len > MAX_LINE_BYTES:
                        tally.problem(lineno + 1, f"line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB; "
                                                  "split or shorten this example")
                        parts, parts_len, skipping = [], 0, True
                    continue
                if parts:           # at most MAX_LINE_BYTES + READ_SIZE long
                    parts.append(lines[0])
                    lines[0] = b"".join(parts)
                if limit is not None:
                    lines = _take(lines, limit - tally.examples - tally.invalid_lines)
                tally.lines(lines, lineno + 1)
                lineno += len(lines)
                parts, parts_len = ([tail], len(tail)) if tail else ([], 0)
                if progress is not None:
                    progress(done, total)
                if limit is not None and tally.examples + tally.invalid_lines >= limit:
                    parts = []
                    break
            if parts and not skipping:  # the last line has no newline
                tally.lines([b"".join(parts)], lineno + 1)
                lineno += 1
            if progress is not None:
                progress(done, total)
    finally:
        digest = hasher.close()
    if tally.examples == 0 and not tally.problems:
        tally.problem(None, "no examples: the file is empty or holds only blank lines")
    if tally.problems:
        count = len(tally.problems) + tally.more
        raise DatasetError(tally.problems, more=tally.more,
                           header=f"{path}: {count} problem{'s' if count != 1 else ''} in the dataset",
                           hint=FORMAT_HINT)
    return DatasetReport(path=path, examples=tally.examples, bytes=done, sha256=digest)


def _take(lines: list[bytes], budget: int) -> list[bytes]:
    """The leading lines holding at most `budget` non-blank lines (blank ones in between kept)."""
    taken = 0
    for i, line in enumerate(lines):
        if not is_blank(line):
            if taken == budget:
                return lines[:i]
            taken += 1
    return lines


# -- --examples N ---------------------------------------------------------------------------------

def _iter_lines(fh: Any) -> Iterator[bytes]:
    """Lines of a binary file without their newlines, reading blocks; huge lines raise DatasetError."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = fh.read(READ_SIZE)
        if not chunk:
            break
        start = 0
        while True:
            cut = chunk.find(b"\n", start)
            if cut < 0:
                parts.append(chunk[start:])
                size += len(chunk) - start
                if size > MAX_LINE_BYTES:
                    raise ValueError("line too long")
                break
            parts.append(chunk[start:cut])
            yield b"".join(parts)
            parts, size = [], 0
            start = cut + 1
    if parts and b"".join(parts):
        yield b"".join(parts)


@contextlib.contextmanager
def head_examples(path: str | os.PathLike[str], n: int) -> Iterator[Path]:
    """Yield a temporary `<stem>.head<N>.jsonl` holding the first `n` non-blank lines of `path`.

    Reads only as far as needed (the cost does not grow with the file's size); the temporary folder
    is removed on exit, whatever happens. Blank lines and a leading BOM are not copied.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"--examples must be a whole number of at least 1, got {n!r}")
    path = Path(path)
    fh = _open(path)
    folder = tempfile.mkdtemp(prefix="synthlaunch-examples-")
    try:
        target = Path(folder) / f"{path.stem}.head{n}.jsonl"
        written = 0
        with fh, open(target, "wb") as dest:
            lineno = 0
            try:
                for line in _iter_lines(fh):
                    lineno += 1
                    if lineno == 1 and line.startswith(BOM):
                        line = line[len(BOM):]
                    if is_blank(line):
                        continue
                    dest.write(line + b"\n")
                    written += 1
                    if written >= n:
                        break
            except ValueError:
                raise DatasetError([Problem(f"line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB; "
                                            "split or shorten this example", path=str(path),
                                            line=lineno + 1)]) from None
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def examples_or_all(path: str | os.PathLike[str], n: int | None) -> Iterator[Path]:
    """`head_examples(path, n)`, or `path` itself when `n` is None (no --examples)."""
    if n is None:
        yield Path(path)
        return
    with head_examples(path, n) as head:
        yield head


# -- content warnings: lines that are valid JSON chat examples, but probably not what was meant ------

#: how many content warnings are listed at most (then "... and N more")
MAX_CONTENT_WARNINGS = 20


def content_warnings(path: str | os.PathLike[str], *, limit: int | None = None,
                     max_warnings: int = MAX_CONTENT_WARNINGS) -> list[Problem]:
    """Warnings (errors with `--strict`) with their line numbers: an unknown role (`usr`), an example with
    no assistant turn (nothing to learn), an empty assistant reply. Lines the format check rejects are
    skipped here (they are its errors). Reads the first `limit` non-blank lines with `--examples`."""
    import difflib

    found: list[Problem] = []
    more = 0
    seen = 0

    def note(lineno: int, message: str) -> None:
        nonlocal more
        if len(found) < max_warnings:
            found.append(Problem(message, path=str(path), line=lineno))
        else:
            more += 1

    with _open(Path(path)) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if is_blank(raw):
                continue
            seen += 1
            if limit is not None and seen > limit:
                break
            try:
                obj = msgspec.json.decode(raw)
            except msgspec.DecodeError:
                continue
            messages = obj.get("messages") if isinstance(obj, dict) else None
            if not isinstance(messages, list):
                continue
            roles = [m.get("role") for m in messages if isinstance(m, dict)]
            for role in roles:
                if isinstance(role, str) and role.strip() and role not in FAST_ROLES:
                    close = difflib.get_close_matches(role, FAST_ROLES, n=1, cutoff=0.5)
                    note(lineno, f"unknown role {role!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                             f" (known: {', '.join(FAST_ROLES)})"))
            if "assistant" not in roles:
                note(lineno, "no assistant turn: the example has nothing to learn from")
            for message in messages:
                if isinstance(message, dict) and message.get("role") == "assistant" \
                        and not message.get("tool_calls") and not _has_text(message.get("content")):
                    note(lineno, "empty assistant reply")
                    break
    if more:
        found.append(Problem(f"... and {more} more warning(s)", path=str(path)))
    return found


def _has_text(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):
        return any(_has_text(part.get("text") if isinstance(part, dict) else part) for part in content)
    return content is not None and not isinstance(content, (str, list))
