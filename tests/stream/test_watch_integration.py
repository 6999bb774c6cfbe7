"""watch_job against the embedded backend over real HTTP: ends, timeouts, outages, faults."""

from __future__ import annotations

import threading
import time

import pytest

from synthlaunch.errors import PollTimeout
from tests.support.capture import Captured
from tests.support.fakes import watch
from tests.support.jobs import all_events, all_points, create_rl, create_sft, wait_status


def _shown(cap: Captured) -> tuple[list[int], list[tuple[str, int]], list[str]]:
    records = cap.records()
    seqs = [r["seq"] for r in records if r["record"] == "event"]
    points = [(r["name"], r["step"]) for r in records if r["record"] == "metric"]
    statuses = [r["status"] for r in records if r["record"] == "status"]
    return seqs, points, statuses


def test_rl_job_succeeds_exit_0_every_event_once(backend):
    client = backend.client()
    job_id = create_rl(client, steps=8)
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, stream_format="json", poll_interval=0.05,
                       poll_timeout=60)
    assert result.exit_code == 0 and result.status == "succeeded" and result.kind == "rl"
    seqs, points, statuses = _shown(cap)
    assert seqs == [e["seq"] for e in all_events(client, job_id)]
    assert sorted(points) == sorted((p["name"], p["step"]) for p in all_points(client, job_id))
    assert ("train.loss", 0) in points and ("train.reward", 0) in points  # step 0 kept
    assert len(statuses) == len(set(statuses)) and statuses[-1] == "succeeded"
    assert cap.records()[-1]["record"] == "summary" and cap.records()[-1]["exit_code"] == 0
    assert result.last_loss == pytest.approx([p for p in all_points(client, job_id)
                                              if p["name"] == "train.loss"][-1]["value"])


def test_sft_job_discovered_without_type_cli_lines(backend, tmp_path):
    client = backend.client()
    job_id = create_sft(client, tmp_path, steps=4)
    cap = Captured()
    result = watch(client, job_id, kind=None, out=cap.out, poll_interval=0.05, poll_timeout=60)
    text = cap.stdout.getvalue()
    assert result.exit_code == 0 and result.kind == "sft"
    assert "status=succeeded" in text and "step 1/4 loss=" in text and "step 4/4 loss=" in text
    assert "sft.job.completed (info)" in text
    assert f"job {job_id} (sft) succeeded" in text


def test_failed_job_exit_1(backend):
    client = backend.client()
    job_id = create_rl(client, steps=10, fail_at_step=3)
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, poll_interval=0.05, poll_timeout=60)
    assert result.exit_code == 1 and result.status == "failed"
    assert "rl.job.failed (error): emulated failure at step 3" in cap.stdout.getvalue()


def test_cancelled_job_exit_1(backend_factory):
    server = backend_factory(step_seconds=0.05)
    client = server.client()
    job_id = create_rl(client, steps=10_000)

    def cancel_when_running() -> None:
        other = server.client()
        wait_status(other, job_id, {"running"})
        other.cancel_job("rl", job_id)

    thread = threading.Thread(target=cancel_when_running)
    thread.start()
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, poll_interval=0.05, poll_timeout=60)
    thread.join()
    assert result.exit_code == 1 and result.status == "cancelled"
    assert "status=cancelled" in cap.stdout.getvalue()


def test_poll_timeout_exit_5_job_left_running(backend_factory):
    server = backend_factory(step_seconds=0.05)
    client = server.client()
    job_id = create_rl(client, steps=10_000)
    cap = Captured()
    with pytest.raises(PollTimeout) as info:
        watch(client, job_id, kind="rl", out=cap.out, poll_interval=0.1, poll_timeout=0.6)
    assert info.value.exit_code == 5 and info.value.reported
    err = cap.stderr.getvalue()
    assert f"inv stream --job-id {job_id}" in err and f"inv cancel {job_id}" in err
    assert client.get_job("rl", job_id)["status"] in ("queued", "running")


