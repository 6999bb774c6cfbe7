"""The embedded Synth-compatible backend: a FastAPI app serving the backend routes of docs/wire-contract.md.

Bearer auth on every `/api` route, files (multipart upload, content-addressed, JSONL-checked),
SFT and RL jobs run by the emulated trainer (`worker.py`) or, for SFT with the torch trainer, by a
real training process per job (`training/`), checkpoints and their files for download
(`/api/learning/jobs/{id}/checkpoints[/{checkpoint}/files[/{path}]]`), the job event stream
(`GET /api/{rl|learning}/jobs/{id}/events/stream`, Server-Sent Events) that later clients read,
the SDK's alias routes (`POST /api/learning/files`, `/api/sft/jobs…`), Stripe-style idempotency for
job creation and file upload, loopback-only admin routes (`/admin/faults`, `/admin/jobs/{id}/fail`),
the fault-injection middleware (`faults.py`) wrapped around everything, and an optional request
log (`requestlog.py`) around that.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from fastapi import APIRouter, Body, Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..redact import mask
from ..timefmt import parse_timestamp
from .faults import FaultInjector, FaultMiddleware, FaultSpecError
from .jsonsafe import MAX_INT
from .jsonsafe import problems as json_problems
from .requestlog import RequestHook, RequestLogMiddleware
from .store import IdempotencyConflict, Store, fingerprint, prefix_of
from .training.service import JobRefused
from .worker import EMULATED_NOTE, Worker, plan_job

LOOPBACK = ("127.0.0.1", "::1", "localhost")
STATUS_ALIASES = {"canceled": "cancelled", "completed": "succeeded"}
#: a file used by a job in one of these statuses cannot be deleted (409)
FILE_IN_USE_STATUSES = ("created", "queued", "running")
#: the client's model catalogue (data only: local/ imports no client code)
CATALOGUE_FILE = Path(__file__).resolve().parents[1] / "config" / "models.json"
#: default limits on what one request may carry (a job or admin body; an uploaded dataset)
MAX_BODY_BYTES = 1 << 20
MAX_UPLOAD_BYTES = 1 << 30
#: the upload route and its alias (`POST /api/learning/files`, the 0.5.0 SDK's name)
UPLOAD_PATHS = ("/api/files", "/api/learning/files")
TERMINAL = ("succeeded", "failed", "cancelled")
#: seconds between keep-alive comments on an idle event stream
KEEPALIVE_SECONDS = 15.0
#: seconds between two looks at the store for new events of a streamed job
STREAM_TICK = 0.05


class BackendState:
    """Everything the routes need: store, trainer, faults, accepted keys."""

    def __init__(self, store: Store, worker: Worker, injector: FaultInjector, api_keys: list[str],
                 environment_api_keys: list[str], *, max_body_bytes: int = MAX_BODY_BYTES,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES, training: Any = None, event_stream: bool = True,
                 keepalive_seconds: float = KEEPALIVE_SECONDS, request_hook: RequestHook | None = None) -> None:
        self.store = store
        self.worker = worker
        self.training = training  # a training.service.TrainingService with the torch trainer, else None
        self.injector = injector
        self.api_keys = list(api_keys)
        self.environment_api_keys = list(environment_api_keys)
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        #: False: `…/events/stream` is not served (404), as on a backend older than the stream
        self.event_stream = event_stream
        self.keepalive_seconds = keepalive_seconds
        self.request_hook = request_hook


def _error(status_code: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status_code)


def _problems_response(problems: list[tuple[str, str]], what: str) -> JSONResponse:
    """422 whose `detail` is one readable sentence naming every bad field; `errors` lists them."""
    text = "; ".join(f"{loc}: {msg}" for loc, msg in problems)
    return _error(422, f"invalid {what}: {text}",
                  errors=[{"loc": ["body", *loc.split(".")], "msg": msg} for loc, msg in problems])


def make_auth(state: BackendState) -> Callable[[Request], str]:
    def require_key(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, detail="missing API key: send 'Authorization: Bearer <SYNTH_API_KEY>'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not any(hmac.compare_digest(token.encode(), k.encode()) for k in state.api_keys):
            raise HTTPException(401, detail=f"invalid API key {mask(token)}: this backend does not accept it "
                                            "(check SYNTH_API_KEY)", headers={"WWW-Authenticate": "Bearer"})
        return token
    return require_key


def _scope(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 8


def validate_sft_body(body: Any) -> list[tuple[str, str]]:
    """Missing or mistyped fields of an SFT job body, as (dotted location, message)."""
    if not isinstance(body, dict):
        return [("body", "must be a JSON object")]
    problems = json_problems(body)  # nothing is stored that could not be served back
    if not isinstance(body.get("model"), str) or not body["model"].strip():
        problems.append(("model", "required: the base model id (a non-empty string)"))
    if not isinstance(body.get("training_file_id"), str) or not body["training_file_id"].strip():
        problems.append(("training_file_id", "required: the id of an uploaded file (POST /api/files)"))
    hp = body.get("hyperparameters")
    if hp is not None and not isinstance(hp, dict):
        problems.append(("hyperparameters", "must be an object"))
    elif isinstance(hp, dict) and "n_epochs" in hp:
        n = hp["n_epochs"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            problems.append(("hyperparameters.n_epochs", "must be a positive integer"))
    for key in ("metadata",):
        if body.get(key) is not None and not isinstance(body[key], dict):
            problems.append((key, "must be an object"))
    return problems


def validate_rl_body(body: Any) -> list[tuple[str, str]]:
    """Missing or mistyped fields of an RL job body, as (dotted location, message)."""
    if not isinstance(body, dict):
        return [("body", "must be a JSON object")]
    problems = json_problems(body)  # nothing is stored that could not be served back
    if body.get("job_type") != "rl":
        problems.append(("job_type", "required: must be \"rl\""))
    data = body.get("data")
    if not isinstance(data, dict):
        problems.append(("data", "required: an object with endpoint_base_url and config"))
    else:
        if not _is_url(data.get("endpoint_base_url")):
            problems.append(("data.endpoint_base_url", "required: the task app URL (http:// or https://)"))
        if not isinstance(data.get("config"), dict):
            problems.append(("data.config", "required: the training config as an object"))
    for key in ("compute", "tags", "metadata"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            problems.append((key, "must be an object"))
    return problems


def _idempotent(state: BackendState, token: str, key: str | None, fp: str, kind: str,
                load: Callable[[str], dict[str, Any] | None], create: Callable[[], str]) -> JSONResponse:
    """Stripe semantics: same key + same request → the first object (200, Idempotent-Replayed);
    same key + another request → 409; otherwise create (201). Atomic under the store lock."""
    store = state.store
    if not key:
        obj = load(create())
        return JSONResponse(obj, status_code=201)
    scope = _scope(token)
    try:
        with store.tx():
            found = store.idempotent_lookup(scope, key, fp)
            if found is not None and found[0] == kind:
                obj = load(found[1])
                if obj is not None:
                    return JSONResponse(obj, status_code=200, headers={"Idempotent-Replayed": "true"})
            object_id = create()
            store.idempotent_record(scope, key, fp, kind, object_id)
    except IdempotencyConflict:
        return _error(409, f"Idempotency-Key {key!r} was already used with a different request; "
                           "reuse a key only to retry the very same request, or send a new key",
                      idempotency_key=key)
    return JSONResponse(load(object_id), status_code=201)


def create_app(state: BackendState) -> Any:
    """The ASGI app (FastAPI wrapped in the fault middleware)."""
    app = FastAPI(title="synthlaunch embedded backend", docs_url=None, redoc_url=None, openapi_url=None,
                  max_body_size=state.max_body_bytes)
    app.state.backend = state

    @app.exception_handler(StarletteHTTPException)
    async def too_large(request: Request, exc: StarletteHTTPException) -> Any:
        """A body that grew over the limit while read (FastAPI's max_body_size counts it) is a 413
        that says what the limit is; other HTTP errors as FastAPI answers them."""
        if exc.status_code != 413:
            return await http_exception_handler(request, exc)
        return _too_large(state, request.url.path)
    auth = make_auth(state)
    api = APIRouter(prefix="/api", dependencies=[Depends(auth)])
    store = state.store

    def job_or_404(job_id: str, prefix: str) -> dict[str, Any]:
        job = store.get_job(job_id)
        if job is None:
            raise HTTPException(404, detail=f"job {job_id} not found")
        if prefix == "rl" and job["type"] != "rl":
            raise HTTPException(404, detail=f"job {job_id} is not an RL job; read it under /api/learning/jobs/{job_id}")
        if prefix == "sft" and job["type"] != "sft":
            raise HTTPException(404, detail=f"job {job_id} is not an SFT job; read it under /api/rl/jobs/{job_id}")
        return job

    # -- health (no auth) -------------------------------------------------------------------

    @app.get("/health")
    def health() -> dict[str, Any]:
        trainer = "emulate" if state.training is None else "torch"
        return {"ok": True, "service": "synthlaunch-embedded-backend", "emulated": state.training is None,
                "trainer": trainer}

    # -- POST /api/rl/verify_task_app ----------------------------------------------------------

    @api.post("/rl/verify_task_app")
    def verify_task_app(payload: Any = Body(None)) -> Any:
        url = payload.get("endpoint_base_url") if isinstance(payload, dict) else None
        if bad := json_problems(payload):
            return _problems_response(bad, "verify_task_app request")
        if not _is_url(url):
            return _problems_response([("endpoint_base_url", "required: the task app URL (http:// or https://)")],
                                      "verify_task_app request")
        from .verify import verify_task_app as run_verify

        return run_verify(str(url).rstrip("/"), state.environment_api_keys)

    # -- job creation: POST /api/rl/jobs, /api/learning/jobs, /api/learning/jobs/{id}/start ----

    @api.post("/rl/jobs")
    def create_rl_job(payload: Any = Body(None),
                      idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
                      token: str = Depends(auth)) -> Any:
        problems = validate_rl_body(payload)
        if problems:
            return _problems_response(problems, "RL job body")

        def create() -> str:
            data = payload["data"]
            model = data.get("model") or data.get("base_model") or _config_model(data.get("config"))
            if state.training is not None:
                job = state.training.prepare_rl(payload)
                job_id = store.insert_job(kind="rl", status="queued", body=payload, model=model,
                                          training_file_id=None, total_steps=job.total_steps, fail_at_step=None,
                                          seed="", first_message=job.first_message, trainer="torch",
                                          trained_model=job.model.trained, first_data=job.first_data,
                                          job_id=job.job_id)
                state.training.wake()
                return job_id
            steps, fail_at, seed = plan_job("rl", payload)
            job_id = store.insert_job(kind="rl", status="queued", body=payload, model=model,
                                      training_file_id=None, total_steps=steps, fail_at_step=fail_at,
                                      seed=seed, first_message=EMULATED_NOTE)
            state.worker.wake()
            return job_id

        try:
            return _idempotent(state, token, idempotency_key, fingerprint("POST", "/api/rl/jobs", payload), "job",
                               store.get_job, create)
        except JobRefused as exc:
            return _problems_response([(exc.field, exc.message)], "RL job body")

    @api.post("/learning/jobs")
    @api.post("/sft/jobs")  # the 0.5.0 SDK's name for the same route
    def create_sft_job(payload: Any = Body(None),
                       idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
                       token: str = Depends(auth)) -> Any:
        problems = validate_sft_body(payload)
        if problems:
            return _problems_response(problems, "SFT job body")
        file_id = payload["training_file_id"]
        row = store.file_row(file_id)
        if row is None:
            return _problems_response([("training_file_id", f"file {file_id} does not exist on this backend; "
                                                            "upload it first with POST /api/files")], "SFT job body")
        if row["status"] == "processing":
            return _error(409, f"training file {file_id} is still processing; wait until GET /api/files/{file_id} "
                               "says ready, then retry")
        if row["status"] == "failed":
            return _problems_response([("training_file_id", f"file {file_id} failed validation: {row['error']}")],
                                      "SFT job body")

        def create() -> str:
            if state.training is not None:
                job = state.training.prepare_sft(payload, str(store.blob_path(row["sha256"])), row["line_count"] or 0)
                return store.insert_job(kind="sft", status="created", body=payload, model=payload["model"],
                                        training_file_id=file_id, total_steps=job.total_steps, fail_at_step=None,
                                        seed="", first_message=job.first_message, trainer="torch",
                                        trained_model=job.model.trained, first_data=job.first_data,
                                        job_id=job.job_id)
            steps, fail_at, seed = plan_job("sft", payload, row["first_line"], row["sha256"])
            return store.insert_job(kind="sft", status="created", body=payload, model=payload["model"],
                                    training_file_id=file_id, total_steps=steps, fail_at_step=fail_at,
                                    seed=seed, first_message=EMULATED_NOTE)

        try:
            return _idempotent(state, token, idempotency_key, fingerprint("POST", "/api/learning/jobs", payload),
                               "job", store.get_job, create)
        except JobRefused as exc:
            return _problems_response([(exc.field, exc.message)], "SFT job body")

    @api.post("/learning/jobs/{job_id}/start")
    @api.post("/sft/jobs/{job_id}/start")
    def start_job(job_id: str, payload: Any = Body(None)) -> Any:
        with store.tx():
            job = job_or_404(job_id, "learning")
            if job["status"] == "created" and job.get("trainer") == "torch" and state.training is None:
                return _error(409, f"job {job_id} trains for real but this backend runs the emulate trainer; "
                                   "restart it with the torch trainer to start the job")
            if job["status"] == "created":
                store.update_job(job_id, status="queued")
                how = "emulated training" if job.get("emulated", True) else "training"
                store.add_event(job_id, f"{prefix_of(job['type'])}.job.queued", f"job queued for {how}")
                store.add_phase(job_id, "queued")
        state.worker.wake()
        if state.training is not None:
            state.training.wake()
        return store.get_job(job_id)

    # -- jobs: GET /api/{rl|learning}/jobs[/{id}[/events|/metrics|/timeline]], POST …/cancel ---

    def list_jobs(status: str | None, type_: str | None, created_after: str | None, limit: int,
                  only_rl: bool = False, offset: int = 0, only_sft: bool = False) -> Any:
        after = None
        if created_after:
            when = parse_timestamp(created_after)
            if when is None:
                return _problems_response([("created_after", f"{created_after!r} is not an ISO-8601 time")],
                                          "query")
            after = when.timestamp()
        kind = {"sft": "sft", "sft_offline": "sft", "rl": "rl"}.get((type_ or "").lower()) if type_ else None
        if type_ and kind is None:
            return _problems_response([("type", f"{type_!r} is not one of rl, sft")], "query")
        if only_rl:
            kind = "rl"
        if only_sft:
            kind = "sft"
        status = STATUS_ALIASES.get(status or "", status)
        return {"jobs": store.list_jobs(status=status or None, kind=kind, created_after=after, limit=limit,
                                        offset=offset)}

    @api.get("/learning/jobs")
    def list_learning_jobs(status: str | None = None, type: str | None = None,
                           created_after: str | None = None, limit: int = Query(100, ge=1, le=1000),
                           offset: int = Query(0, ge=0)) -> Any:
        return list_jobs(status, type, created_after, limit, offset=offset)

    @api.get("/sft/jobs")
    def list_sft_jobs(status: str | None = None, created_after: str | None = None,
                      limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> Any:
        return list_jobs(status, None, created_after, limit, offset=offset, only_sft=True)

    @api.get("/rl/jobs")
    def list_rl_jobs(status: str | None = None, created_after: str | None = None,
                     limit: int = Query(100, ge=1, le=1000)) -> Any:
        return list_jobs(status, None, created_after, limit, only_rl=True)

    for prefix in ("rl", "learning", "orchestration", "sft"):
        _add_job_routes(api, prefix, state, job_or_404)
    _add_checkpoint_routes(api, store, job_or_404)

    # -- files: POST /api/files, GET /api/files[/{id}] ------------------------------------------

    @api.post("/files", max_body_size=state.max_upload_bytes)
    @api.post("/learning/files", max_body_size=state.max_upload_bytes)  # the 0.5.0 SDK's name for the same route
    def upload_file(file: UploadFile = File(...), purpose: str = Form("fine-tune"),
                    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
                    token: str = Depends(auth)) -> Any:
        if not purpose.strip():
            return _problems_response([("purpose", "must not be empty (e.g. fine-tune)")], "upload")
        sha, size = store.save_blob(file.file)
        filename = file.filename or "upload.jsonl"

        def create() -> str:
            record = store.insert_file(purpose=purpose, filename=filename, sha256=sha, size=size)
            state.worker.wake()
            return record["id"]

        return _idempotent(state, token, idempotency_key,
                           fingerprint("POST", "/api/files", purpose, filename, sha), "file",
                           store.get_file, create)

    @api.get("/files/{file_id}")
    def get_file(file_id: str) -> Any:
        record = store.get_file(file_id)
        if record is None:
            raise HTTPException(404, detail=f"file {file_id} not found")
        return record

    @api.delete("/files/{file_id}")
    def delete_file(file_id: str) -> Any:
        with store.tx():
            if store.get_file(file_id) is None:
                raise HTTPException(404, detail=f"file {file_id} not found")
            users = store.jobs_using_file(file_id, FILE_IN_USE_STATUSES)
            if users:
                return _error(409, f"file {file_id} is used by {len(users)} job(s) that have not ended "
                                   f"({', '.join(users[:5])}); cancel them or wait until they end, then retry",
                              job_ids=users)
            store.delete_file(file_id)
        return {"id": file_id, "object": "file", "deleted": True}

    @api.get("/models")
    def list_models() -> Any:
        return {"object": "list", "models": trainable_models()}

    @api.get("/files")
    def list_files(purpose: str | None = None, limit: int = Query(100, ge=1, le=1000)) -> Any:
        files = store.list_files(purpose=purpose, limit=limit)
        return {"object": "list", "files": files}

    app.include_router(api)
    _add_inference_routes(app, state)

    # -- admin (loopback only, bearer auth) ---------------------------------------------------

    admin = APIRouter(prefix="/admin", dependencies=[Depends(auth)])

    def loopback_only(request: Request) -> None:
        host = request.client.host if request.client else ""
        if host not in LOOPBACK:
            raise HTTPException(403, detail="admin routes answer only to loopback clients (127.0.0.1, ::1)")

    @admin.get("/faults", dependencies=[Depends(loopback_only)])
    def get_faults() -> Any:
        return state.injector.as_dict()

    @admin.post("/faults", dependencies=[Depends(loopback_only)])
    def set_faults(payload: Any = Body(None)) -> Any:
        if bad := json_problems(payload):
            return _problems_response(bad, "faults request")
        spec = payload.get("spec") if isinstance(payload, dict) else None
        if spec is not None and not isinstance(spec, str):
            return _problems_response([("spec", "must be a string (e.g. 'path=/api/*,rate=0.3,kinds=429+drop')")],
                                      "faults request")
        try:
            state.injector.set(spec)
        except FaultSpecError as exc:
            return _error(400, str(exc))
        return state.injector.as_dict()

    @admin.delete("/faults", dependencies=[Depends(loopback_only)])
    def clear_faults() -> Any:
        state.injector.clear()
        return state.injector.as_dict()

    @admin.post("/jobs/{job_id}/fail", dependencies=[Depends(loopback_only)])
    def fail_job(job_id: str, payload: Any = Body(None)) -> Any:
        job = store.get_job(job_id)
        if job is None:
            raise HTTPException(404, detail=f"job {job_id} not found")
        if bad := json_problems(payload):
            return _problems_response(bad, "fail request")
        reason = payload.get("reason") if isinstance(payload, dict) else None
        reason = str(reason) if reason else "failed on purpose through POST /admin/jobs/{id}/fail"
        if not state.worker.fail_now(job_id, reason):
            return _error(409, f"job {job_id} already ended ({job['status']}); nothing to fail")
        return store.get_job(job_id)

    app.include_router(admin)
    wrapped: Any = FaultMiddleware(DeclaredSizeLimit(app, state), state.injector)
    if state.request_hook is not None:
        wrapped = RequestLogMiddleware(wrapped, state.request_hook)
    return wrapped


def _too_large(state: BackendState, path: str) -> JSONResponse:
    upload = path in UPLOAD_PATHS
    limit = state.max_upload_bytes if upload else state.max_body_bytes
    what = "an upload" if upload else "a request body"
    return _error(413, f"{what} may be at most {limit} bytes on this backend "
                       f"(see --max-upload-bytes and --max-body-bytes)", max_bytes=limit)


class DeclaredSizeLimit:
    """A request whose Content-Length is over its limit gets the JSON 413 at once, nothing read.

    (FastAPI's max_body_size enforces the limits while a body is read, chunked or not; its own
    answer to a declared oversize body is a bare text 413 that does not say what the limit is.)
    """

    def __init__(self, app: Any, state: BackendState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            limit = self.state.max_upload_bytes if scope["path"] in UPLOAD_PATHS else self.state.max_body_bytes
            declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > limit:
                await _too_large(self.state, scope["path"])(scope, receive, send)
                return
        await self.app(scope, receive, send)


@lru_cache(maxsize=1)
def trainable_models() -> list[dict[str, Any]]:
    """What the embedded backend trains (emulated): the catalogue's ids with their capabilities."""
    doc = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return [{"id": m["id"], "object": "model", "sft": bool(m.get("sft")), "rl": bool(m.get("rl")),
             "experimental": bool(m.get("experimental")), "emulated": True} for m in doc.get("models", [])]


def _add_inference_routes(app: Any, state: BackendState) -> None:
    """`POST /rl/jobs/{job_id}/inference/{cid}/v1/chat/completions` (and `…/{cid}/chat/completions`):
    the policy of a running RL job, for its task app (docs/rollout-contract.md). No key: task apps
    call the policy without one (the SDK's math app sends none); the training process answers only
    for the correlation ids of episodes it has open, so the route serves nothing else."""

    def forward(job_id: str, cid: str, payload: Any) -> Any:
        import requests

        target = state.training.runner.inference_target(job_id) if state.training is not None else None
        if target is None:
            return _error(404, f"job {job_id} has no policy being served (it is not a running RL job "
                               "with the torch trainer)")
        try:
            resp = requests.post(f"{target}/{cid}/v1/chat/completions", json=payload, timeout=(5.0, 300.0))
        except requests.RequestException as exc:
            return _error(502, f"the training process of job {job_id} did not answer: {type(exc).__name__}")
        try:
            return JSONResponse(resp.json(), status_code=resp.status_code)
        except ValueError:
            return _error(502, f"the training process of job {job_id} answered something that is not JSON")

    @app.get("/rl/jobs/{job_id}/inference")
    def inference_ready(job_id: str) -> Any:
        """200 once the backend proxies this job's policy (the training process waits for it)."""
        target = state.training.runner.inference_target(job_id) if state.training is not None else None
        if target is None:
            return _error(503, f"job {job_id} has no policy being served yet")
        return {"ready": True, "job_id": job_id}

    @app.post("/rl/jobs/{job_id}/inference/{cid}/v1/chat/completions")
    def chat_completions(job_id: str, cid: str, payload: Any = Body(None)) -> Any:
        return forward(job_id, cid, payload)

    @app.post("/rl/jobs/{job_id}/inference/{cid}/chat/completions")
    def chat_completions_short(job_id: str, cid: str, payload: Any = Body(None)) -> Any:
        return forward(job_id, cid, payload)


def _config_model(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    for section, key in (("model", "base"), ("model", "source"), ("policy", "model_name"), ("policy", "source")):
        table = config.get(section)
        if isinstance(table, dict) and isinstance(table.get(key), str):
            return table[key]
    return None


def _add_checkpoint_routes(api: APIRouter, store: Store,
                           job_or_404: Callable[[str, str], dict[str, Any]]) -> None:
    """Checkpoints of a job and their files, streamed for download (`synthlaunch.download`)."""
    from .training.artifacts import ArtifactError, checkpoint_file, checkpoint_folder, list_checkpoints, model_files

    def job_dir(job_id: str) -> Any:
        return store.data_dir / "jobs" / job_id

    def folder_or_404(job_id: str, checkpoint_id: str, adapter_only: bool) -> tuple[Any, str]:
        job_or_404(job_id, "learning")
        try:
            return checkpoint_folder(job_dir(job_id), checkpoint_id, adapter_only=adapter_only)
        except ArtifactError as exc:
            raise HTTPException(404, detail=f"job {job_id}: {exc}") from None

    @api.get("/learning/jobs/{job_id}/checkpoints")
    def checkpoints(job_id: str) -> Any:
        job = job_or_404(job_id, "learning")
        items = list_checkpoints(job_dir(job_id), total_steps=job.get("total_steps"),
                                 fine_tuned_model=job.get("fine_tuned_model"))
        return {"job_id": job_id, "checkpoints": items, "emulated": job.get("emulated", True)}

    @api.get("/learning/jobs/{job_id}/checkpoints/{checkpoint_id}/files")
    def checkpoint_files(job_id: str, checkpoint_id: str, adapter_only: bool = False) -> Any:
        folder, fmt = folder_or_404(job_id, checkpoint_id, adapter_only)
        return {"job_id": job_id, "checkpoint": checkpoint_id, "format": fmt, "files": model_files(folder)}

    @api.get("/learning/jobs/{job_id}/checkpoints/{checkpoint_id}/files/{path:path}")
    def checkpoint_download(job_id: str, checkpoint_id: str, path: str, adapter_only: bool = False) -> Any:
        folder, _ = folder_or_404(job_id, checkpoint_id, adapter_only)
        try:
            target = checkpoint_file(folder, path)
        except ArtifactError as exc:
            raise HTTPException(404, detail=f"job {job_id} checkpoint {checkpoint_id}: {exc}") from None
        return FileResponse(target, media_type="application/octet-stream", filename=target.name)


def _resume_point(last_event_id: str | None, since_seq: int | None) -> int:
    """Where a stream starts: after `Last-Event-ID` (a reconnecting client), else after `since_seq`, else 0.
    A `Last-Event-ID` that is not a seq (not a number, negative, past SQLite's integers) is ignored."""
    try:
        seq = int((last_event_id or "").strip())
        if 0 <= seq <= MAX_INT:
            return seq
    except ValueError:
        pass
    return since_seq or 0


def sse_frame(event: dict[str, Any]) -> str:
    """One Server-Sent Events frame: `id:` seq, `event:` type, `data:` the event as one line of JSON."""
    kind = "".join(c for c in str(event.get("type") or "message") if c not in "\r\n")
    return f"id: {event['seq']}\nevent: {kind}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


def _add_job_routes(api: APIRouter, prefix: str, state: BackendState,
                    job_or_404: Callable[[str, str], dict[str, Any]]) -> None:
    """GET job, events (polled and streamed), metrics, timeline and POST cancel under /api/<prefix>/jobs/{id}."""
    store = state.store

    @api.get(f"/{prefix}/jobs/{{job_id}}", name=f"{prefix}_get_job")
    def get_job(job_id: str) -> Any:
        return job_or_404(job_id, prefix)

    @api.get(f"/{prefix}/jobs/{{job_id}}/events", name=f"{prefix}_events")
    def events(job_id: str, since_seq: int = Query(0, ge=0, le=MAX_INT), limit: int = Query(200, ge=1, le=1000)) -> Any:
        job_or_404(job_id, prefix)
        items = store.events(job_id, since_seq=since_seq, limit=limit)
        return {"events": items, "next_seq": items[-1]["seq"] if items else since_seq}

    if state.event_stream:
        @api.get(f"/{prefix}/jobs/{{job_id}}/events/stream", name=f"{prefix}_events_stream")
        def events_stream(job_id: str, since_seq: int | None = Query(None, ge=0, le=MAX_INT),
                          last_event_id: str | None = Header(None, alias="Last-Event-ID")) -> Any:
            job_or_404(job_id, prefix)
            start = _resume_point(last_event_id, since_seq)
            return StreamingResponse(_event_frames(state, job_id, start), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @api.get(f"/{prefix}/jobs/{{job_id}}/metrics", name=f"{prefix}_metrics")
    def metrics(job_id: str, after_step: int | None = Query(None, ge=-1, le=MAX_INT),
                limit: int = Query(200, ge=1, le=1000)) -> Any:
        job_or_404(job_id, prefix)
        if after_step is None:
            # later clients send only `limit` and de-duplicate by step themselves: a first page
            # would hide every later point from them, so without a cursor the answer is the whole series
            return {"points": store.metrics(job_id, after_step=-1, limit=None)}
        return {"points": store.metrics(job_id, after_step=after_step, limit=limit)}

    @api.get(f"/{prefix}/jobs/{{job_id}}/timeline", name=f"{prefix}_timeline")
    def timeline(job_id: str) -> Any:
        job_or_404(job_id, prefix)
        return {"events": store.timeline(job_id)}

    @api.post(f"/{prefix}/jobs/{{job_id}}/cancel", name=f"{prefix}_cancel")
    def cancel(job_id: str, payload: Any = Body(None)) -> Any:
        with store.tx():
            job = job_or_404(job_id, prefix)
            if job["status"] == "cancelled":
                return {**job, "message": "job was already cancelled"}
            if job["status"] in ("succeeded", "failed"):
                return _error(409, f"job {job_id} already ended ({job['status']}); nothing to cancel",
                              job_status=job["status"])
            store.finish_job(job_id, "cancelled", event_type=f"{prefix_of(job['type'])}.job.cancelled",
                             message="job cancelled on request", level="warning",
                             data={"step": job["current_step"]})
        return store.get_job(job_id)

    if prefix == "sft":
        @api.get("/sft/jobs/{job_id}/checkpoints", name="sft_checkpoints")
        def checkpoints(job_id: str) -> Any:
            job_or_404(job_id, prefix)
            return {"job_id": job_id, "checkpoints": [], "emulated": True}


async def _event_frames(state: BackendState, job_id: str, since_seq: int) -> AsyncIterator[str]:
    """The frames of one job's event stream: every event after `since_seq` as it is written, a
    keep-alive comment when nothing was sent for `keepalive_seconds`, and the end once the job is
    terminal and its last event went out."""
    store = state.store
    cursor = since_seq
    last_write = time.monotonic()
    yield ": stream open\n\n"
    while True:
        # read the status first: a terminal status is written with its event, so after it no event can follow
        job = store.get_job(job_id)
        ended = job is None or job["status"] in TERMINAL
        while True:
            items = store.events(job_id, since_seq=cursor, limit=500)
            for event in items:
                cursor = event["seq"]
                yield sse_frame(event)
            if items:
                last_write = time.monotonic()
            if len(items) < 500:
                break
        if ended:
            return
        if time.monotonic() - last_write >= state.keepalive_seconds:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        await asyncio.sleep(STREAM_TICK)
