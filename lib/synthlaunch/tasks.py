"""The Invoke tasks. Thin: each task's body imports its command (`synthlaunch.commands.*`) and runs
it through `commands.runner.run_command`, which maps failures to exit codes (`errors.EXIT_CODES`;
each task's help says which codes it uses).

Nothing heavy is imported at module level: `inv --list` and `inv <task> --help` stay fast.
"""

from __future__ import annotations

from typing import Any

from invoke import Collection, Context
from invoke import task as _invoke_task
from invoke.exceptions import Exit

from .errors import (
    EXIT_BACKEND,
    EXIT_INVALID_INPUT,
    EXIT_JOB_FAILED,
    EXIT_OK,
    EXIT_POLL_TIMEOUT,
    EXIT_PREFLIGHT_FAILED,
    with_exit_codes,
)
from .settings import DEFAULTS
from .taskargs import SynthTask


def task(*args: Any, **kwargs: Any) -> Any:
    """Invoke's `@task`, making `SynthTask`s (value names in help, short flags; see `taskargs`)."""
    kwargs.setdefault("klass", SynthTask)
    return _invoke_task(*args, **kwargs)

# Help shared by several tasks (flags with the same name mean the same thing everywhere).
COMMON_HELP = {
    "backend": "backend base URL (default: BACKEND_BASE_URL, BACKEND_OVERRIDE, SYNTH_BACKEND_URL_OVERRIDE, "
               "then the hosted backend); '/api' is appended when missing",
    "env_file": ".env file to read (repeatable; later files override earlier ones; no picker then)",
    "json": "machine output: stdout holds only JSON (NDJSON for streams), human text goes to stderr",
    "no_input": "never prompt: anything missing is an error that says how to supply it (implied by CI or no TTY)",
    "yes": "answer yes to confirmations (settings summary, saving typed keys to the .env)",
    "debug": "show tracebacks (redacted) for failures",
    "quiet": "hide progress lines and the per-key source lines",
    "verbose": "show internal event types and details",
    "allow_insecure_http": "allow sending API keys over plain http:// to a non-loopback host",
    "config": "training config TOML (repeatable; processed in order). Omit to discover and pick",
    "type_": "job type: auto (infer from the config), rl or sft",
    "task_url": "RL task app URL (overrides TASK_APP_URL and [services].task_url)",
    "dataset": "SFT training dataset JSONL (overrides [job].data / data_path)",
    "model": "model id (overrides the config; RL may use a fine-tuned id like rl:Qwen/Qwen3-4B:job123)",
    "allow_experimental": "allow experimental models (also SDK_EXPERIMENTAL=1)",
    "no_allow_experimental": "forbid experimental models, even with SDK_EXPERIMENTAL=1",
    "idempotency": "Idempotency-Key for job creation (default: a generated key, printed before the request)",
    "poll": "wait for the job to finish, streaming its progress (default); --no-poll prints the id and exits 0",
    "poll_timeout": "seconds to stream before giving up with exit 5 (default 3600)",
    "poll_interval": "seconds between polls (default 5)",
    "stream_format": "cli (lines), chart (live loss chart on a terminal) or json (NDJSON)",
    "examples": "SFT only: train on the first N examples of the dataset (a temporary copy)",
    "dry_run": "do everything up to the network, print the requests that would be sent, exit 0",
    "keep_going": "with several configs, run the later ones even after a failure",
    "force_upload": "upload even when the same dataset was uploaded to this backend before",
    "cancel_on_interrupt": "on Ctrl-C cancel the job instead of leaving it running",
    "job_id": "the job id",
    "set_": "override a config key without editing the file: KEY.PATH=VALUE (repeatable), e.g. "
            "--set hyperparameters.learning_rate=2e-5; typed by the schema and validated like the file",
    "name": "a name for the run, sent in the job's metadata (overrides [job].name)",
    "strict": "unknown keys and sections in configs, and dubious dataset lines, are errors instead of warnings",
}


def _help(*names: str, **extra: str) -> dict[str, str]:
    found = {name: COMMON_HELP[name] for name in names}
    found.update(extra)
    return found


_WARNED: set[str] = set()


