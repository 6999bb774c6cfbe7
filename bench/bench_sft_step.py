"""Seconds per optimizer step of a real SFT job on the embedded backend (torch trainer) vs a plain
TRL script (`plain_sft.py`) training the same tiny model on the same data with the same
hyperparameters, measured in the same run, alternating the two; plus the job's overheads.

    .venv/bin/python bench/bench_sft_step.py --rounds 3 --epochs 5

Per-step time = (time of the last step's `train.loss` - time of the first) / (steps - 1): for the
job from the metric points' `created_at` on the wire, for the script from its own log callback.
Overheads of the job: create → first step (`train.loss` at step 0), last step → `succeeded`;
the plain script's process start → first step is printed next to the first, for scale.
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


def ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def run_plain(model_dir: Path, epochs: int, work: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "plain_sft.py"), str(model_dir), str(DATA),
                          str(work), str(epochs), str(BATCH), str(LR)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    times = result["step_times"]
    return {"per_step": (times[-1] - times[0]) / (len(times) - 1), "steps": len(times),
            "start_to_first": result["first_step"] - result["started"], "last_to_done": result["done"] - times[-1]}


def run_job(server, epochs: int) -> dict[str, float]:  # noqa: ANN001
    client = server.client()
    record = client.upload_file(DATA)
    while client.get_file(record["id"])["status"] != "ready":
        time.sleep(0.02)
    body = {"model": "synthlaunch/tiny-qwen3", "training_file_id": record["id"], "training_type": "sft_offline",
            "hyperparameters": {"n_epochs": epochs, "per_device_batch": BATCH, "gradient_accumulation_steps": 1,
                                "sequence_length": 256, "learning_rate": LR, "warmup_ratio": 0.1},
            "metadata": {"effective_config": {"training": {"mode": "full_finetune"}}}}
    job = client.create_sft_job(body, idempotency_key=f"bench-{time.time()}")
    client.start_sft_job(job["id"])
    while (done := client.get_job("learning", job["id"]))["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.5)  # a client's poll pace; the job's end time is the server's finished_at, not this loop's
    if done["status"] != "succeeded":
        raise SystemExit(f"job {job['id']} {done['status']}: {done.get('error')}")
    points = [p for p in client.get_metrics("learning", job["id"], limit=1000) if p["name"] == "train.loss"]
    times = [ts(p["created_at"]) for p in points]
    return {"per_step": (times[-1] - times[0]) / (len(times) - 1), "steps": len(times),
            "create_to_first": times[0] - ts(done["created_at"]), "last_to_succeeded": ts(done["finished_at"]) - times[-1]}


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
                plain.append(run_plain(model_dir, opts.epochs, Path(tmp) / f"plain-{n}"))
                jobs.append(run_job(server, opts.epochs))
                print(f"round {n + 1}: job {jobs[-1]['per_step'] * 1000:.1f} ms/step, "
                      f"plain {plain[-1]['per_step'] * 1000:.1f} ms/step ({jobs[-1]['steps']} steps)", flush=True)
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    job_step, plain_step = med(jobs, "per_step"), med(plain, "per_step")
    print(f"\nseconds per optimizer step (median of {opts.rounds}): job {job_step:.4f} s, "
          f"plain TRL script {plain_step:.4f} s, ratio {job_step / plain_step:.3f}")
    print(f"job overhead: create -> first step {med(jobs, 'create_to_first'):.2f} s "
          f"(plain script: process start -> first step {med(plain, 'start_to_first'):.2f} s); "
          f"last step -> succeeded {med(jobs, 'last_to_succeeded'):.2f} s "
          f"(plain script: last step -> final model saved {med(plain, 'last_to_done'):.2f} s)")


if __name__ == "__main__":
    main()
