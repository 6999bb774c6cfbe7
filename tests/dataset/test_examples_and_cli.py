"""--examples N (head_examples) and `inv upload-dataset` as a user runs it (in-process, --json), with
the progress bars on a real terminal (a subprocess)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from synthlaunch import dataset as ds
from synthlaunch.console import Output
from synthlaunch.dataset import head_examples, validate_dataset
from synthlaunch.errors import DatasetError, UsageError
from synthlaunch.render.progress import byte_progress, wants_progress
from tests.support.cli import Result, executable, run_in_process, tasks_py
from tests.support.env import user_env


def line(i: int) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": f"q{i}"},
                                    {"role": "assistant", "content": f"a{i}"}]}).encode()


def test_head_has_the_first_n_non_blank_lines_and_is_removed(tmp_path: Path) -> None:
    src = tmp_path / "chat.data.jsonl"
    src.write_bytes(ds.BOM + line(0) + b"\n\n  \n" + line(1) + b"\r\n" + line(2) + b"\n" + line(3) + b"\n")
    with head_examples(src, 3) as head:
        assert head.name == "chat.data.head3.jsonl"
        assert head.read_bytes() == line(0) + b"\n" + line(1) + b"\r\n" + line(2) + b"\n"
        assert validate_dataset(head).examples == 3
        folder = head.parent
    assert not folder.exists()


def test_head_folder_is_removed_on_error_too(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    src.write_bytes(line(0) + b"\n")
    seen: list[Path] = []
    with pytest.raises(RuntimeError):
        with head_examples(src, 5) as head:
            seen.append(head)
            assert head.read_bytes() == line(0) + b"\n"  # fewer lines than asked: all of them
            raise RuntimeError("boom")
    assert not seen[0].parent.exists()


@pytest.mark.parametrize("n", [0, -1, True, 1.5, "3"])
def test_head_needs_a_positive_whole_number(tmp_path: Path, n: Any) -> None:
    src = tmp_path / "d.jsonl"
    src.write_bytes(line(0) + b"\n")
    with pytest.raises(UsageError):
        with head_examples(src, n):
            pass


def test_head_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        with head_examples(tmp_path / "missing.jsonl", 2):
            pass
    assert info.value.problems[0].path == str(tmp_path / "missing.jsonl")


def test_head_reads_only_what_it_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost does not grow with the file: count the bytes read from a large file."""
    src = tmp_path / "big.jsonl"
    with open(src, "wb") as fh:
        for i in range(20_000):
            fh.write(line(i) + b"\n")
    read: list[int] = []
    real_open = open

    class Counting:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def read(self, n: int = -1) -> bytes:
            data = self.fh.read(n)
            read.append(len(data))
            return data

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

        def __enter__(self) -> "Counting":
            return self

        def __exit__(self, *exc: Any) -> None:
            self.fh.close()

    def counting_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(path, mode, *args, **kwargs)
        return Counting(fh) if str(path) == str(src) else fh

    monkeypatch.setattr(ds, "open", counting_open, raising=False)
    with head_examples(src, 10) as head:
        assert validate_dataset(head).examples == 10
    assert sum(read) <= ds.READ_SIZE < src.stat().st_size


def test_progress_bar_only_on_a_terminal_and_for_big_files() -> None:
    buf = io.StringIO()
    out = Output(stdout=buf, stderr=buf)
    assert not wants_progress(out, 10**9)  # not a TTY
    with byte_progress(out, 10**9, "x") as cb:
        assert cb is None
    with byte_progress(out, 10 * 2**20, "validating d.jsonl", force=True) as cb:
        assert cb is not None
        for done in range(0, 10 * 2**20 + 1, 2**20):
            cb(done, 10 * 2**20)
    assert "validating d.jsonl" in buf.getvalue()


# -- `inv upload-dataset` --------------------------------------------------------------------------------

def inv(args: list[str], cwd: Path, env: dict[str, str]) -> Result:
    """`inv upload-dataset …` in-process, in `cwd`, with `env` added to the test's private environment."""
    return run_in_process(["inv", *args], cwd=cwd, **env)


