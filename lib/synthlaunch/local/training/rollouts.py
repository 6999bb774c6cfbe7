"""The rollout driver of an RL job: `POST {task_url}/rollout` per episode (docs/rollout-contract.md).

Each episode gets a fresh correlation id (`trace_<hex>`) that is both in the inference URL path
(`<inference_base>/<cid>`; task apps append `/v1/chat/completions`) and in
`policy.config.trace_correlation_id`. Requests carry the environment key in `X-API-Key`,
`X-API-Keys` and `Authorization: Bearer`; a redirect is followed only to the same origin (307/308,
a few hops), never elsewhere. A task app error, a timeout, an unreadable answer or `aborted` fails
that episode (with the reason), not the job. No torch here.
"""

from __future__ import annotations

import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 3


@dataclass
class Episode:
    seed: int
    group: int
    cid: str
    run_id: str
    reward: float | None = None
    error: str | None = None
    status: str | None = None
    completions: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.reward is not None


def new_cid() -> str:
    return f"trace_{secrets.token_hex(12)}"


def key_headers(keys: list[str]) -> dict[str, str]:
    keys = [k for k in keys if k]
    if not keys:
        return {}
    return {"X-API-Key": keys[0], "X-API-Keys": ",".join(keys), "Authorization": f"Bearer {keys[0]}"}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def episode_reward(answer: Any) -> tuple[float | None, str | None, str | None]:
    """(reward, status, error) from a RolloutResponse: `metrics.episode_returns[0]`, else
    `metrics.mean_return`, else the sum of the first trajectory's step rewards."""
    if not isinstance(answer, dict):
        return None, None, "the task app's /rollout answer is not a JSON object"
    if answer.get("aborted") is True:
        return None, None, "the task app aborted the rollout"
    metrics: dict[str, Any] = answer["metrics"] if isinstance(answer.get("metrics"), dict) else {}
    details: dict[str, Any] = metrics["details"] if isinstance(metrics.get("details"), dict) else {}
    status = details.get("status") if isinstance(details.get("status"), str) else None
    returns = metrics.get("episode_returns")
    if isinstance(returns, list) and returns and isinstance(returns[0], (int, float)) \
            and not isinstance(returns[0], bool):
        return float(returns[0]), status, None
    if isinstance(metrics.get("mean_return"), (int, float)) and not isinstance(metrics["mean_return"], bool):
        return float(metrics["mean_return"]), status, None
    trajectories = answer.get("trajectories")
    if isinstance(trajectories, list) and trajectories and isinstance(trajectories[0], dict):
        steps = trajectories[0].get("steps") or []
        rewards = [s.get("reward") for s in steps if isinstance(s, dict)]
        numbers = [float(r) for r in rewards if isinstance(r, (int, float)) and not isinstance(r, bool)]
        if numbers:
            return sum(numbers), status, None
    return None, status, "the RolloutResponse carries no reward (metrics.episode_returns, mean_return, step rewards)"


@dataclass
class RolloutSettings:
    task_url: str
    inference_base: str           # <backend>/rl/jobs/<job_id>/inference (the cid is appended)
    keys: list[str]
    model: str
    policy_config: dict[str, Any]
    env_name: str | None
    policy_name: str | None
    env_config: dict[str, Any]
    max_turns: int
    max_concurrent: int
    timeout_s: float


def rollout_request(settings: RolloutSettings, episode: Episode, mode: str,
                    policy_config: dict[str, Any] | None = None) -> dict[str, Any]:
    config = {**settings.policy_config, **(policy_config or {})}
    config.update(model=settings.model, inference_url=f"{settings.inference_base}/{episode.cid}",
                  trace_correlation_id=episode.cid, max_llm_calls=settings.max_turns)
    return {"run_id": episode.run_id,
            "env": {"env_name": settings.env_name, "config": dict(settings.env_config), "seed": episode.seed},
            "policy": {"policy_name": settings.policy_name, "config": config},
            "ops": ["agent", "env"] * settings.max_turns,
            "record": {"trajectories": True, "logprobs": False, "value": False, "return_trace": False},
            "on_done": "reset", "safety": {"max_ops": 2 * settings.max_turns + 2, "max_time_s": settings.timeout_s},
            "mode": mode, "trace_correlation_id": episode.cid}


def post_rollout(session: Any, url: str, body: dict[str, Any], headers: dict[str, str],
                 timeout: float) -> tuple[Any, str | None]:
    """(the parsed answer, None) or (None, why it failed)."""
    import requests

    target = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            resp = session.post(target, json=body, headers=headers, timeout=(10.0, timeout), allow_redirects=False)
        except requests.Timeout:
            return None, f"/rollout timed out after {timeout:g} s"
        except requests.RequestException as exc:
            return None, f"cannot reach the task app at {target}: {type(exc).__name__}"
        if resp.is_redirect or 300 <= resp.status_code < 400:
            location = urljoin(target, resp.headers.get("Location", ""))
            if _origin(location) != _origin(url):
                return None, (f"/rollout answered {resp.status_code} redirecting to another origin "
                              f"({urlsplit(location).netloc or location}); not followed (it would carry the key)")
            if resp.status_code not in (307, 308):
                return None, f"/rollout answered {resp.status_code} (a redirect that would drop the body)"
            target = location
            continue
        if resp.status_code != 200:
            return None, f"/rollout answered HTTP {resp.status_code}: {resp.text[:200]}"
        try:
            return resp.json(), None
        except ValueError:
            return None, "/rollout answered 200 with a body that is not JSON"
    return None, f"/rollout redirected more than {MAX_REDIRECTS} times"


def run_episodes(settings: RolloutSettings, plan: list[tuple[int, int]], mode: str, *,
                 open_cid: Callable[[str], None], close_cid: Callable[[str], list[Any]],
                 policy_config: dict[str, Any] | None = None) -> list[Episode]:
    """Run one episode per (seed, group) of `plan`, `max_concurrent` at a time; in plan order."""
    import requests

    episodes = [Episode(seed, group, new_cid(), f"run_{uuid.uuid4().hex[:16]}") for seed, group in plan]
    url = settings.task_url.rstrip("/") + "/rollout"
    headers = key_headers(settings.keys)

    def one(episode: Episode) -> None:
        open_cid(episode.cid)
        try:
            with requests.Session() as session:
                answer, error = post_rollout(session, url, rollout_request(settings, episode, mode, policy_config),
                                             headers, settings.timeout_s)
            if error is None:
                episode.reward, episode.status, error = episode_reward(answer)
            episode.error = error
        except Exception as exc:  # never let one episode take the job down
            episode.error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            episode.completions = close_cid(episode.cid)

    with ThreadPoolExecutor(max_workers=max(1, settings.max_concurrent), thread_name_prefix="rollout") as pool:
        list(pool.map(one, episodes))
    return episodes
