"""The `demo` command: the example SFT and RL configs, end to end, on the embedded backend and demo
task app.

With the training extra installed the backend trains for real (torch trainer, the built-in tiny
model standing in for the configs' Qwen id): SFT on the demo set, then RL against the demo task
app starting from the SFT result (`--model ft:<base>:<sft_job>` for the RL config), and the mean
train.reward of the first and last iterations is printed. Without it (or with `--trainer emulate`),
both run emulated.

Both servers start on free loopback ports with throwaway keys; the user's own credentials, .env
files, backend settings, pending submissions and upload cache are never read or touched (the run
gets its own environment mapping; the process environment is left as it is). Two things stay
afterwards, so that the demo's jobs can be looked at again: the runs are recorded in the user's run
ledger (`runs`, `runs.show`), and the embedded backend's data is kept in `<cache dir>/demo-backend`
(replaced by the next demo), which `local.backend --data-dir` serves again for `job.show` and `metrics`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..console import Output, command_name, is_interactive
from ..env import CREDENTIAL_AND_TARGET_KEYS
from ..errors import UsageError
from ..paths import CACHE_DIR_VARIABLE, STATE_DIR_VARIABLE

DEMO_CONFIGS = ("sft/demo.toml", "rl/demo.toml")
DEFAULT_STEP_SECONDS = 0.15
DEMO_ALIAS = "Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3"
REWARD_WINDOW = 3  # iterations averaged at each end for the "reward rose" line


def find_demo_configs(start: Path | None = None) -> list[Path]:
    """The example configs: `./configs` first, then the `configs/` folder of the source checkout."""
    candidates = [(start or Path.cwd()) / "configs", Path(__file__).resolve().parents[3] / "configs"]
    for folder in candidates:
        paths = [folder / name for name in DEMO_CONFIGS]
        if all(p.is_file() for p in paths):
            return paths
    raise UsageError("the demo configs (configs/sft/demo.toml, configs/rl/demo.toml) were not found",
                     hint=f"run `{command_name()} demo` from the synthlaunch repository")


def demo_environ() -> dict[str, str]:
    """The process environment without anything that carries credentials, backend choices or the
    tool's folders (they would point the run elsewhere or carry the user's real keys)."""
    skip = {*CREDENTIAL_AND_TARGET_KEYS, STATE_DIR_VARIABLE, CACHE_DIR_VARIABLE}
    return {k: v for k, v in os.environ.items() if k not in skip}


def reward_summary(store: Any) -> str | None:
    """"train.reward: first N iterations x -> last N y" of the latest RL job, from the backend's store."""
    jobs = store.list_jobs(kind="rl", limit=1)
    if not jobs:
        return None
    points = [p["value"] for p in store.metrics(jobs[0]["id"], limit=1000) if p["name"] == "train.reward"]
    if len(points) < 2 * REWARD_WINDOW:
        return None
    first = sum(points[:REWARD_WINDOW]) / REWARD_WINDOW
    last = sum(points[-REWARD_WINDOW:]) / REWARD_WINDOW
    verdict = "rose" if last > first else "did not rise"
    return (f"RL {jobs[0]['id']}: mean train.reward over the first {REWARD_WINDOW} iterations {first:.3f}, "
            f"over the last {REWARD_WINDOW} {last:.3f} ({verdict}; a tiny CPU model: see README)")


def run_demo(out: Output, *, stream_format: str | None = None, step_seconds: Any = None,
             trainer: str | None = None) -> int:
    """Start both servers, train the two example configs, print the summary, stop the servers."""
    from ..flags import parse_float
    from ..local.serve import TRAINERS, BackendServer, TaskAppServer, default_trainer
    from ..redact import register_secret
    from .train import run_train

    speed = DEFAULT_STEP_SECONDS if step_seconds is None else parse_float(step_seconds, "step-seconds",
                                                                          positive=True)
    configs = find_demo_configs()
    fmt = stream_format or ("chart" if is_interactive(out.human) else "cli")
    synth_key = f"sk_demo_{secrets.token_hex(16)}"
    env_key = f"sk_env_demo_{secrets.token_hex(16)}"
    register_secret(synth_key, env_key)
    kept = demo_backend_dir()
    shutil.rmtree(kept, ignore_errors=True)  # only the last demo's jobs are kept
    with tempfile.TemporaryDirectory(prefix="synthlaunch-demo-") as tmp:
        env_file = Path(tmp) / "demo.env"
        env_file.write_text(f"SYNTH_API_KEY={synth_key}\nENVIRONMENT_API_KEY={env_key}\n", encoding="utf-8")
        os.chmod(env_file, 0o600)
        trainer = trainer or default_trainer()
        if trainer not in TRAINERS:
            raise UsageError(f"--trainer must be one of {', '.join(TRAINERS)}, got {trainer!r}")
        real = trainer == "torch"
        with BackendServer(data_dir=kept, api_keys=[synth_key],
                           environment_api_keys=[env_key], step_seconds=speed, trainer=trainer,
                           model_aliases=[DEMO_ALIAS] if real else None) as backend, \
                TaskAppServer(environment_api_keys=[env_key]) as task_app:
            how = f"real training of the built-in tiny model ({DEMO_ALIAS})" if real else "emulated training"
            out.info(f"embedded backend: {backend.url}   demo task app: {task_app.url}   ({how})")
            environ = demo_environ()
            environ[STATE_DIR_VARIABLE] = str(Path(tmp) / "state")
            environ[CACHE_DIR_VARIABLE] = str(Path(tmp) / "cache")

            def train(paths: list[Path], task_url: str | None = task_app.url, model: str | None = None) -> int:
                return run_train(out, configs=[str(p) for p in paths], env_files=[str(env_file)],
                                 backend=backend.url, task_url=task_url, yes=True, keep_going=True,
                                 poll_interval=0.25, poll_timeout=1800, stream_format=fmt, environ=environ,
                                 ledger_environ=os.environ, model=model)

            if not real:
                code = train(configs)
            else:
                code = train(configs[:1], None)
                store: Any = backend.store  # type: ignore[attr-defined]  # a BackendServer (typed by __enter__)
                sft = store.list_jobs(kind="sft", status="succeeded", limit=1)
                if code == 0 and sft and sft[0].get("fine_tuned_model"):
                    code = train(configs[1:], model=sft[0]["fine_tuned_model"])  # RL from the SFT result
                    summary = reward_summary(store)
                    if summary:
                        out.info(summary)
                else:
                    code = code or 1
    if not out.json_mode:
        program = command_name()
        out.info(f"the runs are in `{program} runs`; the jobs are kept in {kept}: to look at them again, serve "
                 f"it with `{program} local.backend --data-dir {kept} --port 8000`, then "
                 f"`{program} job.show JOB_ID --backend http://127.0.0.1:8000` (the same SYNTH_API_KEY in both)")
    return code


def demo_backend_dir() -> Path:
    """Where `inv demo` keeps its embedded backend's data (jobs, metrics) after it ends."""
    from ..paths import cache_dir

    return cache_dir() / "demo-backend"
