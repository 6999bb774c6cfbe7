"""Drawing for people and machines: stream renderers (cli lines, live chart, NDJSON), tables, failures.

Renderers implement `synthlaunch.stream.Renderer`; `make_renderer` picks one for `--stream-format`.
Nothing here speaks HTTP. Submodules are imported lazily (the chart pulls in rich and plotext).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..console import Output
    from ..stream import Renderer

#: the --stream-format choices (see `make_renderer`)
STREAM_FORMATS = ("cli", "chart", "json")


def make_renderer(stream_format: str, out: "Output", *, job_id: str, kind: str | None) -> "Renderer":
    """The renderer for `cli`, `chart` (falls back to cli lines off a terminal) or `json`."""
    if stream_format == "json" or out.json_mode:
        from .jsonl import JsonRenderer

        return JsonRenderer(out, job_id=job_id)
    if stream_format == "chart":
        from .chart import ChartRenderer, chart_possible

        if chart_possible(out):
            return ChartRenderer(out, job_id=job_id, kind=kind)
    from .cli import CliRenderer

    return CliRenderer(out, job_id=job_id)
