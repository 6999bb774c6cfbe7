"""The demo RL task app: `GET /health`, `GET /task_info` and `POST /rollout`, guarded by the
environment key.

The key is accepted in `X-API-Key`, in `X-API-Keys` (comma list) or as `Authorization: Bearer`.
A wrong or missing key gets 401 with `detail` and `expected_api_key_prefix` (never more than the
first 4 characters of the real key).

`/rollout` follows the task-app side of docs/rollout-contract.md the way the synth-ai math app
does: one question per episode (`demo_env.py`), one call to the policy at
`policy.config.inference_url` + `/v1/chat/completions` with a forced `submit_answer` tool call,
scored; an inference failure scores as "no tool call" and the rollout still answers 200.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from . import demo_env

PREFIX_CHARS = 4

TASK_SET = [{"id": f"colour-{i:03d}", "prompt": q, "answer": a} for i, (q, a) in enumerate(demo_env.QUESTIONS)]
INFERENCE_TIMEOUT = 60.0


def presented_keys(headers: Any) -> list[str]:
    """Every key the request presents, in the three accepted headers."""
    keys: list[str] = []
    if headers.get("x-api-key"):
        keys.append(headers["x-api-key"].strip())
    if headers.get("x-api-keys"):
        keys += [k.strip() for k in headers["x-api-keys"].split(",") if k.strip()]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        keys.append(token.strip())
    return keys


def task_info() -> dict[str, Any]:
    return {
        "task": {"id": "synthlaunch-demo-colours", "name": "Demo colours (forced tool call)", "version": "2.0.0"},
        "environment": "colours",
        "environments": ["colours"],
        "dataset": {"id": "demo-colours", "splits": ["train"], "size": len(TASK_SET), "default_split": "train"},
        "rubric": {"outcome": "exact match of the submit_answer argument", "rewards": demo_env.REWARDS},
        "inference": {"supports_tool_calls": True, "tools": demo_env.openai_tools()},
        "limits": {"max_turns": 1, "max_time_s": 30},
        "instances": [{"id": t["id"], "prompt": t["prompt"]} for t in TASK_SET],
    }


def seed_info(seed: int) -> dict[str, Any]:
    """The TaskInfo of one seed (rollout contract §2)."""
    index, text, _ = demo_env.question(seed)
    base = task_info()
    return {"task": base["task"], "environment": "colours", "dataset": {**base["dataset"], "index": index},
            "rubric": base["rubric"], "inference": base["inference"], "limits": base["limits"],
            "task_metadata": {"seed": seed, "index": index, "question": text}}


def chat_url(inference_url: str) -> str:
    """Where the policy answers, from `policy.config.inference_url` (rollout contract §5)."""
    url = inference_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + "/chat/completions" if url.endswith("/v1") else url + "/v1/chat/completions"


def ask_policy(policy_config: dict[str, Any], seed: int) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the policy's reply or None, info about the call) for one question."""
    import requests

    body = {"model": policy_config.get("model"), "messages": demo_env.messages(seed), "tools": demo_env.openai_tools(),
            "tool_choice": demo_env.forced_tool_choice(),
            "temperature": policy_config.get("temperature", 0.0), "top_p": policy_config.get("top_p", 1.0),
            "max_tokens": policy_config.get("max_tokens", 512)}
    url = chat_url(str(policy_config.get("inference_url") or ""))
    try:
        resp = requests.post(url, json=body, timeout=INFERENCE_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return None, {"error": f"{type(exc).__name__}: {exc}"[:300]}
    if resp.status_code >= 300:
        return None, {"code": 502 if resp.status_code >= 500 else 400, "error": resp.text[:300]}
    try:
        return resp.json(), {}
    except ValueError:
        return None, {"code": 502, "error": "the policy answered with something that is not JSON"}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def rollout(request: dict[str, Any]) -> dict[str, Any]:
    """One episode: ask, score, answer a RolloutResponse (rollout contract §4, §6)."""
    env = _obj(request.get("env"))
    policy = _obj(request.get("policy"))
    config = _obj(policy.get("config"))
    seed = env["seed"] if isinstance(env.get("seed"), int) else 0
    index, text, expected = demo_env.question(seed)
    reply, info = ask_policy(config, seed)
    calls = demo_env.parse_tool_calls(reply) if reply is not None else []
    reward, status = demo_env.score(calls, expected)
    inference_url = str(config.get("inference_url") or "")
    cid = config.get("trace_correlation_id")
    step = {"obs": {"question": text, "seed": seed}, "tool_calls": calls, "reward": reward, "done": True,
            "truncated": False,
            "info": {**info, "expected_answer": expected, "status": status, "correct": status == "correct",
                     "tool_call_preview": calls[:1], "meta": {"inference_url": inference_url}}}
    return {
        "run_id": request.get("run_id"),
        "trajectories": [{"env_id": f"colours::train::{index}", "policy_id": policy.get("policy_id") or "policy",
                          "steps": [step], "final": {"observation": {"question": text}, "reward": reward},
                          "length": 1, "inference_url": inference_url}],
        "metrics": {"episode_returns": [reward], "mean_return": reward, "num_steps": 1, "num_episodes": 1,
                    "outcome_score": reward, "events_score": reward,
                    "details": {"status": status, "correct": status == "correct"}},
        "branches": {}, "aborted": False, "ops_executed": 2, "trace_correlation_id": cid,
        "pipeline_metadata": {"inference_url": inference_url, "trace_correlation_id": cid},
    }


def create_task_app(environment_api_keys: list[str]) -> Any:
    """The FastAPI app of the demo task app accepting any of `environment_api_keys`."""
    app = FastAPI(title="synthlaunch demo task app", docs_url=None, redoc_url=None, openapi_url=None)
    accepted = [k for k in environment_api_keys if k]
    prefix = accepted[0][:PREFIX_CHARS] if accepted else ""

    def authorized(request: Request) -> bool:
        given = presented_keys(request.headers)
        return any(hmac.compare_digest(g.encode(), k.encode()) for g in given for k in accepted)

    def refuse(request: Request) -> JSONResponse:
        missing = not presented_keys(request.headers)
        detail = ("missing environment API key: send it in X-API-Key (or X-API-Keys, or Authorization: Bearer)"
                  if missing else "invalid environment API key")
        detail += f"; expected prefix {prefix!r}" if prefix else ""
        return JSONResponse({"authorized": False, "detail": detail, "expected_api_key_prefix": prefix},
                            status_code=401)

    @app.get("/")
    def root() -> dict[str, Any]:
        return {"status": "ok", "service": "synthlaunch-demo-task-app", "routes": ["/health", "/task_info", "/rollout"]}

    @app.get("/health")
    def health(request: Request) -> Any:
        if not authorized(request):
            return refuse(request)
        return {"healthy": True, "authorized": True, "service": "synthlaunch-demo-task-app"}

    @app.get("/task_info")
    def info(request: Request, seed: list[int] = Query(default=[]), seeds: list[int] = Query(default=[])) -> Any:
        if not authorized(request):
            return refuse(request)
        asked = [*seed, *seeds]
        if not asked:
            return task_info()
        infos = [seed_info(s) for s in asked]
        return infos[0] if len(infos) == 1 else infos

    @app.post("/rollout")
    def do_rollout(request: Request, payload: Any = Body(None)) -> Any:
        if not authorized(request):
            return refuse(request)
        problems = []
        if not isinstance(payload, dict):
            problems.append({"loc": ["body"], "msg": "a RolloutRequest object is required"})
        else:
            for key in ("run_id", "mode"):
                if payload.get(key) in (None, ""):
                    problems.append({"loc": ["body", key], "msg": "field required"})
            if payload.get("mode") not in (None, "", "rl", "eval"):
                problems.append({"loc": ["body", "mode"], "msg": "must be 'rl' or 'eval'"})
        if problems:
            return JSONResponse({"detail": problems}, status_code=422)
        return rollout(payload)

    return app