def _settings(c: Context) -> dict[str, Any]:
    """Settings from Invoke's configuration (invoke.yaml: `synthlaunch: {backend: …}`) over `DEFAULTS`.
    An unknown key (`backnd:`) is warned about, once, with the closest known one."""
    try:
        found = dict(c.config.get("synthlaunch", {}) or {})
    except AttributeError:  # a bare Context in tests
        found = {}
    for key in sorted(set(found) - set(DEFAULTS) - _WARNED):
        import difflib
        import sys

        _WARNED.add(key)
        close = difflib.get_close_matches(key, list(DEFAULTS), n=1)
        sys.stderr.write(f"warning: {_origin(c, key)}: unknown setting synthlaunch.{key} (ignored)"
                         + (f"; did you mean {close[0]}?" if close else
                            f"; known: {', '.join(sorted(DEFAULTS))}") + "\n")
    return {**DEFAULTS, **{k: v for k, v in found.items() if v is not None}}


def _origin(c: Context, key: str) -> str:
    """Where Invoke's configuration got `synthlaunch.<key>`: its environment variable or its file."""
    config = c.config
    env_layer = getattr(config, "_env", None) or {}
    if key in (env_layer.get("synthlaunch") or {}):
        return f"INVOKE_SYNTHLAUNCH_{key.upper()}"
    for layer in ("runtime", "project", "user", "system"):
        data = getattr(config, f"_{layer}", None) or {}
        if key in (data.get("synthlaunch") or {}):
            return str(getattr(config, f"_{layer}_path", None) or f"{layer} invoke.yaml")
    return "invoke configuration"


def _pick(value: Any, c: Context, key: str) -> Any:
    """The flag's value when given, else the invoke.yaml setting, else `settings.DEFAULTS`. A backend from
    the configuration carries its origin (`backend_url.Sourced`) for the source line."""
    if value is not None:
        return value
    found = _settings(c).get(key)
    if key == "backend" and isinstance(found, str) and found:
        from .backend_url import Sourced

        return Sourced(found, _origin(c, key))
    return found


def _positional(value: Any, task_name: str, what: str) -> Any:
    """Invoke hands the next token to a positional argument even when it is a flag: `inv cancel --help`
    would cancel a job named "--help". Show the task's help for -h/--help; refuse other flags."""
    from .console import command_name

    if isinstance(value, str) and value in ("--help", "-h"):
        from invoke import Program

        binary = command_name()
        Program(namespace=ns, binary=binary).run([binary, "--help", task_name], exit=False)
        raise Exit(code=0)
    if isinstance(value, str) and value.startswith("-"):
        import sys

        sys.stderr.write(f"error: `{value}` looks like a flag where the {what} was expected; give the {what} "
                         f"first, e.g. `{command_name()} {task_name} {what.upper().replace(' ', '_')} {value}`\n")
        raise Exit(code=2)
    return value


def _run(command: Any, **kwargs: Any) -> None:
    """Run a command through the runner (exit codes, failures shown once)."""
    from .commands.runner import run_command

    run_command(command, **kwargs)


TRAIN_HELP = _help("config", "type_", "env_file", "task_url", "dataset", "backend", "model",
                   "allow_experimental", "no_allow_experimental", "idempotency", "poll", "poll_timeout",
                   "poll_interval", "stream_format", "examples", "dry_run", "json", "no_input", "yes",
                   "keep_going", "debug", "quiet", "verbose", "allow_insecure_http", "force_upload",
                   "cancel_on_interrupt", "set_", "name", "strict",
                   save_metrics="at the end, write every metric series of each job to DIR (<job>.csv, <job>.json, "
                                "and the chart <job>.png)",
                   rerun="submit again exactly the config bytes and --set overrides that the run ledger kept for "
                         "this job id (see `runs`); the dataset must be unchanged")


