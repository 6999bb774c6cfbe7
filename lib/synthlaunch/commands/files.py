"""The `files` (list) and `files.delete` commands: what was uploaded to the backend, and removing it."""

from __future__ import annotations

import os
from typing import Any

from ..clients import synth_client
from ..console import Output

FILE_HEADERS = ("id", "purpose", "size", "sha256", "created", "status", "filename")


def _size(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return "-"
    if value < 1024:
        return f"{value} B"
    size = float(value)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"


def file_row(record: dict[str, Any]) -> list[str]:
    from ..timefmt import utc_text

    sha = str(record.get("sha256") or "")
    return [str(record.get("id") or "-"), str(record.get("purpose") or "-"),
            _size(record.get("bytes", record.get("size"))), sha[:12] + ("…" if len(sha) > 12 else "") or "-",
            utc_text(record.get("created_at")) or "-", str(record.get("status") or "-"),
            str(record.get("filename") or "-")]


def run_files(out: Output, *, purpose: str | None = None, limit: Any = 100, backend: str | None = None,
              env_files: list[str | os.PathLike[str]] | None = None, allow_insecure_http: bool = False) -> int:
    """List uploaded files (`{"files": [...]}` with --json)."""
    from ..flags import parse_int

    count = parse_int(limit, "limit", minimum=1)
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    files = [f for f in client.list_files(purpose=purpose, limit=count) if isinstance(f, dict)]
    if out.json_mode:
        out.emit_json({"files": files})
    elif not files:
        out.result("no files" + (f" with purpose {purpose}" if purpose else ""))
    elif out.quiet:
        out.lines(str(f.get("id")) for f in files)
    else:
        out.table([file_row(f) for f in files], FILE_HEADERS)
    return 0


def run_files_delete(out: Output, *, file_id: str, backend: str | None = None,
                     env_files: list[str | os.PathLike[str]] | None = None, allow_insecure_http: bool = False) -> int:
    """Delete one uploaded file. A file a job still uses is refused by the backend (409, exit 4)."""
    from ..errors import BackendError

    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    try:
        answer = client.delete_file(str(file_id))
    except BackendError as exc:
        if exc.status == 409:
            exc.hint = "a job that has not ended uses this file: wait for it to end, or cancel it, then retry"
        elif exc.status == 404:
            exc.hint = f"no file {file_id} on this backend; list them with `files`"
        raise
    if out.json_mode:
        out.emit_json({"file_id": str(file_id), "deleted": bool(answer.get("deleted", True)), "response": answer})
    else:
        out.result(f"deleted file {file_id}")
    return 0
