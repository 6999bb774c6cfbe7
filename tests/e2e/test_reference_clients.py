"""The published synth-ai 0.2.23 and 0.5.0 `train` clients, unmodified, run an SFT and an RL job
each to `succeeded` against `synthlaunch local.backend` + `local.task-app`
(`bench/run_reference_clients.py`). Skipped when the clients cannot be installed offline: the
script installs them from its cached wheels only (`--offline`); run it once with network access to
fill the cache (`.ref/`). 0.2.17 likewise, with the emulated and with the torch trainer."""

from __future__ import annotations

import importlib.util
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


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("trainer", ["emulate", "torch"])
def test_synth_ai_0_2_17_runs_its_jobs_to_succeeded_and_a_real_sft_job_with_the_torch_trainer(trainer):
    """0.2.17 (the release the wire contract was observed from); with torch its SFT job trains the
    tiny model in place of Qwen/Qwen3-0.6B (`--model-alias`) and the job names the model it produced."""
    if trainer == "torch" and importlib.util.find_spec("trl") is None:
        pytest.skip("the training packages (torch, transformers, trl) are not installed")
    kinds = ("sft", "rl") if trainer == "emulate" else ("sft",)
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run_reference_clients.py"), "--offline", "--json",
                           "--versions", "0.2.17", "--kinds", ",".join(kinds), "--trainer", trainer],
                          capture_output=True, text=True, timeout=880, stdin=subprocess.DEVNULL)
    if proc.returncode == 3:
        pytest.skip(f"synth-ai 0.2.17 not installable offline: {proc.stderr.strip()[-300:]}")
    assert proc.stdout.strip(), proc.stderr
    runs = {r["kind"]: r for r in json.loads(proc.stdout)["results"]}
    assert set(runs) == set(kinds)
    for run in runs.values():
        assert run["ok"] and run["backend_status"] == "succeeded" and run["trainer"] == trainer, (run, proc.stderr)
    assert runs["sft"]["fine_tuned_model"]
    assert proc.returncode == 0
