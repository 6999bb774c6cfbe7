"""`inv demo`: the example SFT and RL configs, end to end, on the embedded backend and demo task app.

Both servers start on free loopback ports with throwaway keys and a throwaway data folder; the
user's own credentials, .env files and backend settings are never read or touched.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from .env import CREDENTIAL_AND_TARGET_KEYS
from .errors import UsageError
from .console import Output, is_interactive

DEMO_CONFIGS = ("sft/demo.toml", "rl/demo.toml")
DEFAULT_STEP_SECONDS = 0.15


def find_demo_configs(start: Path | None = None) -> list[Path]:
    """The example configs: `./configs` first, then the `configs/` folder of the source checkout."""
    candidates = [(start or Path.cwd()) / "configs", Path(__file__).resolve().parents[2] / "configs"]
    for folder in candidates:
        paths = [folder / name for name in DEMO_CONFIGS]
        if all(p.is_file() for p in paths):
            return paths
    raise UsageError("the demo configs (configs/sft/demo.toml, configs/rl/demo.toml) were not found",
                     hint="run `inv demo` from the synthlaunch repository")


def demo_environ() -> dict[str, str]:
    """The process environment without anything that carries credentials or backend choices
    (they would point the run elsewhere or carry the user's real keys: the demo never reads them)."""
    return {k: v for k, v in os.environ.items() if k not in CREDENTIAL_AND_TARGET_KEYS}


def run_demo(out: Output, *, stream_format: str | None = None, step_seconds: Any = None) -> int:
    """Start both servers, train the two example configs, print the summary, stop the servers."""
    from .flags import parse_float
    from .local.serve import BackendServer, TaskAppServer
    from .redact import register_secret
    from .train import run_train

    speed = DEFAULT_STEP_SECONDS if step_seconds is None else parse_float(step_seconds, "step-seconds",
                                                                          positive=True)
    configs = find_demo_configs()
    fmt = stream_format or ("chart" if is_interactive(out.human) else "cli")
    synth_key = f"sk_demo_{secrets.token_hex(16)}"
    env_key = f"sk_env_demo_{secrets.token_hex(16)}"
    register_secret(synth_key, env_key)
    with tempfile.TemporaryDirectory(prefix="synthlaunch-demo-") as tmp:
        env_file = Path(tmp) / "demo.env"
        env_file.write_text(f"SYNTH_API_KEY={synth_key}\nENVIRONMENT_API_KEY={env_key}\n", encoding="utf-8")
        os.chmod(env_file, 0o600)
        with BackendServer(data_dir=Path(tmp) / "backend", api_keys=[synth_key],
                           environment_api_keys=[env_key], step_seconds=speed) as backend, \
                TaskAppServer(environment_api_keys=[env_key]) as task_app:
            out.info(f"embedded backend: {backend.url}   demo task app: {task_app.url}   (emulated training)")
            environ = demo_environ()
            environ["SYNTHLAUNCH_STATE_DIR"] = str(Path(tmp) / "state")
            environ["SYNTHLAUNCH_CACHE_DIR"] = str(Path(tmp) / "cache")
            previous = {k: os.environ.get(k) for k in ("SYNTHLAUNCH_STATE_DIR", "SYNTHLAUNCH_CACHE_DIR")}
            os.environ.update({k: environ[k] for k in previous})
            try:
                return run_train(out, configs=[str(p) for p in configs], env_files=[str(env_file)],
                                 backend=backend.url, task_url=task_app.url, yes=True, keep_going=True,
                                 poll_interval=0.25, poll_timeout=300, stream_format=fmt, environ=environ)
            finally:
                for k, v in previous.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
