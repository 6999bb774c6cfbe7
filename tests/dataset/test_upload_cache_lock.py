"""Concurrent uploads record every upload-cache entry: the read-modify-write of the cache file is
serialised by a file lock (the helper the pending-submission records use), across processes and
threads."""

from __future__ import annotations

import subprocess
import sys
import threading

from synthlaunch.upload import UploadCache

PUTS = 25
WRITER = r"""
import sys
from synthlaunch.upload import UploadCache
path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # start together
for i in range(n):
    UploadCache(path).put(f"{who}-{i}", f"file_{who}_{i}", "d.jsonl")
"""


def test_parallel_processes_lose_no_entry(tmp_path):
    path = tmp_path / "uploads.json"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"p{n}", str(PUTS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for n in range(6)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait(120) == 0
    cache = UploadCache(path)
    missing = [f"p{n}-{i}" for n in range(6) for i in range(PUTS) if cache.get(f"p{n}-{i}") != f"file_p{n}_{i}"]
    assert missing == []


def test_parallel_threads_lose_no_entry(tmp_path):
    path = tmp_path / "uploads.json"
    start = threading.Barrier(6)

    def work(who: str) -> None:
        start.wait()
        for i in range(PUTS):
            UploadCache(path).put(f"{who}-{i}", f"file_{who}_{i}", "d.jsonl")
            if i % 5 == 0:
                UploadCache(path).drop(f"{who}-gone")

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    cache = UploadCache(path)
    assert [f"t{n}-{i}" for n in range(6) for i in range(PUTS) if cache.get(f"t{n}-{i}") is None] == []
