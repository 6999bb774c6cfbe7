"""The published synth-ai 0.2.23 and 0.5.0 `train` clients, unmodified, run an SFT and an RL job
each to `succeeded` against `synthlaunch local.backend` + `local.task-app`
(`bench/run_reference_clients.py`). Skipped when the clients cannot be installed offline: the
script installs them from its cached wheels only (`--offline`); run it once with network access to
fill the cache (`.ref/`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_published_clients_run_sft_and_rl_jobs_to_succeeded_against_the_embedded_servers():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run_reference_clients.py"), "--offline", "--json"],
                          capture_output=True, text=True, timeout=880, stdin=subprocess.DEVNULL)
    if proc.returncode == 3:
        pytest.skip(f"reference clients not installable offline: {proc.stderr.strip()[-300:]}")
    assert proc.stdout.strip(), proc.stderr
    report = json.loads(proc.stdout)
    runs = {(r["version"], r["kind"]): r for r in report["results"]}
    assert set(runs) == {(v, k) for v in ("0.2.23", "0.5.0") for k in ("sft", "rl")}
    for run in runs.values():
        assert run["ok"] and run["exit_code"] == 0 and run["backend_status"] == "succeeded", (run, proc.stderr)
    # 0.5.0 reads events over the event stream (one request per job); 0.2.23 polls
    assert report["event_stream_requests"] >= 2
    assert proc.returncode == 0
