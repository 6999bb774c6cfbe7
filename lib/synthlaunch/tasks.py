"""The Invoke tasks. Thin: each task's body imports its command (`synthlaunch.commands.*`) and runs
it through `commands.runner.run_command`, which maps failures to exit codes (`errors.EXIT_CODES`;
each task's help says which codes it uses).

Nothing heavy is imported at module level: `inv --list` and `inv <task> --help` stay fast.
"""

from __future__ import annotations

from typing import Any

from invoke import Collection, Context, task
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
}


def _help(*names: str, **extra: str) -> dict[str, str]:
    found = {name: COMMON_HELP[name] for name in names}
    found.update(extra)
    return found


def _settings(c: Context) -> dict[str, Any]:
    """Settings from Invoke's configuration (invoke.yaml: `synthlaunch: {backend: …}`) over `DEFAULTS`."""
    try:
        found = dict(c.config.get("synthlaunch", {}) or {})
    except AttributeError:  # a bare Context in tests
        found = {}
    return {**DEFAULTS, **{k: v for k, v in found.items() if v is not None}}


def _pick(value: Any, c: Context, key: str) -> Any:
    """The flag's value when given, else the invoke.yaml setting, else `settings.DEFAULTS`."""
    if value is not None:
        return value
    return _settings(c).get(key)


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
                   "cancel_on_interrupt")


@task(iterable=["config", "env_file"], help=TRAIN_HELP, auto_shortflags=False)
@with_exit_codes(EXIT_OK, EXIT_JOB_FAILED, EXIT_INVALID_INPUT, EXIT_PREFLIGHT_FAILED, EXIT_BACKEND, EXIT_POLL_TIMEOUT)
def train(c, config=None, type_="auto", env_file=None, task_url=None, dataset=None, backend=None,
          model=None, allow_experimental=False, no_allow_experimental=False, idempotency=None,
          poll=True, poll_timeout=None, poll_interval=None, stream_format=None, examples=None,
          dry_run=False, json=False, no_input=False, yes=False, keep_going=False, debug=False,
          quiet=False, verbose=False, allow_insecure_http=False, force_upload=False,
          cancel_on_interrupt=False):
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
         force_upload=force_upload, cancel_on_interrupt=cancel_on_interrupt)


