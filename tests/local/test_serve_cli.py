"""`inv local.backend` / `inv local.task-app` in the foreground: URL and keys printed (masked unless
generated), Ctrl-C stops cleanly with exit 0, bad flags exit 2 with a clear message.

Servers in the foreground run as real processes (Ctrl-C is a signal to a process); help and the
flags that stop the command before it serves run in-process."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from tests.support.cli import REPO, interrupt, run_in_process, start
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
])
def test_backend_bad_flags_exit_2(tmp_path, args, message):
    result = run_in_process(["inv", "local.backend", "--data-dir", str(tmp_path), *args], cwd=REPO)
    assert result.code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


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
                 "--step-seconds"):
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
    from synthlaunch.local.serve import default_data_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_data_dir() == tmp_path / "synthlaunch" / "backend"
    else:
        assert default_data_dir().parts[-2:] == ("synthlaunch", "backend")
