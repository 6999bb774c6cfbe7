"""Preflight wall time vs. the sum of its checks' latencies (the three checks run concurrently).

Starts the embedded backend (with an injected latency on verify_task_app, to stand in for a remote
backend) and the demo task app on free ports, runs `run_checks` N times, prints medians.

    .venv/bin/python bench/preflight_concurrency.py [runs] [verify_latency_seconds]
"""

from __future__ import annotations

import statistics
import sys
import time

from synthlaunch.api import SynthClient
from synthlaunch.local.serve import BackendServer, TaskAppServer
from synthlaunch.preflight import run_checks


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    latency = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
    key = "env_bench_" + "0" * 24
    faults = f"path=/api/rl/verify_task_app,kinds=latency,latency={latency}" if latency > 0 else None
    with BackendServer(environment_api_keys=[key], faults=faults) as backend, \
            TaskAppServer(environment_api_keys=[key]) as app:
        client = SynthClient(backend.api_url, backend.api_key)
        walls, sums, maxes = [], [], []
        for _ in range(runs + 1):
            started = time.perf_counter()
            report = run_checks(client, app.url, key)
            wall = (time.perf_counter() - started) * 1000
            assert report.ok, report.as_dict()
            walls.append(wall)
            sums.append(sum(r.latency_ms or 0 for r in report.rows))
            maxes.append(max(r.latency_ms or 0 for r in report.rows))
        walls, sums, maxes = walls[1:], sums[1:], maxes[1:]  # first run warms connections and imports
    print(f"runs={runs} verify_latency={latency}s")
    print(f"median wall time of run_checks: {statistics.median(walls):.1f} ms")
    print(f"median slowest single check: {statistics.median(maxes):.1f} ms")
    print(f"median sum of the three checks' latencies (sequential lower bound): {statistics.median(sums):.1f} ms")


if __name__ == "__main__":
    main()
