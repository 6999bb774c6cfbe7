"""Fault injection for the embedded backend: a SPEC string and the ASGI middleware applying it.

SPEC syntax: rules separated by `;`, each rule a comma list of `key=value`:

    path=/api/*,rate=0.3,kinds=429+503+drop,seed=7

| key           | meaning                                                                 | default  |
|---------------|-------------------------------------------------------------------------|----------|
| `path`        | glob on the request path (fnmatch, `*` crosses `/`)                      | `/api/*` |
| `method`      | only this HTTP method (`GET`, `POST`, ...); `*` = any                    | `*`      |
| `rate`        | probability (0..1) that a matching request gets a fault                  | `1`      |
| `kinds`       | `+`-separated from `429`, `500`, `502`, `503`, `drop`, `latency`,        | `503`    |
|               | `latency_after`                                                          |          |
| `seed`        | seed of this rule's random sequence (same seed → same faults)            | `0`      |
| `times`       | inject at most this many faults, then let everything through             | no limit |
| `retry_after` | seconds sent in `Retry-After` with a 429 or 503                          | `1`      |
| `latency`     | seconds added by the `latency` and `latency_after` kinds                 | `0.5`    |

`drop` closes the connection without sending any answer. `latency` waits before the request is
handled; `latency_after` handles it at once (a job is created, a file stored) and holds the answer
back, so a client can die after the server acted but before it heard the answer. The first rule that matches a request
and decides to inject (by its rate) wins. `off`, `none` or an empty SPEC means no faults.
`/admin/*` routes are never faulted.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import math
import random
import threading
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

KINDS = ("429", "500", "502", "503", "drop", "latency", "latency_after")
_KEYS = ("path", "method", "rate", "kinds", "seed", "times", "retry_after", "latency")


class FaultSpecError(ValueError):
    """A SPEC string that cannot be parsed; the message names the rule and key."""


@dataclass
class FaultRule:
    """One rule of a SPEC; keeps its own seeded random sequence and injected count."""

    path: str = "/api/*"
    method: str = "*"
    rate: float = 1.0
    kinds: tuple[str, ...] = ("503",)
    seed: int = 0
    times: int | None = None
    retry_after: float = 1.0
    latency: float = 0.5
    injected: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    def draw(self) -> str | None:
        """The fault kind to inject for one matching request, or None (advances the sequence)."""
        if self.times is not None and self.injected >= self.times:
            return None
        roll = self._rng.random()
        kind = self._rng.choice(self.kinds)
        if roll >= self.rate:
            return None
        self.injected += 1
        return kind

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "method": self.method, "rate": self.rate, "kinds": list(self.kinds),
                "seed": self.seed, "times": self.times, "retry_after": self.retry_after,
                "latency": self.latency, "injected": self.injected}


def _number(rule_no: int, key: str, value: str, kind: type) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise FaultSpecError(f"fault rule {rule_no}: {key}={value!r} is not a valid "
                             f"{'integer' if kind is int else 'number'}") from None


def parse_spec(spec: str | None) -> list[FaultRule]:
    """Parse a SPEC string into rules. Raises FaultSpecError naming the rule number and key."""
    if spec is None or spec.strip().lower() in ("", "off", "none"):
        return []
    rules: list[FaultRule] = []
    for rule_no, chunk in enumerate((c for c in spec.split(";") if c.strip()), start=1):
        values: dict[str, Any] = {}
        for item in (i.strip() for i in chunk.split(",") if i.strip()):
            key, sep, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or not value:
                raise FaultSpecError(f"fault rule {rule_no}: {item!r} is not key=value "
                                     f"(keys: {', '.join(_KEYS)})")
            if key not in _KEYS:
                raise FaultSpecError(f"fault rule {rule_no}: unknown key {key!r} (keys: {', '.join(_KEYS)})")
            if key == "kinds":
                kinds = tuple(k.strip().lower() for k in value.split("+") if k.strip())
                bad = [k for k in kinds if k not in KINDS]
                if bad or not kinds:
                    named = ", ".join(bad) if bad else repr(value)
                    raise FaultSpecError(f"fault rule {rule_no}: unknown kind(s) {named} "
                                         f"(kinds: {'+'.join(KINDS)})")
                values["kinds"] = kinds
            elif key in ("rate", "retry_after", "latency"):
                number = _number(rule_no, key, value, float)
                if not math.isfinite(number):
                    raise FaultSpecError(f"fault rule {rule_no}: {key}={value} is not a finite number")
                if number < 0 or (key == "rate" and number > 1):
                    raise FaultSpecError(f"fault rule {rule_no}: {key}={value} is out of range "
                                         f"({'0..1' if key == 'rate' else '>= 0'})")
                values[key] = number
            elif key in ("seed", "times"):
                number = _number(rule_no, key, value, int)
                if key == "times" and number < 0:
                    raise FaultSpecError(f"fault rule {rule_no}: times={value} must be >= 0")
                values[key] = number
            elif key == "path":
                if not value.startswith("/"):
                    raise FaultSpecError(f"fault rule {rule_no}: path={value!r} must start with '/'")
                values[key] = value
            else:
                values[key] = value.upper()
        rules.append(FaultRule(**values))
    return rules


class FaultInjector:
    """The current rules of a running backend; replaceable at run time (thread-safe)."""

    def __init__(self, spec: str | None = None) -> None:
        self._lock = threading.Lock()
        self.spec = ""
        self.rules: list[FaultRule] = []
        self.set(spec)

    def set(self, spec: str | None) -> list[FaultRule]:
        rules = parse_spec(spec)
        with self._lock:
            self.rules = rules
            self.spec = spec or ""
        return rules

    def clear(self) -> None:
        self.set(None)

    def pick(self, method: str, path: str) -> tuple[FaultRule, str] | None:
        """The (rule, kind) to inject for this request, or None."""
        if path.startswith("/admin"):
            return None
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    kind = rule.draw()
                    if kind is not None:
                        return rule, kind
        return None

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"spec": self.spec, "rules": [r.as_dict() for r in self.rules]}


ASGIApp = Callable[..., Awaitable[None]]  # an ASGI app: (scope, receive, send) -> None


async def _send_json(send: Callable[[dict], Awaitable[None]], status: int, body: dict[str, Any],
                     headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode()), *headers]})
    await send({"type": "http.response.body", "body": raw})


def _drop_connection(receive: Any) -> bool:
    """Close the client's socket without an answer (uvicorn: the cycle owns the transport)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        return False
    transport.close()
    try:
        cycle.disconnected = True  # tell uvicorn not to try a 500 answer on the closed socket
    except AttributeError:
        pass
    return True


def _held_back(send: Callable[[dict], Awaitable[None]], seconds: float) -> Callable[[dict], Awaitable[None]]:
    """A `send` that waits `seconds` before the answer starts (the handler has already run)."""

    async def wrapped(message: dict) -> None:
        if message.get("type") == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return wrapped


class FaultMiddleware:
    """Pure ASGI middleware (outermost) applying a FaultInjector to HTTP requests."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        picked = self.injector.pick(scope["method"], scope["path"])
        if picked is None:
            await self.app(scope, receive, send)
            return
        rule, kind = picked
        detail = f"injected fault ({kind}) by the embedded backend's fault rule for {rule.path}"
        if kind == "latency":
            await asyncio.sleep(rule.latency)
            await self.app(scope, receive, send)
        elif kind == "latency_after":
            await self.app(scope, receive, _held_back(send, rule.latency))
        elif kind == "drop":
            if _drop_connection(receive):
                return
            raise ConnectionAbortedError(detail)  # fallback: the server closes the connection
        else:
            status = int(kind)
            headers = []
            if status in (429, 503):
                headers.append((b"retry-after", f"{rule.retry_after:g}".encode()))
            await _send_json(send, status, {"detail": detail, "injected_fault": kind}, headers)
