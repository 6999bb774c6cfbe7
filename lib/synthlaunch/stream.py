"""Watching a job: `JobStreamer` (cursors, dedupe, terminal detection) and `watch_job` (time, outages,
Ctrl-C, rendering).

One poll round is at most 4 requests: status, events after the `since_seq` cursor, metric points
after the `after_step` cursor, timeline. When the backend offers the event stream
(`GET /api/{rl|learning}/jobs/{id}/events/stream`), events arrive over that one connection instead,
and the other reads become occasional (metrics at most once per poll interval and only after new
events, the status every `STATUS_EVERY` seconds); a backend without the stream (404/405) or a
stream that breaks sends the watch back to polling, from the last seq. Cursors only move forward;
every event and metric point is handed out exactly once per streamer, whatever retries, reconnects
or repeated answers happen, and a streamer can be resumed from the `Cursors` of another (reattach
without repeats). RL jobs are read on the `rl` paths, falling back to `learning` only on 404
(`SynthClient.find_job`).

Knows the wire contract's job semantics, not the terminal: updates go to the `Renderer` it is given
(this module owns the protocol; `render/` implements it).
"""

from __future__ import annotations

import math
import shlex
import time
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Protocol, Union

from .console import command_name
from .errors import (
    EXIT_INTERNAL,
    EXIT_JOB_FAILED,
    EXIT_OK,
    BackendError,
    BackendUnreachable,
    EventStreamBroken,
    Interrupted,
    JobPaused,
    PollTimeout,
    SynthlaunchError,
)
from .jobinfo import result_model_id
from .timefmt import seconds_between

if TYPE_CHECKING:  # pragma: no cover
    from .api import SynthClient
    from .http import RetryEvent, RetryPolicy

SUCCESS_STATUSES = frozenset({"succeeded", "completed"})
FAILURE_STATUSES = frozenset({"failed", "cancelled", "canceled"})
TERMINAL_STATUSES = SUCCESS_STATUSES | FAILURE_STATUSES
#: the backend paused the job: watching stops (exit 5, the job is still there), see `JobPaused`
PAUSED_STATUSES = frozenset({"paused"})
#: still going (later backends add `in_progress` and `pending` to `queued`/`running`)
ACTIVE_STATUSES = frozenset({"created", "queued", "pending", "running", "in_progress"})
SUCCESS_EVENTS = frozenset({"sft.job.completed", "rl.train.completed", "rl.job.completed",
                            "workflow.completed", "training.completed",
                            "learning.policy.sft.job.completed", "learning.policy.rl.job.completed",
                            "job.completed"})
FAILURE_EVENTS = frozenset({"sft.job.failed", "rl.train.failed", "rl.job.failed", "workflow.failed",
                            "training.failed", "learning.policy.sft.job.failed", "learning.policy.rl.job.failed",
                            "job.failed"})
#: a cancellation ends the job too (the embedded backend's `{rl|sft}.job.cancelled`, orchestration `job.cancelled`)
CANCEL_EVENTS = frozenset({"job.cancelled", "sft.job.cancelled", "rl.job.cancelled"})
LOSS_METRIC = "train.loss"
PAGE_LIMIT = 200
MAX_DRAIN_ROUNDS = 50
#: a retry chain longer than this (seconds) counts as an outage even without "connection refused"
OUTAGE_GRACE = 5.0
#: attempts for streaming calls: in practice unbounded, the deadline (remaining poll time) decides
STREAM_ATTEMPTS = 1_000_000
#: while following the event stream, the status is read at least this often (seconds): a job that
#: is paused or cancelled without an event is noticed
STATUS_EVERY = 30.0
#: opening the event stream: a few tries, then polling (an outage is the polling loop's business)
STREAM_OPEN_ATTEMPTS = 3


def status_of(job: Any) -> str | None:
    """The job's status (`status` › `state`), lower-cased; None when absent."""
    if not isinstance(job, dict):
        return None
    value = job.get("status") or job.get("state")
    return str(value).strip().lower() if value else None


