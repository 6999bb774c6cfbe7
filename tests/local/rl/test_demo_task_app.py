"""The demo task app's /rollout over HTTP against a stub policy: the chat request it sends (messages,
the submit_answer tool, a forced tool_choice, policy.config sampling settings, no key, the URL rules
of the rollout contract), the RolloutResponse it answers, and the math app's reward for each case."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from synthlaunch.local import demo_env


class Policy:
    """A chat-completions stub answering `reply` (or `status`) and recording requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: Any = None
        self.status = 200
        policy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                policy.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                data = json.dumps(policy.reply).encode()
                self.send_response(policy.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def policy() -> Any:
    stub = Policy()
    yield stub
    stub.httpd.shutdown()
    stub.httpd.server_close()


def call(answer: Any, name: str = demo_env.TOOL_NAME) -> dict[str, Any]:
    calls = [] if answer is None else [{"id": "c1", "type": "function",
                                        "function": {"name": name, "arguments": json.dumps({"answer": answer})}}]
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": calls}}]}


def rollout(task_app: Any, policy: Any, seed: int, inference_url: str | None = None) -> dict[str, Any]:
    body = {"run_id": "r1", "mode": "rl", "env": {"seed": seed},
            "policy": {"config": {"inference_url": inference_url or policy.url + "/rl/jobs/j/inference/trace_x",
                                  "model": "m", "temperature": 0.7, "top_p": 0.9, "max_tokens": 4,
                                  "trace_correlation_id": "trace_x"}}, "ops": ["agent", "env"]}
    resp = requests.post(task_app.url + "/rollout", json=body, headers={"X-API-Key": task_app.environment_api_key},
                         timeout=30)
    assert resp.status_code == 200
    return resp.json()


@pytest.mark.parametrize("answer, name, reward, status", [
    ("1", demo_env.TOOL_NAME, 1.0, "correct"), ("blue", demo_env.TOOL_NAME, 1.0, "correct"),
    ("1\"}", demo_env.TOOL_NAME, 1.0, "correct"), ("2", demo_env.TOOL_NAME, 0.0, "incorrect"),
    ("xyz", demo_env.TOOL_NAME, -0.5, "invalid_answer"), ("", demo_env.TOOL_NAME, -0.5, "blank_answer"),
    ("1", "other_tool", -1.0, "wrong_tool"), (None, demo_env.TOOL_NAME, -1.0, "missing_tool_call"),
])
def test_rollout_scores_like_the_math_app(task_app: Any, policy: Any, answer: Any, name: str, reward: float,
                                          status: str) -> None:
    policy.reply = call(answer, name)
    result = rollout(task_app, policy, seed=6)  # seed 6 is question 0: the sky, option 1
    assert result["metrics"]["episode_returns"] == [reward] and result["metrics"]["details"]["status"] == status
    assert result["run_id"] == "r1" and result["trace_correlation_id"] == "trace_x"
    (trajectory,) = result["trajectories"]
    assert trajectory["inference_url"].endswith("/inference/trace_x") and trajectory["steps"][0]["done"] is True
    (sent,) = policy.requests
    assert sent["path"] == "/rl/jobs/j/inference/trace_x/v1/chat/completions"
    assert "Authorization" not in sent["headers"] and "X-API-Key" not in sent["headers"]
    body = sent["body"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": demo_env.TOOL_NAME}}
    assert body["tools"][0]["function"]["name"] == demo_env.TOOL_NAME
    assert body["messages"][1]["content"] == "What colour is the sky?"
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["model"]) == (0.7, 0.9, 4, "m")


def test_inference_failure_scores_as_no_tool_call(task_app: Any, policy: Any) -> None:
    policy.status, policy.reply = 500, {"error": "boom"}
    result = rollout(task_app, policy, seed=0)
    step = result["trajectories"][0]["steps"][0]
    assert result["metrics"]["episode_returns"] == [-1.0] and step["info"]["code"] == 502


@pytest.mark.parametrize("suffix, path", [("/v1", "/v1/chat/completions"), ("/v1/chat/completions/",
                                                                           "/v1/chat/completions")])
def test_inference_url_rules(task_app: Any, policy: Any, suffix: str, path: str) -> None:
    policy.reply = call("1")
    rollout(task_app, policy, seed=0, inference_url=policy.url + suffix)
    assert policy.requests[0]["path"] == path


def test_rollout_needs_the_key_and_a_mode(task_app: Any) -> None:
    assert requests.post(task_app.url + "/rollout", json={"run_id": "r", "mode": "rl"}, timeout=10).status_code == 401
    resp = requests.post(task_app.url + "/rollout", json={"run_id": "r"}, timeout=10,
                         headers={"X-API-Key": task_app.environment_api_key})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "mode"]
    info = requests.get(task_app.url + "/task_info?seed=1", headers={"X-API-Key": task_app.environment_api_key},
                        timeout=10).json()
    assert info["task_metadata"]["question"] == "What colour is grass?"
