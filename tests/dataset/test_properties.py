"""Property tests of the line validator: the fast path never accepts what the exact checker rejects,
valid examples take the fast path, and whole-file results do not depend on block boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlaunch import dataset as ds
from synthlaunch.dataset import check_line, fast_ok, validate_dataset
from synthlaunch.errors import DatasetError


def any_fast_accepts(line: bytes) -> bool:
    """True when `fast_ok`, or either fast decoder on its own (after the UTF-8 check), accepts."""
    if fast_ok(line):
        return True
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    for variant in (ds._fast_typed, ds._fast_raw):
        try:
            variant(line)
        except Exception:
            continue
        return True
    return False


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=8)



def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """Usually a valid value, sometimes anything: so that one wrong field in an otherwise valid
    example is common (that is where a lax fast path would show)."""
    return st.integers(0, 7).flatmap(lambda n: bad if n == 0 else good)


# values that are usually right and sometimes wrong for each field
roles = mostly(st.sampled_from(["user", "assistant", "system", "tool"]),
               st.one_of(st.just(""), st.just("  "), st.just("narrator"), json_values))
contents = mostly(st.one_of(st.text(max_size=20), st.none(), st.lists(json_values, max_size=2),
                            st.dictionaries(st.text(max_size=4), json_values, max_size=2)), json_values)
tool_calls = mostly(
    st.lists(st.one_of(st.fixed_dictionaries({"function": st.fixed_dictionaries({"name": st.text(max_size=4)})}),
                       st.fixed_dictionaries({"name": mostly(st.text(min_size=1, max_size=4), json_values)}),
                       st.fixed_dictionaries({"function": json_values, "name": json_values})), max_size=2),
    json_values)
optional_strings = mostly(st.one_of(st.text(max_size=5), st.none()), json_values)


@st.composite
def messages(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 20)) == 0:
        return draw(json_values)
    msg: dict[str, object] = {}
    if draw(st.integers(0, 15)):
        msg["role"] = draw(roles)
    if draw(st.booleans()):
        msg["content"] = draw(contents)
    if draw(st.integers(0, 3)) == 0:
        msg["tool_calls"] = draw(tool_calls)
    for key in ("name", "reasoning", "raw_content"):
        if draw(st.integers(0, 5)) == 0:
            msg[key] = draw(optional_strings)
    if draw(st.integers(0, 5)) == 0:
        msg["extra"] = draw(json_values)
    return msg


tools = mostly(st.lists(mostly(
    st.fixed_dictionaries({"name": mostly(st.text(min_size=1, max_size=4), json_values)},
                          optional={"description": optional_strings,
                                    "parameters": mostly(st.one_of(st.none(), st.dictionaries(
                                        st.text(max_size=3), json_values, max_size=2)), json_values)}),
    json_values), max_size=2), json_values)


@st.composite
def examples(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 20)) == 0:
        return draw(json_values)
    obj: dict[str, object] = {}
    if draw(st.integers(0, 15)):
        obj["messages"] = draw(st.one_of(st.lists(messages(), max_size=3), json_values)
                               if draw(st.integers(0, 8)) == 0 else st.lists(messages(), min_size=1, max_size=3))
    if draw(st.integers(0, 4)) == 0:
        obj["tools"] = draw(tools)
    if draw(st.integers(0, 4)) == 0:
        obj["metadata"] = draw(mostly(st.one_of(st.none(), st.dictionaries(st.text(max_size=3), json_values,
                                                                            max_size=2)), json_values))
    if draw(st.integers(0, 4)) == 0:
        obj["other"] = draw(json_values)
    return obj


def encode(obj: object, ascii_only: bool) -> bytes:
    return json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    """A serialised example, sometimes with a byte changed, inserted or removed (syntax, UTF-8)."""
    line = encode(draw(examples()), draw(st.booleans()))
    for _ in range(draw(st.integers(0, 2))):
        if not line:
            break
        at = draw(st.integers(0, len(line) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = bytes([draw(st.sampled_from([0x00, 0x09, 0x0d, 0x20, 0x22, 0x2c, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d,
                                            0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xf0, 0xff]))])
        if op == "replace":
            line = line[:at] + byte + line[at + 1:]
        elif op == "insert":
            line = line[:at] + byte + line[at:]
        else:
            line = line[:at] + line[at + 1:]
    return line.replace(b"\n", b" ")


@SETTINGS
@given(mutated_lines())
def test_fast_path_never_accepts_what_the_checker_rejects(line: bytes) -> None:
    if ds.is_blank(line):
        return
    if any_fast_accepts(line):
        assert check_line(line) is None, line


valid_examples = st.fixed_dictionaries(
    {"messages": st.lists(st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "tool"])},
        optional={"content": st.one_of(st.text(max_size=6), st.none(), st.lists(json_values, max_size=2)),
                  "tool_calls": st.lists(st.one_of(
                      st.fixed_dictionaries({"function": st.fixed_dictionaries({"name": st.just("f")})}),
                      st.fixed_dictionaries({"name": st.just("g")})), min_size=1, max_size=2),
                  "name": st.text(max_size=3), "reasoning": st.text(max_size=3),
                  "raw_content": st.text(max_size=3)}), min_size=1, max_size=2)},
    optional={"tools": st.lists(st.fixed_dictionaries(
                  {"name": st.just("t")}, optional={"description": st.text(max_size=3),
                                                    "parameters": st.dictionaries(st.text(max_size=2), json_values,
                                                                                  max_size=2)}),
                  min_size=1, max_size=2),
              "metadata": st.dictionaries(st.text(max_size=3), json_values, max_size=2)})


def _slots(obj: dict) -> list[tuple[object, object]]:
    """Every (container, key) whose value the rules constrain."""
    slots: list[tuple[object, object]] = [(obj, "messages"), (obj, "tools"), (obj, "metadata")]
    for i, msg in enumerate(obj["messages"]):
        slots.append((obj["messages"], i))
        slots += [(msg, key) for key in ("role", "content", "tool_calls", "name", "reasoning", "raw_content")]
        for j, call in enumerate(msg.get("tool_calls") or []):
            slots += [(msg["tool_calls"], j), (call, "function"), (call, "name")]
    for j, tool in enumerate(obj.get("tools") or []):
        slots += [(obj["tools"], j), (tool, "name"), (tool, "description"), (tool, "parameters")]
    return slots


@st.composite
def one_field_changed(draw: st.DrawFn) -> dict:
    """A valid example with exactly one constrained value replaced by any JSON value."""
    obj = draw(valid_examples)
    container, key = draw(st.sampled_from(_slots(obj)))
    container[key] = draw(json_values)  # type: ignore[index]
    return obj


@settings(max_examples=300, deadline=None)
@given(one_field_changed(), st.booleans())
def test_one_wrong_field_never_slips_through_the_fast_path(obj: dict, ascii_only: bool) -> None:
    line = encode(obj, ascii_only)
    if any_fast_accepts(line):
        assert check_line(line) is None, line
    else:
        assert check_line(line) is not None or b"\\ud" in line.lower() or _has_slow_role(obj), line


@SETTINGS
@given(valid_examples, st.booleans())
def test_valid_examples_take_the_fast_path(obj: dict, ascii_only: bool) -> None:
    line = encode(obj, ascii_only)
    assert check_line(line) is None
    assert fast_ok(line) or b"\\ud" in line.lower(), line


@SETTINGS
@given(examples(), st.booleans())
def test_checker_agrees_with_the_rules_written_out(obj: object, ascii_only: bool) -> None:
    line = encode(obj, ascii_only)
    verdict = check_line(line)
    assert (verdict is None) == (ds.check_example(json.loads(line)) == [])
    if verdict is None and fast_ok(line):
        return
    if verdict is None:
        # valid lines leave the fast path only for reasons it cannot express cheaply
        assert b"\\ud" in line.lower() or _has_slow_role(obj), line


def _has_slow_role(obj: object) -> bool:
    """A valid role the fast path does not decode (blank ones are invalid, others just slow)."""
    msgs = obj.get("messages") if isinstance(obj, dict) else None
    return any(isinstance(m, dict) and isinstance(m.get("role"), str) and m["role"] not in ds.FAST_ROLES
               for m in msgs or [])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(mutated_lines(), st.sampled_from([b"", b"  ", b"\r"])), min_size=1, max_size=12),
       st.integers(1, 300), st.booleans())
def test_file_result_matches_line_by_line_checks(tmp_path: Path, lines: list[bytes], read_size: int,
                                                 final_newline: bool) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    if data.startswith(ds.BOM):
        data = b" " + data
    path = tmp_path / "prop.jsonl"
    path.write_bytes(data)
    expected = [(i, check_line(line)) for i, line in enumerate(lines, 1) if not ds.is_blank(line)]
    expected_problems = [(i, msg) for i, msg in expected if msg is not None]
    old = ds.READ_SIZE
    ds.READ_SIZE = read_size
    try:
        report = validate_dataset(path, max_problems=100)
    except DatasetError as exc:
        got = [(p.line, p.message) for p in exc.problems]
        if expected:
            assert got == expected_problems
        else:
            assert got == [(None, "no examples: the file is empty or holds only blank lines")]
    else:
        assert expected_problems == [] and report.examples == len(expected) > 0
        assert report.bytes == len(data)
    finally:
        ds.READ_SIZE = old


def test_block_size_default_is_sane() -> None:
    assert ds.READ_SIZE >= 64 * 1024 and ds.MAX_LINE_BYTES > ds.READ_SIZE


@pytest.mark.parametrize("line", [b'{"messages": [{"role": "u", "content": "\\ud800"}]}'])
def test_lone_surrogate_escapes_are_accepted_like_python_json(line: bytes) -> None:
    assert check_line(line) is None
