"""Overhead of `inv train` over the backend's own time, on a small SFT job.

Starts the embedded backend (emulated training, `--step-seconds` per step, 10 steps), then runs
`inv train --config <small SFT config> --poll-interval <p> --json --no-input` as a user would (a
subprocess, fresh state and cache folders, a distinct 40-example dataset per run so every run
validates and uploads). For each run:

- backend time: the job's `created_at` → `finished_at`, read back from the backend;
- wall time: the command, from spawn to exit;
- overhead = wall − backend time, split into *before* (spawn → job created: interpreter, imports,
  config, dataset validation, upload, create) and *after* (job finished → exit: noticing the end
  within one poll interval, draining events, summary, exit).

Target: overhead < 0.5 s. Prints medians and the ratio wall / backend time.

    .venv/bin/python bench/bench_overhead.py --runs 10 --poll-interval 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from synthlaunch.api import SynthClient
from synthlaunch.local.serve import BackendServer

REPO = Path(__file__).resolve().parents[1]
INV = str(Path(sys.executable).parent / "inv")
SCRUB = ("SYNTH_API_KEY", "ENVIRONMENT_API_KEY", "TASK_APP_URL", "BACKEND_BASE_URL", "BACKEND_OVERRIDE",
         "SYNTH_BACKEND_URL_OVERRIDE")


def ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def one_run(backend: BackendServer, root: Path, index: int, poll_interval: float) -> dict[str, float]:
    lines = (REPO / "configs/datasets/demo.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["metadata"] = {"bench_run": index, "nonce": time.time()}
    data = root / "configs" / "datasets" / f"bench-{index}.jsonl"
    data.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    config = root / "configs" / "sft" / f"bench-{index}.toml"
    config.write_text((REPO / "configs/sft/demo.toml").read_text()
                      .replace('data = "../datasets/demo.jsonl"', f'data = "../datasets/{data.name}"'))
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    state = root / f".state-{index}"
    env.update({"CI": "true", "NO_COLOR": "1", "SYNTHLAUNCH_STATE_DIR": str(state),
                "SYNTHLAUNCH_CACHE_DIR": str(state / "cache"), "SYNTH_API_KEY": backend.api_key})
    args = [INV, "train", "--config", str(config.relative_to(root)), "--backend", backend.root,
            "--poll-interval", str(poll_interval), "--json", "--no-input"]
    spawn = time.time()
    proc = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True)
    end = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"run {index} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    job = SynthClient(backend.api_url, backend.api_key).find_job(summary["runs"][0]["job_id"], "sft")[1]
    created, finished = ts(job["created_at"]), ts(job["finished_at"])
    return {"wall": end - spawn, "backend": finished - created, "overhead": (end - spawn) - (finished - created),
            "before": created - spawn, "after": end - finished}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--step-seconds", type=float, default=0.1, help="emulated seconds per step (10 steps)")
    opts = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-overhead-"))
    try:
        root = tmp / "project"
        shutil.copytree(REPO / "configs", root / "configs")
        (root / "tasks.py").write_text("from synthlaunch.tasks import ns  # noqa: F401\n")
        with BackendServer(step_seconds=opts.step_seconds, data_dir=tmp / "backend") as backend:
            one_run(backend, root, -1, opts.poll_interval)  # warm-up (page cache, .pyc)
            runs = [one_run(backend, root, i, opts.poll_interval) for i in range(opts.runs)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"small SFT job (40 examples, 10 steps x {opts.step_seconds:g} s), poll interval {opts.poll_interval:g} s, "
          f"{opts.runs} runs, medians:")
    print(f"  backend time (created_at -> finished_at)  {med['backend']:.3f} s")
    print(f"  wall time of inv train                    {med['wall']:.3f} s")
    print(f"  overhead (wall - backend)                 {med['overhead']:.3f} s   "
          f"(min {min(r['overhead'] for r in runs):.3f}, max {max(r['overhead'] for r in runs):.3f}; target < 0.5 s)")
    print(f"    before: spawn -> job created            {med['before']:.3f} s")
    print(f"    after:  job finished -> exit            {med['after']:.3f} s")
    print(f"  ratio wall / backend time                 {med['wall'] / med['backend']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
