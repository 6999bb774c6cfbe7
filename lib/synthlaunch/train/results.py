"""After a job is created: its run ledger entry (`synthlaunch.ledger`), and at the end its final
metrics and resulting model id there, plus `--save-metrics DIR` files. Nothing here fails a run:
a ledger or metrics problem is a warning."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..console import Output
from ..errors import SynthlaunchError
from .options import RunRecord, TrainOptions

if TYPE_CHECKING:  # pragma: no cover
    from ..config import LoadedConfig
    from ..env import ResolvedEnv

TERMINAL = ("succeeded", "completed", "failed", "cancelled", "canceled")


def record_submission(out: Output, cfg: "LoadedConfig", opts: TrainOptions, env: "ResolvedEnv",
                      record: RunRecord, dataset_sha256: str | None) -> None:
    """Write the ledger entry of a created job (config bytes kept)."""
    from .. import ledger
    from ..task_url import choose_task_url

    assert record.job_id is not None
    commit, dirty = ledger.git_state(cfg.path)
    chosen = choose_task_url(flag=opts.task_url, env=env.values, config=cfg.data) if cfg.type == "rl" else None
    entry = ledger.RunEntry(
        job_id=record.job_id, recorded_at=ledger.now_iso(), config_path=str(cfg.path.resolve()), config_sha256="",
        type=cfg.type, backend=env.backend_url, overrides=[f"{k}={v}" for k, v in cfg.overrides],
        name=record.name, model=opts.model or cfg.model or None, model_flag=opts.model,
        dataset_path=str(cfg.dataset_path) if cfg.dataset_path else None, dataset_flag=opts.dataset,
        dataset_sha256=dataset_sha256, examples=opts.examples,
        task_url=chosen.url if chosen else None, git_commit=commit, git_dirty=dirty, rerun_of=opts.rerun)
    try:
        ledger.record_submission(opts.ledger_env, entry, cfg.text)
    except OSError as exc:
        out.warn(f"could not record job {record.job_id} in the run ledger ({ledger.ledger_dir(opts.ledger_env)}): "
                 f"{exc.strerror or exc}")


def record_outcome(out: Output, opts: TrainOptions, env: "ResolvedEnv", record: RunRecord) -> None:
    """At the end: final metrics and model id into the ledger; `--save-metrics` files."""
    from .. import ledger

    assert record.job_id is not None
    metrics: dict[str, float] = {}
    if record.status in TERMINAL:
        metrics = _final_metrics(out, opts, env, record)
    elif opts.save_metrics:
        out.warn(f"--save-metrics: job {record.job_id} has not ended ({record.status}); save them later with "
                 f"`metrics {record.job_id} --format csv --plot FILE.png`")
    try:
        ledger.record_outcome(opts.ledger_env, record.job_id, status=record.status, final_metrics=metrics,
                              model_id=record.model_id, duration=record.duration)
    except OSError as exc:
        out.warn(f"could not update job {record.job_id} in the run ledger: {exc.strerror or exc}")


def _final_metrics(out: Output, opts: TrainOptions, env: "ResolvedEnv", record: RunRecord) -> dict[str, float]:
    from ..clients import make_client
    from ..jobinfo import final_metrics

    assert record.job_id is not None
    try:
        client = make_client(env)
        prefix, job = client.find_job(record.job_id, record.type)
        points: list[dict[str, Any]] | None = None
        if opts.save_metrics:
            points = client.all_metrics(prefix, record.job_id)
            save_metrics(out, Path(opts.save_metrics), record.job_id, points)
        found = final_metrics(job)
        if not found:
            found = final_metrics(points=points if points is not None else client.all_metrics(prefix, record.job_id))
        return found
    except SynthlaunchError as exc:
        out.warn(f"could not read the final metrics of job {record.job_id}: {exc.message}")
        return {}


def save_metrics(out: Output, folder: Path, job_id: str, points: list[dict[str, Any]]) -> None:
    """`<job>.csv`, `<job>.json` and a chart `<job>.png` (when matplotlib is installed) in `folder`."""
    from ..metrics_export import metrics_csv, metrics_document
    from ..render.plot import write_plot

    try:
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / _file_stem(job_id)
        stem.with_suffix(".csv").write_text(metrics_csv(points), encoding="utf-8")
        import json

        stem.with_suffix(".json").write_text(json.dumps(metrics_document(job_id, points), indent=2) + "\n",
                                             encoding="utf-8")
        written = [stem.with_suffix(".csv"), stem.with_suffix(".json")]
        try:
            write_plot(points, stem.with_suffix(".png"), title=f"job {job_id}")
            written.append(stem.with_suffix(".png"))
        except SynthlaunchError as exc:
            out.warn(f"no chart for job {job_id}: {exc.message}")
        out.info(f"metrics of job {job_id} saved: {', '.join(str(p) for p in written)}")
    except OSError as exc:
        out.warn(f"could not save the metrics of job {job_id} in {folder}: {exc.strerror or exc}")


def _file_stem(job_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in job_id) or "job"
