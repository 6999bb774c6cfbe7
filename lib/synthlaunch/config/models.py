"""The model catalogue (data in `models.json`) and model id resolution.

- Matching is case-insensitive; the canonical spelling of the catalogue is what gets sent.
- RL may use fine-tuned ids (`ft:`, `fft:`, `qft:`, `rl:` prefixes, e.g. `rl:Qwen/Qwen3-4B:job123`).
- Experimental models need `--allow-experimental` or `SDK_EXPERIMENTAL=1`; `--no-allow-experimental`
  wins over the variable. `SDK_EXPERIMENTAL_MODELS` (comma list) adds experimental ids.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

CATALOGUE_FILE = Path(__file__).with_name("models.json")
_TRUTHY = {"1", "true", "yes", "on"}


class ModelError(ValueError):
    """A model id that cannot be used (unknown, wrong capability, experimental, malformed)."""

    def __init__(self, message: str, expected: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected


@dataclass(frozen=True)
class Model:
    id: str
    family: str
    sft: bool
    rl: bool
    experimental: bool

    def supports(self, job_type: str) -> bool:
        return self.rl if job_type == "rl" else self.sft


@lru_cache(maxsize=1)
def _load_file() -> tuple[tuple[Model, ...], tuple[str, ...]]:
    doc = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    models = tuple(Model(id=m["id"], family=m.get("family", ""), sft=bool(m.get("sft")), rl=bool(m.get("rl")),
                         experimental=bool(m.get("experimental"))) for m in doc["models"])
    prefixes = tuple(doc.get("fine_tuned_prefixes") or ("ft:", "fft:", "qft:", "rl:"))
    return models, prefixes


FINE_TUNED_PREFIXES: tuple[str, ...] = _load_file()[1]


def extra_experimental_ids(env: Mapping[str, str] = os.environ) -> list[str]:
    """Ids listed in SDK_EXPERIMENTAL_MODELS (comma separated)."""
    return [part.strip() for part in (env.get("SDK_EXPERIMENTAL_MODELS") or "").split(",") if part.strip()]


def catalogue(env: Mapping[str, str] = os.environ) -> dict[str, Model]:
    """Lower-cased id → Model, including experimental ids added through SDK_EXPERIMENTAL_MODELS."""
    models = {m.id.lower(): m for m in _load_file()[0]}
    for extra in extra_experimental_ids(env):
        known = models.get(extra.lower())
        if known is not None:
            models[extra.lower()] = Model(known.id, known.family, known.sft, known.rl, True)
        else:
            models[extra.lower()] = Model(extra, "custom", True, True, True)
    return models


def experimental_allowed(allow_experimental: bool | None, env: Mapping[str, str] = os.environ) -> bool:
    """True (--allow-experimental), False (--no-allow-experimental) win; None follows SDK_EXPERIMENTAL."""
    if allow_experimental is not None:
        return allow_experimental
    return (env.get("SDK_EXPERIMENTAL") or "").strip().lower() in _TRUTHY


def family_of(raw: str, env: Mapping[str, str] = os.environ) -> str | None:
    """The family of the catalogue model closest to `raw` (None when nothing is close)."""
    models = catalogue(env)
    text = raw.strip().lower()
    best = difflib.get_close_matches(text, list(models), n=1, cutoff=0.55)
    if not best:  # try without the organisation part: "qwen3-4b" → "qwen/qwen3-4b"
        short = {k.split("/")[-1]: k for k in models}
        hit = difflib.get_close_matches(text.split("/")[-1], list(short), n=1, cutoff=0.5)
        best = [short[hit[0]]] if hit else []
    return models[best[0]].family if best else None


def closest_ids(raw: str, *, job_type: str | None = None, env: Mapping[str, str] = os.environ,
                n: int = 3) -> list[str]:
    """The catalogue ids closest to `raw`, from the same family as the closest one only (capable of
    `job_type` when given): a typo of a Qwen3 id is never answered with another family's model."""
    family = family_of(raw, env)
    if family is None:
        return []
    models = [m for m in catalogue(env).values()
              if m.family == family and (job_type is None or m.supports(job_type))]
    by_lower = {m.id.lower(): m.id for m in models}
    text = raw.strip().lower()
    found = difflib.get_close_matches(text, list(by_lower), n=n, cutoff=0.55)
    if not found:
        short = {k.split("/")[-1]: k for k in by_lower}
        found = [short[k] for k in difflib.get_close_matches(text.split("/")[-1], list(short), n=n, cutoff=0.5)]
    if not found:  # same family, but nothing close enough: its models that do not need a flag
        found = [k for k in by_lower if not catalogue(env)[k].experimental][:n]
    return [by_lower[k] for k in found]


