"""`inv local.backend` / `inv local.task-app` in the foreground: URL and keys printed (masked unless
generated), Ctrl-C stops cleanly with exit 0, bad flags exit 2 with a clear message.

Servers in the foreground run as real processes (Ctrl-C is a signal to a process); help and the
flags that stop the command before it serves run in-process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from tests.support.cli import REPO, interrupt, run, run_in_process, start
from tests.support.env import user_env


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, list[str], str]:
    proc, lines = start(["inv", *args], REPO, env, until="press Ctrl-C")
    match = re.search(r"listening on (http://\S+)", "".join(lines))
    assert match, "".join(lines) + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
    return proc, lines, match.group(1)


def _interrupt(proc: subprocess.Popen) -> tuple[int, str, str]:
    result = interrupt(proc, timeout=30)
    return result.code, result.stdout, result.stderr


def test_backend_foreground_with_given_keys_masks_them(tmp_path):
    key, env_key = "sk_given_0123456789abcdef", "env_given_0123456789abcdef"
    proc, lines, url = _start(["local.backend", "--port", "0", "--data-dir", str(tmp_path),
                               "--step-seconds", "0.01"], user_env(tmp_path, SYNTH_API_KEY=key, ENVIRONMENT_API_KEY=env_key))
    try:
        resp = requests.get(url + "/api/learning/jobs", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert resp.status_code == 200
    finally:
        code, out, err = _interrupt(proc)
    text = "".join(lines) + out + err
    assert code == 0
    assert key not in text and env_key not in text
    assert "sk_g…ef" in text and str(tmp_path) in text
    assert "Traceback" not in text
    assert (tmp_path / "state.sqlite3").exists()


def test_backend_foreground_prints_a_generated_key_in_full(tmp_path):
    proc, lines, url = _start(["local.backend", "--port", "0", "--data-dir", str(tmp_path)], user_env(tmp_path))
    try:
        match = re.search(r"API key\s*:\s*(\S+)\s+\(generated", "".join(lines))
        assert match
        resp = requests.get(url + "/api/files", headers={"Authorization": f"Bearer {match.group(1)}"}, timeout=10)
        assert resp.status_code == 200
    finally:
        code, _, _ = _interrupt(proc)
    assert code == 0


def test_backend_repeated_api_key_flags_and_faults(tmp_path):
    proc, lines, url = _start(["local.backend", "--port", "0", "--data-dir", str(tmp_path),
                               "--api-key", "first-key-123456", "--api-key", "second-key-123456",
                               "--faults", "path=/api/files,kinds=503"], user_env(tmp_path))
    try:
        for key in ("first-key-123456", "second-key-123456"):
            resp = requests.get(url + "/api/learning/jobs", headers={"Authorization": f"Bearer {key}"}, timeout=10)
            assert resp.status_code == 200
        resp = requests.get(url + "/api/files", headers={"Authorization": "Bearer first-key-123456"}, timeout=10)
        assert resp.status_code == 503
    finally:
        code, _, _ = _interrupt(proc)
    assert code == 0
    assert "faults" in "".join(lines)


@pytest.mark.parametrize("args,message", [
    (["--faults", "kinds=teapot"], "--faults: fault rule 1: unknown kind(s) teapot"),
    (["--step-seconds", "fast"], "--step-seconds"),
    (["--port", "70000"], "--port"),
    (["--max-body-bytes", "0"], "--max-body-bytes must be at least 1"),
    (["--max-upload-bytes", "lots"], "--max-upload-bytes expects a whole number"),
])
def test_backend_bad_flags_exit_2(tmp_path, args, message):
    result = run_in_process(["inv", "local.backend", "--data-dir", str(tmp_path), *args], cwd=REPO)
    assert result.code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_backend_size_limit_flags_apply_and_are_shown(tmp_path):
    key = "sk_limits_0123456789abcdef"
    proc, lines, url = _start(["local.backend", "--port", "0", "--data-dir", str(tmp_path),
                               "--max-body-bytes", "3000", "--max-upload-bytes", "5000"],
                              user_env(tmp_path, SYNTH_API_KEY=key))
    try:
        resp = requests.post(url + "/api/rl/jobs", json={"pad": "x" * 4000}, timeout=10,
                             headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 413 and resp.json()["max_bytes"] == 3000
        resp = requests.post(url + "/api/files", files={"file": ("d.jsonl", b"y" * 6000)}, timeout=10,
                             headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 413 and resp.json()["max_bytes"] == 5000
    finally:
        code, _, _ = _interrupt(proc)
    assert code == 0
    assert "3000 bytes a request body, 5000 bytes an upload" in "".join(lines)


def test_port_in_use_exits_2(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_in_process(["inv", "local.backend", "--port", str(port), "--data-dir", str(tmp_path)], cwd=REPO)
    assert result.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_task_app_foreground(tmp_path):
    proc, lines, url = _start(["local.task-app", "--port", "0", "--environment-api-key", "env_flag_key_123456"],
                              user_env(tmp_path))
    try:
        assert requests.get(url + "/health", headers={"X-API-Key": "env_flag_key_123456"}, timeout=10).status_code == 200
        assert requests.get(url + "/health", timeout=10).status_code == 401
    finally:
        code, out, err = _interrupt(proc)
    assert code == 0
    assert "env_flag_key_123456" not in "".join(lines) + out + err


def test_help_explains_every_flag():
    result = run_in_process(["inv", "local.backend", "--help"], cwd=REPO)
    assert result.code == 0
    for flag in ("--host", "--port", "--data-dir", "--api-key", "--environment-api-key", "--faults",
                 "--step-seconds", "--max-body-bytes", "--max-upload-bytes"):
        assert flag in result.stdout


def test_unwritable_or_corrupt_data_dir_exits_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_in_process(["inv", "local.backend", "--port", "0", "--data-dir", str(blocker / "sub")], cwd=REPO)
    assert result.code == 2 and "--data-dir" in result.stderr and "Traceback" not in result.stderr
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "state.sqlite3").write_bytes(b"this is not sqlite" * 100)
    result = run_in_process(["inv", "local.backend", "--port", "0", "--data-dir", str(corrupt)], cwd=REPO)
    assert result.code == 2 and "not a usable SQLite database" in result.stderr


def test_default_data_dir_is_under_the_user_cache_dir(monkeypatch, tmp_path):
    from synthlaunch.paths import backend_data_dir as default_data_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SYNTHLAUNCH_CACHE_DIR", raising=False)
    if sys.platform.startswith("linux"):
        assert default_data_dir() == tmp_path / "synthlaunch" / "backend"
    else:
        assert default_data_dir().parts[-2:] == ("synthlaunch", "backend")


def test_backend_reads_keys_from_private_key_files(tmp_path):
    key_file, env_file = tmp_path / "api.keys", tmp_path / "env.keys"
    key_file.write_text("# keys accepted on /api\nsk_file_key_one_0123456789\n\nsk_file_key_two_0123456789\n")
    env_file.write_text("env_file_key_0123456789\n")
    os.chmod(key_file, 0o600)
    os.chmod(env_file, 0o640)
    proc, lines, url = _start(["local.backend", "--port", "0", "--data-dir", str(tmp_path / "data"),
                               "--api-key-file", str(key_file), "--environment-api-key-file", str(env_file)],
                              user_env(tmp_path))
    try:
        for key in ("sk_file_key_one_0123456789", "sk_file_key_two_0123456789"):
            resp = requests.get(url + "/api/files", headers={"Authorization": f"Bearer {key}"}, timeout=10)
            assert resp.status_code == 200
        with open(f"/proc/{proc.pid}/cmdline", "rb") as fh:
            assert b"sk_file_key" not in fh.read()  # nothing for `ps` to show
    finally:
        code, out, err = _interrupt(proc)
    text = "".join(lines) + out + err
    assert code == 0, text
    assert "sk_file_key_one" not in text and "env_file_key_0123" not in text  # printed masked
    assert "its group can read it (mode 640)" in text


@pytest.mark.parametrize("content,mode,message", [
    ("sk_shared_key_0123456789\n", 0o644, "other users can read or change it (mode 644)"),
    ("# only a comment\n\n", 0o600, "no key in it"),
    ("two words\n", 0o600, "key 1 contains a space"),
])
def test_backend_refuses_unsafe_or_empty_key_files(tmp_path, content, mode, message):
    key_file = tmp_path / "api.keys"
    key_file.write_text(content)
    os.chmod(key_file, mode)
    result = run_in_process(["inv", "local.backend", "--port", "0", "--data-dir", str(tmp_path / "data"),
                             "--api-key-file", str(key_file)], cwd=REPO)
    assert result.code == 2
    assert f"--api-key-file {key_file}: {message}" in result.stderr
    assert "Traceback" not in result.stderr and "sk_shared_key_0123" not in result.stderr


def test_help_says_a_key_on_the_command_line_shows_in_ps(tmp_path):
    for task in ("local.backend", "local.task-app"):
        result = run(["inv", task, "--help"], REPO, user_env(tmp_path))
        assert "`ps`" in result.stdout and "--environment-api-key-file" in result.stdout


def test_backend_log_requests_and_no_event_stream_flags(tmp_path):
    key = "sk_logged_0123456789abcdef"
    proc, lines, url = _start(["local.backend", "--port", "0", "--data-dir", str(tmp_path), "--log-requests",
                               "--no-event-stream"], user_env(tmp_path, SYNTH_USER_KEY=key))  # a later client's key name
    try:
        headers = {"Authorization": f"Bearer {key}"}
        assert requests.get(url + "/api/learning/jobs", params={"limit": 1}, headers=headers,
                            timeout=10).status_code == 200
        assert requests.get(url + "/api/learning/jobs/job_x/events/stream", headers=headers,
                            timeout=10).status_code == 404
    finally:
        code, out, err = _interrupt(proc)
    text = "".join(lines) + out + err
    assert code == 0
    assert "request: GET /api/learning/jobs 200 " in text
    assert "request: GET /api/learning/jobs/job_x/events/stream 404 " in text
    assert "event stream: off" in text and key not in text and "limit=1" not in text
