"""The run ledger (`runs`, `runs.show`, `train --rerun`), `metrics` (table, csv, json, --plot) and
`train --save-metrics`: end to end against the embedded backend."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys

from PIL import Image


def _job_id(stdout: str) -> str:
    return next(line.split()[-1] for line in stdout.splitlines() if line.startswith("job id:"))


def test_train_records_runs_and_rerun_submits_the_kept_bytes(sl, backend, workdir, tmp_path):
    config = workdir / "configs" / "sft" / "demo.toml"
    original = config.read_bytes()
    first = sl("train", "--config", str(config), "--backend", backend.root, "--poll-interval", "0.05",
               "--set", "hyperparameters.learning_rate=2e-5", "--name", "ledger-1",
               "--save-metrics", str(tmp_path / "saved"))
    assert first.code == 0, first.stderr
    job_id = _job_id(first.stdout)

    # --save-metrics: csv, json and the chart of every series
    saved = tmp_path / "saved"
    rows = list(csv.DictReader(io.StringIO((saved / f"{job_id}.csv").read_text())))
    assert len(rows) == 10 and {r["name"] for r in rows} == {"train.loss"}
    assert json.loads((saved / f"{job_id}.json").read_text())["points"] == 10
    assert Image.open(saved / f"{job_id}.png").size[0] > 400

    listed = sl("runs")
    assert listed.code == 0 and job_id in listed.stdout
    assert sl("runs", "--quiet").stdout.split()[0] == job_id
    assert hashlib.sha256(original).hexdigest()[:12] in listed.stdout
    (entry,) = [r for r in json.loads(sl("runs", "--json").stdout)["runs"] if r["job_id"] == job_id]
    assert entry["config_sha256"] == hashlib.sha256(original).hexdigest()
    assert entry["overrides"] == ["hyperparameters.learning_rate=2e-5"] and entry["name"] == "ledger-1"
    assert entry["dataset_sha256"] and len(entry["dataset_sha256"]) == 64
    assert entry["status"] == "succeeded" and entry["model_id"] == f"ft:Qwen/Qwen3-0.6B:{job_id}"
    assert set(entry["final_metrics"]) == {"train.loss"} and entry["backend"] == backend.api_url
    assert entry["git_commit"] is None  # the tmp project is not a git repository

    shown = sl("runs.show", job_id)
    assert shown.code == 0 and entry["config_sha256"] in shown.stdout and "ledger-1" in shown.stdout
    assert f"train --rerun {job_id}" in shown.stdout
    kept = json.loads(sl("runs.show", job_id, "--json").stdout)["config_copy"]
    with open(kept, "rb") as fh:
        assert fh.read() == original

    # the file changes afterwards: a rerun still submits the kept bytes, with the same overrides and name
    config.write_text(original.decode().replace("n_epochs = 4", "n_epochs = 0"))  # invalid now
    assert sl("validate", "--config", str(config)).code == 2
    again = sl("train", "--rerun", job_id, "--backend", backend.root, "--poll-interval", "0.05", "--json")
    assert again.code == 0, again.stderr
    (run,) = json.loads(again.stdout.splitlines()[-1])["runs"]
    assert run["job_id"] != job_id and run["name"] == "ledger-1"
    assert run["overrides"] == ["hyperparameters.learning_rate=2e-5"]
    hyperparameters = json.loads(sl("job.show", run["job_id"], "--backend", backend.root, "--json").stdout)[
        "hyperparameters"]
    assert hyperparameters["learning_rate"] == 2e-5 and hyperparameters["n_epochs"] == 4  # the kept bytes
    rerun_entry = json.loads(sl("runs.show", run["job_id"], "--json").stdout)
    assert rerun_entry["rerun_of"] == job_id and rerun_entry["config_sha256"] == entry["config_sha256"]

    clash = sl("train", "--rerun", job_id, "--set", "compute.gpu_count=2", "--backend", backend.root)
    assert clash.code == 2 and "drop --set" in clash.stderr
    unknown = sl("runs.show", "job_unknown")
    assert unknown.code == 2 and "not in the run ledger" in unknown.stderr

    dataset = workdir / "configs" / "datasets" / "demo.jsonl"
    dataset.write_text(dataset.read_text() + dataset.read_text().splitlines()[0] + "\n")
    changed = sl("train", "--rerun", job_id, "--backend", backend.root)
    assert changed.code == 2 and "changed since job" in changed.stderr


def test_metrics_export_and_plot(sl, backend, task_app, monkeypatch, workdir, tmp_path):
    monkeypatch.setenv("ENVIRONMENT_API_KEY", task_app.environment_api_key)
    done = sl("train", "--config", "configs/rl/demo.toml", "--backend", backend.root, "--task-url", task_app.url,
              "--poll-interval", "0.05")
    assert done.code == 0, done.stderr
    job_id = _job_id(done.stdout)

    table = sl("metrics", job_id, "--backend", backend.root)
    assert table.code == 0 and "train.loss" in table.stdout and "train.reward" in table.stdout
    as_csv = sl("metrics", job_id, "--backend", backend.root, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))  # stdout holds only the CSV
    assert len(rows) == 20 and {r["name"] for r in rows} == {"train.loss", "train.reward"}
    assert [int(r["step"]) for r in rows if r["name"] == "train.loss"] == list(range(10))

    plot = tmp_path / "m.png"
    as_json = sl("metrics", job_id, "--backend", backend.root, "--json", "--plot", str(plot))
    doc = json.loads(as_json.stdout)
    assert doc["points"] == 20 and set(doc["series"]) == {"train.loss", "train.reward"}
    assert doc["plot"] == str(plot)
    image = Image.open(plot)
    assert image.format == "PNG" and image.size[1] > image.size[0] * 0.5  # two stacked charts
    svg = tmp_path / "m.svg"
    assert sl("metrics", job_id, "--backend", backend.root, "--plot", str(svg), "--quiet").code == 0
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "step" in text and "train.reward" in text

    wrong = sl("metrics", job_id, "--backend", backend.root, "--plot", str(tmp_path / "m.gif"))
    assert wrong.code == 2 and ".png or .svg" in wrong.stderr
    assert sl("metrics", job_id, "--backend", backend.root, "--format", "xml").code == 2


def test_list_imports_no_matplotlib():
    code = ("import sys; from invoke import Program; from synthlaunch.tasks import ns; "
            "Program(namespace=ns).run(['inv', '--list'], exit=False); "
            "Program(namespace=ns).run(['inv', '--help', 'metrics'], exit=False); "
            "print('HEAVY', [m for m in ('matplotlib', 'PIL') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stdout
