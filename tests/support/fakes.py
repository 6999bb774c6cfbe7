"""An in-memory stand-in for SynthClient's job methods (unit tests of the bookkeeping only).

It answers like the wire contract, but may repeat, reorder and page answers, so that the
streamer's exactly-once logic is exercised without a server. Integration tests use the real one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from synthlaunch.http import DEFAULT_POLICY


@dataclass
class FakeJob:
    status: str = "running"
    events: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)


class FakeClient:
    policy = DEFAULT_POLICY
    base_url = "http://fake/api"

    def __init__(self, job: FakeJob, *, prefix: str = "learning", rng: random.Random | None = None,
                 repeat_old: bool = False) -> None:
        self.job = job
        self.prefix = prefix
        self.rng = rng
        self.repeat_old = repeat_old
        self.calls: list[str] = []
        self.on_retry = None

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def observed(self, on_retry):
        self.on_retry = on_retry
        return self

    def get_job(self, prefix, job_id, *, policy=None, timeout=None):
        self.calls.append(f"GET {prefix}/jobs/{job_id}")
        return {"id": job_id, "status": self.job.status} if prefix == self.prefix else None

    def find_job(self, job_id, kind=None, *, policy=None, timeout=None):
        for prefix in (("learning",) if kind == "sft" else ("rl", "learning")):
            job = self.get_job(prefix, job_id)
            if job is not None:
                return prefix, job
        raise AssertionError("not found")

    def _shuffle(self, items):
        items = list(items)
        if self.rng is not None:
            self.rng.shuffle(items)
        return items

    def get_events(self, prefix, job_id, *, since_seq=0, limit=200, policy=None, timeout=None):
        self.calls.append(f"GET {prefix}/jobs/{job_id}/events?since_seq={since_seq}")
        floor = 0 if self.repeat_old else since_seq
        page = [e for e in self.job.events if e["seq"] > floor][:limit]
        return self._shuffle(page + (page[:1] if self.repeat_old else []))

    def get_metrics(self, prefix, job_id, *, after_step=-1, limit=200, policy=None, timeout=None):
        self.calls.append(f"GET {prefix}/jobs/{job_id}/metrics?after_step={after_step}")
        floor = -1 if self.repeat_old else after_step
        return self._shuffle([p for p in self.job.points if p["step"] > floor][:limit])

    def get_timeline(self, prefix, job_id, *, policy=None, timeout=None):
        self.calls.append(f"GET {prefix}/jobs/{job_id}/timeline")
        return list(self.job.phases)

    def open_event_stream(self, prefix, job_id, *, since_seq=0, policy=None, timeout=None):
        """A backend older than the event stream: the watch polls."""
        self.calls.append(f"GET {prefix}/jobs/{job_id}/events/stream?since_seq={since_seq} -> 404")
        return None

    def cancel_job(self, prefix, job_id):
        self.calls.append(f"POST {prefix}/jobs/{job_id}/cancel")
        self.job.status = "cancelled"
        return {"status": "cancelled"}


def watch(client, job_id, *, kind, out, stream_format="cli", poll_timeout=3600.0, poll_interval=5.0, **more):
    """`stream.watch_job` with the renderer the command would make for `stream_format`."""
    from synthlaunch.render import make_renderer
    from synthlaunch.stream import watch_job

    renderer = make_renderer(stream_format, out, job_id=job_id, kind=kind)
    return watch_job(client, job_id, kind=kind, renderer=renderer, poll_timeout=poll_timeout,
                     poll_interval=poll_interval, **more)
