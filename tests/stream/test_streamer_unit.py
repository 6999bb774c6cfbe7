"""Unit tests of the streamer's bookkeeping: cursors, exactly-once, terminal detection, renderers."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthlaunch.errors import Interrupted, PollTimeout
from synthlaunch.render.cli import event_line, format_value, is_noisy, metric_line
from synthlaunch.stream import Cursors, EventSeen, JobStreamer, MetricSeen, StatusChange, kind_of
from tests.support.capture import Captured
from tests.support.fakes import FakeClient, FakeJob, watch


def _ev(seq: int, etype: str = "sft.progress", **kw) -> dict:
    return {"seq": seq, "type": etype, "level": "info", "message": f"event {seq}", **kw}


def test_events_deduplicated_sorted_and_cursor_forward():
    s = JobStreamer(FakeClient(FakeJob()), "j1")
    got = s._events([_ev(3), _ev(1), _ev(2), _ev(2)])
    assert [u.event["seq"] for u in got] == [1, 2, 3]
    assert s.cursors.since_seq == 3
    assert s._events([_ev(1), _ev(3), _ev(4)]) == [EventSeen(_ev(4))]
    assert s._events([_ev(2)]) == []
    assert s.cursors.since_seq == 4
    assert s.events_seen == 4


def test_metrics_keep_step_zero_and_late_series_of_last_step():
    s = JobStreamer(FakeClient(FakeJob()), "j1")
    first = s._metrics([{"name": "train.loss", "value": 2.0, "step": 0}])
    assert first == [MetricSeen({"name": "train.loss", "value": 2.0, "step": 0})]
    # the reward at step 0 arrives later: still shown, loss at step 0 not repeated
    later = s._metrics([{"name": "train.loss", "value": 2.0, "step": 0},
                        {"name": "reward", "value": 0.1, "step": 0},
                        {"name": "train.loss", "value": 1.5, "step": 1}])
    assert [(u.point["name"], u.point["step"]) for u in later] == [("reward", 0), ("train.loss", 1)]
    assert s.last_loss == 1.5
    assert s._metrics([{"name": "train.loss", "value": 9.0, "step": 0}]) == []


def test_status_only_on_change():
    s = JobStreamer(FakeClient(FakeJob()), "j1")
    assert s._status("queued") == [StatusChange("queued")]
    assert s._status("queued") == []
    assert s._status("running") == [StatusChange("running")]
    assert s._status(None) == []


def test_terminal_by_event_type():
    s = JobStreamer(FakeClient(FakeJob()), "j1")
    s._status("running")
    assert not s.terminal
    s._events([_ev(1, "sft.job.failed")])
    assert s.terminal and s.final_status == "failed"


def test_kind_of_prefers_record_then_prefix():
    assert kind_of({"job_type": "rl"}, "learning") == "rl"
    assert kind_of({"training_type": "sft_offline"}, "rl") == "sft"
    assert kind_of({}, "rl") == "rl"
    assert kind_of({}, "learning") == "sft"


def test_poll_round_is_four_requests_and_rl_falls_back_on_404():
    client = FakeClient(FakeJob(events=[_ev(1)]), prefix="learning")
    s = JobStreamer(client, "j1", kind="rl")
    s.poll()
    # first round: rl 404, learning found, events, metrics, timeline
    assert client.calls[0] == "GET rl/jobs/j1" and client.calls[1] == "GET learning/jobs/j1"
    client.calls.clear()
    s.poll()
    assert len(client.calls) == 4
    assert all(c.startswith("GET learning/") for c in client.calls)


def test_sft_never_asks_rl_paths():
    client = FakeClient(FakeJob(), prefix="learning")
    JobStreamer(client, "j1", kind="sft").poll()
    assert not any("rl/" in c for c in client.calls)


seqs = st.lists(st.integers(min_value=1, max_value=60), max_size=40)


@settings(max_examples=60, deadline=None)
@given(pages=st.lists(seqs, min_size=1, max_size=8))
def test_each_event_handed_out_once_in_order_whatever_the_pages(pages):
    s = JobStreamer(FakeClient(FakeJob()), "j1")
    shown = []
    for page in pages:
        shown += [u.event["seq"] for u in s._events([_ev(n) for n in page])]
    assert shown == sorted(set(shown))
    # everything above what was shown at each point is eventually shown: the union of pages'
    # maxima prefix is shown, and nothing is shown twice
    assert len(shown) == len(set(shown))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_events=st.integers(0, 30), split=st.integers(0, 30))
def test_resume_from_cursors_shows_the_rest_once(seed, n_events, split):
    """Reattach: a second streamer resumed from the first's cursors repeats nothing."""
    job = FakeJob(events=[_ev(i) for i in range(1, n_events + 1)],
                  points=[{"name": "train.loss", "value": 1.0 / (i + 1), "step": i} for i in range(n_events)])
    visible = FakeJob(events=job.events[:split], points=job.points[:split])
    rng = random.Random(seed)
    first = JobStreamer(FakeClient(visible, rng=rng, repeat_old=True), "j1")
    seen = [u for u in first.poll() if isinstance(u, (EventSeen, MetricSeen))]
    second = JobStreamer(FakeClient(job, rng=rng, repeat_old=True), "j1", cursors=first.cursors)
    seen += [u for u in second.poll() if isinstance(u, (EventSeen, MetricSeen))]
    seen += [u for u in second.poll() if isinstance(u, (EventSeen, MetricSeen))]
    assert [u.event["seq"] for u in seen if isinstance(u, EventSeen)] == list(range(1, n_events + 1))
    assert sorted(u.point["step"] for u in seen if isinstance(u, MetricSeen)) == list(range(n_events))


