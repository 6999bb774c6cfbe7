"""Flag parsing errors name the flag; atomic writes keep modes; pending submissions are crash-safe."""

import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthlaunch.atomic import atomic_write_text, read_json_file, write_json_file
from synthlaunch.errors import EXIT_INVALID_INPUT, UsageError
from synthlaunch.flags import parse_choice, parse_float, parse_int
from synthlaunch.submissions import PendingSubmissions, fingerprint


def test_parse_errors_name_the_flag() -> None:
    with pytest.raises(UsageError, match="--poll-timeout") as info:
        parse_float("soon", "poll-timeout")
    assert info.value.exit_code == EXIT_INVALID_INPUT
    with pytest.raises(UsageError, match="--examples must be at least 1"):
        parse_int("0", "examples", minimum=1)
    with pytest.raises(UsageError, match="cli, chart, json"):
        parse_choice("table", "stream-format", ("cli", "chart", "json"))
    assert parse_float("2.5", "x", positive=True) == 2.5
    assert parse_int(" 7 ", "x") == 7


@given(st.one_of(st.text(max_size=10), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans()))
def test_parse_never_raises_anything_else(value: object) -> None:
    for parse in (lambda v: parse_int(v, "n", minimum=1), lambda v: parse_float(v, "f", positive=True)):
        try:
            parse(value)
        except UsageError:
            pass


def test_atomic_write_modes(tmp_path) -> None:
    target = tmp_path / "sub" / "secret.json"
    write_json_file(target, {"a": 1})
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert read_json_file(target) == {"a": 1}
    os.chmod(target, 0o640)
    atomic_write_text(target, "{}")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["secret.json"]  # no temp file left
    assert read_json_file(tmp_path / "missing.json", default="d") == "d"


def test_pending_submission_reuses_key_until_confirmed(tmp_path) -> None:
    pending = PendingSubmissions(tmp_path / "pending.json")
    fp = fingerprint("http://x/api", {"model": "m"}, "sha")
    assert fp == fingerprint("http://x/api/", {"model": "m"}, "sha")
    key, reused = pending.key_for(fp)
    assert not reused and key.startswith("synthlaunch-")
    again, reused = pending.key_for(fp)
    assert (again, reused) == (key, True)
    pending.confirm(fp)
    fresh, reused = pending.key_for(fp)
    assert not reused and fresh != key
    explicit, _ = pending.key_for(fingerprint("http://x/api", {"model": "other"}), explicit="mine-1")
    assert explicit == "mine-1"


@pytest.mark.parametrize("content", ['{"a": "junk"}', '{"a": {"created": "soon"}}', '{"fp": {"created": 1e18}}',
                                     '{"fp": {"key": 3}}', "[1, 2]", "not json"])
def test_a_damaged_record_file_is_ignored_not_fatal(tmp_path, content: str) -> None:
    path = tmp_path / "pending.json"
    path.write_text(content)
    key, reused = PendingSubmissions(path).key_for("fp")
    assert key.startswith("synthlaunch-") and not reused
    assert PendingSubmissions(path).key_for("fp") == (key, True)


def test_an_unwritable_state_folder_is_invalid_input_naming_the_variable(tmp_path) -> None:
    from synthlaunch.errors import EnvError

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EnvError) as info:
        PendingSubmissions(blocker / "state" / "pending.json").key_for("fp")
    assert info.value.exit_code == 2 and "SYNTHLAUNCH_STATE_DIR" in (info.value.hint or "")
