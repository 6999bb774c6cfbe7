"""A job's metric points as data: CSV text and a JSON document with one series per metric.
(The chart is `render.plot.write_plot`.) Pure functions, no HTTP."""

from __future__ import annotations

import csv
import io
from typing import Any

CSV_COLUMNS = ("name", "step", "value", "phase", "created_at")


def clean_points(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points with a name, an integer step and a numeric value, ordered by name then step."""
    kept = [p for p in points if isinstance(p, dict) and isinstance(p.get("name"), str)
            and isinstance(p.get("step"), int) and not isinstance(p.get("step"), bool)
            and isinstance(p.get("value"), (int, float)) and not isinstance(p.get("value"), bool)]
    return sorted(kept, key=lambda p: (p["name"], p["step"]))


def series(points: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """Metric name → [(step, value), …] in step order."""
    found: dict[str, list[tuple[int, float]]] = {}
    for point in clean_points(points):
        found.setdefault(point["name"], []).append((point["step"], float(point["value"])))
    return found


def metrics_csv(points: list[dict[str, Any]]) -> str:
    """One row per point: name, step, value, phase, created_at (a header first)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for point in clean_points(points):
        writer.writerow([point.get(column, "") if point.get(column) is not None else "" for column in CSV_COLUMNS])
    return buf.getvalue()


def metrics_document(job_id: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    """`{"job_id", "series": {name: [{"step", "value"}, …]}, "points": n}`."""
    found = series(points)
    return {"job_id": job_id, "points": sum(len(v) for v in found.values()),
            "series": {name: [{"step": s, "value": v} for s, v in values] for name, values in found.items()}}