def test_outage_in_the_middle_one_warning_one_reconnect_no_gaps(backend_factory):
    server = backend_factory(step_seconds=0.03)
    client = server.client()
    job_id = create_rl(client, steps=40)
    outage_done = threading.Event()

    def outage() -> None:
        other = server.client()
        deadline = time.monotonic() + 30
        while len(all_events(other, job_id)) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.stop(cleanup=False)
        time.sleep(1.0)
        server.start()
        outage_done.set()

    thread = threading.Thread(target=outage)
    thread.start()
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, stream_format="json", poll_interval=0.05,
                       poll_timeout=120)
    thread.join()
    assert outage_done.is_set()
    assert result.exit_code == 0
    err = cap.stderr.getvalue()
    assert err.count("backend unreachable") == 1, err
    assert err.count("reconnected to the backend") == 1, err
    seqs, points, _ = _shown(cap)
    assert seqs == [e["seq"] for e in all_events(client, job_id)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert sorted(points) == sorted((p["name"], p["step"]) for p in all_points(client, job_id))


def test_thirty_percent_faults_events_equal_server_events(backend_factory):
    server = backend_factory(step_seconds=0.01,
                             faults="path=/api/*,rate=0.3,kinds=429+503+500+drop,seed=11,retry_after=0.05")
    client = server.client()
    job_id = create_rl(client, steps=25)
    cap = Captured()
    result = watch(client, job_id, kind="rl", out=cap.out, stream_format="json", poll_interval=0.05,
                       poll_timeout=120)
    server.clear_faults()
    assert result.exit_code == 0
    seqs, points, statuses = _shown(cap)
    server_seqs = [e["seq"] for e in all_events(client, job_id)]
    assert seqs == server_seqs and len(seqs) == len(set(seqs))
    assert seqs == list(range(1, len(seqs) + 1))
    server_points = [(p["name"], p["step"]) for p in all_points(client, job_id)]
    assert sorted(points) == sorted(server_points) and len(points) == len(set(points))
    assert len(statuses) == len(set(statuses))


def test_at_most_four_requests_per_round_counted_on_the_wire(backend):
    from requests.adapters import HTTPAdapter

    from synthlaunch.stream import JobStreamer

    sent: list[str] = []

    class Counting(HTTPAdapter):
        def send(self, request, *args, **kwargs):
            sent.append(f"{request.method} {request.path_url}")
            return super().send(request, *args, **kwargs)

    client = backend.client()
    job_id = create_rl(client, steps=10_000)
    client.session.mount("http://", Counting())
    streamer = JobStreamer(client, job_id, kind="rl")
    for _ in range(5):
        sent.clear()
        streamer.poll()
        assert len(sent) <= 4, sent
        assert all("/api/rl/jobs/" in line for line in sent)  # RL read on the rl paths, no fallback
    client.cancel_job("rl", job_id)


def test_backend_down_until_the_timeout_exit_4_one_warning(backend_factory):
    from synthlaunch.errors import BackendUnreachable

    server = backend_factory(step_seconds=0.05)
    client = server.client()
    job_id = create_rl(client, steps=10_000)
    wait_status(client, job_id, {"running"})
    cap = Captured()
    streamer_started = threading.Event()

    def stop_soon() -> None:
        streamer_started.wait(30)
        server.stop(cleanup=False)

    thread = threading.Thread(target=stop_soon)
    thread.start()
    original = cap.out.info

    def info(text: str) -> None:  # the first line shown means the watch is under way
        original(text)
        streamer_started.set()

    cap.out.info = info  # type: ignore[method-assign]
    with pytest.raises(BackendUnreachable) as raised:
        watch(client, job_id, kind="rl", out=cap.out, poll_interval=0.1, poll_timeout=3)
    thread.join()
    assert raised.value.exit_code == 4 and raised.value.reported
    err = cap.stderr.getvalue()
    assert err.count("backend unreachable") == 1, err
    assert "stayed unreachable until the poll timeout" in err and f"inv stream --job-id {job_id}" in err


@pytest.mark.timeout(40)  # with the contract's uncapped 60 s read timeout this would not end in time
def test_backend_that_never_answers_ends_at_the_poll_timeout(backend_factory):
    """Defect 1 of the reference: a dead backend made it hang forever. Per-attempt timeouts are
    capped by the remaining poll time, so a backend that accepts but never answers ends the watch."""
    from synthlaunch.errors import BackendUnreachable

    server = backend_factory(step_seconds=0.05)
    client = server.client()
    job_id = create_rl(client, steps=10_000)
    server.set_faults("path=/api/rl/jobs/*,method=GET,rate=1,kinds=latency,latency=60")
    cap = Captured()
    with pytest.raises(BackendUnreachable) as raised:
        watch(client, job_id, kind="rl", out=cap.out, poll_interval=0.1, poll_timeout=2)
    server.clear_faults()
    assert raised.value.exit_code == 4
    assert "timed out waiting for the answer" in cap.stderr.getvalue()
