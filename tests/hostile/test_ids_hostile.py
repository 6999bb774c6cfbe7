"""Ids the backend hands out are data, not commands or paths: percent-encoded as one path segment in
our next request, shell-quoted in the commands we print. Real stub server on 127.0.0.1."""

from __future__ import annotations

import shlex
import shutil

from synthlaunch.program import program

from .test_commands_hostile import KEY, REPO

EVIL = "job_1; touch pwned #/../../files"
EVIL_PATH = "job_1%3B%20touch%20pwned%20%23%2F..%2F..%2Ffiles"


def test_a_hostile_job_id_is_one_path_segment_and_quoted_in_printed_commands(stubs, tmp_path, monkeypatch,
                                                                            capsys) -> None:
    backend = stubs()
    backend.script("/api/files", (200, {"id": "file_1", "status": "ready"}))
    backend.script("/api/files/file_1", (200, {"id": "file_1", "status": "ready"}))
    backend.script("/api/learning/jobs", (201, {"id": EVIL, "status": "created"}))
    backend.script(f"/api/learning/jobs/{EVIL_PATH}/start", (200, {"id": EVIL, "status": "queued"}))
    (tmp_path / "sft").mkdir()
    (tmp_path / "datasets").mkdir()
    shutil.copy(REPO / "configs/sft/demo.toml", tmp_path / "sft/demo.toml")
    shutil.copy(REPO / "configs/datasets/demo.jsonl", tmp_path / "datasets/demo.jsonl")
    for name in ("BACKEND_BASE_URL", "SYNTH_BACKEND_URL_OVERRIDE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("SYNTHLAUNCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SYNTHLAUNCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    try:
        program.run(["synthlaunch", "train", "--config", "sft/demo.toml", "--backend", backend.url, "--yes",
                     "--no-poll", "--no-input"])
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr()
    out, err = capsys.readouterr()
    assert [p for (m, p, _, _) in backend.requests if m == "POST" and p.endswith("/start")] == \
        [f"/api/learning/jobs/{EVIL_PATH}/start"]
    line = next(line for line in (out + err).splitlines() if "not watching (--no-poll)" in line)
    follow = line.split("Follow it with: ", 1)[1].split("; cancel with: ")
    assert shlex.split(follow[0])[1:4] == ["stream", "--job-id", EVIL]
    assert shlex.split(follow[1])[1:] == ["cancel", EVIL]


def test_a_hostile_job_id_in_cancel_stays_in_its_segment(stubs, tmp_path, monkeypatch, capsys) -> None:
    backend = stubs()
    backend.script(f"/api/rl/jobs/{EVIL_PATH}", (200, {"id": EVIL, "status": "running"}))
    backend.script(f"/api/rl/jobs/{EVIL_PATH}/cancel", (200, {"id": EVIL, "status": "cancelled"}))
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    monkeypatch.setenv("CI", "1")
    monkeypatch.chdir(tmp_path)
    for name in ("BACKEND_BASE_URL", "SYNTH_BACKEND_URL_OVERRIDE"):
        monkeypatch.delenv(name, raising=False)
    try:
        program.run(["synthlaunch", "cancel", EVIL, "--backend", backend.url, "--no-input", "--json"])
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr()
    assert [p for (_, p, _, _) in backend.requests] == [f"/api/rl/jobs/{EVIL_PATH}",
                                                         f"/api/rl/jobs/{EVIL_PATH}/cancel"]