@task(iterable=["config", "env_file"], auto_shortflags=False,
      help=_help("config", "task_url", "backend", "env_file", "json", "no_input", "debug", "quiet",
                 "allow_insecure_http"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_PREFLIGHT_FAILED, EXIT_BACKEND)
def preflight(c, config=None, task_url=None, backend=None, env_file=None, json=False, no_input=False,
              debug=False, quiet=False, allow_insecure_http=False):
    """Check that the backend can reach the RL task app and that the task app accepts your key.

    Runs backend verify_task_app, task app /health and /task_info concurrently.
    """
    from .commands.preflight import run_preflight

    _run(run_preflight, json=json, quiet=quiet, no_input=no_input, debug=debug,
         configs=list(config or []), task_url=task_url, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["config"], auto_shortflags=False,
      help=_help("config", "type_", "dataset", "model", "allow_experimental", "no_allow_experimental",
                 "json", "debug", "quiet", "examples", "no_input"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def validate(c, config=None, type_="auto", dataset=None, model=None, allow_experimental=False,
             no_allow_experimental=False, examples=None, json=False, debug=False, quiet=False, no_input=False):
    """Validate configs and the datasets they name, without any network.

    Without --config: discovered configs, picked by number on a terminal (an error listing them otherwise).
    """
    from .commands.validate import run_validate

    _run(run_validate, json=json, quiet=quiet, debug=debug, no_input=no_input,
         configs=list(config or []), type_=type_, dataset=dataset, model=model,
         allow_experimental=allow_experimental, no_allow_experimental=no_allow_experimental,
         examples=examples)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("backend", "env_file", "json", "force_upload", "no_input", "debug", "quiet",
                 "allow_insecure_http", path="the JSONL dataset to validate and upload",
                 examples="upload only the first N examples (a temporary copy named <stem>.head<N>.jsonl)",
                 idempotency="Idempotency-Key for the upload (default: derived from the file's sha256, size "
                             "and name, so a retried or repeated upload makes one file)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def upload_dataset(c, path, examples=None, backend=None, env_file=None, json=False, force_upload=False,
                   idempotency=None, no_input=False, debug=False, quiet=False, allow_insecure_http=False):
    """Validate a chat JSONL dataset and upload it (deduplicated); prints file id, sha256, examples, bytes."""
    from .commands.upload import run_upload_dataset

    _run(run_upload_dataset, json=json, quiet=quiet, no_input=no_input, debug=debug,
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
      help=_help("backend", "env_file", "json", "no_input", "debug", "allow_insecure_http",
                 status="only jobs with this status", type_="only rl or sft jobs",
                 limit="at most this many jobs (default 20)",
                 created_after="only jobs created after this ISO time"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def jobs(c, status=None, type_=None, limit=None, created_after=None, backend=None, env_file=None,
         json=False, no_input=False, debug=False, allow_insecure_http=False):
    """List jobs on the backend as a table."""
    from .commands.jobs import run_jobs

    # numeric flags default to None so that Invoke hands over the text and `flags` parses it with a
    # usage error (exit 2); an int default makes Invoke cast it, and `--limit abc` a traceback (exit 1)
    _run(run_jobs, json=json, no_input=no_input, debug=debug, status=status, type_=type_,
         limit=20 if limit is None else limit, created_after=created_after, backend=_pick(backend, c, "backend"),
         env_files=list(env_file or []), allow_insecure_http=allow_insecure_http)


@task(iterable=["env_file"], auto_shortflags=False,
      help=_help("job_id", "backend", "env_file", "json", "no_input", "debug", "allow_insecure_http",
                 type_="rl or sft (discovered when omitted)"))
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT, EXIT_BACKEND)
def cancel(c, job_id, type_=None, backend=None, env_file=None, json=False, no_input=False, debug=False,
           allow_insecure_http=False):
    """Cancel a running job."""
    from .commands.jobs import run_cancel

    _run(run_cancel, json=json, no_input=no_input, debug=debug,
         job_id=_positional(job_id, "cancel", "job id"), type_=type_,
         backend=_pick(backend, c, "backend"), env_files=list(env_file or []),
         allow_insecure_http=allow_insecure_http)


@task(auto_shortflags=False,
      help=_help("stream_format", "json", "debug", "verbose",
                 step_seconds="emulated training speed of the embedded backend (seconds per step)"))
@with_exit_codes(EXIT_OK, EXIT_JOB_FAILED, EXIT_INVALID_INPUT, EXIT_BACKEND)
def demo(c, stream_format=None, json=False, debug=False, verbose=False, step_seconds=None):
    """Run the example SFT and RL configs end to end on the embedded backend and demo task app.

    Starts both servers on free ports with throwaway keys, trains, prints a summary, stops them.
    """
    from .commands.demo import run_demo

    _run(run_demo, json=json, verbose=verbose, debug=debug, no_input=True,
         stream_format=stream_format, step_seconds=step_seconds)


@task(iterable=["api_key", "environment_api_key"], auto_shortflags=False, help={
    "host": "interface to bind (default 127.0.0.1)",
    "port": "port (default 8000; 0 picks a free one)",
    "data_dir": "folder for the SQLite state and uploaded files (default: the user cache dir)",
    "api_key": "accepted bearer key (repeatable; default SYNTH_API_KEY, else one is generated and printed)",
    "environment_api_key": "keys tried against task apps by verify_task_app (repeatable; default ENVIRONMENT_API_KEY)",
    "faults": "fault injection spec, e.g. 'rate=0.3,kinds=429+503+drop,seed=7,path=/api/*' (see README)",
    "step_seconds": "emulated training speed: seconds per training step (default 0.2)",
})
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def local_backend(c, host="127.0.0.1", port=None, data_dir=None, api_key=None, environment_api_key=None,
                  faults=None, step_seconds=None):
    """Run the embedded Synth-compatible backend (SQLite state, emulated training). Ctrl-C stops it."""
    from .commands.local import serve_backend

    _run(serve_backend, host=host, port=8000 if port is None else port, data_dir=data_dir,
         api_keys=list(api_key or []), environment_api_keys=list(environment_api_key or []),
         faults=faults, step_seconds=step_seconds)


@task(iterable=["environment_api_key"], auto_shortflags=False, help={
    "host": "interface to bind (default 127.0.0.1)",
    "port": "port (default 8001; 0 picks a free one)",
    "environment_api_key": "accepted key (repeatable; default ENVIRONMENT_API_KEY, else generated and printed)",
})
@with_exit_codes(EXIT_OK, EXIT_INVALID_INPUT)
def local_task_app(c, host="127.0.0.1", port=None, environment_api_key=None):
    """Run the demo RL task app (/health, /task_info, /rollout guarded by X-API-Key). Ctrl-C stops it."""
    from .commands.local import serve_task_app

    _run(serve_task_app, host=host, port=8001 if port is None else port,
         environment_api_keys=list(environment_api_key or []))


local = Collection("local")
local.add_task(local_backend, name="backend")
local.add_task(local_task_app, name="task-app")

ns = Collection(train, preflight, validate, upload_dataset, stream, jobs, cancel, demo, local)
ns.configure({"synthlaunch": dict(DEFAULTS)})
