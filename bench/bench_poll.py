"""Requests per poll round of the job streamer, counted on the wire (a counting transport adapter).

Starts the embedded backend on a free port, creates emulated RL and SFT jobs, and:
1. runs `--rounds` steady-state poll rounds of `JobStreamer.poll` per kind and counts the HTTP
   requests each round sends (target: at most 4; the reference client sends 3 event requests
   per RL round alone);
2. watches a whole job with `watch_job` (poll interval `--interval`) and prints total requests,
   rounds, events and metric points shown.

    .venv/bin/python bench/bench_poll.py --rounds 50
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import re
import tempfile
import time
import uuid
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from synthlaunch.api import SynthClient, job_id_of
from synthlaunch.console import Output
from synthlaunch.local.serve import BackendServer
from synthlaunch.stream import JobStreamer, watch_job


class CountingAdapter(HTTPAdapter):
    """An HTTPAdapter that counts every request it sends, by path."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.paths: collections.Counter[str] = collections.Counter()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.count += 1
        path = re.sub(r"/jobs/[^/?]+", "/jobs/{id}", (request.path_url or "").split("?")[0])
        self.paths[f"{request.method} {path}"] += 1
        return super().send(request, *args, **kwargs)


def counting_client(server: BackendServer) -> tuple[SynthClient, CountingAdapter]:
    client = SynthClient(server.api_url, server.api_key)
    adapter = CountingAdapter()
    client.session.mount("http://", adapter)
    return client, adapter


def create_rl(client: SynthClient, steps: int) -> str:
    body = {"job_type": "rl", "data": {"endpoint_base_url": "http://127.0.0.1:9",
                                       "config": {"emulation": {"steps": steps}}}}
    return str(job_id_of(client.create_rl_job(body, idempotency_key=uuid.uuid4().hex)))


def create_sft(client: SynthClient, steps: int, tmp: str) -> str:
    path = f"{tmp}/bench-{uuid.uuid4().hex[:6]}.jsonl"
    with open(path, "w") as fh:
        fh.write(json.dumps({"messages": [{"role": "user", "content": "hi"}],
                             "metadata": {"emulation": {"steps": steps}}}) + "\n")
    file_id = client.upload_file(path)["id"]
    while (client.get_file(file_id) or {}).get("status") != "ready":
        time.sleep(0.01)
    job_id = str(job_id_of(client.create_sft_job({"model": "Qwen/Qwen3-0.6B", "training_file_id": file_id},
                                                 idempotency_key=uuid.uuid4().hex)))
    client.start_sft_job(job_id)
    return job_id


def per_round(server: BackendServer, kind: str, rounds: int, tmp: str) -> dict[str, Any]:
    setup = SynthClient(server.api_url, server.api_key)
    job_id = create_rl(setup, 100_000) if kind == "rl" else create_sft(setup, 100_000, tmp)
    client, adapter = counting_client(server)
    streamer = JobStreamer(client, job_id, kind=kind)
    streamer.poll()  # the first round also locates the job (RL: `rl` path answers directly)
    first = adapter.count
    counts = []
    for _ in range(rounds):
        before = adapter.count
        streamer.poll()
        counts.append(adapter.count - before)
        time.sleep(0.01)
    return {"kind": kind, "first_round": first, "rounds": rounds, "max": max(counts),
            "mean": sum(counts) / len(counts), "paths": sorted(p for p in adapter.paths)}


def whole_job(server: BackendServer, steps: int, interval: float) -> dict[str, Any]:
    client, adapter = counting_client(server)
    job_id = create_rl(SynthClient(server.api_url, server.api_key), steps)
    stdout = io.StringIO()
    started = time.monotonic()
    result = watch_job(client, job_id, kind="rl", out=Output(stdout=stdout, stderr=io.StringIO()),
                       stream_format="json", poll_interval=interval, poll_timeout=600)
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    return {"status": result.status, "requests": adapter.count, "seconds": round(time.monotonic() - started, 2),
            "events": sum(r["record"] == "event" for r in records),
            "points": sum(r["record"] == "metric" for r in records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--step-seconds", type=float, default=0.02)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = BackendServer(step_seconds=args.step_seconds, data_dir=tmp)
        server.start()
        try:
            for kind in ("rl", "sft"):
                r = per_round(server, kind, args.rounds, tmp)
                print(f"{kind}: requests per poll round: max {r['max']}, mean {r['mean']:.2f} over {r['rounds']} "
                      f"rounds (first round incl. locating the job: {r['first_round']})")
                print(f"    endpoints: {', '.join(r['paths'])}")
            w = whole_job(server, args.steps, args.interval)
            print(f"whole RL job ({args.steps} steps, poll interval {args.interval}s): {w['requests']} requests "
                  f"in {w['seconds']}s, {w['events']} events and {w['points']} metric points shown, "
                  f"status {w['status']}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
