"""Run the published synth-ai `train` clients, unmodified, against `synthlaunch local.backend` +
`synthlaunch local.task-app`: 0.2.23 (`train --config CFG`) and 0.5.0 (`train CFG_PATH`, which reads
events over `GET /api/{learning|rl}/jobs/{id}/events/stream`), each with the example SFT and RL
configs. Every run must end with the job `succeeded` (the client's exit code 0, its "Final status:
succeeded" line, and the job's status read back from the backend). 0.2.17 (`train --config`, the
release the wire contract was observed from) runs with `--versions 0.2.17`.

    .venv/bin/python bench/run_reference_clients.py                 # 0.2.23 and 0.5.0, SFT and RL
    .venv/bin/python bench/run_reference_clients.py --versions 0.5.0 --kinds rl --keep-logs
    .venv/bin/python bench/run_reference_clients.py --versions 0.2.17 --kinds sft --trainer torch

`--trainer torch` starts the backend with `--trainer torch --model-alias
Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3`: the SFT job (demo config, 40 examples) trains the built-in
tiny model for real, and a run is ok only when the job also records `trainer` torch and a
`fine_tuned_model`. The default, `--trainer emulate`, gives synthetic metrics (seconds per run).

Setup (once, cached in `--ref-dir`, default `.ref/` in the repository, git-ignored): for each
version a throwaway virtualenv `venv-<version>` gets the wheel with `--no-deps` (the clients pull in
modal, celery, several LLM SDKs … none of which `train` needs) plus only the imports their `train`
path needs (`TRAIN_IMPORTS`). `--offline` installs with `--no-index` from the cached wheels only
(exit 3 when that is not possible, so a test can skip).

The servers are real subprocesses (`synthlaunch local.backend --log-requests`, `local.task-app`)
on free ports with keys generated for this run; the clients get them through an `.env` file
(mode 0600) and run with stdin closed, HOME set to a temporary folder and no SYNTH_* variable of
the caller. Exit 0 when every run succeeded, 1 otherwise, 3 when the clients cannot be installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERSIONS = ("0.2.23", "0.5.0")
#: also runnable with --versions (0.2.17 is the release the wire contract was observed from)
KNOWN_VERSIONS = ("0.2.17", *VERSIONS)
KINDS = ("sft", "rl")
#: what `synth-ai train` imports on its way to a job, per version (found by running it; the wheel's
#: own dependency list is far larger). click < 8.2 for 0.2.23, as its metadata asks.
TRAIN_IMPORTS = {
    "0.2.17": ["click>=8.1.7,<8.2", "requests", "python-dotenv", "rich", "pydantic>=2", "tomli_w", "httpx",
               "aiohttp", "uvicorn", "fastapi", "pynacl"],
    "0.2.23": ["click>=8.1.7,<8.2", "requests", "python-dotenv", "rich", "pydantic>=2", "tomli_w", "httpx",
               "aiohttp", "uvicorn", "fastapi", "pynacl", "modal<2", "libsql", "sqlalchemy>=2"],
    "0.5.0": ["click", "requests", "python-dotenv", "rich", "pydantic>=2", "tomli_w", "httpx", "aiohttp",
              "uvicorn", "fastapi", "pynacl"],
}
EXIT_CANNOT_INSTALL = 3
#: --trainer torch: SFT jobs train for real; no Qwen weights here, so the hosted id the demo config
#: names trains the built-in tiny model instead
TORCH_BACKEND_ARGS = ["--trainer", "torch", "--model-alias", "Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3"]


class CannotInstall(Exception):
    pass


def _pip(python: Path, *args: str, offline: bool, wheels: Path) -> None:
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    if offline:
        cmd[5:5] = ["--no-index", "--find-links", str(wheels)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CannotInstall(f"pip install {' '.join(args)} failed: {proc.stderr.strip()[-600:]}")


def client_venv(version: str, ref_dir: Path, *, offline: bool) -> Path:
    """The `synth-ai` executable of a throwaway venv holding the published `version` (cached)."""
    target = ref_dir / f"venv-{version}"
    exe = target / "bin" / "synth-ai"
    marker = target / ".synthlaunch-ready"
    if marker.exists() and exe.exists():
        return exe
    wheels = ref_dir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    wheel = next(wheels.glob(f"synth_ai-{version}-*.whl"), None)
    if wheel is None:
        if offline:
            raise CannotInstall(f"no cached wheel of synth-ai {version} in {wheels} (run once without --offline)")
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels),
                               f"synth-ai=={version}"], capture_output=True, text=True)
        wheel = next(wheels.glob(f"synth_ai-{version}-*.whl"), None)
        if proc.returncode != 0 or wheel is None:
            raise CannotInstall(f"cannot download synth-ai {version}: {proc.stderr.strip()[-600:]}")
    if target.exists():
        shutil.rmtree(target)
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    _pip(python, "--no-deps", str(wheel), offline=offline, wheels=wheels)
    _pip(python, *TRAIN_IMPORTS[version], offline=offline, wheels=wheels)
    check = subprocess.run([str(exe), "train", "--help"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check.returncode != 0:
        raise CannotInstall(f"synth-ai {version} train --help failed: {(check.stdout + check.stderr)[-600:]}")
    marker.write_text("ok\n")
    return exe


def _synthlaunch() -> list[str]:
    exe = Path(sys.executable).parent / "synthlaunch"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from synthlaunch.program import main; main()"]


class Servers:
    """`synthlaunch local.backend` and `local.task-app` as subprocesses on free ports."""

    def __init__(self, workdir: Path, step_seconds: float, trainer: str = "emulate") -> None:
        self.api_key = "sk_ref_" + secrets.token_hex(16)
        self.env_key = "env_ref_" + secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTH_", "BACKEND_", "ENVIRONMENT_"))}
        env.update(SYNTH_API_KEY=self.api_key, ENVIRONMENT_API_KEY=self.env_key, PYTHONUNBUFFERED="1")
        self.backend_log = workdir / "backend.log"  # banner and request log (human text)
        self.task_app_log = workdir / "task-app.log"
        self.backend = subprocess.Popen(
            [*_synthlaunch(), "local.backend", "--port", "0", "--data-dir", str(workdir / "data"),
             "--step-seconds", str(step_seconds), "--log-requests",
             *(TORCH_BACKEND_ARGS if trainer == "torch" else ["--trainer", "emulate"])],
            stdout=open(self.backend_log, "w"), stderr=subprocess.STDOUT, env=env)
        self.task_app = subprocess.Popen([*_synthlaunch(), "local.task-app", "--port", "0"],
                                         stdout=open(self.task_app_log, "w"), stderr=subprocess.STDOUT, env=env)
        self.backend_url = self._url(self.backend, self.backend_log)
        self.task_url = self._url(self.task_app, self.task_app_log)

    @staticmethod
    def _url(proc: subprocess.Popen[bytes], log: Path) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"listening on (http://\S+)", log.read_text())
            if found:
                return found.group(1)
            time.sleep(0.1)
        raise RuntimeError(f"a server did not start: {log.read_text()[-500:]}")

    def job(self, job_id: str) -> dict:
        req = urllib.request.Request(f"{self.backend_url}/api/learning/jobs/{job_id}",
                                     headers={"Authorization": f"Bearer {self.api_key}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        for proc in (self.backend, self.task_app):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (self.backend, self.task_app):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # SIGINT is ignored when this runs as a background job
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def run_client(exe: Path, version: str, kind: str, servers: Servers, workdir: Path, timeout: float,
               trainer: str = "emulate") -> dict:
    env_file = workdir / "client.env"
    env_file.write_text(f"SYNTH_API_KEY={servers.api_key}\nENVIRONMENT_API_KEY={servers.env_key}\n"
                        f"TASK_APP_URL={servers.task_url}\n")
    env_file.chmod(0o600)
    config = REPO / "configs" / kind / "demo.toml"
    args = [str(exe), "train"]
    args += ["--config", str(config)] if version.startswith("0.2.") else [str(config)]
    args += ["--env-file" if version.startswith("0.2.") else "--env", str(env_file),
             "--type", kind, "--backend", servers.backend_url, "--poll-timeout", str(timeout), "--poll-interval", "1"]
    args += ["--dataset", str(REPO / "configs" / "datasets" / "demo.jsonl")] if kind == "sft" else \
        ["--task-url", servers.task_url]
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SYNTH_", "BACKEND_", "ENVIRONMENT_", "TASK_APP_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", NO_COLOR="1")
    started = time.monotonic()
    try:
        proc = subprocess.run(args, cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout + 60)
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        output, code = f"{exc.stdout or ''}{exc.stderr or ''}\n(timed out)", None
    ids = re.findall(r'"job_id":\s*"(job_[0-9a-f]+)"', output)
    job = servers.job(ids[-1]) if ids else {}
    status = job.get("status")
    ok = code == 0 and "Final status: succeeded" in output and status == "succeeded"
    if trainer == "torch" and kind == "sft":  # trained for real: the job names the model it produced
        ok = ok and job.get("trainer") == "torch" and bool(job.get("fine_tuned_model"))
    (workdir / f"client-{version}-{kind}.log").write_text(output.replace(servers.api_key, "<SYNTH_API_KEY>")
                                                          .replace(servers.env_key, "<ENVIRONMENT_API_KEY>"))
    return {"version": version, "kind": kind, "exit_code": code, "job_id": ids[-1] if ids else None,
            "backend_status": status, "trainer": job.get("trainer"), "fine_tuned_model": job.get("fine_tuned_model"),
            "ok": ok, "seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", default=",".join(VERSIONS))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--ref-dir", type=Path, default=REPO / ".ref")
    parser.add_argument("--offline", action="store_true", help="install from cached wheels only (exit 3 if not)")
    parser.add_argument("--step-seconds", type=float, default=0.05)
    parser.add_argument("--trainer", choices=("emulate", "torch"), default="emulate",
                        help="the backend's trainer; torch trains SFT jobs for real (tiny model via --model-alias)")
    parser.add_argument("--timeout", type=float, default=180.0, help="--poll-timeout given to the clients")
    parser.add_argument("--keep-logs", action="store_true", help="keep the work folder (logs) and print its path")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON document")
    args = parser.parse_args(argv)
    versions = [v for v in args.versions.split(",") if v]
    kinds = [k for k in args.kinds.split(",") if k]
    if set(versions) - set(KNOWN_VERSIONS) or set(kinds) - set(KINDS):
        parser.error(f"versions are among {', '.join(KNOWN_VERSIONS)}; kinds among {', '.join(KINDS)}")
    try:
        exes = {v: client_venv(v, args.ref_dir, offline=args.offline) for v in versions}
    except CannotInstall as exc:
        print(f"cannot install the reference clients: {exc}", file=sys.stderr)
        return EXIT_CANNOT_INSTALL
    workdir = Path(tempfile.mkdtemp(prefix="synthlaunch-refclients-"))
    servers = Servers(workdir, args.step_seconds, args.trainer)
    results = []
    try:
        for version in versions:
            for kind in kinds:
                results.append(run_client(exes[version], version, kind, servers, workdir, args.timeout,
                                          args.trainer))
    finally:
        servers.stop()
    streams = sum(1 for line in servers.backend_log.read_text().splitlines() if "/events/stream " in line)
    if args.json:
        print(json.dumps({"results": results, "event_stream_requests": streams, "workdir": str(workdir)}))
    else:
        print(f"{'client':<14} {'kind':<4} {'exit':>4}  {'backend status':<14} {'seconds':>7}  result  trainer")
        for r in results:
            print(f"synth-ai {r['version']:<5} {r['kind']:<4} {r['exit_code']!s:>4}  {r['backend_status']!s:<14} "
                  f"{r['seconds']:>7}  {'ok' if r['ok'] else 'FAILED'}  {r['trainer']}"
                  + (f" -> {r['fine_tuned_model']}" if r["fine_tuned_model"] else ""))
        print(f"event stream requests served: {streams}")
    if args.keep_logs or not all(r["ok"] for r in results):
        print(f"logs: {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if results and all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
