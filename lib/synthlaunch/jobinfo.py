"""What a job record says, read the same way by every command (`job show`, `jobs`, `train`, `stream`,
`runs`): the resulting model id, the run's name, final metrics, duration, failure reason.

Pure functions over the backend's JSON (no HTTP, no terminal). Backends name things differently;
each reader tries the known spellings in order.
"""

from __future__ import annotations

from typing import Any

from .timefmt import seconds_between

#: where a succeeded job's resulting model id may be (first found wins)
MODEL_ID_KEYS = ("fine_tuned_model", "model_id", "output_model")
LOSS_METRIC = "train.loss"
REWARD_METRIC = "train.reward"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def result_model_id(job: Any) -> str | None:
    """The fine-tuned model id of a job: `fine_tuned_model`, `model_id` or `output_model`, at the top
    level or under `result`/`output`; None while there is none."""
    record = _dict(job)
    for where in (record, _dict(record.get("result")), _dict(record.get("output"))):
        for key in MODEL_ID_KEYS:
            value = where.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def job_name(job: Any) -> str | None:
    """The run's name (`metadata.name`, else a top-level `name`)."""
    record = _dict(job)
    for value in (_dict(record.get("metadata")).get("name"), record.get("name")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def job_model(job: Any) -> str | None:
    """The base model a job trains (`model`, `base_model`, or under `data`)."""
    record = _dict(job)
    for where in (record, _dict(record.get("data"))):
        for key in ("model", "base_model"):
            value = where.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def job_duration(job: Any) -> float | None:
    """Seconds from start (else creation) to the end (else the last update), when the times parse."""
    record = _dict(job)
    start = record.get("started_at") or record.get("created_at")
    end = record.get("finished_at") or record.get("completed_at")
    if not end and str(record.get("status") or "").lower() in ("running", "queued"):
        return None
    return seconds_between(start, end or record.get("updated_at"))


def failure_reason(job: Any) -> str | None:
    """Why a job failed (`error` as text or `{message}`, else `failure_reason`/`message` of a failed job)."""
    record = _dict(job)
    error = record.get("error")
    if isinstance(error, dict):
        error = error.get("message") or error.get("detail")
    for value in (error, record.get("failure_reason")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def final_metrics(job: Any = None, points: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """The last value of each metric series: the job's own `final_metrics` (or `metrics` table) when it
    carries them, else the highest step of each series in `points`."""
    found: dict[str, float] = {}
    for key in ("final_metrics", "metrics"):
        table = _dict(_dict(job).get(key))
        found.update({str(k): float(v) for k, v in table.items()
                      if isinstance(v, (int, float)) and not isinstance(v, bool)})
        if found:
            return found
    best: dict[str, tuple[int, float]] = {}
    for point in points or []:
        name, step, value = point.get("name"), point.get("step"), point.get("value")
        if not isinstance(name, str) or not isinstance(step, int) or isinstance(value, bool) \
                or not isinstance(value, (int, float)):
            continue
        if name not in best or step >= best[name][0]:
            best[name] = (step, float(value))
    return {name: value for name, (_, value) in sorted(best.items())}


def hyperparameters(job: Any) -> dict[str, Any]:
    """The job's hyperparameters (`hyperparameters`, else an RL body's `data.config.training`)."""
    record = _dict(job)
    found = _dict(record.get("hyperparameters"))
    if found:
        return found
    return _dict(_dict(_dict(record.get("data")).get("config")).get("training"))


def metric_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def model_id_line(model_id: str) -> str:
    """The line naming a succeeded job's resulting model, ready for `--model` or `[model].source` next
    (one short line: under a chart on a 24-line terminal there is room for one)."""
    return f"fine-tuned model: {model_id}"