@task(iterable=["config", "env_file", "set_"], help=TRAIN_HELP, auto_shortflags=False)
@with_exit_codes(EXIT_OK, EXIT_JOB_FAILED, EXIT_INVALID_INPUT, EXIT_PREFLIGHT_FAILED, EXIT_BACKEND, EXIT_POLL_TIMEOUT)
def train(c, config=None, type_="auto", env_file=None, task_url=None, dataset=None, backend=None,
          model=None, allow_experimental=False, no_allow_experimental=False, idempotency=None,
          poll=True, poll_timeout=None, poll_interval=None, stream_format=None, examples=None,
          dry_run=False, json=False, no_input=False, yes=False, keep_going=False, debug=False,
          quiet=False, verbose=False, allow_insecure_http=False, force_upload=False,
          cancel_on_interrupt=False, set_=None, name=None, save_metrics=None, rerun=None, strict=False):
    """Validate config(s), resolve credentials, preflight or upload, create the job and stream it."""
    from .commands.train import run_train

    _run(run_train, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug,
         configs=list(config or []), type_=type_, env_files=list(env_file or []), task_url=task_url,
         dataset=dataset, backend=_pick(backend, c, "backend"), model=model,
         allow_experimental=allow_experimental, no_allow_experimental=no_allow_experimental,
         idempotency=idempotency, poll=poll,
         poll_timeout=_pick(poll_timeout, c, "poll_timeout"),
         poll_interval=_pick(poll_interval, c, "poll_interval"),
         stream_format=_pick(stream_format, c, "stream_format"), examples=examples,
         dry_run=dry_run, yes=yes, keep_going=keep_going, allow_insecure_http=allow_insecure_http,
         force_upload=force_upload, cancel_on_interrupt=cancel_on_interrupt, set_=list(set_ or []), name=name,
         save_metrics=save_metrics, rerun=rerun, strict=strict)


