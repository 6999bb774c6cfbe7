"""The demo RL task app: `GET /health` and `GET /task_info`, guarded by the environment key.

The key is accepted in `X-API-Key`, in `X-API-Keys` (comma list) or as `Authorization: Bearer`.
A wrong or missing key gets 401 with `detail` and `expected_api_key_prefix` (never more than the
first 4 characters of the real key).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PREFIX_CHARS = 4

TASK_SET = [
    {"id": "arith-000", "prompt": "What is 17 + 25?", "answer": "42"},
    {"id": "arith-001", "prompt": "What is 9 * 8?", "answer": "72"},
    {"id": "arith-002", "prompt": "What is 100 - 37?", "answer": "63"},
    {"id": "arith-003", "prompt": "What is 144 / 12?", "answer": "12"},
    {"id": "arith-004", "prompt": "What is 2 ** 10?", "answer": "1024"},
]


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
        "task": {"id": "synthlaunch-demo-arithmetic", "name": "Demo arithmetic", "version": "1.0.0"},
        "environment": "arithmetic",
        "environments": ["arithmetic"],
        "dataset": {"id": "demo-arithmetic", "splits": ["train", "test"], "size": len(TASK_SET),
                    "default_split": "train"},
        "rubric": {"outcome": "exact match of the final answer", "scale": [0, 1]},
        "inference": {"supports_tool_calls": False},
        "limits": {"max_turns": 1, "max_time_s": 30},
        "instances": [{"id": t["id"], "prompt": t["prompt"]} for t in TASK_SET],
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
        return {"service": "synthlaunch-demo-task-app", "routes": ["/health", "/task_info"]}

    @app.get("/health")
    def health(request: Request) -> Any:
        if not authorized(request):
            return refuse(request)
        return {"healthy": True, "authorized": True, "service": "synthlaunch-demo-task-app"}

    @app.get("/task_info")
    def info(request: Request) -> Any:
        if not authorized(request):
            return refuse(request)
        return task_info()

    return app
