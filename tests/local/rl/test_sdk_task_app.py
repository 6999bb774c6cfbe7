"""RL jobs on the embedded backend (torch trainer, built-in tiny model) against stub task apps over
HTTP: one written like the synth-ai SDK's math app works unchanged (it calls the policy with no key
and forces a named tool call; the job trains LoRA), identical rewards say "no gradient", cancel
stops the process and its policy route, a backend restart starts the job again from iteration 0 and
says so, a task app failing some episodes shows them in an event, and one failing all of them fails
the job with the reason."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.support.backend import wait_for

from .conftest import rl_config, rl_job_body, wait_rl
from .stubs import Stub, hostile_rollout, math_app_rollout

pytestmark = [pytest.mark.training, pytest.mark.timeout(900)]


def events(client: Any, job_id: str) -> list[dict[str, Any]]:
    return client.get_events("rl", job_id, limit=1000)


def test_an_sdk_style_math_app_with_a_forced_tool_works_unchanged(torch_backend: Callable[..., Any]) -> None:
    backend = torch_backend()
    stub = Stub(math_app_rollout, keys=[backend.environment_api_key])
    try:
        client = backend.client()
        config = rl_config(stub.url, iterations=1, seeds=1)
        config["evaluation"]["every_n_iters"] = 0  # no evaluation here
        config["model"]["trainer_mode"] = "lora"  # and LoRA (peft) for the update
        job = client.create_rl_job(rl_job_body(stub.url, config), idempotency_key="sdk-math")
        done = wait_rl(client, job["id"])
    finally:
        stub.stop()
    assert done["status"] == "succeeded", done.get("error")
    (final,) = [c for c in client.list_checkpoints(job["id"]) if c["id"] == "final"]
    assert final["adapter"] is True and final["fine_tuned_model"] == done["fine_tuned_model"]
    rollouts = [c for c in stub.calls if c["path"] == "/rollout"]
    assert len(rollouts) == 4 and all(c["body"]["mode"] == "rl" for c in rollouts)
    # the policy answered every call with a math_submit call (the forced tool), reached without a key
    seen = events(client, job["id"])
    (rollout_event,) = [e for e in seen if e["type"] == "rl.rollouts"]
    assert rollout_event["data"]["ok"] == 4 and rollout_event["data"]["completions"] == 4
    metrics = client.get_metrics("rl", job["id"], limit=100)
    rewards = [p["value"] for p in metrics if p["name"] == "train.reward"]
    assert len(rewards) == 1 and -0.5 <= rewards[0] <= 1.0  # never -1: the forced tool was always called
    if any(e["type"] == "rl.group.no_gradient" for e in seen):
        no_grad = [e for e in seen if e["type"] == "rl.group.no_gradient"][0]
        assert "no gradient" in no_grad["message"]


def test_failing_episodes_show_in_events_and_all_failing_fails_the_job(torch_backend: Callable[..., Any]) -> None:
    backend = torch_backend()
    ok = hostile_rollout("ok")
    error = hostile_rollout("error")

    def half(body: dict[str, Any], headers: dict[str, str]) -> Any:
        return error(body, headers) if body["env"]["seed"] % 2 else ok(body, headers)

    halfway = Stub(half, keys=[backend.environment_api_key])
    broken = Stub(hostile_rollout("error"), keys=[backend.environment_api_key])
    try:
        client = backend.client()
        config = rl_config(halfway.url, iterations=1, seeds=2)
        config["evaluation"]["every_n_iters"] = 0
        first = client.create_rl_job(rl_job_body(halfway.url, config), idempotency_key="half")
        done = wait_rl(client, first["id"])
        assert done["status"] == "succeeded", done.get("error")
        (event,) = [e for e in events(client, first["id"]) if e["type"] == "rl.rollouts"]
        assert event["data"]["ok"] == 4 and event["data"]["failed"] == 4 and "HTTP 500" in event["message"]
        config = rl_config(broken.url, iterations=2, seeds=1)
        second = client.create_rl_job(rl_job_body(broken.url, config), idempotency_key="broken")
        failed = wait_rl(client, second["id"])
    finally:
        halfway.stop()
        broken.stop()
    assert failed["status"] == "failed"
    assert "all 4 episode(s) failed" in failed["error"] and "HTTP 500" in failed["error"]
    wait_for(lambda: backend.client().get_job("rl", second["id"])["status"] == "failed")


def test_identical_rewards_give_no_gradient_and_say_so(torch_backend: Callable[..., Any], tmp_path: Any) -> None:
    backend = torch_backend()
    stub = Stub(hostile_rollout("ok"), keys=[backend.environment_api_key])  # every episode scores 0.5
    try:
        client = backend.client()
        config = rl_config(stub.url, iterations=1, seeds=2)
        config["evaluation"]["every_n_iters"] = 0
        job = client.create_rl_job(rl_job_body(stub.url, config), idempotency_key="flat")
        done = wait_rl(client, job["id"])
    finally:
        stub.stop()
    assert done["status"] == "succeeded", done.get("error")
    seen = events(client, job["id"])
    (flat,) = [e for e in seen if e["type"] == "rl.group.no_gradient"]
    assert flat["data"]["seeds"] == [0, 1] and "no gradient" in flat["message"]
    assert any(e["type"] == "rl.update.skipped" for e in seen)
    losses = [p["value"] for p in client.get_metrics("rl", job["id"], limit=100) if p["name"] == "train.loss"]
    assert losses == [0.0]


def test_cancel_stops_the_rl_process_and_its_policy_route(torch_backend: Callable[..., Any]) -> None:
    import os

    import requests

    backend = torch_backend()
    stub = Stub(hostile_rollout("hang"), keys=[backend.environment_api_key])  # each /rollout takes 5 s
    try:
        client = backend.client()
        config = rl_config(stub.url, iterations=50, seeds=1)
        config["evaluation"]["every_n_iters"] = 0
        job = client.create_rl_job(rl_job_body(stub.url, config), idempotency_key="cancel")
        wait_for(lambda: len(stub.calls) > 0, timeout=300, interval=0.2)  # rollouts are under way
        pid = int((backend.data_dir / "jobs" / job["id"] / "pid").read_text())
        assert requests.get(f"{backend.url}/rl/jobs/{job['id']}/inference", timeout=10).status_code == 200
        client.cancel_job("rl", job["id"])
        wait_for(lambda: not os.path.exists(f"/proc/{pid}") or b"zombie" in _state(pid), timeout=60, interval=0.2)
    finally:
        stub.stop()
    assert client.get_job("rl", job["id"])["status"] == "cancelled"
    answer = requests.post(f"{backend.url}/rl/jobs/{job['id']}/inference/trace_x/v1/chat/completions",
                           json={"messages": [{"role": "user", "content": "hi"}]}, timeout=10)
    assert answer.status_code == 404


def _state(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            return fh.read().lower()
    except OSError:
        return b"zombie"


def test_a_backend_restart_starts_the_rl_job_again_and_says_so(torch_backend: Callable[..., Any]) -> None:
    backend = torch_backend()
    hang = hostile_rollout("hang")
    ok = hostile_rollout("ok")
    stub = Stub(lambda body, headers: hang(body, headers) if len(stub.calls) <= 2 else ok(body, headers),
                keys=[backend.environment_api_key])
    try:
        client = backend.client()
        config = rl_config(stub.url, iterations=2, seeds=1, group_size=2)
        config["evaluation"]["every_n_iters"] = 0
        job = client.create_rl_job(rl_job_body(stub.url, config), idempotency_key="restart")
        wait_for(lambda: len(stub.calls) > 0, timeout=300, interval=0.2)
        backend.restart()
        client = backend.client()
        done = wait_rl(client, job["id"])
    finally:
        stub.stop()
    assert done["status"] == "succeeded", done.get("error")
    resumed = [e for e in events(client, job["id"]) if e["type"] == "rl.job.resumed"]
    assert resumed and "from step 0" in resumed[0]["message"]
    assert done["fine_tuned_model"].startswith("rl:")
