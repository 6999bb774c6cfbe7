"""Wiring: the backend client for resolved credentials (the one place that builds a `SynthClient`).

`env` resolves keys and the backend URL; `api` speaks HTTP; this module joins them, after the
transport check (no key over plain http to another machine unless allowed).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

from .env import SYNTH_API_KEY, ResolvedEnv, how_to_supply, resolve_env
from .errors import EnvError
from .transport import check_transport

if TYPE_CHECKING:  # pragma: no cover
    from .api import SynthClient
    from .console import Output


def make_client(env: ResolvedEnv) -> "SynthClient":
    """A SynthClient for the resolved backend and key (`--allow-insecure-http` travels with `env`)."""
    from .api import SynthClient

    key = env.synth_api_key
    if not key:
        raise EnvError("SYNTH_API_KEY is not set", hint=how_to_supply(SYNTH_API_KEY).strip())
    check_transport(env.backend_url, secret_names=[SYNTH_API_KEY], allow_insecure_http=env.allow_insecure_http)
    return SynthClient(env.backend_url, key, user_id=env.get("SYNTH_USER_ID") or "",
                       org_id=env.get("SYNTH_ORG_ID") or "")


def synth_client(out: "Output", *, backend: str | None, env_files: Iterable[str | os.PathLike[str]] | None,
                 allow_insecure_http: bool = False) -> "SynthClient":
    """SYNTH_API_KEY and the backend resolved (flags, shell, .env), then a client: for the commands
    that only talk to the backend (stream, jobs, cancel, upload-dataset)."""
    env = resolve_env(out, required=[SYNTH_API_KEY], env_files=list(env_files or []), backend_flag=backend,
                      allow_insecure_http=allow_insecure_http)
    return make_client(env)
