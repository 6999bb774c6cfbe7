"""The issue's closing check: after `demo`, `runs` lists both jobs with their config hashes, the kept
demo backend served again answers `job.show` with each resulting model id, and `metrics --plot` draws."""

from __future__ import annotations

import hashlib
import json

from PIL import Image
from tests.support.servers import Backend


def test_after_demo_runs_job_show_and_plot(sl, workdir, tmp_path, monkeypatch):
    done = sl("demo", "--step-seconds", "0.02", "--trainer", "emulate")
    assert done.code == 0, done.stdout + done.stderr
    assert "runs" in done.stdout and "demo-backend" in done.stdout  # says how to look at the jobs again

    runs = json.loads(sl("runs", "--json").stdout)["runs"]
    assert {r["type"] for r in runs} == {"sft", "rl"} and len(runs) == 2
    for run in runs:
        expected = hashlib.sha256((workdir / "configs" / run["type"] / "demo.toml").read_bytes()).hexdigest()
        assert run["config_sha256"] == expected and run["status"] == "succeeded"
    table = sl("runs").stdout
    assert all(r["job_id"] in table and r["config_sha256"][:12] in table for r in runs)

    kept = tmp_path / ".cache" / "demo-backend"  # <SYNTHLAUNCH_CACHE_DIR>/demo-backend
    key = "sk_again_" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:24]
    monkeypatch.setenv("SYNTH_API_KEY", key)
    again = Backend(data_dir=kept, api_keys=[key], step_seconds=0.01)
    again.start()
    try:
        for run in runs:
            shown = sl("job.show", run["job_id"], "--backend", again.root)
            prefix = "ft" if run["type"] == "sft" else "rl"
            assert f"{prefix}:Qwen/Qwen3-0.6B:{run['job_id']}" in shown.stdout, shown.stderr
        rl = next(r for r in runs if r["type"] == "rl")
        plotted = sl("metrics", rl["job_id"], "--backend", again.root, "--plot", str(tmp_path / "m.png"))
        assert plotted.code == 0, plotted.stderr
        assert Image.open(tmp_path / "m.png").format == "PNG"
    finally:
        again.stop()
