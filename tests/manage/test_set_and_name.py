"""`--set` on validate and train (typed, validated like the file, in the summary and --dry-run) and
`--name` / `[job].name` travelling in the job's metadata to `jobs` and `job.show`."""

from __future__ import annotations

import json


def test_validate_set_is_validated_like_the_file(sl):
    ok = sl("validate", "--config", "configs/sft/demo.toml", "--set", "hyperparameters.learning_rate=2e-5",
            "--json")
    assert ok.code == 0, ok.stderr
    assert json.loads(ok.stdout)["configs"][0]["overrides"] == ["hyperparameters.learning_rate=2e-5"]

    bad = sl("validate", "--config", "configs/rl/demo.toml", "--set", "compute.gpu_count=two", "--json")
    assert bad.code == 2
    (error,) = json.loads(bad.stdout)["configs"][0]["errors"]
    assert error["key"] == "compute.gpu_count" and error["line"] is None  # not a line of the file
    assert 'got "two" (a string) (from --set)' in error["message"]

    malformed = sl("validate", "--config", "configs/rl/demo.toml", "--set", "compute.gpu_count")
    assert malformed.code == 2 and "KEY.PATH=VALUE" in malformed.stderr


def test_train_dry_run_shows_set_and_name(sl, backend):
    done = sl("train", "--dry-run", "--config", "configs/sft/demo.toml", "--backend", backend.root,
              "--set", "hyperparameters.learning_rate=2e-5", "--set", "compute.gpu_count=2", "--name", "lr-sweep-1")
    assert done.code == 0, done.stderr
    assert "overrides        hyperparameters.learning_rate=2e-5, compute.gpu_count=2 (from --set)" in done.stdout
    assert "name             lr-sweep-1" in done.stdout
    doc = json.loads(sl("train", "--dry-run", "--json", "--config", "configs/sft/demo.toml", "--backend",
                        backend.root, "--set", "compute.gpu_count=2", "--name", "lr-sweep-1").stdout)
    (config,) = doc["configs"]
    assert config["overrides"] == ["compute.gpu_count=2"] and config["name"] == "lr-sweep-1"
    body = next(r["body"] for r in config["requests"] if r["path"] == "/api/learning/jobs")
    assert body["metadata"]["name"] == "lr-sweep-1"
    assert body["metadata"]["effective_config"]["compute"]["gpu_count"] == 2


def test_name_travels_to_jobs_and_job_show(sl, backend, task_app, monkeypatch, workdir):
    monkeypatch.setenv("ENVIRONMENT_API_KEY", task_app.environment_api_key)
    config = workdir / "configs" / "rl" / "demo.toml"
    config.write_text(config.read_text() + '\n[job]\nname = "named-in-file"\n')
    done = sl("train", "--config", str(config), "--backend", backend.root, "--task-url", task_app.url,
              "--poll-interval", "0.05", "--set", "training.batch_size=4", "--json")
    assert done.code == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    (run,) = summary["runs"]
    assert run["name"] == "named-in-file" and run["overrides"] == ["training.batch_size=4"]
    assert run["model_id"] == f"rl:Qwen/Qwen3-0.6B:{run['job_id']}"
    shown = json.loads(sl("job.show", run["job_id"], "--backend", backend.root, "--json").stdout)
    assert shown["name"] == "named-in-file" and shown["hyperparameters"]["batch_size"] == 4

    # an RL rerun reaches the task app the first run used (it came from --task-url, not the file)
    rerun = sl("train", "--rerun", run["job_id"], "--backend", backend.root, "--poll-interval", "0.05", "--json")
    assert rerun.code == 0, rerun.stderr
    (again,) = json.loads(rerun.stdout.splitlines()[-1])["runs"]
    assert again["name"] == "named-in-file" and again["overrides"] == ["training.batch_size=4"]
    assert json.loads(sl("job.show", again["job_id"], "--backend", backend.root, "--json").stdout)[
        "job"]["endpoint_base_url"] == task_app.url.rstrip("/")

    flagged = sl("train", "--config", str(config), "--backend", backend.root, "--task-url", task_app.url,
                 "--poll-interval", "0.05", "--name", "from-the-flag", "--no-poll")
    job_id = next(line.split()[-1] for line in flagged.stdout.splitlines() if line.startswith("job id:"))
    listed = sl("jobs", "--backend", backend.root, "--limit", "100").stdout
    assert "from-the-flag" in next(line for line in listed.splitlines() if line.startswith(job_id))