def _suggest(raw: str, job_type: str, env: Mapping[str, str]) -> str:
    ids = closest_ids(raw, job_type=job_type, env=env)
    if ids:
        return "closest: " + ", ".join(ids)
    return f"no close {job_type.upper()} model in the catalogue; `{_program()} models` lists them"


def _program() -> str:
    from ..console import command_name

    return command_name()


#: how to use a model the backend trains before this catalogue lists it
UNLISTED_HINT = ("a model the catalogue does not know yet: SDK_EXPERIMENTAL_MODELS=<id> "
                 "with --allow-experimental (or SDK_EXPERIMENTAL=1)")


def is_fine_tuned(raw: str) -> bool:
    low = raw.strip().lower()
    return any(low.startswith(p) for p in FINE_TUNED_PREFIXES)


def resolve_model(raw: object, *, job_type: str, allow_experimental: bool | None = None,
                  env: Mapping[str, str] = os.environ, allow_fine_tuned: bool | None = None) -> str:
    """Canonical id for `raw`, or a ModelError that names the closest ids.

    Fine-tuned ids are accepted for RL only (unless `allow_fine_tuned` says otherwise); their base
    part, when it names a catalogue model, is spelled canonically and checked like a base model.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ModelError("model id is empty" if isinstance(raw, str) else f"expected a model id string, got {raw!r}",
                         "a model id such as Qwen/Qwen3-4B")
    text = raw.strip()
    models = catalogue(env)
    allow_ft = (job_type == "rl") if allow_fine_tuned is None else allow_fine_tuned
    if is_fine_tuned(text):
        if not allow_ft:
            raise ModelError(f"fine-tuned model {text!r} cannot be used for {job_type.upper()}",
                             "a base model id; " + _suggest(text.split(":", 2)[1] if ":" in text else text,
                                                            job_type, env))
        return _resolve_fine_tuned(text, job_type=job_type, allow_experimental=allow_experimental, env=env,
                                   models=models)
    model = models.get(text.lower())
    if model is None:
        raise ModelError(f"unknown model {text!r}", f"{_suggest(text, job_type, env)}; {UNLISTED_HINT}")
    _check_usable(model, job_type=job_type, allow_experimental=allow_experimental, env=env)
    return model.id


def _check_usable(model: Model, *, job_type: str, allow_experimental: bool | None,
                  env: Mapping[str, str]) -> None:
    if not model.supports(job_type):
        raise ModelError(f"model {model.id!r} does not support {job_type.upper()} training",
                         f"a model with {job_type.upper()} support; " + _suggest(model.id, job_type, env))
    if model.experimental and not experimental_allowed(allow_experimental, env):
        why = ("--no-allow-experimental was given" if allow_experimental is False
               else "pass --allow-experimental or set SDK_EXPERIMENTAL=1")
        raise ModelError(f"model {model.id!r} is experimental ({why})",
                         "a non-experimental model, or allow experimental models")


def _resolve_fine_tuned(text: str, *, job_type: str, allow_experimental: bool | None,
                        env: Mapping[str, str], models: dict[str, Model]) -> str:
    prefix, _, rest = text.partition(":")
    if not rest.strip():
        raise ModelError(f"fine-tuned model id {text!r} has nothing after {prefix}:",
                         "e.g. rl:Qwen/Qwen3-4B:job123")
    segments = rest.split(":")
    for i, segment in enumerate(segments):
        model = models.get(segment.strip().lower())
        if model is not None:
            _check_usable(model, job_type=job_type, allow_experimental=allow_experimental, env=env)
            segments[i] = model.id
            return f"{prefix.lower()}:{':'.join(segments)}"
        if "/" in segment:  # looks like a base model id but is not one we know
            raise ModelError(f"fine-tuned model {text!r} names an unknown base model {segment!r}",
                             _suggest(segment, job_type, env))
    return f"{prefix.lower()}:{rest}"  # an opaque fine-tuned id only the backend knows


def canonical_or_same(raw: str, env: Mapping[str, str] = os.environ) -> str:
    """Canonical spelling when `raw` is in the catalogue (or a fine-tuned id over one), else `raw` stripped."""
    text = raw.strip()
    models = catalogue(env)
    if is_fine_tuned(text):
        prefix, _, rest = text.partition(":")
        segments = [models[s.strip().lower()].id if s.strip().lower() in models else s for s in rest.split(":")]
        return f"{prefix.lower()}:{':'.join(segments)}"
    model = models.get(text.lower())
    return model.id if model else text
