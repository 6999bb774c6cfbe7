"""Start-up time of `inv --list` and `inv train --help` against a bare Invoke tasks file.

The baseline is the same `inv` binary in a folder whose tasks.py holds one empty task, so the
ratio is what synthlaunch's Collection adds to Invoke's own start-up (the design's lazy imports:
no HTTP, TOML, chart or server library at `--list` / `--help` time). Target: ratio <= 1.3.

Like hyperfine: warm-up runs, then `--runs` measured runs per command, alternating project and
baseline so that both see the same machine load; reports median, min and the ratio of medians.

    .venv/bin/python bench/bench_startup.py --runs 30
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INV = str(Path(sys.executable).parent / "inv")
BARE = "from invoke import task\n\n\n@task\ndef train(c):\n    \"\"\"One task.\"\"\"\n"


def once(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([INV, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(args: list[str], project: Path, bare: Path, runs: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        once(args, project)
        once(args, bare)
    ours: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        ours.append(once(args, project))
        base.append(once(args, bare))
    return {"ours_median": statistics.median(ours), "ours_min": min(ours),
            "bare_median": statistics.median(base), "bare_min": min(base),
            "ratio_median": statistics.median(ours) / statistics.median(base),
            "ratio_min": min(ours) / min(base)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp)
        (bare / "tasks.py").write_text(BARE)
        for label, args in (("inv --list", ["--list"]), ("inv train --help", ["train", "--help"])):
            results[label] = measure(args, REPO, bare, opts.runs, opts.warmup)
    if opts.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'command':<18} {'synthlaunch':>12} {'bare tasks.py':>14} {'ratio (median)':>15} {'ratio (min)':>12}")
    for label, r in results.items():
        print(f"{label:<18} {r['ours_median'] * 1000:>9.0f} ms {r['bare_median'] * 1000:>11.0f} ms "
              f"{r['ratio_median']:>15.2f} {r['ratio_min']:>12.2f}")
    print(f"({opts.runs} runs each after {opts.warmup} warm-up runs, alternating; target ratio <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
