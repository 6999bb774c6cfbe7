"""Seconds per optimizer step of a real SFT job on the embedded backend (torch trainer) vs a plain
TRL script (`plain_sft.py`) training the same tiny model on the same data with the same
hyperparameters, measured in the same run, alternating the two; plus the job's overheads.

    .venv/bin/python bench/bench_sft_step.py --rounds 3 --epochs 5

Per-step time = (time of the last step's loss log - time of the first) / (steps - 1), both taken
inside the training process at the trainer's `on_log`: for the job from its report file
(`progress` records, field `t`), for the script from its own callback. Rounds alternate which of
the two runs first, so a change in the machine's load does not favour either.
Overheads of the job: create (`created_at`) → first step logged in the training process, last
step logged → `succeeded` (`finished_at`: includes the final save); the plain script's process
start → first step and last step → final model saved are printed for scale. The machine's load
moves single runs a lot: the ratio of medians and the ratio of minima are both printed, and the
median interval between consecutive steps (per run, then the median over rounds), which leaves out
the epoch-end checkpoint saves and short bursts of other processes' load.

The plain script sets `bf16=False` like the job on a CPU (TRL's default is True: before that, the
baseline trained under CPU bf16 autocast and the ratio compared two precisions).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "configs" / "datasets" / "demo.jsonl"
BATCH, LR = 4, 3e-3


def step_times(times: list[float]) -> dict[str, float]:
    """Mean seconds per step over the run (epoch-end checkpoint saves included) and the median
    interval between consecutive steps (saves and short load spikes left out)."""
    gaps = [b - a for a, b in zip(times[:-1], times[1:], strict=True)]
    return {"per_step": (times[-1] - times[0]) / len(gaps), "step_median": statistics.median(gaps),
            "steps": len(times)}


def ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def run_plain(model_dir: Path, epochs: int, work: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "plain_sft.py"), str(model_dir), str(DATA),
                          str(work), str(epochs), str(BATCH), str(LR)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    times = result["step_times"]
    return {**step_times(times),
            "start_to_first": result["first_step"] - result["started"], "last_to_done": result["done"] - times[-1]}


def report_times(server, job_id: str) -> list[float]:  # noqa: ANN001
    """`t` of the job's `progress` records (one per optimizer step), from its report file(s)."""
    times: list[float] = []
    for path in sorted((Path(server.data_dir) / "jobs" / job_id).glob("report-*.ndjson")):
        times += [r["t"] for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "progress"]
    return times


def run_job(server, epochs: int) -> dict[str, float]:  # noqa: ANN001
    from synthlaunch.api import SynthClient

    client = SynthClient(server.api_url, server.api_key)
    record = client.upload_file(DATA)
    while client.get_file(record["id"])["status"] != "ready":
        time.sleep(0.02)
    body = {"model": "synthlaunch/tiny-qwen3", "training_file_id": record["id"], "training_type": "sft_offline",
            "hyperparameters": {"n_epochs": epochs, "per_device_batch": BATCH, "gradient_accumulation_steps": 1,
                                "sequence_length": 512, "learning_rate": LR, "warmup_ratio": 0.1},
            "metadata": {"effective_config": {"training": {"mode": "full_finetune"}}}}
    job = client.create_sft_job(body, idempotency_key=f"bench-{time.time()}")
    client.start_sft_job(job["id"])
    while (done := client.get_job("learning", job["id"]))["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.5)  # a client's poll pace; the job's end time is the server's finished_at, not this loop's
    if done["status"] != "succeeded":
        raise SystemExit(f"job {job['id']} {done['status']}: {done.get('error')}")
    times = report_times(server, job["id"])
    return {**step_times(times),
            "create_to_first": times[0] - ts(done["created_at"]),
            "last_to_succeeded": ts(done["finished_at"]) - times[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT / "lib"))
    from synthlaunch.local.serve import BackendServer
    from synthlaunch.local.training.tiny import ensure_built

    with tempfile.TemporaryDirectory(prefix="bench-sft-") as tmp:
        cache = Path(tmp) / "models"
        model_dir = ensure_built("synthlaunch/tiny-qwen3", cache / "synthlaunch--tiny-qwen3")
        jobs, plain = [], []
        with BackendServer(trainer="torch", model_cache=cache, data_dir=Path(tmp) / "backend") as server:
            for n in range(opts.rounds):
                order = ("plain", "job") if n % 2 == 0 else ("job", "plain")
                for which in order:
                    if which == "plain":
                        plain.append(run_plain(model_dir, opts.epochs, Path(tmp) / f"plain-{n}"))
                    else:
                        jobs.append(run_job(server, opts.epochs))
                print(f"round {n + 1}: job {jobs[-1]['per_step'] * 1000:.1f} ms/step, "
                      f"plain {plain[-1]['per_step'] * 1000:.1f} ms/step ({jobs[-1]['steps']} steps); median step: "
                      f"job {jobs[-1]['step_median'] * 1000:.1f} ms, plain {plain[-1]['step_median'] * 1000:.1f} ms",
                      flush=True)
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    job_step, plain_step = med(jobs, "per_step"), med(plain, "per_step")
    job_min, plain_min = min(r["per_step"] for r in jobs), min(r["per_step"] for r in plain)
    print(f"\nseconds per optimizer step (median of {opts.rounds}): job {job_step:.4f} s, "
          f"plain TRL script {plain_step:.4f} s, ratio {job_step / plain_step:.3f}")
    print(f"seconds per optimizer step (minimum of {opts.rounds}): job {job_min:.4f} s, "
          f"plain TRL script {plain_min:.4f} s, ratio {job_min / plain_min:.3f}")
    job_gap, plain_gap = med(jobs, "step_median"), med(plain, "step_median")
    print(f"median step interval (median of {opts.rounds}): job {job_gap:.4f} s, plain TRL script "
          f"{plain_gap:.4f} s, ratio {job_gap / plain_gap:.3f}")
    print(f"job overhead: create -> first step {med(jobs, 'create_to_first'):.2f} s "
          f"(plain script: process start -> first step {med(plain, 'start_to_first'):.2f} s); "
          f"last step -> succeeded {med(jobs, 'last_to_succeeded'):.2f} s "
          f"(plain script: last step -> final model saved {med(plain, 'last_to_done'):.2f} s)")


if __name__ == "__main__":
    main()
