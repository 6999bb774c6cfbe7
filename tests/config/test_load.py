"""TOML parsing errors carry path:line:col; the key index names the line of every key and table."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthlaunch.config.load import index_key_lines, load_toml, parse_error_position, parse_toml_text
from synthlaunch.errors import ConfigError


@pytest.mark.parametrize("text,line,col", [
    ("a = 1\nb = \n", 2, 5),
    ("[x]\ny = 1\n[x]\n", 3, 3),
    ('a = "unterminated\n', 1, 18),
    ("a = 1\n\n\nb c = 2\n", 4, 3),
])
def test_syntax_error_names_path_line_and_column(write, text: str, line: int, col: int) -> None:
    path = write(text)
    with pytest.raises(ConfigError) as info:
        load_toml(path)
    problem = info.value.problems[0]
    assert (problem.path, problem.line, problem.column) == (str(path), line, col)
    assert str(problem).startswith(f"{path}:{line}:{col}: invalid TOML: ")
    assert "(at line" not in str(problem)  # the position is not repeated in the message


def test_error_at_end_of_document_gets_last_line() -> None:
    text = "a = 1\nb = [1,\n"
    with pytest.raises(ConfigError) as info:
        parse_toml_text(text, "x.toml")
    assert (info.value.problems[0].line, info.value.problems[0].column) == (2, 8)


def test_position_attributes_win_over_message_text() -> None:
    class Fake(Exception):
        msg = "Bad thing"
        lineno = 7
        colno = 3

    assert parse_error_position(Fake(), "") == ("Bad thing", 7, 3)


def test_missing_folder_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_toml(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_toml(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"a = 1\nb = \"\xff\"\n")
    with pytest.raises(ConfigError) as info:
        load_toml(bad)
    assert (info.value.problems[0].line, info.value.problems[0].column) == (2, 6)
    assert str(bad) in info.value.render()


def test_key_lines_tables_keys_dotted_quoted_and_arrays_of_tables() -> None:
    text = """\
# comment
top = 1
[algorithm]
type = "online"   # trailing comment
a.b.c = 2
"quoted key" = 3
'lit' = 4

[training.weight_sync]
interval = 1
[[runs]]
name = "x"
[[runs]]
name = "y"
"""
    lines = index_key_lines(text)
    assert lines.get("top") == 2
    assert lines.get("algorithm") == 3
    assert lines.get("algorithm.type") == 4
    assert lines.get("algorithm.a") == 5 and lines.get("algorithm.a.b.c") == 5
    assert lines.get("algorithm.quoted key") == 6
    assert lines.get("algorithm.lit") == 7
    assert lines.get("training") == 9 and lines.get("training.weight_sync") == 9
    assert lines.get("training.weight_sync.interval") == 10
    assert lines.get("runs") == 11 and lines.get("runs.name") == 12  # first occurrence
    assert lines.find("training.weight_sync.missing") == 9  # nearest written table
    assert lines.find("nothing.here") is None


def test_key_lines_skip_multiline_strings_and_arrays() -> None:
    text = '''\
[job]
notes = """
fake = 1
[fake_table]
"""
seeds = [
  1, 2,
  # fake2 = 3
  3,
]
lit = \'\'\'
[also_fake]
\'\'\'
after = true
inline = { x = 1, y = { z = 2 } }
esc = "a \\" [ # not a comment"
last = 1
'''
    lines = index_key_lines(text)
    assert "job.fake" not in lines and "fake_table" not in lines and "also_fake" not in lines
    assert "job.fake2" not in lines
    assert lines.get("job.seeds") == 6
    assert lines.get("job.after") == 14
    assert lines.get("job.inline.y.z") == 15
    assert lines.get("job.last") == 17


def test_index_agrees_with_parser_on_demo_configs() -> None:
    root = Path(__file__).resolve().parents[2] / "configs"
    for path in sorted(root.rglob("*.toml")):
        data, lines, text = load_toml(path)
        for section, table in data.items():
            if isinstance(table, dict):
                line = lines.get(section)
                assert line is not None, (path, section)
                assert text.splitlines()[line - 1].lstrip().startswith(("[", section)), (path, section)
                for key in table:
                    key_line = lines.get(f"{section}.{key}")
                    assert key_line is not None and key in text.splitlines()[key_line - 1], (path, section, key)


def test_absurd_nesting_is_a_config_error_not_a_crash() -> None:
    deep = "a = " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(ConfigError) as info:
        parse_toml_text(deep, "deep.toml")
    assert info.value.problems[0].path == "deep.toml"
    inline = "a = " + "{b = " * 80 + "1" + "}" * 80 + "\n"
    index_key_lines(inline)
    with pytest.raises(ConfigError, match="nested more than"):
        parse_toml_text(inline, "deep.toml")
