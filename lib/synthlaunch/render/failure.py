"""How an expected failure is shown: its message, and for backend errors the whole exchange."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..console import Output
from ..errors import BackendError, BackendUnreachable, PreflightError, ProblemsError, SynthlaunchError
from ..redact import redact

if TYPE_CHECKING:  # pragma: no cover
    from ..preflight import PreflightReport

MAX_BODY_CHARS = 4000


def pretty_body(body: Any, limit: int = MAX_BODY_CHARS) -> str:
    """Pretty JSON (or text) of a redacted body, truncated with a note of how much was cut."""
    if body is None:
        return "(empty)"
    text = body if isinstance(body, str) else json.dumps(redact(body), indent=2, ensure_ascii=False, default=str)
    text = redact(text)
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit} more characters not shown)"
    return text


def failure_document(exc: SynthlaunchError) -> dict[str, Any]:
    """The JSON shape of a failure (for --json): {"error": {...}}."""
    doc: dict[str, Any] = {"type": type(exc).__name__, "message": exc.message,
                           "exit_code": exc.exit_code, "hint": exc.hint}
    if isinstance(exc, BackendError):
        doc.update({k: v for k, v in exc.as_dict().items() if k not in doc})
    if isinstance(exc, ProblemsError):
        doc["problems"] = [p.as_dict() for p in exc.problems]
    return {"error": redact(doc)}


def show_failure(exc: SynthlaunchError, out: Output, *, document: bool = True) -> None:
    """Print an expected failure to stderr (and, in JSON mode with `document`, its JSON to stdout)."""
    out.error(exc.message)
    if isinstance(exc, BackendError) and exc.status is not None:
        out.write(f"  request:  {exc.method} {exc.url}", stream=out.stderr)
        if exc.request_body is not None:
            out.write("  request body:\n" + _indent(pretty_body(exc.request_body)), stream=out.stderr)
        out.write(f"  status:   {exc.status}", stream=out.stderr)
        out.write("  response body:\n" + _indent(pretty_body(exc.response_body)), stream=out.stderr)
    if exc.hint:
        out.write(f"  hint: {exc.hint}", stream=out.stderr)
    if out.json_mode and document:
        out.emit_json(failure_document(exc))


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def raise_shown_preflight(out: Output, report: "PreflightReport") -> None:
    """For a failed report already shown as a table: a short error, then raise it (marked reported)."""
    from ..preflight import raise_for_report

    try:
        raise_for_report(report)
    except (PreflightError, BackendError) as exc:
        failed = report.failed
        out.error(f"preflight failed: {', '.join(r.check for r in failed)}"
                  + (" (backend unreachable)" if report.backend_unreachable else ""))
        if isinstance(exc, BackendError) and not isinstance(exc, BackendUnreachable) and exc.status is not None:
            out.write(f"  response body (HTTP {exc.status}):\n    "
                      + pretty_body(exc.response_body).replace("\n", "\n    "), stream=out.stderr)
        # the hints were printed with the table ("what to do"): said once
        exc.reported = True
        raise
