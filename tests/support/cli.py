"""Run the tool: in-process for the command surface, as a subprocess where a real process matters.

- `run_in_process(argv)`: the tasks through an invoke Program in this process (`synthlaunch …` is
  `synthlaunch.program.program`, `inv …` an invoke Program over `synthlaunch.tasks.ns`); stdout,
  stderr and the exit code come back in a `Result`. For help, usage errors and outputs that do not
  depend on being a separate process. Fast: no interpreter start, no imports per run.
- `run(argv, cwd, env)`: `inv …` / `synthlaunch …` from the installed environment, a subprocess with
  no stdin. For end-to-end runs, signals, terminals and anything about the process itself.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from invoke import Program

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: the line a user project's tasks.py holds to get our tasks under `inv`
TASKS_PY = "from synthlaunch.tasks import ns  # noqa: F401\n"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


# -- subprocesses ----------------------------------------------------------------------------------

def executable(name: str) -> str:
    """The installed `inv` / `synthlaunch` next to this interpreter (else `name` itself)."""
    return str(BIN / name) if (BIN / name).exists() else name


def run(args: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> Result:
    """Run `inv …` or `synthlaunch …` from the installed environment (no stdin)."""
    proc = subprocess.run([executable(args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def start(args: Sequence[str], cwd: Path, env: dict[str, str], *, until: str,
          merge_stderr: bool = False) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `inv …` (a long-running command: a server in the foreground) and read its stdout up to
    the first line that contains `until`; the process and the lines read. Stop it with `interrupt`."""
    proc = subprocess.Popen([executable(args[0]), *args[1:]], cwd=cwd, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE)
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if until in line:
            break
    return proc, lines


def interrupt(proc: subprocess.Popen[str], timeout: float = 60) -> Result:
    """Ctrl-C (SIGINT) to a process from `start`; its exit code and the rest of its output."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=timeout)
    return Result(proc.returncode, out, err or "")


def tasks_py(folder: Path) -> Path:
    """Make `folder` a user project for `inv`: a tasks.py that imports ours."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tasks.py").write_text(TASKS_PY)
    return folder


def project(tmp: Path) -> Path:
    """A fresh user project in `tmp/project`: the example configs and dataset, and a tasks.py."""
    root = tmp / "project"
    shutil.copytree(REPO / "configs", root / "configs")
    return tasks_py(root)


def write_env(path: Path, **values: str) -> Path:
    """A .env file with `values` (one `KEY=value` line each)."""
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


# -- in-process ------------------------------------------------------------------------------------

def _program(binary: str) -> Program:
    if binary == "synthlaunch":
        from synthlaunch.program import program

        return program
    if binary in ("inv", "invoke"):
        from synthlaunch.tasks import ns

        # what `inv` is when the current folder's tasks.py imports our namespace
        return Program(namespace=ns, name="Invoke", binary="inv[oke]", binary_names=["invoke", "inv"])
    raise ValueError(f"run_in_process runs `inv` or `synthlaunch`, not {binary!r}")


@contextlib.contextmanager
def _process_state(argv: Sequence[str], cwd: Path | None, env: dict[str, str]) -> Iterator[None]:
    """What a fresh process would have, for the length of one run: argv, cwd, environment, no stdin;
    afterwards the test process is as it was (the tool configures logging and registers secrets)."""
    from synthlaunch.redact import REGISTRY

    logger = logging.getLogger("synthlaunch")
    saved_logger = (list(logger.handlers), logger.level, logger.propagate)
    saved_secrets = REGISTRY.values()
    saved_environ = dict(os.environ)
    saved_argv, saved_stdin, saved_cwd = sys.argv, sys.stdin, os.getcwd()
    try:
        os.environ.update(env)
        sys.argv = [executable(argv[0]), *argv[1:]]
        sys.stdin = io.StringIO("")
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        sys.argv, sys.stdin = saved_argv, saved_stdin
        for name in [n for n in os.environ if n not in saved_environ]:
            del os.environ[name]
        for name, value in saved_environ.items():  # only what changed: server threads read os.environ too
            if os.environ.get(name) != value:
                os.environ[name] = value
        REGISTRY.clear()
        REGISTRY.add(*saved_secrets)
        logger.handlers[:] = saved_logger[0]
        logger.setLevel(saved_logger[1])
        logger.propagate = saved_logger[2]


def run_in_process(argv: Sequence[str], *, cwd: Path | None = None, **env: str) -> Result:
    """Run `inv …` / `synthlaunch …` in this process, as a CI run would (CI set, no stdin, no colour):
    its stdout, stderr and exit code. `env` adds variables for this run only (on top of the scrubbed
    environment of the autouse fixture); `cwd` is the folder it runs in (default: the current one)."""
    program = _program(argv[0])
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with _process_state(argv, cwd, {"CI": "true", "NO_COLOR": "1", "COLUMNS": "100", **env}):
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                # exit=True: Program.run(exit=False) swallows the code, SystemExit carries it
                program.run([argv[0], *argv[1:]], exit=True)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if isinstance(exc.code, str):
                    stderr.write(exc.code + "\n")
    return Result(code, stdout.getvalue(), stderr.getvalue())
