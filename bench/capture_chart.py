"""Capture the live chart (`--stream-format chart`) as a terminal emulator shows it, at 80×24 and 100×30,
for an RL and an SFT job on the embedded backend.

Starts the embedded backend and the demo task app (free ports, throwaway keys), runs
`synthlaunch train CONFIG --stream-format chart --yes` on a pseudo-terminal of each size (pexpect),
feeds everything it wrote into a pyte screen of the same size and prints the final screen.

    python bench/capture_chart.py [--steps 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pexpect
import pyte

from _servers import local_servers  # bench/ is the script's folder: on sys.path

ROOT = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent / "synthlaunch")
SIZES = ((80, 24), (100, 30))


def screen_of(raw: str, cols: int, rows: int) -> list[str]:
    """What a terminal of cols×rows shows after `raw` was written to it."""
    screen = pyte.Screen(cols, rows)
    pyte.Stream(screen).feed(raw)
    return [line.rstrip() for line in screen.display]


def capture(args: list[str], cwd: Path, env: dict[str, str], cols: int, rows: int) -> tuple[int, list[str]]:
    child = pexpect.spawn(BIN, args, cwd=str(cwd), env=env, dimensions=(rows, cols), encoding="utf-8",
                          timeout=300)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus or 0, screen_of(child.before or "", cols, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="emulated training steps per job")
    steps = parser.parse_args().steps
    work = Path(tempfile.mkdtemp(prefix="capture-chart-"))
    shutil.copytree(ROOT / "configs", work / "configs")
    rl = (work / "configs" / "rl" / "demo.toml")
    rl.write_text(rl.read_text() + f"\n[emulation]\nsteps = {steps}\n")
    data = work / "configs" / "datasets" / "demo.jsonl"
    lines = data.read_text().splitlines()
    first = lines[0].rstrip("}") + f', "metadata": {{"emulation": {{"steps": {steps}}}}}}}'
    data.write_text("\n".join([first, *lines[1:]]) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "COLUMNS", "LINES")}
    env.update(SYNTH_API_KEY="sk_capture_" + "d4" * 12, ENVIRONMENT_API_KEY="sk_env_" + "e5" * 12,
               SYNTHLAUNCH_STATE_DIR=str(work / "state"), SYNTHLAUNCH_CACHE_DIR=str(work / "cache"),
               TERM="xterm-256color")
    try:
        with local_servers(BIN, work, env, step_seconds=0.1) as (bport, tport):
            common = ["--backend", f"http://127.0.0.1:{bport}", "--stream-format", "chart", "--yes",
                      "--poll-interval", "0.5"]
            for kind, extra in (("rl", ["--task-url", f"http://127.0.0.1:{tport}"]), ("sft", [])):
                for cols, rows in SIZES:
                    code, screen = capture(["train", f"configs/{kind}/demo.toml", *common, *extra], work, env, cols,
                                           rows)
                    print(f"── {kind.upper()} at {cols}×{rows} (exit {code}) " + "─" * max(0, cols - 30))
                    print("\n".join(screen))
                    print("─" * cols)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