def normalise_event(event: dict[str, Any]) -> dict[str, Any]:
    """Later backends' spellings read as the contract's: `ts` fills a missing `created_at`, level
    `warn` reads `warning` (the event's other fields are kept)."""
    if not event.get("created_at") and event.get("ts"):
        event = {**event, "created_at": event["ts"]}
    if str(event.get("level") or "").lower() == "warn":
        event = {**event, "level": "warning"}
    return event


def exit_code_for_status(status: str | None) -> int:
    """0 for a successful terminal status, 1 for anything else (failed, cancelled)."""
    return EXIT_OK if status in SUCCESS_STATUSES else EXIT_JOB_FAILED


def declared_kind(job: Any) -> str | None:
    """`rl` or `sft` when the job record's type says which; None when it does not."""
    if isinstance(job, dict):
        for key in ("job_type", "type", "training_type"):
            value = str(job.get(key) or "").lower()
            if value.startswith("rl"):
                return "rl"
            if value.startswith("sft") or value in ("fft", "lora", "qlora"):
                return "sft"
    return None


def kind_of(job: Any, prefix: str) -> str:
    """`rl` or `sft`: from the job record's type when it says, else from the path it was found on."""
    return declared_kind(job) or ("rl" if prefix == "rl" else "sft")


# -- updates -------------------------------------------------------------------------------------


def interleave(events: list["Update"], points: list["Update"]) -> list["Update"]:
    """Events and metric points of one round merged by `created_at` (each list keeps its order).

    Without timestamps on both sides, events come first.
    """
    def stamp(update: Any) -> str | None:
        body = update.event if isinstance(update, EventSeen) else update.point
        value = body.get("created_at") or body.get("ts")
        return value if isinstance(value, str) and value else None

    if not all(stamp(u) for u in events + points):
        return events + points
    merged: list[Update] = []
    i = j = 0
    while i < len(events) and j < len(points):
        if str(stamp(points[j])) < str(stamp(events[i])):
            merged.append(points[j])
            j += 1
        else:
            merged.append(events[i])
            i += 1
    return merged + events[i:] + points[j:]


@dataclass(frozen=True)
class StatusChange:
    status: str


@dataclass(frozen=True)
class EventSeen:
    event: dict[str, Any]


@dataclass(frozen=True)
class MetricSeen:
    point: dict[str, Any]


@dataclass(frozen=True)
class PhaseChange:
    phase: str


Update = Union[StatusChange, EventSeen, MetricSeen, PhaseChange]


@dataclass
class Cursors:
    """Where a streamer is: the last event seq and metric step handed out, and the last status."""

    since_seq: int = 0
    max_step: int = -1
    #: names of the points already handed out at `max_step` (its page may have been partial)
    names_at_max_step: set[str] = field(default_factory=set)
    status: str | None = None
    phases_seen: int = 0


