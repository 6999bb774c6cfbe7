"""`inv download JOB_ID --to DIR [--adapter-only]`: write a job's trained model to a folder."""

from __future__ import annotations

from ..console import Output, command_name


def run_download(out: Output, *, job_id: str, to: str, adapter_only: bool = False, backend: str | None = None,
                 env_files: list[str] | None = None, allow_insecure_http: bool = False) -> int:
    """Download the final model of `job_id` (LoRA merged, or only the adapter) into `to`; exit code."""
    from ..clients import synth_client
    from ..download import DownloadError, download_model
    from ..errors import UsageError

    if not str(job_id or "").strip():
        raise UsageError(f"download needs a job id: {command_name()} download JOB_ID --to DIR")
    if not str(to or "").strip():
        raise UsageError("download needs --to DIR (a new or empty folder)")
    client = synth_client(out, backend=backend, env_files=env_files, allow_insecure_http=allow_insecure_http)
    job = client.get_job("learning", str(job_id))
    if job is None:
        raise UsageError(f"job {job_id} was not found on the backend", hint="check the job id and --backend")
    if job.get("status") != "succeeded":
        raise UsageError(f"job {job_id} is {job.get('status')}: only a succeeded job has a model to download")
    try:
        done = download_model(client, str(job_id), to, adapter_only=adapter_only,
                              on_file=lambda path, size: out.detail(f"  {path} ({size:,} bytes)"))
    except DownloadError as exc:
        raise UsageError(str(exc)) from None
    if out.json_mode:
        out.emit_json({"job_id": done.job_id, "checkpoint": done.checkpoint, "format": done.format,
                       "folder": str(done.folder), "files": done.files, "bytes": done.bytes,
                       "fine_tuned_model": job.get("fine_tuned_model")})
    else:
        what = {"adapter": "LoRA adapter", "merged": "model (LoRA merged)"}.get(done.format, "model")
        out.result(f"job {job_id}: {what} written to {done.folder} ({len(done.files)} files, {done.bytes:,} bytes)")
        out.info("load it with AutoModelForCausalLM.from_pretrained(DIR) and AutoTokenizer.from_pretrained(DIR)"
                 if done.format != "adapter" else "load it with peft's PeftModel.from_pretrained(base, DIR)")
    return 0
