"""The `upload-dataset` command: validate a chat JSONL (or its first N examples) and upload it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..console import Output


def run_upload_dataset(out: Output, path: str, examples: Any = None, backend: str | None = None,
                       env_files: list[str] | None = None, force_upload: bool = False,
                       idempotency: str | None = None, allow_insecure_http: bool = False) -> int:
    """Validate PATH (or its first N examples), resolve SYNTH_API_KEY and the backend, upload, print."""
    from ..clients import synth_client
    from ..dataset import examples_or_all, validate_dataset
    from ..flags import parse_int
    from ..upload import upload_dataset, validate_with_progress

    limit = parse_int(examples, "examples", minimum=1) if examples is not None else None
    source = Path(path)
    if limit is None:
        report = validate_with_progress(out, source)
        out.info(f"{source}: {report.examples} examples, {report.bytes} bytes, sha256 {report.sha256}")
    else:
        # check the first N examples where they are, so problems name the real file and line
        validate_dataset(source, limit=limit)

    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)

    with examples_or_all(source, limit) as upload_path:
        if limit is not None:
            report = validate_dataset(upload_path)
            if report.examples < limit:
                out.warn(f"--examples {limit}: {source} has only {report.examples} examples; uploading all of them")
            out.info(f"first {report.examples} examples of {source}: {report.bytes} bytes, sha256 {report.sha256}")
        result = upload_dataset(client, upload_path, out=out, force=force_upload, report=report,
                                idempotency_key=idempotency)

    doc = {"file_id": result.file_id, "sha256": result.sha256, "examples": result.examples,
           "bytes": result.bytes, "reused": result.reused, "path": str(source), "examples_limit": limit,
           "backend": client.base_url}
    if out.json_mode:
        out.emit_json(doc)
    else:
        out.result(f"file id:  {result.file_id}" + ("  (reused: uploaded before)" if result.reused else ""))
        out.result(f"sha256:   {result.sha256}")
        out.result(f"examples: {result.examples}" + (f" (first {limit})" if limit is not None else ""))
        out.result(f"bytes:    {result.bytes}")
    return 0
