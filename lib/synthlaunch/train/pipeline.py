"""One config from file to watched job: validate → env → (RL preflight | SFT dataset) → create → stream.

Progress goes to the `Output` it is given (the console leaf); the state and cache folders come
from `TrainOptions.environ` (`synthlaunch.paths`), never from a rewritten process environment.

Every step before the first request can fail with exit 2 without anything being sent or written;
the first request happens only after the user confirmed (on a terminal) or `--yes`/no terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..console import Output, command_name
from ..errors import BackendError, ConfigError, EnvError, UsageError
from ..paths import cache_dir, state_dir
from ..task_url import choose_task_url
from .options import RunRecord, TrainOptions

if TYPE_CHECKING:  # pragma: no cover
    from ..config import LoadedConfig
    from ..dataset import DatasetReport
    from ..env import ResolvedEnv
    from ..submissions import PendingSubmissions


def check_applicable(job_type: str, opts: TrainOptions) -> None:
    """Options that do not apply to this job type are errors, not silence."""
    if job_type == "rl":
        wrong = [flag for flag, value in (("--dataset", opts.dataset), ("--examples", opts.examples),
                                          ("--force-upload", opts.force_upload or None)) if value is not None]
        if wrong:
            raise UsageError(f"{', '.join(wrong)} only apply to SFT jobs, and this config is RL",
                             hint="drop them, or pass an SFT config")
    elif opts.task_url is not None:
        raise UsageError("--task-url only applies to RL jobs, and this config is SFT",
                         hint="drop --task-url, or pass an RL config")


def run_one(out: Output, path: Path, opts: TrainOptions, record: RunRecord, *, index: int, total: int) -> None:
    """Take one config to a job (and watch it unless --no-poll). Fills `record` as it goes."""
    from ..config import load_and_validate

    record.overrides = list(opts.overrides)
    cfg = load_and_validate(path, type_override=opts.type_, model=opts.model,
                            dataset=opts.dataset, allow_experimental=opts.allow_experimental, env=opts.environ,
                            overrides=opts.overrides, text=opts.config_text, strict=opts.strict)
    record.type = cfg.type
    if cfg.type == "prompt_learning":
        raise ConfigError([cfg.problem("job type prompt_learning (GEPA/MIPRO prompt optimisation) cannot be "
                                       "trained by synthlaunch, which submits RL and SFT jobs only",
                                       "prompt_learning")],
                          header=f"{path}: a prompt-learning config, not an RL or SFT one",
                          hint="run prompt-learning jobs with the synth-ai client; "
                               f"`{command_name()} validate --config {path}` still checks the file")
    record.name = run_name(cfg, opts)
    for warning in cfg.warnings:
        record.warnings.append(warning)
        out.warn(str(warning))
    if total == 1:
        check_applicable(cfg.type, opts)

    datasets = _validate_datasets(out, cfg, opts) if cfg.type == "sft" else None
    if datasets is not None and opts.expect_dataset_sha256 and datasets.training.sha256 != opts.expect_dataset_sha256:
        raise UsageError(f"the dataset {cfg.dataset_path} changed since job {opts.rerun} was submitted (sha256 "
                         f"{opts.expect_dataset_sha256[:12]}… then, {datasets.training.sha256[:12]}… now)",
                         hint="a rerun submits exactly the same config and data; restore the file, or run "
                              "`train --config` for a new run")
    env = _resolve_env(out, cfg, opts)
    if cfg.type == "rl":
        _run_rl(out, cfg, opts, env, record, explicit_key=opts.idempotency_for(index, total))
    else:
        assert datasets is not None
        _run_sft(out, cfg, opts, env, record, datasets, explicit_key=opts.idempotency_for(index, total))
    if record.job_id and not opts.dry_run:
        from .results import record_outcome, record_submission

        record_submission(out, cfg, opts, env, record, datasets.training.sha256 if datasets else None)
        try:
            _watch(out, cfg, opts, env, record)
        finally:
            record_outcome(out, opts, env, record)


def run_name(cfg: "LoadedConfig", opts: TrainOptions) -> str | None:
    """The run's name: --name, else `[job].name` of the config."""
    from ..config.schema import table_at

    written = table_at(cfg.data, "job.name")
    return opts.name or (written.strip() if isinstance(written, str) and written.strip() else None)


