"""Temp files of interrupted atomic writes: private, covered by the repository's .gitignore, and
removed by the next write of the same file once their writer is gone."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from synthlaunch.dotenv_file import read_values, write_keys

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_typed_secret_0123456789abcdef"

STALLED = r"""
import os, sys, time
from synthlaunch import dotenv_file
real_fsync = os.fsync
def stall(fd):
    real_fsync(fd)
    print("stalled", flush=True)
    time.sleep(3600)
dotenv_file.os.fsync = stall
dotenv_file.write_keys(sys.argv[1], {"SYNTH_API_KEY": sys.argv[2]})
"""


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name not in (".env",)]


def test_a_killed_save_leaves_a_private_ignored_temp_file_that_the_next_save_removes(tmp_path):
    env = tmp_path / ".env"
    env.write_text("OTHER=1\n")
    proc = subprocess.Popen([sys.executable, "-c", STALLED, str(env), SECRET], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "stalled"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    (left,) = _temps(tmp_path)
    assert SECRET in left.read_text() and stat.S_IMODE(left.stat().st_mode) == 0o600
    assert left.name.startswith(f"..env.{proc.pid}.") and left.name.endswith(".synthlaunch.tmp")
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", f"configs/{left.name}"], cwd=ROOT)
    assert ignored.returncode == 0, "the repository's .gitignore must cover the temp file"
    write_keys(env, {"SYNTH_API_KEY": "sk_next"})
    assert _temps(tmp_path) == []
    assert read_values(env) == {"OTHER": "1", "SYNTH_API_KEY": "sk_next"}


def test_the_temp_file_of_a_live_writer_or_another_target_is_left_alone(tmp_path):
    env = tmp_path / ".env"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f"..env.{sleeper.pid}.abcd1234.synthlaunch.tmp"
        other = tmp_path / ".other.env.999999999.abcd1234.synthlaunch.tmp"
        legacy_old = tmp_path / "..env.k2j3h4g5.tmp"
        legacy_new = tmp_path / "..env.z9y8x7w6.tmp"
        for path in (live, other, legacy_old, legacy_new):
            path.write_text("SYNTH_API_KEY=x\n")
        old = time.time() - 3600
        os.utime(legacy_old, (old, old))
        write_keys(env, {"SYNTH_API_KEY": "sk_next"})
        assert sorted(p.name for p in _temps(tmp_path)) == sorted([live.name, other.name, legacy_new.name])
    finally:
        sleeper.kill()
        sleeper.wait()
