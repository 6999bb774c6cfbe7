"""The rollout driver over HTTP against stub task apps: the request it sends (keys in the three
headers, the correlation id in the inference URL path and in policy.config, mode, ops per turn) and
how each hostile answer fails only its episode, with the reason. No torch."""

from __future__ import annotations

from typing import Any

import pytest

from synthlaunch.local.training.rollouts import RolloutSettings, run_episodes

from .stubs import Stub, hostile_rollout

KEY = "env_rollout_" + "k" * 12


def settings(url: str, **more: Any) -> RolloutSettings:
    base = dict(task_url=url, inference_base="http://127.0.0.1:1/rl/jobs/job_x/inference", keys=[KEY, "second-key"],
                model="synthlaunch/tiny-qwen3", policy_config={"temperature": 0.7, "top_p": 0.9, "max_tokens": 16},
                env_name="colours", policy_name="demo", env_config={"split": "train"}, max_turns=2,
                max_concurrent=2, timeout_s=30.0)
    base.update(more)
    return RolloutSettings(**base)


def run(stub: Stub, plan: list[tuple[int, int]], **more: Any) -> tuple[list[Any], list[str], list[str]]:
    opened: list[str] = []
    closed: list[str] = []
    episodes = run_episodes(settings(stub.url, **more), plan, "rl", open_cid=opened.append,
                            close_cid=lambda cid: closed.append(cid) or [])
    return episodes, opened, closed


def test_request_shape_keys_and_correlation_ids() -> None:
    stub = Stub(hostile_rollout("ok"), keys=[KEY])
    try:
        episodes, opened, closed = run(stub, [(5, 0), (5, 0), (6, 1)])
    finally:
        stub.stop()
    assert [e.reward for e in episodes] == [0.5, 0.5, 0.5] and all(e.ok for e in episodes)
    assert len(stub.calls) == 3 and sorted(opened) == sorted(closed) == sorted(e.cid for e in episodes)
    for call in stub.calls:
        body, headers = call["body"], call["headers"]
        assert call["path"] == "/rollout"
        assert headers["X-API-Key"] == KEY and headers["X-API-Keys"] == f"{KEY},second-key"
        assert headers["Authorization"] == f"Bearer {KEY}"
        cid = body["policy"]["config"]["trace_correlation_id"]
        assert cid.startswith("trace_") and body["policy"]["config"]["inference_url"].endswith("/inference/" + cid)
        assert "?" not in body["policy"]["config"]["inference_url"]
        assert body["mode"] == "rl" and body["ops"] == ["agent", "env", "agent", "env"]
        assert body["policy"]["config"]["temperature"] == 0.7 and body["policy"]["config"]["max_tokens"] == 16
        assert body["env"]["config"] == {"split": "train"}
    assert sorted(c["body"]["env"]["seed"] for c in stub.calls) == [5, 5, 6]
    assert len({c["body"]["run_id"] for c in stub.calls}) == 3


@pytest.mark.parametrize("kind, reason", [
    ("error", "HTTP 500"), ("hang", "timed out"), ("redirect", "another origin"), ("garbage", "not JSON"),
    ("aborted", "aborted"), ("noreward", "no reward"),
])
def test_a_hostile_task_app_fails_the_episode_with_the_reason(kind: str, reason: str) -> None:
    stub = Stub(hostile_rollout(kind), keys=[KEY])
    try:
        episodes, opened, closed = run(stub, [(0, 0)], timeout_s=1.0)
    finally:
        stub.stop()
    (episode,) = episodes
    assert not episode.ok and reason in str(episode.error)
    assert closed == opened  # the episode's correlation id is closed even when it fails
    if kind == "redirect":
        assert len(stub.calls) == 1  # the redirect to another origin was not followed


def test_a_same_origin_307_is_followed_with_the_body() -> None:
    ok = hostile_rollout("ok")

    def redirect(body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        first = len(stub.calls) == 1
        return (307, b"", {"Location": "/rollout-here"}) if first else ok(body, headers)

    stub = Stub(redirect, keys=[KEY])
    try:
        episodes, _, _ = run(stub, [(0, 0)])
    finally:
        stub.stop()
    assert len(stub.calls) == 2 and stub.calls[1]["path"] == "/rollout-here"
    assert stub.calls[1]["body"]["run_id"] == stub.calls[0]["body"]["run_id"]
    assert episodes[0].ok and episodes[0].reward == 0.5


def test_a_wrong_key_fails_the_episodes_not_the_driver() -> None:
    stub = Stub(hostile_rollout("ok"), keys=["another-key"])
    try:
        episodes, _, _ = run(stub, [(0, 0), (1, 1)])
    finally:
        stub.stop()
    assert all(not e.ok and "HTTP 400" in str(e.error) for e in episodes)
