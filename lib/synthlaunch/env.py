"""Credentials and settings from flags, the shell and .env files (docs/configs.md, "Credentials and settings").

Sources, highest first: flags, the shell environment, `--env-file` files (later files override
earlier ones), then a discovered `.env`. On a terminal without `--env-file` the user picks the
.env among the discovered ones; missing keys are prompted (secrets hidden) and only what was
typed is saved, after confirmation, to the chosen .env. Without a terminal (or with CI set, or
--no-input) nothing is asked: one EnvError lists every missing key and how to supply it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Mapping

from . import prompts
from .backend_url import VARIABLES as BACKEND_VARIABLES
from .backend_url import resolve_backend
from .console import Output, ci_is_set
from .dotenv_file import read_values, save_concern, unparsable_lines, write_keys
from .errors import EnvError
from .paths import VARIABLES as PATH_VARIABLES
from .redact import is_sensitive_name, mask, register_secret
from .task_app import parse_aliases
from .transport import INVALID_PORT, check_transport, url_problem

__all__ = ["ResolvedEnv", "required_keys", "resolve_env", "check_transport", "how_to_supply",
           "discover_env_files", "ALIASES", "SECRET_KEYS", "KNOWN_KEYS", "CREDENTIAL_AND_TARGET_KEYS"]

SYNTH_API_KEY = "SYNTH_API_KEY"
ENVIRONMENT_API_KEY = "ENVIRONMENT_API_KEY"
TASK_APP_URL = "TASK_APP_URL"
#: later clients' names of SYNTH_API_KEY (read when it is absent, in this order)
SYNTH_API_KEY_ALIASES = ("SYNTH_USER_KEY", "SYNTH_BACKEND_API_KEY")
SECRET_KEYS = frozenset({SYNTH_API_KEY, *SYNTH_API_KEY_ALIASES, ENVIRONMENT_API_KEY, "DEV_ENVIRONMENT_API_KEY"})
#: canonical key -> alternative names read when the canonical one is absent (same source)
ALIASES: dict[str, tuple[str, ...]] = {
    SYNTH_API_KEY: SYNTH_API_KEY_ALIASES,
    ENVIRONMENT_API_KEY: ("DEV_ENVIRONMENT_API_KEY",),
    TASK_APP_URL: ("TASK_APP_BASE_URL",),
}
#: flag that supplies a key (for the source line and for "how to supply it")
FLAGS = {TASK_APP_URL: "--task-url"}
#: variables that carry credentials or choose the backend, the task app or the account
CREDENTIAL_AND_TARGET_KEYS: tuple[str, ...] = (
    SYNTH_API_KEY, *SYNTH_API_KEY_ALIASES, ENVIRONMENT_API_KEY, "DEV_ENVIRONMENT_API_KEY",
    "ENVIRONMENT_API_KEY_ALIASES", TASK_APP_URL, "TASK_APP_BASE_URL", *BACKEND_VARIABLES,
    "SYNTH_USER_ID", "SYNTH_ORG_ID",
)
#: the tool's own folders (state, cache): read too, but neither credentials nor targets
TOOL_KEYS: tuple[str, ...] = PATH_VARIABLES
#: every variable the tool reads (documented in .env.example)
KNOWN_KEYS: tuple[str, ...] = (*CREDENTIAL_AND_TARGET_KEYS, "SDK_EXPERIMENTAL", "SDK_EXPERIMENTAL_MODELS")
DESCRIPTIONS = {
    SYNTH_API_KEY: "your Synth API key (sent to the backend as a bearer token)",
    ENVIRONMENT_API_KEY: "the key your RL task app accepts (X-API-Key)",
    TASK_APP_URL: "the base URL of your RL task app, e.g. https://my-task-app.example.com",
}
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                       ".tox", ".nox", "site-packages"})  # plus hidden folders and any virtualenv
MAX_DEPTH = 3
MAX_CANDIDATES = 20


@dataclass
class ResolvedEnv:
    """Resolved values (canonical names), where each came from, and the backend base URL."""

    values: dict[str, str]
    sources: dict[str, str]
    backend_url: str
    env_file: Path | None = None
    backend_source: str = ""
    typed: list[str] = field(default_factory=list)
    saved: bool = False
    allow_insecure_http: bool = False

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        return value if value not in (None, "") else default

    @property
    def synth_api_key(self) -> str | None:
        return self.get(SYNTH_API_KEY)

    @property
    def environment_api_key(self) -> str | None:
        return self.get(ENVIRONMENT_API_KEY)

    @property
    def task_url(self) -> str | None:
        url = self.get(TASK_APP_URL)
        return url.rstrip("/") if url else None

    @property
    def environment_api_key_aliases(self) -> list[str]:
        """Extra task-app keys from ENVIRONMENT_API_KEY_ALIASES (comma-separated)."""
        return parse_aliases(self.get("ENVIRONMENT_API_KEY_ALIASES"))

    def as_dict(self) -> dict[str, object]:
        """Masked summary for --json output (no secret in clear)."""
        return {"backend_url": self.backend_url, "backend_source": self.backend_source,
                "env_file": os.fspath(self.env_file) if self.env_file else None,
                "keys": {k: {"value": _shown(k, v), "source": self.sources.get(k)}
                         for k, v in self.values.items() if k in KNOWN_KEYS}}


def required_keys(job_type: Literal["rl", "sft"] | None, *, task_url_known: bool) -> list[str]:
    """Keys a command needs: RL needs the task app URL unless --task-url / [services].task_url gave it."""
    if job_type == "rl":
        return [SYNTH_API_KEY, ENVIRONMENT_API_KEY] + ([] if task_url_known else [TASK_APP_URL])
    return [SYNTH_API_KEY]


def is_secret(key: str) -> bool:
    return key in SECRET_KEYS or is_sensitive_name(key)


def _shown(key: str, value: str | None) -> str | None:
    return mask(value) if value is not None and is_secret(key) else value


# -- discovery --------------------------------------------------------------------------------

def _is_env_name(name: str) -> bool:
    return (name == ".env" or name.endswith(".env")) and name not in (".env.example",)


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").exists() or (path / "conda-meta").is_dir()


def discover_env_files(search_dirs: Iterable[Path], *, max_depth: int = MAX_DEPTH) -> list[Path]:
    """`.env` files (and `*.env`) in each folder and below, nearest first.

    Skips VCS folders, virtualenvs, `node_modules`, caches and hidden folders.
    """
    found: list[Path] = []
    seen: set[str] = set()
    for root in search_dirs:
        root = Path(root)
        if not root.is_dir():
            continue
        per_root: list[tuple[int, str, Path]] = []
        for dirpath, dirnames, filenames in os.walk(root):
            depth = len(Path(dirpath).relative_to(root).parts)
            dirnames[:] = sorted(d for d in dirnames
                                 if depth < max_depth and d not in SKIP_DIRS and not d.startswith(".")
                                 and not _is_virtualenv(Path(dirpath) / d))
            for name in filenames:
                if _is_env_name(name) and os.path.isfile(os.path.join(dirpath, name)):
                    per_root.append((depth, os.path.join(dirpath, name), Path(dirpath) / name))
        for _, _, path in sorted(per_root):
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                found.append(path)
    return found[:MAX_CANDIDATES]


# -- layers -----------------------------------------------------------------------------------

@dataclass
class _Layer:
    label: str                      # "shell", "file ./.env", "flag"
    values: Mapping[str, str | None]
    flag: bool = False

    def lookup(self, name: str) -> tuple[str, str] | None:
        """(value, source) for `name` or one of its aliases in this layer."""
        for candidate in (name, *ALIASES.get(name, ())):
            value = self.values.get(candidate)
            if value is not None and str(value).strip():
                if self.flag:
                    source = f"flag {FLAGS.get(name, candidate)}"
                else:
                    source = self.label + (f", as {candidate}" if candidate != name else "")
                return str(value).strip(), source
        return None


def _first(layers: list[_Layer], name: str) -> tuple[str, str] | None:
    for layer in layers:
        found = layer.lookup(name)
        if found:
            return found
    return None


def _why_no_prompt(out: Output) -> str:
    if out.no_input:
        return "--no-input was given"
    if ci_is_set():
        return "CI is set"
    return "there is no terminal to ask on"


def how_to_supply(key: str) -> str:
    ways = []
    if key in FLAGS:
        ways.append(f"pass {FLAGS[key]}")
        if key == TASK_APP_URL:
            ways.append("set [services].task_url in the config")
    aliases = ALIASES.get(key, ())
    ways.append(f"export {key}=… in the shell" + (f" (or {', '.join(aliases)})" if aliases else ""))
    ways.append(f"add {key}=… to a .env file passed with --env-file")
    # "KEY — what": a "KEY: text" line would read as an assignment and have its first word masked
    text = f"  {key} \u2014 {DESCRIPTIONS.get(key, 'required')}; " + ", or ".join(ways)
    return text


def _validate_url(value: str) -> str | None:
    return "please type a full http:// or https:// URL" if url_problem(value) else None


# -- resolution -------------------------------------------------------------------------------

def resolve_env(out: Output, *, required: list[str], env_files: Iterable[str | os.PathLike[str]] = (),
                search_dirs: Iterable[Path] = (), flag_values: Mapping[str, str | None] | None = None,
                backend_flag: str | None = None, yes: bool = False, allow_insecure_http: bool = False,
                environ: Mapping[str, str] | None = None) -> ResolvedEnv:
    """Resolve `required` keys (and every variable the tool reads) from flags, shell and .env files.

    Prints one line per required key with its source and masked value (hidden by --quiet),
    registers every secret with `redact`, prompts on a terminal, and raises EnvError (exit 2)
    listing every missing key otherwise. See the module docstring for the precedence.
    """
    environ = os.environ if environ is None else environ
    env_paths = [Path(p) for p in env_files]
    search = [Path(d) for d in search_dirs] or [Path.cwd()]
    flags = {k: v for k, v in (flag_values or {}).items() if v is not None and str(v).strip()}
    flag_layer = _Layer("flag", flags, flag=True)
    shell_layer = _Layer("shell", environ)

    def file_layers(paths: list[Path]) -> list[_Layer]:
        # later --env-file files override earlier ones: highest precedence first
        layers = [_Layer(f"file {prompts.display_path(p)}", read_values(p)) for p in reversed(paths)]
        for path in paths:
            for line in unparsable_lines(path):
                out.warn(f"{prompts.display_path(path)}:{line}: cannot parse this line; it is ignored")
        return layers

    chosen: Path | None = None
    if env_paths:
        layers_files = file_layers(env_paths)  # reads (and checks) every file up front
        chosen = env_paths[0]
    else:
        candidates = discover_env_files(search)
        missing_early = [k for k in required if not _first([flag_layer, shell_layer], k)]
        # ask only when keys are needed (a --dry-run needs none) and the choice matters
        if out.interactive and required and candidates and (missing_early or len(candidates) > 1):
            chosen = prompts.choose_env_file(out, candidates,
                                             purpose="keys are read from it; typed keys can be saved to it")
        elif candidates:
            top_level = {os.path.realpath(d) for d in search}
            chosen = next((c for c in candidates if os.path.realpath(c.parent) in top_level), None)
        layers_files = file_layers([chosen]) if chosen is not None and chosen.exists() else []
    layers = [flag_layer, shell_layer, *layers_files]

    # every key the tool reads, plus whatever the files define (shell wins over files)
    names = list(dict.fromkeys([*required, *KNOWN_KEYS, *(k for lay in layers_files for k in lay.values)]))
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in names:
        found = _first(layers, name)
        if found:
            values[name], sources[name] = found
    _register(values)

    backend = resolve_backend(backend_flag, lambda name: _first(layers[1:], name))
    if SYNTH_API_KEY in required:
        check_transport(backend.url, secret_names=[SYNTH_API_KEY], allow_insecure_http=allow_insecure_http)

    missing = [k for k in required if k not in values]
    typed: list[str] = []
    saved = False
    if missing and not out.interactive:
        read = [prompts.display_path(p) for p in env_paths] or ([prompts.display_path(chosen)]
                                                               if chosen and chosen.exists() else [])
        lines = [f"missing {', '.join(missing)} (not prompting: {_why_no_prompt(out)})"]
        lines += [how_to_supply(k) for k in missing]
        lines.append("  read: flags, shell" + (", " + ", ".join(read) if read else " (no .env file)"))
        raise EnvError("\n".join(lines),
                       hint="supply the keys as listed, or run on a terminal without --no-input to be asked")
    if missing:
        for key in missing:
            value = prompts.ask_value(out, key, secret=is_secret(key), description=DESCRIPTIONS.get(key, ""),
                                      validate=_validate_url if key == TASK_APP_URL else None)
            _register({key: value})
            values[key], sources[key] = value, "typed"
            typed.append(key)
        target = chosen or (search[0] / ".env")
        where = prompts.display_path(target)
        if _save_typed(out, target, {k: values[k] for k in typed}, yes=yes):
            saved = True
            chosen = target
            for key in typed:
                sources[key] = f"typed, saved to {where}"
        else:
            for key in typed:
                sources[key] = "typed, not saved"

    _check_values(values, sources, required)
    if ENVIRONMENT_API_KEY in required and values.get(TASK_APP_URL):
        check_transport(values[TASK_APP_URL], secret_names=[ENVIRONMENT_API_KEY],
                        allow_insecure_http=allow_insecure_http)

    lines = [f"{key}: {_shown(key, values[key])} (from {sources[key]})" for key in required]
    lines.append(f"backend: {backend.url} (from {backend.source})")
    for line in (lines if out.verbose or typed else _first_shown(lines, environ)):
        out.info(line)
    return ResolvedEnv(values=values, sources=sources, backend_url=backend.url, env_file=chosen,
                       backend_source=backend.source, typed=typed, saved=saved,
                       allow_insecure_http=allow_insecure_http)


def _save_typed(out: Output, target: Path, typed: Mapping[str, str], *, yes: bool) -> bool:
    """Ask, then save the typed values to `target`; False when they were not saved.

    A link is named with its real target and a read-only file said to be one; either is saved
    only after an explicit yes on the terminal (never by --yes). A link pointing nowhere, or a
    write that fails (a folder that is not writable), is a warning: the command goes on with
    the typed values, which are used for this run only.
    """
    where = prompts.display_path(target)
    names = ", ".join(typed)
    them = "them" if len(typed) > 1 else "it"
    run_only = f"the typed value{'s are' if len(typed) > 1 else ' is'} used for this run only"
    try:
        real, concern = save_concern(target)
    except EnvError as exc:
        out.warn(f"not saving {names}: {exc.message}; {run_only}")
        return False
    if concern and yes:
        out.warn(f"not saving {names} to {where}: it is {concern} (--yes does not agree to that); {run_only}")
        return False
    question = (f"{where} is {concern}. Save {names} there anyway?" if concern
                else f"Save {names} to {where} so the next run finds {them}?")
    if not prompts.confirm(out, question, yes=yes):
        return False
    new = not real.exists()
    try:
        write_keys(target, typed, consented=concern is not None)
    except EnvError as exc:
        out.warn(f"could not save {names} to {where}: {exc.message}; {run_only}")
        return False
    out.info(f"saved {names} to {where}" + (f" (into {real})" if concern and real != target else "")
             + (" (new file, mode 0600)" if new else ""))
    mode = os.stat(real).st_mode & 0o777
    if mode & 0o077 and any(is_secret(k) for k in typed):
        out.warn(f"{where} is readable by other users (mode {mode:o}); consider `chmod 600 {where}`")
    return True


#: the source lines already shown once (digests), in the state folder: quiet by default
SHOWN_SOURCES_FILE = "sources-shown.json"
MAX_SHOWN_SOURCES = 200


def _first_shown(lines: list[str], environ: Mapping[str, str] | None) -> list[str]:
    """The source lines (masked values and sources) not shown before; recorded as shown now. A changed
    source, key or backend shows its line again; `--verbose` shows them all. Unrecordable: all shown."""
    import hashlib

    from .atomic import read_json_file, write_json_file
    from .paths import state_dir

    digests = {line: hashlib.sha256(line.encode()).hexdigest()[:32] for line in lines}
    try:
        path = state_dir(environ) / SHOWN_SOURCES_FILE
        seen = read_json_file(path, [])
        seen = [d for d in seen if isinstance(d, str)] if isinstance(seen, list) else []
        fresh = [line for line in lines if digests[line] not in seen]
        if fresh:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json_file(path, (seen + [digests[line] for line in fresh])[-MAX_SHOWN_SOURCES:])
    except (OSError, ValueError):
        return lines
    return fresh


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as a key in an HTTP header (None when it can)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "contains a control character (a line break, tab or NUL)"
    if not value.isascii():
        return "contains a non-ASCII character"
    if any(c.isspace() for c in value):
        return "contains a space"
    return None


def _check_values(values: Mapping[str, str], sources: Mapping[str, str], required: Iterable[str]) -> None:
    """Values that would break the first request are invalid input (exit 2), not a backend error later.

    Keys go into HTTP headers (so: visible ASCII, no spaces); the task app URL must be a URL.
    Messages name the key and where it came from, never the value of a secret.
    """
    keys = list(required)
    if ENVIRONMENT_API_KEY in keys and TASK_APP_URL not in keys:  # RL: a task URL given in a file or the shell
        keys.append(TASK_APP_URL)
    for key in keys:
        value = values.get(key)
        if not value:
            continue
        if is_secret(key):
            problem = header_value_problem(value)
            if problem:
                raise EnvError(f"{key} (from {sources[key]}) {problem}; an API key is one word of visible "
                               "ASCII characters", hint=f"fix {key} where it is set (check quotes and line breaks)")
        elif key == TASK_APP_URL:
            problem = url_problem(value)
            if problem:
                raise EnvError(f"{key} (from {sources[key]}): {value!r} is not an http(s) URL with a host"
                               + (" and a valid port" if problem == INVALID_PORT else ""),
                               hint="give the task app's base URL, e.g. http://127.0.0.1:8001")


def _register(values: Mapping[str, str]) -> None:
    for key, value in values.items():
        if is_secret(key):
            register_secret(value)
        if key == "ENVIRONMENT_API_KEY_ALIASES":
            register_secret(*parse_aliases(value))
