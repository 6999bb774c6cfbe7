"""invoke.yaml settings name their real source and typos in them are warned about; a refused connection
to a loopback backend fails at once (no retries), as `synthlaunch` in a folder without tasks.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from synthlaunch.env import KNOWN_KEYS

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(folder: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in KNOWN_KEYS and not k.startswith("INVOKE_")}
    env.update({"CI": "true", "HOME": str(folder), "SYNTH_API_KEY": "sk_test_" + "a" * 24,
                "SYNTHLAUNCH_STATE_DIR": str(folder / ".state"), "SYNTHLAUNCH_CACHE_DIR": str(folder / ".cache")})
    env.update(extra)
    return subprocess.run([str(BIN / "synthlaunch"), *args], cwd=folder, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_backend_from_invoke_yaml_names_the_file_and_unknown_keys_are_warned(tmp_path: Path) -> None:
    port = _free_port()
    (tmp_path / "invoke.yaml").write_text(f"synthlaunch:\n  backnd: https://x.invalid\n"
                                          f"  backend: http://127.0.0.1:{port}\n")
    done = _run(tmp_path, "jobs", "-v")
    assert "unknown setting synthlaunch.backnd (ignored); did you mean backend?" in done.stderr
    assert f"(from {tmp_path / 'invoke.yaml'})" in done.stdout + done.stderr
    assert "flag --backend" not in done.stdout + done.stderr

    by_env = _run(tmp_path, "jobs", "-v", INVOKE_SYNTHLAUNCH_BACKEND=f"http://127.0.0.1:{port}")
    assert "(from INVOKE_SYNTHLAUNCH_BACKEND)" in by_env.stdout + by_env.stderr

    by_flag = _run(tmp_path, "jobs", "-v", "-b", f"http://127.0.0.1:{port}")
    assert "(from flag --backend)" in by_flag.stdout + by_flag.stderr


def test_a_refused_loopback_backend_fails_at_once_without_retrying(tmp_path: Path) -> None:
    done = _run(tmp_path, "jobs", "--backend", f"http://127.0.0.1:{_free_port()}")
    assert done.returncode == 4
    assert "retrying" not in done.stderr
    assert "connection refused" in done.stderr and "local.backend task" in done.stderr
    assert "inv " not in done.stderr
