"""Mistakes on the stream/jobs command line never pass silently: a bogus status is a usage error listing
the valid ones; `--type sft` on an RL job is corrected, with a warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from synthlaunch.env import KNOWN_KEYS
from tests.support.jobs import create_rl, wait_status

BIN = Path(sys.executable).parent


def _run(tmp_path: Path, server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in KNOWN_KEYS}
    env.update({"SYNTH_API_KEY": server.api_key, "CI": "true", "NO_COLOR": "1",
                "SYNTHLAUNCH_STATE_DIR": str(tmp_path / "state")})
    return subprocess.run([str(BIN / "synthlaunch"), *args, "--backend", server.root], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_jobs_with_a_bogus_status_is_a_usage_error_listing_the_valid_ones(tmp_path, backend) -> None:
    done = _run(tmp_path, backend, "jobs", "--status", "bogus")
    assert done.returncode == 2
    assert "--status must be one of" in done.stderr and "running" in done.stderr and "succeeded" in done.stderr
    assert "no jobs" not in done.stdout


def test_stream_type_sft_on_an_rl_job_warns_and_shows_it_as_rl(tmp_path, backend) -> None:
    client = backend.client()
    job_id = create_rl(client, steps=2)
    wait_status(client, job_id, {"succeeded"})
    done = _run(tmp_path, backend, "stream", job_id, "--type", "sft", "--poll-interval", "0.05")
    assert done.returncode == 0, done.stderr
    assert f"job {job_id} is an RL job, not SFT (--type sft)" in done.stderr
    assert done.stderr.count("is an RL job") == 1
    assert f"job {job_id} (rl) succeeded" in done.stdout


def test_reattaching_to_a_finished_job_stamps_the_final_line_with_its_end_time(tmp_path, backend) -> None:
    from synthlaunch.timefmt import clock_of

    client = backend.client()
    job_id = create_rl(client, steps=3)
    wait_status(client, job_id, {"succeeded"})
    finished_at = client.get_job("rl", job_id)["finished_at"]
    done = _run(tmp_path, backend, "stream", job_id, "--poll-interval", "0.05")
    final = next(line for line in done.stdout.splitlines() if "status=succeeded" in line)
    assert final.startswith(f"[{clock_of(finished_at)}] status=succeeded")
    steps = [line for line in done.stdout.splitlines() if " step " in line and " loss=" in line]
    assert [line.split("step ")[1].split()[0] for line in steps] == ["1/3", "2/3", "3/3"]  # one line a step
    assert all("reward=" in line for line in steps)