def _named(body: dict[str, Any], name: str | None) -> dict[str, Any]:
    """The job body with the run's name in its metadata (`metadata.name`)."""
    if name:
        metadata = body.get("metadata")
        body["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), "name": name}
    return body


def _extra_settings(cfg: "LoadedConfig", record: RunRecord) -> list[tuple[str, str]]:
    """Settings summary rows for the run's name and --set overrides (when there are any)."""
    from ..config.overrides import overrides_text

    rows = [("name", record.name)] if record.name else []
    if cfg.overrides:
        rows.append(("overrides", overrides_text(cfg.overrides) + " (from --set)"))
    return rows


# -- steps ----------------------------------------------------------------------------------------

class Datasets:
    """The validated training (and optional validation) dataset of an SFT run."""

    def __init__(self, training: "DatasetReport", validation: "DatasetReport | None") -> None:
        self.training = training
        self.validation = validation

    @property
    def fingerprint(self) -> str:
        return f"{self.training.sha256}:{self.validation.sha256 if self.validation else ''}"


def _validate_datasets(out: Output, cfg: "LoadedConfig", opts: TrainOptions) -> Datasets:
    """Validate the training dataset (and the validation one, if its file exists) before any secret is read."""
    from ..errors import DatasetError, Problem
    from ..upload import validate_with_progress

    if cfg.dataset_path is None:
        raise DatasetError([Problem("no training dataset: set [job].data in the config or pass --dataset",
                                    path=str(cfg.path), key="job.data")])
    # with --examples only the first N lines are read: the cost does not grow with the file
    training = validate_with_progress(out, cfg.dataset_path, limit=opts.examples)
    scope = f"first {training.examples} examples checked" if opts.examples else f"{training.examples} examples"
    # the upload line says it again (examples, bytes): here only in a dry run, or with --verbose
    (out.info if opts.dry_run else out.detail)(f"dataset {cfg.dataset_path}: {scope}, {training.bytes} bytes")
    if opts.examples is not None and training.examples < opts.examples:
        out.warn(f"--examples {opts.examples}, but {cfg.dataset_path} has only {training.examples} example(s): "
                 f"all {training.examples} are used")
    from ..dataset import content_warnings

    dubious = content_warnings(cfg.dataset_path, limit=opts.examples)
    if dubious and opts.strict:
        raise DatasetError(dubious, header=f"{cfg.dataset_path}: dubious examples (errors with --strict)",
                           hint="fix these lines, or drop --strict to train with them")
    for problem in dubious:
        out.warn(str(problem))
    validation = None
    if cfg.validation_path is not None:
        if cfg.validation_path.exists():
            validation = validate_with_progress(out, cfg.validation_path)
            out.info(f"validation dataset {cfg.validation_path}: {validation.examples} examples")
        else:
            out.warn(f"{cfg.path}: [data].validation_path {cfg.validation_path} does not exist; "
                     "the job runs without validation data")
    return Datasets(training, validation)


def _resolve_env(out: Output, cfg: "LoadedConfig", opts: TrainOptions) -> "ResolvedEnv":
    from ..env import required_keys, resolve_env

    task_url_known = cfg.type == "rl" and choose_task_url(flag=opts.task_url, config=cfg.data) is not None
    required = [] if opts.dry_run else required_keys("rl" if cfg.type == "rl" else "sft", task_url_known=task_url_known)
    env = resolve_env(out, required=required, env_files=opts.env_files,
                      search_dirs=[Path.cwd(), cfg.path.parent],
                      flag_values={"TASK_APP_URL": opts.task_url}, backend_flag=opts.backend,
                      yes=opts.yes, allow_insecure_http=opts.allow_insecure_http, environ=opts.environ)
    if not opts.env_files and env.env_file is not None:
        # the .env picked (or found) for the first config serves the later ones: one picker per run
        opts.env_files = [str(env.env_file)]
    return env


def _confirm(out: Output, opts: TrainOptions, settings: list[tuple[str, str]],
             forget: Callable[[], None] = lambda: None) -> bool:
    """Show the effective settings; on a terminal, ask before the first request. False when the user
    said no. Either way out (no, or Ctrl-C at the question) nothing was sent, so `forget` drops the
    pending-submission record made for this run: the next run is a new submission, not a "reuse"."""
    width = max(len(name) for name, _ in settings)
    asking = not (opts.dry_run or opts.yes or not out.interactive)
    # shown where they matter: before the question, and in a dry run; otherwise with --verbose
    show = out.info if asking or opts.dry_run else out.detail
    show("Effective settings:")
    for name, value in settings:
        show(f"  {name.ljust(width)}  {value}")
    if not asking:
        return True
    from ..prompts import confirm

    try:
        answer = confirm(out, "Submit this job?", default=True)
    except (KeyboardInterrupt, EOFError):
        forget()
        raise
    if not answer:
        forget()
        out.result("not submitted (you answered no); nothing was sent")
    return answer


def _pending(opts: TrainOptions) -> "PendingSubmissions":
    from ..submissions import PendingSubmissions

    return PendingSubmissions(state_dir(opts.environ) / "pending-submissions.json")


def _key(out: Output, opts: TrainOptions, fp: str, explicit: str | None) -> tuple[str, Callable[[], None]]:
    """The Idempotency-Key, and how to forget its record if the user then declines (only a record made
    by this run: one left by a run that may have sent its request is kept)."""
    key, how = _pending(opts).claim(fp, explicit=explicit)
    if how == "reused":
        out.info(f"reusing Idempotency-Key {key} of an earlier, unconfirmed submission of the same job")
        return key, lambda: None
    if how == "concurrent" and explicit is None:
        out.info(f"another run of the same job is submitting it right now; this run creates its own job "
                 f"(Idempotency-Key {key})")
    return key, lambda: _pending(opts).confirm(fp)


def _hyperparameters(cfg: "LoadedConfig") -> str:
    """`lr=5e-05 epochs=1 batch=2 mode=full`: what will be sent, as the confirmation shows it."""
    from ..config import hyperparameters_summary

    return hyperparameters_summary(cfg) or "(none: the backend's defaults)"


def _run_rl(out: Output, cfg: "LoadedConfig", opts: TrainOptions, env: "ResolvedEnv", record: RunRecord,
            *, explicit_key: str | None) -> None:
    from ..config import build_rl_body
    from ..submissions import fingerprint

    chosen = choose_task_url(flag=opts.task_url, env=env.values, config=cfg.data)
    task_url = chosen.url if chosen else None
    if not task_url:
        if not opts.dry_run:
            raise EnvError(f"{cfg.path}: no task app URL: pass --task-url, set TASK_APP_URL, "
                           "or set [services].task_url in the config")
        task_url = "<TASK_APP_URL>"
    from ..preflight import unreachable_task_url

    unreachable = unreachable_task_url(task_url, env.backend_url) if chosen else None
    if unreachable:
        out.warn(unreachable)
    body = _named(build_rl_body(cfg, task_url=task_url, backend_url=env.backend_url, model=opts.model), record.name)
    fp = fingerprint(env.backend_url, body)
    key, forget = (explicit_key, lambda: None) if opts.dry_run else _key(out, opts, fp, explicit_key)
    if not _confirm(out, opts, [
        ("config", str(cfg.path)), ("type", "rl"), ("backend", env.backend_url),
        ("model", f"{cfg.model}" + (" (from --model)" if opts.model else "")),
        ("task url", task_url + (" (from --task-url)" if opts.task_url else "")),
        ("hyperparameters", _hyperparameters(cfg)),
        *_extra_settings(cfg, record),
        ("idempotency key", key or "(generated when sent)"),
    ], forget):
        record.status = "declined"
        return
    if opts.dry_run:
        record.requests = [
            _req("POST", env.backend_url, "rl/verify_task_app", {"endpoint_base_url": task_url}),
            {"method": "GET", "path": "/health", "url": f"{task_url}/health", "body": None},
            {"method": "GET", "path": "/task_info", "url": f"{task_url}/task_info", "body": None},
            _req("POST", env.backend_url, "rl/jobs", body),
        ]
        _show_requests(out, record.requests)
        record.status = "dry-run"
        return

    from ..clients import make_client
    from ..preflight import run_checks
    from ..render.failure import raise_shown_preflight
    from ..render.tables import render_preflight

    client = make_client(env)  # --allow-insecure-http travels with env
    report = run_checks(client, task_url, env.environment_api_key or "", aliases=env.environment_api_key_aliases)
    render_preflight(out, report)
    if not report.ok:
        raise_shown_preflight(out, report)
    assert key is not None  # only a dry run goes without one, and it returned above
    record.job_id = _create(out, opts, client.create_rl_job, body, key, fp)
    record.status = "created"


def _run_sft(out: Output, cfg: "LoadedConfig", opts: TrainOptions, env: "ResolvedEnv", record: RunRecord,
             datasets: Datasets, *, explicit_key: str | None) -> None:
    from ..config import build_sft_body
    from ..submissions import fingerprint

    preview, dropped = build_sft_body(cfg, training_file_id=None, model=opts.model)
    _named(preview, record.name)
    said = {w.key for w in record.warnings}
    for warning in dropped:
        if warning.key in said:  # the config's own check said it already: once is enough
            continue
        record.warnings.append(warning)
        out.warn(str(warning))
    fp = fingerprint(env.backend_url, preview, f"{datasets.fingerprint}:{opts.examples}")
    key, forget = (explicit_key, lambda: None) if opts.dry_run else _key(out, opts, fp, explicit_key)
    if not _confirm(out, opts, [
        ("config", str(cfg.path)), ("type", "sft"), ("backend", env.backend_url),
        ("model", f"{cfg.model}" + (" (from --model)" if opts.model else "")),
        ("dataset", f"{cfg.dataset_path}" + (" (from --dataset)" if opts.dataset else "")),
        ("examples", f"first {opts.examples}" if opts.examples else "all"),
        ("hyperparameters", _hyperparameters(cfg)),
        *_extra_settings(cfg, record),
        ("idempotency key", key or "(generated when sent)"),
    ], forget):
        record.status = "declined"
        return
    if opts.dry_run:
        record.requests = [_req("POST", env.backend_url, "files",
                                {"purpose": "fine-tune", "file": cfg.dataset_path.name if cfg.dataset_path else None})]
        if datasets.validation is not None:
            record.requests.append(_req("POST", env.backend_url, "files",
                                        {"purpose": "fine-tune", "file": datasets.validation.path.name}))
        record.requests += [_req("POST", env.backend_url, "learning/jobs", preview),
                            _req("POST", env.backend_url, "learning/jobs/{job_id}/start", {})]
        _show_requests(out, record.requests)
        record.status = "dry-run"
        return

    from ..clients import make_client
    from ..dataset import examples_or_all
    from ..upload import UPLOAD_CACHE_FILE, upload_dataset

    client = make_client(env)  # --allow-insecure-http travels with env
    cache_path = cache_dir(opts.environ) / UPLOAD_CACHE_FILE
    assert cfg.dataset_path is not None  # checked by _validate_datasets
    with examples_or_all(cfg.dataset_path, opts.examples) as train_path:
        report = datasets.training if opts.examples is None else None
        training = upload_dataset(client, train_path, out=out, force=opts.force_upload, report=report,
                                  cache_path=cache_path)
    out.info(f"training file: {training.file_id}" + (" (already uploaded)" if training.reused else ""))
    validation_id = None
    if datasets.validation is not None:
        validation = upload_dataset(client, datasets.validation.path, out=out, force=opts.force_upload,
                                    report=datasets.validation, cache_path=cache_path)
        validation_id = validation.file_id
        out.info(f"validation file: {validation_id}" + (" (already uploaded)" if validation.reused else ""))
    body, _ = build_sft_body(cfg, training_file_id=training.file_id, validation_file_id=validation_id,
                             model=opts.model)
    _named(body, record.name)
    assert key is not None  # only a dry run goes without one, and it returned above
    job_id = _create(out, opts, client.create_sft_job, body, key, fp, confirm=False)
    record.job_id = job_id
    client.start_sft_job(job_id)
    _pending(opts).confirm(fp)
    record.status = "started"


def _create(out: Output, opts: TrainOptions, create: Callable[..., Any], body: dict[str, Any], key: str, fp: str,
            *, confirm: bool = True) -> str:
    """POST the creation with its Idempotency-Key (printed before the request); the job id."""
    from ..api import job_id_of

    out.info(f"creating job (Idempotency-Key: {key})")
    try:
        answer = create(body, idempotency_key=key)
    except BackendError as exc:
        if exc.status is None or exc.status in (408, 429) or exc.status >= 500:  # the job may exist: say rerun is safe
            exc.hint = (f"{exc.hint}; " if exc.hint else "") + (
                f"running the same command again reuses Idempotency-Key {key}, so it cannot create a second job")
        raise
    job_id = job_id_of(answer)
    if not job_id:
        raise BackendError("the backend accepted the job but its answer has no `job_id` or `id`",
                           response_body=answer, hint="report this answer to the backend's operators")
    if confirm:
        _pending(opts).confirm(fp)
    if isinstance(answer, dict) and answer.get("idempotent_replayed"):
        from ..timefmt import utc_text

        out.result(f"job id: {job_id} (existing job returned for this key (created "
                   f"{utc_text(answer.get('created_at')) or 'earlier'}, status {answer.get('status') or 'unknown'}); "
                   "pass a new --idempotency key for a new job)")
    else:
        out.result(f"job id: {job_id}")
    return job_id


def _watch(out: Output, cfg: "LoadedConfig", opts: TrainOptions, env: "ResolvedEnv", record: RunRecord) -> None:
    assert record.job_id is not None
    if not opts.poll:
        record.status = "submitted"
        import shlex

        program, quoted = command_name(), shlex.quote(record.job_id)  # the id is the backend's: quoted
        out.info(f"not watching (--no-poll). Follow it with: {program} stream --job-id {quoted} "
                 f"--type {cfg.type}; cancel with: {program} cancel {quoted}")
        return
    from ..clients import make_client
    from ..render import make_renderer
    from ..stream import watch_job

    renderer = make_renderer(opts.stream_format, out, job_id=record.job_id, kind=cfg.type)
    result = watch_job(make_client(env), record.job_id, kind=cfg.type, renderer=renderer,
                       poll_timeout=opts.poll_timeout, poll_interval=opts.poll_interval,
                       cancel_on_interrupt=opts.cancel_on_interrupt)
    record.status = result.status
    record.duration = result.duration
    record.last_loss = result.last_loss
    record.last_reward = result.last_reward
    record.exit_code = result.exit_code
    record.model_id = result.model_id
    record.message = result.error  # why it did not succeed: in the table and the JSON summary too
    if result.model_id:
        from ..jobinfo import model_id_line

        out.result(model_id_line(result.model_id))


def _req(method: str, backend_url: str, path: str, body: Any) -> dict[str, Any]:
    return {"method": method, "path": f"/api/{path}", "url": f"{backend_url.rstrip('/')}/{path}", "body": body}


def _show_requests(out: Output, requests: list[dict[str, Any]]) -> None:
    """The requests a dry run would send (human form; JSON is in the train summary)."""
    import json

    out.info("dry run: nothing was sent. These requests would be:")
    for req in requests:
        out.info(f"  {req['method']} {req['url']}")
        if req.get("body") is not None:
            out.info("\n".join("    " + line for line in json.dumps(req["body"], indent=2).splitlines()))
