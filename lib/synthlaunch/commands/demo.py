"""The `demo` command: the example SFT and RL configs, end to end, on the embedded backend and demo
task app.

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


def run_demo(out: Output, *, stream_format: str | None = None, step_seconds: Any = None) -> int:
    """Start both servers, train the two example configs, print the summary, stop the servers."""
    from ..flags import parse_float
    from ..local.serve import BackendServer, TaskAppServer
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
        with BackendServer(data_dir=kept, api_keys=[synth_key],
                           environment_api_keys=[env_key], step_seconds=speed) as backend, \
                TaskAppServer(environment_api_keys=[env_key]) as task_app:
            out.info(f"embedded backend: {backend.url}   demo task app: {task_app.url}   (emulated training)")
            environ = demo_environ()
            environ[STATE_DIR_VARIABLE] = str(Path(tmp) / "state")
            environ[CACHE_DIR_VARIABLE] = str(Path(tmp) / "cache")
            code = run_train(out, configs=[str(p) for p in configs], env_files=[str(env_file)],
                             backend=backend.url, task_url=task_app.url, yes=True, keep_going=True,
                             poll_interval=0.25, poll_timeout=300, stream_format=fmt, environ=environ,
                             ledger_environ=os.environ)
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
