"""The `models` command: the model catalogue (id, family, SFT/RL, experimental) and, with --remote,
what the backend lists on `GET /api/models` when it offers that route."""

from __future__ import annotations

import os
from typing import Any

from ..console import Output

MODEL_HEADERS = ("id", "family", "sft", "rl", "experimental")


def _yes(value: Any) -> str:
    return "yes" if value else "-"


def run_models(out: Output, *, type_: str | None = None, remote: bool = False, backend: str | None = None,
               env_files: list[str | os.PathLike[str]] | None = None, allow_insecure_http: bool = False) -> int:
    """Print the catalogue (and the backend's list with --remote). `{"catalogue": [...], "backend": [...]|null}`."""
    from ..config.models import UNLISTED_HINT, catalogue, experimental_allowed
    from .jobs import _job_type

    kind = _job_type(type_)
    models = [m for m in catalogue().values() if kind is None or m.supports(kind)]
    offered: list[dict[str, Any]] | None = None
    if remote:
        from ..clients import synth_client

        client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
        offered = client.list_models()
    offered_ids = {str(m.get("id") or m.get("name") or "").lower() for m in offered or []}
    known = {m.id.lower() for m in models}
    only_backend = [m for m in offered or [] if str(m.get("id") or m.get("name") or "").lower() not in known]
    if out.json_mode:
        out.emit_json({"catalogue": [{"id": m.id, "family": m.family, "sft": m.sft, "rl": m.rl,
                                      "experimental": m.experimental,
                                      **({"on_backend": m.id.lower() in offered_ids} if offered is not None else {})}
                                     for m in models],
                       "backend": offered})
        return 0
    if out.quiet:
        out.lines(m.id for m in models)
        return 0
    headers = list(MODEL_HEADERS) + (["backend"] if offered is not None else [])
    rows = [[m.id, m.family, _yes(m.sft), _yes(m.rl), _yes(m.experimental)]
            + ([_yes(m.id.lower() in offered_ids)] if offered is not None else []) for m in models]
    out.table(rows, headers)
    if not experimental_allowed(None):
        out.info("experimental models need --allow-experimental (or SDK_EXPERIMENTAL=1)")
    if offered is None and remote:
        out.info("the backend offers no models route (GET /api/models answered 404): the catalogue above is all")
    for model in only_backend:
        out.info(f"the backend also lists {model.get('id') or model.get('name')}, unknown to this catalogue")
    out.info(f"to use {UNLISTED_HINT}")
    return 0
