"""Stub task apps on 127.0.0.1 (stdlib http.server): one behaving like the synth-ai SDK's math app
(rollout contract §1, §5, §6: 400 on a bad key, the policy called with no key, a forced `math_submit`
call, the math app's rewards) and hostile ones (errors, hangs, redirects, garbage)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import requests

MATH = [("2 + 3", "5"), ("7 - 4", "3"), ("6 / 2", "3"), ("1 + 1", "2")]


class Stub:
    """A server whose POST /rollout answer comes from `rollout(body, headers) -> (status, obj|bytes, headers)`."""

    def __init__(self, rollout: Callable[[dict[str, Any], dict[str, str]], tuple[int, Any, dict[str, str]]],
                 keys: list[str] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.keys = keys
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
                data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if stub.keys is None:
                    return True
                given = [k.strip() for k in (self.headers.get("X-API-Key") or "").split(",") if k.strip()]
                given += [k.strip() for k in (self.headers.get("X-API-Keys") or "").split(",") if k.strip()]
                scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
                if scheme.lower() == "bearer" and token:
                    given.append(token.strip())
                return any(g in stub.keys for g in given)

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    self._send(400, {"detail": {"error": {"code": "unauthorised",
                                                          "message": "API key missing or invalid"}}})
                    return
                self._send(200, {"healthy": True} if self.path.startswith("/health") else {"taskset": {}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                stub.calls.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                if not self._authorised():
                    self._send(400, {"detail": {"error": {"code": "unauthorised",
                                                          "message": "API key missing or invalid"}}})
                    return
                status, obj, headers = rollout(body, dict(self.headers))
                self._send(status, obj, headers)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def math_app_rollout(body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    """What the SDK's math app does with a RolloutRequest (rollout contract §5, §6)."""
    if "mode" not in body:
        return 422, {"detail": [{"loc": ["body", "mode"], "msg": "field required"}]}, {}
    config = (body.get("policy") or {}).get("config") or {}
    seed = (body.get("env") or {}).get("seed") or 0
    problem, expected = MATH[seed % len(MATH)]
    url = str(config.get("inference_url") or "").rstrip("/")
    if not url.endswith("/chat/completions"):
        url = url + "/chat/completions" if url.endswith("/v1") else url + "/v1/chat/completions"
    request = {"model": config.get("model"),
               "messages": [{"role": "system", "content": "Call math_submit once with only the final answer."},
                            {"role": "user",
                             "content": f"Problem:\n{problem}\nSubmit the final answer via the tool call."}],
               "tools": [{"type": "function", "function": {
                   "name": "math_submit", "description": "Submit the final answer",
                   "parameters": {"type": "object", "properties": {"answer": {"type": "string"},
                                                                   "explanation": {"type": "string"}},
                                  "required": ["answer"]}}}],
               "tool_choice": {"type": "function", "function": {"name": "math_submit"}},
               "temperature": config.get("temperature", 0.0), "top_p": config.get("top_p", 1.0),
               "max_tokens": config.get("max_tokens", 512)}
    info: dict[str, Any] = {}
    calls: list[dict[str, Any]] = []
    try:
        resp = requests.post(url, json=request, timeout=60)  # no auth headers, as the SDK's math app
        if resp.status_code >= 500:
            info["code"] = 502
        elif resp.status_code >= 400:
            info["code"] = 400
        else:
            for call in resp.json()["choices"][0]["message"].get("tool_calls") or []:
                args = call["function"].get("arguments")
                try:
                    args = json.loads(args) if isinstance(args, str) else args
                except ValueError:
                    args = {}
                calls.append({"tool": call["function"]["name"], "args": args if isinstance(args, dict) else {}})
    except (requests.RequestException, ValueError) as exc:
        info["error"] = str(exc)
    if not calls:
        reward, status = -1.0, "missing_tool_call"
    elif calls[0]["tool"] != "math_submit":
        reward, status = -1.0, "wrong_tool"
    elif not str(calls[0]["args"].get("answer") or "").strip():
        reward, status = -0.5, "blank_answer"
    elif str(calls[0]["args"]["answer"]).strip() == expected:
        reward, status = 1.0, "correct"
    else:
        reward, status = 0.0, "incorrect"
    step = {"obs": {"problem": problem}, "tool_calls": calls, "reward": reward, "done": True,
            "info": {**info, "expected_answer": expected, "status": status, "correct": status == "correct"}}
    return 200, {"run_id": body["run_id"],
                 "trajectories": [{"env_id": f"math::train::{seed}", "policy_id": "p", "steps": [step],
                                   "length": 1, "inference_url": str(config.get("inference_url"))}],
                 "metrics": {"episode_returns": [reward], "mean_return": reward, "num_steps": 1, "num_episodes": 0,
                             "outcome_score": reward, "events_score": reward,
                             "details": {"status": status, "correct": status == "correct"}},
                 "branches": {}, "aborted": False, "ops_executed": 2, "trace_correlation_id": None,
                 "pipeline_metadata": {}}, {}


def hostile_rollout(kind: str, other_origin: str = "http://127.0.0.2:9") -> Callable[..., tuple[int, Any, dict]]:
    """A /rollout that misbehaves by seed: see `KINDS`."""

    def answer(body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if kind == "error":
            return 500, b"Internal Server Error", {}
        if kind == "hang":
            time.sleep(5)
            return 200, {"metrics": {"episode_returns": [1.0]}}, {}
        if kind == "redirect":
            return 307, b"", {"Location": other_origin + "/rollout"}
        if kind == "garbage":
            return 200, b"<html>not json</html>", {}
        if kind == "aborted":
            return 200, {"run_id": body.get("run_id"), "aborted": True, "metrics": {"episode_returns": [1.0]}}, {}
        if kind == "noreward":
            return 200, {"run_id": body.get("run_id"), "metrics": {}}, {}
        return 200, {"run_id": body.get("run_id"), "metrics": {"episode_returns": [0.5]}}, {}

    return answer
