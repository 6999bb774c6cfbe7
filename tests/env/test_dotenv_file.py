"""`.env` write-back: only the saved keys change; everything else is kept byte for byte."""

from __future__ import annotations

import io
import os
import re
import stat

import pytest
from dotenv.parser import parse_stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthlaunch.dotenv_file import encode_value, parse_text, read_values, update_text, write_keys
from synthlaunch.errors import EnvError

KEY = "SYNTH_API_KEY"


def other_text(text: str, key: str) -> str:
    """The file's text without the bindings of `key` (what must not change)."""
    body = text.lstrip("\ufeff")
    kept = []
    for b in parse_stream(io.StringIO(body, newline="")):
        text_ = b.original.string
        # a binding's leading whitespace (blank lines before it) is not part of the key's line
        kept.append(text_ if b.key != key else re.match(r"\s*", text_).group(0))
    return "".join(kept).rstrip("\r\n")


# -- examples ------------------------------------------------------------------------------------

def test_keeps_comments_order_export_and_quotes():
    text = ("# credentials\n"
            "export SYNTH_API_KEY='old value' # my key\n"
            "\n"
            "OTHER=\"quoted # not a comment\"\n"
            "export B=2\n")
    new = update_text(text, {KEY: "sk_new"})
    assert new == ("# credentials\n"
                   "export SYNTH_API_KEY=sk_new # my key\n"
                   "\n"
                   "OTHER=\"quoted # not a comment\"\n"
                   "export B=2\n")


def test_appends_missing_key_with_the_files_line_ending():
    assert update_text("A=1\r\nB=2", {KEY: "v"}) == "A=1\r\nB=2\r\nSYNTH_API_KEY=v\r\n"
    assert update_text("", {KEY: "v"}) == "SYNTH_API_KEY=v\n"


def test_rewrites_every_occurrence():
    new = update_text("SYNTH_API_KEY=a\nX=1\nSYNTH_API_KEY=b\n", {KEY: "c"})
    assert new == "SYNTH_API_KEY=c\nX=1\nSYNTH_API_KEY=c\n"


def test_key_without_value_and_empty_value_with_comment():
    assert update_text("SYNTH_API_KEY\n", {KEY: "v"}) == "SYNTH_API_KEY=v\n"
    assert update_text("SYNTH_API_KEY= # c\n", {KEY: "v"}) == "SYNTH_API_KEY=v # c\n"
    assert update_text('SYNTH_API_KEY="x"#c\n', {KEY: "v"}) == "SYNTH_API_KEY=v #c\n"


@pytest.mark.parametrize("value", ["plain", "with space", "it's", 'say "hi"', "back\\slash", "multi\nline",
                                   "cr\rlf", "tab\there", "#hash", "${NOT_INTERPOLATED}", "ünïcødé ✓", "",
                                   "trailing ", " leading", "a=b", "'", '"', "\\'"])
def test_values_round_trip(value):
    for spelling in encode_value(value):
        assert parse_text(f"K={spelling}\n") == {"K": value}, spelling
    new = update_text("# c\nA=1\n", {KEY: value})
    assert parse_text(new) == {"A": "1", KEY: value}


def test_invalid_key_names_are_refused():
    with pytest.raises(EnvError, match="not a valid variable name"):
        update_text("", {"BAD KEY": "v"})


def test_unsafe_file_is_refused_not_corrupted():
    # an unterminated quote that a quoted new value would close: refuse rather than change A
    text = "A=\"open\nB=1\n"
    before = parse_text(text)
    try:
        new = update_text(text, {KEY: 'needs "quotes" and \n newline'})
    except EnvError as exc:
        assert "cannot safely save" in exc.message
    else:
        assert parse_text(new) == {**before, KEY: 'needs "quotes" and \n newline'}


# -- on disk -------------------------------------------------------------------------------------

