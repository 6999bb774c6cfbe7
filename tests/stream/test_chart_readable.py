"""The chart as a person reads it (pyte screens): the legend outside the plot, loss and reward told apart
without colour, integer step ticks, progress in the header; after Ctrl-C the hints are the last lines."""

from __future__ import annotations

import io
import os
import re
import signal
import sys
from pathlib import Path

import pyte
from rich.console import Console

from synthlaunch.console import Output
from synthlaunch.env import KNOWN_KEYS
from synthlaunch.render.chart import ChartRenderer, integer_ticks
from tests.support.jobs import create_rl

BIN = Path(sys.executable).parent


def _render(cols: int, rows: int, *, colour: bool = True) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=cols, height=rows,
                      color_system="standard" if colour else None, legacy_windows=False)
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    with ChartRenderer(out, job_id="job_abc", kind="rl", console=console) as chart:
        chart.job({"status": "running", "total_steps": 40, "current_step": 12,
                   "started_at": "2026-01-01T00:00:00Z"})
        chart.status("running")
        for step in range(12):
            chart.metric({"name": "train.loss", "value": 2.0 / (step + 1), "step": step})
            chart.metric({"name": "train.reward", "value": step / 12, "step": step})
        chart.flush()
    screen = pyte.Screen(cols, rows)
    pyte.Stream(screen).feed(buffer.getvalue().replace("\n", "\r\n"))
    return screen.display


def test_legend_outside_the_plot_distinct_markers_integer_ticks_and_progress() -> None:
    for cols, rows in ((80, 24), (100, 30)):
        display = _render(cols, rows, colour=False)
        top = next(i for i, line in enumerate(display) if "┌" in line)
        bottom = next(i for i, line in enumerate(display) if "└" in line)
        legend = next(i for i, line in enumerate(display) if "train.loss (left axis)" in line)
        assert legend < top  # the legend is above the plot: it hides no point
        assert "• train.loss (left axis)" in display[legend] and "x train.reward (right axis)" in display[legend]
        inside = "\n".join(display[top + 1:bottom])
        assert "•" in inside and "x" in inside  # without colour, the two series still differ
        ticks = display[bottom + 1].split()
        assert ticks and all(re.fullmatch(r"\d+", t) for t in ticks)  # integer steps
        assert "step 12/40" in display[0] and "elapsed" in display[0]
        assert len(display) == rows and all(len(line) == cols for line in display)


def test_integer_ticks() -> None:
    assert integer_ticks([0.0, 1.0, 2.0]) == [0, 1, 2]
    assert integer_ticks([float(s) for s in range(30)]) == [0, 5, 10, 15, 20, 25]
    assert integer_ticks([]) == []


def test_after_ctrl_c_the_hints_are_the_last_lines_on_screen(backend_factory) -> None:
    import pexpect

    server = backend_factory(step_seconds=0.05)
    job_id = create_rl(server.client(), steps=10_000)
    env = {k: v for k, v in os.environ.items() if k not in KNOWN_KEYS and k not in ("CI", "NO_COLOR", "COLUMNS")}
    env.update({"SYNTH_API_KEY": server.api_key, "TERM": "xterm-256color"})
    child = pexpect.spawn(str(BIN / "synthlaunch"), ["stream", job_id, "--backend", server.root,
                                                     "--stream-format", "chart", "--poll-interval", "0.1"],
                          env=env, dimensions=(24, 80), encoding="utf-8", timeout=60)
    child.expect("train.loss latest=")
    child.expect("train.loss latest=")  # a redraw later: streaming
    child.kill(signal.SIGINT)
    child.expect(pexpect.EOF)
    child.close()
    screen = pyte.Screen(80, 24)
    pyte.Stream(screen).feed(child.before or "")
    lines = [line.rstrip() for line in screen.display if line.strip()]
    assert child.exitstatus == 130
    text = "\n".join(lines)
    last_event = text.rindex("last event:")
    reattach = text.index("reattach: synthlaunch stream --job-id")
    cancel = text.index("cancel:   synthlaunch cancel")
    assert last_event < reattach < cancel  # the final frame, then the hints: last on screen
    assert "cancel:   synthlaunch cancel" in "\n".join(lines[-3:])
