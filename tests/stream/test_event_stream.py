"""Watching a job over the event stream (`GET …/events/stream`) and falling back to polling.

Against the embedded backend (which logs every request it serves) and against a scripted stub for
what it does not do (404/405, a stream dropped half-way, later backends' names). Every test checks
that each event is shown exactly once, in seq order."""

from __future__ import annotations

from typing import Any

import pytest

from synthlaunch.api import SynthClient
from synthlaunch.errors import JobPaused
from tests.stream.job_stub import JobStub, sft_events
from tests.support.capture import Captured
from tests.support.fakes import watch
from tests.support.jobs import all_events, create_rl


def _seqs(cap: Captured) -> list[int]:
    return [r["seq"] for r in cap.records() if r["record"] == "event"]


def _paths(records: list[Any], suffix: str) -> int:
    return sum(1 for r in records if r.path.endswith(suffix))


def test_watch_follows_the_event_stream_one_request_instead_of_polling_rounds(backend_factory):
    log: list[Any] = []
    server = backend_factory(step_seconds=0.03, log_requests=log.append)
    client = server.client()
    job_id = create_rl(client, steps=40)
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, stream_format="json", poll_interval=0.5)
    assert result.status == "succeeded" and result.exit_code == 0
    watched = [r for r in log if f"/jobs/{job_id}" in r.path]
    assert _seqs(cap) == [e["seq"] for e in all_events(client, job_id)]  # every event once, in order
    assert _paths(watched, "/events/stream") == 1
    # the first round and the final round poll events; nothing in between does
    assert _paths(watched, "/events") <= 2
    assert _paths(watched, f"/jobs/{job_id}") <= 3  # locate, (a status every 30 s), final status


def test_watch_polls_a_backend_without_the_stream_exactly_once(backend_factory):
    log: list[Any] = []
    server = backend_factory(step_seconds=0.02, log_requests=log.append, event_stream=False)
    client = server.client()
    job_id = create_rl(client, steps=20)
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, stream_format="json", poll_interval=0.05)
    assert result.status == "succeeded"
    assert _seqs(cap) == [e["seq"] for e in all_events(client, job_id)]
    watched = [r for r in log if f"/jobs/{job_id}" in r.path]
    assert [r.status for r in watched if r.path.endswith("/events/stream")] == [404]  # asked once, then polls
    assert _paths(watched, "/events") >= 2


@pytest.mark.parametrize("answer", ["404", "405"])
def test_no_stream_on_a_stub_backend_means_polling(answer):
    events = sft_events(5)
    stub = JobStub(events=events, stream=answer, final_status="succeeded")
    try:
        cap = Captured()
        result = watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft", out=cap.out,
                       stream_format="json", poll_interval=0.05, poll_timeout=30)
    finally:
        stub.stop()
    assert result.status == "succeeded"
    assert _seqs(cap) == [e["seq"] for e in events]
    assert stub.count("/events/stream") == 1


def test_a_stream_that_breaks_falls_back_to_polling_from_the_last_seq_exactly_once():
    events = sft_events(8)
    # the stream drops after 3 frames; the polled route repeats old events on every answer
    stub = JobStub(events=events, stream="break:3", repeat=True, final_status="succeeded")
    try:
        cap = Captured(verbose=True)
        result = watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft", out=cap.out,
                       stream_format="json", poll_interval=0.05, poll_timeout=30)
    finally:
        stub.stop()
    assert result.status == "succeeded"
    assert _seqs(cap) == [e["seq"] for e in events]
    assert stub.count("/events/stream") == 1
    polled = [r for r in stub.requests if r.split("?")[0].endswith("/events")]
    # the first round read seq 1, the stream 2-4: the first poll after the break resumes after seq 4
    assert "since_seq=4" in polled[1]
    assert "event stream broke" in cap.stderr.getvalue()