def test_new_file_is_created_with_mode_0600(tmp_path):
    path = tmp_path / "sub" / ".env"
    write_keys(path, {KEY: "sk_secret_value"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_values(path) == {KEY: "sk_secret_value"}


def test_existing_file_keeps_its_mode_and_bytes(tmp_path):
    path = tmp_path / ".env"
    path.write_bytes("# keep\r\nexport A='x y'\r\n\r\nunicode=\"ü\"\r\n".encode())
    os.chmod(path, 0o640)
    write_keys(path, {KEY: "v1"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert path.read_bytes() == "# keep\r\nexport A='x y'\r\n\r\nunicode=\"ü\"\r\nSYNTH_API_KEY=v1\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temp file left behind


def test_symlink_target_is_updated_only_with_consent(tmp_path):
    real = tmp_path / "real.env"
    real.write_text("A=1\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    with pytest.raises(EnvError, match="symbolic link to"):
        write_keys(link, {KEY: "v"})
    assert real.read_text() == "A=1\n"
    write_keys(link, {KEY: "v"}, consented=True)
    assert link.is_symlink()
    assert real.read_text() == "A=1\nSYNTH_API_KEY=v\n"


def test_read_values_errors_name_the_file(tmp_path):
    with pytest.raises(EnvError, match="missing.env does not exist"):
        read_values(tmp_path / "missing.env")
    bad = tmp_path / "bad.env"
    bad.write_bytes(b"A=\xff\n")
    with pytest.raises(EnvError, match="bad.env is not UTF-8"):
        read_values(bad)


# -- property: arbitrary .env content round-trips -------------------------------------------------

keys = st.sampled_from([KEY, "OTHER", "export_me", "A1", "DEV_ENVIRONMENT_API_KEY", "B"])
text_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00")
bare = st.text(alphabet="abcXYZ019_-./:@+,", min_size=1, max_size=12)
single = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\\\r\x00"),
                 max_size=12).map(lambda s: f"'{s}'")
double = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"),
                 max_size=12).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
unquoted_spaces = st.text(alphabet="ab c=ü", min_size=1, max_size=10).map(lambda s: s.strip() or "x")
values = st.one_of(bare, single, double, unquoted_spaces, st.just(""))
comment = st.one_of(st.just(""), text_chars.map(lambda c: f" # {c}"), st.text(text_chars, max_size=10)
                    .map(lambda s: f"  #{s}"))


@st.composite
def binding_line(draw):
    indent = draw(st.sampled_from(["", "  ", "\t"]))
    export = draw(st.sampled_from(["", "export "]))
    key = draw(keys)
    if draw(st.integers(0, 9)) == 0:
        return f"{indent}{export}{key}"
    eq = draw(st.sampled_from(["=", " = ", "= "]))
    value = draw(values)
    return f"{indent}{export}{key}{eq}{value}{draw(comment) if value != '' else ''}"


clean_line = st.one_of(binding_line(), st.just(""), st.text(text_chars, max_size=20).map(lambda s: "# " + s))
junk_line = st.text(text_chars, max_size=20)
new_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


def assemble(lines, newline, final, bom):
    text = newline.join(lines) + (newline if final and lines else "")
    return ("\ufeff" if bom else "") + text


def check_update(text, key, value):
    before = parse_text(text)
    new = update_text(text, {key: value})
    assert parse_text(new) == {**before, key: value}
    assert other_text(new, key) == other_text(text, key)
    assert new.startswith("\ufeff") == text.startswith("\ufeff")
    return new


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(clean_line, max_size=10), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans(),
       keys, new_values)
def test_write_back_round_trips_clean_files(lines, newline, final, bom, key, value):
    new = check_update(assemble(lines, newline, final, bom), key, value)
    assert update_text(new, {key: value}) == new  # saving the same value again changes nothing


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(clean_line, junk_line), max_size=10), st.sampled_from(["\n", "\r\n"]),
       st.booleans(), keys, new_values)
def test_write_back_never_changes_other_keys_of_arbitrary_files(lines, newline, final, key, value):
    text = assemble(lines, newline, final, False)
    try:
        check_update(text, key, value)
    except EnvError as exc:  # refusing is allowed only for files python-dotenv cannot fully parse
        assert "cannot safely save" in exc.message
        assert any(b.error for b in parse_stream(io.StringIO(text, newline="")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(clean_line, max_size=6), new_values)
def test_write_keys_on_disk(tmp_path_factory, lines, value):
    path = tmp_path_factory.mktemp("w") / ".env"
    text = "\n".join(lines) + "\n"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    before = read_values(path)
    write_keys(path, {KEY: value})
    assert read_values(path) == {**before, KEY: value}
    with open(path, encoding="utf-8", newline="") as fh:
        assert other_text(fh.read(), KEY) == other_text(text, KEY)