def _int(value: Any) -> int | None:
    """A backend's `seq`/`step` as an int; None when it is not a finite number (1e400, NaN, text)."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _finite(value: Any) -> float | None:
    """A metric value as a finite float; None for anything else (NaN, Infinity, a huge int, text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


class JobStreamer:
    """Polls one job and turns answers into updates, each exactly once."""

    def __init__(self, client: "SynthClient", job_id: str, *, kind: str | None = None,
                 cursors: Cursors | None = None, page_limit: int = PAGE_LIMIT) -> None:
        self.client = client
        self.job_id = job_id
        self.kind = kind
        self.prefix: str | None = None
        self.cursors = cursors or Cursors()
        self.page_limit = page_limit
        self.events_seen = 0
        self.last_loss: float | None = None
        self.last_reward: float | None = None
        #: the message of a failure event (the reason, when the job record does not carry one)
        self.failure_message: str | None = None
        self.job: dict[str, Any] = {}
        self.terminal_event_status: str | None = None
        #: True when the last events or metrics page was full (more is waiting: poll again at once)
        self.behind = False
        #: (given, actual) when the job's record contradicts the kind we were told (`--type`)
        self.kind_mismatch: tuple[str, str] | None = None

    # -- requests ------------------------------------------------------------------------------

    def locate(self, policy: "RetryPolicy | None" = None, timeout: Any = None) -> dict[str, Any]:
        """Find the job (RL: `rl`, then `learning` on 404; SFT: `learning`); sets prefix and kind."""
        prefix, job = self.client.find_job(self.job_id, self.kind, policy=policy, timeout=timeout)
        self.prefix = prefix
        declared = declared_kind(job)
        if self.kind and declared and declared != self.kind:  # `--type sft` on an RL job: the record wins
            self.kind_mismatch = (self.kind, declared)
            self.kind = declared
        self.kind = self.kind or kind_of(job, prefix)
        self.job = job if isinstance(job, dict) else {}
        return self.job

    def poll(self, policy: "RetryPolicy | None" = None, timeout: Any = None) -> list[Update]:
        """One round: status, events, metrics, timeline (4 requests; 3 more only on first locate)."""
        updates: list[Update] = []
        if self.prefix is None:
            job: Any = self.locate(policy, timeout)
        else:
            job = self.client.get_job(self.prefix, self.job_id, policy=policy, timeout=timeout)
            if job is None:
                raise BackendError(f"job {self.job_id} disappeared from the backend (HTTP 404)", status=404,
                                   method="GET", url=self.client.url(f"{self.prefix}/jobs/{self.job_id}"),
                                   hint="check the job id and --backend")
            self.job = job if isinstance(job, dict) else {}
        status = self._status(status_of(job))
        final = bool(status) and self.status in TERMINAL_STATUSES
        updates += [] if final else status
        updates += self.poll_events_and_metrics(policy, timeout)
        assert self.prefix is not None  # set by locate
        updates += self._timeline(self.client.get_timeline(self.prefix, self.job_id, policy=policy,
                                                           timeout=timeout))
        # a final status reads best after the last events that led to it
        return updates + (status if final else [])

    def poll_events_and_metrics(self, policy: "RetryPolicy | None" = None, timeout: Any = None) -> list[Update]:
        """Events after the seq cursor and metric points after the step cursor (2 requests)."""
        assert self.prefix is not None
        events = self.client.get_events(self.prefix, self.job_id, since_seq=self.cursors.since_seq,
                                        limit=self.page_limit, policy=policy, timeout=timeout)
        # ask again for the last step: its other series may not have been written yet
        after_step = max(-1, self.cursors.max_step - 1)
        points = self.client.get_metrics(self.prefix, self.job_id, after_step=after_step,
                                         limit=self.page_limit, policy=policy, timeout=timeout)
        seq_before = self.cursors.since_seq
        step_before = (self.cursors.max_step, len(self.cursors.names_at_max_step))
        updates = interleave(self._events(events), self._metrics(points))
        # a full page means more is waiting, but only when it moved a cursor: a backend that ignores
        # `since_seq` answers full pages of old events forever, and must not be polled without a pause
        self.behind = (len(events) >= self.page_limit and self.cursors.since_seq > seq_before) or \
            (len(points) >= self.page_limit
             and (self.cursors.max_step, len(self.cursors.names_at_max_step)) != step_before)
        return updates

    # -- pure bookkeeping (unit-tested without HTTP) --------------------------------------------

    def _status(self, status: str | None) -> list[Update]:
        if not status or status == self.cursors.status:
            return []
        self.cursors.status = status
        return [StatusChange(status)]

    def _events(self, events: list[Any]) -> list[Update]:
        fresh = []
        for event in events:
            seq = _int(event.get("seq")) if isinstance(event, dict) else None
            if seq is None or seq <= self.cursors.since_seq:
                continue
            fresh.append((seq, event))
        fresh.sort(key=lambda pair: pair[0])
        updates: list[Update] = []
        for seq, event in fresh:
            if seq <= self.cursors.since_seq:  # a repeated seq inside one page
                continue
            self.cursors.since_seq = seq
            self.events_seen += 1
            event = normalise_event(event)
            etype = str(event.get("type") or "").lower()
            if etype in SUCCESS_EVENTS:
                self.terminal_event_status = "succeeded"
            elif etype in FAILURE_EVENTS:
                self.terminal_event_status = "failed"
                self.failure_message = str(event.get("message") or "") or self.failure_message
            elif etype in CANCEL_EVENTS:
                self.terminal_event_status = "cancelled"
            updates.append(EventSeen(event))
        return updates

    def _metrics(self, points: list[Any]) -> list[Update]:
        fresh = []
        for point in points:
            step = _int(point.get("step")) if isinstance(point, dict) else None
            if step is None or step < self.cursors.max_step:
                continue
            name = str(point.get("name") or "")
            if step == self.cursors.max_step and name in self.cursors.names_at_max_step:
                continue
            fresh.append((step, name, point))
        fresh.sort(key=lambda item: item[0])
        updates: list[Update] = []
        for step, name, point in fresh:
            if step > self.cursors.max_step:
                self.cursors.max_step = step
                self.cursors.names_at_max_step = set()
            elif name in self.cursors.names_at_max_step:  # a duplicate inside one page
                continue
            self.cursors.names_at_max_step.add(name)
            if name == LOSS_METRIC and (value := _finite(point.get("value"))) is not None:
                self.last_loss = value
            elif "reward" in name.lower() and (value := _finite(point.get("value"))) is not None:
                self.last_reward = value
            updates.append(MetricSeen(point))
        return updates

    def _timeline(self, phases: list[Any]) -> list[Update]:
        entries = [p for p in phases if isinstance(p, dict) and p.get("phase")]
        new = entries[self.cursors.phases_seen:]
        self.cursors.phases_seen = max(self.cursors.phases_seen, len(entries))
        return [PhaseChange(str(p["phase"])) for p in new]

    # -- state ----------------------------------------------------------------------------------

    @property
    def status(self) -> str | None:
        return self.cursors.status

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES or self.terminal_event_status is not None

    @property
    def final_status(self) -> str | None:
        if self.status in TERMINAL_STATUSES:
            return self.status
        return self.terminal_event_status


# -- watching --------------------------------------------------------------------------------------


@dataclass
class JobResult:
    """How a watched job ended. `exit_code`: 0 succeeded, 1 failed or cancelled; `error` says why it did
    not succeed (the backend's reason) when it is known."""

    job_id: str
    kind: str
    status: str
    duration: float
    last_loss: float | None
    events_seen: int
    exit_code: int
    #: the resulting (fine-tuned) model id of a succeeded job, when the backend names one
    model_id: str | None = None
    error: str | None = None
    last_reward: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Renderer(Protocol):
    """What `watch_job` drives (see `render/cli.py`, `render/chart.py`, `render/jsonl.py`)."""

    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> None: ...
    def job(self, job: dict[str, Any]) -> None: ...
    def status(self, status: str) -> None: ...
    def event(self, event: dict[str, Any]) -> None: ...
    def metric(self, point: dict[str, Any]) -> None: ...
    def phase(self, phase: str) -> None: ...
    def notice(self, text: str, *, warning: bool = False) -> None: ...
    def detail(self, text: str) -> None: ...
    def flush(self) -> None: ...
    def report(self, exc: SynthlaunchError) -> None: ...
    def finish(self, result: JobResult, *, human: bool = True) -> None: ...


def reattach_commands(job_id: str, base_url: str | None = None) -> tuple[str, str]:
    """The commands that reattach to and cancel a job (`--backend` added unless it is the hosted one),
    ready to copy and paste: the job id (the backend's) and the URL are shell-quoted."""
    from .backend_url import HOSTED_ROOT

    suffix = ""
    if base_url:
        root = base_url.rstrip("/")
        root = root[: -len("/api")] if root.endswith("/api") else root
        if root != HOSTED_ROOT:
            suffix = f" --backend {shlex.quote(root)}"
    program = command_name()
    quoted = shlex.quote(job_id)
    return f"{program} stream --job-id {quoted}{suffix}", f"{program} cancel {quoted}{suffix}"


def reattach_hint(job_id: str, base_url: str | None = None) -> str:
    attach, cancel = reattach_commands(job_id, base_url)
    return f"the job keeps running on the backend; reattach with `{attach}`, or cancel it with `{cancel}`"


def failure_reason(job: Any, fallback: str | None = None) -> str | None:
    """Why a job did not succeed: the record's `error` (text, or an object with a `message`), its
    `failure_reason`/`status_message`, else `fallback` (a failure event's message)."""
    if isinstance(job, dict):
        for key in ("error", "failure_reason", "error_message", "status_message"):
            value = job.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail")
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
    return fallback


def job_duration(job: dict[str, Any], fallback: float) -> float:
    """Seconds from the job's `created_at` to its `finished_at`/`completed_at`/`updated_at` when both parse."""
    end = job.get("finished_at") or job.get("completed_at") or job.get("updated_at")
    found = seconds_between(job.get("created_at"), end)
    return fallback if found is None else found


class _StreamDone(Exception):
    """Leave the event stream: a status read while following it says the job ended or paused."""


class _Watch:
    """One watch of one job: the poll loop, deadlines, outage lines and the end."""

    def __init__(self, streamer: JobStreamer, renderer: Renderer, *, poll_timeout: float,
                 poll_interval: float, clock: Callable[[], float], sleep: Callable[[float], None],
                 event_stream: bool = True) -> None:
        self.streamer = streamer
        #: follow the job over the event stream (until the backend shows it has none, or it breaks)
        self.event_stream = event_stream
        self.renderer = renderer
        self.poll_timeout = poll_timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.started = clock()
        self.trouble_since: float | None = None
        self.outage_announced = False
        self.kind_noticed = False

    # outage bookkeeping, fed by the retry events of this watch's own view of the client
    def on_retry(self, event: "RetryEvent") -> None:
        now = self.clock()
        if self.trouble_since is None:
            self.trouble_since = now
        self.renderer.detail(event.describe())
        if not self.outage_announced and (event.no_connection or now - self.trouble_since >= OUTAGE_GRACE):
            self.outage_announced = True
            self.renderer.notice(
                f"backend unreachable ({event.reason}); retrying with backoff until the poll timeout "
                f"({self.remaining():.0f}s left)", warning=True)

    def _call_ok(self) -> None:
        if self.outage_announced and self.trouble_since is not None:
            self.renderer.notice(f"reconnected to the backend after {self.clock() - self.trouble_since:.1f}s")
        self.trouble_since = None
        self.outage_announced = False

    def hint(self) -> str:
        return reattach_hint(self.streamer.job_id, self.streamer.client.base_url)

    def remaining(self) -> float:
        return self.poll_timeout - (self.clock() - self.started)

    def policy(self) -> "RetryPolicy":
        return replace(self.streamer.client.policy, attempts=STREAM_ATTEMPTS,
                       deadline=max(0.0, self.remaining()), retry_refused_loopback=True)

    def timeout(self) -> tuple[float, float]:
        """Per-attempt (connect, read) timeouts: the contract's 60 s read, never far past the deadline."""
        left = max(1.0, self.remaining())
        return (min(10.0, left), min(60.0, left))

    def _dispatch(self, updates: list[Update]) -> None:
        for update in updates:
            if isinstance(update, StatusChange):
                self.renderer.status(update.status)
            elif isinstance(update, EventSeen):
                self.renderer.event(update.event)
            elif isinstance(update, MetricSeen):
                self.renderer.metric(update.point)
            elif isinstance(update, PhaseChange):
                self.renderer.phase(update.phase)

    def _guarded(self, fn: Callable[[], list[Update]]) -> list[Update]:
        """Run one round; unreachable past the deadline is exit 4, before it we try again."""
        while True:
            try:
                updates = fn()
            except BackendUnreachable as exc:
                if self.remaining() > 0:  # the policy gave up early (not retryable): pause, try again
                    self.sleep(min(1.0, self.remaining()))
                    continue
                raise BackendUnreachable(
                    f"the backend stayed unreachable until the poll timeout ({self.poll_timeout:g}s) "
                    f"expired: {exc.message}", method=exc.method, url=exc.url,
                    hint=(exc.hint + "; " if exc.hint else "") + self.hint(),
                ) from exc
            except BackendError as exc:
                if exc.status is not None and exc.status >= 500 and self.remaining() <= 0:
                    exc.hint = (exc.hint + "; " if exc.hint else "") + self.hint()
                raise
            self._call_ok()
            return updates

    def _check_paused(self) -> None:
        if self.streamer.status in PAUSED_STATUSES:
            raise JobPaused(f"job {self.streamer.job_id} is paused on the backend; stopped watching "
                            "(it is still there)", job_id=self.streamer.job_id, hint=self.hint())

    def _check_deadline(self) -> None:
        if self.remaining() <= 0:
            raise PollTimeout(
                f"job {self.streamer.job_id} is still {self.streamer.status or 'running'} after the poll timeout "
                f"({self.poll_timeout:g}s, --poll-timeout)", job_id=self.streamer.job_id,
                hint=self.hint())

    def _round(self, fn: Callable[[], list[Update]]) -> None:
        """One poll round: the job record to the renderer (progress), then the updates."""
        updates = self._guarded(fn)
        self.renderer.job(self.streamer.job)
        self._dispatch(updates)

    def run(self) -> None:
        streamer = self.streamer
        while True:
            self._round(lambda: streamer.poll(self.policy(), self.timeout()))
            if getattr(self.renderer, "kind", "") is None:  # discovered on the first round
                self.renderer.kind = streamer.kind  # type: ignore[attr-defined]
            if streamer.kind_mismatch and not self.kind_noticed:
                self.kind_noticed = True
                given, actual = streamer.kind_mismatch
                self.renderer.notice(f"job {streamer.job_id} is an {actual.upper()} job, not {given.upper()} "
                                     f"(--type {given}); showing it as {actual.upper()}", warning=True)
                if hasattr(self.renderer, "kind"):
                    self.renderer.kind = actual
            self.renderer.flush()
            if streamer.terminal:
                break
            self._check_paused()
            self._check_deadline()
            if self.event_stream and not streamer.behind:
                self._follow_stream()
                if streamer.terminal:
                    break
                self._check_paused()
                self._check_deadline()
                continue  # the stream is gone: poll from the last seq
            if not streamer.behind:
                self.sleep(min(self.poll_interval, self.remaining()))
        self._drain()

    # -- the event stream ------------------------------------------------------------------------

    def _open_policy(self) -> "RetryPolicy":
        return replace(self.streamer.client.policy, attempts=STREAM_OPEN_ATTEMPTS,
                       deadline=max(0.0, min(30.0, self.remaining())))

    def _side_reads(self, state: dict[str, float]) -> None:
        """Between stream frames: metrics at most once per poll interval and only after new events,
        the status every STATUS_EVERY seconds. Raises `_StreamDone` when the status says the job ended."""
        streamer = self.streamer
        now = self.clock()
        self._check_deadline()
        assert streamer.prefix is not None
        if streamer.events_seen > state["events"] and now - state["metrics_at"] >= self.poll_interval:
            state["events"], state["metrics_at"] = streamer.events_seen, now
            points = self._guarded(lambda: streamer._metrics(streamer.client.get_metrics(
                streamer.prefix or "", streamer.job_id, after_step=max(-1, streamer.cursors.max_step - 1),
                limit=streamer.page_limit, policy=self.policy(), timeout=self.timeout())))
            self._dispatch(points)
            self.renderer.flush()
        if now - state["status_at"] >= STATUS_EVERY:
            state["status_at"] = now

            def read_status() -> list[Update]:
                job = streamer.client.get_job(streamer.prefix or "", streamer.job_id, policy=self.policy(),
                                              timeout=self.timeout())
                if isinstance(job, dict):
                    streamer.job = job
                return streamer._status(status_of(job))

            updates = self._guarded(read_status)
            self.renderer.job(streamer.job)
            self._dispatch(updates)
            self.renderer.flush()
            if streamer.status in TERMINAL_STATUSES or streamer.status in PAUSED_STATUSES:
                raise _StreamDone()

    def _follow_stream(self) -> None:
        """Read events over `GET …/events/stream` until the job's terminal event. Returns with
        `event_stream` off when the backend has no stream or the stream broke (the caller polls on)."""
        streamer = self.streamer
        assert streamer.prefix is not None
        now = self.clock()
        state = {"events": float(streamer.events_seen), "metrics_at": now, "status_at": now}
        while True:
            from_seq = streamer.cursors.since_seq
            try:
                resp = streamer.client.open_event_stream(streamer.prefix, streamer.job_id, since_seq=from_seq,
                                                         policy=self._open_policy(), timeout=self.timeout())
            except (BackendUnreachable, BackendError) as exc:
                if isinstance(exc, BackendError) and not isinstance(exc, BackendUnreachable) \
                        and exc.status in (401, 403):
                    raise
                self._stream_gone(f"the event stream could not be opened ({exc.message}); polling instead")
                return
            if resp is None:
                self._stream_gone("the backend serves no event stream; polling instead")
                return
            self.renderer.detail(f"following job {streamer.job_id} over the event stream from seq {from_seq}")
            try:
                from .api import stream_events

                for event in stream_events(resp, on_chunk=lambda: self._side_reads(state)):
                    self._call_ok()
                    self._dispatch(streamer._events([event]))
                    self.renderer.flush()
                    if streamer.terminal:
                        return
            except _StreamDone:
                return
            except EventStreamBroken as exc:
                self._check_deadline()
                self._stream_gone(f"{exc.message}; polling from seq {streamer.cursors.since_seq}")
                return
            finally:
                resp.close()
            if streamer.cursors.since_seq == from_seq:  # it ended at once, with nothing new: not a live stream
                self._stream_gone("the event stream ended before the job did; polling instead")
                return
            # it ended after some events (a proxy's time limit): open it again from the last seq

    def _stream_gone(self, text: str) -> None:
        self.event_stream = False
        self.renderer.detail(text)

    def _drain(self) -> None:
        """After the end: fetch what is left of events and metrics, and the final status."""
        streamer = self.streamer
        if streamer.status in TERMINAL_STATUSES:
            self._dispatch(self._guarded(lambda: streamer.poll_events_and_metrics(self.policy(), self.timeout())))
        else:  # it ended on a terminal event: one round reads the final status, what is left, the timeline
            self._round(lambda: streamer.poll(self.policy(), self.timeout()))
        for _ in range(MAX_DRAIN_ROUNDS):
            if not streamer.behind:
                break
            self._dispatch(self._guarded(lambda: streamer.poll_events_and_metrics(self.policy(), self.timeout())))
        if streamer.status not in TERMINAL_STATUSES and streamer.terminal_event_status:
            self._dispatch(streamer._status(streamer.terminal_event_status))


def watch_job(client: "SynthClient", job_id: str, *, kind: str | None, renderer: Renderer,
              poll_timeout: float, poll_interval: float, cancel_on_interrupt: bool = False,
              cursors: Cursors | None = None, sleep: Callable[[float], None] = time.sleep,
              event_stream: bool = True) -> JobResult:
    """Stream a job to its end through `renderer`, then let it show the summary.

    Follows the backend's event stream when it offers one (`event_stream=False`: always poll).
    Returns a JobResult (exit_code 0 succeeded, 1 failed/cancelled). Raises PollTimeout (5; JobPaused
    when the backend paused the job), BackendUnreachable/BackendError (4) or Interrupted (130),
    already shown to the user (`reported = True`), with how to reattach or cancel.
    """
    watch = _Watch(JobStreamer(client, job_id, kind=kind, cursors=cursors), renderer, poll_timeout=poll_timeout,
                   poll_interval=poll_interval, clock=time.monotonic, sleep=sleep, event_stream=event_stream)
    # retries while watching go to the renderer (outage notices), through this watch's own client view
    streamer = watch.streamer
    streamer.client = client.observed(watch.on_retry)

    def result(exit_code: int | None = None) -> JobResult:
        status = streamer.final_status or streamer.status or "unknown"
        error = None if status in SUCCESS_STATUSES else failure_reason(streamer.job, streamer.failure_message)
        return JobResult(job_id=job_id, kind=streamer.kind or kind or "unknown", status=status,
                         duration=job_duration(streamer.job, time.monotonic() - watch.started),
                         last_loss=streamer.last_loss, events_seen=streamer.events_seen,
                         exit_code=exit_code_for_status(status) if exit_code is None else exit_code,
                         model_id=result_model_id(streamer.job) if status in SUCCESS_STATUSES else None,
                         error=error, last_reward=streamer.last_reward)

    failure: SynthlaunchError | None = None
    interrupted = False
    defect: Exception | None = None
    with renderer:
        try:
            watch.run()
        except KeyboardInterrupt:
            interrupted = True
        except SynthlaunchError as exc:
            failure = exc
        except Exception as exc:  # a defect of the tool: still end the record stream properly
            defect = exc
    if defect is not None:
        # with --json, every failure ends with an error record and a summary, a defect (exit 70) too;
        # the runner then says it is a defect and exits 70
        shown = SynthlaunchError(f"internal error while watching job {job_id}: {type(defect).__name__}: {defect}")
        shown.exit_code = EXIT_INTERNAL
        renderer.report(shown)
        renderer.finish(result(EXIT_INTERNAL), human=False)
        raise defect
    if interrupted:  # after the renderer's last frame: the reattach/cancel hints are the last lines
        failure = _interrupted(client, streamer, renderer, cancel_on_interrupt)
    if failure is not None:
        if not failure.reported:
            renderer.report(failure)
            failure.reported = True
        renderer.finish(result(failure.exit_code), human=False)
        raise failure
    final = result()
    renderer.finish(final)
    return final


def _interrupted(client: "SynthClient", streamer: JobStreamer, renderer: Renderer, cancel: bool) -> Interrupted:
    """Ctrl-C: leave the job running (say how to come back), or cancel it when asked to."""
    job_id = streamer.job_id
    attach, cancel_cmd = reattach_commands(job_id, client.base_url)
    if not cancel:
        renderer.notice(f"stopped watching job {job_id}; it is still running on the backend", warning=True)
        renderer.notice(f"  reattach: {attach}")
        renderer.notice(f"  cancel:   {cancel_cmd}")
        exc = Interrupted(f"interrupted: stopped watching job {job_id} (still running)",
                          hint=reattach_hint(job_id, client.base_url))
        exc.reported = True
        return exc
    try:
        if streamer.prefix is None:
            streamer.locate(replace(client.policy, deadline=30.0))
        assert streamer.prefix is not None
        client.cancel_job(streamer.prefix, job_id)
    except (SynthlaunchError, KeyboardInterrupt) as err:
        text = err.message if isinstance(err, SynthlaunchError) else "interrupted again"
        renderer.notice(f"could not cancel job {job_id} ({text}); it may still be running: "
                        f"cancel it with `{cancel_cmd}`", warning=True)
    else:
        renderer.notice(f"cancelled job {job_id} on Ctrl-C (--cancel-on-interrupt)", warning=True)
    exc = Interrupted(f"interrupted: job {job_id} cancelled on request")
    exc.reported = True
    return exc
