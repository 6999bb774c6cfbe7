"""Run every task's README example as `synthlaunch` in a folder with no tasks.py and count its lines.

Starts the embedded backend and the demo task app (free ports, throwaway keys), copies `configs/`
into a temporary folder and runs each example there with stdout not a terminal. Prints, per task,
the number of output lines (stdout + stderr), the lines that name `inv`, and with `--show` the text.

    python bench/readme_lines.py [--show]
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from _servers import free_port, local_servers, wait_port  # bench/ is the script's folder: on sys.path

ROOT = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent / "synthlaunch")
INV = re.compile(r"(^|[\s`'\"(])inv\b")


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([BIN, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)
    return done.stdout + done.stderr


def serve_briefly(args: list[str], port: int, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.Popen([BIN, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    wait_port(port)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


def main() -> None:
    show = "--show" in sys.argv
    work = Path(tempfile.mkdtemp(prefix="readme-lines-"))
    shutil.copytree(ROOT / "configs", work / "configs")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BACKEND_BASE_URL", "TASK_APP_URL")}
    env.update(SYNTH_API_KEY="sk_bench_" + "a1" * 16, ENVIRONMENT_API_KEY="sk_env_" + "b2" * 16,
               SYNTHLAUNCH_STATE_DIR=str(work / "state"), SYNTHLAUNCH_CACHE_DIR=str(work / "cache"),
               COLUMNS="100")
    results: list[tuple[str, str]] = []
    try:
        with local_servers(BIN, work, env, step_seconds=0.05) as (bport, tport):
            env["BACKEND_BASE_URL"] = f"http://127.0.0.1:{bport}"
            task = f"http://127.0.0.1:{tport}"
            text = run(["train", "--config", "configs/sft/demo.toml", "--no-poll"], work, env)
            results.append(("train --config configs/sft/demo.toml --no-poll", text))
            job = re.search(r"job id:\s*(\S+)", text) or re.search(r"started job (\S+)", text)
            job_id = job.group(1) if job else "job_123"
            examples = [
                ["train", "--config", "configs/rl/demo.toml", "--task-url", task],
                ["train", "--config", "configs/sft/demo.toml", "--examples", "20", "--stream-format", "chart"],
                ["preflight", "--task-url", task],
                ["validate", "--config", "configs/rl/demo.toml", "--json"],
                ["upload-dataset", "configs/datasets/demo.jsonl", "--examples", "10"],
                ["stream", "--job-id", job_id, "--stream-format", "chart"],
                ["jobs", "--status", "running", "--limit", "10"],
                ["cancel", job_id],
                ["demo"],
            ]
            for args in examples:
                results.append((" ".join(args), run(args, work, env)))
            port = free_port()
            results.append(("local.backend --port N", serve_briefly(
                ["local.backend", "--port", str(port), "--data-dir", str(work / "data2")], port, work, env)))
            port = free_port()
            results.append(("local.task-app --port N", serve_briefly(["local.task-app", "--port", str(port)],
                                                                       port, work, env)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = 0
    for name, text in results:
        lines = text.splitlines()
        naming_inv = [line for line in lines if INV.search(line)]
        total += len(lines)
        print(f"{len(lines):4d} lines  {len(naming_inv)} naming inv  synthlaunch {name}")
        if show:
            print("\n".join("      | " + line for line in lines))
    print(f"{total:4d} lines in all")


if __name__ == "__main__":
    main()
