"""Which model a job trains: resolution of a requested id to a folder, and model aliases.

Order: an alias (`Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3`) replaces the id first; then
`ft:<base>:<job_id>` is a previous job's result on this backend; a built-in tiny id; an existing
local directory; a Hugging Face id already in the local HF cache (never downloaded here: the
cache location and offline mode follow huggingface_hub's own settings, HF_HOME, HF_HUB_CACHE,
HF_HUB_OFFLINE). Anything else is a `ModelUnavailable` naming what to download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .tiny import BUILTIN

FINE_TUNED_PREFIX = "ft:"


class ModelUnavailable(ValueError):
    """The requested model cannot be trained on this machine (with what to do about it)."""


@dataclass(frozen=True)
class ResolvedModel:
    requested: str          # the id the job asked for
    trained: str            # the id that actually trains (a stand-in when aliased)
    path: str               # the folder `from_pretrained` loads (built at first use for built-ins)
    source: str             # "builtin" | "local" | "hf-cache" | "fine-tuned"
    builtin: str | None = None

    @property
    def stand_in(self) -> bool:
        return self.requested != self.trained


def parse_aliases(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """`["A=B", ...]` (or a mapping) → {A: B}; ValueError naming a malformed item."""
    if not items:
        return {}
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = []
        for item in items:
            source, sep, target = str(item).partition("=")
            if not sep or not source.strip() or not target.strip():
                raise ValueError(f"model alias {item!r} is not SOURCE=TARGET "
                                 "(e.g. Qwen/Qwen3-0.6B=synthlaunch/tiny-qwen3)")
            pairs.append((source, target))
    return {s.strip(): t.strip() for s, t in pairs}


RL_PREFIX = "rl:"


def fine_tuned_id(base: str, job_id: str, *, kind: str = "sft") -> str:
    """`ft:<base>:<job_id>` (SFT) or `rl:<base>:<job_id>` (RL; `base` without a previous job's prefix)."""
    if kind == "rl":
        from .rl_spec import base_of

        return f"{RL_PREFIX}{base_of(base)}:{job_id}"
    return f"{FINE_TUNED_PREFIX}{base}:{job_id}"


def split_fine_tuned(model_id: str) -> tuple[str, str] | None:
    """(base, job_id) of `ft:<base>:<job_id>` or `rl:<base>:<job_id>`, else None."""
    prefix = next((p for p in (FINE_TUNED_PREFIX, RL_PREFIX) if model_id.startswith(p)), None)
    if prefix is None:
        return None
    base, sep, job_id = model_id[len(prefix):].rpartition(":")
    return (base, job_id) if sep and base and job_id else None


def _hf_cached(model_id: str) -> str | None:
    """The snapshot folder of `model_id` in the local HF cache, or None (no network)."""
    if model_id.count("/") != 1 or model_id.startswith(("/", ".")):
        return None
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    try:
        return snapshot_download(model_id, local_files_only=True)
    except Exception:  # not cached (LocalEntryNotFoundError) or not a valid repo id
        return None


def resolve_model(requested: str, *, aliases: Mapping[str, str], builtin_dir: Path,
                  fine_tuned: Callable[[str], str | None]) -> ResolvedModel:
    """The folder to train `requested` from. `fine_tuned(job_id)` gives a finished job's model folder."""
    requested = requested.strip()
    lowered = {k.lower(): v for k, v in aliases.items()}
    trained = lowered.get(requested.lower(), requested)
    ft = split_fine_tuned(trained)
    if ft is not None:
        folder = fine_tuned(ft[1])
        if folder is None:
            raise ModelUnavailable(f"model {trained}: job {ft[1]} has no trained model on this backend "
                                   "(it does not exist, has not succeeded, or was emulated)")
        return ResolvedModel(requested, trained, folder, "fine-tuned")
    builtin = {k.lower(): k for k in BUILTIN}.get(trained.lower())
    if builtin is not None:
        return ResolvedModel(requested, builtin, str(builtin_dir / builtin.replace("/", "--")), "builtin", builtin)
    local = Path(trained).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise ModelUnavailable(f"model folder {local} has no config.json: it is not a Hugging Face model folder")
        return ResolvedModel(requested, trained, str(local.resolve()), "local")
    cached = _hf_cached(trained)
    if cached is not None:
        return ResolvedModel(requested, trained, cached, "hf-cache")
    alias_hint = f" or start the backend with --model-alias {trained}=synthlaunch/tiny-qwen3 to train a stand-in"
    raise ModelUnavailable(
        f"model {trained} is not available on this machine: it is not a local folder, not in the Hugging "
        f"Face cache and not a built-in model ({', '.join(BUILTIN)}); download it first with "
        f"`hf download {trained}` (huggingface_hub){alias_hint}")
