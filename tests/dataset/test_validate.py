"""validate_dataset: the rules, the edge cases handled on purpose, line numbers, problem limits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from synthlaunch import dataset as ds
from synthlaunch.dataset import DatasetReport, validate_dataset
from synthlaunch.errors import EXIT_INVALID_INPUT, DatasetError

GOOD = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
GOOD_LINE = json.dumps(GOOD).encode()


def write(tmp_path: Path, data: bytes, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def problems_of(path: Path, **kwargs) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        validate_dataset(path, **kwargs)
    assert info.value.exit_code == EXIT_INVALID_INPUT
    return info.value


def test_valid_file_counts_hashes_and_sizes(tmp_path: Path) -> None:
    data = b"\n".join([GOOD_LINE] * 5) + b"\n"
    path = write(tmp_path, data)
    report = validate_dataset(path)
    assert isinstance(report, DatasetReport)
    assert (report.examples, report.bytes) == (5, len(data))
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.path == path


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_LINE + b"\n\n   \n\t\r\n" + b'{"messages": []}\n' + GOOD_LINE + b"\n")
    err = problems_of(path)
    assert [(p.line, p.path) for p in err.problems] == [(5, str(path))]
    assert f"{path}:5: `messages` is empty" in err.render()


def test_crlf_line_ends_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, (GOOD_LINE + b"\r\n") * 3 + b"[]\r\n")
    err = problems_of(path)
    assert [p.line for p in err.problems] == [4]  # CRLF does not shift the numbering
    ok = write(tmp_path, (GOOD_LINE + b"\r\n") * 3, "ok.jsonl")
    assert validate_dataset(ok).examples == 3


def test_last_line_without_newline_is_an_example(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_LINE + b"\n" + GOOD_LINE)
    assert validate_dataset(path).examples == 2
    bad = write(tmp_path, GOOD_LINE + b"\n" + b'{"messages": 1}', "bad.jsonl")
    assert [p.line for p in problems_of(bad).problems] == [2]


def test_bom_at_start_is_a_problem_but_line_one_is_still_checked(tmp_path: Path) -> None:
    path = write(tmp_path, ds.BOM + b'{"messages": 5}\n' + GOOD_LINE + b"\n")
    err = problems_of(path)
    messages = [(p.line, p.message) for p in err.problems]
    assert messages[0][0] == 1 and "byte order mark" in messages[0][1]
    assert messages[1][0] == 1 and "`messages` must be a list" in messages[1][1]
    only_bom = write(tmp_path, ds.BOM + GOOD_LINE + b"\n", "bom.jsonl")
    assert len(problems_of(only_bom).problems) == 1


def test_bom_in_the_middle_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_LINE + b"\n" + ds.BOM + GOOD_LINE + b"\n")
    err = problems_of(path)
    assert err.problems[0].line == 2 and "byte order mark" in err.problems[0].message


def test_non_utf8_bytes_name_line_byte_and_column(tmp_path: Path) -> None:
    latin1 = json.dumps({"messages": [{"role": "user", "content": "café"}]}, ensure_ascii=False).encode("latin-1")
    path = write(tmp_path, GOOD_LINE + b"\n" + latin1 + b"\n")
    err = problems_of(path)
    (problem,) = err.problems
    assert problem.line == 2
    column = latin1.index(b"\xe9") + 1
    assert f"byte 0xE9 at column {column}" in problem.message and "UTF-8" in problem.message


def test_invalid_utf8_in_an_unknown_key_is_caught(tmp_path: Path) -> None:
    # the fast path skips unknown keys without decoding them: the UTF-8 check must still see them
    line = b'{"messages": [{"role": "user", "content": "x"}], "extra": "\xff\xfe"}'
    err = problems_of(write(tmp_path, line + b"\n"))
    assert "not valid UTF-8" in err.problems[0].message


def test_huge_line_is_a_problem_and_the_rest_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds, "MAX_LINE_BYTES", 64 * 1024)
    monkeypatch.setattr(ds, "READ_SIZE", 4096)
    huge = json.dumps({"messages": [{"role": "user", "content": "x" * 200_000}]}).encode()
    path = write(tmp_path, GOOD_LINE + b"\n" + huge + b"\n" + GOOD_LINE + b"\n" + b"[]\n")
    err = problems_of(path)
    assert [(p.line, "longer than" in p.message) for p in err.problems] == [(2, True), (4, False)]
    # a huge last line without newline is reported too
    path2 = write(tmp_path, GOOD_LINE + b"\n" + huge, "tail.jsonl")
    assert [p.line for p in problems_of(path2).problems] == [2]


def test_long_line_below_the_limit_spanning_many_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds, "READ_SIZE", 1024)
    long = json.dumps({"messages": [{"role": "user", "content": "y" * 50_000}]}).encode()
    path = write(tmp_path, (long + b"\n" + GOOD_LINE + b"\n") * 3 + b"{}\n")
    err = problems_of(path)
    assert [p.line for p in err.problems] == [7]


def test_block_boundaries_do_not_change_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [GOOD_LINE, b"", b'{"messages": [{"role": ""}]}', "é".encode() * 3, GOOD_LINE + b"\r"] * 7
    data = b"\n".join(lines)
    path = write(tmp_path, data)
    expected = [(p.line, p.message) for p in problems_of(path, max_problems=1000).problems]
    for size in (1, 2, 3, 7, 64, 333):
        monkeypatch.setattr(ds, "READ_SIZE", size)
        err = problems_of(path, max_problems=1000)
        assert [(p.line, p.message) for p in err.problems] == expected, size


def test_at_most_max_problems_then_how_many_more(tmp_path: Path) -> None:
    path = write(tmp_path, b"[]\n" * 25)
    err = problems_of(path)
    assert len(err.problems) == 20 and err.more == 5
    assert "and 5 more problem(s)" in err.render()
    assert "25 problems" in err.render()
    assert len(problems_of(path, max_problems=3).problems) == 3


def test_empty_and_blank_only_files_have_no_examples(tmp_path: Path) -> None:
    for data in (b"", b"\n\n  \r\n"):
        err = problems_of(write(tmp_path, data))
        assert "no examples" in err.problems[0].message


def test_missing_directory_and_unreadable_paths(tmp_path: Path) -> None:
    err = problems_of(tmp_path / "nope.jsonl")
    assert err.problems[0].path == str(tmp_path / "nope.jsonl") and "not found" in err.problems[0].message
    assert "directory" in problems_of(tmp_path).problems[0].message


def test_progress_reports_every_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds, "READ_SIZE", 100)
    data = (GOOD_LINE + b"\n") * 20
    seen: list[tuple[int, int]] = []
    validate_dataset(write(tmp_path, data), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(data), len(data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_limit_stops_after_n_examples(tmp_path: Path) -> None:
    path = write(tmp_path, (GOOD_LINE + b"\n\n") * 10 + b"[]\n")
    report = validate_dataset(path, limit=4)
    assert report.examples == 4
    # a problem within the first N is reported with the real path and line
    bad = write(tmp_path, GOOD_LINE + b"\n\n[]\n" + GOOD_LINE + b"\n", "bad.jsonl")
    assert [p.line for p in problems_of(bad, limit=2).problems] == [3]


@pytest.mark.parametrize("obj, fragment", [
    ([1], "expected a JSON object, got a list"),
    ({}, "missing `messages`"),
    ({"messages": {}}, "`messages` must be a list, got an object"),
    ({"messages": []}, "`messages` is empty"),
    ({"messages": ["hi"]}, "`messages[0]` must be an object, got a string"),
    ({"messages": [{"content": "x"}]}, "`messages[0].role` is missing"),
    ({"messages": [{"role": 1}]}, "`messages[0].role` must be a string, got a number"),
    ({"messages": [{"role": "  "}]}, "`messages[0].role` is empty"),
    ({"messages": [{"role": "user", "content": True}]}, "`messages[0].content` must be null, a string, a list"),
    ({"messages": [{"role": "user", "tool_calls": {}}]}, "`messages[0].tool_calls` must be a list"),
    ({"messages": [{"role": "user", "tool_calls": [1]}]}, "`messages[0].tool_calls[0]` must be an object"),
    ({"messages": [{"role": "user", "tool_calls": [{"function": {"name": " "}}]}]}, "non-empty `function.name` or `name`"),
    ({"messages": [{"role": "user", "name": 3}]}, "`messages[0].name` must be a string"),
    ({"messages": [{"role": "user", "reasoning": []}]}, "`messages[0].reasoning` must be a string"),
    ({"messages": [{"role": "user", "raw_content": {}}]}, "`messages[0].raw_content` must be a string"),
    ({**GOOD, "tools": {}}, "`tools` must be a list"),
    ({**GOOD, "tools": [1]}, "`tools[0]` must be an object"),
    ({**GOOD, "tools": [{"description": "d"}]}, "`tools[0].name` must be a non-empty string (missing)"),
    ({**GOOD, "tools": [{"name": "t", "description": 1}]}, "`tools[0].description` must be a string"),
    ({**GOOD, "tools": [{"name": "t", "parameters": []}]}, "`tools[0].parameters` must be an object"),
    ({**GOOD, "metadata": "m"}, "`metadata` must be an object, got a string"),
])
def test_each_rule_has_a_precise_message(tmp_path: Path, obj: object, fragment: str) -> None:
    line = json.dumps(obj).encode()
    assert not ds.fast_ok(line)  # the fast path must not vouch for it, with either decoder
    for variant in (ds._fast_typed, ds._fast_raw):
        with pytest.raises(Exception):
            variant(line)
    path = write(tmp_path, line + b"\n")
    err = problems_of(path)
    assert fragment in err.problems[0].message
    assert str(err.problems[0]).startswith(f"{path}:1: ")


@pytest.mark.parametrize("obj", [
    {"messages": [{"role": "user"}]},                                   # content absent = null
    {"messages": [{"role": "user", "content": None}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]},
    {"messages": [{"role": "user", "content": {"parts": []}}]},
    {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "f"}}]}]},
    {"messages": [{"role": "assistant", "tool_calls": [{"name": "f"}], "name": "bot", "reasoning": "r",
                   "raw_content": "x"}]},
    {"messages": [{"role": "assistant", "tool_calls": None, "name": None}], "tools": None, "metadata": None},
    {**GOOD, "tools": [{"name": "t", "description": "d", "parameters": {"type": "object"}}], "metadata": {"a": 1}},
    {**GOOD, "extra": {"anything": [1, 2.5, None, True]}, "id": 7},
])
def test_valid_shapes(tmp_path: Path, obj: object) -> None:
    assert validate_dataset(write(tmp_path, json.dumps(obj).encode() + b"\n")).examples == 1


@pytest.mark.parametrize("line, fragment", [
    (b'{"messages": [', "invalid JSON"),
    (b'{"messages": [{"role": "user", "content": NaN}]}', "invalid JSON"),
    (GOOD_LINE + b" " + GOOD_LINE, "invalid JSON"),          # two values on one line
    (b'{"messages": [{"role": "user", "content": "x"}], "messages": 1}', "must be a list"),  # last key wins
])
def test_json_level_problems(tmp_path: Path, line: bytes, fragment: str) -> None:
    assert fragment in problems_of(write(tmp_path, line + b"\n")).problems[0].message


def test_an_object_spread_over_lines_is_invalid(tmp_path: Path) -> None:
    pretty = json.dumps(GOOD, indent=2).encode()
    err = problems_of(write(tmp_path, pretty + b"\n"), max_problems=100)
    assert err.problems[0].line == 1 and len(err.problems) + err.more == pretty.count(b"\n") + 1


def test_roles_outside_the_fast_set_are_valid(tmp_path: Path) -> None:
    obj = {"messages": [{"role": "narrator", "content": "x"}, {"role": "User", "content": "y"}]}
    line = json.dumps(obj).encode()
    assert not ds.fast_ok(line) and ds.check_line(line) is None
    assert validate_dataset(write(tmp_path, line + b"\n")).examples == 1


@pytest.mark.parametrize("content, valid", [("東京 数据 ответ λόγος", True), (5, False), (True, False),
                                            ([{"text": "東京"}], True), (None, True)])
def test_text_heavy_in_multibyte_characters_takes_the_same_rules(tmp_path: Path, content: object,
                                                                 valid: bool) -> None:
    # lines where many bytes are multi-byte characters use the decoder that leaves contents raw
    obj = {"messages": [{"role": "user", "content": content}], "note": "東京数据ответλόγος" * 20}
    line = json.dumps(obj, ensure_ascii=False).encode()
    assert len(line) - len(line.decode()) > len(line) >> 5
    path = write(tmp_path, line + b"\n")
    if valid:
        assert validate_dataset(path).examples == 1 and ds.fast_ok(line)
    else:
        assert "`messages[0].content` must be" in problems_of(path).problems[0].message


def test_limit_counts_lines_not_problems(tmp_path: Path) -> None:
    # the BOM problem is not one of the N lines; invalid lines are
    path = write(tmp_path, ds.BOM + GOOD_LINE + b"\n" + GOOD_LINE + b"\n" + b"[]\n" + b"{}\n")
    err = problems_of(path, limit=3)
    assert [p.line for p in err.problems] == [1, 3]


HEAVY = {"messages": [{"role": "user", "content": "東京 数据 ответ λόγος " * 8},
                      {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "f"}}]}]}


@pytest.mark.parametrize("good", [GOOD, HEAVY], ids=["light", "heavy"])
@pytest.mark.parametrize("bad, fragment", [
    (b'{"messages": [{"role": "user", "content": 5}]}', "`messages[0].content` must be"),
    ('{"messages": [{"role": "user", "content": "東京"}], "metadata": 3}'.encode(), "`metadata` must be an object"),
    (b'{"messages": [{"role": "user", "content": "caf\xe9"}]}', "not valid UTF-8"),
    (b'{"messages": [{"role": "user", "content": "x", "extra": "\xff"}]}', "not valid UTF-8"),
    (b"   ", None),   # blank lines are skipped, not counted
    (b"", None),
])
def test_one_bad_line_in_a_block_of_good_ones(tmp_path: Path, good: dict, bad: bytes, fragment: str | None) -> None:
    # a whole block is first checked at once (one decoder, one UTF-8 check); one bad or blank line
    # among many good ones must still be found on its own line, and the others still counted
    line = json.dumps(good, ensure_ascii=False).encode()
    lines = [line] * 200
    lines[137] = bad
    path = write(tmp_path, b"\n".join(lines) + b"\n")
    if fragment is None:
        assert validate_dataset(path).examples == 199
    else:
        err = problems_of(path)
        assert [p.line for p in err.problems] == [138] and fragment in err.problems[0].message
