"""The live chart, rendered into a fixed-size virtual terminal (pyte)."""

from __future__ import annotations

import io

import pyte
from rich.console import Console

from synthlaunch.console import Output
from synthlaunch.render.chart import ChartRenderer, chart_possible
from synthlaunch.stream import JobResult


def _screen(raw: str, cols: int = 80, rows: int = 24) -> list[str]:
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    stream.feed(raw.replace("\n", "\r\n"))
    return screen.display


def _render(kind: str = "sft", *, reward: bool = False, cols: int = 80, rows: int = 24) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=cols, height=rows, color_system="standard",
                      legacy_windows=False)
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    with ChartRenderer(out, job_id="job_abc", kind=kind, console=console) as chart:
        chart.status("running")
        for step in range(0, 30):
            chart.metric({"name": "train.loss", "value": 2.0 / (step + 1), "step": step})
            if reward:
                chart.metric({"name": "reward.mean", "value": step / 30, "step": step})
        chart.event({"seq": 31, "type": "sft.progress", "level": "info", "message": "step 29/30"})
        chart.metric({"name": "train.loss", "value": 0.0642, "step": 30})
        chart.status("succeeded")
    return _screen(buffer.getvalue(), cols, rows)


def test_chart_shows_latest_value_step_status_and_last_event():
    display = _render()
    text = "\n".join(display)
    assert "status=succeeded" in text
    assert "latest=0.0642 (step=30)" in text
    assert "max=2.0000" in text and "min=0.0642" in text
    assert "[31] sft.progress (info): step 29/30" in text
    assert "step" in display[-5] or any("step" == line.strip() for line in display)  # x axis label
    assert any("┤" in line for line in display)  # y axis ticks


def test_chart_fits_80x24_and_plots_reward_for_rl():
    display = _render("rl", reward=True)
    text = "\n".join(display)
    assert len(display) == 24 and all(len(line) == 80 for line in display)
    assert "reward.mean latest=0.9667" in text
    assert "status=succeeded" in text.splitlines()[0] or any("status=succeeded" in l for l in display[:3])


def test_chart_renders_in_a_smaller_terminal():
    display = _render(cols=60, rows=20)
    assert "status=succeeded" in "\n".join(display)


def test_chart_redraw_is_throttled():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80, height=24)
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    now = [0.0]
    with ChartRenderer(out, job_id="j", console=console, clock=lambda: now[0]) as chart:
        draws = []
        original = chart.live.update
        chart.live.update = lambda *a, **k: (draws.append(1), original(*a, **k))
        for step in range(100):  # 100 points within the same instant: at most one redraw
            chart.metric({"name": "train.loss", "value": 1.0, "step": step})
        assert len(draws) <= 1
        chart.status("succeeded")
        chart.flush()  # same instant: still held back
        held = len(draws)
        assert held <= 1 and chart._dirty
        now[0] += 0.3  # a poll round later, past the 1/4 s gap: drawn
        chart.flush()
        assert len(draws) == held + 1 and not chart._dirty


def test_chart_not_possible_off_a_terminal():
    assert not chart_possible(Output(stdout=io.StringIO(), stderr=io.StringIO()))
    assert not chart_possible(Output(json_mode=True))


def test_summary_after_chart():
    out_buf = io.StringIO()
    out = Output(stdout=out_buf, stderr=io.StringIO())
    chart = ChartRenderer(out, job_id="j")
    chart.finish(JobResult("j", "sft", "succeeded", 3.0, 0.5, 4, 0))
    assert "job j (sft) succeeded in 3.0s" in out_buf.getvalue()
