"""Does the demo's RL raise the reward? The `inv demo` pipeline on the embedded backend (torch trainer):
one SFT job of configs/sft/demo.toml on configs/datasets/demo.jsonl (the built-in tiny model standing
in for the Qwen id), then RL jobs of configs/rl/demo.toml against the demo task app, each starting
from that SFT result (`[model].source = "ft:…"`) with `[training].seed` = 0 … N−1.

    python bench/bench_rl_demo.py                 # 10 RL seeds
    python bench/bench_rl_demo.py --seeds 3 --iterations 15

Prints, per seed, the mean train.reward of the first and of the last 3 iterations, the eval.reward
before and after, the wall time, and how many seeds end higher than they started.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "lib"))

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ALIAS = "Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3"
WINDOW = 3


def wait(client, prefix: str, job_id: str, timeout: float = 3600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get_job(prefix, job_id)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise TimeoutError(job_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=None, help="override [training].iterations_per_epoch")
    args = parser.parse_args()

    from synthlaunch.api import SynthClient
    from synthlaunch.local.serve import BackendServer, TaskAppServer

    sft_cfg = tomllib.loads((ROOT / "configs/sft/demo.toml").read_text())
    rl_cfg = tomllib.loads((ROOT / "configs/rl/demo.toml").read_text())
    with tempfile.TemporaryDirectory(prefix="bench-rl-") as tmp, \
            BackendServer(trainer="torch", model_aliases=[ALIAS], data_dir=Path(tmp) / "backend",
                          model_cache=Path(tmp) / "models") as backend, \
            TaskAppServer(environment_api_keys=[backend.environment_api_key]) as app:
        client = SynthClient(backend.api_url, backend.api_key)
        started = time.monotonic()
        file_id = client.upload_file(ROOT / "configs/datasets/demo.jsonl")["id"]
        while client.get_file(file_id)["status"] == "processing":
            time.sleep(0.1)
        body = {"model": sft_cfg["job"]["model"], "training_file_id": file_id, "training_type": "sft_offline",
                "hyperparameters": sft_cfg["hyperparameters"],
                "metadata": {"effective_config": {"training": {"mode": "full_finetune"}}}}
        sft = client.create_sft_job(body, idempotency_key="bench-sft")
        client.start_sft_job(sft["id"])
        sft = wait(client, "learning", sft["id"])
        if sft["status"] != "succeeded":
            print("SFT failed:", sft.get("error"))
            return 1
        print(f"SFT {sft['id']}: {sft['fine_tuned_model']} in {time.monotonic() - started:.0f} s")
        rows = []
        for seed in range(args.seeds):
            config = {**rl_cfg, "model": {**rl_cfg["model"], "source": sft["fine_tuned_model"]},
                      "training": {**rl_cfg["training"], "seed": seed}}
            config["model"].pop("base", None)
            if args.iterations:
                config["training"]["iterations_per_epoch"] = args.iterations
            began = time.monotonic()
            job = client.create_rl_job({"job_type": "rl", "compute": config["compute"],
                                        "data": {"endpoint_base_url": app.url, "config": config},
                                        "metadata": {}}, idempotency_key=f"bench-rl-{seed}")
            job = wait(client, "rl", job["id"])
            points = client.get_metrics("rl", job["id"], limit=1000)
            rewards = [p["value"] for p in points if p["name"] == "train.reward"]
            evals = [p["value"] for p in points if p["name"] == "eval.reward"]
            first = statistics.fmean(rewards[:WINDOW]) if rewards else float("nan")
            last = statistics.fmean(rewards[-WINDOW:]) if rewards else float("nan")
            rows.append((seed, job["status"], first, last, evals[:1], evals[-1:], time.monotonic() - began))
            print(f"seed {seed}: {job['status']}  train.reward first {WINDOW} {first:+.3f}  last {WINDOW} {last:+.3f}"
                  f"  eval.reward {evals[0] if evals else '-'} -> {evals[-1] if evals else '-'}"
                  f"  ({time.monotonic() - began:.0f} s)  all: {[round(r, 2) for r in rewards]}", flush=True)
        rose = sum(1 for r in rows if r[3] > r[2])
        print(f"reward rose in {rose} of {len(rows)} seeds; mean first {statistics.fmean(r[2] for r in rows):+.3f}, "
              f"mean last {statistics.fmean(r[3] for r in rows):+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