def test_cli_lines_and_noise():
    assert event_line(_ev(7, message="hello")).endswith("[7] sft.progress (info): hello")
    assert metric_line({"name": "train.loss", "value": 0.53214, "step": 0}).endswith("train.loss=0.5321 (step=0)")
    assert is_noisy({"type": "sft.worker.alive"}) and is_noisy({"type": "x", "level": "debug"})
    assert not is_noisy({"type": "sft.progress"})
    assert format_value(1e-7) == "1e-07" and format_value(3) == "3"


def _finished_job(status: str = "succeeded") -> FakeJob:
    return FakeJob(status=status,
                   events=[_ev(1, "sft.worker.alive"), _ev(2), _ev(3, "sft.job.completed")],
                   points=[{"name": "train.loss", "value": 0.9, "step": 0},
                           {"name": "train.loss", "value": 0.4, "step": 1}])


def test_watch_cli_hides_noise_and_summarises():
    out, stdout, _ = Captured().parts
    result = watch(FakeClient(_finished_job()), "j1", kind="sft", out=out, poll_interval=0.01)
    text = stdout.getvalue()
    assert result.exit_code == 0 and result.status == "succeeded" and result.last_loss == 0.4
    assert "sft.worker.alive" not in text and "[2] sft.progress" in text
    assert "step 1 loss=0.9000" in text and "step 2 loss=0.4000" in text and "status=succeeded" in text
    assert "job j1 (sft) succeeded" in text and result.events_seen == 3


def test_watch_failed_job_exit_1():
    out, _, _ = Captured().parts
    assert watch(FakeClient(_finished_job("failed")), "j1", kind="sft", out=out).exit_code == 1


def test_watch_json_records():
    out, stdout, stderr = Captured().parts
    watch(FakeClient(_finished_job()), "j1", kind="sft", out=out, stream_format="json")
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    kinds = [r["record"] for r in records]
    assert kinds == ["event", "event", "event", "metric", "metric", "status", "summary"]
    assert records[-1]["exit_code"] == 0 and records[-1]["last_loss"] == 0.4
    assert records[0]["type"] == "sft.worker.alive"  # machine output keeps everything
    assert "succeeded" in stderr.getvalue()


def test_poll_timeout_raises_with_reattach_hint():
    out, _, stderr = Captured().parts
    with pytest.raises(PollTimeout) as info:
        watch(FakeClient(FakeJob(status="running")), "j9", kind="sft", out=out,
                  poll_timeout=0.05, poll_interval=0.01)
    assert info.value.exit_code == 5 and info.value.reported
    assert "inv stream --job-id j9" in stderr.getvalue()


def test_ctrl_c_leaves_job_running_or_cancels():
    def interrupt(_seconds):
        raise KeyboardInterrupt

    job = FakeJob(status="running")
    out, _, stderr = Captured().parts
    with pytest.raises(Interrupted) as info:
        watch(FakeClient(job), "j2", kind="sft", out=out, sleep=interrupt)
    assert info.value.exit_code == 130 and job.status == "running"
    assert "inv stream --job-id j2" in stderr.getvalue() and "inv cancel j2" in stderr.getvalue()

    client = FakeClient(job)
    out, _, stderr = Captured().parts
    with pytest.raises(Interrupted):
        watch(client, "j2", kind="sft", out=out, sleep=interrupt, cancel_on_interrupt=True)
    assert job.status == "cancelled" and "cancelled job j2" in stderr.getvalue()


def test_cursors_default_keeps_step_zero():
    assert Cursors().max_step == -1


def test_json_poll_timeout_keeps_stdout_ndjson():
    out, stdout, stderr = Captured().parts
    with pytest.raises(PollTimeout):
        watch(FakeClient(FakeJob(status="running", events=[_ev(1)])), "j7", kind="sft", out=out,
                  stream_format="json", poll_timeout=0.05, poll_interval=0.01)
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]  # every line is JSON
    assert [r["record"] for r in records][-2:] == ["error", "summary"]
    assert records[-2]["exit_code"] == 5 and records[-1]["exit_code"] == 5
    assert "inv stream --job-id j7" in stderr.getvalue()


points_pages = st.lists(st.lists(st.tuples(st.sampled_from(["train.loss", "train.reward"]),
                                           st.integers(min_value=0, max_value=20)), max_size=30),
                        min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(pages=points_pages)
def test_each_metric_point_handed_out_once_and_the_full_view_completes(pages):
    s = JobStreamer(FakeClient(FakeJob()), "j1")
    shown: list[tuple[str, int]] = []
    everything = sorted({p for page in pages for p in page}, key=lambda p: (p[1], p[0]))
    for page in pages + [everything]:  # finally the server answers with everything it has
        after = max(-1, s.cursors.max_step - 1)
        answer = [{"name": n, "step": k, "value": 1.0} for n, k in page if k > after]
        shown += [(u.point["name"], u.point["step"]) for u in s._metrics(answer)]
    assert len(shown) == len(set(shown))
    # everything at or after the last step reached is shown (late points of older steps are not asked for)
    assert {p for p in everything if p[1] >= s.cursors.max_step} <= set(shown)
