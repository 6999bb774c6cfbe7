"""Metric charts as image files (`metrics --plot`, `train --save-metrics`), drawn with matplotlib.

One chart per metric, stacked, with labelled axes ("step", the metric's name) and a title. Readable
without colour: black lines, a different marker and line style per chart, and the last value
written next to the last point. matplotlib is imported here only (never by `inv --list`), with the
Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError

PLOT_SUFFIXES = (".png", ".svg")
_STYLES = (("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("x", "--"))


def check_plot_path(path: str | Path) -> Path:
    """The chart's path; a usage error unless it ends in .png or .svg."""
    target = Path(path)
    if target.suffix.lower() not in PLOT_SUFFIXES:
        raise UsageError(f"--plot {path}: the file must end in .png or .svg", hint="e.g. --plot metrics.png")
    return target


def write_plot(points: list[dict[str, Any]], path: str | Path, *, title: str) -> Path:
    """Draw every metric series of `points` into `path` (.png or .svg); the path."""
    from ..metrics_export import series

    target = check_plot_path(path)
    found = series(points)
    if not found:
        raise UsageError("the job has no metric points to plot yet")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("charts need matplotlib", hint="pip install 'synthlaunch[plot]'") from None

    fig, axes = plt.subplots(len(found), 1, figsize=(8, 2.8 * len(found) + 0.6), squeeze=False)
    try:
        for index, (ax, (name, values)) in enumerate(zip(axes[:, 0], found.items(), strict=True)):
            marker, style = _STYLES[index % len(_STYLES)]
            steps = [s for s, _ in values]
            ys = [v for _, v in values]
            ax.plot(steps, ys, color="black", marker=marker, linestyle=style, linewidth=1.4, markersize=4,
                    label=name)
            ax.set_xlabel("step")
            ax.set_ylabel(name)
            ax.set_title(f"{name}  ({len(values)} points, last {ys[-1]:.4g} at step {steps[-1]})", fontsize=10)
            ax.grid(True, color="0.85", linestyle="-", linewidth=0.6)
            ax.margins(x=0.08, y=0.15)  # room for the last value's label
            ax.annotate(f"{ys[-1]:.4g}", (steps[-1], ys[-1]), textcoords="offset points", xytext=(6, 4),
                        fontsize=8)
            ax.legend(loc="best", fontsize=8, frameon=False)
        fig.suptitle(title, fontsize=12)
        fig.tight_layout()
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=120)
    finally:
        plt.close(fig)
    return target