def test_later_backend_names_end_the_watch_and_read_as_the_contract():
    events = sft_events(2, terminal="learning.policy.sft.job.completed")
    for event in events:
        event["ts"] = "2026-01-01T00:00:0%dZ" % event["seq"]
    events[1]["level"] = "warn"
    stub = JobStub(events=events, stream="ok")  # the status never leaves running: the event decides
    try:
        cap = Captured()
        result = watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft", out=cap.out,
                       stream_format="json", poll_interval=0.05, poll_timeout=30)
    finally:
        stub.stop()
    assert result.status == "succeeded" and result.exit_code == 0
    shown = [r for r in cap.records() if r["record"] == "event"]
    assert [r["created_at"] for r in shown] == [e["ts"] for e in events]
    assert shown[1]["level"] == "warning"


def test_orchestration_job_cancelled_ends_the_watch_with_exit_1():
    events = sft_events(1, terminal="job.cancelled")
    stub = JobStub(events=events, stream="ok")
    try:
        result = watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft",
                       out=Captured().out, poll_interval=0.05, poll_timeout=30)
    finally:
        stub.stop()
    assert result.status == "cancelled" and result.exit_code == 1


@pytest.mark.parametrize("stream", ["ok", "404"])
def test_a_paused_job_stops_the_watch_with_exit_5_and_the_reattach_hint(stream):
    stub = JobStub(events=sft_events(0)[:1], status="paused", stream=stream)
    try:
        cap = Captured()
        with pytest.raises(JobPaused) as raised:
            watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft", out=cap.out,
                  poll_interval=0.05, poll_timeout=600)
    finally:
        stub.stop()
    assert raised.value.exit_code == 5 and raised.value.reported
    err = cap.stderr.getvalue()
    assert "paused" in err and f"stream --job-id {stub.job_id}" in err


@pytest.mark.parametrize("status, outcome", [("paused", "paused"), ("cancelled", "cancelled")])
def test_status_read_beside_an_idle_stream_notices_a_job_paused_or_ended_without_an_event(monkeypatch, status,
                                                                                          outcome):
    import synthlaunch.stream as stream

    monkeypatch.setattr(stream, "STATUS_EVERY", 0.2)
    stub = JobStub(events=sft_events(0)[:1], stream="idle", final_status=status)
    try:
        cap = Captured()
        client = SynthClient(stub.url + "/api", "sk_" + "s" * 24)
        if outcome == "paused":
            with pytest.raises(JobPaused) as raised:
                watch(client, stub.job_id, kind="sft", out=cap.out, poll_interval=0.05, poll_timeout=60)
            assert raised.value.exit_code == 5
        else:
            result = watch(client, stub.job_id, kind="sft", out=cap.out, poll_interval=0.05, poll_timeout=60)
            assert result.status == "cancelled" and result.exit_code == 1
    finally:
        stub.stop()
    assert stub.count("/events/stream") == 1


def test_a_frame_that_never_ends_is_not_buffered_forever_the_watch_polls():
    events = sft_events(3)
    stub = JobStub(events=events, stream="endless", final_status="succeeded")
    try:
        cap = Captured(verbose=True)
        result = watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft", out=cap.out,
                       stream_format="json", poll_interval=0.05, poll_timeout=60)
    finally:
        stub.stop()
    assert result.status == "succeeded"
    assert _seqs(cap) == [e["seq"] for e in events]
    assert "frame exceeds" in cap.stderr.getvalue()


def test_later_active_statuses_keep_the_watch_going():
    events = sft_events(2)
    for status in ("pending", "in_progress"):
        stub = JobStub(events=events, status=status, stream="ok")
        try:
            result = watch(SynthClient(stub.url + "/api", "sk_" + "s" * 24), stub.job_id, kind="sft",
                           out=Captured().out, poll_interval=0.05, poll_timeout=60)
        finally:
            stub.stop()
        assert result.status == "succeeded"  # from the terminal event: the status never said so