def test_inv_upload_dataset_json_then_reuse(backend: Any, tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(b"".join(line(i) + b"\n" for i in range(7)) + b'{"messages": [{"role": "u"}], "cli": 1}\n')
    env = {"SYNTH_API_KEY": backend.api_key, "BACKEND_BASE_URL": backend.root}
    first = inv(["upload-dataset", str(data), "--json"], tmp_path, env)
    assert first.code == 0, first.stderr
    doc = json.loads(first.stdout)  # stdout holds only the JSON document
    report = validate_dataset(data)
    assert doc["sha256"] == report.sha256 and doc["examples"] == 8 and doc["bytes"] == report.bytes
    assert doc["reused"] is False and doc["file_id"]
    assert backend.client().get_file(doc["file_id"])["status"] == "ready"
    assert backend.api_key not in first.stdout + first.stderr

    again = inv(["upload-dataset", str(data), "--json"], tmp_path, env)
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout) | {"reused": False} == doc and json.loads(again.stdout)["reused"] is True

    human = inv(["upload-dataset", str(data), "--force-upload"], tmp_path, env)
    assert human.code == 0, human.stderr
    assert "file id:" in human.stdout and report.sha256 in human.stdout and "examples: 8" in human.stdout
    assert doc["file_id"] not in human.stdout.split("file id:")[1].split("\n")[0]


def test_inv_upload_dataset_examples(backend: Any, tmp_path: Path) -> None:
    data = tmp_path / "many.jsonl"
    data.write_bytes(b"".join(line(i) + b"\n" for i in range(50)) + b"not json at all\n")
    env = {"SYNTH_API_KEY": backend.api_key, "BACKEND_BASE_URL": backend.root}
    res = inv(["upload-dataset", str(data), "--examples", "5", "--json"], tmp_path, env)
    assert res.code == 0, res.stderr  # the broken last line is not part of the first 5
    doc = json.loads(res.stdout)
    expected = b"".join(line(i) + b"\n" for i in range(5))
    assert doc["examples"] == 5 and doc["bytes"] == len(expected) and doc["examples_limit"] == 5
    record = backend.client().get_file(doc["file_id"])
    assert record["filename"] == "many.head5.jsonl" and record["bytes"] == len(expected)

    bad = inv(["upload-dataset", str(data), "--examples", "0"], tmp_path, env)
    assert bad.code == 2 and "--examples" in bad.stderr and "Traceback" not in bad.stderr


def test_inv_upload_dataset_invalid_dataset_exits_2_before_credentials(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_bytes(line(0) + b"\n" + b'{"messages": []}\n' * 30)
    res = run_in_process(["inv", "upload-dataset", str(data), "--json"], cwd=tmp_path)  # no SYNTH_API_KEY at all
    assert res.code == 2
    assert f"{data}:2: `messages` is empty" in res.stderr and "and 10 more" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["error"]["type"] == "DatasetError" and len(doc["error"]["problems"]) == 20
    assert "Traceback" not in res.stderr


def test_inv_upload_dataset_missing_key_is_an_env_error(tmp_path: Path) -> None:
    data = tmp_path / "ok.jsonl"
    data.write_bytes(line(0) + b"\n")
    res = run_in_process(["inv", "upload-dataset", str(data)], cwd=tmp_path, BACKEND_BASE_URL="http://127.0.0.1:9")
    assert res.code == 2 and "SYNTH_API_KEY" in res.stderr


def test_progress_bars_show_on_a_terminal(backend: Any, tmp_path: Path) -> None:
    """On a terminal, a file over a few MB gets a validation bar and an upload bar (bytes, rate, ETA)."""
    pexpect = pytest.importorskip("pexpect")
    data = tmp_path / "big.jsonl"
    with open(data, "wb") as fh:
        i = 0
        while fh.tell() < 6 * 2**20:
            fh.write(line(i) + b"\n")
            i += 1
    env = user_env(tmp_path, SYNTH_API_KEY=backend.api_key, BACKEND_BASE_URL=backend.root, TERM="xterm",
                   COLUMNS="120")
    env.pop("CI", None)
    tasks_py(tmp_path)
    child = pexpect.spawn(executable("inv"), ["upload-dataset", str(data), "--force-upload"], cwd=str(tmp_path), env=env,
                          timeout=60, encoding="utf-8", dimensions=(40, 120))
    child.expect(pexpect.EOF)
    child.close()
    text = child.before
    assert child.exitstatus == 0, text
    assert "validating big.jsonl" in text and "uploading big.jsonl" in text
    assert "MB" in text  # rich's byte counter / rate columns
    assert "file id:" in text


def test_no_progress_bar_without_a_terminal(backend: Any, tmp_path: Path) -> None:
    data = tmp_path / "big.jsonl"
    data.write_bytes(b"".join(line(i) + b"\n" for i in range(60_000)))
    assert data.stat().st_size > 4 * 2**20
    env = {"SYNTH_API_KEY": backend.api_key, "BACKEND_BASE_URL": backend.root}
    res = inv(["upload-dataset", str(data), "--force-upload"], tmp_path, env)
    assert res.code == 0, res.stderr
    assert "validating big.jsonl" not in res.stdout + res.stderr and "\x1b[" not in res.stdout + res.stderr
