"""Requests per minute of watching a job: following the event stream vs polling.

Starts one embedded backend per step period (its request log counts every request it serves) and,
on each, two identical emulated RL jobs of `--minutes` minutes: one watched by `watch_job` as
`inv train` does (the event stream, `GET …/events/stream`), one with the stream off (polling,
4 requests a round). All watchers run at the same time, with `--poll-interval` (default 5 s, the
`inv train` default). Counted per job, from the watch's first request to its last: requests by
route, and requests per minute of job time.

    .venv/bin/python bench/bench_stream_vs_poll.py                       # 10-minute jobs (~10 min)
    .venv/bin/python bench/bench_stream_vs_poll.py --minutes 1 --step-periods 1

`--step-periods`: seconds per training step (one `rl.train.step` event and two metric points
each). 1 s is a busy job; 30 s is closer to real RL steps. The stream's cost depends on it (metrics
are read at most once per poll interval, only after new events); polling's does not.
"""

from __future__ import annotations

import argparse
import collections
import io
import threading
import time
import uuid
from typing import Any

from synthlaunch.api import SynthClient, job_id_of
from synthlaunch.console import Output
from synthlaunch.local.serve import BackendServer
from synthlaunch.render import make_renderer
from synthlaunch.stream import watch_job


def create_rl(client: SynthClient, steps: int) -> str:
    body = {"job_type": "rl", "data": {"endpoint_base_url": "http://127.0.0.1:9",
                                       "config": {"emulation": {"steps": steps},
                                                  "model": {"base": "Qwen/Qwen3-0.6B"}}}}
    job_id = job_id_of(client.create_rl_job(body, idempotency_key=uuid.uuid4().hex))
    assert job_id
    return job_id


def route(path: str, job_id: str) -> str:
    tail = path.split(f"/jobs/{job_id}", 1)[1]
    return tail.lstrip("/") or "status"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="job length in minutes (default 10)")
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--step-periods", default="1,30", help="seconds per training step, comma-separated")
    parser.add_argument("--keepalive", type=float, default=15.0, help="the backend's keep-alive period (s)")
    args = parser.parse_args()

    periods = [float(p) for p in args.step_periods.split(",") if p]
    log: list[Any] = []
    lock = threading.Lock()

    def record(item: Any) -> None:
        with lock:
            log.append((time.monotonic(), item))

    servers = [BackendServer(step_seconds=period, keepalive_seconds=args.keepalive, log_requests=record).start()
               for period in periods]
    watches: list[dict[str, Any]] = []
    threads = []
    try:
        for period, server in zip(periods, servers, strict=True):
            client = SynthClient(server.api_url, server.api_key)
            steps = max(1, round(args.minutes * 60 / period))
            for mode in ("stream", "poll"):
                job_id = create_rl(client, steps)
                watch = {"period": period, "mode": mode, "job_id": job_id, "steps": steps}
                watches.append(watch)

                def run(watch: dict[str, Any] = watch, client: SynthClient = client) -> None:
                    renderer = make_renderer("json", Output(stdout=io.StringIO(), stderr=io.StringIO()),
                                             job_id=watch["job_id"], kind="rl")
                    result = watch_job(client, watch["job_id"], kind="rl", renderer=renderer,
                                       poll_timeout=args.minutes * 60 * 3 + 120, poll_interval=args.poll_interval,
                                       event_stream=watch["mode"] == "stream")
                    watch["status"], watch["events"] = result.status, result.events_seen

                threads.append(threading.Thread(target=run))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for server in servers:
            server.stop()

    print(f"job length {args.minutes:g} min, poll interval {args.poll_interval:g} s, "
          f"keep-alive {args.keepalive:g} s; requests counted by the backend per job")
    print(f"{'s/step':>6}  {'mode':<6}  {'status':<9}  {'events':>6}  {'minutes':>7}  {'requests':>8}  "
          f"{'per min':>7}  by route")
    for watch in watches:
        mine = [(t, r) for t, r in log if f"/jobs/{watch['job_id']}" in r.path]
        first, last = mine[0][0], mine[-1][0]
        minutes = max((last - first) / 60.0, 1e-9)
        by_route = collections.Counter(route(r.path, watch["job_id"]) for _, r in mine)
        routes = ", ".join(f"{name} {n}" for name, n in sorted(by_route.items()))
        print(f"{watch['period']:>6g}  {watch['mode']:<6}  {watch.get('status', '?'):<9}  "
              f"{watch.get('events', 0):>6}  {minutes:>7.2f}  {len(mine):>8}  {len(mine) / minutes:>7.1f}  {routes}")


if __name__ == "__main__":
    main()