@task(iterable=["config", "env_file"], auto_shortflags=False,
      help=_help("config", "task_url", "backend", "env_file", "json", "no_input", "debug", "quiet", "verbose",
                 "allow_insecure_http"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_PREFLIGHT_FAILED, EXIT_BACKEND)
def preflight(c, config=None, task_url=None, backend=None, env_file=None, json=False, no_input=False,
              debug=False, quiet=False, verbose=False, allow_insecure_http=False):
    """Check that the backend can reach the RL task app and that the task app accepts your key.

    Runs backend verify_task_app, task app /health and /task_info concurrently.
    """
    from .commands.preflight import run_preflight

    _run(run_preflight, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug,
         configs=list(config or []), task_url=task_url, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["config", "set_"], auto_shortflags=False,
      help=_help("config", "type_", "dataset", "model", "allow_experimental", "no_allow_experimental",
                 "json", "debug", "quiet", "examples", "no_input", "set_", "strict"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def validate(c, config=None, type_="auto", dataset=None, model=None, allow_experimental=False,
             no_allow_experimental=False, examples=None, json=False, debug=False, quiet=False, no_input=False,
             set_=None, strict=False):
    """Validate configs and the datasets they name, without any network.

    Without --config: discovered configs, picked by number on a terminal (an error listing them otherwise).
    """
    from .commands.validate import run_validate

    _run(run_validate, json=json, quiet=quiet, debug=debug, no_input=no_input,
         configs=list(config or []), type_=type_, dataset=dataset, model=model,
         allow_experimental=allow_experimental, no_allow_experimental=no_allow_experimental,
         examples=examples, set_=list(set_ or []), strict=strict)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("backend", "env_file", "json", "force_upload", "no_input", "debug", "quiet", "verbose",
                 "allow_insecure_http", path="the JSONL dataset to validate and upload",
                 examples="upload only the first N examples (a temporary copy named <stem>.head<N>.jsonl)",
                 idempotency="Idempotency-Key for the upload (default: derived from the file's sha256, size "
                             "and name, so a retried or repeated upload makes one file)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def upload_dataset(c, path, examples=None, backend=None, env_file=None, json=False, force_upload=False,
                   idempotency=None, no_input=False, debug=False, quiet=False, verbose=False,
                   allow_insecure_http=False):
    """Validate a chat JSONL dataset and upload it (deduplicated); prints file id, sha256, examples, bytes."""
    from .commands.upload import run_upload_dataset

    _run(run_upload_dataset, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug,
         path=_positional(path, "upload-dataset", "path"), examples=examples, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []),
         force_upload=force_upload, idempotency=idempotency, allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("job_id", "backend", "env_file", "poll_timeout", "poll_interval", "stream_format", "json",
                 "verbose", "cancel_on_interrupt", "no_input", "debug", "quiet", "allow_insecure_http",
                 type_="rl or sft (discovered when omitted)"))
@with_exit_codes(EXIT_OK, EXIT_JOB_FAILED, EXIT_INVALID_INPUT, EXIT_BACKEND, EXIT_POLL_TIMEOUT)
def stream(c, job_id, type_=None, backend=None, env_file=None, poll_timeout=None, poll_interval=None,
           stream_format=None, json=False, verbose=False, cancel_on_interrupt=False, no_input=False,
           debug=False, quiet=False, allow_insecure_http=False):
    """Reattach to a job and stream its status, events and metrics until it ends."""
    from .commands.jobs import run_stream

    _run(run_stream, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug,
         job_id=_positional(job_id, "stream", "job id"), type_=type_, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), poll_timeout=_pick(poll_timeout, c, "poll_timeout"),
         poll_interval=_pick(poll_interval, c, "poll_interval"),
         stream_format=_pick(stream_format, c, "stream_format"),
         cancel_on_interrupt=cancel_on_interrupt, allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("backend", "env_file", "json", "no_input", "debug", "quiet", "verbose", "allow_insecure_http",
                 status="only jobs with this status", type_="only rl or sft jobs",
                 limit="at most this many jobs (default 20)",
                 created_after="only jobs created after this ISO time"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def jobs(c, status=None, type_=None, limit=None, created_after=None, backend=None, env_file=None,
         json=False, no_input=False, debug=False, quiet=False, verbose=False, allow_insecure_http=False):
    """List jobs on the backend as a table."""
    from .commands.jobs import run_jobs

    # numeric flags default to None so that Invoke hands over the text and `flags` parses it with a
    # usage error (exit 2); an int default makes Invoke cast it, and `--limit abc` a traceback (exit 1)
    _run(run_jobs, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug, status=status, type_=type_,
         limit=20 if limit is None else limit, created_after=created_after, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("job_id", "backend", "env_file", "json", "no_input", "debug", "quiet", "verbose",
                 "allow_insecure_http", type_="rl or sft (discovered when omitted)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def cancel(c, job_id, type_=None, backend=None, env_file=None, json=False, no_input=False, debug=False,
           quiet=False, verbose=False, allow_insecure_http=False):
    """Cancel a running job."""
    from .commands.jobs import run_cancel

    _run(run_cancel, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug,
         job_id=_positional(job_id, "cancel", "job id"), type_=type_,
         backend=_pick(backend, c, "backend"), env_files=list(env_file or []),
         allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("job_id", "backend", "env_file", "json", "no_input", "debug", "quiet", "verbose",
                 "allow_insecure_http",
                 to="the folder to write the model into (new or empty; written whole or not at all)",
                 adapter_only="a LoRA job: only the adapter (default: the adapter merged into the base model)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def download(c, job_id, to=None, adapter_only=False, backend=None, env_file=None, json=False, no_input=False,
             debug=False, quiet=False, verbose=False, allow_insecure_http=False):
    """Download the model a succeeded job trained, as a Hugging Face folder (from_pretrained loads it)."""
    from .commands.download import run_download

    _run(run_download, json=json, quiet=quiet, verbose=verbose, no_input=no_input, debug=debug,
         job_id=_positional(job_id, "download", "job id"), to=to, adapter_only=adapter_only,
         backend=_pick(backend, c, "backend"), env_files=list(env_file or []),
         allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("job_id", "backend", "env_file", "json", "no_input", "debug", "quiet", "allow_insecure_http",
                 type_="rl or sft (discovered when omitted)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def job_show(c, job_id, type_=None, backend=None, env_file=None, json=False, no_input=False, debug=False,
             quiet=False, allow_insecure_http=False):
    """Show one job: status, type, model, name, hyperparameters, times, final metrics, resulting model id."""
    from .commands.job import run_job_show

    _run(run_job_show, json=json, quiet=quiet, no_input=no_input, debug=debug,
         job_id=_positional(job_id, "job.show", "job id"), type_=type_, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("backend", "env_file", "json", "no_input", "debug", "quiet", "allow_insecure_http",
                 purpose="only files with this purpose (e.g. fine-tune)",
                 limit="at most this many files (default 100)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def files_list(c, purpose=None, limit=None, backend=None, env_file=None, json=False, no_input=False,
               debug=False, quiet=False, allow_insecure_http=False):
    """List uploaded files: id, purpose, size, sha256, created, status, filename."""
    from .commands.files import run_files

    _run(run_files, json=json, quiet=quiet, no_input=no_input, debug=debug, purpose=purpose,
         limit=100 if limit is None else limit, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("backend", "env_file", "json", "no_input", "debug", "quiet", "allow_insecure_http",
                 file_id="the file id (see `files`)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def files_delete(c, file_id, backend=None, env_file=None, json=False, no_input=False, debug=False, quiet=False,
                 allow_insecure_http=False):
    """Delete an uploaded file (refused while a job that has not ended uses it)."""
    from .commands.files import run_files_delete

    _run(run_files_delete, json=json, quiet=quiet, no_input=no_input, debug=debug,
         file_id=_positional(file_id, "files.delete", "file id"), backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("job_id", "backend", "env_file", "json", "no_input", "debug", "quiet", "allow_insecure_http",
                 type_="rl or sft (discovered when omitted)",
                 format_="table (default), csv or json: every metric point of the job on stdout",
                 plot="draw every metric series into FILE.png or FILE.svg (one chart per metric)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def metrics(c, job_id, type_=None, format_=None, plot=None, backend=None, env_file=None, json=False,
            no_input=False, debug=False, quiet=False, allow_insecure_http=False):
    """Export a job's metrics (table, CSV or JSON) and draw them (--plot m.png)."""
    from .commands.metrics import run_metrics

    _run(run_metrics, json=json, quiet=quiet, no_input=no_input, debug=debug,
         job_id=_positional(job_id, "metrics", "job id"), type_=type_, format_=format_, plot=plot,
         backend=_pick(backend, c, "backend"), env_files=list(env_file or []),
         allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("backend", "env_file", "json", "no_input", "debug", "quiet", "allow_insecure_http",
                 type_="only models that train rl or sft",
                 remote="also ask the backend what it trains (GET /api/models; needs SYNTH_API_KEY; implied by "
                        "--backend)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def models(c, type_=None, remote=False, backend=None, env_file=None, json=False, no_input=False, debug=False,
           quiet=False, allow_insecure_http=False):
    """List the models: the catalogue (id, family, SFT/RL, experimental), and the backend's with --remote."""
    from .commands.models import run_models

    _run(run_models, json=json, quiet=quiet, no_input=no_input, debug=debug, type_=type_,
         remote=remote or backend is not None, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(auto_shortflags=False, help=_help("json", "debug", "quiet", kind="rl or sft",
                                        path="the config to write (default <kind>.toml; SFT also writes "
                                             "<stem>-data.jsonl next to it)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def init(c, kind, path=None, json=False, debug=False, quiet=False):
    """Write a commented starter config (and a 3-line example dataset for SFT); never overwrites."""
    from .commands.init import run_init

    _run(run_init, json=json, quiet=quiet, debug=debug, kind=_positional(kind, "init", "kind"), path=path)


@task(auto_shortflags=False, help=_help("json", "debug", "quiet", limit="at most this many runs (newest first)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def runs_list(c, limit=None, json=False, debug=False, quiet=False):
    """List the runs `train` recorded on this machine: job, name, config and its sha256, status, metrics."""
    from .commands.runs import run_runs

    _run(run_runs, json=json, quiet=quiet, debug=debug, limit=limit)


@task(auto_shortflags=False, help=_help("job_id", "json", "debug", "quiet"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def runs_show(c, job_id, json=False, debug=False, quiet=False):
    """Which config (path, sha256, kept bytes, git commit), overrides and dataset produced a job, and its result."""
    from .commands.runs import run_runs_show

    _run(run_runs_show, json=json, quiet=quiet, debug=debug, job_id=_positional(job_id, "runs.show", "job id"))


@task(auto_shortflags=False,
      help=_help("stream_format", "json", "debug", "verbose",
                 step_seconds="emulated training speed of the embedded backend (seconds per step)",
                 trainer="torch (real SFT, then RL from its result; the default when the training packages "
                         "are installed) or emulate"))
@with_exit_codes(EXIT_OK, EXIT_JOB_FAILED, EXIT_INVALID_INPUT, EXIT_BACKEND)
def demo(c, stream_format=None, json=False, debug=False, verbose=False, step_seconds=None, trainer=None):
    """Run the example SFT and RL configs end to end on the embedded backend and demo task app.

    Starts both servers on free ports with throwaway keys, trains, prints a summary, stops them.
    """
    from .commands.demo import run_demo

    _run(run_demo, json=json, verbose=verbose, debug=debug, no_input=True,
         stream_format=stream_format, step_seconds=step_seconds, trainer=trainer)


@task(iterable=["api_key", "environment_api_key", "api_key_file", "environment_api_key_file", "model_alias"],
      auto_shortflags=False, help={
    "host": "interface to bind (default 127.0.0.1)",
    "port": "port (default 8000; 0 picks a free one)",
    "data_dir": "folder for the SQLite state and uploaded files (default: the user cache dir)",
    "api_key_file": "file of accepted bearer keys, one per line, not readable by other users (repeatable; "
                    "default SYNTH_API_KEY, else one is generated and printed)",
    "environment_api_key_file": "file of keys tried against task apps by verify_task_app, one per line "
                                "(repeatable; default ENVIRONMENT_API_KEY)",
    "api_key": "accepted bearer key on the command line: every user of this machine sees it in `ps`; "
               "prefer SYNTH_API_KEY or --api-key-file (repeatable)",
    "environment_api_key": "a verify_task_app key on the command line: visible in `ps`; prefer "
                           "ENVIRONMENT_API_KEY or --environment-api-key-file (repeatable)",
    "faults": "fault injection spec, e.g. 'rate=0.3,kinds=429+503+drop,seed=7,path=/api/*' (see README)",
    "step_seconds": "emulated training speed: seconds per training step (default 0.2)",
    "max_body_bytes": "largest JSON request body accepted, e.g. a job body (default 1048576; 413 above)",
    "max_upload_bytes": "largest uploaded file accepted by POST /api/files (default 1073741824; 413 above)",
    "log_requests": "print one line per request: method, path, status, latency (never a header value)",
    "event_stream": "serve the job event stream, GET …/jobs/ID/events/stream (default on; --no-event-stream "
                    "answers 404 there, like a backend older than the stream)",
    "trainer": "torch (SFT jobs train for real, one process each; the default when the training packages "
               "are installed) or emulate (synthetic metrics, for fast tests and fault drills)",
    "max_jobs": "torch trainer: how many jobs train at once (default 1; the others wait queued)",
    "model_alias": "ID=STAND_IN: train STAND_IN when a job asks for ID, e.g. "
                   "Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3 on a machine without those weights (repeatable)",
})
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def local_backend(c, host="127.0.0.1", port=None, data_dir=None, api_key=None, environment_api_key=None,
                  faults=None, step_seconds=None, max_body_bytes=None, max_upload_bytes=None, api_key_file=None,
                  environment_api_key_file=None, log_requests=False, event_stream=True, trainer=None,
                  max_jobs=None, model_alias=None):
    """Run the embedded Synth-compatible backend (SQLite state; real or emulated training). Ctrl-C stops it."""
    from .commands.local import serve_backend

    _run(serve_backend, host=host, port=8000 if port is None else port, data_dir=data_dir,
         api_keys=list(api_key or []), environment_api_keys=list(environment_api_key or []),
         faults=faults, step_seconds=step_seconds, max_body_bytes=max_body_bytes,
         max_upload_bytes=max_upload_bytes, api_key_files=list(api_key_file or []),
         environment_api_key_files=list(environment_api_key_file or []), log_requests=log_requests,
         event_stream=event_stream, trainer=trainer, max_jobs=max_jobs, model_aliases=list(model_alias or []))


@task(iterable=["environment_api_key", "environment_api_key_file"], auto_shortflags=False, help={
    "host": "interface to bind (default 127.0.0.1)",
    "port": "port (default 8001; 0 picks a free one)",
    "environment_api_key_file": "file of accepted keys, one per line, not readable by other users (repeatable; "
                                "default ENVIRONMENT_API_KEY, else generated and printed)",
    "environment_api_key": "accepted key on the command line: visible in `ps`; prefer ENVIRONMENT_API_KEY or "
                           "--environment-api-key-file (repeatable)",
})
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def local_task_app(c, host="127.0.0.1", port=None, environment_api_key=None, environment_api_key_file=None):
    """Run the demo RL task app (/health, /task_info, /rollout guarded by X-API-Key). Ctrl-C stops it."""
    from .commands.local import serve_task_app

    _run(serve_task_app, host=host, port=8001 if port is None else port,
         environment_api_keys=list(environment_api_key or []),
         environment_api_key_files=list(environment_api_key_file or []))


local = Collection("local")
local.add_task(local_backend, name="backend")
local.add_task(local_task_app, name="task-app")

# Subcommands are Invoke collections, named with a dot: `synthlaunch job.show ID`, `synthlaunch files`
# (its default task lists), `synthlaunch files.delete ID`.
job = Collection("job")
job.add_task(job_show, name="show")
files = Collection("files")
files.add_task(files_list, name="list", default=True)
files.add_task(files_delete, name="delete")
runs = Collection("runs")
runs.add_task(runs_list, name="list", default=True)
runs.add_task(runs_show, name="show")

ns = Collection(train, preflight, validate, upload_dataset, stream, jobs, cancel, download, demo, local, job, files,
                metrics, runs, init, models)
ns.configure({"synthlaunch": dict(DEFAULTS)})
