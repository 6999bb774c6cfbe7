"""Killing a process in the middle of a .env write leaves the old file or the new one, never a mix."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from synthlaunch.dotenv_file import parse_text, update_text

WRITER = r"""
import sys
from pathlib import Path
from synthlaunch.dotenv_file import atomic_write_text, update_text, write_keys
path, size = Path(sys.argv[1]), int(sys.argv[2])
write_keys(path, {"SYNTH_API_KEY": "A" * size})  # the full read-update-write path once
texts = [update_text(path.read_text(), {"SYNTH_API_KEY": v}) for v in ("B" * size, "A" * size)]
print("ready", flush=True)
i = 0
while True:  # then only the write itself, so that random kills land inside it
    atomic_write_text(path, texts[i % 2])
    i += 1
"""

INITIAL = "# credentials for synthlaunch\nexport OTHER='keep me' # comment\n\nSYNTH_API_KEY=initial\nTAIL=1\n"
SIZE = 400_000


@pytest.mark.slow
def test_sigkill_during_writes_never_leaves_a_partial_file(tmp_path):
    rng = random.Random(1234)
    path = tmp_path / ".env"
    path.write_text(INITIAL)
    valid = {update_text(INITIAL, {"SYNTH_API_KEY": v}) for v in ("A" * SIZE, "B" * SIZE)} | {INITIAL}
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(SIZE)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))  # a random moment inside the write loop
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        text = path.read_text()
        assert text in valid, f"partial or mixed file ({len(text)} chars)"
        values = parse_text(text)
        assert values["OTHER"] == "keep me" and values["TAIL"] == "1"
        assert values["SYNTH_API_KEY"] in ("A" * SIZE, "B" * SIZE)  # the first write completed
        # leftover temp files (killed before the rename) are never the .env itself and stay private
        for leftover in tmp_path.iterdir():
            if leftover.name != ".env":
                assert leftover.name.startswith(".") and leftover.name.endswith(".tmp")
                assert (os.stat(leftover).st_mode & 0o077) == 0
                leftover.unlink()


STALLED = r"""
import os, sys, time
from synthlaunch import dotenv_file
real_fsync = os.fsync
def stall(fd):  # the temp file is written but not yet renamed: the riskiest moment
    real_fsync(fd)
    print("stalled", flush=True)
    time.sleep(3600)
dotenv_file.os.fsync = stall
dotenv_file.write_keys(sys.argv[1], {"SYNTH_API_KEY": "N" * 100000})
"""


def test_sigkill_before_the_rename_keeps_the_old_file_exactly(tmp_path):
    path = tmp_path / ".env"
    path.write_text(INITIAL)
    proc = subprocess.Popen([sys.executable, "-c", STALLED, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "stalled"
    temps = [p for p in tmp_path.iterdir() if p.name != ".env"]
    assert len(temps) == 1 and "N" * 1000 in temps[0].read_text()  # the new content exists, off to the side
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert path.read_text() == INITIAL
