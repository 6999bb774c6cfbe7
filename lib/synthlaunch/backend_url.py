"""Backend base URL resolution and normalisation (wire contract, "Backend base URL").

Precedence: `--backend` › `BACKEND_BASE_URL` › `BACKEND_OVERRIDE` (the 0.2.17 names) › the names of
later clients, `SYNTH_API_URL` › `SYNTH_BACKEND_URL` › `SYNTH_API_BASE_URL` › `SYNTH_BACKEND_OVERRIDE`
› mode `SYNTH_BACKEND_URL_OVERRIDE` ∈ {local, dev, prod} selecting `LOCAL_BACKEND_URL` /
`DEV_BACKEND_URL` (both default `http://localhost:8000`) / `PROD_BACKEND_URL` (default the hosted
root, `https://api.usesynth.ai` as in every client from 0.4.12; the older hosted roots still work
when given). No mode means prod.

Normalised form: no trailing `/`, and `/api` appended unless a path segment already is `api`
(so `…/api/v1` stays as it is, unlike the reference client's `…/api/v1/api`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

from .errors import EnvError
from .transport import INVALID_PORT, NOT_A_URL, url_problem

HOSTED_ROOT = "https://api.usesynth.ai"
#: hosted roots of older clients (0.3.9–0.4.0, and up to 0.3.x): accepted like any URL when given
OLDER_HOSTED_ROOTS = ("https://www.api.usesynth.ai", "https://agent-learning.onrender.com")
LOCAL_DEFAULT = "http://localhost:8000"
MODE_VARIABLE = "SYNTH_BACKEND_URL_OVERRIDE"
MODES: dict[str, tuple[str, str]] = {  # mode -> (variable, default)
    "local": ("LOCAL_BACKEND_URL", LOCAL_DEFAULT),
    "dev": ("DEV_BACKEND_URL", LOCAL_DEFAULT),
    "prod": ("PROD_BACKEND_URL", HOSTED_ROOT),
}
#: the backend URL variables read before the mode, highest first: 0.2.17's, then later clients'
URL_VARIABLES = ("BACKEND_BASE_URL", "BACKEND_OVERRIDE",
                 "SYNTH_API_URL", "SYNTH_BACKEND_URL", "SYNTH_API_BASE_URL", "SYNTH_BACKEND_OVERRIDE")
#: every variable read here, for `.env.example` and for env resolution
VARIABLES = (*URL_VARIABLES, MODE_VARIABLE, "LOCAL_BACKEND_URL", "DEV_BACKEND_URL", "PROD_BACKEND_URL")


@dataclass(frozen=True)
class BackendChoice:
    """The normalised base URL (ends in `/api`) and where it came from, for the user."""

    url: str
    source: str


def normalise(url: str, *, source: str = "backend URL") -> str:
    """`url` without trailing `/`, with `/api` appended unless a path segment already is `api`.

    Raises EnvError (naming `source`) for anything that is not an absolute http(s) URL.
    """
    text = (url or "").strip()
    problem = url_problem(text)
    if problem == NOT_A_URL:
        raise EnvError(f"{source}: {text!r} is not an http:// or https:// URL",
                       hint=f"give a full URL such as {HOSTED_ROOT}")
    if problem == INVALID_PORT:
        raise EnvError(f"{source}: {text!r} has an invalid port (a number from 1 to 65535)",
                       hint="give a full URL such as http://localhost:8000")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment:
        raise EnvError(f"{source}: {text!r} must not carry a query or a fragment",
                       hint="give only scheme, host, port and path, e.g. http://localhost:8000/api")
    segments = [s for s in parts.path.split("/") if s]
    if "api" not in segments:
        segments.append("api")
    return urlunsplit((scheme, parts.netloc, "/" + "/".join(segments), "", ""))


Lookup = Callable[[str], "tuple[str, str] | None"]


class Sourced(str):
    """A setting's value that knows where it came from (`invoke.yaml (…)`, `INVOKE_SYNTHLAUNCH_BACKEND`),
    handed over where a flag's value goes, so the source line names the real source."""

    source: str = ""

    def __new__(cls, value: str, source: str) -> "Sourced":
        made = super().__new__(cls, value)
        made.source = source
        return made


def resolve_backend(flag: str | None, lookup: Lookup | Mapping[str, str]) -> BackendChoice:
    """The backend base URL by the contract's precedence.

    `lookup(name)` returns `(value, where)` for a variable (where = "shell", "file .env", …) or
    None; a plain mapping is accepted too (where = "environment").
    """
    if not callable(lookup):
        mapping = lookup

        def lookup(name: str) -> tuple[str, str] | None:
            value = mapping.get(name)
            return (value, "environment") if value and value.strip() else None

    if flag and flag.strip():
        where = getattr(flag, "source", None) or "flag --backend"  # a `Sourced` value knows its origin
        return BackendChoice(normalise(str(flag), source=where.replace("flag ", "")), where)
    for name in URL_VARIABLES:
        found = lookup(name)
        if found:
            return BackendChoice(normalise(found[0], source=f"{name} ({found[1]})"), f"{name} ({found[1]})")
    mode_found = lookup(MODE_VARIABLE)
    mode = (mode_found[0].strip().lower() if mode_found else "") or "prod"
    if mode not in MODES:
        raise EnvError(f"{MODE_VARIABLE} ({mode_found[1] if mode_found else '?'}) is {mode!r}; "
                       f"it must be one of {', '.join(MODES)}",
                       hint="or set BACKEND_BASE_URL / pass --backend with a full URL")
    variable, default = MODES[mode]
    mode_note = f"{MODE_VARIABLE}={mode} ({mode_found[1]})" if mode_found else None
    found = lookup(variable)
    if found:
        source = f"{variable} ({found[1]})" + (f" via {mode_note}" if mode_note else "")
        return BackendChoice(normalise(found[0], source=f"{variable} ({found[1]})"), source)
    source = f"default for {mode_note}" if mode_note else "default (hosted backend)"
    return BackendChoice(normalise(default), source)
